// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/homestayOrderDetail`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{HomestayOrderDetailReq, HomestayOrderDetailResp};
use crate::svc::ServiceContext;

pub async fn homestay_order_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayOrderDetailReq,
) -> Result<HomestayOrderDetailResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(HomestayOrderDetailResp::default())
}
