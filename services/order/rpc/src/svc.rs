// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every handler shares (go-zero calls it the service context):
//! the config, and whatever you add, such as database pools and RPC clients.

use std::sync::Arc;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
}

impl ServiceContext {
    /// Build the shared state once, at start-up.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        Ok(ServiceContext {
            config: Arc::new(config),
        })
    }
}
