//! One file per job: what it does with what it is given.

pub mod close_order;
pub mod expire_orders;
pub mod notify_paid;

use looklook_runtime::ctx::{Carried, RequestCtx};
use order_rpc::client::OrderClient;
use order_rpc::pb::UpdateHomestayOrderTradeStateReq;
use tracing::Instrument;

/// Do a job's `work` as the continuation of what it `carried` (the request
/// that pushed it): under a span named `name` in that trace, logging with
/// its request and trace ids, the span ended with the outcome. Each try is
/// counted (`jobs_total{job, outcome}`: done or failed; a failed one is
/// tried again) and timed (`job_duration_seconds{job}`), for the alert on
/// failing jobs and the dashboard.
pub(crate) async fn resumed(
    carried: &Carried,
    name: &str,
    work: impl AsyncFnOnce(&RequestCtx) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (ctx, traced) = carried.resume(name);
    let done = work(&ctx).instrument(ctx.log_span("job")).await;
    traced.end(Vec::new(), done.is_err());
    let job = name.trim_start_matches("job ").to_string();
    let outcome = if done.is_ok() { "done" } else { "failed" };
    metrics::counter!("jobs_total", "job" => job.clone(), "outcome" => outcome).increment(1);
    metrics::histogram!("job_duration_seconds", "job" => job)
        .record(started.elapsed().as_secs_f64());
    done
}

/// Ask order-rpc to move an order. A refusal means the order moved on by
/// another path in the meantime (paid just before it was closed): fine.
pub(crate) async fn move_order(
    orders: &OrderClient,
    ctx: &RequestCtx,
    sn: &str,
    to: i64,
) -> anyhow::Result<()> {
    let req = UpdateHomestayOrderTradeStateReq {
        sn: sn.to_owned(),
        trade_state: to,
    };
    match orders.update_homestay_order_trade_state(ctx, req).await {
        Ok(_) => Ok(()),
        Err(e)
            if !e.has_cause() && e.code_value() == looklook_runtime::codes::SERVER_COMMON_ERROR =>
        {
            tracing::info!(sn, to, why = e.message(), "order not moved");
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(
            "moving order {sn} to {to}: {}",
            e.message()
        )),
    }
}
