// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayComment/commentList`: the business logic of this route.
//!
//! reviews, newest first, after lastId

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{CommentListReq, CommentListResp};

pub async fn comment_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CommentListReq,
) -> Result<CommentListResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(CommentListResp::default())
}
