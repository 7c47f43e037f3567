//! `looklook up`, `ps`, `logs` and `down` on the native engine, with the
//! real MariaDB and Redis servers installed by scripts/setup.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{examples, free_port};

fn looklook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "failed:\n{stdout}{stderr}");
    (stdout, stderr)
}

fn sql(port: u16, query: &str) -> String {
    let out = Command::new("mariadb")
        .args([
            "--no-defaults",
            "-h127.0.0.1",
            "-uroot",
            "-ppw",
            "-N",
            "shop",
            "-e",
            query,
        ])
        .arg(format!("-P{port}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stack(mysql: u16, redis: u16, redis_env: &str) -> String {
    format!(
        r#"project = "it"

[services.mysql]
image = "mysql:8.0"
env = {{ MYSQL_ROOT_PASSWORD = "pw" }}
ports = ["127.0.0.1:{mysql}:3306"]
ready = {{ tcp = 3306, successes = 2, timeout_secs = 30 }}
init = [{{ database = "shop", sql = ["shop.sql"] }}]

[services.redis]
image = "redis:7"
ports = ["{redis}:6379"]
env = {{ {redis_env} }}
ready = {{ tcp = 6379 }}

[services.app]
image = "busybox"
depends_on = ["mysql", "redis"]
"#
    )
}

#[test]
fn native_up_ps_logs_down_and_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (mysql, redis) = (free_port(), free_port());
    fs::copy(examples().join("sample/sql/shop.sql"), d.join("shop.sql")).unwrap();
    fs::write(d.join("looklook.stack.toml"), stack(mysql, redis, "")).unwrap();

    let (table, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("init      mysql: database `shop`: shop.sql"),
        "{progress}"
    );
    assert!(
        progress.contains("skipped   app: no native server for image `busybox`"),
        "{progress}"
    );
    let order: Vec<&str> = progress
        .lines()
        .filter(|l| l.starts_with("ready"))
        .collect();
    assert!(
        order[0].contains("mysql") && order[1].contains("redis"),
        "{progress}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("mysql")
            && l.contains("running")
            && l.contains(&format!("127.0.0.1:{mysql}"))),
        "{table}"
    );
    assert_eq!(sql(mysql, "SHOW TABLES"), "product\nuser\nuser_auth");
    sql(mysql, "INSERT INTO user (mobile) VALUES ('13800000000')");

    // Nothing changed: nothing restarts, init does not run again.
    let (_, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("unchanged mysql") && progress.contains("unchanged redis"),
        "{progress}"
    );
    assert!(!progress.contains("init"), "{progress}");

    let (ps, _) = ok(&looklook(d, &["ps"]));
    for service in ["mysql", "redis"] {
        let line = ps.lines().find(|l| l.starts_with(service)).unwrap();
        assert!(line.contains("running   yes"), "{ps}");
    }
    let (logs, _) = ok(&looklook(d, &["logs", "redis"]));
    assert!(logs.lines().all(|l| l.starts_with("redis | ")), "{logs}");
    assert!(logs.contains("Ready to accept connections"), "{logs}");

    // A changed definition restarts that service only.
    fs::write(
        d.join("looklook.stack.toml"),
        stack(mysql, redis, r#"REDIS_PASSWORD = "secret""#),
    )
    .unwrap();
    let (_, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("unchanged mysql") && progress.contains("restarted redis"),
        "{progress}"
    );

    let (stopped, _) = ok(&looklook(d, &["down"]));
    assert_eq!(stopped, "stopped mysql\nstopped redis\n");
    let (ps, _) = ok(&looklook(d, &["ps"]));
    assert!(
        ps.lines().filter(|l| l.contains("stopped")).count() == 2,
        "{ps}"
    );

    // Up again: the data is still there and init does not run twice.
    let (_, progress) = ok(&looklook(d, &["up", "mysql"]));
    assert!(
        !progress.contains("init") && !progress.contains("redis"),
        "{progress}"
    );
    assert_eq!(sql(mysql, "SELECT mobile FROM user"), "13800000000");

    // A port that is taken is named.
    let _squatter = TcpListener::bind(("127.0.0.1", redis)).unwrap();
    let out = looklook(d, &["up", "redis"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{redis}, which something else is using")),
        "{err}"
    );

    ok(&looklook(d, &["down", "-v"]));
    assert!(!d.join(".looklook/mysql").exists());
}
