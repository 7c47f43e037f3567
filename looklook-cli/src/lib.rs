//! looklook: generate, run and hot-reload Rust microservices.
//!
//! The binary (`src/main.rs`) only turns command-line flags into option
//! structs and calls into this library; nothing here prints or exits.
//!
//! - [`apidsl`]: the `.api` language (parse, check, format).
//! - [`codegen`]: pure generators from checked models to file plans.
//! - [`writer`]: applies a file plan, keeping user-owned files safe.
//! - [`generate`]: the `looklook gen` operations tying them together.
//! - [`stack`], [`infra`]: the stack file and `looklook up`/`down`/`ps`/`logs`.
//! - [`manifest`]: `looklook.toml`, the project manifest.
//! - [`devloop`]: `looklook dev`, running the processes and hot-reloading them.

pub mod apidsl;
pub mod codegen;
pub mod ddl;
pub mod demo;
pub mod devloop;
pub mod generate;
pub mod infra;
pub mod manifest;
pub mod proto;
pub mod rustfmt;
pub mod stack;
pub mod writer;
