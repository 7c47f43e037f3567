// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/CreatePayment`: record a payment about to be made with a
//! third party; its number (PMT...) is what the third party is told.
//!
//! An order has one open payment: asking again (the user tapped "pay"
//! twice, or came back later) returns the one already made, so WeChat is
//! told the same number and keeps one transaction. A second payment would
//! be a second transaction the user could pay as well: charged twice.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use looklook_shared::sn;
use looklook_shared::state::pay_status;
use payment_model::Filter;
use payment_model::third_payment::{ThirdPayment, ThirdPaymentColumn as Col};

use crate::pb::{CreatePaymentReq, CreatePaymentResp};
use crate::svc::ServiceContext;

/// The businesses a payment can be for.
const SERVICE_TYPES: &[&str] = &["homestayOrder"];
/// The ways to pay.
const PAY_MODES: &[&str] = &["WECHAT_PAY"];

pub async fn create_payment(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CreatePaymentReq,
) -> Result<CreatePaymentResp> {
    if !SERVICE_TYPES.contains(&req.service_type.as_str()) {
        return Err(Error::bad_param(format!(
            "payments for `{}` are not supported",
            req.service_type
        )));
    }
    if !PAY_MODES.contains(&req.pay_model.as_str()) {
        return Err(Error::bad_param(format!(
            "`{}` is not a way to pay",
            req.pay_model
        )));
    }
    if req.pay_total <= 0 || req.order_sn.is_empty() || req.user_id <= 0 {
        return Err(Error::bad_param(
            "a payment needs a user, an order and an amount",
        ));
    }
    let open = Filter::new()
        .eq(Col::OrderSn, req.order_sn.clone())
        .eq(Col::PayStatus, pay_status::WAIT)
        .limit(1);
    if let Some(open) = svc.payments.find_all(open).await?.into_iter().next() {
        // The order's amount does not change while it waits; a payment for
        // another amount or another user is not this one.
        if open.pay_total != req.pay_total || open.user_id != req.user_id {
            return Err(Error::msg(
                "this order has an open payment for another amount",
            ));
        }
        return Ok(CreatePaymentResp {
            sn: open.sn,
            trace_parent: open.trace_parent,
        });
    }
    let payment = ThirdPayment {
        sn: sn::gen_sn(sn::THIRD_PAYMENT),
        user_id: req.user_id,
        pay_mode: req.pay_model,
        pay_total: req.pay_total,
        order_sn: req.order_sn,
        service_type: req.service_type,
        // Unpaid, never paid: the columns' defaults.
        pay_time: looklook_shared::time::local(0).unwrap_or_default(),
        // The trace it is made in: WeChat gives it back with the payment,
        // which then goes on in it.
        trace_parent: ctx.traceparent().unwrap_or_default().to_string(),
        ..ThirdPayment::default()
    };
    svc.payments.insert(&payment).await?;
    Ok(CreatePaymentResp {
        sn: payment.sn,
        trace_parent: payment.trace_parent,
    })
}
