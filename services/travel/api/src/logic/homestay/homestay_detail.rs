// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/homestayDetail`: the business logic of this route.
//!
//! one homestay

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{HomestayDetailReq, HomestayDetailResp};

pub async fn homestay_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayDetailReq,
) -> Result<HomestayDetailResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(HomestayDetailResp::default())
}
