//! One module per command: turn flags into options, call one library
//! function, and hand back what to print.

pub mod add;
pub mod api;
pub mod completions;
pub mod demo;
pub mod dev;
pub mod gen_all;
pub mod gen_api;
pub mod gen_clients;
pub mod gen_model;
pub mod gen_rpc;
pub mod image;
pub mod infra;
pub mod new;
