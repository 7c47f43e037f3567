use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{EchoReq, EchoResp};

pub async fn echo(_svc: &ServiceContext, _ctx: &RequestCtx, req: EchoReq) -> Result<EchoResp> {
    Ok(EchoResp {
        greeting: format!("hello, {}", req.name),
        count: req.count * 2,
        tags: req.tags.unwrap_or_default(),
    })
}
