// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /thirdPayment/thirdPaymentWxRefundCallback`: WeChat Pay's refund
//! notification, checked and answered as the payment notification is
//! (`main.rs` routes the raw request to [`notification`]).
//!
//! A refund that succeeded moves its payment to refunded (2) through
//! payment-rpc, which publishes the move; order-mq then marks the order
//! refunded (3). Told twice, the payment is already refunded: payment-rpc
//! changes nothing and publishes again. A refund WeChat closed or could
//! not pay out is logged for a person and acknowledged: telling us again
//! would not change it.

use looklook_runtime::ctx::{Carried, RequestCtx};
use looklook_runtime::{Error, Result};
use looklook_shared::state::pay_status;
use looklook_wechat::client::NotificationHeaders;
use looklook_wechat::pay::RefundNotice;
use payment_rpc::pb::{PaymentDetail, UpdateTradeStateReq};
use tracing::Instrument;

use super::notified_payment;
use crate::svc::ServiceContext;
use crate::types::{ThirdPaymentWxPayCallbackReq, ThirdPaymentWxPayCallbackResp};

/// Reached only if the raw route in `main.rs` is removed.
pub async fn third_payment_wx_refund_callback(
    _svc: &ServiceContext,
    _ctx: &RequestCtx,
    _req: ThirdPaymentWxPayCallbackReq,
) -> Result<ThirdPaymentWxPayCallbackResp> {
    Err(Error::msg(
        "this route takes WeChat Pay's signed refund notification",
    ))
}

/// Handle one refund notification. The payment it names is looked up in
/// the notification's own request (`http`); the refund then goes on in the
/// trace it was asked in, which payment-rpc kept with the payment: a
/// guest's cancel is one trace from the click to the refunded order.
pub async fn notification(
    svc: &ServiceContext,
    http: &Carried,
    headers: &NotificationHeaders,
    body: &str,
) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    let refund = svc
        .wx_pay
        .verify_refund_notification(headers, body, now)
        .map_err(|e| Error::msg("wechat pay refund callback fail").with_cause(e))?;
    if refund.mchid != svc.wx_pay.conf().mch_id {
        return Err(Error::msg("a notification for another merchant"));
    }
    let mut asking = RequestCtx::with_request_id(&http.request_id);
    if let Some(trace) = &http.traceparent {
        asking = asking.with_traceparent(trace);
    }
    let payment = notified_payment(svc, &asking, &refund.out_trade_no).await?;
    let asked_in = Carried {
        request_id: http.request_id.clone(),
        traceparent: Some(payment.trace_parent.clone())
            .filter(|t| !t.is_empty())
            .or_else(|| http.traceparent.clone()),
    };
    let (ctx, traced) = asked_in.resume("wechat refund notification");
    let done = refunded(svc, &ctx, refund, payment)
        .instrument(ctx.log_span("http"))
        .await;
    traced.end(Vec::new(), done.is_err());
    done
}

/// Record a refund WeChat made (or could not make).
async fn refunded(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    refund: RefundNotice,
    payment: PaymentDetail,
) -> Result<()> {
    if refund.amount.total != payment.pay_total {
        return Err(Error::msg("the refund is not of this payment's amount"));
    }
    if refund.refund_status != "SUCCESS" {
        tracing::error!(
            sn = payment.sn,
            refund_id = refund.refund_id,
            status = refund.refund_status,
            "a refund did not go through: see the merchant platform"
        );
        return Ok(());
    }
    svc.payments
        .update_trade_state(
            ctx,
            UpdateTradeStateReq {
                sn: payment.sn,
                trade_state: "REFUND".into(),
                transaction_id: refund.transaction_id,
                trade_type: payment.trade_type,
                trade_state_desc: format!("refunded as {}", refund.refund_id),
                pay_status: pay_status::REFUNDED,
                pay_time: 0,
            },
        )
        .await?;
    Ok(())
}
