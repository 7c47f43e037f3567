// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/usercenter.yaml`.

use looklook_runtime::config::JwtAuth;
use looklook_runtime::limit::RateLimit;
use serde::Deserialize;
use usercenter_model::{CacheConf, SqlConf};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, ListenOn, Timeout, Log and Prometheus.
    #[serde(flatten)]
    pub rpc: looklook_runtime::rpc::RpcServerConf,
    /// The looklook_usercenter database.
    #[serde(rename = "DB")]
    pub db: SqlConf,
    /// Where rows read by key are cached.
    pub cache: CacheConf,
    /// Signs the tokens every HTTP gateway checks: the secret must be theirs.
    pub jwt_auth: JwtAuth,
    /// Password logins one mobile number may take, counted in Redis by every
    /// replica together: a guesser spreading over many addresses still
    /// gets only this many tries. None (or `Requests: 0`) for no limit.
    pub login_limit: Option<RateLimit>,
}
