//! mqueue-scheduler: load the config, tick until SIGINT or SIGTERM.

use looklook_runtime::{config, worker};
use mqueue_scheduler::{Config, ServiceContext};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = config::path_from_args("etc/mqueue-scheduler.yaml");
    let config: Config = config::load(&path)?;
    worker::run(&config.service, |shutdown| async {
        let svc = ServiceContext::new(&config).await?;
        mqueue_scheduler::run(svc, &config.expire_orders_cron, shutdown).await
    })
    .await
}
