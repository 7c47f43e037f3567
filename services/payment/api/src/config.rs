// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/payment.yaml`.

use looklook_runtime::rpc::RpcClientConf;
use looklook_wechat::client::{WxMiniConf, WxPayConf};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, Host, Port, Log and Prometheus.
    #[serde(flatten)]
    pub rest: looklook_runtime::config::RestConf,
    /// `JwtAuth`: checks the tokens usercenter-rpc signs (same secret).
    pub jwt_auth: looklook_runtime::config::JwtAuth,
    pub wx_mini_conf: WxMiniConf,
    pub wx_pay_conf: WxPayConf,
    pub payment_rpc_conf: RpcClientConf,
    pub order_rpc_conf: RpcClientConf,
    pub usercenter_rpc_conf: RpcClientConf,
}
