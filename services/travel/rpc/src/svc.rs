// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every call shares: the config and the homestay model.

use std::sync::Arc;

use travel_model::Cache;
use travel_model::homestay::HomestayModel;

use crate::config::Config;
use looklook_shared::time;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub homestays: HomestayModel,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. The pool connects on first
    /// use, so the service starts even while the database is still coming up.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        // Sessions on the business's clock: `create_time` columns then hold
        // China Standard Time, as every time the services write does.
        let pool = config
            .db
            .in_time_zone(&time::sql_time_zone())
            .connect_lazy()?;
        let cache = Cache::new(&config.cache)?;
        Ok(ServiceContext {
            homestays: HomestayModel::new(pool, cache),
            config: Arc::new(config),
        })
    }
}
