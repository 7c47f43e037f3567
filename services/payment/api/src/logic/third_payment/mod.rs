// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `third_payment` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod third_payment_wx_pay_callback;
pub mod third_payment_wx_refund_callback;
pub mod third_paymentwx_pay;
