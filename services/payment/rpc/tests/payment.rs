//! payment-rpc served on 127.0.0.1 against a real MariaDB, Redis and
//! Kafka-protocol broker (tansu), through its client; what it publishes is
//! read back from the topic.

use std::time::Duration;

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::kafka::{self, Handled, KafkaConf};
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::message::PayStatusUpdate;
use looklook_shared::sn;
use looklook_shared::testing::{empty_cache, fresh_database, kafka_brokers};
use looklook_testkit::payment_rpc;
use payment_rpc::client::PaymentClient;
use payment_rpc::pb::{
    CreatePaymentReq, GetPaymentBySnReq, GetPaymentSuccessRefundByOrderSnReq, UpdateTradeStateReq,
};
use tokio::sync::mpsc;

#[tokio::test]
async fn payments_move_and_every_move_is_published() {
    let db = fresh_database("looklook_t_payment", &["payment/payment.sql"]).await;
    let redis = empty_cache(13);
    let topic = format!("paystatus-{}", sn::gen_sn("T"));
    kafka::create_topic(&kafka_brokers(), &topic, 1)
        .await
        .unwrap();
    let kafka = KafkaConf {
        brokers: kafka_brokers(),
        topic,
        group: String::new(),
        options: Default::default(),
    };

    let addr = payment_rpc(db, &redis, kafka.clone()).await;
    let client = PaymentClient::new(&RpcClientConf::new(addr)).unwrap();
    let ctx = RequestCtx::default();

    // Everything published, as a reader of the topic sees it.
    let (tx, mut published) = mpsc::unbounded_channel();
    let reader = KafkaConf {
        group: format!("{}-reader", kafka.topic),
        ..kafka
    };
    tokio::spawn(async move {
        kafka::consume(
            &reader,
            |ctx: RequestCtx, m: PayStatusUpdate| {
                let tx = tx.clone();
                async move {
                    tx.send((ctx, m)).unwrap();
                    Handled::Done
                }
            },
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    // What was published, with the request id and trace context the
    // consumer got from the message's headers.
    let mut next_with_ctx = async || {
        tokio::time::timeout(Duration::from_secs(30), published.recv())
            .await
            .expect("a message within 30 s")
            .unwrap()
    };

    let create = |order_sn: &str, service_type: &str| CreatePaymentReq {
        user_id: 1,
        pay_model: "WECHAT_PAY".into(),
        pay_total: 135600,
        order_sn: order_sn.into(),
        service_type: service_type.into(),
    };
    let sn = client
        .create_payment(&ctx, create("HSO1", "homestayOrder"))
        .await
        .unwrap()
        .sn;
    assert!(sn.starts_with("PMT") && sn.len() == 25, "{sn}");
    // Asking again for the same order gets the same open payment: one
    // WeChat transaction, never a second one the user could pay too.
    let again = client
        .create_payment(&ctx, create("HSO1", "homestayOrder"))
        .await
        .unwrap()
        .sn;
    assert_eq!(again, sn);
    let other_amount = client
        .create_payment(
            &ctx,
            CreatePaymentReq {
                pay_total: 1,
                ..create("HSO1", "homestayOrder")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        other_amount.message(),
        "this order has an open payment for another amount"
    );
    let refused = client
        .create_payment(&ctx, create("HSO1", "flights"))
        .await
        .unwrap_err();
    assert_eq!(refused.code_value(), 100002);

    let detail = |sn: &str| GetPaymentBySnReq { sn: sn.into() };
    let unpaid = client
        .get_payment_by_sn(&ctx, detail(&sn))
        .await
        .unwrap()
        .payment_detail
        .unwrap();
    assert_eq!((unpaid.pay_status, unpaid.pay_time), (0, 0));
    let paid_for = |order_sn: &str| GetPaymentSuccessRefundByOrderSnReq {
        order_sn: order_sn.into(),
    };
    let none = client
        .get_payment_success_refund_by_order_sn(&ctx, paid_for("HSO1"))
        .await
        .unwrap();
    assert!(none.payment_detail.is_none());

    // Paid: stored, and the order's number published.
    let update = |pay_status| UpdateTradeStateReq {
        sn: sn.clone(),
        trade_state: "SUCCESS".into(),
        transaction_id: "4200000001".into(),
        trade_type: "JSAPI".into(),
        trade_state_desc: "paid".into(),
        pay_status,
        pay_time: 1_800_000_000,
    };
    // The call's request id and trace travel with the message: the
    // consumer continues the same work.
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let paying = RequestCtx::with_request_id("pay-callback-1").with_traceparent(traceparent);
    client.update_trade_state(&paying, update(1)).await.unwrap();
    let (seen, message) = next_with_ctx().await;
    assert_eq!(
        message,
        PayStatusUpdate {
            pay_status: 1,
            order_sn: "HSO1".into()
        }
    );
    assert_eq!(seen.request_id(), "pay-callback-1");
    assert_eq!(seen.traceparent(), Some(traceparent));
    let mut next = async || next_with_ctx().await.1;
    let paid = client
        .get_payment_success_refund_by_order_sn(&ctx, paid_for("HSO1"))
        .await
        .unwrap()
        .payment_detail
        .unwrap();
    assert_eq!(
        (paid.sn.as_str(), paid.pay_status, paid.pay_time),
        (sn.as_str(), 1, 1_800_000_000)
    );
    assert_eq!(paid.transaction_id, "4200000001");

    // Told again: nothing changes, and the message goes out again.
    client
        .update_trade_state(
            &ctx,
            UpdateTradeStateReq {
                pay_time: 1_900_000_000,
                ..update(1)
            },
        )
        .await
        .unwrap();
    assert_eq!(next().await.pay_status, 1);
    let again = client
        .get_payment_by_sn(&ctx, detail(&sn))
        .await
        .unwrap()
        .payment_detail
        .unwrap();
    assert_eq!(
        again.pay_time, 1_800_000_000,
        "the first payment time stays"
    );

    // A paid payment cannot fail; it can be refunded.
    let e = client
        .update_trade_state(&ctx, update(-1))
        .await
        .unwrap_err();
    assert!(e.message().contains("cannot move"), "{}", e.message());
    let e = client
        .update_trade_state(&ctx, update(5))
        .await
        .unwrap_err();
    assert_eq!(e.code_value(), 100002);
    client.update_trade_state(&ctx, update(2)).await.unwrap();
    assert_eq!(next().await.pay_status, 2);

    let e = client
        .update_trade_state(
            &ctx,
            UpdateTradeStateReq {
                sn: "PMT0".into(),
                ..update(1)
            },
        )
        .await
        .unwrap_err();
    assert!(e.message().contains("does not exist"), "{}", e.message());
}
