//! The process's CPU use, in permille of the CPUs it may use (its cgroup
//! quota in a container), sampled every 250 ms by a background thread and
//! smoothed, as go-zero reads it for load shedding.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Each sample moves the reading 5 % of the way: a burst of a second does
/// not count as overload, ten seconds of it does.
const BETA: f64 = 0.95;
const EVERY: Duration = Duration::from_millis(250);

static USAGE: AtomicU64 = AtomicU64::new(0);
static SAMPLER: Once = Once::new();

/// CPU use now, 0 to 1000 (go-zero's `CpuThreshold` scale: 900 is 90 %).
/// The first call starts the sampler.
pub fn usage() -> u64 {
    SAMPLER.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("looklook-cpu".into())
            .spawn(sample);
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot sample CPU use: load shedding is off");
        }
    });
    USAGE.load(Ordering::Relaxed)
}

fn sample() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut smoothed = 0.0;
    let mut last = (Instant::now(), process_time());
    loop {
        std::thread::sleep(EVERY);
        let now = (Instant::now(), process_time());
        let wall = now.0.duration_since(last.0).as_secs_f64();
        let busy = now.1.saturating_sub(last.1).as_secs_f64();
        last = now;
        if wall <= 0.0 {
            continue;
        }
        let permille = (busy / wall / cpus * 1000.0).min(1000.0);
        smoothed = smoothed * BETA + permille * (1.0 - BETA);
        USAGE.store(smoothed as u64, Ordering::Relaxed);
    }
}

/// CPU time used by every thread of the process so far.
fn process_time() -> Duration {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two busy threads for two seconds move the reading well off zero.
    #[test]
    fn busy_threads_raise_the_reading() {
        usage();
        let until = Instant::now() + Duration::from_secs(2);
        let burn = move || {
            let mut x = 0u64;
            while Instant::now() < until {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        };
        let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(burn)).collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        // Two CPUs busy for 2 s read about 340 on an idle machine; a busy
        // one gives the threads less. Zero would be a broken sampler.
        assert!(usage() > 20, "{}", usage());
    }
}
