// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/userHomestayOrderList`: the business logic of this route.
//!
//! the caller's orders, newest first, after lastId

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{UserHomestayOrderListReq, UserHomestayOrderListResp};

pub async fn user_homestay_order_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UserHomestayOrderListReq,
) -> Result<UserHomestayOrderListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(UserHomestayOrderListResp::default())
}
