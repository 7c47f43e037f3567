//! Logging (tracing, plain or JSON lines) and the Prometheus recorder.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{OnceLock, RwLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::{LogConf, PrometheusConf};

/// Install the global log subscriber. `RUST_LOG`, when set, wins over the
/// configured level. Calling it twice is harmless.
pub fn init_logging(conf: &LogConf) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&conf.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: a pipe feeds log files and
    // shippers, where escape codes are noise in every line.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour);
    // A second call (tests, embedded servers) finds a subscriber in place.
    let _ = if conf.encoding == "json" {
        json_lines(builder).try_init()
    } else {
        builder.try_init()
    };
}

/// JSON lines, one object an event: `timestamp`, `level`, `target`, the
/// event's fields at the top (`message`, ...) and its spans' (`request_id`,
/// `trace_id`, ...) in `span`/`spans`. The log pipeline merges them into the
/// Elasticsearch document, and Kibana's data view reads `timestamp`.
pub(crate) fn json_lines<F, W>(
    builder: tracing_subscriber::fmt::SubscriberBuilder<
        tracing_subscriber::fmt::format::DefaultFields,
        tracing_subscriber::fmt::format::Format,
        F,
        W,
    >,
) -> tracing_subscriber::fmt::SubscriberBuilder<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
    F,
    W,
> {
    builder.json().flatten_event(true)
}

/// Latency buckets in seconds, from 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide Prometheus recorder; installed on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a host process); then
        // this handle still renders what it records.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Serve the Prometheus text format on its own port, in the background.
pub async fn serve_metrics(conf: &PrometheusConf) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind((conf.host.as_str(), conf.port))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen for metrics on {}:{}: {e}",
                conf.host,
                conf.port
            )
        })?;
    tracing::info!(addr = %listener.local_addr()?, path = conf.path, "serving metrics");
    // The recorder goes in now, not at the first scrape: a worker (a Kafka
    // consumer, the job runner) records before anyone asks, and what is
    // recorded with no recorder installed is lost.
    prometheus();
    let router = axum::Router::new().route(
        &conf.path,
        axum::routing::get(|| async { prometheus().render() }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(())
}

/// A request counter and a latency histogram that share their labels.
pub(crate) type Handles = (metrics::Counter, metrics::Histogram);

/// The most label sets one [`MetricCache`] keeps. The labels come from a
/// closed set (known methods, the routes, status codes), so a service stays
/// far below it; the bound is what keeps memory flat if that ever breaks.
const MAX_KEYS: usize = 1024;

/// Request metrics by key (method and status, say), registered once and then
/// kept: building labelled keys in the registry on every request costs more
/// than a small handler does. Keyed by a name (the method) and a number
/// (the status), so that a lookup borrows the name and allocates nothing.
pub(crate) struct MetricCache<N> {
    counter: &'static str,
    histogram: &'static str,
    /// The first key seen, read without a lock: a route or method answers
    /// one status nearly always, and every request reads this.
    first: OnceLock<(N, u32, Handles)>,
    entries: RwLock<HashMap<N, Vec<(u32, Handles)>>>,
}

impl<N: Hash + Eq> MetricCache<N> {
    pub(crate) fn new(counter: &'static str, histogram: &'static str) -> Self {
        MetricCache {
            counter,
            histogram,
            first: OnceLock::new(),
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Count one request of (`name`, `number`) that took `secs`, with the
    /// handles kept for the key; else registered with `labels` and kept
    /// (under `owned()`, the name's owned form) while there is room.
    pub(crate) fn record<Q>(
        &self,
        name: &Q,
        number: u32,
        owned: impl FnOnce() -> N,
        labels: impl FnOnce() -> Vec<(&'static str, String)>,
        secs: f64,
    ) where
        N: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let count = |(requests, latency): &Handles| {
            requests.increment(1);
            latency.record(secs);
        };
        if let Some((n, num, handles)) = self.first.get()
            && *num == number
            && n.borrow() == name
        {
            return count(handles);
        }
        if let Ok(map) = self.entries.read()
            && let Some((_, handles)) = map
                .get(name)
                .and_then(|list| list.iter().find(|(n, _)| *n == number))
        {
            return count(handles);
        }
        let labels = labels();
        let handles = (
            metrics::counter!(self.counter, &labels),
            metrics::histogram!(self.histogram, &labels),
        );
        count(&handles);
        if self.first.get().is_none() {
            // Two threads may race here; the loser's key is simply looked
            // up and registered again next time (the registry dedups it).
            let _ = self.first.set((owned(), number, handles));
            return;
        }
        if let Ok(mut map) = self.entries.write() {
            // One more in `first`.
            let kept: usize = 1 + map.values().map(Vec::len).sum::<usize>();
            if kept < MAX_KEYS {
                map.entry(owned()).or_default().push((number, handles));
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let first = usize::from(self.first.get().is_some());
        first
            + self
                .entries
                .read()
                .map_or(0, |map| map.values().map(Vec::len).sum())
    }
}

/// Log lines kept in memory, for tests that read what was logged.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    pub(crate) struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Lines {
        /// A `MakeWriter` for a subscriber that writes here.
        pub(crate) fn writer(&self) -> impl Fn() -> Lines + use<> {
            let lines = self.clone();
            move || lines.clone()
        }

        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON line carries the time under `timestamp` (the time field of
    /// observability/kibana/data-view.json), the message at the top and the
    /// request's span fields.
    #[test]
    fn json_lines_carry_the_timestamp_kibana_reads() {
        let lines = testing::Lines::default();
        let subscriber = json_lines(tracing_subscriber::fmt().with_writer(lines.writer()))
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "r-1");
            span.in_scope(|| tracing::info!(route = "/x", "served"));
        });
        let text = lines.text();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        // RFC 3339 in UTC, which Elasticsearch maps as a date by itself:
        // 2026-11-30T22:20:00.123456Z.
        let time = line["timestamp"].as_str().unwrap_or_default().as_bytes();
        assert!(
            time.len() >= 20
                && (time[4], time[7], time[10], time[13]) == (b'-', b'-', b'T', b':')
                && time.ends_with(b"Z"),
            "{line}"
        );
        assert_eq!(line["message"], "served", "{line}");
        assert_eq!(line["route"], "/x", "{line}");
        assert_eq!(line["span"]["request_id"], "r-1", "{line}");
    }

    #[test]
    fn the_metric_cache_is_bounded() {
        let cache: MetricCache<String> = MetricCache::new("t_total", "t_seconds");
        for i in 0..(MAX_KEYS as u32 + 50) {
            cache.record("GET", i, || "GET".to_string(), Vec::new, 0.1);
        }
        assert_eq!(cache.len(), MAX_KEYS);
        // What is kept, the first key and the others, is found again
        // without registering anything.
        for i in [0, 7] {
            cache.record("GET", i, || unreachable!(), || unreachable!(), 0.1);
        }
    }
}
