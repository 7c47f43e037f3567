//! looklook: generate, run and hot-reload Rust microservices.
//!
//! The binary (`src/main.rs`) only turns command-line flags into option
//! structs and calls into this library; nothing here prints or exits.

pub mod apidsl;
