// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/cancelHomestayOrder`: the guest calls a booking
//! off. What that means depends on where the order is:
//!
//! - waiting for payment: its WeChat transaction is closed, then the order
//!   cancelled (-1), in the order the close job does it, so that nobody
//!   pays for an order that is gone;
//! - paid, before the check-in day: payment-rpc asks WeChat Pay for the
//!   money back. WeChat's refund notification marks the payment refunded,
//!   and order-mq, told through Kafka, the order refunded (3), which frees
//!   its nights. The answer says 1 until then;
//! - already cancelled or refunded: nothing to do, the same answer again;
//! - used, expired, or paid with the check-in day begun: refused.
//!
//! Asking twice is safe at every step: the refund's number comes from the
//! payment's, so WeChat makes one refund however often it is asked.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use looklook_shared::state::trade_state;
use looklook_shared::time;
use order_rpc::pb::UpdateHomestayOrderTradeStateReq;
use payment_rpc::pb::{ClosePaymentReq, RefundPaymentReq};

use super::callers_order;
use crate::svc::ServiceContext;
use crate::types::{CancelHomestayOrderReq, CancelHomestayOrderResp};

pub async fn cancel_homestay_order(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CancelHomestayOrderReq,
) -> Result<CancelHomestayOrderResp> {
    let order = callers_order(svc, ctx, req.sn).await?;
    let answer = |trade_state| Ok(CancelHomestayOrderResp { trade_state });
    match order.trade_state {
        trade_state::CANCELLED | trade_state::REFUNDED => answer(order.trade_state),
        trade_state::WAIT_PAY => {
            let closed = svc
                .payments
                .close_payment(
                    ctx,
                    ClosePaymentReq {
                        order_sn: order.sn.clone(),
                    },
                )
                .await?;
            if closed.paid {
                // Paid as it was closing: the payment moves the order on.
                return Err(Error::msg(
                    "this order has just been paid: cancel it again to have it refunded",
                ));
            }
            svc.orders
                .update_homestay_order_trade_state(
                    ctx,
                    UpdateHomestayOrderTradeStateReq {
                        sn: order.sn,
                        trade_state: trade_state::CANCELLED,
                    },
                )
                .await?;
            answer(trade_state::CANCELLED)
        }
        trade_state::WAIT_USE => {
            if !trade_state::refundable(order.live_start_date, time::unix(time::now())) {
                return Err(Error::msg(
                    "the stay has begun: it can no longer be cancelled",
                ));
            }
            svc.payments
                .refund_payment(
                    ctx,
                    RefundPaymentReq {
                        order_sn: order.sn,
                        reason: "cancelled by the guest".into(),
                    },
                )
                .await?;
            answer(trade_state::WAIT_USE)
        }
        _ => Err(Error::msg("this order can no longer be cancelled")),
    }
}
