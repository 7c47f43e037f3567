// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay_order`. The generated ones are in `homestay_order_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::homestay_order_gen::{HomestayOrder, HomestayOrderColumn, HomestayOrderModel};

impl HomestayOrderModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_sn(&self, value: &str) -> crate::Result<Vec<HomestayOrder>> {
    //     self.find_all(crate::Filter::new().eq(HomestayOrderColumn::Sn, value)).await
    // }
}
