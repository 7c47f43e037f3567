// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `homestay_order` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod cancel_homestay_order;
pub mod create_homestay_order;
pub mod user_homestay_order_detail;
pub mod user_homestay_order_list;
