// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/guessList`: "you may like": the five newest homestays on
//! sale (no personalisation yet).

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use travel_model::homestay::HomestayColumn;
use travel_model::{Filter, Order};

use super::view::homestay;
use crate::svc::ServiceContext;
use crate::types::{GuessListReq, GuessListResp};

pub async fn guess_list(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    _req: GuessListReq,
) -> Result<GuessListResp> {
    let newest = Filter::new()
        .eq(HomestayColumn::RowState, true)
        .order_by(HomestayColumn::Id, Order::Desc)
        .limit(5);
    let rows = svc.homestays.find_all(newest).await?;
    Ok(GuessListResp {
        list: rows.into_iter().map(homestay).collect(),
    })
}
