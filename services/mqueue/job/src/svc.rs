//! What every job works with, built once from the config.

use looklook_wechat::client::MiniClient;
use order_model::Cache;
use order_model::homestay_order::HomestayOrderModel;
use order_rpc::client::OrderClient;
use payment_rpc::client::PaymentClient;
use usercenter_rpc::client::UsercenterClient;

use crate::config::{Config, SubscribeTemplates};
use looklook_shared::time;

#[derive(Clone)]
pub struct ServiceContext {
    pub orders: OrderClient,
    pub payments: PaymentClient,
    pub order_rows: HomestayOrderModel,
    pub usercenter: UsercenterClient,
    pub wx_mini: MiniClient,
    pub templates: SubscribeTemplates,
}

impl ServiceContext {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(ServiceContext {
            orders: OrderClient::new(&config.order_rpc_conf)
                .map_err(|e| anyhow::anyhow!("order-rpc client: {e:?}"))?,
            payments: PaymentClient::new(&config.payment_rpc_conf)
                .map_err(|e| anyhow::anyhow!("payment-rpc client: {e:?}"))?,
            order_rows: HomestayOrderModel::new(
                // On the business's clock, as order-rpc writes them.
                config
                    .order_db
                    .in_time_zone(&time::sql_time_zone())
                    .connect_lazy()?,
                Cache::new(&config.cache)?,
            ),
            usercenter: UsercenterClient::new(&config.usercenter_rpc_conf)
                .map_err(|e| anyhow::anyhow!("usercenter-rpc client: {e:?}"))?,
            wx_mini: MiniClient::new(&config.wx_mini_conf),
            templates: config.subscribe_templates.clone(),
        })
    }
}
