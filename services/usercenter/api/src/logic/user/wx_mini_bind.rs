// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/wxMiniBind`: link WeChat to the caller's account. The route
//! is behind JWT, so the caller has proved the account is theirs; WeChat
//! proves the phone number, which must be the account's. Then the
//! mini-program logs straight in (`wxMiniAuth`).

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use usercenter_rpc::pb;

use super::detail::detail;
use super::wx_mini_auth::{WX_MINI, verified};
use crate::svc::ServiceContext;
use crate::types::{UserInfoReq, UserInfoResp, WXMiniAuthReq};

pub async fn wx_mini_bind(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: WXMiniAuthReq,
) -> Result<UserInfoResp> {
    let user_id = ctx.logged_in_user()?;
    let (openid, phone) = verified(svc, ctx, &req).await?;
    svc.usercenter
        .bind_user_auth(
            ctx,
            pb::BindUserAuthReq {
                user_id,
                auth_key: openid,
                auth_type: WX_MINI.into(),
                verified_mobile: phone,
            },
        )
        .await?;
    detail(svc, ctx, UserInfoReq {}).await
}
