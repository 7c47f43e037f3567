//! A rolling window: counts over the last few seconds, forgotten one
//! bucket at a time as time passes, so old traffic stops counting without
//! a timer.

use std::time::{Duration, Instant};

/// `buckets` buckets of `width` each; the window covers the last
/// `buckets × width`.
pub(crate) struct Window<B> {
    buckets: Vec<B>,
    width: Duration,
    /// The bucket now filling.
    current: usize,
    /// When the current bucket began.
    began: Instant,
}

impl<B: Default + Copy> Window<B> {
    pub(crate) fn new(buckets: usize, width: Duration) -> Self {
        Window {
            buckets: vec![B::default(); buckets.max(1)],
            width,
            current: 0,
            began: Instant::now(),
        }
    }

    /// Moves to the bucket `now` falls in, emptying every bucket passed
    /// over: their time has left the window.
    fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.began);
        // Still in the current bucket, as nearly every call is: no division.
        if elapsed < self.width {
            return;
        }
        let steps = elapsed.as_nanos() / self.width.as_nanos().max(1);
        if steps == 0 {
            return;
        }
        let n = self.buckets.len();
        let cleared = usize::try_from(steps).unwrap_or(usize::MAX).min(n);
        for i in 1..=cleared {
            self.buckets[(self.current + i) % n] = B::default();
        }
        self.current = (self.current + cleared) % n;
        // Keep the bucket edges where they were: the new bucket began at
        // the last edge before `now`.
        let into = Duration::from_nanos((elapsed.as_nanos() % self.width.as_nanos().max(1)) as u64);
        self.began = now - into;
    }

    /// The bucket filling now.
    pub(crate) fn current(&mut self, now: Instant) -> &mut B {
        self.advance(now);
        &mut self.buckets[self.current]
    }

    /// Every bucket in the window, oldest first; with `complete`, not the
    /// one still filling (a fraction of a bucket would read as a dip).
    pub(crate) fn buckets(&mut self, now: Instant, complete: bool) -> impl Iterator<Item = &B> {
        self.advance(now);
        let n = self.buckets.len();
        let current = self.current;
        let count = if complete { n - 1 } else { n };
        let buckets = &self.buckets;
        (1..=count).map(move |i| &buckets[(current + i) % n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_buckets_leave_the_window() {
        let width = Duration::from_millis(100);
        let mut w = Window::<u64>::new(4, width);
        let start = Instant::now();
        *w.current(start) += 1;
        *w.current(start + width) += 10;
        let all: u64 = w.buckets(start + width, false).sum();
        assert_eq!(all, 11);
        let complete: u64 = w.buckets(start + width, true).sum();
        assert_eq!(complete, 1, "the bucket still filling is left out");
        // Four widths later the first bucket is gone, the second not yet.
        let later: u64 = w.buckets(start + width * 4, false).sum();
        assert_eq!(later, 10);
        let gone: u64 = w.buckets(start + width * 60, false).sum();
        assert_eq!(gone, 0);
    }
}
