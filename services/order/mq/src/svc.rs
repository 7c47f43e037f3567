//! What the logic works with, built once from the config.

use order_rpc::client::OrderClient;
use payment_rpc::client::PaymentClient;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Config,
    pub orders: OrderClient,
    pub payments: PaymentClient,
}

impl ServiceContext {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let orders = OrderClient::new(&config.order_rpc_conf)
            .map_err(|e| anyhow::anyhow!("order-rpc client: {e:?}"))?;
        let payments = PaymentClient::new(&config.payment_rpc_conf)
            .map_err(|e| anyhow::anyhow!("payment-rpc client: {e:?}"))?;
        Ok(ServiceContext {
            config,
            orders,
            payments,
        })
    }
}
