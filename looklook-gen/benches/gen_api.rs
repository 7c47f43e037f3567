//! Generation time of `looklook gen api` (the bookstore sample and a
//! generated 20-route file), `looklook gen rpc` (the shop sample) and
//! `looklook gen model` (a generated 10-table file), stage by stage; and
//! `gen openapi` + `gen ts` of the reference system's four services.
//!
//! Run: `cargo bench -p looklook-gen --bench gen_api`. Prints the median and
//! the 90th percentile of each stage over many runs.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use looklook_gen::apidsl;
use looklook_gen::codegen::CrateOptions;
use looklook_gen::codegen::api::generate;
use looklook_gen::generate::{GenApiOptions, gen_api};

fn measure(name: &str, runs: usize, mut f: impl FnMut()) {
    f(); // warm up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[runs / 2];
    let p90 = times[runs * 9 / 10];
    println!(
        "{name:<48} median {:>9.3} ms   p90 {:>9.3} ms   ({runs} runs)",
        ms(median),
        ms(p90)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// An `.api` file with `routes` routes, each with its own request and
/// response type, spread over four groups.
fn synthetic(routes: usize) -> String {
    let mut s = String::from("syntax = \"v1\"\n\n");
    for i in 0..routes {
        s.push_str(&format!(
            "type Req{i} {{\n\tId int64 `path:\"id\"`\n\tPage int64 `form:\"page,default=1,range=[1:]\"`\n\tName string `json:\"name,optional\"`\n\tKind string `json:\"kind,options=a|b\"`\n}}\n\ntype Resp{i} {{\n\tId int64 `json:\"id\"`\n\tItems []string `json:\"items\"`\n}}\n\n"
        ));
    }
    for g in 0..4 {
        s.push_str(&format!(
            "@server (\n\tgroup: g{g}\n\tprefix: /v1\n\tjwt: Auth\n)\nservice bench-api {{\n"
        ));
        for i in (g..routes).step_by(4) {
            s.push_str(&format!(
                "\t@handler h{i}\n\tpost /g{g}/r{i}/:id (Req{i}) returns (Resp{i})\n\n"
            ));
        }
        s.push_str("}\n\n");
    }
    s
}

fn bench_file(label: &str, api: &Path, runs: usize) {
    let spec = apidsl::load_spec(api).unwrap();
    let routes: usize = spec.groups.iter().map(|g| g.routes.len()).sum();
    println!("\n{label}: {routes} routes, {} types", spec.types.len());
    let opts = CrateOptions {
        runtime: looklook_gen::codegen::RuntimeDep::Version("0.1".into()),
    };
    measure("parse + check (with imports)", runs, || {
        black_box(apidsl::load_spec(api).unwrap());
    });
    measure("generate (pure, no formatting)", runs, || {
        black_box(generate(&spec, &opts));
    });
    let plan = generate(&spec, &opts);
    measure("rustfmt over the generated .rs files", runs / 4, || {
        let mut p = plan.clone();
        looklook_gen::rustfmt::format_plan(&mut p, looklook_gen::rustfmt::needs_rustfmt).unwrap();
        black_box(p);
    });
    let out = tempfile::tempdir().unwrap();
    let gen_opts = |dir: PathBuf| GenApiOptions {
        api_file: api.to_path_buf(),
        out_dir: dir,
        runtime_path: None,
        plugins: Vec::new(),
    };
    let mut n = 0;
    measure("whole `gen api` into a new directory", runs / 4, || {
        n += 1;
        black_box(gen_api(&gen_opts(out.path().join(format!("fresh-{n}")))).unwrap());
    });
    let again = out.path().join("again");
    gen_api(&gen_opts(again.clone())).unwrap();
    measure("whole `gen api` again, nothing changed", runs / 4, || {
        black_box(gen_api(&gen_opts(again.clone())).unwrap());
    });
}

fn bench_proto(label: &str, file: &Path, runs: usize) {
    let proto = looklook_gen::proto::compile(file, &[]).unwrap();
    let methods: usize = proto.services.iter().map(|s| s.methods.len()).sum();
    println!(
        "\n{label}: {} services, {methods} methods",
        proto.services.len()
    );
    measure("compile .proto (protox, imports and WKT)", runs, || {
        black_box(looklook_gen::proto::compile(file, &[]).unwrap());
    });
    let opts = looklook_gen::codegen::CrateOptions {
        runtime: looklook_gen::codegen::RuntimeDep::Version("0.1".into()),
    };
    measure(
        "generate (prost + tonic + looklook, no formatting)",
        runs,
        || {
            black_box(looklook_gen::codegen::rpc::generate(&proto, "shop", &opts).unwrap());
        },
    );
    let out = tempfile::tempdir().unwrap();
    let mut n = 0;
    measure("whole `gen rpc` into a new directory", runs / 4, || {
        n += 1;
        let o = looklook_gen::generate::GenRpcOptions {
            proto_file: file.to_path_buf(),
            includes: Vec::new(),
            out_dir: out.path().join(format!("fresh-{n}")),
            runtime_path: None,
        };
        black_box(looklook_gen::generate::gen_rpc(&o).unwrap());
    });
}

/// A DDL file of `tables` tables shaped like looklook's: soft delete, a
/// version, a unique key, a composite unique key and a dozen columns.
fn synthetic_ddl(tables: usize) -> String {
    let mut s = String::new();
    for i in 0..tables {
        s.push_str(&format!(
            "CREATE TABLE `table_{i}` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,\n  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,\n  `delete_time` datetime NOT NULL DEFAULT '1970-01-01 08:00:00',\n  `del_state` tinyint NOT NULL DEFAULT '0',\n  `version` bigint NOT NULL DEFAULT '0',\n  `sn` char(25) NOT NULL DEFAULT '' COMMENT 'serial number',\n  `user_id` bigint NOT NULL DEFAULT '0',\n  `kind` varchar(16) NOT NULL DEFAULT '',\n  `title` varchar(255) NOT NULL DEFAULT '',\n  `amount` decimal(10,2) NOT NULL DEFAULT '0.00',\n  `count` int unsigned NOT NULL DEFAULT '0',\n  `remark` text,\n  `paid_at` datetime DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `idx_sn` (`sn`),\n  UNIQUE KEY `idx_user_kind` (`user_id`, `kind`),\n  KEY `idx_user` (`user_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='table {i}';\n\n"
        ));
    }
    s
}

fn bench_ddl(label: &str, file: &Path, runs: usize) {
    let text = std::fs::read_to_string(file).unwrap();
    let source = apidsl::SourceFile::new(file, text);
    let tables = looklook_gen::ddl::parse(&source).unwrap();
    println!("\n{label}: {} tables", tables.len());
    measure("parse DDL (sqlparser)", runs, || {
        black_box(looklook_gen::ddl::parse(&source).unwrap());
    });
    let opts = looklook_gen::codegen::model::ModelOptions {
        crate_name: "bench-model".into(),
        database: "bench".into(),
        cache: true,
        dialect: Default::default(),
        krate: CrateOptions {
            runtime: looklook_gen::codegen::RuntimeDep::Version("0.1".into()),
        },
    };
    measure("generate (pure, no formatting)", runs, || {
        black_box(looklook_gen::codegen::model::generate(&tables, &opts));
    });
    let out = tempfile::tempdir().unwrap();
    let mut n = 0;
    measure(
        "whole `gen model --cache` into a new directory",
        runs / 4,
        || {
            n += 1;
            let o = looklook_gen::generate::GenModelOptions {
                sql_file: file.to_path_buf(),
                sql_text: None,
                out_dir: out.path().join(format!("fresh-{n}")),
                cache: true,
                crate_name: None,
                database: None,
                runtime_path: None,
                types: Default::default(),
                dialect: Default::default(),
            };
            black_box(looklook_gen::generate::gen_model(&o).unwrap());
        },
    );
}

/// The clients of the reference system: OpenAPI (each service's document
/// and the merged one) and the TypeScript client of its four services.
fn bench_clients(runs: usize) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/looklook");
    let apis: Vec<PathBuf> = ["usercenter", "travel", "order", "payment"]
        .iter()
        .map(|s| examples.join(format!("{s}/{s}.api")))
        .collect();
    println!("\nreference system: OpenAPI and TypeScript of 4 services");
    measure("parse + check + OpenAPI + TS, as text", runs, || {
        let specs: Vec<_> = apis.iter().map(|a| apidsl::load_spec(a).unwrap()).collect();
        for spec in &specs {
            let doc = looklook_gen::codegen::openapi::document(spec, None);
            black_box(looklook_gen::codegen::openapi::to_yaml(&doc));
            black_box(looklook_gen::codegen::typescript::generate(spec));
        }
        let all: Vec<_> = specs.iter().map(|s| (s, None)).collect();
        let merged = looklook_gen::codegen::openapi::merged("all", &all, None);
        black_box(looklook_gen::codegen::openapi::to_yaml(&merged));
    });
    let out = tempfile::tempdir().unwrap();
    let mut n = 0;
    measure(
        "whole `gen openapi` + `gen ts`, 4 files, written",
        runs / 4,
        || {
            n += 1;
            let dir = out.path().join(format!("fresh-{n}"));
            for api in &apis {
                let name = api.file_stem().unwrap().to_string_lossy();
                looklook_gen::generate::gen_openapi(&looklook_gen::generate::GenOpenapiOptions {
                    api_file: api.clone(),
                    out_file: dir.join(format!("{name}.yaml")),
                    server: None,
                })
                .unwrap();
                looklook_gen::generate::gen_ts(&looklook_gen::generate::GenTsOptions {
                    api_file: api.clone(),
                    out_dir: dir.join("ts"),
                })
                .unwrap();
            }
        },
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sample/bookstore.api");
    bench_file("examples/sample/bookstore.api", &root, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bench.api");
    std::fs::write(&file, synthetic(20)).unwrap();
    bench_file("synthetic 20-route file", &file, 200);
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sample/proto/shop.proto");
    bench_proto("examples/sample/proto/shop.proto", &shop, 100);
    let ddl = dir.path().join("bench.sql");
    std::fs::write(&ddl, synthetic_ddl(10)).unwrap();
    bench_ddl("synthetic 10-table file", &ddl, 100);
    bench_clients(200);
}
