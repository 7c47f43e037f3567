// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The state every handler shares: the config and the usercenter-rpc
//! client, which does the work (this gateway only translates).

use std::sync::Arc;

use looklook_runtime::limit::IpLimiter;
use looklook_wechat::client::MiniClient;
use usercenter_rpc::client::UsercenterClient;

use crate::config::Config;

#[derive(Clone)]
pub struct ServiceContext {
    pub config: Arc<Config>,
    pub usercenter: UsercenterClient,
    pub wx_mini: MiniClient,
    /// The budget of the open routes, per client address.
    pub rate_limit: Option<Arc<IpLimiter>>,
}

impl ServiceContext {
    /// Build the shared state once, at start-up. The client connects
    /// lazily, so the gateway starts before the RPC service does.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let trusted = config.rest.trusted_proxies.clone();
        let rate_limit = config
            .rate_limit
            .and_then(|limit| IpLimiter::new(limit, trusted))
            .map(Arc::new);
        Ok(ServiceContext {
            rate_limit,
            wx_mini: MiniClient::new(&config.wx_mini_conf),
            usercenter: UsercenterClient::new(&config.usercenter_rpc_conf)
                .map_err(|e| anyhow::anyhow!("usercenter-rpc client: {e:?}"))?,
            config: Arc::new(config),
        })
    }
}
