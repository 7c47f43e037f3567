// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/detail`: the business logic of this route.
//!
//! the caller's own details

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{UserInfoReq, UserInfoResp};

pub async fn detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UserInfoReq,
) -> Result<UserInfoResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(UserInfoResp::default())
}
