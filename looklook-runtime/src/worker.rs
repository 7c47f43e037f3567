//! Processes that serve no requests (a Kafka consumer, a job worker, a
//! scheduler) start and stop the way the API and RPC servers do: the same
//! config header, logs, metrics and traces, the same shutdown signal.
//!
//! ```ignore
//! #[derive(Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! pub struct Config {
//!     #[serde(flatten)]
//!     pub service: ServiceConf,
//!     pub order_rpc_conf: RpcClientConf,
//! }
//!
//! worker::run(&config.worker, |shutdown| my_worker::run(svc, shutdown)).await
//! ```

use std::future::Future;

use crate::config::ServiceConf;

/// Start logging, metrics and tracing ([`ServiceConf::start`]), then run `work`, handing it the
/// shutdown signal (SIGINT or SIGTERM) to stop on; flush the traces when it
/// returns.
pub async fn run<F, Fut>(conf: &ServiceConf, work: F) -> anyhow::Result<()>
where
    F: FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    conf.start().await?;
    tracing::info!(service = conf.name, "starting");
    let done = work(Box::pin(crate::shutdown::signal())).await;
    crate::trace::flush();
    tracing::info!(service = conf.name, "stopped");
    done
}
