// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/usercenter.yaml`.

use looklook_runtime::limit::RateLimit;
use looklook_runtime::rpc::RpcClientConf;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, Host, Port, Log and Prometheus.
    #[serde(flatten)]
    pub rest: looklook_runtime::config::RestConf,
    /// `JwtAuth`: checks the tokens usercenter-rpc signs (same secret).
    pub jwt_auth: looklook_runtime::config::JwtAuth,
    /// Where usercenter-rpc is.
    pub usercenter_rpc_conf: RpcClientConf,
    /// The mini-program `wxMiniAuth` logs in through.
    pub wx_mini_conf: looklook_wechat::client::WxMiniConf,
    /// Requests one client address may make to the open routes; none for
    /// no limit (`Requests: 0` too).
    pub rate_limit: Option<RateLimit>,
}
