// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/userHomestayOrderList`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{UserHomestayOrderListReq, UserHomestayOrderListResp};
use crate::svc::ServiceContext;

pub async fn user_homestay_order_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UserHomestayOrderListReq,
) -> Result<UserHomestayOrderListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(UserHomestayOrderListResp::default())
}
