// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/register`: a new account and its first way to log in, in
//! one transaction, and a token for it.
//!
//! A number that already has an account is refused, WeChat or not. The
//! original linked a WeChat registration to the account of its number;
//! but that account's number was only typed in, never verified, so whoever
//! registered it first (anyone) got the WeChat user's login. Linking is
//! `bindUserAuth`, from inside the account.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use usercenter_model::transact;
use usercenter_model::user::User;
use usercenter_model::user_auth::UserAuth;

use super::shared::{AUTH_WX_MINI, hash_password, random_nickname, token};
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
    if svc.users.find_one_by_mobile(&req.mobile).await?.is_some() {
        return Err(match req.auth_type == AUTH_WX_MINI {
            true => Error::msg(
                "this mobile number has an account: log in to it, then link WeChat from there",
            ),
            false => Error::msg("user has been registered"),
        });
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
