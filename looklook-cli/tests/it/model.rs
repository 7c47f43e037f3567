//! `gen model` for real: snapshots of the crate generated from the shop
//! sample, then the cached and the uncached crate built clippy-clean and
//! exercised against MariaDB and Redis by the driver in `tests/model-driver`.

use std::fs;
use std::path::Path;
use std::process::Command;

use looklook_gen::apidsl::SourceFile;
use looklook_gen::codegen::model::{ModelOptions, generate};
use looklook_gen::codegen::{CrateOptions, RuntimeDep};
use looklook_gen::ddl::Dialect;
use looklook_gen::generate::{GenModelOptions, gen_model};

use crate::support::{assert_plan, cargo, copy_tree, crates_target, examples, workspace};

fn shop_sql() -> std::path::PathBuf {
    examples().join("sample/sql/shop.sql")
}

fn shop_pg_sql() -> std::path::PathBuf {
    examples().join("sample/sql/postgres/shop.sql")
}

fn plan(cache: bool) -> looklook_gen::codegen::FilePlan {
    plan_of(&shop_sql(), Dialect::MySql, cache)
}

fn plan_of(sql: &Path, dialect: Dialect, cache: bool) -> looklook_gen::codegen::FilePlan {
    let text = fs::read_to_string(sql).unwrap();
    let (tables, _) = looklook_gen::ddl::parse_in(
        dialect,
        &SourceFile::new("shop.sql", text),
        &Default::default(),
    )
    .unwrap();
    let opts = ModelOptions {
        crate_name: "shop-model".into(),
        database: "shop".into(),
        cache,
        dialect,
        krate: CrateOptions {
            runtime: RuntimeDep::Path("../looklook-runtime".into()),
        },
    };
    let mut plan = generate(&tables, &opts);
    looklook_gen::rustfmt::format_plan(&mut plan, looklook_gen::rustfmt::needs_rustfmt).unwrap();
    plan
}

#[test]
fn every_generated_file_of_the_shop_model() {
    assert_plan("shop_model", &plan(true));
    // Without the cache only the generated files differ.
    let mut plain = plan(false);
    plain
        .files
        .retain(|f| f.path.to_string_lossy().ends_with("_gen.rs"));
    assert_plan("shop_model_plain", &plain);
    // The PostgreSQL sample: the same API, PostgreSQL's SQL.
    assert_plan(
        "shop_model_postgres",
        &plan_of(&shop_pg_sql(), Dialect::Postgres, true),
    );
}

#[test]
fn a_failed_generation_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    let opts = GenModelOptions {
        sql_file: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ddl/unsupported.sql"),
        sql_text: None,
        out_dir: out.clone(),
        cache: true,
        crate_name: None,
        database: None,
        runtime_path: None,
        types: Default::default(),
        dialect: Default::default(),
    };
    let err = gen_model(&opts).unwrap_err().to_string();
    assert!(err.contains("4 errors"), "{err}");
    assert!(!out.exists());
}

/// Generate the cached crate and an uncached one side by side, and the
/// PostgreSQL sample's crate, put the driver next to them in a workspace of
/// their own, then lint it and run both of its suites (one cargo run).
#[test]
fn generated_models_work_against_mariadb_postgres_and_redis() {
    let root = crates_target().join("model");
    fs::create_dir_all(&root).unwrap();
    for (name, sql, cache, dialect) in [
        ("shop-model", shop_sql(), true, Dialect::MySql),
        ("shop-model-plain", shop_sql(), false, Dialect::MySql),
        ("shop-pg-model", shop_pg_sql(), true, Dialect::Postgres),
    ] {
        let opts = GenModelOptions {
            sql_file: sql,
            sql_text: None,
            out_dir: root.join(name),
            cache,
            crate_name: Some(name.into()),
            database: Some("shop".into()),
            runtime_path: None,
            types: Default::default(),
            dialect,
        };
        gen_model(&opts).unwrap();
    }
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/model-driver");
    copy_tree(&driver, &root.join("driver"));
    fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"driver\", \"shop-model\", \"shop-model-plain\", \"shop-pg-model\"]\n",
    )
    .unwrap();
    fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();

    cargo(
        &root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ],
    );
    let out = Command::new(env!("CARGO"))
        .args([
            "test",
            "-p",
            "model-driver",
            "--test",
            "model",
            "--test",
            "postgres",
        ])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", crates_target())
        .env("LOOKLOOK_SHOP_SQL", shop_sql())
        .env("LOOKLOOK_SHOP_PG_SQL", shop_pg_sql())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the model driver failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // MariaDB's suite, then PostgreSQL's.
    assert!(stdout.contains("test result: ok. 13 passed"), "{stdout}");
    assert!(stdout.contains("test result: ok. 4 passed"), "{stdout}");
}

/// Every file under `dir`, by path, with its bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// `looklook gen model SOURCE… -o OUT` in `dir`: the shop sample's cached
/// crate, from a file or a live database.
fn gen_shop_model(dir: &Path, source: &[&str], out: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args(["gen", "model"])
        .args(source)
        .args(["-o", out, "--cache", "--crate-name", "shop-model"])
        .args(["--database", "shop", "--runtime-path"])
        .arg(workspace().join("looklook-runtime"))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The crate in `dir/live` (from the database) is the one in `dir/file`
/// (from the DDL file), byte for byte.
fn assert_same_crate(dir: &Path) {
    let (live, file) = (tree(&dir.join("live")), tree(&dir.join("file")));
    assert_eq!(live.len(), 8, "{:?}", live.keys());
    for (path, bytes) in &file {
        assert!(
            live.get(path) == Some(bytes),
            "{path} differs:\n{}",
            live.get(path)
                .map(|b| String::from_utf8_lossy(b))
                .unwrap_or_default()
        );
    }
    assert_eq!(
        live.keys().collect::<Vec<_>>(),
        file.keys().collect::<Vec<_>>()
    );
}

/// `gen model --datasource`: a database made from the shop sample, read
/// back live from the real MariaDB, gives the crate the file gives, byte for
/// byte; `--table` picks tables by glob.
#[test]
fn a_live_database_generates_the_crate_its_ddl_does() {
    let server =
        std::env::var("LOOKLOOK_TEST_MYSQL").expect("LOOKLOOK_TEST_MYSQL: run `scripts/infra up`");
    let db = format!("datasource_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::MySqlConnection::connect(&server).await.unwrap();
        let ddl = fs::read_to_string(shop_sql()).unwrap();
        let create = format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}; USE {db}; {ddl}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let gen_model = |source: &[&str], out: &str| gen_shop_model(dir.path(), source, out);
    let url = format!("{server}/{db}");
    gen_model(&["--datasource", &url], "live");
    gen_model(&[shop_sql().to_str().unwrap()], "file");
    assert_same_crate(dir.path());

    gen_model(&["--datasource", &url, "--table", "user*"], "users");
    let users = tree(&dir.path().join("users"));
    assert!(
        users.contains_key("src/user_auth_gen.rs"),
        "{:?}",
        users.keys()
    );
    assert!(
        !users.contains_key("src/product_gen.rs"),
        "{:?}",
        users.keys()
    );
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::MySqlConnection::connect(&server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}

/// `gen model --datasource postgres://…`: a database made from the
/// PostgreSQL sample (an enum type, indexes, comments, serial and identity
/// keys), read back from its catalogue, gives the crate the file gives,
/// byte for byte; the dialect comes from the URL.
#[test]
fn a_live_postgres_database_generates_the_crate_its_ddl_does() {
    let server = std::env::var("LOOKLOOK_TEST_POSTGRES")
        .expect("LOOKLOOK_TEST_POSTGRES: run `scripts/infra up`");
    let db = format!("datasource_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = |sql: String| {
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        })
    };
    admin(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    admin(format!("CREATE DATABASE {db}"));
    let url = format!("{server}/{db}");
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let ddl = fs::read_to_string(shop_pg_sql()).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let gen_model = |source: &[&str], out: &str| gen_shop_model(dir.path(), source, out);
    gen_model(&["--datasource", &url], "live");
    let file = shop_pg_sql();
    gen_model(&[file.to_str().unwrap(), "--dialect", "postgres"], "file");
    assert_same_crate(dir.path());
    // A dialect that contradicts the URL is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args([
            "gen",
            "model",
            "--datasource",
            &url,
            "--dialect",
            "mysql",
            "-o",
            "x",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
    admin(format!("DROP DATABASE {db} WITH (FORCE)"));
}
