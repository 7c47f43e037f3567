// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayBussiness/goodBoss`: the business logic of this route.
//!
//! the landlords picked for the front page

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{GoodBossReq, GoodBossResp};

pub async fn good_boss(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GoodBossReq,
) -> Result<GoodBossResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GoodBossResp::default())
}
