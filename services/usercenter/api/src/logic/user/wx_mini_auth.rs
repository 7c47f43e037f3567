// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/wxMiniAuth`: log in through the WeChat mini-program. The
//! login code gives the user's openid and a session key, which decrypts
//! the phone number they shared. A known openid logs in; a new one
//! registers, unless the number has an account already: WeChat joins that
//! one only from inside it (`wxMiniBind`).

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use looklook_wechat::mini;
use usercenter_rpc::pb;

use crate::svc::ServiceContext;
use crate::types::{WXMiniAuthReq, WXMiniAuthResp};

/// How usercenter-rpc names a WeChat mini-program login.
pub(super) const WX_MINI: &str = "wxMini";

pub async fn wx_mini_auth(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: WXMiniAuthReq,
) -> Result<WXMiniAuthResp> {
    let (openid, phone) = verified(svc, ctx, &req).await?;
    let bound = svc
        .usercenter
        .get_user_auth_by_auth_key(
            ctx,
            pb::GetUserAuthByAuthKeyReq {
                auth_key: openid.clone(),
                auth_type: WX_MINI.into(),
            },
        )
        .await?
        .user_auth;
    let (access_token, access_expire, refresh_after) = match bound {
        Some(auth) => {
            let t = svc
                .usercenter
                .generate_token(
                    ctx,
                    pb::GenerateTokenReq {
                        user_id: auth.user_id,
                    },
                )
                .await?;
            (t.access_token, t.access_expire, t.refresh_after)
        }
        None => {
            // "LookLook" and the last four digits: a name until they pick one.
            let tail = &phone[phone.len().saturating_sub(4)..];
            let t = svc
                .usercenter
                .register(
                    ctx,
                    pb::RegisterReq {
                        mobile: phone.clone(),
                        nickname: format!("LookLook{tail}"),
                        password: String::new(),
                        auth_key: openid,
                        auth_type: WX_MINI.into(),
                    },
                )
                .await?;
            (t.access_token, t.access_expire, t.refresh_after)
        }
    };
    Ok(WXMiniAuthResp {
        access_token,
        access_expire,
        refresh_after,
    })
}

/// The openid of a login code, and the phone number WeChat verified for
/// it (shared by the user, encrypted with the session's key).
pub(super) async fn verified(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: &WXMiniAuthReq,
) -> Result<(String, String)> {
    let failed = |e: looklook_wechat::Error| Error::msg("wechat mini auth fail").with_cause(e);
    let session = svc
        .wx_mini
        .code_to_session(ctx, &req.code)
        .await
        .map_err(failed)?;
    let phone = mini::decrypt_phone(&session.session_key, &req.encrypted_data, &req.iv)
        .map_err(failed)?
        .pure_phone_number;
    Ok((session.openid, phone))
}
