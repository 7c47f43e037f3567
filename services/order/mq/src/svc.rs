//! What the logic works with, built once from the config.

use order_rpc::client::OrderClient;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Config,
    pub orders: OrderClient,
}

impl ServiceContext {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let orders = OrderClient::new(&config.order_rpc_conf)
            .map_err(|e| anyhow::anyhow!("order-rpc client: {e:?}"))?;
        Ok(ServiceContext { config, orders })
    }
}
