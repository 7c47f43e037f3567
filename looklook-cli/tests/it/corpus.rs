//! Broken definition files: each states the errors it must produce, with
//! their positions, in `// expect: LINE:COL message` comments. Files whose
//! name starts with `_` are only imported by others.

use std::fs;
use std::path::Path;

use looklook_gen::apidsl;

use crate::support::{brief, copy_tree};

#[test]
fn every_broken_file_reports_its_errors_where_they_are() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken");
    let mut cases = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('_') || path.extension().is_none_or(|e| e != "api") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let expected: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// expect: "))
            // An error in another file names it: `_other.api:1:8 ...`.
            .map(|e| {
                if e.split(' ').next().is_some_and(|w| w.contains(".api:")) {
                    e.to_string()
                } else {
                    format!("{name}:{e}")
                }
            })
            .collect();
        assert!(!expected.is_empty(), "{name} states no expected error");
        let err = apidsl::load_spec(&path).expect_err(&name);
        assert_eq!(brief(&err), expected, "{name}");
        for d in err.iter() {
            assert!(
                !d.line_text.trim().is_empty(),
                "{name}: the offending line is shown"
            );
        }
        cases += 1;
    }
    assert!(cases >= 15, "the corpus has {cases} cases");
}

#[test]
fn rendered_errors_show_the_file_position_line_and_caret() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken/unresolved_type.api");
    let err = apidsl::load_spec(&path).unwrap_err();
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &err)
        .unwrap();
    assert!(
        out.contains("unresolved_type.api:4:7: unresolved type `Usr`"),
        "{out}"
    );
    assert!(out.contains("User Usr `json:\"user\"`"), "{out}");
    assert!(out.contains("did you mean `User`?"), "{out}");
}

/// The reference system's definitions (examples/looklook) load cleanly and
/// have what the original has, and what was added to it: 20 routes (7
/// behind JWT; a guest's cancel and WeChat Pay's refund notification are
/// new), 18 RPC methods (the original's 15, binding a WeChat login, and
/// closing and refunding a payment), 9 tables with 130 columns.
#[test]
fn the_reference_system_definitions_are_complete() {
    let dir = crate::support::examples().join("looklook");
    let services = ["usercenter", "travel", "order", "payment"];
    let (mut routes, mut protected, mut methods, mut tables, mut columns) = (0, 0, 0, 0, 0);
    for service in services {
        let base = dir.join(service).join(service);
        let spec = apidsl::load_spec(&base.with_extension("api"))
            .unwrap_or_else(|e| panic!("{service}.api: {:?}", brief(&e)));
        assert_eq!(spec.name, service);
        for group in &spec.groups {
            routes += group.routes.len();
            if group.jwt.is_some() {
                protected += group.routes.len();
            }
        }
        let proto = looklook_gen::proto::compile(&base.with_extension("proto"), &[])
            .unwrap_or_else(|e| panic!("{service}.proto: {:?}", brief(&e)));
        methods += proto
            .services
            .iter()
            .map(|s| s.methods.len())
            .sum::<usize>();
        let sql = base.with_extension("sql");
        let file = apidsl::SourceFile::new(&sql, fs::read_to_string(&sql).unwrap());
        let parsed = looklook_gen::ddl::parse(&file)
            .unwrap_or_else(|e| panic!("{service}.sql: {:?}", brief(&e)));
        tables += parsed.len();
        columns += parsed.iter().map(|t| t.columns.len()).sum::<usize>();
    }
    assert_eq!((routes, protected), (20, 7));
    assert_eq!(methods, 18);
    assert_eq!((tables, columns), (9, 130));
}

/// Each reference service's README names every route and RPC method of its
/// definitions and every config key of its processes (past the header every
/// service shares), so a learner reading it misses nothing and it cannot
/// fall behind an edit of the definitions.
#[test]
fn every_service_readme_names_its_routes_methods_and_config_keys() {
    let root = crate::support::workspace();
    let header = [
        "Name",
        "Mode",
        "Host",
        "Port",
        "ListenOn",
        "Timeout",
        "Log",
        "Prometheus",
        "Telemetry",
    ];
    for service in ["usercenter", "travel", "order", "payment", "mqueue"] {
        let dir = root.join("services").join(service);
        let readme = fs::read_to_string(dir.join("README.md"))
            .unwrap_or_else(|e| panic!("services/{service}/README.md: {e}"));
        let mut names = Vec::new();
        let defs = root.join("examples/looklook").join(service).join(service);
        if defs.with_extension("api").exists() {
            let spec = apidsl::load_spec(&defs.with_extension("api")).unwrap();
            names.extend(spec.routes().map(|(_, r)| r.handler.clone()));
            let proto = looklook_gen::proto::compile(&defs.with_extension("proto"), &[]).unwrap();
            names.extend(
                proto
                    .services
                    .iter()
                    .flat_map(|s| s.methods.iter().map(|m| m.name.clone())),
            );
        }
        for process in fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            let Ok(etc) = fs::read_dir(process.join("etc")) else {
                continue;
            };
            for yaml in etc.map(|e| e.unwrap().path()) {
                let text = fs::read_to_string(&yaml).unwrap();
                names.extend(
                    text.lines()
                        .filter_map(|l| l.split_once(':').map(|(k, _)| k))
                        .filter(|k| k.starts_with(|c: char| c.is_ascii_uppercase()))
                        .filter(|k| !header.contains(k))
                        .map(str::to_string),
                );
            }
        }
        assert!(names.len() > 3, "{service}: {names:?}");
        let missing: Vec<_> = names
            .iter()
            .filter(|n| !readme.contains(&format!("`{n}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "services/{service}/README.md does not name {missing:?}"
        );
    }
}

/// `looklook gen` over the repository's manifest changes nothing: the
/// checked-in services/ are exactly what the generators make of
/// examples/looklook, and the Prometheus targets what they make of the
/// processes (run on a copy, so a failure leaves the tree alone).
#[test]
fn the_checked_in_services_are_what_looklook_gen_makes() {
    let root = crate::support::workspace();
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(root.join("looklook.toml"), tmp.path().join("looklook.toml")).unwrap();
    copy_tree(
        &root.join("examples/looklook"),
        &tmp.path().join("examples/looklook"),
    );
    copy_tree(&root.join("services"), &tmp.path().join("services"));
    copy_tree(
        &root.join("observability/prometheus"),
        &tmp.path().join("observability/prometheus"),
    );
    copy_tree(&root.join("docs/api"), &tmp.path().join("docs/api"));
    copy_tree(&root.join("clients/ts"), &tmp.path().join("clients/ts"));
    copy_tree(&root.join("deploy"), &tmp.path().join("deploy"));
    fs::copy(root.join(".dockerignore"), tmp.path().join(".dockerignore")).unwrap();
    let reports = looklook_gen::generate::gen_all(&tmp.path().join("looklook.toml")).unwrap();
    assert_eq!(
        reports.len(),
        18,
        "api, rpc and model for four services, the OpenAPI documents, the TypeScript client, the gateway's config, the Kubernetes manifests, the Dockerfiles and Prometheus's targets"
    );
    for (name, report) in reports {
        assert!(
            report.created.is_empty()
                && report.updated.is_empty()
                && report.modules_extended.is_empty(),
            "regenerating {name} changed it; run `looklook gen` and commit:\n{report}"
        );
    }
}

/// A broken definition in the last service stops `looklook gen` before it
/// writes anything: no crate of an earlier service is regenerated, and no
/// runtime is vendored (the copy is outside this repository).
#[test]
fn a_broken_definition_leaves_every_crate_as_it_was() {
    let root = crate::support::workspace();
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(root.join("looklook.toml"), tmp.path().join("looklook.toml")).unwrap();
    copy_tree(
        &root.join("examples/looklook"),
        &tmp.path().join("examples/looklook"),
    );
    copy_tree(&root.join("services"), &tmp.path().join("services"));
    let generated = tmp.path().join("services/usercenter/api/src/types.rs");
    fs::remove_file(&generated).unwrap();
    fs::write(
        tmp.path().join("examples/looklook/payment/payment.sql"),
        "CREATE TABLE `third_payment` (`id` nonsense);\n",
    )
    .unwrap();
    let err = looklook_gen::generate::gen_all(&tmp.path().join("looklook.toml")).unwrap_err();
    assert!(
        err.to_string().contains("payment.sql") || format!("{err:?}").contains("payment.sql"),
        "{err:?}"
    );
    assert!(
        !generated.exists(),
        "usercenter/api was written before the error"
    );
    assert!(
        !tmp.path().join("vendor").exists(),
        "the runtime was vendored"
    );
}
