// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every call shares: the config, the payment model and the
//! Kafka publisher.

use std::sync::Arc;

use looklook_runtime::kafka::Publisher;
use payment_model::Cache;
use payment_model::third_payment::ThirdPaymentModel;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub payments: ThirdPaymentModel,
    pub pay_status: Publisher,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. Nothing connects until
    /// first used, so the service starts before what it needs.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let pool = config.db.connect_lazy()?;
        let cache = Cache::new(&config.cache)?;
        Ok(ServiceContext {
            payments: ThirdPaymentModel::new(pool, cache),
            pay_status: Publisher::new(&config.kq_payment_update_pay_status_conf)?,
            config: Arc::new(config),
        })
    }
}
