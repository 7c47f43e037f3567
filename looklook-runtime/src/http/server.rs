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
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower::{Layer, Service};

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
}

/// What every request goes through: its request id (the caller's
/// `x-request-id`, else a new UUID, echoed on the answer), its trace span,
/// two metrics and one access-log line. One tower layer rather than one per
/// concern or `from_fn`: it runs on every request, and this way costs one
/// boxed future. (tower-http's two request-id layers cost more than the
/// rest of this together: `scripts/bench-http`.)
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
        let request_id = match req.headers().get(&REQUEST_ID) {
            Some(id) => id.clone(),
            None => {
                let id = new_request_id();
                req.headers_mut().insert(REQUEST_ID, id.clone());
                id
            }
        };
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
                    KeyValue::new("http.request.method", method_label(&method)),
                    KeyValue::new("url.path", req.uri().path().to_string()),
                ]
            },
        );
        if let Some(tp) = traced.traceparent().and_then(|tp| tp.parse().ok()) {
            req.headers_mut().insert(TRACEPARENT, tp);
        }
        let response = self.inner.call(req);
        let cache = self.metrics.clone();
        Box::pin(async move {
            let mut resp = response.await?;
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
            if tracing::enabled!(target: "access", tracing::Level::INFO) {
                let request_id = request_id.to_str().unwrap_or_default();
                tracing::info!(target: "access", %method, route, status, latency_ms = secs * 1e3, request_id);
            }
            resp.headers_mut().entry(REQUEST_ID).or_insert(request_id);
            Ok(resp)
        })
    }
}

/// A new request id: a random UUID, formatted on the stack.
fn new_request_id() -> HeaderValue {
    let mut buf = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(id).expect("a UUID is a valid header value")
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::ctx::RequestCtx;

    /// The handler answers with the request id its `RequestCtx` holds.
    fn echo_id() -> Router {
        app(Router::new().route(
            "/id",
            get(|ctx: RequestCtx| async move { ctx.request_id().to_string() }),
        ))
    }

    async fn call(req: Request<Body>) -> (Option<String>, String) {
        let resp = echo_id().oneshot(req).await.unwrap();
        let header = resp
            .headers()
            .get(&REQUEST_ID)
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        (header, String::from_utf8(body.to_vec()).unwrap())
    }

    /// A caller's request id is kept: the handler sees it and the answer
    /// carries it back, so one id follows a request through every service.
    #[tokio::test]
    async fn a_callers_request_id_is_passed_through() {
        let req = Request::get("/id").header("x-request-id", "abc-123");
        let (header, body) = call(req.body(Body::empty()).unwrap()).await;
        assert_eq!(header.as_deref(), Some("abc-123"));
        assert_eq!(body, "abc-123");
    }

    /// Without one, the request gets a new UUID, the same in the handler
    /// and on the answer, and a different one each time; unmatched routes
    /// get one too.
    #[tokio::test]
    async fn a_request_without_an_id_gets_a_new_one() {
        let (header, body) = call(Request::get("/id").body(Body::empty()).unwrap()).await;
        let id = header.expect("an id on the answer");
        assert_eq!(id, body);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        let (again, _) = call(Request::get("/id").body(Body::empty()).unwrap()).await;
        assert_ne!(again.unwrap(), id);
        let (missing, _) = call(Request::get("/nowhere").body(Body::empty()).unwrap()).await;
        assert!(missing.is_some(), "a 404 carries a request id too");
    }
}
