//! The reference system's RPC services, each served in-process on a free
//! port of 127.0.0.1 until the test ends, for the services' integration
//! tests. Each function takes its database URL and Redis URL (from
//! `looklook_shared::testing`) and returns the service's `host:port`.

use looklook_runtime::config::JwtAuth;
use looklook_runtime::kafka::KafkaConf;
use looklook_runtime::rpc::{RpcClientConf, RpcServerConf};
use looklook_shared::jobs::JobRedisConf;
use looklook_shared::testing::local_listener;
use looklook_shared::time::business_tz;
use looklook_wechat::sandbox::development;

/// travel-rpc.
pub async fn travel_rpc(db: String, redis: &str) -> String {
    let (listener, addr) = local_listener().await;
    let svc = travel_rpc::svc::ServiceContext::new(travel_rpc::config::Config {
        rpc: RpcServerConf::new("travel-rpc", &addr),
        db: travel_model::SqlConf::new(db),
        cache: travel_model::CacheConf::new(redis.to_string()),
    })
    .await
    .unwrap();
    tokio::spawn(travel_rpc::server::serve_on(
        svc,
        listener,
        std::future::pending(),
    ));
    addr
}

/// usercenter-rpc, signing tokens with `secret`.
pub async fn usercenter_rpc(db: String, redis: &str, secret: &str) -> String {
    let (listener, addr) = local_listener().await;
    let svc = usercenter_rpc::svc::ServiceContext::new(usercenter_rpc::config::Config {
        rpc: RpcServerConf::new("usercenter-rpc", &addr),
        db: usercenter_model::SqlConf::new(db),
        cache: usercenter_model::CacheConf::new(redis.to_string()),
        jwt_auth: JwtAuth {
            access_secret: secret.into(),
            access_expire: 3600,
        },
        // As etc/usercenter.yaml has it.
        login_limit: Some(looklook_runtime::limit::RateLimit {
            requests: 10,
            period_secs: 900,
        }),
    })
    .await
    .unwrap();
    tokio::spawn(usercenter_rpc::server::serve_on(
        svc,
        listener,
        std::future::pending(),
    ));
    addr
}

/// order-rpc calling travel-rpc at `travel`; its jobs queue on `redis`
/// too, and an unpaid order is closed after `close_order_after_secs`.
pub async fn order_rpc(
    db: String,
    redis: &str,
    travel: &str,
    close_order_after_secs: i64,
) -> String {
    let (listener, addr) = local_listener().await;
    order_rpc_on(listener, &addr, db, redis, travel, close_order_after_secs).await;
    addr
}

/// [`order_rpc`] on a listener already bound at `addr` (a test that has
/// clients call it before it is up).
pub async fn order_rpc_on(
    listener: tokio::net::TcpListener,
    addr: &str,
    db: String,
    redis: &str,
    travel: &str,
    close_order_after_secs: i64,
) {
    let svc = order_rpc::svc::ServiceContext::new(order_rpc::config::Config {
        rpc: RpcServerConf::new("order-rpc", addr),
        db: order_model::SqlConf::new(db),
        cache: order_model::CacheConf::new(redis.to_string()),
        travel_rpc_conf: RpcClientConf::new(travel),
        close_order_after_secs,
        job_redis: JobRedisConf {
            url: redis.to_string(),
        },
    })
    .await
    .unwrap();
    tokio::spawn(order_rpc::server::serve_on(
        svc,
        listener,
        std::future::pending(),
    ));
}

/// The WeChat sandbox on 127.0.0.1 with the development keys, as
/// `wechat-sandbox` runs it; its base URL.
pub async fn wechat_sandbox() -> String {
    let router = looklook_wechat::sandbox::router(development::sandbox()).unwrap();
    let (listener, addr) = local_listener().await;
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// The sandbox merchant of `services/wechat/dev-keys`, at WeChat Pay
/// `base_url`.
pub fn wx_pay_conf(base_url: &str) -> looklook_wechat::client::WxPayConf {
    development::merchant(base_url)
}

/// payment-rpc publishing to `kafka`'s topic. Nothing answers for WeChat
/// Pay: closing or refunding fails.
pub async fn payment_rpc(db: String, redis: &str, kafka: KafkaConf) -> String {
    payment_rpc_with_wechat(db, redis, kafka, "http://127.0.0.1:9").await
}

/// [`payment_rpc`], with WeChat Pay at `wechat` (the sandbox's address).
pub async fn payment_rpc_with_wechat(
    db: String,
    redis: &str,
    kafka: KafkaConf,
    wechat: &str,
) -> String {
    let (listener, addr) = local_listener().await;
    let svc = payment_rpc::svc::ServiceContext::new(payment_rpc::config::Config {
        rpc: RpcServerConf::new("payment-rpc", &addr),
        db: payment_model::SqlConf::new(db),
        cache: payment_model::CacheConf::new(redis.to_string()),
        kq_payment_update_pay_status_conf: kafka,
        wx_pay_conf: wx_pay_conf(wechat),
    })
    .await
    .unwrap();
    tokio::spawn(payment_rpc::server::serve_on(
        svc,
        listener,
        std::future::pending(),
    ));
    addr
}

/// Noon, `days` from today, business time, in unix seconds: a check-in
/// time that is always in the future.
pub fn noon_in(days: u64) -> i64 {
    let date = chrono::Utc::now()
        .with_timezone(&business_tz())
        .date_naive()
        + chrono::Days::new(days);
    date.and_hms_opt(12, 0, 0)
        .and_then(|t| t.and_local_timezone(business_tz()).single())
        .map_or(0, |t| t.timestamp())
}
