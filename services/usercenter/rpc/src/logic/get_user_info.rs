// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/getUserInfo`: one user, or the error "user does not exist".

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};

use super::shared::user_message;
use crate::pb::{GetUserInfoReq, GetUserInfoResp};
use crate::svc::ServiceContext;

pub async fn get_user_info(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: GetUserInfoReq,
) -> Result<GetUserInfoResp> {
    let user = svc
        .users
        .find_one(req.id)
        .await?
        .ok_or_else(|| Error::msg("user does not exist"))?;
    Ok(GetUserInfoResp {
        user: Some(user_message(user)),
    })
}
