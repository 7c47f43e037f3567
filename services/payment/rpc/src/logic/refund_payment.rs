// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/RefundPayment`: give back the money of an order's paid
//! payment through WeChat Pay, whole. order-mq asks for it when money
//! arrives for an order that was closed in the meantime.
//!
//! Asking twice is one refund: its number is derived from the payment's
//! (`RF` + payment number), and WeChat answers the same refund for the
//! same number. A refund WeChat answers SUCCESS moves the payment to
//! refunded here, through [`update_trade_state`](super::update_trade_state),
//! which publishes the move as every other one is; one still PROCESSING
//! moves when WeChat's refund notification reaches payment-api
//! (`WxPayConf.RefundNotifyUrl`), the same way, in the trace of the
//! refund's request.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result, codes};
use looklook_shared::state::pay_status;
use looklook_shared::time;
use looklook_wechat::pay::{RefundAmount, RefundRequest};
use payment_model::third_payment::ThirdPaymentColumn as Col;
use payment_model::{Filter, Order};

use super::update_trade_state::update_trade_state;
use crate::pb::{RefundPaymentReq, RefundPaymentResp, UpdateTradeStateReq};
use crate::svc::ServiceContext;

pub async fn refund_payment(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: RefundPaymentReq,
) -> Result<RefundPaymentResp> {
    let taken = Filter::new()
        .eq(Col::OrderSn, req.order_sn.clone())
        .any_of(Col::PayStatus, [pay_status::SUCCESS, pay_status::REFUNDED])
        .order_by(Col::Id, Order::Desc)
        .limit(1);
    let mut payment = svc
        .payments
        .find_all(taken)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::msg("this order has no payment to refund"))?;
    // WeChat's refund notification carries nothing of ours back, unlike the
    // pre-pay's `attach`: keep the trace this refund is asked in with the
    // payment, before asking, and the notification continues it.
    if let Some(trace) = ctx.traceparent()
        && trace != payment.trace_parent
        && i64::from(payment.pay_status) == pay_status::SUCCESS
    {
        payment.trace_parent = trace.to_string();
        svc.payments.update_with_version(&mut payment).await?;
    }
    let ask = RefundRequest {
        out_trade_no: payment.sn.clone(),
        out_refund_no: format!("RF{}", payment.sn),
        reason: req.reason,
        notify_url: Some(svc.wx_pay.conf().refund_notify_url.clone()).filter(|u| !u.is_empty()),
        amount: RefundAmount {
            refund: payment.pay_total,
            total: payment.pay_total,
            currency: "CNY".into(),
        },
    };
    let refund = svc
        .wx_pay
        .refund(ctx, &ask, time::unix(time::now()))
        .await
        .map_err(|e| Error::internal(codes::SERVER_COMMON_ERROR, e))?;
    // PROCESSING: WeChat has the refund and pays it out shortly; CLOSED or
    // ABNORMAL need a person (the merchant platform shows why).
    if !matches!(refund.status.as_str(), "SUCCESS" | "PROCESSING") {
        return Err(Error::internal(
            codes::SERVER_COMMON_ERROR,
            anyhow::anyhow!(
                "WeChat Pay answered refund {} {}",
                refund.refund_id,
                refund.status
            ),
        ));
    }
    if refund.status == "PROCESSING" {
        return Ok(RefundPaymentResp {
            refund_id: refund.refund_id,
        });
    }
    update_trade_state(
        svc,
        ctx,
        UpdateTradeStateReq {
            sn: payment.sn,
            trade_state: "REFUND".into(),
            transaction_id: refund.transaction_id,
            trade_type: payment.trade_type,
            trade_state_desc: format!("refunded: {}", ask.reason),
            pay_status: pay_status::REFUNDED,
            pay_time: 0,
        },
    )
    .await?;
    Ok(RefundPaymentResp {
        refund_id: refund.refund_id,
    })
}
