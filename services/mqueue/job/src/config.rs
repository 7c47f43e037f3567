//! mqueue-job's configuration (`etc/mqueue-job.yaml`).

use looklook_runtime::config::ServiceConf;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::jobs::JobRedisConf;
use looklook_wechat::client::WxMiniConf;
use order_model::{CacheConf, SqlConf};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// `Name`, `Log`, `Prometheus`, `Telemetry`: what every process has.
    #[serde(flatten)]
    pub service: ServiceConf,
    pub job_redis: JobRedisConf,
    pub order_rpc_conf: RpcClientConf,
    pub payment_rpc_conf: RpcClientConf,
    #[serde(rename = "OrderDB")]
    pub order_db: SqlConf,
    pub cache: CacheConf,
    pub usercenter_rpc_conf: RpcClientConf,
    pub wx_mini_conf: WxMiniConf,
    pub subscribe_templates: SubscribeTemplates,
    /// Where the job board listens; none without it.
    #[serde(default)]
    pub board: Option<BoardConf>,
}

/// The job board's address.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BoardConf {
    pub host: String,
    pub port: u16,
}

/// The subscribe-message templates of the mini-program.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeTemplates {
    pub pay_success: String,
    pub live_know: String,
    pub miniprogram_state: String,
}
