// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/getUserInfo`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{GetUserInfoReq, GetUserInfoResp};
use crate::svc::ServiceContext;

pub async fn get_user_info(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GetUserInfoReq,
) -> Result<GetUserInfoResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GetUserInfoResp::default())
}
