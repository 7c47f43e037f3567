//! mqueue-job: the worker of the background jobs (see
//! `looklook_shared::jobs`). Each job is a function here; apalis takes jobs
//! from their Redis queues, runs them, and tries a failed one again.

use apalis::prelude::{Data, Monitor, WorkerBuilder, WorkerFactoryFn};
use looklook_runtime::config::{LogConf, PrometheusConf};
use looklook_runtime::http::RequestCtx;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::jobs::{self, CloseOrder, ExpireOrders, JobRedisConf, PaySuccessNotify};
use looklook_shared::state::trade_state;
use looklook_shared::time;
use looklook_wechat::client::{MiniClient, WxMiniConf};
use looklook_wechat::mini::SubscribeMessage;
use order_model::homestay_order::HomestayOrderModel;
use order_model::{Cache, CacheConf, SqlConf};
use order_rpc::client::OrderClient;
use order_rpc::pb::pb::{HomestayOrderDetailReq, UpdateHomestayOrderTradeStateReq};
use serde::Deserialize;
use serde_json::json;
use usercenter_rpc::client::UsercenterClient;
use usercenter_rpc::pb::pb::GetUserAuthByUserIdReq;

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
    pub usercenter_rpc_conf: RpcClientConf,
    pub wx_mini_conf: WxMiniConf,
    pub subscribe_templates: SubscribeTemplates,
}

/// The subscribe-message templates of the mini-program.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeTemplates {
    pub pay_success: String,
    pub live_know: String,
    pub miniprogram_state: String,
}

/// What every job function is given.
#[derive(Clone)]
pub struct Deps {
    pub orders: OrderClient,
    pub order_rows: HomestayOrderModel,
    pub usercenter: UsercenterClient,
    pub wx_mini: MiniClient,
    pub templates: SubscribeTemplates,
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
        usercenter: UsercenterClient::new(&config.usercenter_rpc_conf)
            .map_err(|e| anyhow::anyhow!("usercenter-rpc client: {e:?}"))?,
        wx_mini: MiniClient::new(&config.wx_mini_conf),
        templates: config.subscribe_templates.clone(),
    };
    let url = &config.job_redis.url;
    let close = jobs::queue::<CloseOrder>(url, CloseOrder::QUEUE).await?;
    let expire = jobs::queue::<ExpireOrders>(url, ExpireOrders::QUEUE).await?;
    let notify = jobs::queue::<PaySuccessNotify>(url, PaySuccessNotify::QUEUE).await?;
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
                .data(deps.clone())
                .backend(expire)
                .build_fn(expire_orders),
        )
        .register(
            WorkerBuilder::new(format!("notify-paid-{id}"))
                .data(deps)
                .backend(notify)
                .build_fn(notify_paid),
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

/// Tell the user in WeChat that the order is paid: what, when, and the
/// code to show on arrival. A user who never logged in with WeChat cannot
/// be told; an order not paid (yet) is tried again later.
pub async fn notify_paid(job: PaySuccessNotify, deps: Data<Deps>) -> anyhow::Result<()> {
    let ctx = RequestCtx::default();
    let order = deps
        .orders
        .homestay_order_detail(
            &ctx,
            HomestayOrderDetailReq {
                sn: job.order_sn.clone(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("reading order {}: {}", job.order_sn, e.message()))?
        .homestay_order;
    match order.map(|o| o.trade_state) {
        Some(trade_state::WAIT_USE) => {}
        Some(trade_state::WAIT_PAY) => anyhow::bail!("order {} is not paid yet", job.order_sn),
        _ => return Ok(()),
    }
    let auth = deps
        .usercenter
        .get_user_auth_by_user_id(
            &ctx,
            GetUserAuthByUserIdReq {
                user_id: job.user_id,
                auth_type: "wxMini".into(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("user {}: {}", job.user_id, e.message()))?
        .user_auth;
    let Some(auth) = auth else {
        tracing::info!(sn = job.order_sn, "the user has no WeChat to tell");
        return Ok(());
    };
    for message in messages(&job, &auth.auth_key, &deps.templates) {
        deps.wx_mini.send_subscribe(&message).await?;
    }
    tracing::info!(sn = job.order_sn, "told the user the order is paid");
    Ok(())
}

/// The two messages of a paid order: the payment, and what to know for
/// the stay.
fn messages(job: &PaySuccessNotify, openid: &str, t: &SubscribeTemplates) -> [SubscribeMessage; 2] {
    let day = |secs| {
        time::local(secs)
            .map(|d| d.date().to_string())
            .unwrap_or_default()
    };
    let message = |template_id: &str, data| SubscribeMessage {
        touser: openid.to_owned(),
        template_id: template_id.to_owned(),
        page: format!("pages/order/detail?sn={}", job.order_sn),
        data,
        miniprogram_state: t.miniprogram_state.clone(),
    };
    [
        message(
            &t.pay_success,
            json!({
                "character_string6": {"value": job.order_sn},
                "thing1": {"value": job.title},
                "amount2": {"value": format!("{:.2}", job.order_total_price as f64 / 100.0)},
                "time4": {"value": day(job.live_start_date)},
                "time5": {"value": day(job.live_end_date)},
            }),
        ),
        message(
            &t.live_know,
            json!({
                "date2": {"value": day(job.live_start_date)},
                "date3": {"value": day(job.live_end_date)},
                "character_string4": {"value": job.trade_code},
                "thing1": {"value": "Show this code only to your host"},
            }),
        ),
    ]
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
