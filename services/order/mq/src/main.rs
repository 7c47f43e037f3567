//! order-mq: load the config, consume until SIGINT or SIGTERM.

use looklook_runtime::{config, worker};
use order_mq::{Config, ServiceContext};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = config::path_from_args("etc/order-mq.yaml");
    let config: Config = config::load(&path)?;
    let service = config.service.clone();
    worker::run(&service, |shutdown| async move {
        order_mq::run(ServiceContext::new(config)?, shutdown).await
    })
    .await
}
