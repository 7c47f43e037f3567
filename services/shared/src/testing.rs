//! A service's tests run against real servers: the MariaDB and Redis that
//! `scripts/infra up` starts and names in `target/infra/env`
//! (`LOOKLOOK_TEST_MYSQL`, `LOOKLOOK_TEST_REDIS`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `scripts/infra up` and source target/infra/env")
    })
}

/// Drop and create database `name`, run the SQL files (relative to the
/// repository's `examples/looklook/`) in it, and return its URL.
pub async fn fresh_database(name: &str, sql_files: &[&str]) -> String {
    let server = env("LOOKLOOK_TEST_MYSQL");
    let admin = sqlx::MySqlPool::connect(&server).await.unwrap();
    let reset = format!("DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`;");
    sqlx::raw_sql(sqlx::AssertSqlSafe(reset))
        .execute(&admin)
        .await
        .unwrap();
    let url = format!("{server}/{name}");
    let db = sqlx::MySqlPool::connect(&url).await.unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/looklook");
    for file in sql_files {
        let sql =
            std::fs::read_to_string(examples.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&db)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    url
}

/// Empty Redis database `db` (each test binary takes its own) and return
/// its URL.
pub fn empty_cache(db: u8) -> String {
    let url = format!("{}/{db}", env("LOOKLOOK_TEST_REDIS"));
    let out = std::process::Command::new("redis-cli")
        .args(["-u", &url, "FLUSHDB"])
        .output()
        .expect("redis-cli");
    assert!(out.status.success(), "FLUSHDB on {url} failed");
    url
}

/// A listener on a free port of 127.0.0.1 and its `host:port`, for a
/// server a test starts in-process.
pub async fn local_listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

/// The Kafka brokers of `scripts/infra up`.
pub fn kafka_brokers() -> Vec<String> {
    vec![env("LOOKLOOK_TEST_KAFKA")]
}

/// A service binary running for a test; killed when dropped.
pub struct Service {
    child: Child,
    pub port: u16,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two different free ports (both listeners are held until both are
/// picked, so the second cannot repeat the first).
fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// Start the binary `exe` in `dir` (where its `etc/` is) with `env`, on
/// free ports (`PORT`, `METRICS_PORT`), once it accepts connections.
pub async fn start_service(exe: &str, dir: &str, env: &[(&str, &str)]) -> Service {
    let (port, metrics) = free_ports();
    let child = Command::new(exe)
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("METRICS_PORT", metrics.to_string())
        // The tests use short secrets of their own (`env` may say otherwise).
        .env("LOOKLOOK_MODE", "dev")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{exe}: {e}"));
    let service = Service { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{exe} never listened on {port}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    service
}
