// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay_comment`. The generated ones are in `homestay_comment_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::homestay_comment_gen::{
    HomestayComment, HomestayCommentColumn, HomestayCommentModel,
};

impl HomestayCommentModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_content(&self, value: &str) -> crate::Result<Vec<HomestayComment>> {
    //     self.find_all(crate::Filter::new().eq(HomestayCommentColumn::Content, value)).await
    // }
}
