// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/GetPaymentSuccessRefundByOrderSn`: the payment that paid an
//! order (paid, or paid and refunded since); unset when there is none.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::state::pay_status;
use payment_model::third_payment::ThirdPaymentColumn;
use payment_model::{Filter, Order};

use super::view::payment;
use crate::pb::{GetPaymentSuccessRefundByOrderSnReq, GetPaymentSuccessRefundByOrderSnResp};
use crate::svc::ServiceContext;

pub async fn get_payment_success_refund_by_order_sn(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: GetPaymentSuccessRefundByOrderSnReq,
) -> Result<GetPaymentSuccessRefundByOrderSnResp> {
    let filter = Filter::new()
        .eq(ThirdPaymentColumn::OrderSn, req.order_sn)
        .any_of(
            ThirdPaymentColumn::PayStatus,
            [pay_status::SUCCESS, pay_status::REFUNDED],
        )
        .order_by(ThirdPaymentColumn::Id, Order::Desc)
        .limit(1);
    let found = svc.payments.find_all(filter).await?.into_iter().next();
    Ok(GetPaymentSuccessRefundByOrderSnResp {
        payment_detail: found.map(payment),
    })
}
