// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! travel-model: the rows of `homestay`, `homestay_activity`, `homestay_business`, `homestay_comment` and the queries on them.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod homestay;
pub mod homestay_activity;
pub mod homestay_activity_gen;
pub mod homestay_business;
pub mod homestay_business_gen;
pub mod homestay_comment;
pub mod homestay_comment_gen;
pub mod homestay_gen;

pub use looklook_runtime::model::{
    Cache, CacheConf, Error, Filter, Order, Result, SqlConf, Tx, transact,
};
