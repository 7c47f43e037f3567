//! Logging (tracing, plain or JSON lines) and the Prometheus recorder.

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
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second call (tests, embedded servers) finds a subscriber in place.
    let _ = if conf.encoding == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
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

/// Request metrics by key (method and status, say), registered once and then
/// kept: building labelled keys in the registry on every request costs more
/// than a small handler does. The few keys a service sees are scanned.
pub(crate) struct MetricCache<K> {
    counter: &'static str,
    histogram: &'static str,
    entries: RwLock<Vec<(K, Handles)>>,
}

impl<K> MetricCache<K> {
    pub(crate) const fn new(counter: &'static str, histogram: &'static str) -> Self {
        MetricCache {
            counter,
            histogram,
            entries: RwLock::new(Vec::new()),
        }
    }

    /// The handles of the entry `is_key` picks; else registered with
    /// `labels` and kept under `key()`.
    pub(crate) fn get(
        &self,
        is_key: impl Fn(&K) -> bool,
        key: impl FnOnce() -> K,
        labels: impl FnOnce() -> Vec<(&'static str, String)>,
    ) -> Handles {
        let found = self
            .entries
            .read()
            .ok()
            .and_then(|list| list.iter().find(|(k, _)| is_key(k)).map(|(_, h)| h.clone()));
        if let Some(h) = found {
            return h;
        }
        let labels = labels();
        let handles = (
            metrics::counter!(self.counter, &labels),
            metrics::histogram!(self.histogram, &labels),
        );
        if let Ok(mut list) = self.entries.write() {
            list.push((key(), handles.clone()));
        }
        handles
    }
}
