//! Adaptive load shedding, as go-zero does it: when the CPU is saturated,
//! a request that would only wait in a queue is answered 503 at once.
//!
//! The shedder learns what the service can take from its own recent past
//! (5 s in 50 buckets): the most requests it finished in a bucket and the
//! shortest average latency it had. Their product (Little's law) is how
//! many requests can be in flight without queueing. When CPU use is over
//! `CpuThreshold` (or was, less than a second ago, after a shed) and more
//! than that are in flight, new requests are refused. The served ones
//! keep their latency; the refused ones can go to another replica.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cpu;
use super::window::Window;

const WINDOW: Duration = Duration::from_secs(5);
const BUCKETS: u32 = 50;
/// How long the shedder stays watchful after the CPU calmed down, when it
/// has shed: the load that caused it is likely still there.
const COOL_OFF: Duration = Duration::from_secs(1);
/// Smoothing of the in-flight count: one spike is not a queue.
const FLYING_BETA: f64 = 0.9;
/// The capacity shrinks as CPU use climbs past the threshold, down to
/// this share.
const LOWEST_FACTOR: f64 = 0.1;

/// The shedder of one server.
pub struct Shedder {
    /// CPU use (permille) over which the shedder acts.
    threshold: u64,
    /// Where CPU use is read; tests give a fixed one.
    cpu: fn() -> u64,
    flying: AtomicI64,
    /// Shed since the CPU was last seen calm: until then every request is
    /// weighed, not only those arriving while the CPU is over.
    dropped_recently: AtomicBool,
    state: Mutex<State>,
}

struct State {
    avg_flying: f64,
    /// Requests finished per bucket.
    passed: Window<u64>,
    /// Latency per bucket: the sum in milliseconds, and the count.
    latency: Window<(u64, u64)>,
    overloaded_at: Option<Instant>,
}

/// A request the shedder let in; report how it ended with [`Pass::done`].
/// Dropped without it (the client went away), it counts as not served.
pub struct Pass {
    shedder: Arc<Shedder>,
    start: Instant,
    finished: bool,
}

impl Shedder {
    /// A shedder acting over `threshold` permille of CPU (go-zero's
    /// `CpuThreshold`: 900 is 90 %).
    pub fn new(threshold: u64) -> Arc<Self> {
        Shedder::with_cpu(threshold, cpu::usage)
    }

    pub(crate) fn with_cpu(threshold: u64, cpu: fn() -> u64) -> Arc<Self> {
        let width = WINDOW / BUCKETS;
        Arc::new(Shedder {
            threshold,
            cpu,
            flying: AtomicI64::new(0),
            dropped_recently: AtomicBool::new(false),
            state: Mutex::new(State {
                avg_flying: 0.0,
                passed: Window::new(BUCKETS as usize, width),
                latency: Window::new(BUCKETS as usize, width),
                overloaded_at: None,
            }),
        })
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> i64 {
        self.flying.load(Ordering::Relaxed)
    }

    /// Let a request in, or `None`: shed it.
    pub fn allow(self: &Arc<Self>) -> Option<Pass> {
        self.allow_since(Instant::now())
    }

    /// [`allow`](Self::allow) for a request that arrived at `start` (the
    /// caller's own clock reading, one less to take).
    pub fn allow_since(self: &Arc<Self>, start: Instant) -> Option<Pass> {
        let cpu = (self.cpu)();
        if self.should_drop(cpu) {
            return None;
        }
        self.flying.fetch_add(1, Ordering::Relaxed);
        Some(Pass {
            shedder: self.clone(),
            start,
            finished: false,
        })
    }

    fn should_drop(&self, cpu: u64) -> bool {
        let overloaded = cpu >= self.threshold;
        // The common case, without a lock: a calm CPU and nothing shed.
        if !overloaded && !self.dropped_recently.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if overloaded {
            state.overloaded_at = Some(now);
        } else {
            // Still hot: shed less than a second ago, after an overload.
            let hot = state
                .overloaded_at
                .is_some_and(|at| now.duration_since(at) < COOL_OFF);
            if !hot {
                self.dropped_recently.store(false, Ordering::Relaxed);
                return false;
            }
        }
        let capacity = max_flight(&mut state, now) * self.overload_factor(cpu);
        let flying = self.flying.load(Ordering::Relaxed) as f64;
        let drop = state.avg_flying > capacity && flying > capacity;
        if drop {
            self.dropped_recently.store(true, Ordering::Relaxed);
        }
        drop
    }

    /// Less room the hotter the CPU: 1 at the threshold, 0.1 at 100 %.
    fn overload_factor(&self, cpu: u64) -> f64 {
        let room = 1000.0 - self.threshold as f64;
        if room <= 0.0 {
            return 1.0;
        }
        ((1000.0 - cpu as f64) / room).clamp(LOWEST_FACTOR, 1.0)
    }

    fn finish(&self, start: Instant, served: bool, now: Instant) {
        let flying = self.flying.fetch_sub(1, Ordering::Relaxed) - 1;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.avg_flying = state.avg_flying * FLYING_BETA + flying as f64 * (1.0 - FLYING_BETA);
        if served {
            let ms = now.duration_since(start).as_secs_f64() * 1e3;
            *state.passed.current(now) += 1;
            let bucket = state.latency.current(now);
            bucket.0 += ms.ceil() as u64;
            bucket.1 += 1;
        }
    }
}

/// How many requests fit in flight without queueing: the best throughput
/// of a bucket times the best latency, in buckets (Little's law), at
/// least 1.
fn max_flight(state: &mut State, now: Instant) -> f64 {
    let max_pass = state
        .passed
        .buckets(now, true)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let min_rt = state
        .latency
        .buckets(now, true)
        .filter(|(_, count)| *count > 0)
        .map(|(sum, count)| (*sum as f64 / *count as f64).round())
        .fold(1000.0, f64::min);
    let buckets_per_ms = f64::from(BUCKETS) / WINDOW.as_millis() as f64;
    (max_pass * min_rt * buckets_per_ms).max(1.0)
}

impl Pass {
    /// The request ended: `served` unless it was answered 503 (it did not
    /// really use the service, so it teaches nothing about capacity).
    pub fn done(self, served: bool) {
        self.done_at(served, Instant::now());
    }

    /// [`done`](Self::done), at `end` (the caller's own clock reading).
    pub fn done_at(mut self, served: bool, end: Instant) {
        self.finished = true;
        self.shedder.finish(self.start, served, end);
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        if !self.finished {
            self.shedder.finish(self.start, false, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calm() -> u64 {
        100
    }

    fn hot() -> u64 {
        950
    }

    /// A calm CPU never sheds, however many requests are in flight.
    #[test]
    fn a_calm_cpu_sheds_nothing() {
        let s = Shedder::with_cpu(900, calm);
        let held: Vec<_> = (0..1000).map(|_| s.allow().expect("let in")).collect();
        assert_eq!(s.in_flight(), 1000);
        drop(held);
        assert_eq!(s.in_flight(), 0);
    }

    /// A hot CPU with more in flight than the service has shown it can
    /// take: new requests are shed; as the queue drains, they are let in.
    #[test]
    fn a_hot_cpu_with_a_queue_sheds() {
        let s = Shedder::with_cpu(900, hot);
        // Until a request has finished, the shedder knows nothing of the
        // capacity: it assumes one in flight.
        let mut held: Vec<_> = (0..50).filter_map(|_| s.allow()).collect();
        assert!(held.len() >= 2, "the first ones get in");
        for pass in held.drain(..) {
            pass.done(true);
        }
        let mut shed = 0;
        for _ in 0..200 {
            match s.allow() {
                Some(pass) => held.push(pass),
                None => shed += 1,
            }
        }
        assert!(shed > 100, "{shed} shed, {} in flight", held.len());
        held.clear();
        // The average in flight decays; soon requests are let in again.
        for _ in 0..100 {
            if let Some(pass) = s.allow() {
                pass.done(true);
            }
        }
        assert!(s.allow().is_some());
    }
}
