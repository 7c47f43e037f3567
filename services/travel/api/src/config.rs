// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/travel.yaml`.

use serde::Deserialize;
use travel_model::{CacheConf, SqlConf};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, Host, Port, Log and Prometheus.
    #[serde(flatten)]
    pub rest: looklook_runtime::config::RestConf,
    /// The looklook_travel database: this gateway reads it directly, as
    /// the original does (travel-rpc serves the other services).
    #[serde(rename = "DB")]
    pub db: SqlConf,
    pub cache: CacheConf,
    /// Where usercenter-rpc is: landlords and commenters are users.
    pub usercenter_rpc_conf: looklook_runtime::rpc::RpcClientConf,
}
