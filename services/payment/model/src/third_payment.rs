// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `third_payment`. The generated ones are in `third_payment_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::third_payment_gen::{ThirdPayment, ThirdPaymentColumn, ThirdPaymentModel};

impl ThirdPaymentModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_sn(&self, value: &str) -> crate::Result<Vec<ThirdPayment>> {
    //     self.find_all(crate::Filter::new().eq(ThirdPaymentColumn::Sn, value)).await
    // }
}
