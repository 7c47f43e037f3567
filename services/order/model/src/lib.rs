// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! order-model: the rows of `homestay_order` and the queries on them.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod homestay_night;
pub mod homestay_night_gen;
pub mod homestay_order;
pub mod homestay_order_gen;

pub use looklook_runtime::model::{
    Cache, CacheConf, Error, Filter, Order, Result, SqlConf, Tx, transact,
};
