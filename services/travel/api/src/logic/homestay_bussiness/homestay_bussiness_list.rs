// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayBussiness/homestayBussinessList`: the business logic of this route.
//!
//! shops, newest first, after lastId

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{HomestayBussinessListReq, HomestayBussinessListResp};

pub async fn homestay_bussiness_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayBussinessListReq,
) -> Result<HomestayBussinessListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(HomestayBussinessListResp::default())
}
