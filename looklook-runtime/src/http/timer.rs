//! The clock behind `ReadHeaderTimeout`.
//!
//! hyper starts a timer each time it waits for a request's headers, and
//! drops it when they have come: on a keep-alive connection that is every
//! request. With tokio's timer, each one is registered in the timer wheel
//! and taken out again, which costs more than the rest of the server's
//! own work on a small request (`scripts/bench-http`). Here a connection
//! has one slot that holds when its headers are due; a timer only writes
//! that instant, and one sweeper per server wakes the connections whose
//! instant has passed. Being cut off a sweep late (an eighth of the
//! timeout) is precise enough for a defence against slow clients.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;
use hyper::rt::{Sleep, Timer};

/// Every connection's slot, and the sweeper that wakes the late ones.
pub(crate) struct HeaderClock {
    /// The instants are nanoseconds since this one, so a slot fits an atomic.
    base: Instant,
    slots: Mutex<Vec<Weak<Slot>>>,
}

/// One connection's deadline: nanoseconds after the clock's base, 0 when
/// no timer is running.
struct Slot {
    due: AtomicU64,
    waker: AtomicWaker,
}

impl HeaderClock {
    /// A clock, and its sweeper on the current runtime, waking late
    /// connections every eighth of `timeout`. The sweeper stops when the
    /// clock is dropped.
    pub(crate) fn start(timeout: Duration) -> Arc<HeaderClock> {
        let clock = Arc::new(HeaderClock {
            base: Instant::now(),
            slots: Mutex::new(Vec::new()),
        });
        let period = (timeout / 8).clamp(Duration::from_millis(5), Duration::from_millis(250));
        let weak = Arc::downgrade(&clock);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(clock) = weak.upgrade() else { return };
                clock.sweep();
            }
        });
        clock
    }

    /// The timer of one new connection.
    pub(crate) fn connection(self: &Arc<Self>) -> ConnTimer {
        let slot = Arc::new(Slot {
            due: AtomicU64::new(0),
            waker: AtomicWaker::new(),
        });
        self.lock().push(Arc::downgrade(&slot));
        ConnTimer {
            base: self.base,
            slot,
        }
    }

    /// Wake every connection whose headers are late; forget closed ones.
    fn sweep(&self) {
        let now = nanos_since(self.base, Instant::now());
        self.lock().retain(|slot| {
            let Some(slot) = slot.upgrade() else {
                return false;
            };
            let due = slot.due.load(Ordering::Acquire);
            if due != 0 && due <= now {
                slot.waker.wake();
            }
            true
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Slot>>> {
        // A panic while the lock was held left a plain list: still usable.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn nanos_since(base: Instant, at: Instant) -> u64 {
    // 0 means "disarmed": a deadline is at least 1 ns after the base.
    u64::try_from(at.saturating_duration_since(base).as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The [`Timer`] hyper gets for one connection.
pub(crate) struct ConnTimer {
    base: Instant,
    slot: Arc<Slot>,
}

impl Timer for ConnTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let due = nanos_since(self.base, deadline);
        self.slot.due.store(due, Ordering::Release);
        Box::pin(SlotSleep {
            deadline,
            due,
            slot: self.slot.clone(),
        })
    }
}

/// One wait for headers: over when its deadline has passed.
struct SlotSleep {
    deadline: Instant,
    due: u64,
    slot: Arc<Slot>,
}

impl Future for SlotSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        self.slot.waker.register(cx.waker());
        Poll::Pending
    }
}

impl Sleep for SlotSleep {}

impl Drop for SlotSleep {
    fn drop(&mut self) {
        // Disarm the slot, unless a newer timer of the connection has
        // written its own deadline already.
        let _ = self
            .slot
            .due
            .compare_exchange(self.due, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wait that nobody ends is woken by the sweeper soon after its
    /// deadline, and not before.
    #[tokio::test]
    async fn a_late_connection_is_woken_after_its_deadline() {
        let clock = HeaderClock::start(Duration::from_millis(80));
        let timer = clock.connection();
        let started = Instant::now();
        timer.sleep(Duration::from_millis(80)).await;
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(80), "{waited:?}");
        assert!(waited < Duration::from_millis(500), "{waited:?}");
    }

    /// A wait that ended disarms its slot; a newer one keeps its own.
    #[tokio::test]
    async fn dropping_an_old_wait_leaves_a_newer_one_armed() {
        let clock = HeaderClock::start(Duration::from_secs(10));
        let timer = clock.connection();
        let first = timer.sleep(Duration::from_secs(10));
        drop(first);
        assert_eq!(timer.slot.due.load(Ordering::Acquire), 0);
        let older = timer.sleep(Duration::from_secs(10));
        let newer = timer.sleep(Duration::from_secs(20));
        drop(older);
        assert_ne!(timer.slot.due.load(Ordering::Acquire), 0);
        drop(newer);
        assert_eq!(timer.slot.due.load(Ordering::Acquire), 0);
    }

    /// Closed connections leave the sweeper's list.
    #[tokio::test]
    async fn closed_connections_are_forgotten() {
        let clock = HeaderClock::start(Duration::from_secs(10));
        let kept = clock.connection();
        drop(clock.connection());
        clock.sweep();
        assert_eq!(clock.lock().len(), 1);
        drop(kept);
    }
}
