// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/homestayList`: the front page's picks (the
//! `preferredHomestay` activity rows that are on), newest pick first, page
//! by page (`page` counts from 1). A pick whose homestay is gone or off
//! the shelf is left out.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use travel_model::homestay_activity::HomestayActivityColumn as Col;
use travel_model::{Filter, Order};

use super::view::homestay;
use crate::svc::ServiceContext;
use crate::types::{HomestayListReq, HomestayListResp};

pub async fn homestay_list(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: HomestayListReq,
) -> Result<HomestayListResp> {
    let picks = Filter::new()
        .eq(Col::RowType, "preferredHomestay")
        .eq(Col::RowStatus, true)
        .order_by(Col::DataId, Order::Desc);
    let picks = svc
        .activities
        .find_page(picks, req.page as u64, req.page_size as u64)
        .await?;
    let mut list = Vec::with_capacity(picks.len());
    // One cached read by key per pick, in the picks' order.
    for pick in picks {
        if let Some(row) = svc.homestays.find_one(pick.data_id).await?
            && row.row_state
        {
            list.push(homestay(row));
        }
    }
    Ok(HomestayListResp { list })
}
