// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestay/guessList`: the business logic of this route.
//!
//! homestays picked for the front page

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{GuessListReq, GuessListResp};

pub async fn guess_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: GuessListReq,
) -> Result<GuessListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(GuessListResp::default())
}
