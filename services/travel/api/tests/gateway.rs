//! The travel HTTP gateway as a client sees it: this crate's binary on
//! 127.0.0.1 over the seeded travel database (examples/looklook/travel) on
//! the MariaDB and Redis of `scripts/infra up`.

use looklook_shared::testing::{empty_cache, fresh_database, start_service};
use looklook_testkit::usercenter_rpc;
use serde_json::{Value, json};

#[tokio::test]
async fn homestay_lists_and_detail_from_the_seed() {
    let db = fresh_database(
        "looklook_t_travel_api",
        &["travel/travel.sql", "travel/seed.sql"],
    )
    .await;
    let redis = empty_cache(10);
    let usercenter = start_usercenter(&redis).await;
    let gateway = start_service(
        env!("CARGO_BIN_EXE_travel-api"),
        env!("CARGO_MANIFEST_DIR"),
        &[
            ("TRAVEL_DB", &db),
            ("REDIS_URL", &redis),
            ("USERCENTER_RPC_ADDR", &usercenter),
        ],
    )
    .await;
    let port = gateway.port;
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        // A bare name is in the `homestay` group.
        let path = match !path.contains('/') {
            true => format!("homestay/{path}"),
            false => path.to_string(),
        };
        let req = http
            .post(format!("http://127.0.0.1:{port}/travel/v1/{path}"))
            .json(&body);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let ids = |body: &Value| -> Vec<i64> {
        body["data"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_i64().unwrap())
            .collect()
    };

    // The front page's picks, newest pick first, a page at a time.
    let (_, first) = post("homestayList", json!({"page": 1, "pageSize": 2})).await;
    assert_eq!(ids(&first), [5, 3], "{first}");
    let (_, second) = post("homestayList", json!({"page": 2, "pageSize": 2})).await;
    assert_eq!(ids(&second), [1]);

    // One shop's homestays on sale (the barn is off the shelf), by keyset.
    let (_, shop) = post(
        "businessList",
        json!({"lastId": 0, "pageSize": 1, "homestayBusinessId": 3}),
    )
    .await;
    assert_eq!(ids(&shop), [5]);
    let (_, rest) = post(
        "businessList",
        json!({"lastId": 5, "pageSize": 10, "homestayBusinessId": 3}),
    )
    .await;
    assert!(ids(&rest).is_empty(), "{rest}");
    let (_, harbour) = post(
        "businessList",
        json!({"lastId": 0, "pageSize": 10, "homestayBusinessId": 2}),
    )
    .await;
    assert_eq!(ids(&harbour), [4, 3]);

    // Detail in yuan; a missing one is a business error, not a crash.
    let (status, detail) = post("homestayDetail", json!({"id": 2})).await;
    assert_eq!(status, 200);
    let family = &detail["data"]["homestay"];
    assert_eq!(family["title"], "Family loft");
    assert_eq!(
        (
            family["homestayPrice"].as_f64(),
            family["peopleNum"].as_i64()
        ),
        (Some(588.0), Some(4))
    );
    let (status, missing) = post("homestayDetail", json!({"id": 999})).await;
    assert_eq!(status, 400);
    assert_eq!(
        missing,
        json!({"code": 100001, "msg": "this homestay does not exist"})
    );

    // Paging parameters are checked on the way in.
    let (_, bad) = post("homestayList", json!({"page": 0, "pageSize": 10})).await;
    assert_eq!(bad["code"], 100002, "{bad}");
    // A page whose offset would overflow (a panic in debug builds, a
    // wrapped offset in release) is a bad parameter too, and the service
    // keeps answering.
    let (status, huge) = post("homestayList", json!({"page": i64::MAX, "pageSize": 100})).await;
    assert_eq!(
        (status, huge["code"].as_i64()),
        (400, Some(100002)),
        "{huge}"
    );
    assert!(
        huge["msg"].as_str().unwrap().contains("out of range"),
        "{huge}"
    );
    let (_, again) = post("homestayList", json!({"page": 1, "pageSize": 2})).await;
    assert_eq!(ids(&again), [5, 3]);

    // "You may like": the five newest on sale (the barn, 6, is not).
    let (_, guess) = post("homestay/guessList", json!({})).await;
    assert_eq!(ids(&guess), [5, 4, 3, 2, 1]);

    // The landlords picked for the front page, from usercenter.
    let (_, bosses) = post("homestayBussiness/goodBoss", json!({})).await;
    let names: Vec<&str> = bosses["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["nickname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mei", "Lin the host"], "{bosses}");

    // Shops by keyset, and one shop's landlord.
    let (_, shops) = post(
        "homestayBussiness/homestayBussinessList",
        json!({"lastId": 3, "pageSize": 10}),
    )
    .await;
    assert_eq!(ids(&shops), [2, 1]);
    assert_eq!(shops["data"]["list"][0]["title"], "Fisherman's Rest");
    let (_, shop) = post(
        "homestayBussiness/homestayBussinessDetail",
        json!({"id": 2}),
    )
    .await;
    assert_eq!(shop["data"]["boss"]["nickname"], "Old Zhang", "{shop}");
    let (_, none) = post(
        "homestayBussiness/homestayBussinessDetail",
        json!({"id": 99}),
    )
    .await;
    assert_eq!(none["msg"], "this shop does not exist");

    // One homestay's comments, newest first, with their authors and overall
    // marks; another homestay's are not among them.
    let (_, comments) = post(
        "homestayComment/commentList",
        json!({"homestayId": 5, "lastId": 0, "pageSize": 2}),
    )
    .await;
    assert_eq!(ids(&comments), [4], "{comments}");
    let first = &comments["data"]["list"][0];
    assert_eq!(
        (first["nickname"].as_str(), first["star"].as_f64()),
        (Some("Lin the host"), Some(5.0))
    );
    let (_, newest) = post(
        "homestayComment/commentList",
        json!({"homestayId": 1, "lastId": 0, "pageSize": 1}),
    )
    .await;
    assert_eq!(ids(&newest), [2], "{newest}");
    let (_, older) = post(
        "homestayComment/commentList",
        json!({"homestayId": 1, "lastId": 2, "pageSize": 10}),
    )
    .await;
    assert_eq!(ids(&older), [1]);
}

/// usercenter-rpc on the seeded users; its address.
async fn start_usercenter(redis: &str) -> String {
    let db = fresh_database(
        "looklook_t_travel_api_users",
        &["usercenter/usercenter.sql", "usercenter/seed.sql"],
    )
    .await;
    usercenter_rpc(db, redis, "travel-api-test").await
}
