// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! travel-rpc: the gRPC server of the `.proto` services, and the typed clients other services use to call them.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod client;
pub mod config;
pub mod logic;
pub mod pb;
pub mod server;
pub mod svc;
