//! usercenter-rpc served on 127.0.0.1 against a real MariaDB and Redis
//! (started by `scripts/infra up`, which exports LOOKLOOK_TEST_MYSQL and
//! LOOKLOOK_TEST_REDIS), called through its own typed client.

use looklook_runtime::codes;
use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::http::jwt::JwtKey;
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::testing::{empty_cache, fresh_database};
use usercenter_model::SqlConf;
use usercenter_rpc::client::UsercenterClient;
use usercenter_rpc::pb::{
    BindUserAuthReq, GenerateTokenReq, GetUserAuthByAuthKeyReq, GetUserAuthByUserIdReq,
    GetUserInfoReq, LoginReq, RegisterReq,
};

const SECRET: &str = "test-secret";

/// A fresh database with the service's tables, an empty cache, and the
/// service serving on a free port; its client and the database's URL.
/// Each test has a database (and a Redis database) of its own: tests run
/// side by side.
async fn start(db: &str, redis_db: u8) -> (UsercenterClient, String) {
    let db = fresh_database(db, &["usercenter/usercenter.sql"]).await;
    let addr = looklook_testkit::usercenter_rpc(db.clone(), &empty_cache(redis_db), SECRET).await;
    let client = UsercenterClient::new(&RpcClientConf {
        timeout: 10_000,
        ..RpcClientConf::new(addr)
    })
    .unwrap();
    (client, db)
}

#[tokio::test]
async fn register_login_and_look_up_users() {
    let (client, db) = start("looklook_t_usercenter", 7).await;
    let ctx = RequestCtx::default();
    let register = |mobile: &str, password: &str| RegisterReq {
        mobile: mobile.into(),
        password: password.into(),
        auth_key: mobile.into(),
        auth_type: "system".into(),
        nickname: String::new(),
    };

    // Register: a token for the new user, signed with the shared secret.
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let reg = client
        .register(&ctx, register("13800000001", "s3cret"))
        .await
        .unwrap();
    let claims = JwtKey::new(SECRET).verify(&reg.access_token).unwrap();
    assert!(claims.user_id > 0);
    assert!((before + 3600..=before + 3602).contains(&reg.access_expire));
    assert_eq!(reg.refresh_after, reg.access_expire - 1800);

    // The same mobile again is refused.
    let again = client
        .register(&ctx, register("13800000001", "other"))
        .await
        .unwrap_err();
    assert_eq!(again.message(), "user has been registered");

    // Log in: the right password works; a wrong one and an unknown number
    // get the same answer.
    let login = |mobile: &str, password: &str| LoginReq {
        auth_type: "system".into(),
        auth_key: mobile.into(),
        password: password.into(),
    };
    let ok = client
        .login(&ctx, login("13800000001", "s3cret"))
        .await
        .unwrap();
    assert_eq!(
        JwtKey::new(SECRET)
            .verify(&ok.access_token)
            .unwrap()
            .user_id,
        claims.user_id
    );
    let wrong = client
        .login(&ctx, login("13800000001", "nope"))
        .await
        .unwrap_err();
    let unknown = client
        .login(&ctx, login("13900000000", "s3cret"))
        .await
        .unwrap_err();
    assert_eq!(wrong.message(), "wrong mobile number or password");
    assert_eq!(unknown.message(), wrong.message());
    assert_eq!(wrong.code_value(), codes::SERVER_COMMON_ERROR);
    // Nor does the time: an unknown number is checked against a dummy
    // hash, so it takes about as long as a wrong password (it used to
    // answer at once, before any hashing). Fastest of three each.
    let fastest = async |mobile: &str| {
        let mut best = std::time::Duration::MAX;
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let _ = client.login(&ctx, login(mobile, "nope")).await;
            best = best.min(started.elapsed());
        }
        best
    };
    let (known, stranger) = (fastest("13800000001").await, fastest("13900000000").await);
    assert!(
        stranger * 2 > known,
        "unknown number {stranger:?}, wrong password {known:?}"
    );

    // The user, with a random nickname; the password is never stored plain.
    let info = client
        .get_user_info(&ctx, GetUserInfoReq { id: claims.user_id })
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(info.mobile, "13800000001");
    assert_eq!(info.nickname.len(), 8);
    let stored: String = sqlx::query_scalar("SELECT password FROM user WHERE id = ?")
        .bind(claims.user_id)
        .fetch_one(&SqlConf::new(db).connect_lazy().unwrap())
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    let missing = client
        .get_user_info(&ctx, GetUserInfoReq { id: 999_999 })
        .await
        .unwrap_err();
    assert_eq!(missing.message(), "user does not exist");

    // Logins by key and by user; nothing where there is none.
    let by_key = client
        .get_user_auth_by_auth_key(
            &ctx,
            GetUserAuthByAuthKeyReq {
                auth_key: "13800000001".into(),
                auth_type: "system".into(),
            },
        )
        .await
        .unwrap()
        .user_auth
        .unwrap();
    assert_eq!(by_key.user_id, claims.user_id);
    let none = client
        .get_user_auth_by_auth_key(
            &ctx,
            GetUserAuthByAuthKeyReq {
                auth_key: "openid-x".into(),
                auth_type: "wxMini".into(),
            },
        )
        .await
        .unwrap();
    assert!(none.user_auth.is_none());
    let by_user = client
        .get_user_auth_by_user_id(
            &ctx,
            GetUserAuthByUserIdReq {
                user_id: claims.user_id,
                auth_type: "system".into(),
            },
        )
        .await
        .unwrap()
        .user_auth
        .unwrap();
    assert_eq!(by_user.auth_key, "13800000001");

    // A token for a user another service identified; a bad id is a bad
    // parameter.
    let token = client
        .generate_token(
            &ctx,
            GenerateTokenReq {
                user_id: claims.user_id,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        JwtKey::new(SECRET)
            .verify(&token.access_token)
            .unwrap()
            .user_id,
        claims.user_id
    );
    let bad = client
        .generate_token(&ctx, GenerateTokenReq { user_id: 0 })
        .await
        .unwrap_err();
    assert_eq!(bad.code_value(), codes::REQUEST_PARAM_ERROR);
}

/// WeChat joins an account only from inside it, and only with the
/// account's own number: registering a number proves nothing, so a WeChat
/// registration never links to the account of its number (the original did,
/// and whoever registered your number first got your WeChat login).
#[tokio::test]
async fn wechat_links_only_to_its_own_verified_number() {
    let (client, _db) = start("looklook_t_usercenter_wechat", 5).await;
    let ctx = RequestCtx::default();
    let squatter = client
        .register(
            &ctx,
            RegisterReq {
                mobile: "13600000001".into(),
                password: "squat".into(),
                auth_key: "13600000001".into(),
                auth_type: "system".into(),
                nickname: String::new(),
            },
        )
        .await
        .unwrap();
    let squatter = JwtKey::new(SECRET)
        .verify(&squatter.access_token)
        .unwrap()
        .user_id;
    // The number's owner logs in with WeChat: refused, not linked.
    let owner = client
        .register(
            &ctx,
            RegisterReq {
                mobile: "13600000001".into(),
                password: String::new(),
                auth_key: "openid-owner".into(),
                auth_type: "wxMini".into(),
                nickname: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        owner.message(),
        "this mobile number has an account: log in to it, then link WeChat from there"
    );
    let wechat_of = |user_id| GetUserAuthByUserIdReq {
        user_id,
        auth_type: "wxMini".into(),
    };
    let none = client
        .get_user_auth_by_user_id(&ctx, wechat_of(squatter))
        .await
        .unwrap();
    assert!(none.user_auth.is_none());

    // Linking from inside the account needs WeChat to verify its number.
    let bind = |user_id, openid: &str, mobile: &str| BindUserAuthReq {
        user_id,
        auth_key: openid.into(),
        auth_type: "wxMini".into(),
        verified_mobile: mobile.into(),
    };
    let other = client
        .bind_user_auth(&ctx, bind(squatter, "openid-squatter", "13600000002"))
        .await
        .unwrap_err();
    assert_eq!(
        other.message(),
        "WeChat verified another mobile number than this account's"
    );
    client
        .bind_user_auth(&ctx, bind(squatter, "openid-own", "13600000001"))
        .await
        .unwrap();
    // Twice is once; a second WeChat is refused.
    client
        .bind_user_auth(&ctx, bind(squatter, "openid-own", "13600000001"))
        .await
        .unwrap();
    let second = client
        .bind_user_auth(&ctx, bind(squatter, "openid-second", "13600000001"))
        .await
        .unwrap_err();
    assert_eq!(second.message(), "this account is linked to another WeChat");
    let linked = client
        .get_user_auth_by_user_id(&ctx, wechat_of(squatter))
        .await
        .unwrap()
        .user_auth
        .unwrap();
    assert_eq!(linked.auth_key, "openid-own");
}

/// A guesser gets ten password logins per number in fifteen minutes,
/// wherever they come from (the count is in Redis, shared by replicas);
/// then even the right password is refused, and other numbers are not.
#[tokio::test]
async fn password_logins_per_number_are_limited() {
    let (client, _db) = start("looklook_t_usercenter_limit", 4).await;
    let ctx = RequestCtx::default();
    for mobile in ["13500000001", "13500000002"] {
        client
            .register(
                &ctx,
                RegisterReq {
                    mobile: mobile.into(),
                    password: "right".into(),
                    auth_key: mobile.into(),
                    auth_type: "system".into(),
                    nickname: String::new(),
                },
            )
            .await
            .unwrap();
    }
    let login = |mobile: &str, password: &str| LoginReq {
        auth_type: "system".into(),
        auth_key: mobile.into(),
        password: password.into(),
    };
    for _ in 0..10 {
        let guess = client
            .login(&ctx, login("13500000001", "guess"))
            .await
            .unwrap_err();
        assert_eq!(guess.message(), "wrong mobile number or password");
    }
    let owner = client
        .login(&ctx, login("13500000001", "right"))
        .await
        .unwrap_err();
    assert_eq!(
        owner.message(),
        "too many login attempts for this number; try again later"
    );
    client
        .login(&ctx, login("13500000002", "right"))
        .await
        .unwrap();
}
