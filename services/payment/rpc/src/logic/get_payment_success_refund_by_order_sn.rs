// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/GetPaymentSuccessRefundByOrderSn`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{GetPaymentSuccessRefundByOrderSnReq, GetPaymentSuccessRefundByOrderSnResp};
use crate::svc::ServiceContext;

pub async fn get_payment_success_refund_by_order_sn(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GetPaymentSuccessRefundByOrderSnReq,
) -> Result<GetPaymentSuccessRefundByOrderSnResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GetPaymentSuccessRefundByOrderSnResp::default())
}
