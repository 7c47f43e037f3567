// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every handler shares: the config, the WeChat Pay client and
//! the clients of the services it calls.

use std::sync::Arc;

use looklook_wechat::client::PayClient;
use order_rpc::client::OrderClient;
use payment_rpc::client::PaymentClient;
use usercenter_rpc::client::UsercenterClient;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub wx_pay: PayClient,
    pub payments: PaymentClient,
    pub orders: OrderClient,
    pub usercenter: UsercenterClient,
}

impl ServiceContext {
    /// Build the shared state once, at start-up: the merchant's keys are
    /// read here, so a bad key stops the service at once.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let client =
            |what: &str, e: looklook_runtime::Error| anyhow::anyhow!("{what} client: {e:?}");
        Ok(ServiceContext {
            wx_pay: PayClient::new(&config.wx_pay_conf)?,
            payments: PaymentClient::new(&config.payment_rpc_conf)
                .map_err(|e| client("payment-rpc", e))?,
            orders: OrderClient::new(&config.order_rpc_conf).map_err(|e| client("order-rpc", e))?,
            usercenter: UsercenterClient::new(&config.usercenter_rpc_conf)
                .map_err(|e| client("usercenter-rpc", e))?,
            config: Arc::new(config),
        })
    }
}
