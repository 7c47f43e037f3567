//! The close-if-unpaid job order-rpc queues with every new order.
//!
//! The WeChat transaction is closed first (through payment-rpc), then the
//! order: closed the other way round, a user could still pay for an order
//! that is gone. If WeChat says the user has just paid, the order is left
//! to its payment.

use apalis::prelude::Data;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::jobs::CloseOrder;
use looklook_shared::state::trade_state;
use order_rpc::pb::HomestayOrderDetailReq;
use payment_rpc::pb::ClosePaymentReq;

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
    let closed = svc
        .payments
        .close_payment(
            ctx,
            ClosePaymentReq {
                order_sn: job.sn.clone(),
            },
        )
        .await
        // WeChat or payment-rpc unreachable: the job is tried again.
        .map_err(|e| anyhow::anyhow!("closing the payment of {}: {}", job.sn, e.message()))?;
    if closed.paid {
        tracing::info!(sn = job.sn, "paid as it was closing: left to its payment");
        return Ok(());
    }
    move_order(&svc.orders, ctx, &job.sn, trade_state::CANCELLED).await?;
    tracing::info!(sn = job.sn, "closed an unpaid order");
    Ok(())
}
