// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/register`: the business logic of this route.
//!
//! register with a mobile number and a password

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{RegisterReq, RegisterResp};

pub async fn register(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: RegisterReq,
) -> Result<RegisterResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(RegisterResp::default())
}
