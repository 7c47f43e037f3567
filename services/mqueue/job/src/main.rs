//! mqueue-job: load the config, work jobs off until SIGINT or SIGTERM.

use looklook_runtime::{config, worker};
use mqueue_job::{Config, ServiceContext};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = config::path_from_args("etc/mqueue-job.yaml");
    let config: Config = config::load(&path)?;
    worker::run(&config.service, |shutdown| async {
        let svc = ServiceContext::new(&config)?;
        mqueue_job::run(svc, &config.job_redis, config.board.as_ref(), shutdown).await
    })
    .await
}
