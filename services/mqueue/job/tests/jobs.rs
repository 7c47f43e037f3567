//! mqueue-job in-process against a real Redis job queue, order-rpc and
//! travel-rpc on 127.0.0.1, and a real MariaDB: an unpaid order is closed
//! when its time is up, a paid one is not, ended stays expire.

use std::time::{Duration, Instant};

use chrono::Days;
use looklook_runtime::config::ServiceConf;
use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::jobs::{self, ExpireOrders, JobRedisConf};
use looklook_shared::sn;
use looklook_shared::testing::{empty_cache, fresh_database};
use looklook_shared::time;
use looklook_testkit::{noon_in, order_rpc, travel_rpc};
use mqueue_job::{Config, ServiceContext};
use order_model::homestay_order::{HomestayOrder, HomestayOrderModel};
use order_model::{Cache, CacheConf, SqlConf};
use order_rpc::client::OrderClient;
use order_rpc::pb::{
    CreateHomestayOrderReq, HomestayOrderDetailReq, UpdateHomestayOrderTradeStateReq,
};

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
    let redis = empty_cache(15);

    let travel = travel_rpc(travel_db, &redis).await;
    // Two seconds to pay, for the test.
    let order_addr = order_rpc(order_db.clone(), &redis, &travel, 2).await;
    let orders = OrderClient::new(&RpcClientConf::new(order_addr.clone())).unwrap();

    let config = Config {
        service: ServiceConf::new("mqueue-job"),
        job_redis: JobRedisConf { url: redis.clone() },
        order_rpc_conf: RpcClientConf::new(order_addr),
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
    };
    let svc = ServiceContext::new(&config).unwrap();
    tokio::spawn(async move {
        mqueue_job::run(svc, &config.job_redis, std::future::pending())
            .await
            .unwrap();
    });

    // Two orders; one is paid in time.
    let ctx = RequestCtx::default();
    let book = || CreateHomestayOrderReq {
        homestay_id: 1,
        is_food: false,
        live_start_time: noon_in(2),
        live_end_time: noon_in(3),
        user_id: 1,
        live_people_num: 1,
        remark: String::new(),
    };
    let unpaid = orders.create_homestay_order(&ctx, book()).await.unwrap().sn;
    let paid = orders.create_homestay_order(&ctx, book()).await.unwrap().sn;
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
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(state(&orders, &paid).await, 1);

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
