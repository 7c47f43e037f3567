//! travel-rpc served on 127.0.0.1 against a real MariaDB (the schema and
//! the seed of examples/looklook/travel) and Redis, through its client.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::testing::{empty_cache, fresh_database};
use travel_rpc::client::TravelClient;
use travel_rpc::pb::HomestayDetailReq;

#[tokio::test]
async fn homestay_detail_in_cents_and_nothing_for_a_missing_one() {
    let db = fresh_database(
        "looklook_t_travel",
        &["travel/travel.sql", "travel/seed.sql"],
    )
    .await;
    let addr = looklook_testkit::travel_rpc(db, &empty_cache(9)).await;
    let client = TravelClient::new(&RpcClientConf {
        timeout: 10_000,
        ..RpcClientConf::new(addr)
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
