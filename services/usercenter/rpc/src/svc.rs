// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every call shares: the config and the two tables' models,
//! which share one pool and one cache.

use std::sync::Arc;

use usercenter_model::Cache;
use usercenter_model::user::UserModel;
use usercenter_model::user_auth::UserAuthModel;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub users: UserModel,
    pub user_auths: UserAuthModel,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. The pool connects on first
    /// use, so the service starts even while the database is still coming up.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let pool = config.db.connect_lazy()?;
        let cache = Cache::new(&config.cache)?;
        Ok(ServiceContext {
            users: UserModel::new(pool.clone(), cache.clone()),
            user_auths: UserAuthModel::new(pool, cache),
            config: Arc::new(config),
        })
    }
}
