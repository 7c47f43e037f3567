// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/detail`: the caller's own details. The route is behind JWT,
//! so the token's user is the caller.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use usercenter_rpc::pb;

use crate::svc::ServiceContext;
use crate::types::{User, UserInfoReq, UserInfoResp};

pub async fn detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    _req: UserInfoReq,
) -> Result<UserInfoResp> {
    let id = ctx.logged_in_user()?;
    let user = svc
        .usercenter
        .get_user_info(ctx, pb::GetUserInfoReq { id })
        .await?
        .user
        .unwrap_or_default();
    Ok(UserInfoResp {
        user_info: User {
            id: user.id,
            mobile: user.mobile,
            nickname: user.nickname,
            sex: user.sex,
            avatar: user.avatar,
            info: user.info,
        },
    })
}
