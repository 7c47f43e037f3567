//! order-mq: load the config, consume until SIGINT or SIGTERM.

use looklook_runtime::{config, worker};
use order_mq::{Config, ServiceContext};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = config::path_from_args("etc/order-mq.yaml");
    let config: Config = config::load(&path)?;
    let worker = config.worker.clone();
    worker::run(&worker, |shutdown| async move {
        order_mq::run(ServiceContext::new(config)?, shutdown).await
    })
    .await
}
