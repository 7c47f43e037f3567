//! Cache-aside on Redis, with go-zero's key scheme and its three guards:
//!
//! - penetration: a row that does not exist is remembered as a short-lived
//!   placeholder (`*`), so repeated misses do not reach the database;
//! - breakdown: concurrent misses on one key in this process make one
//!   database query (single flight);
//! - avalanche: expiries carry ±5 % jitter so keys written together do not
//!   expire together.
//!
//! Redis is never a single point of failure: every Redis call has a
//! deadline, and when it fails the read goes to the database and the write
//! still succeeds. Failures are logged and counted
//! (`looklook_cache_errors_total`).

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::resilience::{BREAKER_WINDOW, Breaker};

/// What a cached row read found, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The row came from Redis.
    Hit,
    /// Redis remembered that the row does not exist.
    Placeholder,
    /// Redis did not have it; the database was asked.
    Miss,
}

impl Lookup {
    fn label(self) -> &'static str {
        match self {
            Lookup::Hit => "hit",
            Lookup::Placeholder => "placeholder",
            Lookup::Miss => "miss",
        }
    }
}

/// The `Cache` section of a service config.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CacheConf {
    /// `redis://host:port[/db]`
    pub url: String,
    /// How long a row stays cached, in seconds (default 7 days).
    #[serde(default = "default_expiry")]
    pub expiry_secs: u64,
    /// How long "no such row" is remembered, in seconds (default 60).
    #[serde(default = "default_not_found_expiry")]
    pub not_found_expiry_secs: u64,
    /// The deadline of every Redis call, in milliseconds (default 300).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
}

fn default_expiry() -> u64 {
    7 * 24 * 3600
}

fn default_not_found_expiry() -> u64 {
    60
}

fn default_timeout() -> u64 {
    300
}

impl CacheConf {
    pub fn new(url: impl Into<String>) -> Self {
        CacheConf {
            url: url.into(),
            expiry_secs: default_expiry(),
            not_found_expiry_secs: default_not_found_expiry(),
            timeout_ms: default_timeout(),
        }
    }
}

/// The value stored for a row that does not exist.
const PLACEHOLDER: &str = "*";
/// A row read through a unique key outlives the index entry pointing at it.
const INDEX_SAFE_GAP: u64 = 5;

/// Counters of one cache, also exported as metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub placeholders: u64,
    pub misses: u64,
    /// Database loads made by misses (one per single flight).
    pub loads: u64,
    /// Redis calls that failed or timed out.
    pub errors: u64,
}

/// A cheap-to-clone handle on one Redis.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    redis: ConnectionManager,
    expiry: u64,
    not_found_expiry: u64,
    timeout: Duration,
    /// Redis failing: calls skip it at once and go to the database,
    /// rather than each waiting out `timeout`.
    breaker: Breaker,
    /// Loads in progress, by key: later misses wait for the first one.
    flights: Mutex<HashMap<String, Arc<Flight>>>,
    stats: Stats,
}

type Flight = OnceCell<Result<Arc<dyn Any + Send + Sync>, String>>;

#[derive(Default)]
struct Stats {
    hits: AtomicU64,
    placeholders: AtomicU64,
    misses: AtomicU64,
    loads: AtomicU64,
    errors: AtomicU64,
}

impl Cache {
    /// A cache on `conf.url`. Nothing is connected yet (and Redis may be
    /// down): the connection is made on first use and remade when lost.
    /// Must be called inside a Tokio runtime.
    pub fn new(conf: &CacheConf) -> Result<Cache, redis::RedisError> {
        let timeout = Duration::from_millis(conf.timeout_ms);
        let client = redis::Client::open(conf.url.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        Ok(Cache {
            inner: Arc::new(Inner {
                redis: ConnectionManager::new_lazy_with_config(client, config)?,
                expiry: conf.expiry_secs,
                not_found_expiry: conf.not_found_expiry_secs,
                timeout,
                breaker: Breaker::named("redis", BREAKER_WINDOW),
                flights: Mutex::new(HashMap::new()),
                stats: Stats::default(),
            }),
        })
    }

    /// The connection, for other uses of the same Redis (rate limits).
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.inner.redis.clone()
    }

    pub fn stats(&self) -> CacheStats {
        let s = &self.inner.stats;
        CacheStats {
            hits: s.hits.load(Ordering::Relaxed),
            placeholders: s.placeholders.load(Ordering::Relaxed),
            misses: s.misses.load(Ordering::Relaxed),
            loads: s.loads.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
        }
    }

    /// Read a row by its primary-key cache `key`, asking `load` (the
    /// database) on a miss and caching what it says, including "no row".
    pub async fn take<T>(
        &self,
        key: &str,
        load: impl AsyncFnOnce() -> Result<Option<T>, super::Error>,
    ) -> Result<Option<T>, super::Error>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        if let Some(cached) = self.get::<T>(key).await {
            return Ok(cached);
        }
        let expiry = self.expiry();
        self.load_once(key, async || {
            let row = load().await?;
            self.put(key, row.as_ref(), expiry).await;
            Ok(row)
        })
        .await
    }

    /// Read a row by a unique key. The unique key's entry holds only the
    /// primary key; the row itself is cached under `primary_prefix` and the
    /// primary key, as [`take`](Self::take) does.
    ///
    /// On a miss `by_index` loads the whole row, and both entries are
    /// written. On a hit `by_primary` loads the row if its own entry expired.
    pub async fn take_by_index<T, P>(
        &self,
        index_key: &str,
        primary_prefix: &str,
        primary_of: impl Fn(&T) -> P,
        by_index: impl AsyncFnOnce() -> Result<Option<T>, super::Error>,
        by_primary: impl AsyncFnOnce(P) -> Result<Option<T>, super::Error>,
    ) -> Result<Option<T>, super::Error>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        P: FromStr + Display + Sync,
    {
        match self.get_raw(index_key).await {
            Some(Some(value)) if value == PLACEHOLDER => {
                self.count(Lookup::Placeholder);
                return Ok(None);
            }
            Some(Some(value)) => match value.parse::<P>() {
                Ok(pk) => {
                    let pk_key = key(primary_prefix, &[&pk]);
                    return self.take(&pk_key, async || by_primary(pk).await).await;
                }
                // Not a key of this table: forget it and read afresh.
                Err(_) => self.del(&[index_key.to_string()]).await,
            },
            _ => {}
        }
        self.count(Lookup::Miss);
        let expiry = self.expiry();
        self.load_once(index_key, async || {
            let row = by_index().await?;
            match &row {
                Some(row) => {
                    let pk = primary_of(row);
                    self.put_raw(index_key, &pk.to_string(), expiry).await;
                    let pk_key = key(primary_prefix, &[&pk]);
                    self.put(&pk_key, Some(row), expiry + INDEX_SAFE_GAP).await;
                }
                None => self.put(index_key, None::<&T>, expiry).await,
            }
            Ok(row)
        })
        .await
    }

    /// Delete keys after a write. A failed delete is retried in the
    /// background for a few seconds; until it succeeds a reader may see the
    /// old row.
    pub async fn del(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        if self.try_del(keys).await {
            return;
        }
        let cache = self.clone();
        let keys = keys.to_vec();
        tokio::spawn(async move {
            for attempt in 1..=5u32 {
                tokio::time::sleep(Duration::from_millis(200) * attempt).await;
                if cache.try_del(&keys).await {
                    return;
                }
            }
            tracing::error!(
                ?keys,
                "cache keys could not be deleted; they expire on their own"
            );
        });
    }

    async fn try_del(&self, keys: &[String]) -> bool {
        let mut redis = self.inner.redis.clone();
        self.call("del", redis.del::<_, ()>(keys)).await.is_some()
    }

    /// One Redis call, through the breaker and within the timeout: `None`
    /// when it failed, timed out or was refused (counted and logged).
    async fn call<V>(
        &self,
        op: &'static str,
        call: impl Future<Output = redis::RedisResult<V>>,
    ) -> Option<V> {
        if !self.inner.breaker.allow() {
            self.inner.stats.errors.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("looklook_cache_errors_total", "op" => op).increment(1);
            return None;
        }
        let result = tokio::time::timeout(self.inner.timeout, call).await;
        self.inner.breaker.record(matches!(result, Ok(Ok(_))));
        self.ok_or_count(op, result)
    }

    /// `Some(row or None)` when Redis answered with a row or a placeholder;
    /// `None` when the database must be asked.
    async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<Option<T>> {
        match self.get_raw(key).await {
            Some(Some(value)) if value == PLACEHOLDER => {
                self.count(Lookup::Placeholder);
                Some(None)
            }
            Some(Some(value)) => match serde_json::from_str(&value) {
                Ok(row) => {
                    self.count(Lookup::Hit);
                    Some(Some(row))
                }
                Err(e) => {
                    // Written by an older shape of the row: drop it, reload.
                    tracing::warn!(key, error = %e, "cached row does not decode");
                    self.del(&[key.to_string()]).await;
                    self.count(Lookup::Miss);
                    None
                }
            },
            _ => {
                self.count(Lookup::Miss);
                None
            }
        }
    }

    /// `None` when Redis failed, `Some(None)` when the key is absent.
    async fn get_raw(&self, key: &str) -> Option<Option<String>> {
        let mut redis = self.inner.redis.clone();
        self.call("get", redis.get(key)).await
    }

    async fn put<T: Serialize>(&self, key: &str, row: Option<&T>, expiry: u64) {
        match row {
            Some(row) => match serde_json::to_string(row) {
                Ok(json) => self.put_raw(key, &json, expiry).await,
                Err(e) => tracing::warn!(key, error = %e, "row does not encode; not cached"),
            },
            None => {
                let expiry = self.inner.not_found_expiry;
                self.put_raw(key, PLACEHOLDER, expiry).await;
            }
        }
    }

    async fn put_raw(&self, key: &str, value: &str, expiry: u64) {
        let mut redis = self.inner.redis.clone();
        let set = redis.set_ex::<_, _, ()>(key, value, expiry.max(1));
        self.call("set", set).await;
    }

    /// Run `load` once for all concurrent callers with the same key; every
    /// caller gets a copy of its result.
    async fn load_once<T>(
        &self,
        key: &str,
        load: impl AsyncFnOnce() -> Result<Option<T>, super::Error>,
    ) -> Result<Option<T>, super::Error>
    where
        T: Clone + Send + Sync + 'static,
    {
        let flight = {
            let mut flights = self.inner.flights.lock().unwrap_or_else(|e| e.into_inner());
            flights.entry(key.to_string()).or_default().clone()
        };
        // Only one caller's closure runs; the others wait for its result.
        let mut own_error = None;
        let shared = flight
            .get_or_init(async || {
                self.inner.stats.loads.fetch_add(1, Ordering::Relaxed);
                match load().await {
                    Ok(row) => Ok(Arc::new(row) as Arc<dyn Any + Send + Sync>),
                    Err(e) => {
                        let text = e.to_string();
                        own_error = Some(e);
                        Err(text)
                    }
                }
            })
            .await;
        {
            let mut flights = self.inner.flights.lock().unwrap_or_else(|e| e.into_inner());
            if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                flights.remove(key);
            }
        }
        match shared {
            Ok(row) => row.downcast_ref::<Option<T>>().cloned().ok_or_else(|| {
                super::Error::Db(sqlx::Error::Protocol(format!(
                    "cache key {key} shared by two row types"
                )))
            }),
            Err(text) => Err(own_error.unwrap_or_else(|| {
                super::Error::Db(sqlx::Error::Protocol(format!(
                    "the shared load of {key} failed: {text}"
                )))
            })),
        }
    }

    /// The row expiry with ±5 % jitter.
    fn expiry(&self) -> u64 {
        let base = self.inner.expiry as f64;
        (base * (0.95 + 0.1 * fastrand::f64())).round() as u64
    }

    fn count(&self, lookup: Lookup) {
        let stats = &self.inner.stats;
        let counter = match lookup {
            Lookup::Hit => &stats.hits,
            Lookup::Placeholder => &stats.placeholders,
            Lookup::Miss => &stats.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("looklook_cache_requests_total", "result" => lookup.label()).increment(1);
    }

    fn ok_or_count<V>(
        &self,
        op: &'static str,
        result: Result<redis::RedisResult<V>, tokio::time::error::Elapsed>,
    ) -> Option<V> {
        let error = match result {
            Ok(Ok(value)) => return Some(value),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {:?}", self.inner.timeout),
        };
        self.inner.stats.errors.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("looklook_cache_errors_total", "op" => op).increment(1);
        tracing::warn!(op, error, "redis failed; using the database");
        None
    }
}

/// Values longer than this go into a key as their SHA-256.
const MAX_KEY_VALUE_BYTES: usize = 64;

/// The cache key of one value: `prefix` is `cache:<db>:<table>:<column>:`
/// (columns joined with `:` for a composite key), values joined with `:`.
/// Values longer than 64 bytes are replaced by `sha256:<hex>` of them, so a
/// client's long input never becomes a long key (or its "not found"
/// placeholder) in Redis.
pub fn key(prefix: &str, values: &[&(dyn Display + Sync)]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let mut joined = String::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            joined.push(':');
        }
        let _ = write!(joined, "{value}");
    }
    let mut key = String::from(prefix);
    if joined.len() > MAX_KEY_VALUE_BYTES {
        key.push_str("sha256:");
        for byte in sha2::Sha256::digest(joined.as_bytes()) {
            let _ = write!(key, "{byte:02x}");
        }
    } else {
        key.push_str(&joined);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_go_zero_scheme() {
        assert_eq!(
            key("cache:looklook:user:id:", &[&42]),
            "cache:looklook:user:id:42"
        );
        assert_eq!(
            key(
                "cache:looklook:user_auth:auth_type:auth_key:",
                &[&"wx", &"abc"]
            ),
            "cache:looklook:user_auth:auth_type:auth_key:wx:abc"
        );
    }

    /// The attack: a megabyte value would be a megabyte key. Long values
    /// are hashed: the key stays short and still tells values apart.
    #[test]
    fn long_values_are_hashed_into_short_keys() {
        let long = "1".repeat(2 << 20);
        let k = key("cache:looklook:user:mobile:", &[&long]);
        assert!(k.starts_with("cache:looklook:user:mobile:sha256:"), "{k}");
        assert_eq!(k.len(), "cache:looklook:user:mobile:sha256:".len() + 64);
        let other = key("cache:looklook:user:mobile:", &[&"2".repeat(2 << 20)]);
        assert_ne!(k, other);
        let edge = "x".repeat(MAX_KEY_VALUE_BYTES);
        assert_eq!(key("p:", &[&edge]), format!("p:{edge}"));
    }

    #[tokio::test]
    async fn expiries_are_jittered_within_five_percent() {
        let cache = Cache::new(&CacheConf::new("redis://127.0.0.1:1")).unwrap();
        let expiries: Vec<u64> = (0..200).map(|_| cache.expiry()).collect();
        let (lo, hi) = (default_expiry() * 95 / 100, default_expiry() * 105 / 100);
        assert!(expiries.iter().all(|e| (lo..=hi).contains(e)));
        let distinct: std::collections::HashSet<_> = expiries.iter().collect();
        assert!(
            distinct.len() > 100,
            "expiries are not spread: {}",
            distinct.len()
        );
    }

    /// A Redis that accepts connections and never answers (hung, or a
    /// network that drops packets): each call would wait out the timeout.
    /// The breaker learns within a few calls, and the rest go to the
    /// database at once.
    #[tokio::test]
    async fn a_hung_redis_is_skipped_by_its_breaker() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((conn, _)) = listener.accept().await {
                held.push(conn);
            }
        });
        let conf = CacheConf {
            timeout_ms: 100,
            ..CacheConf::new(format!("redis://{addr}"))
        };
        let cache = Cache::new(&conf).unwrap();
        let started = std::time::Instant::now();
        for id in 0..200 {
            let row = cache
                .take(&format!("k:{id}"), async || Ok(Some(id)))
                .await
                .unwrap();
            assert_eq!(row, Some(id), "the database answers");
        }
        // Without the breaker: 200 reads and 200 writes, 100 ms each.
        let took = started.elapsed();
        assert!(took < Duration::from_secs(8), "{took:?}");
        assert!(cache.stats().errors >= 200, "{:?}", cache.stats());
    }
}
