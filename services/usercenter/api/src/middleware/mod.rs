// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Middleware named by `@server(middleware: ...)`, one file each.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod rate_limit;
