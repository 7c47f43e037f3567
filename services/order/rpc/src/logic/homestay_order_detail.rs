// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/homestayOrderDetail`: one order by its number. An order that
//! does not exist leaves `homestayOrder` unset; callers decide what that
//! means.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use super::view::order;
use crate::pb::{HomestayOrderDetailReq, HomestayOrderDetailResp};
use crate::svc::ServiceContext;

pub async fn homestay_order_detail(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: HomestayOrderDetailReq,
) -> Result<HomestayOrderDetailResp> {
    let found = svc.orders.find_one_by_sn(&req.sn).await?;
    Ok(HomestayOrderDetailResp {
        homestay_order: found.map(|row| order(row, svc.config.close_order_after_secs)),
    })
}
