//! The adaptive breaker of Google's SRE book ("Handling Overload",
//! client-side throttling), as go-zero runs it on every call.
//!
//! A breaker counts, over the last 10 seconds, the calls asked for and the
//! calls that were accepted (answered without a failure). While the two
//! agree it lets everything through; once `requests` outgrows `K ×
//! accepts`, it refuses a share of the calls itself, with probability
//!
//! ```text
//! max(0, (requests − protection − K × accepts) / (requests + 1))
//! ```
//!
//! so a dependency that is down gets almost no traffic (and recovers
//! faster), the caller fails in microseconds instead of waiting for its
//! deadline, and refused calls still count as requests, which keeps the
//! breaker open until the dependency answers again. One call a second
//! goes through whatever the odds, as a probe: when it succeeds, accepts
//! grow and the breaker closes.
//!
//! Two refinements from go-zero: the longer the newest buckets have only
//! failures, the lower `K` (down to 1.1: refuse sooner); and the ratio
//! shrinks with each newest bucket that has only successes, so a
//! recovered dependency gets its traffic back within one window rather
//! than several.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::window::Window;

/// How far a breaker looks back.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Buckets of the window: it forgets 250 ms at a time.
const BUCKETS: u32 = 40;
/// How many requests per accept are tolerated before refusing: 1.5 means
/// refusals start when a third of the calls fail.
const K: f64 = 1.5;
/// The lowest `K`, after a window of nothing but failures.
const MIN_K: f64 = 1.1;
/// Requests in the window that are never refused: a handful of failures
/// on a quiet service is not an outage.
const PROTECTION: u64 = 5;
/// At least one call this often goes through, to see if the dependency
/// is back.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// One bucket: the calls asked for (refused ones too), those that
/// succeeded and those that failed.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    requests: u64,
    accepts: u64,
    failures: u64,
}

/// An adaptive breaker for one dependency (one RPC method, one Redis).
pub struct Breaker {
    state: Mutex<State>,
    /// `breaker_rejections_total{name}`, for a named breaker.
    refused: Option<metrics::Counter>,
    name: String,
}

struct State {
    window: Window<Tally>,
    last_pass: Option<Instant>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new()
    }
}

impl Breaker {
    /// A breaker over the last [`WINDOW`].
    pub fn new() -> Self {
        Breaker::with_window(WINDOW)
    }

    /// A breaker over the last `window` (tests use a short one).
    pub fn with_window(window: Duration) -> Self {
        Breaker {
            state: Mutex::new(State {
                window: Window::new(BUCKETS as usize, window / BUCKETS),
                last_pass: None,
            }),
            refused: None,
            name: String::new(),
        }
    }

    /// A breaker whose refusals are counted in the metric
    /// `breaker_rejections_total{name}` (exported at 0 from the start, so
    /// dashboards and alerts see every breaker).
    pub fn named(name: &str, window: Duration) -> Self {
        Breaker {
            refused: Some(
                metrics::counter!("breaker_rejections_total", "name" => name.to_string()),
            ),
            name: name.to_string(),
            ..Breaker::with_window(window)
        }
    }

    /// The dependency it guards, if it was [`named`](Breaker::named).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a call may go ahead. A refused call is counted as a
    /// request; a call let through must be reported with [`record`].
    ///
    /// [`record`]: Breaker::record
    pub fn allow(&self) -> bool {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ratio = drop_ratio(state.window.buckets(now, false));
        if ratio > 0.0 {
            let probe = state
                .last_pass
                .is_some_and(|last| now.duration_since(last) > PROBE_EVERY);
            if !probe && fastrand::f64() < ratio {
                state.window.current(now).requests += 1;
                if let Some(refused) = &self.refused {
                    refused.increment(1);
                }
                return false;
            }
        }
        state.last_pass = Some(now);
        true
    }

    /// The outcome of a call [`allow`] let through: `true` when the
    /// dependency answered (a business refusal is an answer), `false`
    /// when it failed or did not answer in time.
    ///
    /// [`allow`]: Breaker::allow
    pub fn record(&self, success: bool) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = state.window.current(now);
        bucket.requests += 1;
        bucket.accepts += u64::from(success);
        bucket.failures += u64::from(!success);
    }

    /// The share of calls being refused now, from 0 to 1 (for tests and
    /// metrics).
    pub fn refusing(&self) -> f64 {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        drop_ratio(state.window.buckets(Instant::now(), false))
    }
}

/// The SRE formula over the window's buckets, oldest first.
fn drop_ratio<'a>(buckets: impl Iterator<Item = &'a Tally>) -> f64 {
    let (mut requests, mut accepts) = (0, 0);
    // The newest buckets in a row that had only failures, or only
    // successes.
    let (mut failing, mut working) = (0u32, 0u32);
    for t in buckets {
        requests += t.requests;
        accepts += t.accepts;
        if t.accepts > 0 {
            failing = 0;
        } else if t.failures > 0 {
            failing += 1;
        }
        if t.failures > 0 {
            working = 0;
        } else if t.accepts > 0 {
            working += 1;
        }
    }
    let k = (K - (K - MIN_K) * f64::from(failing) / f64::from(BUCKETS)).max(MIN_K);
    let ratio =
        (requests.saturating_sub(PROTECTION) as f64 - k * accepts as f64) / (requests + 1) as f64;
    let recovering = f64::from(BUCKETS.saturating_sub(working)) / f64::from(BUCKETS);
    (ratio * recovering).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_dependency_is_never_refused() {
        let b = Breaker::new();
        for _ in 0..1000 {
            assert!(b.allow());
            b.record(true);
        }
        assert_eq!(b.refusing(), 0.0);
    }

    #[test]
    fn a_few_failures_are_protected() {
        let b = Breaker::new();
        for _ in 0..PROTECTION {
            assert!(b.allow());
            b.record(false);
        }
        assert_eq!(b.refusing(), 0.0);
    }

    /// All calls failing: the breaker refuses nearly all of them, except a
    /// probe now and then, and lets everything through again once the
    /// failures have left the window and the probes succeed.
    #[test]
    fn a_failing_dependency_is_refused_then_forgiven() {
        let b = Breaker::with_window(Duration::from_millis(400));
        let mut refused = 0;
        for _ in 0..1000 {
            if b.allow() {
                b.record(false);
            } else {
                refused += 1;
            }
        }
        assert!(refused > 900, "{refused} of 1000 refused");
        assert!(b.refusing() > 0.9);
        std::thread::sleep(Duration::from_millis(450));
        assert_eq!(b.refusing(), 0.0, "the failures left the window");
        for _ in 0..100 {
            assert!(b.allow());
            b.record(true);
        }
    }

    /// The ratio follows the book: refusals begin past 1.5 requests per
    /// accept.
    #[test]
    fn the_ratio_is_the_books() {
        let tally = |requests, accepts| Tally {
            requests,
            accepts,
            failures: 0,
        };
        assert_eq!(drop_ratio([tally(155, 100)].iter()), 0.0);
        let some = drop_ratio([Tally::default(), tally(205, 100)].iter());
        // One bucket of successes eases it by a fortieth.
        let expected = 50.0 / 206.0 * 39.0 / 40.0;
        assert!((some - expected).abs() < 1e-9, "{some}");
        assert!(drop_ratio([tally(1005, 0)].iter()) > 0.99);
    }
}
