// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/ClosePayment`: stop an order's open payment at WeChat Pay
//! before the order is cancelled, so no money can arrive for an order that
//! is gone.
//!
//! WeChat has the last word: a transaction the user paid a moment ago
//! cannot be closed. Then the answer is `paid`, the payment is left open
//! for its notification, and the caller must not cancel the order.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result, codes};
use looklook_shared::state::pay_status;
use looklook_shared::time;
use looklook_wechat::client::Closed;
use payment_model::Filter;
use payment_model::third_payment::ThirdPaymentColumn as Col;

use crate::pb::{ClosePaymentReq, ClosePaymentResp};
use crate::svc::ServiceContext;

pub async fn close_payment(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: ClosePaymentReq,
) -> Result<ClosePaymentResp> {
    let open = Filter::new()
        .eq(Col::OrderSn, req.order_sn.clone())
        .eq(Col::PayStatus, pay_status::WAIT)
        .limit(1);
    let Some(open) = svc.payments.find_all(open).await?.into_iter().next() else {
        // Never paid for, or closed before: nothing at WeChat can take money.
        return Ok(ClosePaymentResp { paid: false });
    };
    let closed = svc
        .wx_pay
        .close(ctx, &open.sn, time::unix(time::now()))
        .await
        // WeChat unreachable: the caller tries again later.
        .map_err(|e| Error::internal(codes::SERVER_COMMON_ERROR, e))?;
    if closed == Closed::AlreadyPaid {
        tracing::info!(
            sn = open.sn,
            order = req.order_sn,
            "paid before it could be closed"
        );
        return Ok(ClosePaymentResp { paid: true });
    }
    // A versioned write starts from the row as it is now.
    let mut payment = svc
        .payments
        .find_one_fresh(open.id)
        .await?
        .ok_or_else(|| Error::msg("this payment does not exist"))?;
    if i64::from(payment.pay_status) == pay_status::WAIT {
        payment.pay_status = pay_status::FAILED as i8;
        payment.trade_state = "CLOSED".into();
        payment.trade_state_desc = "closed with its order".into();
        svc.payments.update_with_version(&mut payment).await?;
    }
    tracing::info!(sn = payment.sn, order = req.order_sn, "payment closed");
    Ok(ClosePaymentResp { paid: false })
}
