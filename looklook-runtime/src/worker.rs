//! Processes that serve no requests (a Kafka consumer, a job worker, a
//! scheduler) start and stop the way the API and RPC servers do: the same
//! config header, logs, metrics and traces, the same shutdown signal.
//!
//! ```ignore
//! #[derive(Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! pub struct Config {
//!     #[serde(flatten)]
//!     pub worker: WorkerConf,
//!     pub order_rpc_conf: RpcClientConf,
//! }
//!
//! worker::run(&config.worker, |shutdown| my_worker::run(svc, shutdown)).await
//! ```

use std::future::Future;

use serde::Deserialize;

use crate::config::{LogConf, PrometheusConf, TelemetryConf};
use crate::telemetry;

/// The keys every worker's config starts with, as a server's does: `Name`,
/// `Log`, `Prometheus` (its metrics port) and `Telemetry` (where traces go).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkerConf {
    pub name: String,
    #[serde(default)]
    pub log: LogConf,
    /// Where to serve Prometheus metrics; none when absent.
    #[serde(default)]
    pub prometheus: Option<PrometheusConf>,
    #[serde(default)]
    pub telemetry: TelemetryConf,
}

impl WorkerConf {
    /// A worker called `name` with the defaults: plain logs, no metrics
    /// endpoint, no traces (for tests).
    pub fn new(name: &str) -> WorkerConf {
        WorkerConf {
            name: name.into(),
            log: LogConf::default(),
            prometheus: None,
            telemetry: TelemetryConf::default(),
        }
    }
}

/// Start logging, metrics and tracing, then run `work`, handing it the
/// shutdown signal (SIGINT or SIGTERM) to stop on; flush the traces when it
/// returns.
pub async fn run<F, Fut>(conf: &WorkerConf, work: F) -> anyhow::Result<()>
where
    F: FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    telemetry::init_logging(&conf.log);
    crate::trace::init(&conf.name, &conf.telemetry)?;
    if let Some(p) = &conf.prometheus {
        telemetry::serve_metrics(p).await?;
    }
    tracing::info!(service = conf.name, "starting");
    let done = work(Box::pin(crate::shutdown::signal())).await;
    crate::trace::flush();
    tracing::info!(service = conf.name, "stopped");
    done
}
