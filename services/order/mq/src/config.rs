//! order-mq's configuration (`etc/order-mq.yaml`).

use looklook_runtime::config::ServiceConf;
use looklook_runtime::kafka::KafkaConf;
use looklook_runtime::rpc::RpcClientConf;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// `Name`, `Log`, `Prometheus`, `Telemetry`: what every process has.
    #[serde(flatten)]
    pub service: ServiceConf,
    /// The topic and the consumer group. The key is the one payment-rpc's
    /// config uses for the same topic.
    pub kq_payment_update_pay_status_conf: KafkaConf,
    /// Where order-rpc is.
    pub order_rpc_conf: RpcClientConf,
    /// Where payment-rpc is: refunds.
    pub payment_rpc_conf: RpcClientConf,
}
