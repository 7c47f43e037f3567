// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/getUserAuthByAuthKey`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{GetUserAuthByAuthKeyReq, GetUserAuthByAuthKeyResp};
use crate::svc::ServiceContext;

pub async fn get_user_auth_by_auth_key(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GetUserAuthByAuthKeyReq,
) -> Result<GetUserAuthByAuthKeyResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GetUserAuthByAuthKeyResp::default())
}
