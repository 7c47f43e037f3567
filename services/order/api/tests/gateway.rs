//! The order HTTP gateway as a client sees it: this crate's binary on
//! 127.0.0.1 in front of travel-rpc, order-rpc and payment-rpc (served
//! in-process), over real MariaDB, Redis and Kafka.

use chrono::Utc;
use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::kafka::KafkaConf;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::testing::{empty_cache, fresh_database, kafka_brokers, start_service};
use looklook_testkit::{noon_in, order_rpc, payment_rpc, travel_rpc};
use serde_json::{Value, json};

const SECRET: &str = "order-api-test-secret";

/// travel-rpc, order-rpc and payment-rpc; the last two's addresses.
async fn start_rpcs() -> (String, String) {
    let travel_db = fresh_database(
        "looklook_t_order_api_travel",
        &["travel/travel.sql", "travel/seed.sql"],
    )
    .await;
    let order_db = fresh_database("looklook_t_order_api", &["order/order.sql"]).await;
    let payment_db = fresh_database("looklook_t_order_api_payment", &["payment/payment.sql"]).await;
    let redis = empty_cache(14);
    let topic = "order-api-test-paystatus";
    looklook_runtime::kafka::create_topic(&kafka_brokers(), topic, 1)
        .await
        .unwrap();
    let travel = travel_rpc(travel_db, &redis).await;
    let order = order_rpc(order_db, &redis, &travel, 1800).await;
    let kafka = KafkaConf {
        brokers: kafka_brokers(),
        topic: topic.into(),
        group: String::new(),
        options: Default::default(),
    };
    let payment = payment_rpc(payment_db, &redis, kafka).await;
    (order, payment)
}

#[tokio::test]
async fn book_list_and_show_orders_through_the_gateway() {
    let (order_rpc, payment_rpc) = start_rpcs().await;
    let gateway = start_service(
        env!("CARGO_BIN_EXE_order-api"),
        env!("CARGO_MANIFEST_DIR"),
        &[
            ("ORDER_RPC_ADDR", &order_rpc),
            ("PAYMENT_RPC_ADDR", &payment_rpc),
            ("JWT_SECRET", SECRET),
        ],
    )
    .await;
    let base = format!("http://127.0.0.1:{}/order/v1/homestayOrder", gateway.port);
    let http = reqwest::Client::new();
    let now = Utc::now().timestamp();
    let alice = looklook_runtime::http::jwt::issue(SECRET, now, 3600, 1).unwrap();
    let bob = looklook_runtime::http::jwt::issue(SECRET, now, 3600, 2).unwrap();
    let expired = looklook_runtime::http::jwt::issue(SECRET, now - 7200, 3600, 1).unwrap();
    let post = |path: &str, body: Value, token: &str| {
        let req = http
            .post(format!("{base}/{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let booking = json!({
        "homestayId": 1, "isFood": true, "liveStartTime": noon_in(5),
        "liveEndTime": noon_in(8), "livePeopleNum": 2
    });

    // Book: the lake room, three nights, two guests with meals.
    let (status, body) = post("createHomestayOrder", booking.clone(), &alice).await;
    assert_eq!(status, 200, "{body}");
    let sn = body["data"]["orderSn"].as_str().unwrap().to_string();

    // Refused: no token, an expired one, a bad parameter, too many guests.
    let (status, _) = post("createHomestayOrder", booking.clone(), "").await;
    assert_eq!(status, 401);
    let (status, _) = post("createHomestayOrder", booking.clone(), &expired).await;
    assert_eq!(status, 401);
    let mut zero = booking.clone();
    zero["livePeopleNum"] = json!(0);
    let (status, body) = post("createHomestayOrder", zero, &alice).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(100002)),
        "{body}"
    );
    let mut crowd = booking.clone();
    crowd["livePeopleNum"] = json!(3);
    let (_, body) = post("createHomestayOrder", crowd, &alice).await;
    assert_eq!(
        body,
        json!({"code": 100001, "msg": "this homestay takes at most 2 guests"})
    );

    // The list, in yuan: 3 × 388.00 + 3 × 2 × 60.00.
    let list = json!({"lastId": 0, "pageSize": 10, "tradeState": -99});
    let (_, body) = post("userHomestayOrderList", list.clone(), &alice).await;
    let orders = body["data"]["list"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{body}");
    assert_eq!(orders[0]["sn"], sn.as_str());
    assert_eq!(orders[0]["orderTotalPrice"], 3.0 * 388.0 + 3.0 * 2.0 * 60.0);
    assert_eq!(orders[0]["tradeState"], 0);
    let (_, body) = post("userHomestayOrderList", list, &bob).await;
    assert_eq!(body["data"]["list"], json!([]), "someone else's list");

    // The detail is the owner's; to anyone else the order does not exist.
    let (_, body) = post("userHomestayOrderDetail", json!({"sn": sn}), &alice).await;
    let detail = &body["data"];
    assert_eq!(detail["title"], "Lake room");
    assert_eq!(
        (detail["needFood"].as_i64(), detail["payTime"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(detail["homestayTotalPrice"], 3.0 * 388.0);
    let (status, body) = post("userHomestayOrderDetail", json!({"sn": sn}), &bob).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code": 100001, "msg": "this order does not exist"})
    );

    // Paid (as the payment callback and order-mq would do it): the detail
    // shows when and how.
    let ctx = RequestCtx::default();
    let payments =
        payment_rpc::client::PaymentClient::new(&RpcClientConf::new(payment_rpc)).unwrap();
    let payment_sn = payments
        .create_payment(
            &ctx,
            payment_rpc::pb::CreatePaymentReq {
                user_id: 1,
                pay_model: "WECHAT_PAY".into(),
                pay_total: 134400,
                order_sn: sn.clone(),
                service_type: "homestayOrder".into(),
            },
        )
        .await
        .unwrap()
        .sn;
    payments
        .update_trade_state(
            &ctx,
            payment_rpc::pb::UpdateTradeStateReq {
                sn: payment_sn,
                trade_state: "SUCCESS".into(),
                pay_status: 1,
                pay_time: now,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    order_rpc::client::OrderClient::new(&RpcClientConf::new(order_rpc))
        .unwrap()
        .update_homestay_order_trade_state(
            &ctx,
            order_rpc::pb::UpdateHomestayOrderTradeStateReq {
                sn: sn.clone(),
                trade_state: 1,
            },
        )
        .await
        .unwrap();
    let (_, body) = post("userHomestayOrderDetail", json!({"sn": sn}), &alice).await;
    assert_eq!(body["data"]["tradeState"], 1, "{body}");
    assert_eq!(body["data"]["payTime"], now);
    assert_eq!(body["data"]["payType"], "WECHAT_PAY");
}
