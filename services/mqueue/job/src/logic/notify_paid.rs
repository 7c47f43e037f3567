//! The job order-mq's payment queues: tell the user in WeChat.

use apalis::prelude::Data;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::jobs::PaySuccessNotify;
use looklook_shared::state::trade_state;
use looklook_shared::time;
use looklook_wechat::mini::SubscribeMessage;
use order_rpc::pb::HomestayOrderDetailReq;
use serde_json::json;
use usercenter_rpc::pb::GetUserAuthByUserIdReq;

use super::resumed;
use crate::config::SubscribeTemplates;
use crate::svc::ServiceContext;

/// Tell the user in WeChat that the order is paid: what, when, and the
/// code to show on arrival. A user who never logged in with WeChat cannot
/// be told; an order not paid (yet) is tried again later.
pub async fn notify_paid(job: PaySuccessNotify, svc: Data<ServiceContext>) -> anyhow::Result<()> {
    resumed(&job.carried, "job notify_paid", async |ctx| {
        notify(&job, &svc, ctx).await
    })
    .await
}

async fn notify(
    job: &PaySuccessNotify,
    svc: &ServiceContext,
    ctx: &RequestCtx,
) -> anyhow::Result<()> {
    let order = svc
        .orders
        .homestay_order_detail(
            ctx,
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
    let auth = svc
        .usercenter
        .get_user_auth_by_user_id(
            ctx,
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
    for message in messages(job, &auth.auth_key, &svc.templates) {
        svc.wx_mini.send_subscribe(ctx, &message).await?;
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
