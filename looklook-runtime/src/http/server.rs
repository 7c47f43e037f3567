//! Server bootstrap: one call turns a router into a running service with
//! request ids, access logs, Prometheus metrics, `/healthz` and graceful
//! shutdown on SIGINT or SIGTERM.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, Method};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower::{Layer, Service};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::config::RestConf;
use crate::telemetry::{self, MetricCache};
use crate::trace::ServerSpan;
use opentelemetry::KeyValue;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Wrap a service's router with what every looklook service has.
pub fn app(router: Router) -> Router {
    telemetry::prometheus();
    router
        .route("/healthz", get(|| async { "ok" }))
        .layer(ObserveLayer)
        // Outermost: every request gets an id before anything logs it.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// One access-log line and two metrics per request. A tower layer rather
/// than `from_fn`: it runs on every request, and this way costs one
/// allocation instead of a boxed service clone and a boxed future.
#[derive(Clone, Copy)]
struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: Arc::new(MetricCache::new(
                "http_server_requests_total",
                "http_server_request_duration_seconds",
            )),
        }
    }
}

/// axum applies a layer to each route on its own, so each `Observe` sees
/// one route and keeps that route's metric handles by method and status.
#[derive(Clone)]
struct Observe<S> {
    inner: S,
    metrics: Arc<MetricCache<&'static str>>,
}

/// The method as a metric label: one of HTTP's own, else `other`, so a
/// client cannot mint a new series with every `curl -X FOO123`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        // The request's trace span; the handler's `RequestCtx` carries it
        // on as the parent of the calls it makes.
        let traced = ServerSpan::start(
            || {
                let route = route.as_ref().map_or("unmatched", |r| r.as_str());
                format!("{method} {route}")
            },
            req.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()),
            || {
                vec![
                    KeyValue::new("http.request.method", method.to_string()),
                    KeyValue::new("url.path", req.uri().path().to_string()),
                ]
            },
        );
        if let Some(tp) = traced.traceparent().and_then(|tp| tp.parse().ok()) {
            req.headers_mut().insert(TRACEPARENT, tp);
        }
        // Build the log line's fields only when it will be written.
        let request_id = tracing::enabled!(target: "access", tracing::Level::INFO)
            .then(|| req.headers().get(&REQUEST_ID).cloned())
            .flatten();
        let response = self.inner.call(req);
        let cache = self.metrics.clone();
        Box::pin(async move {
            let resp = response.await?;
            let secs = start.elapsed().as_secs_f64();
            let status = resp.status().as_u16();
            let route = route.as_ref().map_or("unmatched", |r| r.as_str());
            let label = method_label(&method);
            let (count, latency) = cache.get(
                label,
                u32::from(status),
                || label,
                || {
                    vec![
                        ("method", label.to_owned()),
                        ("route", route.to_owned()),
                        ("status", status.to_string()),
                    ]
                },
            );
            count.increment(1);
            latency.record(secs);
            traced.end(
                vec![KeyValue::new(
                    "http.response.status_code",
                    i64::from(status),
                )],
                status >= 500,
            );
            if let Some(id) = request_id {
                let request_id = id.to_str().unwrap_or_default();
                tracing::info!(target: "access", %method, route, status, latency_ms = secs * 1e3, request_id);
            }
            Ok(resp)
        })
    }
}

/// Serve until SIGINT or SIGTERM: the service on `Host:Port`, and metrics on
/// `Prometheus.Port` when configured.
pub async fn serve(conf: &RestConf, router: Router) -> anyhow::Result<()> {
    conf.service.start().await?;
    let listener = TcpListener::bind((conf.host.as_str(), conf.port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", conf.host, conf.port))?;
    tracing::info!(service = conf.service.name, addr = %listener.local_addr()?, "serving");
    serve_with_shutdown(listener, router, crate::shutdown::signal()).await?;
    crate::trace::flush();
    tracing::info!(service = conf.service.name, "stopped");
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
    // No Nagle delay on small responses.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
