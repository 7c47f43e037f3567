// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `user` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod detail;
pub mod login;
pub mod register;
pub mod wx_mini_auth;
pub mod wx_mini_bind;
