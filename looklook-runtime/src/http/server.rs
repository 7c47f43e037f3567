//! Server bootstrap: one call turns a router into a running service with
//! request ids, access logs, Prometheus metrics, `/healthz`, go-zero's
//! guards (`MaxConns`, adaptive load shedding, `Timeout`) and graceful
//! shutdown on SIGINT or SIGTERM.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Layer, Service, ServiceExt};

use super::timer::HeaderClock;
use crate::codes;
use crate::config::{HttpLimits, RestConf};
use crate::ctx::{Deadline, RequestCtx};
use crate::resilience::Shedder;
use crate::telemetry::{self, MetricCache};
use crate::trace::CallSpan;
use opentelemetry::KeyValue;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub(crate) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Wrap a service's router with what every looklook service has, with
/// the default limits.
pub fn app(router: Router) -> Router {
    app_with(router, &HttpLimits::default())
}

/// [`app`] with the given limits: `MaxConns`, `CpuThreshold`, `Timeout`
/// and `MaxBytes` (the two connection limits belong to [`serve_with`]).
pub fn app_with(router: Router, limits: &HttpLimits) -> Router {
    telemetry::prometheus();
    super::bind::set_max_string_bytes(limits.max_string_bytes);
    let body_limit = match limits.max_bytes {
        0 => DefaultBodyLimit::disable(),
        n => DefaultBodyLimit::max(n),
    };
    router
        .route("/healthz", get(|| async { "ok" }))
        .layer(ObserveLayer {
            body_limit,
            guard: Arc::new(Guard {
                in_flight: AtomicUsize::new(0),
                max: limits.max_conns,
                timeout: (limits.timeout > 0).then(|| Duration::from_millis(limits.timeout)),
                shedder: (limits.cpu_threshold > 0).then(|| Shedder::new(limits.cpu_threshold)),
                gauge: metrics::gauge!("http_server_requests_in_flight"),
                shed: metrics::counter!("shed_total", "server" => "http"),
            }),
        })
}

/// What every route of a service shares: the requests in flight, against
/// `MaxConns`, the load shedder and `Timeout`.
struct Guard {
    in_flight: AtomicUsize,
    max: usize,
    timeout: Option<Duration>,
    shedder: Option<Arc<Shedder>>,
    gauge: metrics::Gauge,
    shed: metrics::Counter,
}

/// Why a request was not let in.
enum Refused {
    MaxConns,
    Shed,
}

impl Guard {
    /// Count a request in, unless `MaxConns` are in flight already or the
    /// shedder refuses it.
    fn enter(self: &Arc<Self>, start: Instant) -> Result<InFlight, Refused> {
        let before = self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.gauge.increment(1.0);
        let mut admitted = InFlight {
            guard: self.clone(),
            shed: None,
        };
        if self.max != 0 && before >= self.max {
            return Err(Refused::MaxConns);
        }
        if let Some(shedder) = &self.shedder {
            admitted.shed = Some(shedder.allow_since(start).ok_or_else(|| {
                self.shed.increment(1);
                Refused::Shed
            })?);
        }
        Ok(admitted)
    }
}

/// One request in flight; counted out when dropped, also when the client
/// goes away mid-request.
struct InFlight {
    guard: Arc<Guard>,
    shed: Option<crate::resilience::Pass>,
}

impl InFlight {
    /// The request was answered with `status`: tell the shedder whether
    /// it was served (a 503 teaches it nothing about capacity).
    fn done(mut self, status: StatusCode, end: Instant) {
        if let Some(pass) = self.shed.take() {
            pass.done_at(status != StatusCode::SERVICE_UNAVAILABLE, end);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.guard.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.guard.gauge.decrement(1.0);
    }
}

/// The answer when a request is not served: 503, in the envelope.
fn unavailable(msg: &'static str) -> Response {
    let body = serde_json::json!({ "code": codes::SERVER_COMMON_ERROR, "msg": msg });
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}

/// What every request goes through: its request id (the caller's
/// `x-request-id`, else a new UUID, echoed on the answer), its trace span,
/// two metrics and one access-log line. One tower layer rather than one per
/// concern or `from_fn`: it runs on every request, and this way costs one
/// boxed future. (tower-http's two request-id layers cost more than the
/// rest of this together: `scripts/bench-http`.)
#[derive(Clone)]
struct ObserveLayer {
    guard: Arc<Guard>,
    /// `MaxBytes`, applied inside this layer: as a layer of its own it
    /// would wrap every route in one more boxed service.
    body_limit: DefaultBodyLimit,
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<<DefaultBodyLimit as Layer<S>>::Service>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner: self.body_limit.layer(inner),
            guard: self.guard.clone(),
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
    guard: Arc<Guard>,
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
{
    type Response = Response;
    type Error = Infallible;
    type Future = ObserveFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let request_id = match req.headers().get(&REQUEST_ID) {
            Some(id) => id.clone(),
            None => new_request_id(),
        };
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        let incoming = req.headers().get(TRACEPARENT);
        // The request's trace span; the handler's `RequestCtx` carries it
        // on as the parent of the calls it makes.
        let traced = CallSpan::server(
            || {
                let route = route.as_ref().map_or("unmatched", |r| r.as_str());
                [method.as_str(), " ", route].concat()
            },
            incoming.and_then(|v| v.to_str().ok()),
            || {
                // With room for the status code the span ends with.
                let mut attributes = Vec::with_capacity(3);
                attributes.push(KeyValue::new("http.request.method", method_label(&method)));
                attributes.push(KeyValue::new("url.path", req.uri().path().to_string()));
                attributes
            },
        );
        let traceparent = traced.traceparent_value();
        let log = crate::trace::log_span(
            "http",
            request_id.to_str().unwrap_or_default(),
            traceparent.as_ref().and_then(|v| v.to_str().ok()),
        );
        // The trace this request continues: its own span when traced, else
        // what the caller sent.
        let traceparent = traceparent.or_else(|| incoming.cloned());
        let done = Done {
            start,
            method,
            route,
            request_id,
            traced,
            metrics: self.metrics.clone(),
            admitted: None,
        };
        // Over `MaxConns`, or shed: refused before the handler runs.
        let admitted = match self.guard.enter(start) {
            Ok(admitted) => admitted,
            Err(refused) => {
                let resp = match refused {
                    Refused::Shed => {
                        unavailable("the service is overloaded, please try again later")
                    }
                    Refused::MaxConns => {
                        unavailable("too many requests in flight, please try again later")
                    }
                };
                return ObserveFuture {
                    state: State::Refused { resp: Some(resp) },
                    done: Some(done),
                };
            }
        };
        let timeout = self.guard.timeout;
        // The handler's `RequestCtx`, made here once: the request id, the
        // trace, and what is left of `Timeout` for the calls it makes. One
        // extension rather than headers written into the request for the
        // handler to find again.
        req.extensions_mut().insert(RequestCtx {
            request_id: Some(done.request_id.clone()),
            traceparent,
            claims: None,
            deadline: timeout.map(|limit| Deadline(start + limit)),
        });
        let call = log.in_scope(|| self.inner.call(req));
        let call = tracing::Instrument::instrument(call, log);
        ObserveFuture {
            state: State::Served {
                call,
                deadline: timeout.map(|limit| start + limit),
                timer: None,
            },
            done: Some(Done {
                admitted: Some(admitted),
                ..done
            }),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request on its way through [`Observe`]: the handler's answer (or
    /// the refusal), then what every answer gets. A named future rather
    /// than a boxed `async` block: one allocation less per request.
    pub struct ObserveFuture<F> {
        #[pin]
        state: State<F>,
        done: Option<Done>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        Refused { resp: Option<Response> },
        Served {
            #[pin]
            call: tracing::instrument::Instrumented<F>,
            // When the answer is due (`Timeout`). Its timer starts only if
            // the handler does not answer at its first poll: most answer at
            // once, and a timer made and dropped for each of them is a cost
            // every request would pay.
            deadline: Option<Instant>,
            timer: Option<Pin<Box<tokio::time::Sleep>>>,
        },
    }
}

/// What is left to do once a request is answered.
struct Done {
    start: Instant,
    method: Method,
    route: Option<MatchedPath>,
    request_id: HeaderValue,
    traced: CallSpan,
    metrics: Arc<MetricCache<&'static str>>,
    admitted: Option<InFlight>,
}

impl<F> Future for ObserveFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The answer, and the request's log span (none for a refusal).
        let (resp, log) = match this.state.project() {
            StateProj::Refused { resp } => (resp.take(), None),
            StateProj::Served {
                mut call,
                deadline,
                timer,
            } => match call.as_mut().poll(cx) {
                Poll::Ready(Ok(resp)) => (Some(resp), Some(call.span().clone())),
                Poll::Pending => {
                    let Some(due) = *deadline else {
                        return Poll::Pending;
                    };
                    let timer =
                        timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due.into())));
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let late = unavailable("the request took too long, please try again later");
                    (Some(late), Some(call.span().clone()))
                }
            },
        };
        let (Some(resp), Some(done)) = (resp, this.done.take()) else {
            panic!("ObserveFuture polled after it was ready");
        };
        // The access line in the request's span: it carries the request's
        // trace and span ids, as every line the handler logged does.
        let log = log.unwrap_or_else(tracing::Span::none);
        let _in_request = log.enter();
        Poll::Ready(Ok(done.finish(resp)))
    }
}

impl Done {
    /// Count the answer in, end its span, log it, and echo the request id.
    fn finish(self, mut resp: Response) -> Response {
        let end = Instant::now();
        if let Some(admitted) = self.admitted {
            admitted.done(resp.status(), end);
        }
        let secs = end.saturating_duration_since(self.start).as_secs_f64();
        let status = resp.status().as_u16();
        let route = self.route.as_ref().map_or("unmatched", |r| r.as_str());
        let label = method_label(&self.method);
        self.metrics.record(
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
            secs,
        );
        self.traced.end(
            [KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            )],
            status >= 500,
        );
        if tracing::enabled!(target: "access", tracing::Level::INFO) {
            let request_id = self.request_id.to_str().unwrap_or_default();
            let method = &self.method;
            tracing::info!(target: "access", %method, route, status, latency_ms = secs * 1e3, request_id);
        }
        resp.headers_mut()
            .entry(REQUEST_ID)
            .or_insert(self.request_id);
        resp
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
    serve_with(
        listener,
        router,
        conf.limits.clone(),
        crate::shutdown::signal(),
    )
    .await;
    crate::trace::flush();
    tracing::info!(service = conf.service.name, "stopped");
    Ok(())
}

/// [`serve_with`] with the default limits.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, HttpLimits::default(), shutdown).await;
    Ok(())
}

/// Serve `router` (wrapped by [`app_with`]) on `listener` until `shutdown`
/// resolves, then give requests in flight `ShutdownTimeout` to finish.
/// Each connection gets `ReadHeaderTimeout` to send a request's headers.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let service = app_with(router, &limits);
    let header_timeout =
        (limits.read_header_timeout > 0).then(|| Duration::from_millis(limits.read_header_timeout));
    // hyper enforces the header timeout only with a timer to measure it;
    // each connection gets its own, on one clock (see `timer`).
    let clock = header_timeout.map(HeaderClock::start);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // Out of file descriptors, say: wait, rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // No Nagle delay on small responses.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
        // Each request knows the address it came from (axum's
        // `ConnectInfo`), for limits per client address.
        let service = service
            .clone()
            .map_request(move |mut req: axum::http::Request<_>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            });
        let mut builder = auto::Builder::new(TokioExecutor::new());
        if let (Some(clock), Some(timeout)) = (&clock, header_timeout) {
            builder
                .http1()
                .timer(clock.connection())
                .header_read_timeout(timeout);
        }
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let deadline = Duration::from_millis(limits.shutdown_timeout);
    if tokio::time::timeout(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            after_ms = limits.shutdown_timeout,
            "stopped with requests still in flight"
        );
    }
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

    fn limits() -> HttpLimits {
        HttpLimits {
            timeout: 200,
            max_conns: 1,
            max_bytes: 1024,
            max_string_bytes: crate::http::DEFAULT_MAX_STRING_BYTES,
            read_header_timeout: 300,
            shutdown_timeout: 300,
            cpu_threshold: 900,
        }
    }

    /// A handler that waits for ever: a slow dependency.
    fn stuck() -> Router {
        Router::new().route("/stuck", get(std::future::pending::<&'static str>))
    }

    /// `Timeout`: a request that takes too long is answered 503 in the
    /// envelope instead of holding its client.
    #[tokio::test]
    async fn a_slow_request_is_answered_503_after_the_timeout() {
        let app = app_with(stuck(), &limits());
        let started = Instant::now();
        let resp = app
            .oneshot(Request::get("/stuck").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(2));
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], codes::SERVER_COMMON_ERROR);
    }

    /// `MaxConns`: with the limit in flight, the next request is refused at
    /// once; when one finishes, requests are served again.
    #[tokio::test]
    async fn requests_over_max_conns_are_refused_at_once() {
        let limits = HttpLimits {
            timeout: 0,
            ..limits()
        };
        let app = app_with(stuck().route("/id", get(|| async { "ok" })), &limits);
        let held = tokio::spawn(
            app.clone()
                .oneshot(Request::get("/stuck").body(Body::empty()).unwrap()),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = app
            .clone()
            .oneshot(Request::get("/id").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        held.abort();
        let _ = held.await;
        let served = app
            .oneshot(Request::get("/id").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(served.status(), StatusCode::OK);
    }

    /// `MaxBytes`: a body over the limit is refused, not read into memory.
    #[tokio::test]
    async fn a_body_over_max_bytes_is_refused() {
        let router = Router::new().route(
            "/upload",
            axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        );
        let app = app_with(router, &limits());
        let call = |size: usize| {
            app.clone().oneshot(
                Request::post("/upload")
                    .body(Body::from(vec![b'x'; size]))
                    .unwrap(),
            )
        };
        assert_eq!(call(1024).await.unwrap().status(), StatusCode::OK);
        assert_eq!(
            call(1025).await.unwrap().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    /// The attack (slowloris): a client that sends its headers a byte at a
    /// time, or never finishes them, holds a connection for ever. The
    /// server cuts it off after `ReadHeaderTimeout`.
    #[tokio::test]
    async fn a_client_that_trickles_its_headers_is_cut_off() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_with(
            listener,
            stuck(),
            limits(),
            std::future::pending(),
        ));
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the connection is still open after 5 s");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    /// A shutdown does not wait for ever on a stuck request: after
    /// `ShutdownTimeout` the server returns.
    #[tokio::test]
    async fn shutdown_waits_no_longer_than_its_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = HttpLimits {
            timeout: 0,
            ..limits()
        };
        let server = tokio::spawn(async move {
            serve_with(listener, stuck(), limits, async {
                let _ = stopped.await;
            })
            .await
        });
        let client = tokio::spawn(crate::http::raw_get(addr, "/stuck"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(3), server)
            .await
            .expect("the server stopped")
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250));
        client.abort();
    }

    /// Lines a handler logs carry the request's id and, traced, its trace
    /// id and its own span id, in plain text and in JSON: what a log search
    /// for one trace finds.
    #[tokio::test]
    async fn log_lines_inside_a_request_carry_its_trace() {
        use crate::telemetry::testing::Lines;
        crate::trace::testing::collector();

        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let caller_span = "00f067aa0ba902b7";
        let call = async || {
            let router = Router::new().route(
                "/log",
                get(|| async {
                    tracing::info!("inside the handler");
                    "ok"
                }),
            );
            let req = Request::get("/log")
                .header("traceparent", format!("00-{trace}-{caller_span}-01"))
                .header("x-request-id", "rid-1")
                .body(Body::empty())
                .unwrap();
            app(router).oneshot(req).await.unwrap();
        };

        let plain = Lines::default();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(plain.writer())
            .finish();
        {
            let _on = tracing::subscriber::set_default(subscriber);
            call().await;
        }
        let text = plain.text();
        let line = text
            .lines()
            .find(|l| l.contains("inside the handler"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains(&format!("trace_id={trace}")), "{line}");
        assert!(line.contains("request_id=rid-1"), "{line}");
        // The request's own span, a child of the caller's.
        assert!(
            line.contains("span_id=") && !line.contains(caller_span),
            "{line}"
        );

        // In the services' own JSON format.
        let json = Lines::default();
        let subscriber =
            crate::telemetry::json_lines(tracing_subscriber::fmt().with_writer(json.writer()))
                .finish();
        {
            let _on = tracing::subscriber::set_default(subscriber);
            call().await;
        }
        let text = json.text();
        let line: serde_json::Value = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["message"] == "inside the handler")
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(line["span"]["trace_id"], trace, "{line}");
        assert_eq!(line["span"]["request_id"], "rid-1", "{line}");
    }
}
