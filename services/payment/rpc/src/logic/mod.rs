// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The business logic: one function per RPC method, called by `server.rs`.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod close_payment;
pub mod create_payment;
pub mod get_payment_by_sn;
pub mod get_payment_success_refund_by_order_sn;
pub mod refund_payment;
pub mod update_trade_state;
pub mod view;
