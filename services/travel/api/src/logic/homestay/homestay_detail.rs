// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/homestayDetail`: one homestay; a missing one is an
//! error the client can show, not a crash.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};

use super::view::homestay;
use crate::svc::ServiceContext;
use crate::types::{HomestayDetailReq, HomestayDetailResp};

pub async fn homestay_detail(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: HomestayDetailReq,
) -> Result<HomestayDetailResp> {
    let row = svc
        .homestays
        .find_one(req.id)
        .await?
        .ok_or_else(|| Error::msg("this homestay does not exist"))?;
    Ok(HomestayDetailResp {
        homestay: homestay(row),
    })
}
