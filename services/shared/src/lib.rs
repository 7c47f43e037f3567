//! What the reference system's services share.
//!
//! - [`sn`]: order and payment numbers, and the code a guest shows on arrival.
//! - `jobs` (feature `jobs`): the background jobs and their Redis queues.
//! - [`message`]: what payment tells order over Kafka.
//! - [`money`]: cents and yuan.
//! - [`state`]: the order's trade states and the payment's statuses.
//! - [`time`]: the business's clock, and stored times as unix seconds.
//! - [`testing`] (feature `testing`): a fresh database and an empty cache
//!   for a service's tests, on the MariaDB and Redis that `scripts/infra up`
//!   starts.

#[cfg(feature = "jobs")]
pub mod jobs;
pub mod message;
pub mod money;
pub mod sn;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
