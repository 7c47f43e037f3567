// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayBussiness/homestayBussinessDetail`: the business logic of this route.
//!
//! the landlord of one shop

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{HomestayBussinessDetailReq, HomestayBussinessDetailResp};

pub async fn homestay_bussiness_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayBussinessDetailReq,
) -> Result<HomestayBussinessDetailResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(HomestayBussinessDetailResp::default())
}
