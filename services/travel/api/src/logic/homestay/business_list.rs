// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/businessList`: one shop's homestays on sale, newest
//! first, after `lastId` (keyset paging: stable while rows are added).

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use travel_model::Filter;
use travel_model::homestay::HomestayColumn;

use super::view::homestay;
use crate::svc::ServiceContext;
use crate::types::{BusinessListReq, BusinessListResp};

pub async fn business_list(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: BusinessListReq,
) -> Result<BusinessListResp> {
    let filter = Filter::new()
        .eq(HomestayColumn::HomestayBusinessId, req.homestay_business_id)
        .eq(HomestayColumn::RowState, true);
    let after = (req.last_id > 0).then_some(req.last_id);
    let rows = svc
        .homestays
        .find_page_by_id_desc(filter, after, req.page_size as u64)
        .await?;
    Ok(BusinessListResp {
        list: rows.into_iter().map(homestay).collect(),
    })
}
