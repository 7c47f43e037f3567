// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/getUserAuthByUserId`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{GetUserAuthByUserIdReq, GetUserAuthyUserIdResp};
use crate::svc::ServiceContext;

pub async fn get_user_auth_by_user_id(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GetUserAuthByUserIdReq,
) -> Result<GetUserAuthyUserIdResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GetUserAuthyUserIdResp::default())
}
