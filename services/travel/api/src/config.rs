// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/*.yaml`. Add your own
//! sections here (a database DSN, an RPC client) and to the YAML file.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, Host, Port, Log and Prometheus.
    #[serde(flatten)]
    pub rest: looklook_runtime::config::RestConf,
}
