// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/UpdateTradeState`: what the third party said about a
//! payment. An unpaid payment becomes paid or failed; a paid one can be
//! refunded. A closed (failed) one can still become paid: WeChat took the
//! money as it closed, its word is final, and order-mq then refunds it. Each change is published (order number and new status) for
//! order-mq, and the call fails if that cannot be done, so the third party
//! tries again. A payment already in the requested status is published
//! again and nothing else changes: a message lost the first time is sent
//! by the retry, and the consumer ignores a duplicate.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use looklook_shared::message::PayStatusUpdate;
use looklook_shared::state::pay_status;
use looklook_shared::time;

use crate::pb::{UpdateTradeStateReq, UpdateTradeStateResp};
use crate::svc::ServiceContext;

pub async fn update_trade_state(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UpdateTradeStateReq,
) -> Result<UpdateTradeStateResp> {
    // The number leads to the row's id (through the cache: it never
    // changes); the row itself is read from the database, since a versioned
    // write must start from the current version, never from a cached copy
    // that may be stale.
    let missing = || Error::msg("this payment does not exist");
    let id = svc
        .payments
        .find_one_by_sn(&req.sn)
        .await?
        .ok_or_else(missing)?
        .id;
    let mut payment = svc.payments.find_one_fresh(id).await?.ok_or_else(missing)?;
    let from = i64::from(payment.pay_status);
    let allowed_from: &[i64] = match req.pay_status {
        pay_status::SUCCESS => &[pay_status::WAIT, pay_status::FAILED],
        pay_status::FAILED => &[pay_status::WAIT],
        pay_status::REFUNDED => &[pay_status::SUCCESS],
        other => {
            return Err(Error::bad_param(format!(
                "{other} is not a status a payment can be moved to"
            )));
        }
    };
    if from != req.pay_status {
        if !allowed_from.contains(&from) {
            return Err(Error::msg(format!(
                "a payment in status {from} cannot move to {}",
                req.pay_status
            )));
        }
        payment.pay_status = req.pay_status as i8;
        payment.trade_state = req.trade_state;
        payment.transaction_id = req.transaction_id;
        payment.trade_type = req.trade_type;
        payment.trade_state_desc = req.trade_state_desc;
        if req.pay_status == pay_status::SUCCESS {
            payment.pay_time = time::local(req.pay_time)
                .filter(|_| req.pay_time > 0)
                .unwrap_or_else(time::now);
        }
        svc.payments.update_with_version(&mut payment).await?;
        tracing::info!(sn = payment.sn, from, to = req.pay_status, "payment moved");
    }
    if matches!(req.pay_status, pay_status::SUCCESS | pay_status::REFUNDED) {
        let message = PayStatusUpdate {
            pay_status: req.pay_status,
            order_sn: payment.order_sn.clone(),
        };
        svc.pay_status
            .publish_in(ctx, &payment.order_sn, &message)
            .await
            .map_err(|e| Error::internal(looklook_runtime::codes::SERVER_COMMON_ERROR, e))?;
    }
    Ok(UpdateTradeStateResp {})
}
