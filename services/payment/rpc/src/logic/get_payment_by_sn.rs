// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/GetPaymentBySn`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{GetPaymentBySnReq, GetPaymentBySnResp};
use crate::svc::ServiceContext;

pub async fn get_payment_by_sn(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GetPaymentBySnReq,
) -> Result<GetPaymentBySnResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GetPaymentBySnResp::default())
}
