// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/createHomestayOrder`: the business logic of this route.
//!
//! book a homestay; the price is worked out here, never taken from the client

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{CreateHomestayOrderReq, CreateHomestayOrderResp};

pub async fn create_homestay_order(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CreateHomestayOrderReq,
) -> Result<CreateHomestayOrderResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(CreateHomestayOrderResp::default())
}
