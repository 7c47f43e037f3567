//! mqueue-job: the worker of the background jobs (see
//! `looklook_shared::jobs`). Each job is a function here; apalis takes jobs
//! from their Redis queues, runs them, and tries a failed one again.

use apalis::prelude::{Data, Monitor, WorkerBuilder, WorkerFactoryFn};
use looklook_runtime::config::{LogConf, PrometheusConf};
use looklook_runtime::http::RequestCtx;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::jobs::{self, CloseOrder, ExpireOrders, JobRedisConf};
use looklook_shared::state::trade_state;
use looklook_shared::time;
use order_model::homestay_order::HomestayOrderModel;
use order_model::{Cache, CacheConf, SqlConf};
use order_rpc::client::OrderClient;
use order_rpc::pb::pb::{HomestayOrderDetailReq, UpdateHomestayOrderTradeStateReq};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    pub name: String,
    #[serde(default)]
    pub log: LogConf,
    #[serde(default)]
    pub prometheus: Option<PrometheusConf>,
    pub job_redis: JobRedisConf,
    pub order_rpc_conf: RpcClientConf,
    #[serde(rename = "OrderDB")]
    pub order_db: SqlConf,
    pub cache: CacheConf,
}

/// What every job function is given.
#[derive(Clone)]
pub struct Deps {
    pub orders: OrderClient,
    pub order_rows: HomestayOrderModel,
}

/// Work jobs off until `shutdown` resolves; jobs under way are finished.
pub async fn run(config: &Config, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    let deps = Deps {
        orders: OrderClient::new(&config.order_rpc_conf)
            .map_err(|e| anyhow::anyhow!("order-rpc client: {e:?}"))?,
        order_rows: HomestayOrderModel::new(
            config.order_db.connect_lazy()?,
            Cache::new(&config.cache)?,
        ),
    };
    let url = &config.job_redis.url;
    let close = jobs::queue::<CloseOrder>(url, CloseOrder::QUEUE).await?;
    let expire = jobs::queue::<ExpireOrders>(url, ExpireOrders::QUEUE).await?;
    // Worker names are per process: a worker that dies is told apart from
    // a live one, and its jobs go back to the queue.
    let id = std::process::id();
    Monitor::new()
        .register(
            WorkerBuilder::new(format!("close-order-{id}"))
                .data(deps.clone())
                .backend(close)
                .build_fn(close_order),
        )
        .register(
            WorkerBuilder::new(format!("expire-orders-{id}"))
                .data(deps)
                .backend(expire)
                .build_fn(expire_orders),
        )
        .run_with_signal(async {
            shutdown.await;
            Ok(())
        })
        .await?;
    Ok(())
}

/// Close the order if it is still waiting for payment. Paid, already
/// closed or missing: nothing to do.
pub async fn close_order(job: CloseOrder, deps: Data<Deps>) -> anyhow::Result<()> {
    let ctx = RequestCtx::default();
    let found = deps
        .orders
        .homestay_order_detail(&ctx, HomestayOrderDetailReq { sn: job.sn.clone() })
        .await
        .map_err(|e| anyhow::anyhow!("reading order {}: {}", job.sn, e.message()))?;
    let Some(order) = found.homestay_order else {
        tracing::info!(sn = job.sn, "no such order to close");
        return Ok(());
    };
    if order.trade_state != trade_state::WAIT_PAY {
        return Ok(());
    }
    move_order(&deps.orders, &job.sn, trade_state::CANCELLED).await?;
    tracing::info!(sn = job.sn, "closed an unpaid order");
    Ok(())
}

/// Paid orders whose check-out date has passed are expired.
pub async fn expire_orders(job: ExpireOrders, deps: Data<Deps>) -> anyhow::Result<()> {
    let today = time::local(job.at).map_or_else(time::today, |t| t.date());
    let ended = deps.order_rows.find_paid_ended_before(today).await?;
    for order in &ended {
        move_order(&deps.orders, &order.sn, trade_state::EXPIRED).await?;
    }
    tracing::info!(count = ended.len(), "expired ended stays");
    Ok(())
}

/// Ask order-rpc to move an order. A refusal means the order moved on by
/// another path in the meantime (paid just before it was closed): fine.
async fn move_order(orders: &OrderClient, sn: &str, to: i64) -> anyhow::Result<()> {
    let req = UpdateHomestayOrderTradeStateReq {
        sn: sn.to_owned(),
        trade_state: to,
    };
    match orders
        .update_homestay_order_trade_state(&RequestCtx::default(), req)
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if !e.has_cause() && e.code_value() == looklook_runtime::codes::SERVER_COMMON_ERROR =>
        {
            tracing::info!(sn, to, why = e.message(), "order not moved");
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(
            "moving order {sn} to {to}: {}",
            e.message()
        )),
    }
}
