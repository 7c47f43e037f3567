// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.usercenter/register`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{RegisterReq, RegisterResp};
use crate::svc::ServiceContext;

pub async fn register(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: RegisterReq,
) -> Result<RegisterResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(RegisterResp::default())
}
