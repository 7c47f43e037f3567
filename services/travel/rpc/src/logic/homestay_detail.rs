// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.travel/homestayDetail`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{HomestayDetailReq, HomestayDetailResp};
use crate::svc::ServiceContext;

pub async fn homestay_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayDetailReq,
) -> Result<HomestayDetailResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(HomestayDetailResp::default())
}
