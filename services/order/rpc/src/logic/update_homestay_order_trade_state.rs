// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/updateHomestayOrderTradeState`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{UpdateHomestayOrderTradeStateReq, UpdateHomestayOrderTradeStateResp};
use crate::svc::ServiceContext;

pub async fn update_homestay_order_trade_state(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UpdateHomestayOrderTradeStateReq,
) -> Result<UpdateHomestayOrderTradeStateResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(UpdateHomestayOrderTradeStateResp::default())
}
