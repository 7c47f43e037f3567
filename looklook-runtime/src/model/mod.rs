//! What generated model crates link: the MySQL and PostgreSQL pools,
//! transactions that models join, the filter builder for custom queries,
//! and the Redis cache-aside layer.
//!
//! A model owns a pool ([`sqlx::MySqlPool`] or [`sqlx::PgPool`], the
//! [`Backend`] it was generated for) and, when it was generated with
//! `--cache`, a [`Cache`]. Writes go to the database first; the cache keys
//! of the rows they touch are deleted afterwards (after the commit, inside
//! [`transact`]).

mod cache;
mod filter;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use serde::Deserialize;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Database, MySql, MySqlPool, PgPool, Pool, Postgres};

use crate::resilience::{Breaker, Breakers};

pub use cache::{Cache, CacheConf, CacheStats, Lookup, key};
pub use filter::{Column, Filter, Order, Value};

/// What a model call can fail with. A missing row is not an error: finders
/// return `Option`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `update_with_version` found the row at another version: someone else
    /// wrote it since it was read. Read it again and retry.
    #[error("`{table}` row {id} was changed by another writer (expected version {version})")]
    VersionConflict {
        table: &'static str,
        id: String,
        version: i64,
    },
    /// An update or delete matched no row.
    #[error("`{table}` has no row {id}")]
    NoRow { table: &'static str, id: String },
    /// A page past the deepest one served, or of more rows than a page may
    /// have: the caller's mistake (or an attempt to overflow the offset).
    #[error(
        "page {page} of {page_size} rows is out of range (pages hold 1 to {MAX_PAGE_SIZE} rows and start within the first {MAX_OFFSET})"
    )]
    Page { page: u64, page_size: u64 },
    /// The database has been failing (no connection, no answer), and its
    /// breaker refused this call without trying: see [`guarded`].
    #[error("{database} is failing: calls are refused for a moment (circuit breaker)")]
    Refused { database: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most rows one page holds.
pub const MAX_PAGE_SIZE: u64 = 1000;
/// The most rows a page may skip: deeper pages make the database read and
/// throw away that many rows, so they are refused (keyset paging, by
/// `find_page_by_id_desc`, has no such cost).
pub const MAX_OFFSET: u64 = 100_000;

/// The rows page `page` (from 1) of `page_size` rows skips. Pages of no row
/// or more than [`MAX_PAGE_SIZE`], and pages that start past [`MAX_OFFSET`]
/// (or past `u64::MAX`) are refused.
pub fn page_offset(page: u64, page_size: u64) -> Result<u64> {
    check_page_size(page_size)?;
    page.saturating_sub(1)
        .checked_mul(page_size)
        .filter(|offset| *offset <= MAX_OFFSET)
        .ok_or(Error::Page { page, page_size })
}

/// A keyset page's size: 1 to [`MAX_PAGE_SIZE`] rows.
pub fn check_page_size(page_size: u64) -> Result<()> {
    match page_size {
        1..=MAX_PAGE_SIZE => Ok(()),
        _ => Err(Error::Page { page: 1, page_size }),
    }
}

/// A database server a model can be generated for: what differs between
/// MySQL and PostgreSQL once the SQL is written (the generator writes each
/// its own SQL).
pub trait Backend: Database<Arguments: sqlx::IntoArguments<Self>> {
    /// `mysql` or `postgres`, in breaker names.
    const SCHEME: &'static str;
    /// A pool for `conf`, connecting on first use.
    fn connect_lazy(conf: &SqlConf) -> Result<Pool<Self>, sqlx::Error>;
    /// `host:port/database` of the server a pool connects to.
    fn address(pool: &Pool<Self>) -> String;
}

impl Backend for MySql {
    const SCHEME: &'static str = "mysql";

    fn connect_lazy(conf: &SqlConf) -> Result<MySqlPool, sqlx::Error> {
        let mut options: MySqlConnectOptions = conf.data_source.parse()?;
        if let Some(tz) = &conf.time_zone {
            options = options.timezone(Some(tz.clone()));
        }
        Ok(conf.pool_options().connect_lazy_with(options))
    }

    fn address(pool: &MySqlPool) -> String {
        let o = pool.connect_options();
        address(o.get_host(), o.get_port(), o.get_database())
    }
}

impl Backend for Postgres {
    const SCHEME: &'static str = "postgres";

    fn connect_lazy(conf: &SqlConf) -> Result<PgPool, sqlx::Error> {
        let mut options: PgConnectOptions = conf.data_source.parse()?;
        if let Some(tz) = &conf.time_zone {
            // What `now()` shows and `timestamp` columns read in; a
            // `timestamptz` is an instant whatever the zone.
            options = options.options([("TimeZone", tz.as_str())]);
        }
        Ok(conf.pool_options().connect_lazy_with(options))
    }

    fn address(pool: &PgPool) -> String {
        let o = pool.connect_options();
        address(o.get_host(), o.get_port(), o.get_database())
    }
}

/// `host:port/database`, as breaker names show a server.
fn address(host: &str, port: u16, database: Option<&str>) -> String {
    format!("{host}:{port}/{}", database.unwrap_or_default())
}

/// The `DB` section of a service config.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SqlConf {
    /// `mysql://user:password@host:port/database`, or `postgres://…`
    pub data_source: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// How long to wait for a free connection before failing, in milliseconds.
    #[serde(default = "default_acquire_timeout")]
    pub acquire_timeout_ms: u64,
    /// Every session's time zone (`+08:00`): what `CURRENT_TIMESTAMP`
    /// fills a DATETIME column with, and what `NOW()` means. Default: UTC
    /// (sqlx sets `+00:00`), whatever zone the server runs in.
    #[serde(default)]
    pub time_zone: Option<String>,
}

fn default_max_connections() -> u32 {
    16
}

fn default_acquire_timeout() -> u64 {
    3000
}

impl SqlConf {
    pub fn new(data_source: impl Into<String>) -> Self {
        SqlConf {
            data_source: data_source.into(),
            max_connections: default_max_connections(),
            acquire_timeout_ms: default_acquire_timeout(),
            time_zone: None,
        }
    }

    /// The same, with sessions in `time_zone` (`+08:00`).
    pub fn in_time_zone(&self, time_zone: &str) -> SqlConf {
        SqlConf {
            time_zone: Some(time_zone.to_string()),
            ..self.clone()
        }
    }

    /// The database name in the data source, used in cache keys.
    pub fn database(&self) -> Result<String, sqlx::Error> {
        if self.data_source.starts_with("postgres") {
            let options: PgConnectOptions = self.data_source.parse()?;
            return Ok(options.get_database().unwrap_or_default().to_string());
        }
        let options: MySqlConnectOptions = self.data_source.parse()?;
        Ok(options.get_database().unwrap_or_default().to_string())
    }

    /// The pool settings of this section, for either database.
    fn pool_options<DB: Database>(&self) -> PoolOptions<DB> {
        PoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(Duration::from_millis(self.acquire_timeout_ms))
    }

    /// Open a MySQL pool. Connections are made on first use, so a service
    /// starts even when the database comes up a moment later.
    pub fn connect_lazy(&self) -> Result<MySqlPool, sqlx::Error> {
        MySql::connect_lazy(self)
    }

    /// Open a PostgreSQL pool, the same way.
    pub fn connect_lazy_postgres(&self) -> Result<PgPool, sqlx::Error> {
        Postgres::connect_lazy(self)
    }
}

/// A database transaction that several models can join. Cache keys of rows
/// written inside it are deleted after the commit, so no reader can put the
/// old row back into the cache while the transaction is still open.
pub struct Tx<DB: Backend = MySql> {
    inner: sqlx::Transaction<'static, DB>,
    stale: Vec<(Cache, Vec<String>)>,
}

impl<DB: Backend> Tx<DB> {
    /// Begin a transaction; prefer [`transact`], which also ends it.
    pub async fn begin(pool: &Pool<DB>) -> Result<Tx<DB>, sqlx::Error> {
        Ok(Tx {
            inner: pool.begin().await?,
            stale: Vec::new(),
        })
    }

    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut DB::Connection {
        &mut self.inner
    }

    /// Delete these cache keys once the transaction commits.
    pub fn invalidate_on_commit(&mut self, cache: &Cache, keys: Vec<String>) {
        if !keys.is_empty() {
            self.stale.push((cache.clone(), keys));
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await?;
        for (cache, keys) in self.stale {
            cache.del(&keys).await;
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

/// Run `work` in one transaction: commit when it returns `Ok`, roll back
/// when it returns `Err` (the error is passed on).
///
/// ```ignore
/// transact(&pool, async |tx: &mut Tx| {
///     let id = orders.insert_in(tx, &order).await?;
///     rooms.update_with_version_in(tx, &mut room).await?;
///     Ok(id)
/// })
/// .await?;
/// ```
pub async fn transact<DB: Backend, T, E>(
    pool: &Pool<DB>,
    work: impl AsyncFnOnce(&mut Tx<DB>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<sqlx::Error>,
{
    let mut tx = Tx::begin(pool).await?;
    match work(&mut tx).await {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(e) => {
            // The work's error is the one worth reporting; a failed rollback
            // ends the connection, which rolls back anyway.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

impl Error {
    /// The business code a failed model call reaches the client as: a lost
    /// optimistic-lock race is 100006, anything the database did 100005.
    pub fn code(&self) -> u32 {
        match self {
            Error::VersionConflict { .. } | Error::NoRow { .. } => {
                crate::codes::DB_UPDATE_AFFECTED_ZERO_ERROR
            }
            Error::Page { .. } => crate::codes::REQUEST_PARAM_ERROR,
            Error::Db(_) | Error::Refused { .. } => crate::codes::DB_ERROR,
        }
    }

    /// Whether the database rolled the transaction back to break a lock
    /// cycle (a deadlock: SQLSTATE 40001 from MySQL, 40P01 from PostgreSQL,
    /// which says 40001 when a serializable transaction lost): it did
    /// nothing, and trying the whole transaction again is safe.
    pub fn is_deadlock(&self) -> bool {
        matches!(self, Error::Db(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("40001" | "40P01")))
    }

    /// Whether this says the database is down or not answering, rather
    /// than that it answered: a missing row, a refused statement (a
    /// duplicate key, say) or a version conflict show a database at work.
    fn is_outage(&self) -> bool {
        use sqlx::Error as E;
        matches!(
            self,
            Error::Db(
                E::Io(_)
                    | E::Tls(_)
                    | E::Protocol(_)
                    | E::PoolTimedOut
                    | E::PoolClosed
                    | E::WorkerCrashed
            )
        )
    }
}

/// The breaker of the database `pool` connects to: one per server and
/// schema, shared by every model on it, and counted in
/// `breaker_rejections_total{name="mysql <host>:<port>/<database>"}`
/// (`postgres …` for PostgreSQL).
pub fn breaker_for<DB: Backend>(pool: &Pool<DB>) -> Arc<Breaker> {
    static BREAKERS: LazyLock<Breakers> = LazyLock::new(Breakers::default);
    BREAKERS.get(&format!("{} {}", DB::SCHEME, DB::address(pool)))
}

/// Run one call to the database through its breaker, as go-zero guards
/// every sqlx call: while the database keeps failing, most calls are
/// refused at once ([`Error::Refused`]) instead of each waiting out the
/// pool's `AcquireTimeoutMs`, and the few let through find out when it is
/// back. Only an outage counts against it (see [`Error::is_outage`]).
pub async fn guarded<T, E>(breaker: &Breaker, call: impl Future<Output = Result<T, E>>) -> Result<T>
where
    Error: From<E>,
{
    if !breaker.allow() {
        return Err(Error::Refused {
            database: breaker.name().to_string(),
        });
    }
    let result = call.await.map_err(Error::from);
    breaker.record(!matches!(&result, Err(e) if e.is_outage()));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded_and_never_overflow() {
        assert_eq!(page_offset(1, 10).unwrap(), 0);
        assert_eq!(page_offset(0, 10).unwrap(), 0, "page 0 is the first");
        assert_eq!(page_offset(3, 10).unwrap(), 20);
        assert_eq!(page_offset(10_001, 10).unwrap(), MAX_OFFSET);
        for (page, size) in [
            (10_002, 10),
            (u64::MAX, 10),
            (u64::MAX / 2, 1000),
            (1, 0),
            (1, MAX_PAGE_SIZE + 1),
        ] {
            assert!(
                matches!(page_offset(page, size), Err(Error::Page { .. })),
                "page {page} of {size}"
            );
        }
        // A client sees a bad parameter, with what was wrong.
        let e: crate::Error = Error::Page {
            page: u64::MAX,
            page_size: 10,
        }
        .into();
        assert_eq!(e.code_value(), crate::codes::REQUEST_PARAM_ERROR);
        assert!(e.message().contains("out of range"), "{}", e.message());
    }

    /// `?` in a handler turns model and database errors into their codes.
    #[test]
    fn model_errors_reach_clients_as_database_codes() {
        fn through_question_mark(e: Error) -> crate::Error {
            let r: crate::Result<()> = (|| Err(e)?)();
            r.unwrap_err()
        }
        let conflict = Error::VersionConflict {
            table: "user",
            id: "1".into(),
            version: 3,
        };
        assert_eq!(
            through_question_mark(conflict).code_value(),
            crate::codes::DB_UPDATE_AFFECTED_ZERO_ERROR
        );
        let db = Error::Db(sqlx::Error::PoolTimedOut);
        assert_eq!(
            through_question_mark(db).code_value(),
            crate::codes::DB_ERROR
        );
        let raw: crate::Error = sqlx::Error::RowNotFound.into();
        assert_eq!(raw.code_value(), crate::codes::DB_ERROR);
        let other: crate::Error = std::io::Error::other("x").into();
        assert_eq!(other.code_value(), crate::codes::SERVER_COMMON_ERROR);
    }
}
