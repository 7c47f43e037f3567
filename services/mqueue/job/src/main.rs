//! mqueue-job: load the config, work jobs off until SIGINT or SIGTERM.

use mqueue_job::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = looklook_runtime::config::path_from_args("etc/mqueue-job.yaml");
    let config: Config = looklook_runtime::config::load(&path)?;
    looklook_runtime::telemetry::init_logging(&config.log);
    if let Some(p) = &config.prometheus {
        looklook_runtime::telemetry::serve_metrics(p).await?;
    }
    tracing::info!(service = config.name, "starting");
    mqueue_job::run(&config, looklook_runtime::http::shutdown_signal()).await?;
    tracing::info!(service = config.name, "stopped");
    Ok(())
}
