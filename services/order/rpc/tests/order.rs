//! order-rpc served on 127.0.0.1 with travel-rpc beside it, against a real
//! MariaDB (the order schema, and the travel schema with its seed) and
//! Redis, through its client.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::testing::{empty_cache, fresh_database};
use looklook_testkit::{noon_in, order_rpc, travel_rpc};
use order_model::homestay_order::HomestayOrderModel;
use order_model::{Cache, CacheConf, SqlConf};
use order_rpc::client::OrderClient;
use order_rpc::pb::{
    CreateHomestayOrderReq, HomestayOrderDetailReq, UpdateHomestayOrderTradeStateReq,
    UserHomestayOrderListReq,
};

/// travel-rpc on the seeded travel database, then order-rpc calling it;
/// its client and the order database's URL.
async fn start(tag: &str, redis_db: u8) -> (OrderClient, String) {
    let travel_db = fresh_database(
        &format!("looklook_t_order_travel{tag}"),
        &["travel/travel.sql", "travel/seed.sql"],
    )
    .await;
    let order_db = fresh_database(&format!("looklook_t_order{tag}"), &["order/order.sql"]).await;
    let redis = empty_cache(redis_db);
    let travel = travel_rpc(travel_db, &redis).await;
    let order = order_rpc(order_db.clone(), &redis, &travel, 1800).await;
    (
        OrderClient::new(&RpcClientConf::new(order)).unwrap(),
        order_db,
    )
}

fn booking(homestay_id: i64, nights: u64, people: i64, food: bool) -> CreateHomestayOrderReq {
    CreateHomestayOrderReq {
        homestay_id,
        is_food: food,
        live_start_time: noon_in(3),
        live_end_time: noon_in(3 + nights),
        user_id: 1,
        live_people_num: people,
        remark: "late arrival".into(),
    }
}

#[tokio::test]
async fn booking_pricing_listing_and_the_state_machine() {
    let (client, order_db) = start("", 11).await;
    let ctx = RequestCtx::default();

    // Family loft: 588.00 a night, breakfast 30.00 a guest a day.
    let sn = client
        .create_homestay_order(&ctx, booking(2, 2, 3, true))
        .await
        .unwrap()
        .sn;
    assert!(sn.starts_with("HSO") && sn.len() == 25, "{sn}");
    let order = client
        .homestay_order_detail(&ctx, HomestayOrderDetailReq { sn: sn.clone() })
        .await
        .unwrap()
        .homestay_order
        .unwrap();
    assert_eq!(order.title, "Family loft");
    assert_eq!(
        (order.homestay_total_price, order.food_total_price),
        (2 * 58800, 2 * 3 * 3000)
    );
    assert_eq!(order.order_total_price, 117600 + 18000);
    assert_eq!((order.need_food, order.trade_state), (1, 0));
    assert_eq!(order.live_end_date - order.live_start_date, 2 * 86400);
    assert_eq!(order.cover, "https://img.looklook.dev/h/2a.jpg");
    assert_eq!(order.trade_code.len(), 8);
    // Unpaid, it must be paid before the close job cancels it (1800 s here):
    // the deadline payment-api gives WeChat as the transaction's expiry.
    assert_eq!(order.pay_deadline, order.create_time + 1800);

    // Harbour bunk is priced per guest: 128.00 × 2 guests × 1 night.
    let bunk = client
        .create_homestay_order(&ctx, booking(3, 1, 2, false))
        .await
        .unwrap()
        .sn;
    let bunk = client
        .homestay_order_detail(&ctx, HomestayOrderDetailReq { sn: bunk })
        .await
        .unwrap()
        .homestay_order
        .unwrap();
    assert_eq!((bunk.order_total_price, bunk.need_food), (25600, 0));

    // What is refused, and why.
    for (req, code, why) in [
        (booking(2, 2, 5, false), 100001, "at most 4 guests"),
        (booking(6, 1, 1, false), 100001, "not on sale"),
        (booking(999, 1, 1, false), 100001, "does not exist"),
        (booking(2, 0, 1, false), 100002, "one night"),
        (booking(2, 1, 0, false), 100002, "at least 1"),
    ] {
        let e = client.create_homestay_order(&ctx, req).await.unwrap_err();
        assert_eq!(e.code_value(), code, "{}", e.message());
        assert!(e.message().contains(why), "{}", e.message());
    }
    let missing = client
        .homestay_order_detail(&ctx, HomestayOrderDetailReq { sn: "HSO0".into() })
        .await
        .unwrap();
    assert!(missing.homestay_order.is_none());

    // The failure: another writer changed the order, and its cache delete
    // failed (its Redis is unreachable here), so order-rpc's cache holds
    // an old version. A versioned write starting from that copy would
    // conflict on every retry; it starts from the database instead.
    let elsewhere = HomestayOrderModel::new(
        SqlConf::new(order_db).connect_lazy().unwrap(),
        Cache::new(&CacheConf::new("redis://127.0.0.1:1")).unwrap(),
    );
    let mut row = elsewhere.find_one_by_sn(&sn).await.unwrap().unwrap();
    row.remark = "changed elsewhere".into();
    elsewhere.update_with_version(&mut row).await.unwrap();

    // The state machine: paid, paid again (a no-op), then not cancellable.
    let update = |sn: &str, trade_state| UpdateHomestayOrderTradeStateReq {
        sn: sn.into(),
        trade_state,
    };
    let paid = client
        .update_homestay_order_trade_state(&ctx, update(&sn, 1))
        .await
        .unwrap();
    assert_eq!((paid.sn.as_str(), paid.user_id), (sn.as_str(), 1));
    client
        .update_homestay_order_trade_state(&ctx, update(&sn, 1))
        .await
        .unwrap();
    let refused = client
        .update_homestay_order_trade_state(&ctx, update(&sn, -1))
        .await
        .unwrap_err();
    assert!(
        refused.message().contains("cannot move"),
        "{}",
        refused.message()
    );
    let unknown = client
        .update_homestay_order_trade_state(&ctx, update(&sn, 7))
        .await
        .unwrap_err();
    assert_eq!(unknown.code_value(), 100002);
    client
        .update_homestay_order_trade_state(&ctx, update(&bunk.sn, -1))
        .await
        .unwrap();

    // Lists: newest first, by state, by keyset; someone else sees nothing.
    let list = |last_id, trader_state, user_id| UserHomestayOrderListReq {
        last_id,
        page_size: 10,
        user_id,
        trader_state,
    };
    let all = client
        .user_homestay_order_list(&ctx, list(0, -99, 1))
        .await
        .unwrap()
        .list;
    let sns: Vec<&str> = all.iter().map(|o| o.sn.as_str()).collect();
    assert_eq!(sns, [bunk.sn.as_str(), sn.as_str()]);
    // Paid or cancelled, neither waits for payment: no deadline.
    assert!(all.iter().all(|o| o.pay_deadline == 0), "{all:?}");
    let paid_only = client
        .user_homestay_order_list(&ctx, list(0, 1, 1))
        .await
        .unwrap()
        .list;
    assert_eq!(paid_only.len(), 1);
    assert_eq!(paid_only[0].trade_state, 1);
    let after = client
        .user_homestay_order_list(&ctx, list(all[0].id, -99, 1))
        .await
        .unwrap()
        .list;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].sn, sn);
    let stranger = client
        .user_homestay_order_list(&ctx, list(0, -99, 2))
        .await
        .unwrap()
        .list;
    assert!(stranger.is_empty());
}

/// Two guests cannot book the same night. Twenty bookings of one homestay
/// race at once over stays that all share the fourth night from now:
/// exactly one wins, the others are told the nights are taken, and nothing
/// of theirs is left behind. A cancelled order gives its nights back;
/// stays that only touch (check-out on the next check-in) both go through.
#[tokio::test]
async fn overlapping_bookings_race_and_exactly_one_wins() {
    let (client, order_db) = start("_race", 12).await;
    let ctx = RequestCtx::default();
    let stay = |from: u64, to: u64, user_id: i64| CreateHomestayOrderReq {
        live_start_time: noon_in(from),
        live_end_time: noon_in(to),
        user_id,
        ..booking(1, 1, 1, false)
    };
    let racers = (0..20u64).map(|i| {
        let (client, ctx) = (client.clone(), ctx.clone());
        // Stays of 1 to 3 nights, each holding night 4.
        tokio::spawn(async move {
            client
                .create_homestay_order(&ctx, stay(2 + i % 3, 5 + i % 2, 100 + i as i64))
                .await
        })
    });
    let mut won = Vec::new();
    for racer in racers.collect::<Vec<_>>() {
        match racer.await.unwrap() {
            Ok(resp) => won.push(resp.sn),
            Err(e) => {
                assert_eq!(e.code_value(), 100001, "{}", e.message());
                assert!(e.message().contains("already booked"), "{}", e.message());
            }
        }
    }
    assert_eq!(won.len(), 1, "{won:?}");

    // In the database: one order, and only its nights.
    let db = sqlx::MySqlPool::connect(&order_db).await.unwrap();
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM homestay_order")
        .fetch_one(&db)
        .await
        .unwrap();
    let foreign: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM homestay_night WHERE order_sn <> ?")
            .bind(&won[0])
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((orders, foreign), (1, 0));

    // Night 4 is taken; stays that end on it or start after the winner's
    // check-out go through.
    assert!(
        client
            .create_homestay_order(&ctx, stay(4, 5, 2))
            .await
            .is_err()
    );
    let winner = client
        .homestay_order_detail(&ctx, HomestayOrderDetailReq { sn: won[0].clone() })
        .await
        .unwrap()
        .homestay_order
        .unwrap();
    let i = (winner.user_id - 100) as u64;
    let (check_in, check_out) = (2 + i % 3, 5 + i % 2);
    client
        .create_homestay_order(&ctx, stay(check_out, check_out + 1, 3))
        .await
        .unwrap();
    client
        .create_homestay_order(&ctx, stay(1, check_in, 3))
        .await
        .unwrap();

    // Cancelled, the winner's nights are free again.
    client
        .update_homestay_order_trade_state(
            &ctx,
            UpdateHomestayOrderTradeStateReq {
                sn: won[0].clone(),
                trade_state: -1,
            },
        )
        .await
        .unwrap();
    client
        .create_homestay_order(&ctx, stay(4, 5, 2))
        .await
        .unwrap();
}
