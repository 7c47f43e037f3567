// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/order.yaml`.

use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::jobs::JobRedisConf;
use order_model::{CacheConf, SqlConf};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, ListenOn, Timeout, Log and Prometheus.
    #[serde(flatten)]
    pub rpc: looklook_runtime::rpc::RpcServerConf,
    /// The looklook_order database.
    #[serde(rename = "DB")]
    pub db: SqlConf,
    /// Where rows read by key are cached.
    pub cache: CacheConf,
    /// Where travel-rpc is: an order copies its homestay from there.
    pub travel_rpc_conf: RpcClientConf,
    /// How long an order may wait for payment before it is closed.
    pub close_order_after_secs: i64,
    /// The Redis of the job queues.
    pub job_redis: JobRedisConf,
}
