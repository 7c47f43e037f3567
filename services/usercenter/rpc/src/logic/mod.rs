// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The business logic: one function per RPC method, called by `server.rs`.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod bind_user_auth;
pub mod generate_token;
pub mod get_user_auth_by_auth_key;
pub mod get_user_auth_by_user_id;
pub mod get_user_info;
pub mod login;
pub mod register;
pub mod shared;
