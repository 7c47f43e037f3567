// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayBussiness/goodBoss`: the landlords picked for the front
//! page (the `goodBusiness` activity rows that are on; each names a
//! user), newest pick first, at most ten. A pick whose user is gone is
//! left out.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use travel_model::homestay_activity::HomestayActivityColumn as Col;
use travel_model::{Filter, Order};

use crate::logic::users::user;
use crate::svc::ServiceContext;
use crate::types::{GoodBossReq, GoodBossResp, HomestayBusinessBoss};

pub async fn good_boss(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    _req: GoodBossReq,
) -> Result<GoodBossResp> {
    let picks = Filter::new()
        .eq(Col::RowType, "goodBusiness")
        .eq(Col::RowStatus, true)
        .order_by(Col::DataId, Order::Desc);
    let picks = svc.activities.find_page(picks, 1, 10).await?;
    let mut list = Vec::with_capacity(picks.len());
    for (rank, pick) in picks.iter().enumerate() {
        if let Some(u) = user(svc, ctx, pick.data_id).await? {
            list.push(HomestayBusinessBoss {
                id: u.id,
                user_id: u.id,
                nickname: u.nickname,
                avatar: u.avatar,
                info: u.info,
                rank: rank as i64 + 1,
            });
        }
    }
    Ok(GoodBossResp { list })
}
