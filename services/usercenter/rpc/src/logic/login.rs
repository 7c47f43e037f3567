// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/login`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{LoginReq, LoginResp};
use crate::svc::ServiceContext;

pub async fn login(svc: &ServiceContext, ctx: &RequestCtx, req: LoginReq) -> Result<LoginResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(LoginResp::default())
}
