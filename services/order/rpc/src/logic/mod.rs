// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The business logic: one function per RPC method, called by `server.rs`.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod create_homestay_order;
pub mod homestay_order_detail;
pub mod update_homestay_order_trade_state;
pub mod user_homestay_order_list;
pub mod view;
