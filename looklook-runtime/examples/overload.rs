//! A service whose one route burns CPU, and a load driver to overload it:
//! what the load-shedding test and `scripts/bench-shed` run.
//!
//! - `overload serve PORT CPU_THRESHOLD BURN_MS` serves `GET /burn` on
//!   127.0.0.1:PORT; each request spends BURN_MS of CPU, as a handler
//!   hashing a password or rendering a report does, on tokio's blocking
//!   pool as such work should be (it would stall every other request on
//!   its worker thread otherwise).
//! - `overload drive ADDR RATE SECS WARMUP_SECS` sends RATE requests a
//!   second for SECS seconds, each on time whether or not earlier ones
//!   were answered (an open loop, as users arrive), and prints, for the
//!   requests sent after WARMUP_SECS, the served (200) count with their
//!   p50 and p99 latency in microseconds, and the refused count (503:
//!   shed, or out of time) and failed count (no answer):
//!   `served=N p50=US p90=US p99=US refused=M failed=F`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::get;
use looklook_runtime::config::HttpLimits;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> anyhow::Result<u64> {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .with_context(|| format!("argument {i} is not a number: {args:?}"))
    };
    match args.first().map(String::as_str) {
        Some("serve") => serve(u16::try_from(num(1)?)?, num(2)?, num(3)?).await,
        Some("drive") => {
            let addr = args.get(1).context("drive ADDR RATE SECS WARMUP_SECS")?;
            drive(addr, num(2)?, num(3)?, num(4)?).await
        }
        _ => bail!(
            "usage: overload serve PORT CPU_THRESHOLD BURN_MS | drive ADDR RATE SECS WARMUP_SECS"
        ),
    }
}

async fn serve(port: u16, cpu_threshold: u64, burn_ms: u64) -> anyhow::Result<()> {
    let burn = Duration::from_millis(burn_ms);
    let router = Router::new().route(
        "/burn",
        get(move || async move {
            let _ = tokio::task::spawn_blocking(move || burn_cpu(burn)).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let limits = HttpLimits {
        cpu_threshold,
        ..HttpLimits::default()
    };
    looklook_runtime::http::serve_with(listener, router, limits, std::future::pending()).await;
    Ok(())
}

/// Spends `cpu` of this thread's CPU time: under contention it takes
/// longer, as real work does.
fn burn_cpu(cpu: Duration) {
    use nix::time::{ClockId, clock_gettime};
    let used = || {
        clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
            .map(Duration::from)
            .unwrap_or_default()
    };
    let until = used() + cpu;
    let mut x = 0u64;
    while used() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
    }
}

async fn drive(addr: &str, rate: u64, secs: u64, warmup: u64) -> anyhow::Result<()> {
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let counted = start + Duration::from_secs(warmup);
    // Idle keep-alive connections; a request takes one or opens a new one,
    // so requests go out on time however slow the answers are.
    let idle: Arc<Mutex<Vec<BufReader<TcpStream>>>> = Arc::default();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut requests = tokio::task::JoinSet::new();
    while Instant::now() < end {
        let due = ticks.tick().await.into_std();
        let (addr, idle) = (addr.to_string(), idle.clone());
        requests.spawn(async move {
            let reused = idle.lock().unwrap().pop();
            let answer = async {
                let mut conn = match reused {
                    Some(conn) => conn,
                    None => BufReader::new(TcpStream::connect(&addr).await?),
                };
                let status = get_burn(&mut conn).await?;
                idle.lock().unwrap().push(conn);
                anyhow::Ok(status)
            };
            // A connection refused or cut counts as failed (status 0).
            let status = answer.await.unwrap_or(0);
            (due, status, due.elapsed())
        });
    }
    // Answers still owed a while after the end count as slow as they are
    // by then: without shedding the queue only grows.
    let grace = tokio::time::sleep(Duration::from_secs(3));
    tokio::pin!(grace);
    let mut served = Vec::new();
    let mut refused = 0;
    let mut failed = 0;
    loop {
        tokio::select! {
            done = requests.join_next() => match done {
                None => break,
                Some(done) => {
                    let (due, status, took) = done?;
                    if due < counted {
                        continue;
                    }
                    match status {
                        200 => served.push(took),
                        503 => refused += 1,
                        0 => failed += 1,
                        other => bail!("unexpected status {other}"),
                    }
                }
            },
            () = &mut grace => {
                let owed = requests.len();
                served.extend(std::iter::repeat_n(end.elapsed() + Duration::from_secs(3), owed));
                break;
            }
        }
    }
    served.sort();
    let at = |q: f64| {
        served
            .get(((served.len() as f64 * q) as usize).min(served.len().saturating_sub(1)))
            .map_or(0, |d| d.as_micros())
    };
    println!(
        "served={} p50={} p90={} p99={} refused={refused} failed={failed}",
        served.len(),
        at(0.5),
        at(0.9),
        at(0.99)
    );
    Ok(())
}

/// One `GET /burn` on a keep-alive connection: its status.
async fn get_burn(conn: &mut BufReader<TcpStream>) -> anyhow::Result<u16> {
    conn.get_mut()
        .write_all(b"GET /burn HTTP/1.1\r\nhost: overload\r\n\r\n")
        .await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP status line: {line:?}"))?;
    let mut length = 0;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok(status)
}
