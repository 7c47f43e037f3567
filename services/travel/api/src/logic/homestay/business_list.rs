// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/businessList`: the business logic of this route.
//!
//! one shop's homestays, newest first, after lastId

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{BusinessListReq, BusinessListResp};

pub async fn business_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: BusinessListReq,
) -> Result<BusinessListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(BusinessListResp::default())
}
