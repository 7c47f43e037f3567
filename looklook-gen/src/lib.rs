//! looklook's generator: definitions in, files out.
//!
//! Readers turn each kind of definition into plain data: [`apidsl`] the
//! `.api` language (lex, parse, check, format), [`proto`] `.proto` files
//! (through protox, no `protoc`), [`ddl`] MySQL `CREATE TABLE` statements.
//! The generators in [`codegen`] are pure functions from that data to a
//! [`codegen::FilePlan`]; [`rustfmt`] formats a plan and [`writer`] is the
//! only code that touches the output tree (all or nothing, user-owned files
//! kept). [`generate`] ties them into the `looklook gen` operations.
//!
//! This crate has no async runtime, container client, file watcher or HTTP
//! client: generating code needs none of them. The one exception is behind
//! the `datasource` feature (the CLI turns it on): reading a live database's
//! schema for `gen model --datasource` takes a database client.

pub mod add;
pub mod apidsl;
pub mod codegen;
#[cfg(feature = "datasource")]
pub mod datasource;
pub mod ddl;
pub mod generate;
pub mod naming;
pub mod proto;
pub mod runtime;
pub mod rustfmt;
pub mod versions;
pub mod writer;
