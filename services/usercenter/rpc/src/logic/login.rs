// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/login`: a mobile number and password for a token.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::limit::Take;
use looklook_runtime::{Error, Result};

use super::shared::{AUTH_SYSTEM, password_matches, token};
use crate::pb::{LoginReq, LoginResp};
use crate::svc::ServiceContext;

pub async fn login(svc: &ServiceContext, _ctx: &RequestCtx, req: LoginReq) -> Result<LoginResp> {
    if req.auth_type != AUTH_SYSTEM {
        return Err(Error::msg("this way of logging in is not supported"));
    }
    // Tries per number, before any hashing: a guesser who spreads over many
    // addresses (past the gateway's and the API's limits per address)
    // still gets only so many per number. Unknown numbers count too, so
    // the answer tells nothing about which exist. If Redis does not
    // answer, the login goes on: the limits per address still hold.
    if let Some(limit) = &svc.login_limit {
        match limit.take(&req.auth_key).await {
            Ok(Take::OverQuota) => {
                return Err(Error::msg(
                    "too many login attempts for this number; try again later",
                ));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "login limit unavailable; not counted"),
        }
    }
    // One answer for an unknown number and a wrong password: the difference
    // would tell a stranger which numbers have accounts.
    // The same work too: an unknown number is checked against a dummy hash.
    let wrong = || Error::msg("wrong mobile number or password");
    let user = svc.users.find_one_by_mobile(&req.auth_key).await?;
    let stored = user.as_ref().map(|u| u.password.clone());
    let user = match (password_matches(req.password, stored).await, user) {
        (true, Some(user)) => user,
        _ => return Err(wrong()),
    };
    let (access_token, access_expire, refresh_after) = token(svc, user.id)?;
    Ok(LoginResp {
        access_token,
        access_expire,
        refresh_after,
    })
}
