// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/getUserAuthByUserId`: how a user logs in by this way
//! (`authType`); `userAuth` is unset when they do not.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use super::shared::user_auth_message;
use crate::pb::{GetUserAuthByUserIdReq, GetUserAuthyUserIdResp};
use crate::svc::ServiceContext;

pub async fn get_user_auth_by_user_id(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: GetUserAuthByUserIdReq,
) -> Result<GetUserAuthyUserIdResp> {
    let auth = svc
        .user_auths
        .find_one_by_user_id_auth_type(req.user_id, &req.auth_type)
        .await?;
    Ok(GetUserAuthyUserIdResp {
        user_auth: auth.map(user_auth_message),
    })
}
