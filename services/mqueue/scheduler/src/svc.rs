//! What a tick works with, built once from the config.

use looklook_shared::jobs::{self, ExpireOrders, RedisStorage};

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    /// mqueue-job's expire-orders queue.
    pub expire_orders: RedisStorage<ExpireOrders>,
}

impl ServiceContext {
    pub async fn new(config: &Config) -> anyhow::Result<Self> {
        let url = &config.job_redis.url;
        Ok(ServiceContext {
            expire_orders: jobs::queue::<ExpireOrders>(url, ExpireOrders::QUEUE).await?,
        })
    }
}
