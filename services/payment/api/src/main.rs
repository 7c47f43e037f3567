// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! payment-api: load the config, build the shared state, serve until
//! SIGINT or SIGTERM.

mod config;
mod handler;
mod logic;
mod routes;
mod svc;
mod types;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use config::Config;
use looklook_runtime::ctx::Carried;
use looklook_wechat::client::NotificationHeaders;
use svc::ServiceContext;

/// Where WeChat Pay sends payment notifications.
const CALLBACK: &str = "/payment/v1/thirdPayment/thirdPaymentWxPayCallback";
/// Where it sends refund notifications.
const REFUND_CALLBACK: &str = "/payment/v1/thirdPayment/thirdPaymentWxRefundCallback";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `-f PATH` picks another config file.
    let path = looklook_runtime::config::path_from_args("etc/payment.yaml");
    let config: Config = looklook_runtime::config::load(&path)?;
    let svc = ServiceContext::new(config).await?;
    let rest = svc.config.rest.clone();
    let router = routes::router(svc.clone()).layer(from_fn_with_state(svc, wechat_notification));
    looklook_runtime::http::serve(&rest, router).await
}

/// WeChat Pay's notifications are not JSON calls: each is checked against
/// its raw body and headers, and answered in bare text (`SUCCESS`, or
/// `FAIL` with 400 so that WeChat sends it again later).
async fn wechat_notification(
    State(svc): State<ServiceContext>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let refund = path == REFUND_CALLBACK;
    if path != CALLBACK && !refund {
        return next.run(req).await;
    }
    let headers = NotificationHeaders::from_http(req.headers());
    // The request's id and trace, which the server layer has set.
    let http = Carried {
        request_id: header(&req, "x-request-id").unwrap_or_default(),
        traceparent: header(&req, "traceparent"),
    };
    let Ok(body) = axum::body::to_bytes(req.into_body(), 64 * 1024).await else {
        return (StatusCode::BAD_REQUEST, "FAIL").into_response();
    };
    let body = String::from_utf8_lossy(&body);
    let handled = if refund {
        logic::third_payment::third_payment_wx_refund_callback::notification(
            &svc, &http, &headers, &body,
        )
        .await
    } else {
        logic::third_payment::third_payment_wx_pay_callback::notification(
            &svc, &http, &headers, &body,
        )
        .await
    };
    match handled {
        Ok(()) => (StatusCode::OK, "SUCCESS").into_response(),
        Err(e) => {
            // With its cause (a bad signature, say): what an operator needs
            // to tell an attack from a key that was rotated.
            if refund {
                tracing::warn!(error = ?e, "refund notification refused");
            } else {
                tracing::warn!(error = ?e, "payment notification refused");
            }
            (StatusCode::BAD_REQUEST, "FAIL").into_response()
        }
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}
