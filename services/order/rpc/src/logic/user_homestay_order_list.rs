// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/userHomestayOrderList`: one user's orders, newest first, after
//! `lastId` (keyset paging), in one trade state or (-99) all of them.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use looklook_shared::state::trade_state;
use order_model::Filter;
use order_model::homestay_order::HomestayOrderColumn;

use super::view::order;
use crate::pb::{UserHomestayOrderListReq, UserHomestayOrderListResp};
use crate::svc::ServiceContext;

/// The most orders one page holds.
const MAX_PAGE: i64 = 100;

pub async fn user_homestay_order_list(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: UserHomestayOrderListReq,
) -> Result<UserHomestayOrderListResp> {
    if req.user_id <= 0 {
        return Err(Error::bad_param("`userId` is missing"));
    }
    let mut filter = Filter::new().eq(HomestayOrderColumn::UserId, req.user_id);
    if trade_state::is_known(req.trader_state) {
        filter = filter.eq(HomestayOrderColumn::TradeState, req.trader_state);
    }
    let after = (req.last_id > 0).then_some(req.last_id);
    let page_size = req.page_size.clamp(1, MAX_PAGE) as u64;
    let rows = svc
        .orders
        .find_page_by_id_desc(filter, after, page_size)
        .await?;
    Ok(UserHomestayOrderListResp {
        list: rows
            .into_iter()
            .map(|row| order(row, svc.config.close_order_after_secs))
            .collect(),
    })
}
