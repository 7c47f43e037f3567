// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! usercenter-model: the rows of `user`, `user_auth` and the queries on them.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod user;
pub mod user_auth;
pub mod user_auth_gen;
pub mod user_gen;

pub use looklook_runtime::model::{
    Cache, CacheConf, Error, Filter, Order, Result, SqlConf, Tx, transact,
};
