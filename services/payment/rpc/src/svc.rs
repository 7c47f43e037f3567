// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every call shares: the config, the payment model, the
//! Kafka publisher and WeChat Pay.

use std::sync::Arc;

use looklook_runtime::kafka::Publisher;
use looklook_wechat::client::PayClient;
use payment_model::Cache;
use payment_model::third_payment::ThirdPaymentModel;

use crate::config::Config;
use looklook_shared::time;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub payments: ThirdPaymentModel,
    pub pay_status: Publisher,
    pub wx_pay: PayClient,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. Nothing connects until
    /// first used, so the service starts before what it needs.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        // Sessions on the business's clock: `create_time` columns then hold
        // China Standard Time, as every time the services write does.
        let pool = config
            .db
            .in_time_zone(&time::sql_time_zone())
            .connect_lazy()?;
        let cache = Cache::new(&config.cache)?;
        Ok(ServiceContext {
            payments: ThirdPaymentModel::new(pool, cache),
            pay_status: Publisher::new(&config.kq_payment_update_pay_status_conf)?,
            wx_pay: PayClient::new(&config.wx_pay_conf)?,
            config: Arc::new(config),
        })
    }
}
