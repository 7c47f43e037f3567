//! Rate limits: how much one client address, or one account, may ask for.
//!
//! Two kinds, for two jobs:
//! - [`IpLimiter`], in the process (governor's GCRA, as tower_governor
//!   uses): cheap, for every request of a route group, such as the routes
//!   that hash passwords. Each replica counts for itself.
//! - [`PeriodLimit`], in Redis (go-zero's `periodlimit`): one count shared
//!   by every replica, for keys that matter across them, such as the logins
//!   of one account, which an attacker spreads over many addresses.
//!
//! Behind a gateway every request comes from the gateway's address, so
//! [`client_ip`] believes `X-Real-IP` / `X-Forwarded-For` only from the
//! proxies the config trusts (`TrustedProxies`; this machine by default).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use serde::Deserialize;

/// `Requests` per `PeriodSecs` for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateLimit {
    pub requests: u32,
    pub period_secs: u64,
}

/// What the client is told when it asked too often: 429, in the envelope,
/// as the gateway says it.
pub fn too_many() -> Response {
    let body = serde_json::json!({ "code": 429, "msg": "too many requests, try again later" });
    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

/// The address a request came from: the connection's peer, or, when the
/// peer is a trusted proxy, the address it says it forwards (`X-Real-IP`,
/// else the last `X-Forwarded-For` hop, the one the proxy saw). `None` for
/// a request that did not come over a connection (a test's `oneshot`).
pub fn client_ip(req: &Request, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let forwarded = header("x-real-ip")
        .or_else(|| header("x-forwarded-for").and_then(|list| list.rsplit(',').next()))
        .and_then(|ip| ip.trim().parse().ok());
    Some(forwarded.unwrap_or(peer))
}

/// The proxies trusted by default: this machine (the development gateway).
pub fn loopback() -> Vec<IpNet> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// A limit per client address, kept in this process. Memory is bounded:
/// addresses that have been quiet for a period are forgotten now and then.
pub struct IpLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trusted: Vec<IpNet>,
    checks: AtomicU64,
}

impl IpLimiter {
    /// `None` when the limit allows nothing (0 requests or 0 seconds): a
    /// limit of nothing is a config mistake, not a closed door.
    pub fn new(limit: RateLimit, trusted: Vec<IpNet>) -> Option<Self> {
        let burst = NonZeroU32::new(limit.requests)?;
        let period = Duration::from_secs(limit.period_secs) / limit.requests;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(IpLimiter {
            limiter: RateLimiter::keyed(quota),
            trusted,
            checks: AtomicU64::new(0),
        })
    }

    /// Whether `ip` may make one more request now.
    pub fn check(&self, ip: IpAddr) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&ip).is_ok()
    }

    /// The middleware: a request over its address's limit is answered 429
    /// and goes no further. Use it from a generated middleware:
    /// `svc.login_limit.refuse_over(req, next).await`.
    pub async fn refuse_over(&self, req: Request, next: Next) -> Response {
        match client_ip(&req, &self.trusted) {
            Some(ip) if !self.check(ip) => {
                metrics::counter!("rate_limited_total", "by" => "ip").increment(1);
                too_many()
            }
            _ => next.run(req).await,
        }
    }
}

/// How a [`PeriodLimit::take`] went, as go-zero's `periodlimit` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Under the quota.
    Allowed,
    /// This request used the last of the period's quota.
    HitQuota,
    /// Over it: refuse.
    OverQuota,
}

#[cfg(feature = "model")]
pub use redis_limit::PeriodLimit;

#[cfg(feature = "model")]
mod redis_limit {
    use redis::aio::ConnectionManager;

    use super::{RateLimit, Take};
    use crate::model::Cache;

    /// Count, then set the window on the first request of one: one round
    /// trip, and no key outlives its period.
    const TAKE: &str = r"
local current = redis.call('INCRBY', KEYS[1], 1)
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
local limit = tonumber(ARGV[1])
if current < limit then return 1 elseif current == limit then return 2 else return 0 end
";

    /// A fixed-window count per key in Redis, shared by every replica: at
    /// most `Requests` per `PeriodSecs` for one key (go-zero's
    /// `periodlimit`). Keys are `limit:<name>:<key>`, long keys hashed.
    #[derive(Clone)]
    pub struct PeriodLimit {
        redis: ConnectionManager,
        name: String,
        limit: RateLimit,
    }

    impl PeriodLimit {
        /// Counts kept in the Redis of `cache`, under `limit:<name>:`.
        pub fn new(cache: &Cache, name: &str, limit: RateLimit) -> Self {
            PeriodLimit {
                redis: cache.connection(),
                name: name.to_string(),
                limit,
            }
        }

        /// Count one request for `key`. An error means Redis did not
        /// answer; the caller decides whether to let the request through.
        pub async fn take(&self, key: &str) -> redis::RedisResult<Take> {
            let key = crate::model::key(&format!("limit:{}:", self.name), &[&key]);
            // The script is a few dozen bytes: sent whole (EVAL) rather than
            // cached by hash, so a restarted Redis needs no reloading.
            let answer: i64 = redis::cmd("EVAL")
                .arg(TAKE)
                .arg(1)
                .arg(key)
                .arg(self.limit.requests)
                .arg(self.limit.period_secs.max(1))
                .query_async(&mut self.redis.clone())
                .await?;
            Ok(match answer {
                1 => Take::Allowed,
                2 => Take::HitQuota,
                _ => Take::OverQuota,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, headers: &[(&'static str, &str)]) -> Request {
        let mut req = Request::new(axum::body::Body::empty());
        req.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        for (k, v) in headers {
            req.headers_mut().insert(*k, v.parse().unwrap());
        }
        req
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let trusted = loopback();
        let ip = |peer, headers| {
            client_ip(&request(peer, headers), &trusted)
                .unwrap()
                .to_string()
        };
        // From the gateway on this machine: the address it forwards.
        assert_eq!(
            ip("127.0.0.1:5000", &[("x-real-ip", "203.0.113.7")]),
            "203.0.113.7"
        );
        assert_eq!(
            ip(
                "[::1]:5000",
                &[("x-forwarded-for", "10.0.0.1, 203.0.113.8")]
            ),
            "203.0.113.8"
        );
        assert_eq!(ip("127.0.0.1:5000", &[]), "127.0.0.1");
        // From anyone else: its own address, whatever it claims.
        assert_eq!(
            ip("198.51.100.2:5000", &[("x-real-ip", "203.0.113.7")]),
            "198.51.100.2"
        );
        assert!(client_ip(&Request::new(axum::body::Body::empty()), &trusted).is_none());
    }

    #[test]
    fn each_address_has_its_own_budget() {
        let limit = RateLimit {
            requests: 3,
            period_secs: 60,
        };
        let limiter = IpLimiter::new(limit, loopback()).unwrap();
        let (a, b): (IpAddr, IpAddr) = (
            "203.0.113.1".parse().unwrap(),
            "203.0.113.2".parse().unwrap(),
        );
        let allowed = (0..10).filter(|_| limiter.check(a)).count();
        assert_eq!(allowed, 3);
        assert!(limiter.check(b));
        assert!(
            IpLimiter::new(
                RateLimit {
                    requests: 0,
                    period_secs: 60
                },
                vec![]
            )
            .is_none()
        );
    }
}
