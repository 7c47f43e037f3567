// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/generateToken`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{GenerateTokenReq, GenerateTokenResp};
use crate::svc::ServiceContext;

pub async fn generate_token(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GenerateTokenReq,
) -> Result<GenerateTokenResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GenerateTokenResp::default())
}
