// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayBussiness/homestayBussinessList`: the shops open for
//! business, newest first, after `lastId` (keyset paging).

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use travel_model::Filter;
use travel_model::homestay_business::HomestayBusinessColumn;

use crate::svc::ServiceContext;
use crate::types::{
    HomestayBusiness, HomestayBusinessListInfo, HomestayBussinessListReq, HomestayBussinessListResp,
};

pub async fn homestay_bussiness_list(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: HomestayBussinessListReq,
) -> Result<HomestayBussinessListResp> {
    let open = Filter::new().eq(HomestayBusinessColumn::RowState, true);
    let after = (req.last_id > 0).then_some(req.last_id);
    let rows = svc
        .businesses
        .find_page_by_id_desc(open, after, req.page_size as u64)
        .await?;
    let list = rows
        .into_iter()
        .map(|b| HomestayBusinessListInfo {
            homestay_business: HomestayBusiness {
                id: b.id,
                title: b.title,
                info: b.info,
                tags: b.tags,
                cover: b.cover,
                star: b.star,
                // Favourites, sales and spend per person are not recorded yet.
                is_fav: 0,
                header_img: b.header_img,
            },
            sell_month: 0,
            person_consume: 0,
        })
        .collect();
    Ok(HomestayBussinessListResp { list })
}
