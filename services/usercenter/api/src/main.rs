// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! usercenter-api: load the config, build the shared state, serve until
//! SIGINT or SIGTERM.

mod config;
mod handler;
mod logic;
mod middleware;
mod routes;
mod svc;
mod types;

use config::Config;
use svc::ServiceContext;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = looklook_runtime::config::path_from_args("etc/usercenter.yaml");
    let config: Config = looklook_runtime::config::load(&path)?;
    let svc = ServiceContext::new(config).await?;
    let rest = svc.config.rest.clone();
    looklook_runtime::http::serve(&rest, routes::router(svc)).await
}
