// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/order.yaml`.

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
    /// Where order-rpc is.
    pub order_rpc_conf: RpcClientConf,
    /// Where payment-rpc is.
    pub payment_rpc_conf: RpcClientConf,
}
