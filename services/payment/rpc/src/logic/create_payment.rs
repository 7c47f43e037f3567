// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/CreatePayment`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{CreatePaymentReq, CreatePaymentResp};
use crate::svc::ServiceContext;

pub async fn create_payment(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CreatePaymentReq,
) -> Result<CreatePaymentResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(CreatePaymentResp::default())
}
