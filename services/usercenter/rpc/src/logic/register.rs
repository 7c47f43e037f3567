// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/register`: a new account and its first way to log in, in
//! one transaction, and a token for it. A WeChat registration whose phone
//! already has an account links WeChat to that account instead (the
//! original refused it, so such users could never log in with WeChat).

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use usercenter_model::transact;
use usercenter_model::user::User;
use usercenter_model::user_auth::UserAuth;

use super::shared::{hash_password, random_nickname, token};

/// The auth type of a WeChat mini-program login; its key is the openid.
const WX_MINI: &str = "wxMini";
use crate::pb::{RegisterReq, RegisterResp};
use crate::svc::ServiceContext;

pub async fn register(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: RegisterReq,
) -> Result<RegisterResp> {
    if req.mobile.is_empty() || req.auth_key.is_empty() || req.auth_type.is_empty() {
        return Err(Error::bad_param(
            "mobile, authKey and authType are required",
        ));
    }
    if let Some(existing) = svc.users.find_one_by_mobile(&req.mobile).await? {
        if req.auth_type != WX_MINI || !req.password.is_empty() {
            return Err(Error::msg("user has been registered"));
        }
        return link_wechat(svc, existing.id, req.auth_key).await;
    }
    let password = match req.password.is_empty() {
        true => String::new(),
        false => hash_password(req.password).await?,
    };
    let nickname = match req.nickname.is_empty() {
        true => random_nickname(),
        false => req.nickname,
    };
    let user = User {
        mobile: req.mobile,
        password,
        nickname,
        ..User::default()
    };
    let (users, auths) = (&svc.users, &svc.user_auths);
    // Both rows or neither; a racing registration of the same mobile fails
    // on the unique key and rolls back.
    let user_id = transact(users.pool(), async |tx| {
        let user_id = users.insert_in(tx, &user).await?;
        let auth = UserAuth {
            user_id,
            auth_key: req.auth_key,
            auth_type: req.auth_type,
            ..UserAuth::default()
        };
        auths.insert_in(tx, &auth).await?;
        Ok::<_, usercenter_model::Error>(user_id)
    })
    .await?;
    let (access_token, access_expire, refresh_after) = token(svc, user_id)?;
    Ok(RegisterResp {
        access_token,
        access_expire,
        refresh_after,
    })
}

/// Add a WeChat login to account `user_id`, unless it has one already.
async fn link_wechat(svc: &ServiceContext, user_id: i64, openid: String) -> Result<RegisterResp> {
    if svc
        .user_auths
        .find_one_by_user_id_auth_type(user_id, WX_MINI)
        .await?
        .is_some()
    {
        return Err(Error::msg("this account is linked to another WeChat"));
    }
    let auth = UserAuth {
        user_id,
        auth_key: openid,
        auth_type: WX_MINI.into(),
        ..UserAuth::default()
    };
    svc.user_auths.insert(&auth).await?;
    let (access_token, access_expire, refresh_after) = token(svc, user_id)?;
    Ok(RegisterResp {
        access_token,
        access_expire,
        refresh_after,
    })
}
