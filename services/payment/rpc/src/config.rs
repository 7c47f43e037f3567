// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The service's configuration, read from `etc/payment.yaml`.

use looklook_runtime::kafka::KafkaConf;
use looklook_wechat::client::WxPayConf;
use payment_model::{CacheConf, SqlConf};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// Name, ListenOn, Timeout, Log and Prometheus.
    #[serde(flatten)]
    pub rpc: looklook_runtime::rpc::RpcServerConf,
    /// The looklook_payment database.
    #[serde(rename = "DB")]
    pub db: SqlConf,
    /// Where rows read by key are cached.
    pub cache: CacheConf,
    /// The topic a payment's new status goes to.
    pub kq_payment_update_pay_status_conf: KafkaConf,
    /// The merchant account at WeChat Pay: closing and refunding its
    /// transactions.
    pub wx_pay_conf: WxPayConf,
}
