// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/login`: the business logic of this route.
//!
//! log in with a mobile number and a password

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{LoginReq, LoginResp};

pub async fn login(svc: &ServiceContext, ctx: &RequestCtx, req: LoginReq) -> Result<LoginResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(LoginResp::default())
}
