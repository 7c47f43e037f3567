//! mqueue-scheduler: on each tick of its schedule, push a job for
//! mqueue-job. It only decides *when*; the work happens in the worker, so
//! the scheduler stays tiny and a slow job never delays a tick. The same
//! shape as every looklook service: [`config`], [`svc`], [`logic`].

pub mod config;
pub mod logic;
pub mod svc;

use std::str::FromStr;

use apalis::prelude::{Monitor, WorkerBuilder, WorkerFactoryFn};
use apalis_cron::{CronStream, Schedule};

pub use config::Config;
pub use svc::ServiceContext;

/// Tick on `cron` until `shutdown` resolves.
pub async fn run(
    svc: ServiceContext,
    cron: &str,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let schedule =
        Schedule::from_str(cron).map_err(|e| anyhow::anyhow!("ExpireOrdersCron `{cron}`: {e}"))?;
    tracing::info!(cron, "scheduling");
    Monitor::new()
        .register(
            WorkerBuilder::new("expire-orders-cron")
                .data(svc)
                .backend(CronStream::new(schedule))
                .build_fn(logic::expire_orders),
        )
        .run_with_signal(async {
            shutdown.await;
            Ok(())
        })
        .await?;
    Ok(())
}
