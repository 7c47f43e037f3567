// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The business logic: one function per route, called by its handler.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod homestay;
pub mod homestay_bussiness;
pub mod homestay_comment;
pub mod users;
