//! order-mq: when a payment's status changes, payment-rpc publishes the
//! order's number and the new status; this consumer moves the order to
//! match through order-rpc. It has the shape of every looklook service:
//! [`config`], [`svc`] (what the logic works with) and [`logic`] (what a
//! message means), started by `main.rs` like any worker.
//!
//! Delivery is at least once: a message is committed only after order-rpc
//! has answered, so one in flight when the consumer dies is seen again by
//! the next. That is safe because moving an order to the state it is
//! already in changes nothing.

pub mod config;
pub mod logic;
pub mod svc;

use looklook_runtime::kafka;

pub use config::Config;
pub use svc::ServiceContext;

/// Consume until `shutdown` resolves.
pub async fn run(svc: ServiceContext, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    // The topic is the stack file's (looklook.stack.toml declares it, with
    // three partitions so that the messages of one order stay in order);
    // `looklook up` creates it, never the consumer. Until it is there the
    // consumer waits for it.
    let conf = svc.config.kq_payment_update_pay_status_conf.clone();
    kafka::consume(
        &conf,
        |ctx, message| {
            let svc = svc.clone();
            async move { logic::handle(&svc, &ctx, message).await }
        },
        shutdown,
    )
    .await
}
