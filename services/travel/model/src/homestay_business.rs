// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay_business`. The generated ones are in `homestay_business_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::homestay_business_gen::{
    HomestayBusiness, HomestayBusinessColumn, HomestayBusinessModel,
};

impl HomestayBusinessModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_title(&self, value: &str) -> crate::Result<Vec<HomestayBusiness>> {
    //     self.find_all(crate::Filter::new().eq(HomestayBusinessColumn::Title, value)).await
    // }
}
