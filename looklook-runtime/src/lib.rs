//! looklook-runtime: what every looklook-generated service links.
//!
//! - [`config`]: YAML config files with `${ENV}` expansion and overrides.
//! - [`ctx`]: the request context the logic of every entry point gets.
//! - [`errors`]: business codes and the one error type handlers return.
//! - [`http`]: server bootstrap, request binding, the response envelope, JWT.
//! - `model` (feature `model`): MySQL pools, transactions, filters and the
//!   Redis cache that generated model crates use.
//! - `kafka` (feature `kafka`): JSON messages published and consumed at least
//!   once.
//! - `rpc` (feature `rpc`): gRPC server bootstrap, health, reflection, clients.
//! - [`resilience`]: the adaptive breaker and load shedder every server and
//!   client runs.
//! - [`telemetry`]: logging and Prometheus metrics.
//! - [`trace`]: spans per request and call, sent over OTLP (to Jaeger).
//! - [`shutdown`]: the signal every server and worker stops on.
//! - [`worker`]: the start-up and shutdown of processes that serve no
//!   requests (consumers, job workers, schedulers).

pub mod config;
pub mod ctx;
pub mod errors;
pub mod http;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod limit;
#[cfg(feature = "model")]
pub mod model;
pub mod resilience;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod shutdown;
pub mod telemetry;
pub mod trace;
pub mod worker;

pub use errors::{Error, Result, codes};

/// For `#[serde(skip_serializing_if = "looklook_runtime::is_default")]`: leave
/// out zero numbers and `false`, as Go's `omitempty` does.
pub fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
