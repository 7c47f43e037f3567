// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay_order`. The generated ones are in `homestay_order_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::homestay_order_gen::{HomestayOrder, HomestayOrderColumn, HomestayOrderModel};

impl HomestayOrderModel {
    /// Paid orders (trade state 1) whose check-out date is before `day`.
    pub async fn find_paid_ended_before(
        &self,
        day: chrono::NaiveDate,
    ) -> crate::Result<Vec<HomestayOrder>> {
        let filter = crate::Filter::new()
            .eq(HomestayOrderColumn::TradeState, 1)
            .lt(HomestayOrderColumn::LiveEndDate, day);
        self.find_all(filter).await
    }
}
