// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/updateHomestayOrderTradeState`: move an order along its state
//! machine (see `looklook_shared::state::trade_state::can_move`). Asking
//! for the state it is already in changes nothing and succeeds, so a
//! message delivered twice is harmless. The write checks the row's version:
//! if another writer got there first, the caller gets 100006 and retries.
//!
//! A cancelled or refunded order gives its nights back, so that they can be
//! booked again.
//!
//! An order that becomes paid also gets a job that tells its user in
//! WeChat. The job is pushed before the write: if the write then fails,
//! the job finds the order unpaid and does nothing (the other way round, a
//! failed push after the write would never be tried again, since a retry
//! finds the order already paid).

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result, codes};
use looklook_shared::jobs::{self, PaySuccessNotify};
use looklook_shared::state::trade_state;
use looklook_shared::time::unix_date;
use order_model::{Tx, transact};

use crate::pb::{UpdateHomestayOrderTradeStateReq, UpdateHomestayOrderTradeStateResp};
use crate::svc::ServiceContext;

pub async fn update_homestay_order_trade_state(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UpdateHomestayOrderTradeStateReq,
) -> Result<UpdateHomestayOrderTradeStateResp> {
    if !trade_state::is_known(req.trade_state) {
        return Err(Error::bad_param(format!(
            "{} is not a trade state",
            req.trade_state
        )));
    }
    // The number leads to the row's id (through the cache: it never
    // changes); the row itself is read from the database, since a versioned
    // write must start from the current version, never from a cached copy
    // that may be stale.
    let missing = || Error::msg("this order does not exist");
    let id = svc
        .orders
        .find_one_by_sn(&req.sn)
        .await?
        .ok_or_else(missing)?
        .id;
    let mut order = svc.orders.find_one_fresh(id).await?.ok_or_else(missing)?;
    let from = i64::from(order.trade_state);
    if from != req.trade_state {
        if !trade_state::can_move(from, req.trade_state) {
            return Err(Error::msg(format!(
                "an order in state {from} cannot move to {}",
                req.trade_state
            )));
        }
        if req.trade_state == trade_state::WAIT_USE {
            let notify = PaySuccessNotify {
                order_sn: order.sn.clone(),
                user_id: order.user_id,
                title: order.title.clone(),
                order_total_price: order.order_total_price,
                live_start_date: unix_date(order.live_start_date),
                live_end_date: unix_date(order.live_end_date),
                trade_code: order.trade_code.clone(),
                carried: ctx.carried(),
            };
            jobs::push(&mut svc.notify_paid.clone(), notify)
                .await
                .map_err(|e| Error::internal(codes::SERVER_COMMON_ERROR, e))?;
        }
        order.trade_state = req.trade_state as i8;
        if matches!(
            req.trade_state,
            trade_state::CANCELLED | trade_state::REFUNDED
        ) {
            // The order gives its nights back in the same transaction: a
            // night is never both free and held by an order.
            transact(svc.orders.pool(), async |tx: &mut Tx| {
                svc.orders.update_with_version_in(tx, &mut order).await?;
                svc.nights.release_in(tx, &order.sn).await?;
                Ok::<_, order_model::Error>(())
            })
            .await?;
        } else {
            svc.orders.update_with_version(&mut order).await?;
        }
        tracing::info!(sn = order.sn, from, to = req.trade_state, "order moved");
    }
    Ok(UpdateHomestayOrderTradeStateResp {
        id: order.id,
        user_id: order.user_id,
        sn: order.sn,
        trade_code: order.trade_code,
        live_start_date: unix_date(order.live_start_date),
        live_end_date: unix_date(order.live_end_date),
        order_total_price: order.order_total_price,
        title: order.title,
    })
}
