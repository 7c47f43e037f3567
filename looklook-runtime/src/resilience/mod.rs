//! What keeps a service standing when its callers or its dependencies
//! misbehave, as go-zero builds it into every service: nothing to write in
//! the service, switches in its config.
//!
//! - [`Breaker`]: a dependency that fails is called less, and the caller
//!   fails fast instead of waiting for it.
//! - [`Shedder`]: when the CPU is saturated, requests that would only
//!   queue are refused at once, so the rest keep their latency.
//! - [`cpu_usage`]: the process's CPU use, which the shedder reads.
//!
//! The RPC client balances over endpoints by latency (p2c over a peak
//! EWMA), in `rpc`; timeouts and deadlines are in the servers and the
//! [`RequestCtx`](crate::ctx::RequestCtx).

mod breaker;
pub use breaker::WINDOW as BREAKER_WINDOW;
mod cpu;
mod shedder;
mod window;

pub use breaker::Breaker;
pub use cpu::usage as cpu_usage;
pub use shedder::{Pass, Shedder};

/// Breakers by name: one per dependency (an RPC method, say), made on
/// first use, each counted in `breaker_rejections_total{name}`.
pub struct Breakers {
    by_name: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<Breaker>>>,
    window: std::time::Duration,
}

impl Default for Breakers {
    fn default() -> Self {
        Breakers::with_window(breaker::WINDOW)
    }
}

impl Breakers {
    /// Breakers over the last `window` (tests use a short one).
    pub fn with_window(window: std::time::Duration) -> Self {
        Breakers {
            by_name: Default::default(),
            window,
        }
    }

    /// The breaker of `name`.
    pub fn get(&self, name: &str) -> std::sync::Arc<Breaker> {
        if let Some(b) = self
            .by_name
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return b.clone();
        }
        self.by_name
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_string())
            .or_insert_with(|| std::sync::Arc::new(Breaker::named(name, self.window)))
            .clone()
    }
}
