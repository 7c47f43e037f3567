//! The client side of a call: how it picks a server and what guards it on
//! the way, as a zrpc client does it.
//!
//! - **Balancing**: power of two choices over every endpoint, each scored
//!   by its peak-EWMA latency × (calls in flight + 1): a slow or busy
//!   server gets less traffic without any weights to tune (tower's `p2c`
//!   and `PeakEwma`).
//! - **Endpoints that are down** (the connection fails) lose every
//!   comparison for a moment, and a unary call that could not reach its
//!   server is sent to another one: it never arrived, so sending it again
//!   is safe. With every endpoint down, calls fail at once (`Unavailable`)
//!   rather than wait.
//! - **A breaker per method** ([`Breaker`]): a method that keeps failing
//!   is refused on the client at once (`Unavailable`) instead of waiting
//!   for its deadline.
//! - **The deadline**: the call's `grpc-timeout` (what is left of the
//!   caller's, see [`super::request`]) or the client's `Timeout`, for the
//!   whole call: waiting for a server, every attempt, the answer.
//! - **A client span** when tracing is on: the time the caller waited,
//!   refusals and retries included; the server's span is its child.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use opentelemetry::KeyValue;
use tonic::body::Body;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tower::Service;
use tower::ServiceExt;
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::Change;
use tower::load::{CompleteOnResponse, Load, PeakEwma};
use tower::util::BoxService;

use crate::resilience::Breakers;
use crate::trace::CallSpan;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
type HttpRequest = axum::http::Request<Body>;
type HttpResponse = axum::http::Response<Body>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The latency a new endpoint is assumed to have until it answers.
const DEFAULT_RTT: Duration = Duration::from_millis(10);
/// How fast latencies are forgotten (go-zero's p2c uses 10 s).
const DECAY: Duration = Duration::from_secs(10);
/// An endpoint not picked for this long is picked next, so a server that
/// was slow once gets a chance to show it is fast again (go-zero's p2c).
const FORCE_PICK: Duration = Duration::from_secs(1);
/// How long an endpoint whose connection failed counts as down.
const DOWN_FOR: Duration = Duration::from_millis(500);
/// Tries of a unary call that could not reach a server (go-zero's p2c
/// picks up to three times).
const ATTEMPTS: usize = 3;
/// Calls waiting for a server, per client.
const QUEUE: usize = 1024;

/// Marks a unary call (set by [`super::request`]): its body is one
/// message, so it can be sent again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unary;

/// What generated clients send through: balanced, guarded, bounded.
/// Cheap to clone; clones share the endpoints, their latencies and the
/// breakers.
#[derive(Clone)]
pub struct Transport {
    balanced: Buffer<HttpRequest, BoxFuture<Result<HttpResponse, BoxError>>>,
    breakers: Option<Arc<Breakers>>,
    timeout: Duration,
}

/// A change in the set of endpoints, keyed by address.
pub(crate) type EndpointChange = Change<String, Channel>;

impl Transport {
    /// A transport over the endpoints `changes` announces; `breaker` turns
    /// the per-method breakers on; `timeout` bounds each call.
    pub(crate) fn new(
        changes: tokio::sync::mpsc::Receiver<EndpointChange>,
        breaker: bool,
        timeout: Duration,
    ) -> Transport {
        let discover = tokio_stream::wrappers::ReceiverStream::new(changes);
        let discover = tokio_stream::StreamExt::map(discover, |change| {
            Ok::<_, std::convert::Infallible>(match change {
                Change::Insert(key, channel) => Change::Insert(key, Health::new(channel)),
                Change::Remove(key) => Change::Remove(key),
            })
        });
        let balanced = BoxService::new(Balance::new(discover));
        Transport {
            balanced: Buffer::new(balanced, QUEUE),
            breakers: breaker.then(Default::default),
            timeout,
        }
    }
}

impl Service<HttpRequest> for Transport {
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxFuture<Result<HttpResponse, BoxError>>;

    /// Always ready: each call waits for a server itself, within its
    /// deadline.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: HttpRequest) -> Self::Future {
        // The span of the call, a child of the span it is made from; the
        // call carries the new span's `traceparent` instead.
        let path = req.uri().path();
        let traced = CallSpan::client(
            || path.trim_start_matches('/').to_string(),
            req.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()),
            || {
                vec![
                    KeyValue::new("rpc.system", "grpc"),
                    KeyValue::new("rpc.method", path.to_string()),
                ]
            },
        );
        if let Some(tp) = traced.traceparent().and_then(|tp| tp.parse().ok()) {
            req.headers_mut().insert(TRACEPARENT, tp);
        }
        let breaker = self.breakers.as_ref().map(|b| b.get(req.uri().path()));
        if let Some(b) = &breaker
            && !b.allow()
        {
            let status = Status::unavailable(format!(
                "{} is failing: the circuit breaker refused the call",
                req.uri().path()
            ));
            traced.end(status_attribute(status.code()), true);
            return Box::pin(std::future::ready(Err(Box::new(status) as BoxError)));
        }
        let limit = grpc_timeout(&req).map_or(self.timeout, |t| t.min(self.timeout));
        let balanced = self.balanced.clone();
        Box::pin(async move {
            let result = match tokio::time::timeout(limit, send(balanced, req)).await {
                Ok(Err(e)) if found::<tonic::TimeoutExpired>(&*e) => Err(deadline_exceeded()),
                Ok(result) => result,
                Err(_) => Err(deadline_exceeded()),
            };
            let code = code_of(&result);
            if let Some(b) = breaker {
                b.record(answered(code));
            }
            traced.end(status_attribute(code), code != Code::Ok);
            result
        })
    }
}

const TRACEPARENT: &str = "traceparent";

/// A span's gRPC status, as OpenTelemetry names it.
fn status_attribute(code: Code) -> [KeyValue; 1] {
    [KeyValue::new("rpc.grpc.status_code", code as i64)]
}

/// Sends `req` to the server the balancer picks; a unary call that could
/// not reach it goes to another.
async fn send(
    mut balanced: Buffer<HttpRequest, BoxFuture<Result<HttpResponse, BoxError>>>,
    req: HttpRequest,
) -> Result<HttpResponse, BoxError> {
    if req.extensions().get::<Unary>().is_none() {
        return balanced.ready().await?.call(req).await;
    }
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let mut attempt = 1;
    loop {
        let mut again =
            axum::http::Request::new(Body::new(http_body_util::Full::new(body.clone())));
        *again.method_mut() = parts.method.clone();
        *again.uri_mut() = parts.uri.clone();
        *again.version_mut() = parts.version;
        *again.headers_mut() = parts.headers.clone();
        *again.extensions_mut() = parts.extensions.clone();
        match balanced.ready().await?.call(again).await {
            Err(e) if attempt < ATTEMPTS && never_sent(&*e) => attempt += 1,
            result => return result,
        }
    }
}

/// The status of a call's answer: a refusal comes in the headers (a
/// trailers-only answer); a transport error is `Unavailable`.
fn code_of(result: &Result<HttpResponse, BoxError>) -> Code {
    match result {
        Ok(resp) => resp
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
            .map_or(Code::Ok, Code::from_i32),
        Err(e) => match e.downcast_ref::<Status>() {
            Some(status) => status.code(),
            None => Code::Unavailable,
        },
    }
}

/// Whether the server answered, for the breaker. A business refusal is an
/// answer; a failure of the server or the network is not (go-zero's
/// list: deadline, internal, unavailable, data loss, unimplemented,
/// exhausted).
fn answered(code: Code) -> bool {
    !matches!(
        code,
        Code::DeadlineExceeded
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
            | Code::Unimplemented
            | Code::ResourceExhausted
    )
}

/// The answer to a call out of time: one code, whichever timer fired.
fn deadline_exceeded() -> BoxError {
    Box::new(Status::deadline_exceeded("the call ran out of time"))
}

/// Whether an error says the call never left: no connection was made.
fn never_sent(e: &(dyn std::error::Error + 'static)) -> bool {
    found::<tonic::ConnectError>(e)
}

/// Whether `e` or any error under it is an `E`.
fn found<E: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(e) = source {
        if e.is::<E>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The `grpc-timeout` a call carries: a number and a unit (`H`, `M`, `S`,
/// `m`, `u`, `n`).
pub(crate) fn grpc_timeout<B>(req: &axum::http::Request<B>) -> Option<Duration> {
    let value = req.headers().get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// One endpoint, scored by its latency; after its connection failed it
/// counts as down for [`DOWN_FOR`] and loses every comparison.
struct Health {
    inner: PeakEwma<Channel, CompleteOnResponse>,
    /// Until when it is down, in milliseconds since [`epoch`].
    down_until: Arc<AtomicU64>,
    /// When it was last picked, in milliseconds since [`epoch`].
    picked: u64,
}

/// The instant the down times count from.
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

impl Health {
    fn new(channel: Channel) -> Self {
        let decay = DECAY.as_nanos() as f64;
        Health {
            inner: PeakEwma::new(channel, DEFAULT_RTT, decay, CompleteOnResponse::default()),
            down_until: Arc::new(AtomicU64::new(0)),
            picked: now_ms(),
        }
    }
}

impl Load for Health {
    /// Compared in order: up beats down, long unpicked beats recently
    /// picked, then the lower latency × (in flight + 1) wins.
    type Metric = (bool, bool, <PeakEwma<Channel> as Load>::Metric);

    fn load(&self) -> Self::Metric {
        let now = now_ms();
        let down = self.down_until.load(Ordering::Relaxed) > now;
        let recent = now.saturating_sub(self.picked) <= FORCE_PICK.as_millis() as u64;
        (down, recent, self.inner.load())
    }
}

impl Service<HttpRequest> for Health {
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxFuture<Result<HttpResponse, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        self.picked = now_ms();
        let down_until = self.down_until.clone();
        let call = self.inner.call(req);
        Box::pin(async move {
            let result = call.await;
            if result.is_err() {
                let until = now_ms() + DOWN_FOR.as_millis() as u64;
                down_until.store(until, Ordering::Relaxed);
            }
            result.map_err(Into::into)
        })
    }
}

/// The breaker of each method, for tests.
#[cfg(test)]
impl Transport {
    pub(crate) fn breaker(&self, method: &str) -> Option<Arc<crate::resilience::Breaker>> {
        self.breakers.as_ref().map(|b| b.get(method))
    }

    /// The same transport with breakers over a short window.
    pub(crate) fn with_breaker_window(mut self, window: Duration) -> Self {
        self.breakers = Some(Arc::new(Breakers::with_window(window)));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_are_read_in_every_unit() {
        let with = |v: &str| {
            let req = axum::http::Request::builder()
                .header("grpc-timeout", v)
                .body(())
                .unwrap();
            grpc_timeout(&req)
        };
        assert_eq!(with("1500m"), Some(Duration::from_millis(1500)));
        assert_eq!(with("2S"), Some(Duration::from_secs(2)));
        assert_eq!(with("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(with("7u"), Some(Duration::from_micros(7)));
        assert_eq!(with("x"), None);
        assert_eq!(with(""), None);
    }
}
