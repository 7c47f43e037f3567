// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/travel.yaml`.

use serde::Deserialize;
use travel_model::{CacheConf, SqlConf};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, ListenOn, Timeout, Log and Prometheus.
    #[serde(flatten)]
    pub rpc: looklook_runtime::rpc::RpcServerConf,
    /// The looklook_travel database.
    #[serde(rename = "DB")]
    pub db: SqlConf,
    /// Where rows read by key are cached.
    pub cache: CacheConf,
}
