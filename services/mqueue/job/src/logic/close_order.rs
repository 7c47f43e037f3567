//! The close-if-unpaid job order-rpc queues with every new order.

use apalis::prelude::Data;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::jobs::CloseOrder;
use looklook_shared::state::trade_state;
use order_rpc::pb::HomestayOrderDetailReq;

use super::{move_order, resumed};
use crate::svc::ServiceContext;

/// Close the order if it is still waiting for payment. Paid, already
/// closed or missing: nothing to do. The work continues the booking's
/// request id and trace.
pub async fn close_order(job: CloseOrder, svc: Data<ServiceContext>) -> anyhow::Result<()> {
    resumed(&job.carried, "job close_order", async |ctx| {
        close(&job, &svc, ctx).await
    })
    .await
}

async fn close(job: &CloseOrder, svc: &ServiceContext, ctx: &RequestCtx) -> anyhow::Result<()> {
    let found = svc
        .orders
        .homestay_order_detail(ctx, HomestayOrderDetailReq { sn: job.sn.clone() })
        .await
        .map_err(|e| anyhow::anyhow!("reading order {}: {}", job.sn, e.message()))?;
    let Some(order) = found.homestay_order else {
        tracing::info!(sn = job.sn, "no such order to close");
        return Ok(());
    };
    if order.trade_state != trade_state::WAIT_PAY {
        return Ok(());
    }
    move_order(&svc.orders, ctx, &job.sn, trade_state::CANCELLED).await?;
    tracing::info!(sn = job.sn, "closed an unpaid order");
    Ok(())
}
