// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `homestay_bussiness` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod good_boss;
pub mod homestay_bussiness_detail;
pub mod homestay_bussiness_list;
