// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/generateToken`: a token for a user another service has
//! already identified (the WeChat login, say).

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};

use super::shared::token;
use crate::pb::{GenerateTokenReq, GenerateTokenResp};
use crate::svc::ServiceContext;

pub async fn generate_token(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: GenerateTokenReq,
) -> Result<GenerateTokenResp> {
    if req.user_id <= 0 {
        return Err(Error::bad_param("userId must be a user's id"));
    }
    let (access_token, access_expire, refresh_after) = token(svc, req.user_id)?;
    Ok(GenerateTokenResp {
        access_token,
        access_expire,
        refresh_after,
    })
}
