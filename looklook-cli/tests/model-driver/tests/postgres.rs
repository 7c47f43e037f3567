//! The models generated from the PostgreSQL sample against a real
//! PostgreSQL and Redis: every generated method, every mapped type, the
//! looklook conventions, the cache's guarantees (counted by
//! pg_stat_statements), and what the database must refuse.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use model_driver::{PgTestDb, fresh_cache, redis_cli, redis_url};
use rust_decimal::Decimal;
use shop_pg_model::product::{Product, ProductColumn, ProductModel};
use shop_pg_model::user::{User, UserColumn, UserModel};
use shop_pg_model::user_auth::{UserAuth, UserAuthModel};
use shop_pg_model::{Error, Filter, Order, Tx, transact};

fn user(mobile: &str) -> User {
    User {
        mobile: mobile.into(),
        nickname: format!("user {mobile}"),
        balance: Decimal::from_str("12.50").unwrap(),
        ..User::default()
    }
}

fn book(sku: &str) -> Product {
    Product {
        sku: sku.into(),
        title: "Rust".into(),
        price: Decimal::from_str("39.90").unwrap(),
        weight: 0.75,
        rating: Some(4.5),
        stock: i16::MAX,
        kind: "toy".into(),
        tags: vec!["new".into(), "sale".into()],
        sizes: Some(vec![1, -2, i32::MAX]),
        released: NaiveDate::from_ymd_opt(2024, 2, 29),
        opens_at: NaiveTime::from_hms_opt(9, 30, 0),
        thumbnail: Some(vec![0, 159, 146, 150]),
        token: Some(uuid::Uuid::from_u128(
            0x1234_5678_9abc_def0_1234_5678_9abc_def0,
        )),
        spec: Some(serde_json::json!({"pages": 560, "cover": ["soft"]})),
        barcode: Some(i64::MAX),
        ..Product::default()
    }
}

#[tokio::test]
async fn crud_on_every_generated_method_and_every_type() {
    let db = PgTestDb::fresh("pg_crud").await;
    let cache = fresh_cache(&redis_url(), 12).await;
    let users = UserModel::new(db.pool.clone(), cache.clone());

    // bigserial key, RETURNING it; jsonb, numeric, boolean, char(11).
    let mut alice = user("13800000001");
    alice.extra = Some(serde_json::json!({"vip": true}));
    let id = users.insert(&alice).await.unwrap();
    assert!(id > 0);
    let second = users.insert(&user("13800000002")).await.unwrap();
    assert_eq!(second, id + 1, "the sequence numbers the rows");
    let found = users.find_one(id).await.unwrap().expect("the new row");
    assert_eq!(found.mobile, "13800000001");
    assert_eq!(found.balance, Decimal::from_str("12.50").unwrap());
    assert_eq!(found.extra, alice.extra);
    assert_eq!((found.version, found.del_state), (0, 0));
    assert!(
        found.create_time.and_utc().timestamp() > 0,
        "filled by the database"
    );
    let by_mobile = users.find_one_by_mobile("13800000001").await.unwrap();
    assert_eq!(by_mobile.map(|u| u.id), Some(id));

    let mut changed = found.clone();
    changed.nickname = "alice".into();
    changed.sex = true;
    changed.points = i32::MIN;
    changed.avatar = Some("https://img/a.png".into());
    users.update(&changed).await.unwrap();
    let again = users.find_one(id).await.unwrap().unwrap();
    assert_eq!(
        (
            again.nickname.as_str(),
            again.sex,
            again.points,
            again.avatar.as_deref()
        ),
        ("alice", true, i32::MIN, Some("https://img/a.png"))
    );
    assert_eq!(again.version, 1, "every update moves the version on");

    users.delete(id).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap(), None);
    assert_eq!(users.find_one_by_mobile("13800000001").await.unwrap(), None);
    assert!(matches!(
        users.delete(id).await,
        Err(Error::NoRow { table: "user", .. })
    ));
    assert!(matches!(
        users.update(&again).await,
        Err(Error::NoRow { .. })
    ));

    // An identity key (integer), composite unique keys from CREATE UNIQUE
    // INDEX, timestamptz.
    let auths = UserAuthModel::new(db.pool.clone(), cache.clone());
    let auth = UserAuth {
        user_id: 7,
        auth_type: "wxMini".into(),
        auth_key: "openid-1".into(),
        ..UserAuth::default()
    };
    let auth_id: i32 = auths.insert(&auth).await.unwrap();
    let by_pair = auths
        .find_one_by_auth_type_auth_key("wxMini", "openid-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_pair.id, auth_id);
    assert!(by_pair.create_time > Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap());
    let by_user = auths
        .find_one_by_user_id_auth_type(7, "wxMini")
        .await
        .unwrap();
    assert_eq!(by_user.map(|a| a.id), Some(auth_id));
    let duplicate = auths.insert(&auth).await;
    assert!(
        matches!(duplicate, Err(Error::Db(_))),
        "the unique index holds: {duplicate:?}"
    );

    // A string key and the rest of the types: enum, text[] and int[],
    // date, time, bytea, uuid, json, real, double precision, smallint.
    let products = ProductModel::new(db.pool.clone(), cache.clone());
    let rust = book("BK-1");
    products.insert(&rust).await.unwrap();
    let stored = products.find_one("BK-1").await.unwrap().unwrap();
    assert_eq!(
        Product {
            updated: stored.updated,
            ..rust.clone()
        },
        stored
    );
    assert!(stored.updated.timestamp() > 0);
    let token = rust.token.unwrap();
    assert_eq!(
        products
            .find_one_by_token(token)
            .await
            .unwrap()
            .map(|p| p.sku),
        Some("BK-1".into())
    );
    assert_eq!(
        products
            .find_one_by_barcode(i64::MAX)
            .await
            .unwrap()
            .map(|p| p.sku),
        Some("BK-1".into())
    );
    let mut food = stored.clone();
    food.kind = "food".into();
    food.tags = Vec::new();
    food.sizes = None;
    food.token = None;
    products.update(&food).await.unwrap();
    let reread = products.find_one("BK-1").await.unwrap().unwrap();
    assert_eq!(
        (reread.kind.as_str(), reread.tags.len(), reread.sizes),
        ("food", 0, None)
    );
    assert_eq!(
        products.find_one_by_token(token).await.unwrap(),
        None,
        "old key gone"
    );

    // A label the enum does not have is the database's refusal, not a panic.
    let mut odd = book("BK-2");
    odd.kind = "gadget".into();
    odd.token = None;
    odd.barcode = None;
    assert!(matches!(products.insert(&odd).await, Err(Error::Db(_))));
    assert_eq!(
        products.find_one("BK-2").await.unwrap(),
        None,
        "nothing written"
    );
    products.delete("BK-1").await.unwrap();
    assert_eq!(products.find_one("BK-1").await.unwrap(), None);
}

#[tokio::test]
async fn soft_deletes_versions_and_transactions() {
    let db = PgTestDb::fresh("pg_rules").await;
    let cache = fresh_cache(&redis_url(), 13).await;
    let users = UserModel::new(db.pool.clone(), cache.clone());
    let auths = UserAuthModel::new(db.pool.clone(), cache.clone());

    let gone = users.insert(&user("13800000003")).await.unwrap();
    let kept = users.insert(&user("13800000004")).await.unwrap();
    users.delete_soft(gone).await.unwrap();
    assert_eq!(users.find_one(gone).await.unwrap(), None);
    assert_eq!(users.find_one_by_mobile("13800000003").await.unwrap(), None);
    assert_eq!(users.count(Filter::new()).await.unwrap(), 1);
    assert!(matches!(
        users.delete_soft(gone).await,
        Err(Error::NoRow { .. })
    ));
    let (state, when): (i16, chrono::NaiveDateTime) =
        sqlx::query_as(r#"SELECT del_state, delete_time FROM "user" WHERE id = $1"#)
            .bind(gone)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(state, 1);
    assert!(
        when.and_utc().timestamp() > 86_400,
        "delete_time was set: {when}"
    );

    // Two writers of one version: the first wins, the second is told.
    let mut first = users.find_one(kept).await.unwrap().unwrap();
    let mut second = first.clone();
    first.nickname = "first".into();
    users.update_with_version(&mut first).await.unwrap();
    assert_eq!(first.version, 1);
    second.nickname = "second".into();
    assert!(matches!(
        users.update_with_version(&mut second).await,
        Err(Error::VersionConflict { version: 0, .. })
    ));
    let stored = users.find_one(kept).await.unwrap().unwrap();
    assert_eq!((stored.nickname.as_str(), stored.version), ("first", 1));

    // Rolled back: neither row; committed: both.
    let failed: Result<(), Error> = transact(&db.pool, async |tx: &mut Tx| {
        let id = users.insert_in(tx, &user("13800000005")).await?;
        let auth = UserAuth {
            user_id: id,
            auth_type: "mobile".into(),
            auth_key: "13800000005".into(),
            ..UserAuth::default()
        };
        auths.insert_in(tx, &auth).await?;
        assert!(users.find_one_in(tx, id).await?.is_some(), "visible inside");
        Err(Error::NoRow {
            table: "user",
            id: "business rule says no".into(),
        })
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(users.find_one_by_mobile("13800000005").await.unwrap(), None);
    let id = transact(&db.pool, async |tx: &mut Tx| {
        let id = users.insert_in(tx, &user("13800000005")).await?;
        let auth = UserAuth {
            user_id: id,
            auth_type: "mobile".into(),
            auth_key: "13800000005".into(),
            ..UserAuth::default()
        };
        auths.insert_in(tx, &auth).await?;
        let mut row = users.find_one_in(tx, id).await?.expect("inserted");
        row.nickname = "in tx".into();
        users.update_with_version_in(tx, &mut row).await?;
        Ok::<_, Error>(id)
    })
    .await
    .unwrap();
    let committed = users
        .find_one_by_mobile("13800000005")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (committed.id, committed.nickname.as_str(), committed.version),
        (id, "in tx", 1)
    );
    let auth = auths
        .find_one_by_auth_type_auth_key("mobile", "13800000005")
        .await
        .unwrap();
    assert_eq!(auth.as_ref().map(|a| a.user_id), Some(id));

    // The other writes inside a transaction, and a read past the cache.
    let auth_id = auth.unwrap().id;
    let mut tx = Tx::begin(&db.pool).await.unwrap();
    let mut row = users.find_one_in(&mut tx, id).await.unwrap().unwrap();
    row.nickname = "again".into();
    users.update_in(&mut tx, &row).await.unwrap();
    users.delete_soft_in(&mut tx, kept).await.unwrap();
    auths.delete_in(&mut tx, auth_id).await.unwrap();
    tx.commit().await.unwrap();
    let fresh = users.find_one_fresh(id).await.unwrap().unwrap();
    assert_eq!(fresh.nickname, "again");
    assert_eq!(users.find_one(kept).await.unwrap(), None);
    assert_eq!(auths.find_one(auth_id).await.unwrap(), None);
}

#[tokio::test]
async fn filters_pages_and_counts() {
    let db = PgTestDb::fresh("pg_pages").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 14).await);
    let mut ids = Vec::new();
    for i in 0..25 {
        let mut u = user(&format!("139000000{i:02}"));
        u.sex = i % 2 == 0;
        ids.push(users.insert(&u).await.unwrap());
    }
    let women = users
        .find_all(Filter::new().eq(UserColumn::Sex, true))
        .await
        .unwrap();
    assert_eq!(women.len(), 13);
    // A value is bound, never SQL: this matches nothing and breaks nothing.
    let injected = Filter::new().eq(UserColumn::Mobile, "x' OR 1=1 --");
    assert_eq!(users.count(injected).await.unwrap(), 0);
    let some = Filter::new()
        .any_of(UserColumn::Id, ids[..3].to_vec())
        .like(UserColumn::Nickname, "user 1390%");
    assert_eq!(users.count(some).await.unwrap(), 3);
    assert_eq!(
        users
            .count(Filter::new().any_of(UserColumn::Id, Vec::<i64>::new()))
            .await
            .unwrap(),
        0
    );

    let page2 = users.find_page(Filter::new(), 2, 10).await.unwrap();
    let expected: Vec<i64> = ids.iter().rev().skip(10).take(10).copied().collect();
    assert_eq!(page2.iter().map(|u| u.id).collect::<Vec<_>>(), expected);
    let oldest = users
        .find_page(Filter::new().order_by(UserColumn::Id, Order::Asc), 1, 2)
        .await
        .unwrap();
    assert_eq!(oldest.iter().map(|u| u.id).collect::<Vec<_>>(), ids[..2]);
    let keyset = users
        .find_page_by_id_desc(Filter::new(), Some(ids[5]), 3)
        .await
        .unwrap();
    assert_eq!(
        keyset.iter().map(|u| u.id).collect::<Vec<_>>(),
        [ids[4], ids[3], ids[2]]
    );
    assert!(matches!(
        users.find_page(Filter::new(), u64::MAX, 10).await,
        Err(Error::Page { .. })
    ));
    assert!(matches!(
        users.find_page_by_id_desc(Filter::new(), None, 0).await,
        Err(Error::Page { .. })
    ));

    // An enum column filters by its label.
    let products = ProductModel::new(db.pool.clone(), fresh_cache(&redis_url(), 14).await);
    for (sku, kind) in [("A", "book"), ("B", "toy"), ("C", "toy")] {
        let p = Product {
            kind: kind.into(),
            token: None,
            barcode: None,
            ..book(sku)
        };
        products.insert(&p).await.unwrap();
    }
    let toys = products
        .find_all(
            Filter::new()
                .eq(ProductColumn::Kind, "toy")
                .order_by(ProductColumn::Sku, Order::Desc),
        )
        .await
        .unwrap();
    assert_eq!(
        toys.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(),
        ["C", "B"]
    );
}

#[tokio::test]
async fn the_cache_spares_the_database_and_writes_clear_it() {
    let db = PgTestDb::fresh("pg_cache").await;
    let cache = fresh_cache(&redis_url(), 15).await;
    let users = UserModel::new(db.pool.clone(), cache.clone());
    let id = users.insert(&user("13800000006")).await.unwrap();

    let before = db.statements().await;
    let first = users.find_one(id).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap(), first);
    assert_eq!(
        db.statements().await - before,
        1,
        "one SELECT for two reads"
    );
    let before = db.statements().await;
    for _ in 0..3 {
        let found = users.find_one_by_mobile("13800000006").await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(id));
    }
    assert_eq!(
        db.statements().await - before,
        1,
        "one SELECT for three reads"
    );
    let url = format!("{}/15", redis_url());
    assert_eq!(
        redis_cli(&url, &["GET", "cache:shop:user:mobile:13800000006"]).await,
        id.to_string()
    );

    // A new mobile: the old value's key and the row's key both go.
    let mut row = first.unwrap();
    row.mobile = "13800000007".into();
    users.update(&row).await.unwrap();
    assert_eq!(
        redis_cli(&url, &["EXISTS", "cache:shop:user:mobile:13800000006"]).await,
        "0"
    );
    assert_eq!(users.find_one_by_mobile("13800000006").await.unwrap(), None);
    assert_eq!(
        users.find_one(id).await.unwrap().unwrap().mobile,
        "13800000007"
    );

    // A missing row is remembered briefly: the second miss asks no one.
    let before = db.statements().await;
    assert_eq!(users.find_one(999_999).await.unwrap(), None);
    assert_eq!(users.find_one(999_999).await.unwrap(), None);
    assert_eq!(db.statements().await - before, 1);
}
