//! mqueue-job: the worker of the background jobs (see
//! `looklook_shared::jobs`). It has the shape of every looklook service:
//! [`config`], [`svc`] (what the jobs work with) and [`logic`] (one file
//! per job); apalis takes jobs from their Redis queues, runs them, and
//! tries a failed one again.

pub mod board;
pub mod config;
pub mod logic;
pub mod svc;

use apalis::prelude::{Monitor, WorkerBuilder, WorkerFactoryFn};
use looklook_shared::jobs::{self, CloseOrder, ExpireOrders, JobRedisConf, PaySuccessNotify};

pub use config::{BoardConf, Config, SubscribeTemplates};
pub use svc::ServiceContext;

/// Work jobs off until `shutdown` resolves; jobs under way are finished.
/// With `board`, serve the job board there meanwhile.
pub async fn run(
    svc: ServiceContext,
    queues: &JobRedisConf,
    board: Option<&BoardConf>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let url = &queues.url;
    let close = jobs::queue::<CloseOrder>(url, CloseOrder::QUEUE).await?;
    let expire = jobs::queue::<ExpireOrders>(url, ExpireOrders::QUEUE).await?;
    let notify = jobs::queue::<PaySuccessNotify>(url, PaySuccessNotify::QUEUE).await?;
    // One shutdown signal, for the worker and the board.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    if let Some(conf) = board {
        let listener = tokio::net::TcpListener::bind((conf.host.as_str(), conf.port))
            .await
            .map_err(|e| anyhow::anyhow!("the job board on {}:{}: {e}", conf.host, conf.port))?;
        tracing::info!(addr = %listener.local_addr()?, "serving the job board");
        let mut stopped = stopped.clone();
        tokio::spawn(looklook_runtime::http::serve_with_shutdown(
            listener,
            board::router(board::Queues::new(&close, &expire, &notify)),
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        ));
    }
    let mut stopped = stopped;
    // Worker names are per process: a worker that dies is told apart from
    // a live one, and its jobs go back to the queue.
    let id = std::process::id();
    Monitor::new()
        .register(
            WorkerBuilder::new(format!("close-order-{id}"))
                .data(svc.clone())
                .backend(close)
                .build_fn(logic::close_order::close_order),
        )
        .register(
            WorkerBuilder::new(format!("expire-orders-{id}"))
                .data(svc.clone())
                .backend(expire)
                .build_fn(logic::expire_orders::expire_orders),
        )
        .register(
            WorkerBuilder::new(format!("notify-paid-{id}"))
                .data(svc)
                .backend(notify)
                .build_fn(logic::notify_paid::notify_paid),
        )
        .run_with_signal(async {
            shutdown.await;
            let _ = stop.send(true);
            let _ = stopped.wait_for(|s| *s).await;
            Ok(())
        })
        .await?;
    Ok(())
}
