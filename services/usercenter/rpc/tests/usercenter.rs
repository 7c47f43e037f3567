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
    GenerateTokenReq, GetUserAuthByAuthKeyReq, GetUserAuthByUserIdReq, GetUserInfoReq, LoginReq,
    RegisterReq,
};

const SECRET: &str = "test-secret";

/// A fresh database with the service's tables, an empty cache, and the
/// service serving on a free port; its client and the database's URL.
async fn start() -> (UsercenterClient, String) {
    let db = fresh_database("looklook_t_usercenter", &["usercenter/usercenter.sql"]).await;
    let addr = looklook_testkit::usercenter_rpc(db.clone(), &empty_cache(7), SECRET).await;
    let client = UsercenterClient::new(&RpcClientConf {
        timeout: 10_000,
        ..RpcClientConf::new(addr)
    })
    .unwrap();
    (client, db)
}

#[tokio::test]
async fn register_login_and_look_up_users() {
    let (client, db) = start().await;
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
