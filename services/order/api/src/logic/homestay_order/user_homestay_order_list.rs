// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/userHomestayOrderList`: the caller's orders, newest
//! first, after `lastId`, in one trade state or (-99) all.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::money::yuan;
use order_rpc::pb;

use crate::svc::ServiceContext;
use crate::types::{
    UserHomestayOrderListReq, UserHomestayOrderListResp, UserHomestayOrderListView,
};

pub async fn user_homestay_order_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UserHomestayOrderListReq,
) -> Result<UserHomestayOrderListResp> {
    let user_id = ctx.logged_in_user()?;
    let page = svc
        .orders
        .user_homestay_order_list(
            ctx,
            pb::UserHomestayOrderListReq {
                last_id: req.last_id,
                page_size: req.page_size,
                user_id,
                trader_state: req.trade_state,
            },
        )
        .await?;
    let list = page
        .list
        .into_iter()
        .map(|o| UserHomestayOrderListView {
            sn: o.sn,
            title: o.title,
            sub_title: o.sub_title,
            homestay_id: o.homestay_id,
            cover: o.cover,
            order_total_price: yuan(o.order_total_price),
            create_time: o.create_time,
            trade_state: o.trade_state,
            live_start_date: o.live_start_date,
            live_end_date: o.live_end_date,
            trade_code: o.trade_code,
        })
        .collect();
    Ok(UserHomestayOrderListResp { list })
}
