//! order-mq: when a payment's status changes, payment-rpc publishes the
//! order's number and the new status; this consumer moves the order to
//! match through order-rpc.
//!
//! Delivery is at least once: a message is committed only after order-rpc
//! has answered, so one in flight when the consumer dies is seen again by
//! the next. That is safe because moving an order to the state it is
//! already in changes nothing.

use looklook_runtime::config::{LogConf, PrometheusConf};
use looklook_runtime::http::RequestCtx;
use looklook_runtime::kafka::{self, Handled, KafkaConf};
use looklook_runtime::rpc::RpcClientConf;
use looklook_runtime::{Error, codes};
use looklook_shared::message::PayStatusUpdate;
use looklook_shared::state::{pay_status, trade_state};
use order_rpc::client::OrderClient;
use order_rpc::pb::pb::UpdateHomestayOrderTradeStateReq;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    pub name: String,
    #[serde(default)]
    pub log: LogConf,
    #[serde(default)]
    pub prometheus: Option<PrometheusConf>,
    /// The topic and the consumer group. The key is the one payment-rpc's
    /// config uses for the same topic.
    pub kq_payment_update_pay_status_conf: KafkaConf,
    /// Where order-rpc is.
    pub order_rpc_conf: RpcClientConf,
}

/// Consume until `shutdown` resolves.
pub async fn run(config: &Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let orders = OrderClient::new(&config.order_rpc_conf)
        .map_err(|e| anyhow::anyhow!("order-rpc client: {e:?}"))?;
    // The topic is the stack file's (looklook.stack.toml declares it, with
    // three partitions so that the messages of one order stay in order);
    // `looklook up` creates it, never the consumer. Until it is there the
    // consumer waits for it.
    kafka::consume(
        &config.kq_payment_update_pay_status_conf,
        |message: PayStatusUpdate| {
            let orders = orders.clone();
            async move { handle(&orders, message).await }
        },
        shutdown,
    )
    .await
}

/// The order state a payment status means: paid → paid, not yet used;
/// refunded → refunded. Others (failed) leave the order alone.
pub fn order_state(status: i64) -> Option<i64> {
    match status {
        pay_status::SUCCESS => Some(trade_state::WAIT_USE),
        pay_status::REFUNDED => Some(trade_state::REFUNDED),
        _ => None,
    }
}

async fn handle(orders: &OrderClient, message: PayStatusUpdate) -> Handled {
    let Some(state) = order_state(message.pay_status) else {
        return Handled::Done;
    };
    let req = UpdateHomestayOrderTradeStateReq {
        sn: message.order_sn.clone(),
        trade_state: state,
    };
    match orders
        .update_homestay_order_trade_state(&RequestCtx::default(), req)
        .await
    {
        Ok(_) => {
            tracing::info!(sn = message.order_sn, state, "order updated");
            Handled::Done
        }
        Err(e) if retryable(&e) => Handled::Retry(format!("{}: {}", message.order_sn, e.message())),
        Err(e) => Handled::Drop(format!("{}: {}", message.order_sn, e.message())),
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
