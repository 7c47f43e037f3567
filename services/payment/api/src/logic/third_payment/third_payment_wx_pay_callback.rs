// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /thirdPayment/thirdPaymentWxPayCallback`: WeChat Pay's payment
//! notification. Its proof is the platform's signature over the raw body
//! and `Wechatpay-*` headers, and WeChat wants a bare `SUCCESS`, so
//! `main.rs` routes the raw request to [`notification`]; the JSON handler
//! looklook generates never gets it.
//!
//! Anything that does not verify, decrypt and match a payment of ours
//! (amount included) is refused and changes nothing. Told twice, the
//! payment is already paid: payment-rpc changes nothing and publishes
//! again, so a message lost the first time still reaches order-mq.

use looklook_runtime::ctx::{Carried, RequestCtx};
use looklook_runtime::{Error, Result};
use looklook_shared::state::pay_status;
use looklook_wechat::client::NotificationHeaders;
use looklook_wechat::pay::Transaction;
use payment_rpc::pb::UpdateTradeStateReq;
use tracing::Instrument;

use super::notified_payment;
use crate::svc::ServiceContext;
use crate::types::{ThirdPaymentWxPayCallbackReq, ThirdPaymentWxPayCallbackResp};

/// Reached only if the raw route in `main.rs` is removed.
pub async fn third_payment_wx_pay_callback(
    _svc: &ServiceContext,
    _ctx: &RequestCtx,
    _req: ThirdPaymentWxPayCallbackReq,
) -> Result<ThirdPaymentWxPayCallbackResp> {
    Err(Error::msg(
        "this route takes WeChat Pay's signed notification",
    ))
}

/// Handle one notification. `http` is the notification's own request: its
/// id and trace. The work goes on in the trace the pre-pay put in
/// `attach`, which comes back inside the signed, encrypted resource, so
/// nobody else can choose it.
pub async fn notification(
    svc: &ServiceContext,
    http: &Carried,
    headers: &NotificationHeaders,
    body: &str,
) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    let transaction = svc
        .wx_pay
        .verify_notification(headers, body, now)
        .map_err(|e| Error::msg("wechat pay callback fail").with_cause(e))?;
    let booking = Carried {
        request_id: http.request_id.clone(),
        traceparent: Some(transaction.attach.clone())
            .filter(|a| a.starts_with("00-"))
            .or_else(|| http.traceparent.clone()),
    };
    let (ctx, traced) = booking.resume("wechat pay notification");
    let done = paid(svc, &ctx, transaction, now)
        .instrument(ctx.log_span("http"))
        .await;
    traced.end(Vec::new(), done.is_err());
    done
}

/// Record what WeChat said about a payment of ours.
async fn paid(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    transaction: Transaction,
    now: i64,
) -> Result<()> {
    let conf = svc.wx_pay.conf();
    if transaction.mchid != conf.mch_id || transaction.appid != svc.config.wx_mini_conf.app_id {
        return Err(Error::msg("a notification for another merchant"));
    }
    let payment = notified_payment(svc, ctx, &transaction.out_trade_no).await?;
    // The order's amount (`total`), in yuan fen: what the user paid
    // (`payer_total`) is less when WeChat applied a coupon, and is not the
    // merchant's business.
    if transaction.amount.total != payment.pay_total || transaction.amount.currency != "CNY" {
        return Err(Error::msg("the amount paid is not the amount due"));
    }
    let status = match transaction.trade_state.as_str() {
        "SUCCESS" => pay_status::SUCCESS,
        // Not final yet: WeChat tells us again when it is.
        "USERPAYING" | "NOTPAY" => return Ok(()),
        "REFUND" => pay_status::REFUNDED,
        _ => pay_status::FAILED,
    };
    let pay_time = chrono::DateTime::parse_from_rfc3339(&transaction.success_time)
        .map_or(now, |t| t.timestamp());
    svc.payments
        .update_trade_state(
            ctx,
            UpdateTradeStateReq {
                sn: payment.sn,
                trade_state: transaction.trade_state,
                transaction_id: transaction.transaction_id,
                trade_type: transaction.trade_type,
                trade_state_desc: transaction.trade_state_desc,
                pay_status: status,
                pay_time,
            },
        )
        .await?;
    Ok(())
}
