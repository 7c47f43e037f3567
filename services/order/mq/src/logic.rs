//! What a payment message means for its order.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::kafka::Handled;
use looklook_runtime::{Error, codes};
use looklook_shared::message::PayStatusUpdate;
use looklook_shared::state::{pay_status, trade_state};
use order_rpc::pb::{HomestayOrderDetailReq, UpdateHomestayOrderTradeStateReq};
use payment_rpc::pb::RefundPaymentReq;

use crate::svc::ServiceContext;

/// The order state a payment status means: paid → paid, not yet used;
/// refunded → refunded. Others (failed) leave the order alone.
pub fn order_state(status: i64) -> Option<i64> {
    match status {
        pay_status::SUCCESS => Some(trade_state::WAIT_USE),
        pay_status::REFUNDED => Some(trade_state::REFUNDED),
        _ => None,
    }
}

/// Move the order of one payment message. Whether the message is done, to
/// be tried again, or dropped decides when its offset is committed. `ctx`
/// is the message's: the call to order-rpc continues the payment's trace.
pub async fn handle(svc: &ServiceContext, ctx: &RequestCtx, message: PayStatusUpdate) -> Handled {
    let Some(state) = order_state(message.pay_status) else {
        return Handled::Done;
    };
    let req = UpdateHomestayOrderTradeStateReq {
        sn: message.order_sn.clone(),
        trade_state: state,
    };
    match svc.orders.update_homestay_order_trade_state(ctx, req).await {
        Ok(_) => {
            tracing::info!(sn = message.order_sn, state, "order updated");
            Handled::Done
        }
        Err(e) if retryable(&e) => Handled::Retry(format!("{}: {}", message.order_sn, e.message())),
        Err(e) => refused(svc, ctx, &message, e.message()).await,
    }
}

/// order-rpc refused the move. Money that arrived for an order closed in
/// the meantime (WeChat took it as the close job closed the transaction)
/// must not stay taken: it is refunded and logged as an incident for a
/// person to see. A refund for a closed order changes nothing. Anything
/// else is dropped with its reason.
async fn refused(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    message: &PayStatusUpdate,
    why: &str,
) -> Handled {
    let sn = &message.order_sn;
    let state = match svc
        .orders
        .homestay_order_detail(ctx, HomestayOrderDetailReq { sn: sn.clone() })
        .await
    {
        Ok(found) => found.homestay_order.map(|o| o.trade_state),
        Err(e) => return Handled::Retry(format!("{sn}: reading the order: {}", e.message())),
    };
    match (message.pay_status, state) {
        (pay_status::SUCCESS, Some(trade_state::CANCELLED)) => {
            tracing::error!(
                incident = "paid_after_close",
                sn,
                "money arrived for a closed order: refunding it"
            );
            let refund = RefundPaymentReq {
                order_sn: sn.clone(),
                reason: "the order was closed before the payment arrived".into(),
            };
            match svc.payments.refund_payment(ctx, refund).await {
                Ok(done) => {
                    tracing::warn!(
                        incident = "paid_after_close",
                        sn,
                        refund = done.refund_id,
                        "refunded"
                    );
                    Handled::Done
                }
                // Until WeChat has the refund, the message is kept.
                Err(e) => Handled::Retry(format!("{sn}: refunding: {}", e.message())),
            }
        }
        (pay_status::REFUNDED, Some(trade_state::CANCELLED)) => Handled::Done,
        _ => Handled::Drop(format!("{sn}: {why}")),
    }
}

/// Worth trying again: order-rpc could not be reached, or its database
/// failed or lost a race. A refusal (no such order, a move the state
/// machine forbids) would be refused again.
fn retryable(e: &Error) -> bool {
    e.has_cause()
        || matches!(
            e.code_value(),
            codes::DB_ERROR | codes::DB_UPDATE_AFFECTED_ZERO_ERROR
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_statuses_to_order_states() {
        assert_eq!(order_state(1), Some(1));
        assert_eq!(order_state(2), Some(3));
        assert_eq!(order_state(-1), None);
        assert_eq!(order_state(0), None);
    }

    #[test]
    fn refusals_are_dropped_failures_retried() {
        assert!(!retryable(&Error::msg("this order does not exist")));
        assert!(!retryable(&Error::bad_param("7 is not a trade state")));
        assert!(retryable(&Error::code(codes::DB_ERROR)));
        assert!(retryable(&Error::internal(
            codes::SERVER_COMMON_ERROR,
            anyhow::anyhow!("connection refused")
        )));
    }
}
