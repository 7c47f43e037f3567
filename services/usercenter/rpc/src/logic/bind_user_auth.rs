// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/bindUserAuth`: link WeChat to an account that exists.
//!
//! Registering with a mobile number proves nothing about it: anyone can
//! type anyone's number. WeChat does prove it. So WeChat only joins an
//! account when two proofs meet: the caller is logged in to the account (its
//! password), and the number WeChat verified is the account's. Linking on
//! the number alone would hand a stranger who pre-registered your number
//! your WeChat login, and with it your orders.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use usercenter_model::user_auth::UserAuth;

use super::shared::AUTH_WX_MINI;
use crate::pb::{BindUserAuthReq, BindUserAuthResp};
use crate::svc::ServiceContext;

pub async fn bind_user_auth(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: BindUserAuthReq,
) -> Result<BindUserAuthResp> {
    if req.auth_type != AUTH_WX_MINI || req.auth_key.is_empty() || req.verified_mobile.is_empty() {
        return Err(Error::bad_param(
            "authType wxMini, authKey and verifiedMobile are required",
        ));
    }
    let user = svc
        .users
        .find_one(req.user_id)
        .await?
        .ok_or_else(|| Error::msg("user does not exist"))?;
    if user.mobile != req.verified_mobile {
        return Err(Error::msg(
            "WeChat verified another mobile number than this account's",
        ));
    }
    let auths = &svc.user_auths;
    if let Some(owner) = auths
        .find_one_by_auth_type_auth_key(AUTH_WX_MINI, &req.auth_key)
        .await?
    {
        // Linking twice is linking once.
        return match owner.user_id == user.id {
            true => Ok(BindUserAuthResp::default()),
            false => Err(Error::msg("this WeChat is linked to another account")),
        };
    }
    if auths
        .find_one_by_user_id_auth_type(user.id, AUTH_WX_MINI)
        .await?
        .is_some()
    {
        return Err(Error::msg("this account is linked to another WeChat"));
    }
    let auth = UserAuth {
        user_id: user.id,
        auth_key: req.auth_key,
        auth_type: AUTH_WX_MINI.into(),
        ..UserAuth::default()
    };
    // A racing link of the same WeChat fails on the unique key.
    auths.insert(&auth).await?;
    Ok(BindUserAuthResp::default())
}
