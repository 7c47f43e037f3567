// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/wxMiniAuth`: the business logic of this route.
//!
//! log in through a WeChat mini-program; the first time creates the account

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{WXMiniAuthReq, WXMiniAuthResp};

pub async fn wx_mini_auth(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: WXMiniAuthReq,
) -> Result<WXMiniAuthResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(WXMiniAuthResp::default())
}
