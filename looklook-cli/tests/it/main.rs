//! Integration tests of the looklook CLI and library, in one test binary to
//! keep builds short.

mod architecture;
mod cli;
mod clients;
mod corpus;
mod dev;
mod fuzz;
mod gateway;
mod guide;
mod infra;
mod kube;
mod model;
mod plugin;
mod rpc;
mod serve;
mod snapshots;
mod support;
