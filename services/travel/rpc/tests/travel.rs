//! travel-rpc served on 127.0.0.1 against a real MariaDB (the schema and
//! the seed of examples/looklook/travel) and Redis, through its client.

use looklook_runtime::http::RequestCtx;
use looklook_runtime::rpc::{RpcClientConf, RpcServerConf};
use tokio::net::TcpListener;
use travel_model::{CacheConf, SqlConf};
use travel_rpc::client::TravelClient;
use travel_rpc::config::Config;
use travel_rpc::pb::pb::HomestayDetailReq;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `scripts/infra up` and source target/infra/env")
    })
}

#[tokio::test]
async fn homestay_detail_in_cents_and_nothing_for_a_missing_one() {
    let mysql = env("LOOKLOOK_TEST_MYSQL");
    let db = "looklook_t_travel";
    let admin = SqlConf::new(mysql.clone()).connect_lazy().unwrap();
    let reset = format!("DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`;");
    sqlx::raw_sql(sqlx::AssertSqlSafe(reset))
        .execute(&admin)
        .await
        .unwrap();
    let pool = SqlConf::new(format!("{mysql}/{db}"))
        .connect_lazy()
        .unwrap();
    for file in ["travel.sql", "seed.sql"] {
        let path = format!(
            "{}/../../../examples/looklook/travel/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let sql = std::fs::read_to_string(path).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    let redis = format!("{}/9", env("LOOKLOOK_TEST_REDIS"));
    let flushed = std::process::Command::new("redis-cli")
        .args(["-u", &redis, "FLUSHDB"])
        .output()
        .unwrap();
    assert!(flushed.status.success());

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = Config {
        rpc: RpcServerConf {
            name: "travel-rpc".into(),
            listen_on: addr.clone(),
            log: Default::default(),
            prometheus: None,
            timeout: 5000,
        },
        db: SqlConf::new(format!("{mysql}/{db}")),
        cache: CacheConf::new(redis),
    };
    tokio::spawn(async move {
        travel_rpc::serve_on(config, listener, std::future::pending())
            .await
            .unwrap();
    });
    let client = TravelClient::new(&RpcClientConf {
        endpoints: vec![addr],
        timeout: 10_000,
    })
    .unwrap();
    let ctx = RequestCtx::default();

    let family = client
        .homestay_detail(&ctx, HomestayDetailReq { id: 2 })
        .await
        .unwrap()
        .homestay
        .unwrap();
    assert_eq!(family.title, "Family loft");
    assert_eq!(family.people_num, 4, "a count, not a boolean");
    assert_eq!((family.homestay_price, family.food_price), (58800, 3000));
    assert_eq!((family.row_state, family.homestay_business_id), (1, 1));

    // Twice more: from the cache now, the same answer.
    for _ in 0..2 {
        let again = client
            .homestay_detail(&ctx, HomestayDetailReq { id: 2 })
            .await
            .unwrap();
        assert_eq!(again.homestay.unwrap().title, "Family loft");
    }

    let missing = client
        .homestay_detail(&ctx, HomestayDetailReq { id: 999 })
        .await
        .unwrap();
    assert!(missing.homestay.is_none());
}
