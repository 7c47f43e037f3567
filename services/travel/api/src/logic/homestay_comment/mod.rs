// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `homestay_comment` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod comment_list;
