// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every handler shares: the config and the travel models.

use std::sync::Arc;

use travel_model::Cache;
use travel_model::homestay::HomestayModel;
use travel_model::homestay_activity::HomestayActivityModel;
use travel_model::homestay_business::HomestayBusinessModel;
use travel_model::homestay_comment::HomestayCommentModel;
use usercenter_rpc::client::UsercenterClient;

use crate::config::Config;
use looklook_shared::time;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub homestays: HomestayModel,
    pub activities: HomestayActivityModel,
    pub businesses: HomestayBusinessModel,
    pub comments: HomestayCommentModel,
    pub usercenter: UsercenterClient,
}

impl ServiceContext {
    /// Build the shared state once, at start-up.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        // Sessions on the business's clock: `create_time` columns then hold
        // China Standard Time, as every time the services write does.
        let pool = config
            .db
            .in_time_zone(&time::sql_time_zone())
            .connect_lazy()?;
        let cache = Cache::new(&config.cache)?;
        Ok(ServiceContext {
            homestays: HomestayModel::new(pool.clone(), cache.clone()),
            activities: HomestayActivityModel::new(pool.clone(), cache.clone()),
            businesses: HomestayBusinessModel::new(pool.clone(), cache.clone()),
            comments: HomestayCommentModel::new(pool, cache),
            usercenter: UsercenterClient::new(&config.usercenter_rpc_conf)
                .map_err(|e| anyhow::anyhow!("usercenter-rpc client: {e:?}"))?,
            config: Arc::new(config),
        })
    }
}
