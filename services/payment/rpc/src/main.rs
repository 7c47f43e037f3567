// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! payment-rpc: load the config, build the shared state, serve gRPC
//! until SIGINT or SIGTERM.

use payment_rpc::config::Config;
use payment_rpc::svc::ServiceContext;
use payment_rpc::{pb, server};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = looklook_runtime::config::path_from_args("etc/payment.yaml");
    let config: Config = looklook_runtime::config::load(&path)?;
    let svc = ServiceContext::new(config).await?;
    let rpc = svc.config.rpc.clone();
    let routes = server::routes(svc);
    looklook_runtime::rpc::serve(&rpc, routes, server::SERVICES, pb::FILE_DESCRIPTOR_SET).await
}
