// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayBussiness/homestayBussinessDetail`: the landlord of one
//! shop. A shop (or landlord) that does not exist is a business error.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};

use crate::logic::users::user;
use crate::svc::ServiceContext;
use crate::types::{HomestayBusinessBoss, HomestayBussinessDetailReq, HomestayBussinessDetailResp};

pub async fn homestay_bussiness_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: HomestayBussinessDetailReq,
) -> Result<HomestayBussinessDetailResp> {
    let shop = svc
        .businesses
        .find_one(req.id)
        .await?
        .ok_or_else(|| Error::msg("this shop does not exist"))?;
    let boss = user(svc, ctx, shop.user_id)
        .await?
        .ok_or_else(|| Error::msg("this shop's landlord does not exist"))?;
    Ok(HomestayBussinessDetailResp {
        boss: HomestayBusinessBoss {
            id: boss.id,
            user_id: boss.id,
            nickname: boss.nickname,
            avatar: boss.avatar,
            // The shop's own words about its landlord.
            info: shop.boss_info,
            rank: 0,
        },
    })
}
