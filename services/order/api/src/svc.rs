// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every handler shares: the config and the clients of
//! order-rpc and payment-rpc, which do the work.

use std::sync::Arc;

use order_rpc::client::OrderClient;
use payment_rpc::client::PaymentClient;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub orders: OrderClient,
    pub payments: PaymentClient,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. The clients connect
    /// lazily, so the gateway starts before the RPC services do.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        Ok(ServiceContext {
            orders: OrderClient::new(&config.order_rpc_conf)
                .map_err(|e| anyhow::anyhow!("order-rpc client: {e:?}"))?,
            payments: PaymentClient::new(&config.payment_rpc_conf)
                .map_err(|e| anyhow::anyhow!("payment-rpc client: {e:?}"))?,
            config: Arc::new(config),
        })
    }
}
