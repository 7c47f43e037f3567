// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/homestayList`: the business logic of this route.
//!
//! homestays on sale, page by page

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{HomestayListReq, HomestayListResp};

pub async fn homestay_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayListReq,
) -> Result<HomestayListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(HomestayListResp::default())
}
