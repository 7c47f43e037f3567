//! What the reference system's services share.
//!
//! - [`testing`] (feature `testing`): a fresh database and an empty cache
//!   for a service's tests, on the MariaDB and Redis that `scripts/infra up`
//!   starts.

#[cfg(feature = "testing")]
pub mod testing;
