//! What the model tests and the benchmark share: a fresh database per test
//! (MariaDB or PostgreSQL, the sample DDL loaded into it), a Redis cache on
//! a database of its own, and a count of the statements the database really
//! ran.

use std::time::Duration;

use looklook_runtime::model::{Cache, CacheConf, SqlConf};
use sqlx::{AssertSqlSafe, MySqlPool, PgPool};

/// `mysql://root:pw@127.0.0.1:43306`, from `scripts/infra`.
pub fn mysql_url() -> String {
    std::env::var("LOOKLOOK_TEST_MYSQL").expect(
        "LOOKLOOK_TEST_MYSQL is not set: run `scripts/infra up` and source target/infra/env",
    )
}

/// `redis://127.0.0.1:46379`, from `scripts/infra`.
pub fn redis_url() -> String {
    std::env::var("LOOKLOOK_TEST_REDIS").expect(
        "LOOKLOOK_TEST_REDIS is not set: run `scripts/infra up` and source target/infra/env",
    )
}

/// A database of one test, with the sample's tables.
pub struct TestDb {
    pub name: String,
    pub pool: MySqlPool,
    admin: MySqlPool,
}

impl TestDb {
    /// Drop and create `looklook_t_<tag>`, load the sample DDL into it.
    pub async fn fresh(tag: &str) -> TestDb {
        let name = format!("looklook_t_{tag}");
        let admin = SqlConf::new(mysql_url()).connect_lazy().unwrap();
        let ddl = std::env::var("LOOKLOOK_SHOP_SQL").expect("LOOKLOOK_SHOP_SQL: the sample DDL");
        let ddl = std::fs::read_to_string(ddl).unwrap();
        let reset = format!("DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`;");
        sqlx::raw_sql(AssertSqlSafe(reset))
            .execute(&admin)
            .await
            .unwrap();
        let pool = SqlConf::new(format!("{}/{name}", mysql_url()))
            .connect_lazy()
            .unwrap();
        sqlx::raw_sql(AssertSqlSafe(ddl))
            .execute(&pool)
            .await
            .unwrap();
        TestDb { name, pool, admin }
    }

    /// How many statements this database's connections have run so far,
    /// from performance_schema: what MariaDB did, not what the client
    /// believes it asked. (Prepared statements are counted per connection
    /// as `statement/com/Execute`; they have no digest in MariaDB.)
    ///
    /// A statement is counted when the server finishes it, which can be a
    /// moment after the client has its rows: read until the count settles.
    pub async fn statements(&self) -> u64 {
        settled(|| self.statements_now()).await
    }

    async fn statements_now(&self) -> u64 {
        let total: Option<rust_decimal::Decimal> = sqlx::query_scalar(
            "SELECT SUM(s.COUNT_STAR) \
             FROM performance_schema.events_statements_summary_by_thread_by_event_name s \
             JOIN performance_schema.threads t ON t.THREAD_ID = s.THREAD_ID \
             WHERE t.PROCESSLIST_DB = ? AND s.EVENT_NAME = 'statement/com/Execute'",
        )
        .bind(&self.name)
        .fetch_one(&self.admin)
        .await
        .unwrap();
        total.map_or(0, |t| t.try_into().unwrap())
    }
}

/// A count read again every 50 ms until two readings agree.
async fn settled<T: PartialEq, F: Future<Output = T>>(read: impl Fn() -> F) -> T {
    let mut last = read().await;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = read().await;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// A cache on Redis database `db` (each test has its own, so keys of
/// tests running side by side never meet), emptied first.
pub async fn fresh_cache(url: &str, db: u8) -> Cache {
    let url = format!("{url}/{db}");
    flush(&url).await;
    Cache::new(&CacheConf::new(url)).unwrap()
}

/// `FLUSHDB` through redis-cli (the driver needs no Redis client of its own).
pub async fn flush(url: &str) {
    redis_cli(url, &["FLUSHDB"]).await;
}

/// Run one redis-cli command and return its output.
pub async fn redis_cli(url: &str, args: &[&str]) -> String {
    let out = tokio::process::Command::new("redis-cli")
        .arg("-u")
        .arg(url)
        .args(args)
        .output()
        .await
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A Redis server of one test's own, to stop and start at will.
pub struct OwnRedis {
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl OwnRedis {
    pub async fn start(port: u16) -> OwnRedis {
        let child = tokio::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let url = format!("redis://127.0.0.1:{port}");
        for _ in 0..200 {
            if redis_cli(&url, &["PING"]).await == "PONG" {
                return OwnRedis {
                    port,
                    child: Some(child),
                };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("redis-server on {port} did not start");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }
}

/// `postgres://postgres:pw@127.0.0.1:45432`, from `scripts/infra`.
pub fn postgres_url() -> String {
    std::env::var("LOOKLOOK_TEST_POSTGRES").expect(
        "LOOKLOOK_TEST_POSTGRES is not set: run `scripts/infra up` and source target/infra/env",
    )
}

/// A PostgreSQL database of one test, with the PostgreSQL sample's tables.
pub struct PgTestDb {
    pub name: String,
    pub pool: PgPool,
    admin: PgPool,
}

impl PgTestDb {
    /// Drop and create `looklook_t_<tag>`, load the sample DDL into it.
    pub async fn fresh(tag: &str) -> PgTestDb {
        let name = format!("looklook_t_{tag}");
        let admin = SqlConf::new(format!("{}/postgres", postgres_url()))
            .connect_lazy_postgres()
            .unwrap();
        // Tests start side by side: one of them creates the extension,
        // the others may lose that race harmlessly.
        let _ = sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&admin)
            .await;
        for reset in [
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{name}\""),
        ] {
            sqlx::raw_sql(AssertSqlSafe(reset))
                .execute(&admin)
                .await
                .unwrap();
        }
        let ddl = std::env::var("LOOKLOOK_SHOP_PG_SQL").expect("LOOKLOOK_SHOP_PG_SQL: the DDL");
        let pool = SqlConf::new(format!("{}/{name}", postgres_url()))
            .connect_lazy_postgres()
            .unwrap();
        sqlx::raw_sql(AssertSqlSafe(std::fs::read_to_string(ddl).unwrap()))
            .execute(&pool)
            .await
            .unwrap();
        PgTestDb { name, pool, admin }
    }

    /// How many statements the server has run in this database, from
    /// pg_stat_statements (read until the count settles, as for MariaDB).
    pub async fn statements(&self) -> i64 {
        settled(|| self.statements_now()).await
    }

    async fn statements_now(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s \
             JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1",
        )
        .bind(&self.name)
        .fetch_one(&self.admin)
        .await
        .unwrap()
    }
}
