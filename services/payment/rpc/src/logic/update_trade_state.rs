// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/UpdateTradeState`: the business logic of this method.

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::pb::pb::{UpdateTradeStateReq, UpdateTradeStateResp};
use crate::svc::ServiceContext;

pub async fn update_trade_state(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UpdateTradeStateReq,
) -> Result<UpdateTradeStateResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(UpdateTradeStateResp::default())
}
