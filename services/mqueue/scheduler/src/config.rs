//! mqueue-scheduler's configuration (`etc/mqueue-scheduler.yaml`).

use looklook_runtime::config::ServiceConf;
use looklook_shared::jobs::JobRedisConf;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// `Name`, `Log`, `Prometheus`, `Telemetry`: what every process has.
    #[serde(flatten)]
    pub service: ServiceConf,
    /// The queues mqueue-job works off.
    pub job_redis: JobRedisConf,
    /// When to expire ended stays: a cron expression with seconds.
    pub expire_orders_cron: String,
}
