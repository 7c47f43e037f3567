//! The scheduler's job: stays that have ended are expired.

use apalis::prelude::Data;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::jobs::{Carried, ExpireOrders};
use looklook_shared::state::trade_state;
use looklook_shared::time;

use super::{move_order, resumed};
use crate::svc::ServiceContext;

/// Paid orders whose check-out date has passed are expired. Each run is a
/// trace of its own: the scheduler's push starts it.
pub async fn expire_orders(job: ExpireOrders, svc: Data<ServiceContext>) -> anyhow::Result<()> {
    let root = Carried::default();
    resumed(&root, "job expire_orders", async |ctx| {
        expire(&job, &svc, ctx).await
    })
    .await
}

async fn expire(job: &ExpireOrders, svc: &ServiceContext, ctx: &RequestCtx) -> anyhow::Result<()> {
    let today = time::local(job.at).map_or_else(time::today, |t| t.date());
    let ended = svc.order_rows.find_paid_ended_before(today).await?;
    for order in &ended {
        move_order(&svc.orders, ctx, &order.sn, trade_state::EXPIRED).await?;
    }
    tracing::info!(count = ended.len(), "expired ended stays");
    Ok(())
}
