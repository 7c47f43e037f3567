// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every call shares: the config, the order model and the
//! travel-rpc client.

use std::sync::Arc;

use looklook_shared::jobs::{self, CloseOrder, PaySuccessNotify, RedisStorage};
use order_model::Cache;
use order_model::homestay_night::HomestayNightModel;
use order_model::homestay_order::HomestayOrderModel;
use travel_rpc::client::TravelClient;

use crate::config::Config;
use looklook_shared::time;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub orders: HomestayOrderModel,
    /// The nights sold: what keeps two orders off the same night.
    pub nights: HomestayNightModel,
    pub travel: TravelClient,
    /// Where the job that closes an unpaid order waits.
    pub close_orders: RedisStorage<CloseOrder>,
    /// Where the job that tells a user their order is paid waits.
    pub notify_paid: RedisStorage<PaySuccessNotify>,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. The pool and the client
    /// connect on first use, so the service starts before them; the job
    /// queue's Redis must be up.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        // Sessions on the business's clock: `create_time` columns then hold
        // China Standard Time, as every time the services write does.
        let pool = config
            .db
            .in_time_zone(&time::sql_time_zone())
            .connect_lazy()?;
        let cache = Cache::new(&config.cache)?;
        let close_orders = jobs::queue(&config.job_redis.url, CloseOrder::QUEUE).await?;
        let notify_paid = jobs::queue(&config.job_redis.url, PaySuccessNotify::QUEUE).await?;
        Ok(ServiceContext {
            close_orders,
            notify_paid,
            nights: HomestayNightModel::new(pool.clone(), cache.clone()),
            orders: HomestayOrderModel::new(pool, cache),
            travel: TravelClient::new(&config.travel_rpc_conf)
                .map_err(|e| anyhow::anyhow!("travel-rpc client: {e:?}"))?,
            config: Arc::new(config),
        })
    }
}
