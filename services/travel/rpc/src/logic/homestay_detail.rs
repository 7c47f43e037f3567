// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.travel/homestayDetail`: one homestay, prices in cents. A homestay
//! that does not exist (or was deleted) leaves `homestay` unset: callers
//! decide what that means, and nothing here panics on it.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::pb::{Homestay, HomestayDetailReq, HomestayDetailResp};
use crate::svc::ServiceContext;

pub async fn homestay_detail(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: HomestayDetailReq,
) -> Result<HomestayDetailResp> {
    let homestay = svc.homestays.find_one(req.id).await?.map(|h| Homestay {
        id: h.id,
        title: h.title,
        sub_title: h.sub_title,
        banner: h.banner,
        info: h.info,
        people_num: i64::from(h.people_num),
        homestay_business_id: h.homestay_business_id,
        user_id: h.user_id,
        row_state: i64::from(h.row_state),
        row_type: i64::from(h.row_type),
        food_info: h.food_info,
        food_price: h.food_price,
        homestay_price: h.homestay_price,
        market_homestay_price: h.market_homestay_price,
    });
    Ok(HomestayDetailResp { homestay })
}
