// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay_activity`. The generated ones are in `homestay_activity_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::homestay_activity_gen::{
    HomestayActivity, HomestayActivityColumn, HomestayActivityModel,
};

impl HomestayActivityModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_row_type(&self, value: &str) -> crate::Result<Vec<HomestayActivity>> {
    //     self.find_all(crate::Filter::new().eq(HomestayActivityColumn::RowType, value)).await
    // }
}
