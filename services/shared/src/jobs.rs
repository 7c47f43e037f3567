//! The background jobs: what each carries and the Redis queue it waits in
//! (apalis). Producers push or schedule into a queue; mqueue-job works them
//! off. A job whose handler fails is tried again (5 attempts), and one held
//! by a worker that died goes back to the queue.
//!
//! A job pushed while serving a request carries that request's id and
//! trace context (`carried`), and the worker continues them: the close of
//! an order is part of the trace of the booking that scheduled it.

use std::time::Duration;

use apalis::prelude::Storage;
use apalis_redis::Config;
pub use apalis_redis::RedisStorage;
pub use looklook_runtime::ctx::Carried;
use serde::{Deserialize, Serialize};

/// Close an order nobody paid for. Scheduled by order-rpc when the order
/// is made, to run when the time to pay is up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseOrder {
    pub sn: String,
    /// The booking request that scheduled it.
    #[serde(default)]
    pub carried: Carried,
}

impl CloseOrder {
    pub const QUEUE: &str = "defer:homestay_order:close";
}

/// Tell a user, in WeChat, that their order is paid. Pushed by order-rpc
/// when an order becomes paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaySuccessNotify {
    pub order_sn: String,
    pub user_id: i64,
    pub title: String,
    /// Cents.
    pub order_total_price: i64,
    /// Unix seconds.
    pub live_start_date: i64,
    pub live_end_date: i64,
    pub trade_code: String,
    /// The request that marked the order paid.
    #[serde(default)]
    pub carried: Carried,
}

impl PaySuccessNotify {
    pub const QUEUE: &str = "msg:pay_success:notify_user";
}

/// Mark paid orders whose stay has ended as expired. Pushed by
/// mqueue-scheduler on its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireOrders {
    /// When the scheduler fired, unix seconds.
    pub at: i64,
}

impl ExpireOrders {
    pub const QUEUE: &str = "schedule:homestay_order:expire";
}

/// Where the job queues are.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRedisConf {
    /// `redis://host:port[/db]`
    pub url: String,
}

/// The queue `queue` of jobs of type `T` on the Redis at `url`.
pub async fn queue<T>(url: &str, queue: &str) -> anyhow::Result<RedisStorage<T>>
where
    T: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static,
{
    let conn = apalis_redis::connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("job queue {queue} on {url}: {e}"))?;
    // Due jobs are moved to the ready list every second (apalis's default,
    // 30 s, would close an order up to half a minute late).
    let config = Config::default()
        .set_namespace(queue)
        .set_enqueue_scheduled(Duration::from_secs(1));
    Ok(RedisStorage::new_with_config(conn, config))
}

/// Run `job` in `queue` at unix time `at`.
pub async fn schedule<T>(queue: &mut RedisStorage<T>, job: T, at: i64) -> anyhow::Result<()>
where
    T: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static,
{
    queue
        .schedule(job, at)
        .await
        .map_err(|e| anyhow::anyhow!("scheduling a job: {e}"))?;
    Ok(())
}

/// Run `job` in `queue` as soon as a worker is free.
pub async fn push<T>(queue: &mut RedisStorage<T>, job: T) -> anyhow::Result<()>
where
    T: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static,
{
    queue
        .push(job)
        .await
        .map_err(|e| anyhow::anyhow!("pushing a job: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job written before jobs carried their context still reads; one
    /// written now gives its worker the request id and trace it was
    /// pushed with.
    #[test]
    fn jobs_carry_their_request_and_trace() {
        let old: CloseOrder = serde_json::from_str(r#"{"sn":"HSO1"}"#).unwrap();
        assert_eq!(old.carried, Carried::default());

        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = looklook_runtime::ctx::RequestCtx::with_request_id("book-1")
            .with_traceparent(traceparent);
        let job = CloseOrder {
            sn: "HSO1".into(),
            carried: ctx.carried(),
        };
        let read: CloseOrder = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
        let (resumed, span) = read.carried.resume("close_order");
        span.end(Vec::new(), false);
        assert_eq!(resumed.request_id(), "book-1");
        assert_eq!(resumed.traceparent(), Some(traceparent));
    }
}
