//! The usercenter HTTP gateway as a client sees it: this crate's binary on
//! 127.0.0.1, in front of usercenter-rpc (served in-process) on a real
//! MariaDB and Redis (`scripts/infra up`; LOOKLOOK_TEST_MYSQL and
//! LOOKLOOK_TEST_REDIS).

use looklook_shared::testing::{Service, empty_cache, fresh_database, start_service};
use serde_json::{Value, json};

const SECRET: &str = "gateway-test-secret";

/// usercenter-rpc on a fresh database; its address.
async fn start_rpc() -> String {
    start_rpc_on("looklook_t_usercenter_api", 8).await
}

/// usercenter-rpc on database `db` and Redis database `redis_db`, both
/// fresh; its address.
async fn start_rpc_on(db: &str, redis_db: u8) -> String {
    let db = fresh_database(db, &["usercenter/usercenter.sql"]).await;
    looklook_testkit::usercenter_rpc(db, &empty_cache(redis_db), SECRET).await
}

/// usercenter-api in dev mode in front of `rpc`, with `more` environment.
async fn start_gateway(rpc: &str, more: &[(&str, &str)]) -> Service {
    let mut env = vec![
        ("USERCENTER_RPC_ADDR", rpc),
        ("JWT_SECRET", SECRET),
        // Nobody: the WeChat login is walked end to end by services/walk.
        ("WECHAT_SANDBOX_ADDR", "127.0.0.1:9"),
    ];
    env.extend_from_slice(more);
    start_service(
        env!("CARGO_BIN_EXE_usercenter-api"),
        env!("CARGO_MANIFEST_DIR"),
        &env,
    )
    .await
}

#[tokio::test]
async fn register_login_and_detail_through_the_gateway() {
    let rpc = start_rpc().await;
    let gateway = start_gateway(&rpc, &[]).await;
    let port = gateway.port;
    let base = format!("http://127.0.0.1:{port}/usercenter/v1/user");
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value, token: Option<&str>| {
        let mut req = http.post(format!("{base}/{path}")).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };

    // Register, then log in with the same password.
    let (status, body) = post(
        "register",
        json!({"mobile": "13700000001", "password": "pw-1"}),
        None,
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(200)), "{body}");
    assert!(
        body["data"]["accessToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let (_, body) = post(
        "login",
        json!({"mobile": "13700000001", "password": "pw-1"}),
        None,
    )
    .await;
    let token = body["data"]["accessToken"].as_str().unwrap().to_string();

    // A wrong password: the business error in the envelope.
    let (status, body) = post(
        "login",
        json!({"mobile": "13700000001", "password": "nope"}),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code": 100001, "msg": "wrong mobile number or password"})
    );

    // A missing field is a bad parameter.
    let (_, body) = post("register", json!({"mobile": "13700000002"}), None).await;
    assert_eq!(body["code"], 100002, "{body}");

    // The details need the token, and are the caller's.
    let (status, _) = post("detail", json!({}), None).await;
    assert_eq!(status, 401);
    let (status, _) = post("detail", json!({}), Some("not-a-token")).await;
    assert_eq!(status, 401);
    let (status, body) = post("detail", json!({}), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["userInfo"]["mobile"], "13700000001");
    assert_eq!(
        body["data"]["userInfo"]["nickname"].as_str().unwrap().len(),
        8
    );
}

/// The attack: the secret in etc/usercenter.yaml is in the repository, so
/// whoever reads it can sign a token for any user id. Started as it would
/// be in production (no dev mode), with that secret or a short one, the
/// gateway refuses to start and names the key; with a secret of its own it
/// serves, and a token signed with the committed secret is refused.
#[tokio::test]
async fn outside_dev_mode_the_committed_secret_is_refused() {
    let exe = env!("CARGO_BIN_EXE_usercenter-api");
    let start = |secret: Option<&str>| {
        // `timeout`: a gateway that does start must not hang the test.
        let mut cmd = std::process::Command::new("timeout");
        cmd.args(["10", exe])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("LOOKLOOK_MODE")
            .env("PORT", "9")
            .env("METRICS_PORT", "9")
            .env("USERCENTER_RPC_ADDR", "127.0.0.1:9")
            .env("WECHAT_SANDBOX_ADDR", "127.0.0.1:9");
        if let Some(secret) = secret {
            cmd.env("JWT_SECRET", secret);
        }
        cmd.output().unwrap()
    };
    for secret in [None, Some("short-secret")] {
        // (The mini-program's secret is refused as well, but the JWT secret
        // comes first.)
        let out = start(secret);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{secret:?}: {said}");
        assert!(said.contains("`JwtAuth.AccessSecret`"), "{said}");
    }

    let own = "5c1f0e9a7b3d2e8f4a6c1b0d9e7f3a2c";
    let rpc = start_rpc().await;
    let gateway = start_service(
        exe,
        env!("CARGO_MANIFEST_DIR"),
        &[
            ("LOOKLOOK_MODE", "pro"),
            ("USERCENTER_RPC_ADDR", &rpc),
            ("JWT_SECRET", own),
            // The mini-program's secret is guarded the same way.
            ("WX_APP_SECRET", "0b9d8c7e6f5a4b3c2d1e0f9a8b7c6d5e"),
            // And the key it calls usercenter-rpc with.
            ("RPC_CALLER_KEY", "7e2a9c4f1b8d3e6a0c5f2b9d4e7a1c3f"),
            ("WECHAT_SANDBOX_ADDR", "127.0.0.1:9"),
        ],
    )
    .await;
    let forged =
        looklook_runtime::http::jwt::issue("looklook-dev-secret-change-me", now(), 3600, 1)
            .unwrap();
    let resp = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/usercenter/v1/user/detail",
            gateway.port
        ))
        .bearer_auth(forged)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

/// The open routes give each client address a budget (`RateLimit`, 5 a
/// minute here); over it, 429 in the envelope, without reaching
/// usercenter-rpc. Behind the gateway on this machine, the address it
/// forwards is the one counted.
#[tokio::test]
async fn each_client_address_has_a_budget_of_logins() {
    let rpc = start_rpc_on("looklook_t_usercenter_api_limit", 3).await;
    let gateway = start_gateway(&rpc, &[("LOOKLOOK_RATE_LIMIT__REQUESTS", "5")]).await;
    let url = format!("http://127.0.0.1:{}/usercenter/v1/user/login", gateway.port);
    let http = reqwest::Client::new();
    let login = |forwarded: Option<&'static str>| {
        let mut req = http
            .post(&url)
            .json(&json!({"mobile": "13700000009", "password": "pw"}));
        if let Some(ip) = forwarded {
            req = req.header("x-real-ip", ip);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    for _ in 0..5 {
        let (status, body) = login(None).await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (400, Some(100001)),
            "{body}"
        );
    }
    let (status, body) = login(None).await;
    assert_eq!(
        (status, body),
        (
            429,
            json!({"code": 429, "msg": "too many requests, try again later"})
        )
    );
    // Another client, as the gateway on this machine forwards it.
    let (status, _) = login(Some("203.0.113.9")).await;
    assert_eq!(status, 400);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
