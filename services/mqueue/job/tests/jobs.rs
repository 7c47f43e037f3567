//! mqueue-job in-process against a real Redis job queue, order-rpc,
//! travel-rpc and payment-rpc on 127.0.0.1, the WeChat sandbox, and a real
//! MariaDB: an unpaid order is closed when its time is up (its WeChat
//! transaction first), a paid one is not, nor one whose user paid WeChat
//! just before the close; ended stays expire.

use std::time::{Duration, Instant};

use chrono::Days;
use looklook_runtime::config::ServiceConf;
use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::kafka::KafkaConf;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::jobs::{self, ExpireOrders, JobRedisConf};
use looklook_shared::sn;
use looklook_shared::testing::{empty_cache, fresh_database};
use looklook_shared::time;
use looklook_testkit::{
    noon_in, order_rpc, payment_rpc_with_wechat, travel_rpc, wechat_sandbox, wx_pay_conf,
};
use looklook_wechat::client::PayClient;
use looklook_wechat::pay::{Amount, JsapiPrepay, Payer};
use mqueue_job::{Config, ServiceContext};
use order_model::homestay_order::{HomestayOrder, HomestayOrderModel};
use order_model::{Cache, CacheConf, SqlConf};
use order_rpc::client::OrderClient;
use order_rpc::pb::{
    CreateHomestayOrderReq, HomestayOrderDetailReq, UpdateHomestayOrderTradeStateReq,
};
use payment_rpc::client::PaymentClient;
use payment_rpc::pb::{CreatePaymentReq, GetPaymentBySnReq};

async fn state(orders: &OrderClient, sn: &str) -> i64 {
    orders
        .homestay_order_detail(
            &RequestCtx::default(),
            HomestayOrderDetailReq { sn: sn.into() },
        )
        .await
        .unwrap()
        .homestay_order
        .unwrap()
        .trade_state
}

async fn until_state(orders: &OrderClient, sn: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while state(orders, sn).await != want {
        assert!(Instant::now() < deadline, "{sn} never reached {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn unpaid_orders_close_and_ended_stays_expire() {
    let travel_db = fresh_database(
        "looklook_t_jobs_travel",
        &["travel/travel.sql", "travel/seed.sql"],
    )
    .await;
    let order_db = fresh_database("looklook_t_jobs_order", &["order/order.sql"]).await;
    let payment_db = fresh_database("looklook_t_jobs_payment", &["payment/payment.sql"]).await;
    let redis = empty_cache(15);
    let wechat = wechat_sandbox().await;
    let kafka = KafkaConf {
        brokers: looklook_shared::testing::kafka_brokers(),
        topic: "jobs-test-unused".into(),
        group: String::new(),
        options: Default::default(),
    };
    let payment_addr = payment_rpc_with_wechat(payment_db, &redis, kafka, &wechat).await;

    let travel = travel_rpc(travel_db, &redis).await;
    // Two seconds to pay, for the test.
    let order_addr = order_rpc(order_db.clone(), &redis, &travel, 2).await;
    let orders = OrderClient::new(&RpcClientConf::new(order_addr.clone())).unwrap();

    let config = Config {
        service: ServiceConf::new("mqueue-job"),
        job_redis: JobRedisConf { url: redis.clone() },
        order_rpc_conf: RpcClientConf::new(order_addr),
        payment_rpc_conf: RpcClientConf::new(payment_addr.clone()),
        order_db: SqlConf::new(order_db.clone()),
        cache: CacheConf::new(redis.clone()),
        // Telling users is walked end to end (services/walk's e2e test);
        // here nobody answers, and those jobs just wait for another try.
        usercenter_rpc_conf: RpcClientConf::new("127.0.0.1:9"),
        wx_mini_conf: looklook_wechat::client::WxMiniConf {
            app_id: "wx".into(),
            secret: "secret".into(),
            base_url: "http://127.0.0.1:9".into(),
        },
        subscribe_templates: mqueue_job::SubscribeTemplates {
            pay_success: "paid".into(),
            live_know: "know".into(),
            miniprogram_state: "developer".into(),
        },
        board: Some(mqueue_job::BoardConf {
            host: "127.0.0.1".into(),
            port: std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
        }),
    };
    let board = format!("http://127.0.0.1:{}", config.board.as_ref().unwrap().port);
    let svc = ServiceContext::new(&config).unwrap();
    tokio::spawn(async move {
        mqueue_job::run(
            svc,
            &config.job_redis,
            config.board.as_ref(),
            std::future::pending(),
        )
        .await
        .unwrap();
    });

    // Four orders: one never pre-paid, one paid in time, one pre-paid and
    // left, one whose user paid WeChat a moment before the close (its
    // notification not yet here).
    let ctx = RequestCtx::default();
    // A night is sold once: each order has a night of its own.
    let book = |night: u64| CreateHomestayOrderReq {
        homestay_id: 1,
        is_food: false,
        live_start_time: noon_in(night),
        live_end_time: noon_in(night + 1),
        user_id: 1,
        live_people_num: 1,
        remark: String::new(),
    };
    let mut sns = Vec::new();
    for night in 2..6 {
        let created = orders.create_homestay_order(&ctx, book(night)).await;
        sns.push(created.unwrap().sn);
    }
    // The board lists each order's close job, scheduled, with its order
    // number and its tries.
    let close_jobs = || async {
        let queues: serde_json::Value = reqwest::get(format!("{board}/jobs"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        queues
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == jobs::CloseOrder::QUEUE)
            .unwrap()["jobs"]
            .as_array()
            .unwrap()
            .clone()
    };
    let scheduled = close_jobs().await;
    for sn in &sns {
        let job = scheduled
            .iter()
            .find(|j| j["payload"]["sn"] == *sn)
            .unwrap_or_else(|| panic!("{sn} not on the board: {scheduled:?}"));
        assert_eq!(
            (job["state"].as_str(), job["max_attempts"].as_u64()),
            (Some("scheduled"), Some(5)),
            "{job}"
        );
    }
    let page = reqwest::get(&board).await.unwrap().text().await.unwrap();
    assert!(page.contains("looklook jobs"));
    let [unpaid, paid, left, raced]: [String; 4] = sns.try_into().unwrap();
    let payments = PaymentClient::new(&RpcClientConf::new(payment_addr)).unwrap();
    let wx = PayClient::new(&wx_pay_conf(&wechat)).unwrap();
    let mut prepay_ids = Vec::new();
    let mut payment_sns = Vec::new();
    for order_sn in [&left, &raced] {
        let sn = payments
            .create_payment(
                &ctx,
                CreatePaymentReq {
                    user_id: 1,
                    pay_model: "WECHAT_PAY".into(),
                    pay_total: 100,
                    order_sn: order_sn.clone(),
                    service_type: "homestayOrder".into(),
                },
            )
            .await
            .unwrap()
            .sn;
        let prepay = JsapiPrepay {
            appid: "wx-sandbox-app".into(),
            mchid: "1900000109".into(),
            description: "stay".into(),
            out_trade_no: sn.clone(),
            attach: String::new(),
            notify_url: "http://127.0.0.1:9/notify".into(),
            time_expire: None,
            amount: Amount {
                total: 100,
                currency: "CNY".into(),
            },
            payer: Payer {
                openid: "o-jobs".into(),
            },
        };
        let now = time::unix(time::now());
        prepay_ids.push(wx.jsapi_prepay(&ctx, &prepay, now).await.unwrap().prepay_id);
        payment_sns.push(sn);
    }
    // The user pays; WeChat's notification goes nowhere (yet).
    reqwest::Client::new()
        .post(format!("{wechat}/sandbox/pay"))
        .json(&serde_json::json!({ "prepayId": prepay_ids[1] }))
        .send()
        .await
        .unwrap();
    orders
        .update_homestay_order_trade_state(
            &ctx,
            UpdateHomestayOrderTradeStateReq {
                sn: paid.clone(),
                trade_state: 1,
            },
        )
        .await
        .unwrap();
    // Not before its time...
    assert_eq!(state(&orders, &unpaid).await, 0);
    // ...but then closed; the paid one is left alone.
    until_state(&orders, &unpaid, -1).await;
    until_state(&orders, &left, -1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(state(&orders, &paid).await, 1);
    // Done, on the board too.
    let worked = close_jobs().await;
    assert!(
        worked
            .iter()
            .any(|j| j["payload"]["sn"] == unpaid && j["state"] == "done"),
        "{worked:?}"
    );
    // The one left unpaid: its transaction closed at WeChat before the
    // order, so it can no longer be paid, and its payment says so.
    let now = time::unix(time::now());
    assert_eq!(
        wx.query(&ctx, &payment_sns[0], now)
            .await
            .unwrap()
            .trade_state,
        "CLOSED"
    );
    let payment = |sn: String| async {
        payments
            .get_payment_by_sn(&ctx, GetPaymentBySnReq { sn })
            .await
            .unwrap()
            .payment_detail
            .unwrap()
    };
    let closed = payment(payment_sns[0].clone()).await;
    assert_eq!(
        (closed.pay_status, closed.trade_state.as_str()),
        (-1, "CLOSED")
    );
    // The one paid at WeChat: not cancelled, left for its notification.
    assert_eq!(state(&orders, &raced).await, 0);
    assert_eq!(payment(payment_sns[1].clone()).await.pay_status, 0);

    // A paid stay that ended yesterday expires when the scheduler's job runs.
    let rows = HomestayOrderModel::new(
        SqlConf::new(order_db).connect_lazy().unwrap(),
        Cache::new(&CacheConf::new(redis.clone())).unwrap(),
    );
    let today = time::today();
    let ended = HomestayOrder {
        sn: sn::gen_sn(sn::HOMESTAY_ORDER),
        user_id: 1,
        trade_state: 1,
        live_start_date: today - Days::new(3),
        live_end_date: today - Days::new(1),
        ..HomestayOrder::default()
    };
    rows.insert(&ended).await.unwrap();
    let mut queue = jobs::queue::<ExpireOrders>(&redis, ExpireOrders::QUEUE)
        .await
        .unwrap();
    jobs::push(
        &mut queue,
        ExpireOrders {
            at: time::unix(time::now()),
        },
    )
    .await
    .unwrap();
    until_state(&orders, &ended.sn, 4).await;
    assert_eq!(state(&orders, &paid).await, 1, "its stay has not ended");
}
