// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/getUserAuthByAuthKey`: who logs in with this key (an
//! openid, say); `userAuth` is unset when nobody does.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use super::shared::user_auth_message;
use crate::pb::{GetUserAuthByAuthKeyReq, GetUserAuthByAuthKeyResp};
use crate::svc::ServiceContext;

pub async fn get_user_auth_by_auth_key(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: GetUserAuthByAuthKeyReq,
) -> Result<GetUserAuthByAuthKeyResp> {
    let auth = svc
        .user_auths
        .find_one_by_auth_type_auth_key(&req.auth_type, &req.auth_key)
        .await?;
    Ok(GetUserAuthByAuthKeyResp {
        user_auth: auth.map(user_auth_message),
    })
}
