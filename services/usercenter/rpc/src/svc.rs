// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every call shares: the config and the two tables' models,
//! which share one pool and one cache.

use std::sync::Arc;

use looklook_runtime::limit::PeriodLimit;
use usercenter_model::Cache;
use usercenter_model::user::UserModel;
use usercenter_model::user_auth::UserAuthModel;

use crate::config::Config;
use looklook_shared::time;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub users: UserModel,
    pub user_auths: UserAuthModel,
    /// Password logins per mobile number, in the cache's Redis.
    pub login_limit: Option<PeriodLimit>,
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
        let login_limit = config
            .login_limit
            .filter(|l| l.requests > 0)
            .map(|limit| PeriodLimit::new(&cache, "login", limit));
        Ok(ServiceContext {
            login_limit,
            users: UserModel::new(pool.clone(), cache.clone()),
            user_auths: UserAuthModel::new(pool, cache),
            config: Arc::new(config),
        })
    }
}
