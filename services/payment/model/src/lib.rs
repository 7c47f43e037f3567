// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! payment-model: the rows of `third_payment` and the queries on them.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod third_payment;
pub mod third_payment_gen;

pub use looklook_runtime::model::{
    Cache, CacheConf, Error, Filter, Order, Result, SqlConf, Tx, transact,
};
