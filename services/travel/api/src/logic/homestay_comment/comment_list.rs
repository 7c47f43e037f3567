// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayComment/commentList`: one homestay's comments, newest
//! first, after `lastId` (keyset paging), each with its author's name and
//! picture. `star` is the overall mark of the stored marks.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use travel_model::Filter;
use travel_model::homestay_comment::HomestayCommentColumn as Col;

use crate::logic::users::user;
use crate::svc::ServiceContext;
use crate::types::{CommentListReq, CommentListResp, HomestayComment};

pub async fn comment_list(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CommentListReq,
) -> Result<CommentListResp> {
    let after = (req.last_id > 0).then_some(req.last_id);
    let rows = svc
        .comments
        .find_page_by_id_desc(
            Filter::new().eq(Col::HomestayId, req.homestay_id),
            after,
            req.page_size as u64,
        )
        .await?;
    // Each author once, however many comments they wrote.
    let mut authors = HashMap::new();
    for row in &rows {
        if let Entry::Vacant(slot) = authors.entry(row.user_id) {
            slot.insert(user(svc, ctx, row.user_id).await?);
        }
    }
    let list = rows
        .into_iter()
        .map(|c| {
            let author = authors
                .get(&c.user_id)
                .cloned()
                .flatten()
                .unwrap_or_default();
            HomestayComment {
                id: c.id,
                homestay_id: c.homestay_id,
                content: c.content,
                star: c.star["overall"].as_f64().unwrap_or(0.0),
                user_id: c.user_id,
                nickname: author.nickname,
                avatar: author.avatar,
            }
        })
        .collect();
    Ok(CommentListResp { list })
}
