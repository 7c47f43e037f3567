//! Server bootstrap: one call turns a router into a running service with
//! request ids, access logs, Prometheus metrics, `/healthz` and graceful
//! shutdown on SIGINT or SIGTERM.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::config::RestConf;
use crate::telemetry;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wrap a service's router with what every looklook service has.
pub fn app(router: Router) -> Router {
    telemetry::prometheus();
    router
        .route("/healthz", get(|| async { "ok" }))
        .layer(middleware::from_fn(observe))
        // Outermost: every request gets an id before anything logs it.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// One access-log line and two metrics per request.
async fn observe(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16().to_string();
    let labels = [
        ("method", method.to_string()),
        ("route", route.clone()),
        ("status", status.clone()),
    ];
    metrics::counter!("http_server_requests_total", &labels).increment(1);
    metrics::histogram!("http_server_request_duration_seconds", &labels).record(secs);
    tracing::info!(
        target: "access",
        %method,
        route,
        status,
        latency_ms = secs * 1e3,
        request_id,
    );
    resp
}

/// Serve until SIGINT or SIGTERM: the service on `Host:Port`, and metrics on
/// `Prometheus.Port` when configured.
pub async fn serve(conf: &RestConf, router: Router) -> anyhow::Result<()> {
    telemetry::init_logging(&conf.log);
    let listener = TcpListener::bind((conf.host.as_str(), conf.port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", conf.host, conf.port))?;
    if let Some(p) = &conf.prometheus {
        let metrics = TcpListener::bind((p.host.as_str(), p.port))
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot listen for metrics on {}:{}: {e}", p.host, p.port)
            })?;
        let path = p.path.clone();
        tracing::info!(addr = %metrics.local_addr()?, path, "serving metrics");
        tokio::spawn(async move {
            let router =
                Router::new().route(&path, get(|| async { telemetry::prometheus().render() }));
            if let Err(e) = axum::serve(metrics, router).await {
                tracing::error!(error = %e, "metrics server stopped");
            }
        });
    }
    tracing::info!(service = conf.name, addr = %listener.local_addr()?, "serving");
    serve_with_shutdown(listener, router, shutdown_signal()).await?;
    tracing::info!(service = conf.name, "stopped");
    Ok(())
}

/// Serve `router` (wrapped by [`app`]) on `listener` until `shutdown` resolves,
/// then let requests in flight finish.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = app(router).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
