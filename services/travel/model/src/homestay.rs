// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay`. The generated ones are in `homestay_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::homestay_gen::{Homestay, HomestayColumn, HomestayModel};

impl HomestayModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_title(&self, value: &str) -> crate::Result<Vec<Homestay>> {
    //     self.find_all(crate::Filter::new().eq(HomestayColumn::Title, value)).await
    // }
}
