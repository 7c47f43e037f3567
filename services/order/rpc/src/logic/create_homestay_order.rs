// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/createHomestayOrder`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{CreateHomestayOrderReq, CreateHomestayOrderResp};
use crate::svc::ServiceContext;

pub async fn create_homestay_order(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CreateHomestayOrderReq,
) -> Result<CreateHomestayOrderResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(CreateHomestayOrderResp::default())
}
