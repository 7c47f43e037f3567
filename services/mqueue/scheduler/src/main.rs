//! mqueue-scheduler: on each tick of its schedule, push a job for
//! mqueue-job. It only decides *when*; the work happens in the worker, so
//! the scheduler stays tiny and a slow job never delays a tick.

use std::str::FromStr;

use apalis::prelude::{Data, Monitor, WorkerBuilder, WorkerFactoryFn};
use apalis_cron::{CronStream, Schedule};
use looklook_runtime::config::{LogConf, PrometheusConf};
use looklook_shared::jobs::{self, ExpireOrders, JobRedisConf, RedisStorage};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Config {
    name: String,
    #[serde(default)]
    log: LogConf,
    #[serde(default)]
    prometheus: Option<PrometheusConf>,
    job_redis: JobRedisConf,
    expire_orders_cron: String,
}

/// One tick of the schedule.
#[derive(Debug, Default, Clone)]
struct Tick;

async fn expire_orders(_: Tick, queue: Data<RedisStorage<ExpireOrders>>) -> anyhow::Result<()> {
    let at = looklook_shared::time::unix(looklook_shared::time::now());
    let mut queue = (*queue).clone();
    jobs::push(&mut queue, ExpireOrders { at }).await?;
    tracing::info!(at, "expire-orders job pushed");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = looklook_runtime::config::path_from_args("etc/mqueue-scheduler.yaml");
    let config: Config = looklook_runtime::config::load(&path)?;
    looklook_runtime::telemetry::init_logging(&config.log);
    if let Some(p) = &config.prometheus {
        looklook_runtime::telemetry::serve_metrics(p).await?;
    }
    let schedule = Schedule::from_str(&config.expire_orders_cron)
        .map_err(|e| anyhow::anyhow!("ExpireOrdersCron `{}`: {e}", config.expire_orders_cron))?;
    let queue = jobs::queue::<ExpireOrders>(&config.job_redis.url, ExpireOrders::QUEUE).await?;
    tracing::info!(
        service = config.name,
        cron = config.expire_orders_cron,
        "scheduling"
    );
    Monitor::new()
        .register(
            WorkerBuilder::new("expire-orders-cron")
                .data(queue)
                .backend(CronStream::new(schedule))
                .build_fn(expire_orders),
        )
        .run_with_signal(async {
            looklook_runtime::http::shutdown_signal().await;
            Ok(())
        })
        .await?;
    tracing::info!(service = config.name, "stopped");
    Ok(())
}
