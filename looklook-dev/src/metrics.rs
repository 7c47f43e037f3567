//! Metrics at a glance: each process's `/metrics` (the Prometheus text the
//! runtime serves on its metrics port), read every few seconds and turned
//! into requests a second, errors a second and the p99 latency of the
//! last interval, HTTP and gRPC together.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The request counters and latency buckets of one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    pub requests: f64,
    pub errors: f64,
    /// Cumulative counts by upper bound (seconds), `+Inf` as infinity.
    pub buckets: BTreeMap<Bound, f64>,
}

/// A bucket's upper bound, ordered as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound(pub f64);

impl Eq for Bound {}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bound {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What the dashboard shows for a process.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Glance {
    pub rps: f64,
    pub errors_per_sec: f64,
    /// The p99 latency of the interval, in milliseconds (the bucket bound
    /// it falls in), when there were requests.
    pub p99_ms: Option<f64>,
}

/// Read the Prometheus text of a runtime process. Counted: HTTP requests
/// (a 5xx is an error) and gRPC calls (a code that says the server failed
/// is an error), and both latency histograms.
pub fn parse(text: &str) -> Sample {
    let mut sample = Sample::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (series, ""),
        };
        let label = |key: &str| {
            labels.split(',').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"'))
            })
        };
        match name {
            "http_server_requests_total" => {
                sample.requests += value;
                if label("status").is_some_and(|s| s.starts_with('5')) {
                    sample.errors += value;
                }
            }
            "grpc_server_handled_total" => {
                sample.requests += value;
                if label("code").is_some_and(|c| {
                    matches!(
                        c,
                        "Unknown"
                            | "DeadlineExceeded"
                            | "Unimplemented"
                            | "Internal"
                            | "Unavailable"
                            | "DataLoss"
                    )
                }) {
                    sample.errors += value;
                }
            }
            "http_server_request_duration_seconds_bucket"
            | "grpc_server_handling_seconds_bucket" => {
                let bound = match label("le") {
                    Some("+Inf") => f64::INFINITY,
                    Some(le) => le.parse().unwrap_or(f64::INFINITY),
                    None => continue,
                };
                *sample.buckets.entry(Bound(bound)).or_default() += value;
            }
            _ => {}
        }
    }
    sample
}

/// What changed between two samples `elapsed` apart.
pub fn glance(before: &Sample, after: &Sample, elapsed: Duration) -> Glance {
    let secs = elapsed.as_secs_f64().max(0.001);
    let delta = |b: &Bound| {
        after.buckets.get(b).copied().unwrap_or(0.0) - before.buckets.get(b).copied().unwrap_or(0.0)
    };
    let total = after.buckets.keys().last().map(delta).unwrap_or(0.0);
    let p99_ms = (total > 0.0)
        .then(|| after.buckets.keys().find(|b| delta(b) >= 0.99 * total))
        .flatten()
        .map(|b| {
            if b.0.is_finite() {
                b.0 * 1000.0
            } else {
                f64::INFINITY
            }
        });
    Glance {
        rps: ((after.requests - before.requests) / secs).max(0.0),
        errors_per_sec: ((after.errors - before.errors) / secs).max(0.0),
        p99_ms,
    }
}

/// `GET /metrics` on 127.0.0.1:`port`, with a deadline; its body.
pub async fn scrape(port: u16) -> Option<String> {
    let fetch = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        stream.take(16 << 20).read_to_end(&mut answer).await.ok()?;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = answer.split_once("\r\n\r\n")?;
        // `HTTP/1.x 200 OK`: the status is the second word.
        (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
    };
    tokio::time::timeout(Duration::from_secs(2), fetch)
        .await
        .ok()
        .flatten()
}

/// The last sample of each process and when it was taken.
#[derive(Debug, Default)]
pub struct Scraper {
    last: BTreeMap<String, (Instant, Sample)>,
    pub glances: BTreeMap<String, Glance>,
}

impl Scraper {
    /// A new sample of `process`: its glance is the change since the last.
    pub fn record(&mut self, process: &str, sample: Sample) {
        let now = Instant::now();
        if let Some((then, before)) = self.last.get(process) {
            let g = glance(before, &sample, now - *then);
            self.glances.insert(process.to_string(), g);
        }
        self.last.insert(process.to_string(), (now, sample));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"# TYPE http_server_requests_total counter
http_server_requests_total{method="GET",route="/a",status="200"} 10
http_server_requests_total{method="GET",route="/a",status="500"} 1
http_server_request_duration_seconds_bucket{method="GET",route="/a",le="0.01"} 9
http_server_request_duration_seconds_bucket{method="GET",route="/a",le="0.1"} 11
http_server_request_duration_seconds_bucket{method="GET",route="/a",le="+Inf"} 11
grpc_server_handled_total{method="/a.B/C",code="Ok"} 5
"#;

    #[test]
    fn rates_errors_and_p99_come_from_the_change_between_scrapes() {
        let before = parse(BEFORE);
        assert_eq!((before.requests, before.errors), (16.0, 1.0));
        let after = parse(
            &BEFORE
                .replace("status=\"200\"} 10", "status=\"200\"} 110")
                .replace("status=\"500\"} 1", "status=\"500\"} 3")
                .replace("le=\"0.01\"} 9", "le=\"0.01\"} 100")
                .replace("le=\"0.1\"} 11", "le=\"0.1\"} 113")
                .replace("le=\"+Inf\"} 11", "le=\"+Inf\"} 113")
                .replace(
                    "code=\"Ok\"} 5",
                    "code=\"Internal\"} 5\ngrpc_server_handled_total{code=\"Ok\"} 5",
                ),
        );
        let g = glance(&before, &after, Duration::from_secs(2));
        // 102 HTTP requests and 5 calls in 2 s; 2 5xx and 5 Internal.
        assert_eq!(g.rps, 53.5);
        assert_eq!(g.errors_per_sec, 3.5);
        // 91 of 102 under 10 ms: the 99th falls in the 100 ms bucket.
        assert_eq!(g.p99_ms, Some(100.0));
        let idle = glance(&after, &after, Duration::from_secs(2));
        assert_eq!((idle.rps, idle.p99_ms), (0.0, None));
    }
}
