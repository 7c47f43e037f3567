// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `homestay` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod business_list;
pub mod guess_list;
pub mod homestay_detail;
pub mod homestay_list;
pub mod view;
