//! wechat-sandbox: a local WeChat (login and WeChat Pay) for development
//! and tests. See `looklook_wechat::sandbox`.

use looklook_wechat::sandbox::{self, SandboxConf};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Config {
    #[serde(flatten)]
    rest: looklook_runtime::config::RestConf,
    sandbox: SandboxConf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = looklook_runtime::config::path_from_args("etc/wechat-sandbox.yaml");
    let config: Config = looklook_runtime::config::load(&path)?;
    let router = sandbox::router(config.sandbox)?;
    looklook_runtime::http::serve(&config.rest, router).await
}
