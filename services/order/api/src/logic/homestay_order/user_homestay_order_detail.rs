// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/userHomestayOrderDetail`: the business logic of this route.
//!
//! one of the caller's orders

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{UserHomestayOrderDetailReq, UserHomestayOrderDetailResp};

pub async fn user_homestay_order_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UserHomestayOrderDetailReq,
) -> Result<UserHomestayOrderDetailResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(UserHomestayOrderDetailResp::default())
}
