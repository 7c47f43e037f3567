// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/createHomestayOrder`: book a homestay for the
//! caller. order-rpc checks the dates, the guests and the homestay and
//! works out the price; the client never names one.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use order_rpc::pb;

use crate::svc::ServiceContext;
use crate::types::{CreateHomestayOrderReq, CreateHomestayOrderResp};

pub async fn create_homestay_order(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CreateHomestayOrderReq,
) -> Result<CreateHomestayOrderResp> {
    let user_id = ctx.logged_in_user()?;
    let created = svc
        .orders
        .create_homestay_order(
            ctx,
            pb::CreateHomestayOrderReq {
                homestay_id: req.homestay_id,
                is_food: req.is_food,
                live_start_time: req.live_start_time,
                live_end_time: req.live_end_time,
                user_id,
                live_people_num: req.live_people_num,
                remark: req.remark.unwrap_or_default(),
            },
        )
        .await?;
    Ok(CreateHomestayOrderResp {
        order_sn: created.sn,
    })
}
