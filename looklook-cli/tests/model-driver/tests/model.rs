//! The generated shop models against a real MariaDB and Redis: every
//! generated method, the looklook conventions, and the cache's guarantees.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use looklook_runtime::model::{Cache, CacheConf};
use model_driver::{OwnRedis, TestDb, fresh_cache, redis_cli, redis_url};
use rust_decimal::Decimal;
use shop_model::product::{Product, ProductModel};
use shop_model::user::{User, UserColumn, UserModel};
use shop_model::user_auth::{UserAuth, UserAuthModel};
use shop_model::{Error, Filter, Order, Tx, transact};

fn user(mobile: &str) -> User {
    User {
        mobile: mobile.into(),
        nickname: format!("user {mobile}"),
        balance: Decimal::from_str("12.50").unwrap(),
        ..User::default()
    }
}

/// How a user signs in with their mobile number.
fn mobile_auth(user_id: i64, mobile: &str) -> UserAuth {
    UserAuth {
        user_id,
        auth_type: "mobile".into(),
        auth_key: mobile.into(),
        ..UserAuth::default()
    }
}

/// The id of the live user with this mobile number, read through the model.
async fn id_by_mobile(users: &UserModel, mobile: &str) -> Option<i64> {
    users
        .find_one_by_mobile(mobile)
        .await
        .unwrap()
        .map(|u| u.id)
}

#[tokio::test]
async fn crud_on_every_generated_method() {
    let db = TestDb::fresh("crud").await;
    let cache = fresh_cache(&redis_url(), 1).await;
    let users = UserModel::new(db.pool.clone(), cache.clone());

    let mut alice = user("13800000001");
    alice.extra = Some(serde_json::json!({"vip": true, "tags": ["a"]}));
    alice.avatar = None;
    let id = users.insert(&alice).await.unwrap();
    assert!(id > 0);

    let found = users.find_one(id).await.unwrap().expect("the new row");
    assert_eq!(found.mobile, "13800000001");
    assert_eq!(found.balance, Decimal::from_str("12.50").unwrap());
    assert_eq!(found.extra, alice.extra);
    assert_eq!(found.version, 0);
    assert!(
        found.create_time.and_utc().timestamp() > 0,
        "the database filled create_time"
    );
    assert_eq!(id_by_mobile(&users, "13800000001").await, Some(id));

    let mut changed = found.clone();
    changed.nickname = "alice".into();
    changed.sex = true;
    changed.points = 4_000_000_000;
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
        ("alice", true, 4_000_000_000, Some("https://img/a.png"))
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

    // A composite unique key, and a second one sharing a column.
    let auths = UserAuthModel::new(db.pool.clone(), cache.clone());
    let auth = UserAuth {
        user_id: 7,
        auth_type: "wxMini".into(),
        auth_key: "openid-1".into(),
        ..UserAuth::default()
    };
    let auth_id = auths.insert(&auth).await.unwrap();
    let by_pair = auths
        .find_one_by_auth_type_auth_key("wxMini", "openid-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_pair.id, auth_id);
    let by_user = auths
        .find_one_by_user_id_auth_type(7, "wxMini")
        .await
        .unwrap();
    assert_eq!(by_user.map(|a| a.id), Some(auth_id));
    assert_eq!(
        auths
            .find_one_by_auth_type_auth_key("wxMini", "other")
            .await
            .unwrap(),
        None
    );
    let duplicate = auths.insert(&auth).await;
    assert!(
        matches!(duplicate, Err(Error::Db(_))),
        "the unique key holds: {duplicate:?}"
    );

    // A string primary key, every other column type, a nullable unique key.
    let products = ProductModel::new(db.pool.clone(), cache.clone());
    let book = Product {
        sku: "BK-1".into(),
        title: "Rust".into(),
        price: Decimal::from_str("39.90").unwrap(),
        weight: 0.75,
        rating: Some(4.5),
        stock: 65_000,
        kind: "toy".into(),
        tags: "new,sale".into(),
        released: NaiveDate::from_ymd_opt(2024, 2, 29),
        opens_at: NaiveTime::from_hms_opt(9, 30, 0),
        thumbnail: Some(vec![0, 159, 146, 150]),
        checksum: Some(vec![7u8; 16]),
        barcode: Some(u64::MAX),
        ..Product::default()
    };
    products.insert(&book).await.unwrap();
    let stored = products.find_one("BK-1").await.unwrap().unwrap();
    assert_eq!(
        Product {
            updated: book.updated,
            ..stored.clone()
        },
        book
    );
    assert!(stored.updated.timestamp() > 0);
    assert_eq!(
        products
            .find_one_by_barcode(u64::MAX)
            .await
            .unwrap()
            .map(|p| p.sku),
        Some("BK-1".into())
    );
    let mut no_code = book.clone();
    no_code.sku = "BK-2".into();
    no_code.barcode = None;
    products.insert(&no_code).await.unwrap();
    products.delete("BK-2").await.unwrap();
    assert_eq!(products.find_one("BK-2").await.unwrap(), None);
}

#[tokio::test]
async fn soft_deleted_rows_are_hidden_from_every_finder() {
    let db = TestDb::fresh("soft").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 2).await);
    let id = users.insert(&user("13800000002")).await.unwrap();
    let keep = users.insert(&user("13800000003")).await.unwrap();
    assert!(
        users.find_one(id).await.unwrap().is_some(),
        "cached while live"
    );

    users.delete_soft(id).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap(), None);
    assert_eq!(users.find_one_by_mobile("13800000002").await.unwrap(), None);
    let live: Vec<i64> = users
        .find_all(Filter::new())
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(live, [keep]);
    assert_eq!(users.count(Filter::new()).await.unwrap(), 1);
    assert!(
        matches!(users.delete_soft(id).await, Err(Error::NoRow { .. })),
        "deleted once"
    );

    // The row is still there, marked, with its delete time.
    let (state, when): (i8, chrono::NaiveDateTime) =
        sqlx::query_as("SELECT del_state, delete_time FROM user WHERE id = ?")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(state, 1);
    assert!(
        when.and_utc().timestamp() > 86_400,
        "delete_time was set: {when}"
    );
}

#[tokio::test]
async fn optimistic_locking_lets_one_of_two_writers_win() {
    let db = TestDb::fresh("version").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 3).await);
    let id = users.insert(&user("13800000004")).await.unwrap();

    let mut first = users.find_one(id).await.unwrap().unwrap();
    let mut second = first.clone();
    first.nickname = "first".into();
    second.nickname = "second".into();
    users.update_with_version(&mut first).await.unwrap();
    assert_eq!(first.version, 1);
    match users.update_with_version(&mut second).await {
        Err(Error::VersionConflict {
            table: "user",
            version: 0,
            ..
        }) => {}
        other => panic!("the second writer must lose: {other:?}"),
    }
    assert_eq!(second.version, 0, "a loser's row is left as it was");
    let stored = users.find_one(id).await.unwrap().unwrap();
    assert_eq!((stored.nickname.as_str(), stored.version), ("first", 1));

    // Re-read and retry wins.
    let mut retry = stored;
    retry.nickname = "second".into();
    users.update_with_version(&mut retry).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap().unwrap().version, 2);
}

/// A cached copy that is out of date (a write that bypassed the model, or a
/// delete of its key that failed) makes a versioned write conflict; the
/// conflict drops the keys, so the retry reads the row as it is and wins,
/// instead of conflicting on the same stale copy for ever.
#[tokio::test]
async fn a_conflict_on_a_stale_cached_row_drops_it() {
    let db = TestDb::fresh("stale_version").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 10).await);
    let id = users.insert(&user("13800000014")).await.unwrap();
    let mut stale = users.find_one(id).await.unwrap().unwrap();
    sqlx::query("UPDATE user SET nickname = 'elsewhere', version = version + 1 WHERE id = ?")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(users.find_one(id).await.unwrap().unwrap().version, 0, "cached");

    stale.nickname = "mine".into();
    let conflict = users.update_with_version(&mut stale).await;
    assert!(matches!(conflict, Err(Error::VersionConflict { .. })), "{conflict:?}");
    let mut fresh = users.find_one(id).await.unwrap().unwrap();
    assert_eq!((fresh.nickname.as_str(), fresh.version), ("elsewhere", 1));
    fresh.nickname = "mine".into();
    users.update_with_version(&mut fresh).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap().unwrap().nickname, "mine");
}

#[tokio::test]
async fn a_transaction_commits_or_rolls_back_both_models() {
    let db = TestDb::fresh("tx").await;
    let cache = fresh_cache(&redis_url(), 4).await;
    let users = UserModel::new(db.pool.clone(), cache.clone());
    let auths = UserAuthModel::new(db.pool.clone(), cache.clone());

    let failed: Result<(), Error> = transact(&db.pool, async |tx: &mut Tx| {
        let id = users.insert_in(tx, &user("13800000005")).await?;
        auths.insert_in(tx, &mobile_auth(id, "13800000005")).await?;
        assert!(users.find_one_in(tx, id).await?.is_some(), "visible inside");
        Err(Error::NoRow {
            table: "user",
            id: "business rule says no".into(),
        })
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(users.find_one_by_mobile("13800000005").await.unwrap(), None);
    assert_eq!(
        auths
            .find_one_by_auth_type_auth_key("mobile", "13800000005")
            .await
            .unwrap(),
        None
    );

    // Committed: both rows, and the "no such row" placeholders cached above
    // are gone once the transaction commits.
    let id = transact(&db.pool, async |tx: &mut Tx| {
        let id = users.insert_in(tx, &user("13800000005")).await?;
        auths.insert_in(tx, &mobile_auth(id, "13800000005")).await?;
        Ok::<_, Error>(id)
    })
    .await
    .unwrap();
    assert_eq!(id_by_mobile(&users, "13800000005").await, Some(id));
    let auth = auths
        .find_one_by_auth_type_auth_key("mobile", "13800000005")
        .await
        .unwrap();
    assert_eq!(auth.map(|a| a.user_id), Some(id));

    // An update inside a transaction reaches the cache only after commit.
    let mut tx = Tx::begin(&db.pool).await.unwrap();
    let mut row = users.find_one_in(&mut tx, id).await.unwrap().unwrap();
    row.nickname = "in tx".into();
    users.update_in(&mut tx, &row).await.unwrap();
    assert_eq!(
        users.find_one(id).await.unwrap().unwrap().nickname,
        "user 13800000005"
    );
    tx.commit().await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap().unwrap().nickname, "in tx");
}

#[tokio::test]
async fn paging_counting_and_filters() {
    let db = TestDb::fresh("paging").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 5).await);
    let mut ids = Vec::new();
    for i in 0..25 {
        let mut u = user(&format!("1390000{i:04}"));
        u.sex = i % 2 == 0;
        u.avatar = (i % 5 == 0).then(|| format!("a{i}.png"));
        ids.push(users.insert(&u).await.unwrap());
    }
    ids.reverse(); // newest first

    let page = |n| users.find_page(Filter::new(), n, 10);
    let got: Vec<i64> = page(1).await.unwrap().iter().map(|u| u.id).collect();
    assert_eq!(got, ids[..10]);
    assert_eq!(page(3).await.unwrap().len(), 5);
    assert!(page(4).await.unwrap().is_empty());
    // A page whose offset would overflow, or skip too far, is refused
    // before any query: a bad parameter, not a panic or a wrapped offset.
    for (n, size) in [(u64::MAX, 10), (u64::MAX / 3, 7), (1_000_000, 10)] {
        let refused = users.find_page(Filter::new(), n, size).await;
        assert!(matches!(refused, Err(Error::Page { .. })), "page {n}: {refused:?}");
    }
    let refused = users.find_page_by_id_desc(Filter::new(), None, 1_000_000).await;
    assert!(matches!(refused, Err(Error::Page { .. })), "{refused:?}");
    let oldest_first = users
        .find_page(Filter::new().order_by(UserColumn::Id, Order::Asc), 1, 3)
        .await
        .unwrap();
    assert_eq!(
        oldest_first.iter().map(|u| u.id).collect::<Vec<_>>(),
        [ids[24], ids[23], ids[22]]
    );

    // Keyset paging walks every row once.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let rows = users
            .find_page_by_id_desc(Filter::new(), before, 7)
            .await
            .unwrap();
        let Some(last) = rows.last() else { break };
        before = Some(last.id);
        seen.extend(rows.iter().map(|u| u.id));
    }
    assert_eq!(seen, ids);

    assert_eq!(users.count(Filter::new()).await.unwrap(), 25);
    assert_eq!(
        users
            .count(Filter::new().eq(UserColumn::Sex, true))
            .await
            .unwrap(),
        13
    );
    assert_eq!(
        users
            .count(Filter::new().is_not_null(UserColumn::Avatar))
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        users
            .count(Filter::new().like(UserColumn::Mobile, "1390000001%"))
            .await
            .unwrap(),
        10
    );
    let two = users
        .find_all(
            Filter::new()
                .any_of(UserColumn::Id, [ids[0], ids[1]])
                .order_by(UserColumn::Id, Order::Desc),
        )
        .await
        .unwrap();
    assert_eq!(
        two.iter().map(|u| u.id).collect::<Vec<_>>(),
        [ids[0], ids[1]]
    );
    assert!(
        users
            .find_all(Filter::new().any_of(UserColumn::Id, Vec::<i64>::new()))
            .await
            .unwrap()
            .is_empty()
    );

    // A value is a value, never SQL.
    let sneaky = Filter::new().eq(UserColumn::Mobile, "x' OR '1'='1");
    assert_eq!(users.count(sneaky).await.unwrap(), 0);
    let sneaky = Filter::new().like(UserColumn::Nickname, "%' OR 1=1 -- ");
    assert!(users.find_all(sneaky).await.unwrap().is_empty());
    assert_eq!(
        users.count(Filter::new()).await.unwrap(),
        25,
        "nothing was dropped"
    );
}

#[tokio::test]
async fn the_second_read_does_not_reach_the_database() {
    let db = TestDb::fresh("hits").await;
    let cache = fresh_cache(&redis_url(), 6).await;
    let users = UserModel::new(db.pool.clone(), cache.clone());
    let id = users.insert(&user("13800000006")).await.unwrap();

    let before = db.statements().await;
    let first = users.find_one(id).await.unwrap();
    let second = users.find_one(id).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(
        db.statements().await - before,
        1,
        "one SELECT for two reads"
    );

    // By unique key: the index entry leads to the cached row.
    let before = db.statements().await;
    for _ in 0..3 {
        assert_eq!(id_by_mobile(&users, "13800000006").await, Some(id));
    }
    assert_eq!(
        db.statements().await - before,
        1,
        "one SELECT for three reads"
    );
    let url = format!("{}/6", redis_url());
    assert_eq!(
        redis_cli(&url, &["GET", "cache:shop:user:mobile:13800000006"]).await,
        id.to_string()
    );
    assert!(
        redis_cli(&url, &["GET", &format!("cache:shop:user:id:{id}")])
            .await
            .contains("\"mobile\":\"13800000006\"")
    );

    // Without the cache every read is a SELECT.
    let plain = shop_model_plain::user::UserModel::new(db.pool.clone());
    let before = db.statements().await;
    plain.find_one(id).await.unwrap().unwrap();
    plain.find_one(id).await.unwrap().unwrap();
    assert_eq!(db.statements().await - before, 2);
}

#[tokio::test]
async fn writes_invalidate_every_key_old_and_new() {
    let db = TestDb::fresh("invalidate").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 7).await);
    let id = users.insert(&user("13800000007")).await.unwrap();
    let mut row = users
        .find_one_by_mobile("13800000007")
        .await
        .unwrap()
        .unwrap();
    let url = format!("{}/7", redis_url());
    assert_eq!(
        redis_cli(&url, &["EXISTS", "cache:shop:user:mobile:13800000007"]).await,
        "1"
    );

    row.mobile = "13800000070".into();
    users.update(&row).await.unwrap();
    assert_eq!(
        redis_cli(&url, &["EXISTS", "cache:shop:user:mobile:13800000007"]).await,
        "0",
        "old value's key"
    );
    assert_eq!(
        redis_cli(&url, &["EXISTS", &format!("cache:shop:user:id:{id}")]).await,
        "0"
    );
    assert_eq!(users.find_one_by_mobile("13800000007").await.unwrap(), None);
    assert_eq!(id_by_mobile(&users, "13800000070").await, Some(id));
    assert_eq!(
        users.find_one(id).await.unwrap().unwrap().mobile,
        "13800000070"
    );

    // The old number was remembered as missing; a new user who takes it is
    // found at once, because insert clears the placeholders of its keys.
    let taken = users.insert(&user("13800000007")).await.unwrap();
    assert_eq!(id_by_mobile(&users, "13800000007").await, Some(taken));

    users.delete(id).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap(), None);
    assert_eq!(users.find_one_by_mobile("13800000070").await.unwrap(), None);
}

#[tokio::test]
async fn a_missing_row_is_remembered_briefly() {
    let db = TestDb::fresh("placeholder").await;
    let users = UserModel::new(db.pool.clone(), fresh_cache(&redis_url(), 8).await);
    let next = users.insert(&user("13800000008")).await.unwrap() + 1;

    let before = db.statements().await;
    for _ in 0..5 {
        assert_eq!(users.find_one(next).await.unwrap(), None);
    }
    assert_eq!(
        db.statements().await - before,
        1,
        "misses stop at the placeholder"
    );
    let url = format!("{}/8", redis_url());
    let key = format!("cache:shop:user:id:{next}");
    assert_eq!(redis_cli(&url, &["GET", &key]).await, "*");
    let ttl: i64 = redis_cli(&url, &["TTL", &key]).await.parse().unwrap();
    assert!((1..=60).contains(&ttl), "placeholder ttl {ttl}");
    let row_ttl: i64 = redis_cli(&url, &["TTL", &format!("cache:shop:user:id:{}", next - 1)])
        .await
        .parse()
        .unwrap();
    assert_eq!(
        row_ttl, -2,
        "the inserted row was never read, so never cached"
    );

    // Inserting that very id replaces the placeholder.
    assert_eq!(users.insert(&user("13800000009")).await.unwrap(), next);
    assert!(users.find_one(next).await.unwrap().is_some());
    let row_ttl: i64 = redis_cli(&url, &["TTL", &key]).await.parse().unwrap();
    let week = 7 * 24 * 3600;
    assert!(
        (week * 95 / 100..=week * 105 / 100).contains(&row_ttl),
        "row ttl {row_ttl}"
    );
}

#[tokio::test]
async fn fifty_concurrent_misses_make_one_query() {
    let db = TestDb::fresh("flight").await;
    let cache = fresh_cache(&redis_url(), 9).await;
    let users = Arc::new(UserModel::new(db.pool.clone(), cache.clone()));
    let id = users.insert(&user("13800000010")).await.unwrap();

    let before = (db.statements().await, cache.stats().loads);
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let reads: Vec<_> = (0..50)
        .map(|_| {
            let (users, barrier) = (users.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                users.find_one(id).await.unwrap().map(|u| u.id)
            })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap(), Some(id));
    }
    assert_eq!(cache.stats().loads - before.1, 1, "one load for 50 misses");
    assert_eq!(
        db.statements().await - before.0,
        1,
        "one SELECT for 50 misses"
    );
}

#[tokio::test]
async fn reads_and_writes_survive_redis_going_away() {
    let db = TestDb::fresh("redisdown").await;
    let port = 36000 + (std::process::id() % 1000) as u16;
    let mut redis = OwnRedis::start(port).await;
    let mut conf = CacheConf::new(redis.url());
    conf.timeout_ms = 200;
    let cache = Cache::new(&conf).unwrap();
    let users = UserModel::new(db.pool.clone(), cache.clone());
    let id = users.insert(&user("13800000011")).await.unwrap();
    assert!(users.find_one(id).await.unwrap().is_some());
    assert_eq!(cache.stats().errors, 0);

    redis.stop().await;
    let mut row = users
        .find_one(id)
        .await
        .unwrap()
        .expect("read from the database");
    row.nickname = "while redis is down".into();
    users.update(&row).await.unwrap();
    assert_eq!(
        users.find_one(id).await.unwrap().unwrap().nickname,
        "while redis is down"
    );
    assert_eq!(id_by_mobile(&users, "13800000011").await, Some(id));
    let other = users.insert(&user("13800000012")).await.unwrap();
    assert!(users.find_one(other).await.unwrap().is_some());
    assert!(
        cache.stats().errors >= 4,
        "failures are counted: {:?}",
        cache.stats()
    );

    // Back again: the cache serves once more.
    let mut redis = OwnRedis::start(port).await;
    let mut served = false;
    for _ in 0..50 {
        let hits = cache.stats().hits;
        users.find_one(id).await.unwrap().unwrap();
        users.find_one(id).await.unwrap().unwrap();
        if cache.stats().hits > hits {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(served, "the cache reconnects");
    redis.stop().await;
}

#[tokio::test]
async fn the_uncached_model_does_the_same_work() {
    let db = TestDb::fresh("plain").await;
    let users = shop_model_plain::user::UserModel::new(db.pool.clone());
    let row = shop_model_plain::user::User {
        mobile: "13800000013".into(),
        ..Default::default()
    };
    let id = users.insert(&row).await.unwrap();
    let mut stored = users
        .find_one_by_mobile("13800000013")
        .await
        .unwrap()
        .unwrap();
    stored.nickname = "plain".into();
    users.update_with_version(&mut stored).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap().unwrap().nickname, "plain");
    users.delete_soft(id).await.unwrap();
    assert_eq!(users.find_one(id).await.unwrap(), None);
    users.delete(id).await.unwrap();
    assert!(matches!(
        users.delete(id).await,
        Err(shop_model_plain::Error::NoRow { .. })
    ));
}

/// A TCP relay to MariaDB that can go down: it drops every connection it
/// holds and closes new ones at once, as a database that died would.
struct Relay {
    addr: std::net::SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    held: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = Relay {
            addr: listener.local_addr().unwrap(),
            up: Arc::new(true.into()),
            held: Arc::default(),
        };
        let (up, held) = (relay.up.clone(), relay.held.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    let mut server = tokio::net::TcpStream::connect(upstream).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                held.lock().unwrap().push(task.abort_handle());
            }
        });
        relay
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        if !up {
            self.held.lock().unwrap().drain(..).for_each(|t| t.abort());
        }
    }
}

/// The database goes away: the breaker its models share opens within a
/// few calls, and later calls are refused at once instead of each waiting
/// out the pool; once the database is back, calls get through again.
#[tokio::test]
async fn a_failing_database_is_refused_at_once_and_let_back_when_it_recovers() {
    use looklook_runtime::model::SqlConf;
    use std::time::{Duration, Instant};

    let db = TestDb::fresh("breaker").await;
    let server = model_driver::mysql_url();
    let (credentials, upstream) = server.rsplit_once('@').unwrap();
    let relay = Relay::start(upstream.to_string()).await;
    let pool = SqlConf {
        acquire_timeout_ms: 300,
        ..SqlConf::new(format!("{credentials}@{}/{}", relay.addr, db.name))
    }
    .connect_lazy()
    .unwrap();
    let users = UserModel::new(pool.clone(), fresh_cache(&redis_url(), 11).await);
    users.insert(&user("13800000021")).await.unwrap();
    assert_eq!(users.count(Filter::new()).await.unwrap(), 1);

    relay.set_up(false);
    // Google's SRE formula refuses with probability (requests - 1.5 *
    // accepts) / (requests + 1): past 30 failures, more than 8 calls in 10.
    let (mut late_refusals, mut slowest_refusal) = (0, Duration::ZERO);
    for call in 0..60 {
        let started = Instant::now();
        match users.count(Filter::new()).await {
            Err(Error::Refused { database }) => {
                assert!(database.ends_with(&db.name), "{database}");
                late_refusals += usize::from(call >= 30);
                slowest_refusal = slowest_refusal.max(started.elapsed());
            }
            Err(Error::Db(_)) => {}
            other => panic!("the database is down, yet: {other:?}"),
        }
    }
    assert!(late_refusals >= 20, "{late_refusals} of the last 30 refused");
    assert!(
        slowest_refusal < Duration::from_millis(5),
        "{slowest_refusal:?}"
    );
    // Every model on the database shares its breaker.
    let plain = shop_model_plain::user::UserModel::new(pool.clone());
    let mut plain_refused = 0;
    for _ in 0..10 {
        let answer = plain.count(shop_model_plain::Filter::new()).await;
        plain_refused += usize::from(matches!(answer, Err(Error::Refused { .. })));
    }
    assert!(plain_refused >= 6, "{plain_refused} of 10 refused");

    relay.set_up(true);
    let started = Instant::now();
    let mut in_a_row = 0;
    while in_a_row < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the breaker did not close"
        );
        match users.count(Filter::new()).await {
            Ok(n) => {
                assert_eq!(n, 1);
                in_a_row += 1;
            }
            Err(_) => {
                in_a_row = 0;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}
