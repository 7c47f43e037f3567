//! The gRPC half of the runtime (feature `rpc`): what generated RPC crates
//! call.
//!
//! - [`serve`] starts a service with `grpc.health.v1` health, server
//!   reflection, metrics and a log line per call, and graceful shutdown.
//! - Business errors cross the wire: the server puts the looklook code in
//!   the `x-looklook-code` metadata, and [`Error::from_status`] on the client
//!   turns it back into the same [`Error`], so an API service answers with
//!   the same `{code,msg}`.
//! - Calls carry the caller's request id and W3C `traceparent` in metadata.
//! - [`channel`] builds a client transport from config: endpoints balanced
//!   by latency, a breaker per method, connections made lazily (a caller
//!   may start before the service it calls), and a deadline on every call
//!   ([`transport`]).
//! - The server guards every call as zrpc does: adaptive load shedding
//!   (`CpuThreshold`), `Timeout` and `MethodTimeouts`, bounded by the
//!   deadline the caller sent, which the logic sees in its `RequestCtx`.

#[cfg(test)]
mod resilience_tests;
mod transport;

pub use transport::Transport;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;

use serde::Deserialize;
use tokio::net::TcpListener;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Endpoint;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Status};
use tower::discover::Change;
use tower::{Layer, Service};

use crate::config::{Mode, ServiceConf};
use crate::ctx::{Deadline, RequestCtx};
use crate::resilience::{Pass, Shedder};
use crate::telemetry::{self, MetricCache};
use crate::trace::CallSpan;
use crate::{Error, codes};
use opentelemetry::KeyValue;

pub use tokio_stream::Stream;
pub use tonic::Streaming;

/// What a streaming method returns: any stream of messages or errors.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A stream that ends at once: what a streaming method's stub returns.
pub fn empty_stream<T: Send + 'static>() -> BoxStream<T> {
    Box::pin(tokio_stream::empty())
}

const CODE_KEY: &str = "x-looklook-code";
const CALLER_KEY: &str = "x-looklook-caller-key";
const REQUEST_ID_KEY: &str = "x-request-id";
const TRACEPARENT_KEY: &str = "traceparent";

/// What every gRPC service needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RpcServerConf {
    /// `Name`, `Log`, `Prometheus`, `Telemetry`: what every process has.
    #[serde(flatten)]
    pub service: ServiceConf,
    /// `host:port`, such as `0.0.0.0:9000`.
    pub listen_on: String,
    /// Per-call time limit in milliseconds; none when 0. A caller's
    /// shorter deadline wins.
    #[serde(default)]
    pub timeout: u64,
    /// Time limits of single methods, over `Timeout`: a slow report need
    /// not raise every method's limit.
    #[serde(default)]
    pub method_timeouts: Vec<MethodTimeout>,
    /// CPU use, in permille, over which calls that would queue are shed
    /// (`Unavailable`) instead: adaptive load shedding. 0 turns it off.
    #[serde(default = "crate::config::default_cpu_threshold")]
    pub cpu_threshold: u64,
    /// Milliseconds calls in flight get to finish after SIGTERM.
    #[serde(default = "crate::config::default_shutdown_timeout")]
    pub shutdown_timeout: u64,
    /// The deployment's caller key: when set, a call without it is refused
    /// (`PermissionDenied`), so that only the deployment's own services can
    /// call. Outside dev mode a weak or committed key stops the start.
    #[serde(default)]
    pub caller_key: Option<String>,
    /// TLS on the port; with `ClientCaFile`, mutual TLS: a caller without
    /// a certificate that CA signed cannot even connect.
    #[serde(default)]
    pub tls: Option<ServerTls>,
}

/// `Tls` of a server: PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerTls {
    pub cert_file: String,
    pub key_file: String,
    /// The CA its callers' certificates must be signed by.
    #[serde(default)]
    pub client_ca_file: Option<String>,
}

/// `Tls` of a client: PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientTls {
    /// The CA the server's certificate must be signed by (the only one
    /// trusted: a deployment's own CA, not the public ones).
    pub ca_file: String,
    /// This service's certificate and key, for a server that asks.
    #[serde(default)]
    pub cert_file: Option<String>,
    #[serde(default)]
    pub key_file: Option<String>,
    /// The name the server's certificate must carry [default: the
    /// endpoint's host].
    #[serde(default)]
    pub domain: Option<String>,
}

fn read_pem(what: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read the TLS {what} {path}: {e}"))
}

impl ServerTls {
    fn config(&self) -> anyhow::Result<tonic::transport::ServerTlsConfig> {
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let identity = Identity::from_pem(
            read_pem("certificate", &self.cert_file)?,
            read_pem("key", &self.key_file)?,
        );
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca_file {
            config = config.client_ca_root(Certificate::from_pem(read_pem("client CA", ca)?));
        }
        Ok(config)
    }
}

impl ClientTls {
    fn config(&self, host: &str) -> anyhow::Result<tonic::transport::ClientTlsConfig> {
        use tonic::transport::{Certificate, ClientTlsConfig, Identity};
        let mut config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read_pem("CA", &self.ca_file)?))
            .domain_name(self.domain.as_deref().unwrap_or(host));
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                config = config.identity(Identity::from_pem(
                    read_pem("certificate", cert)?,
                    read_pem("key", key)?,
                ));
            }
            (None, None) => {}
            _ => anyhow::bail!("Tls needs both CertFile and KeyFile, or neither"),
        }
        Ok(config)
    }
}

/// One method's time limit (zrpc's `MethodTimeouts` entry).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MethodTimeout {
    /// The method's full name: `/package.Service/Method`.
    pub full_method: String,
    /// Milliseconds.
    pub timeout: u64,
}

/// The guards of a client, each on by default (zrpc's `Middlewares`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientMiddlewares {
    /// A breaker per method: a failing method is refused at once.
    #[serde(default = "yes")]
    pub breaker: bool,
}

impl Default for ClientMiddlewares {
    fn default() -> Self {
        ClientMiddlewares { breaker: true }
    }
}

fn yes() -> bool {
    true
}

/// How to reach a gRPC service.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RpcClientConf {
    /// `host:port` of each instance; calls are balanced over them.
    pub endpoints: Vec<String>,
    /// Deadline of each call in milliseconds.
    #[serde(default = "default_client_timeout")]
    pub timeout: u64,
    /// The called service's `CallerKey`, sent with every call.
    #[serde(default)]
    pub key: Option<String>,
    /// Which guards the client runs.
    #[serde(default)]
    pub middlewares: ClientMiddlewares,
    /// TLS to the server (the endpoints are then `https`).
    #[serde(default)]
    pub tls: Option<ClientTls>,
}

fn default_client_timeout() -> u64 {
    2000
}

impl RpcServerConf {
    /// `name` listening on `listen_on`, plain logs, no metrics, no time
    /// limit: what a test or an embedded server starts with.
    pub fn new(name: impl Into<String>, listen_on: impl Into<String>) -> Self {
        RpcServerConf {
            service: ServiceConf::new(name),
            listen_on: listen_on.into(),
            timeout: 0,
            method_timeouts: Vec::new(),
            cpu_threshold: crate::config::default_cpu_threshold(),
            shutdown_timeout: crate::config::default_shutdown_timeout(),
            caller_key: None,
            tls: None,
        }
    }
}

impl RpcClientConf {
    /// One endpoint, the default deadline.
    pub fn new(endpoint: impl Into<String>) -> Self {
        RpcClientConf {
            endpoints: vec![endpoint.into()],
            timeout: default_client_timeout(),
            key: None,
            middlewares: ClientMiddlewares::default(),
            tls: None,
        }
    }
}

/// Serve `routes` until SIGINT or SIGTERM, with health (every name in
/// `services` reported serving) and reflection over `descriptors`.
pub async fn serve(
    conf: &RpcServerConf,
    routes: Routes,
    services: &[&str],
    descriptors: &[u8],
) -> anyhow::Result<()> {
    conf.service.start().await?;
    let listener = TcpListener::bind(&conf.listen_on)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", conf.listen_on))?;
    tracing::info!(service = conf.service.name, addr = %listener.local_addr()?, "serving gRPC");
    serve_with_shutdown(
        conf,
        listener,
        routes,
        services,
        descriptors,
        crate::shutdown::signal(),
    )
    .await?;
    crate::trace::flush();
    tracing::info!(service = conf.service.name, "stopped");
    Ok(())
}

/// [`serve`] on a bound listener until `shutdown` resolves.
pub async fn serve_with_shutdown(
    conf: &RpcServerConf,
    listener: TcpListener,
    routes: Routes,
    services: &[&str],
    descriptors: &[u8],
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    telemetry::prometheus();
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in services {
        health
            .set_service_status(*name, tonic_health::ServingStatus::Serving)
            .await;
    }
    let mut routes = routes.add_service(health_service);
    // Reflection tells anyone who asks every method and message: a
    // developer's tool (grpcurl, Postman, evans), served in dev mode only.
    // Both versions: many clients (grpcio-reflection, evans, older
    // Postman) still ask `v1alpha` only.
    if conf.service.mode == Mode::Dev {
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(descriptors)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        routes = routes
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?);
    }
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &conf.tls {
        builder = builder.tls_config(tls.config()?)?;
    }
    // Once `shutdown` resolves, calls in flight get `ShutdownTimeout`.
    let (stopping, stopped) = tokio::sync::oneshot::channel();
    let callers = CallerCheckLayer(
        conf.caller_key
            .clone()
            .filter(|k| !k.is_empty())
            .map(Arc::from),
    );
    let server = builder
        .layer(callers)
        .layer(ObserveLayer::default())
        .layer(GuardLayer::new(conf))
        .add_routes(routes)
        // No Nagle delay on small replies, as tonic's own `serve` does.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            async {
                shutdown.await;
                let _ = stopping.send(());
            },
        );
    let deadline = Duration::from_millis(conf.shutdown_timeout);
    let overdue = async {
        match stopped.await {
            Ok(()) => tokio::time::sleep(deadline).await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        served = server => served?,
        () = overdue => {
            tracing::warn!(after_ms = conf.shutdown_timeout, "stopped with calls still in flight");
        }
    }
    Ok(())
}

/// The context of a call, for the logic: the caller's `x-request-id` (or a
/// new id) and its `traceparent`.
pub fn ctx<T>(request: &Request<T>) -> RequestCtx {
    let get = |key: &str| request.metadata().get(key).and_then(|v| v.to_str().ok());
    let id = get(REQUEST_ID_KEY).map_or_else(|| uuid::Uuid::new_v4().to_string(), String::from);
    let mut ctx = RequestCtx::with_request_id(&id);
    ctx.deadline = request.extensions().get::<Deadline>().copied();
    match get(TRACEPARENT_KEY) {
        Some(tp) => ctx.with_traceparent(tp),
        None => ctx,
    }
}

/// A request carrying the caller's request id, trace context and what is
/// left of its deadline, for a unary client call.
pub fn request<T>(ctx: &RequestCtx, message: T) -> Request<T> {
    let mut r = Request::new(message);
    r.extensions_mut().insert(transport::Unary);
    if let Some(deadline) = ctx.deadline() {
        // Past it already: the call fails at once rather than being sent.
        let left = deadline.saturating_duration_since(Instant::now());
        r.set_timeout(left.max(Duration::from_micros(1)));
    }
    let pass = [
        (REQUEST_ID_KEY, Some(ctx.request_id())),
        (TRACEPARENT_KEY, ctx.traceparent()),
    ];
    for (key, value) in pass {
        if let Some(Ok(v)) = value.filter(|v| !v.is_empty()).map(MetadataValue::try_from) {
            r.metadata_mut().insert(key, v);
        }
    }
    r
}

/// What generated clients call through: the transport, with the caller
/// key added to every call.
pub type Client = InterceptedService<Transport, AddCallerKey>;

/// A generated client's transport for `conf`: [`channel`], sending
/// `conf.key` with every call.
pub fn client(conf: &RpcClientConf) -> Result<Client, Error> {
    let key = conf
        .key
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse::<MetadataValue<Ascii>>().map_err(|_| {
                Error::internal(
                    codes::SERVER_COMMON_ERROR,
                    anyhow::anyhow!("the caller key is not printable ASCII"),
                )
            })
        })
        .transpose()?;
    Ok(InterceptedService::new(channel(conf)?, AddCallerKey(key)))
}

/// Puts the deployment's caller key on a call.
#[derive(Clone)]
pub struct AddCallerKey(Option<MetadataValue<Ascii>>);

impl Interceptor for AddCallerKey {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(key) = &self.0 {
            request.metadata_mut().insert(CALLER_KEY, key.clone());
        }
        Ok(request)
    }
}

/// How often a client looks its endpoints' names up again, so that pods
/// coming and going behind a headless Service are found and dropped.
pub const RESOLVE_EVERY: Duration = Duration::from_secs(5);

/// Looks a `host:port` up: the system's resolver, or a test's.
pub type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

fn system_lookup() -> Lookup {
    Arc::new(|name| Box::pin(async move { Ok(tokio::net::lookup_host(name).await?.collect()) }))
}

/// A client transport for `conf` ([`Transport`]): lazy, balanced over
/// every endpoint, with a deadline on every call. An endpoint given by name
/// (`usercenter-rpc:50051`) is looked up now and every [`RESOLVE_EVERY`],
/// and calls are balanced over every address it has: a headless Service
/// gives one a pod. Addresses are used as given.
pub fn channel(conf: &RpcClientConf) -> Result<Transport, Error> {
    channel_with(conf, system_lookup(), RESOLVE_EVERY)
}

/// [`channel`], with the lookup and its interval given.
pub fn channel_with(
    conf: &RpcClientConf,
    lookup: Lookup,
    every: Duration,
) -> Result<Transport, Error> {
    let timeout = Duration::from_millis(conf.timeout);
    let bad = |e: &str, err: String| {
        Error::internal(
            codes::SERVER_COMMON_ERROR,
            anyhow::anyhow!("bad endpoint `{e}`: {err}"),
        )
    };
    let tls = conf.tls.clone();
    let scheme = if tls.is_some() { "https" } else { "http" };
    // `host` is the name the server's certificate is checked against: a
    // looked-up address keeps its name's.
    let endpoint = move |uri: String, host: &str| -> Result<Endpoint, String> {
        // The call's deadline is the transport's, for the whole call; the
        // endpoint only bounds making a connection.
        let ep = Endpoint::from_shared(uri)
            .map_err(|e| e.to_string())?
            .connect_timeout(timeout);
        match &tls {
            Some(tls) => {
                let config = tls.config(host).map_err(|e| e.to_string())?;
                ep.tls_config(config).map_err(|e| e.to_string())
            }
            None => Ok(ep),
        }
    };
    let mut fixed = Vec::new();
    let mut names = Vec::new();
    for e in &conf.endpoints {
        let uri = if e.contains("://") {
            e.clone()
        } else {
            format!("{scheme}://{e}")
        };
        let parsed: tonic::codegen::http::Uri =
            uri.parse().map_err(|err| bad(e, format!("{err}")))?;
        let host = parsed
            .host()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_string();
        let ep = endpoint(uri.clone(), &host).map_err(|err| bad(e, err))?;
        let authority = ep.uri().authority().map(|a| a.as_str().to_string());
        let host = ep.uri().host().unwrap_or_default().trim_matches(['[', ']']);
        match (host.parse::<std::net::IpAddr>(), authority) {
            (Err(_), Some(authority)) if ep.uri().port_u16().is_some() => names.push(authority),
            _ => fixed.push(ep),
        }
    }
    if fixed.is_empty() && names.is_empty() {
        return Err(Error::internal(
            codes::SERVER_COMMON_ERROR,
            anyhow::anyhow!("no endpoints configured"),
        ));
    }
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
        Error::internal(
            codes::SERVER_COMMON_ERROR,
            anyhow::anyhow!("an RPC client is made inside the async runtime"),
        )
    })?;
    let (changes, announced) = tokio::sync::mpsc::channel(64);
    let transport = Transport::new(announced, conf.middlewares.breaker, timeout);
    for ep in fixed {
        let key = ep.uri().to_string();
        let _ = changes.try_send(Change::Insert(key, ep.connect_lazy()));
    }
    if names.is_empty() {
        // Nothing to follow: the balancer keeps what it was given.
        return Ok(transport);
    }
    runtime.spawn(async move {
        let mut known: std::collections::BTreeSet<String> = Default::default();
        loop {
            for name in &names {
                let found = match lookup(name.clone()).await {
                    Ok(addrs) => addrs,
                    Err(e) => {
                        // Keep what works: a failed lookup removes nothing.
                        tracing::warn!(endpoint = %name, error = %e, "lookup failed");
                        continue;
                    }
                };
                let now: std::collections::BTreeSet<String> =
                    found.iter().map(|a| format!("{name}={a}")).collect();
                let gone: Vec<String> = known
                    .iter()
                    .filter(|k| k.starts_with(&format!("{name}=")) && !now.contains(*k))
                    .cloned()
                    .collect();
                for key in gone {
                    known.remove(&key);
                    if changes.send(Change::Remove(key)).await.is_err() {
                        return;
                    }
                }
                for addr in &found {
                    let key = format!("{name}={addr}");
                    if known.contains(&key) {
                        continue;
                    }
                    let host = name.rsplit_once(':').map_or(name.as_str(), |(h, _)| h);
                    let Ok(ep) = endpoint(format!("{scheme}://{addr}"), host) else {
                        continue;
                    };
                    known.insert(key.clone());
                    let channel = ep.connect_lazy();
                    if changes
                        .send(Change::Insert(key.clone(), channel))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            tokio::time::sleep(every).await;
            // Every clone of the channel is gone: so is its client.
            if changes.is_closed() {
                return;
            }
        }
    });
    Ok(transport)
}

/// What every call goes through before the logic, as zrpc's server
/// interceptors: the load shedder, then the time limit (the method's,
/// else the server's `Timeout`, shortened by the caller's deadline). The
/// deadline is put in the request, where [`ctx`] finds it.
#[derive(Clone)]
struct GuardLayer {
    shedder: Option<Arc<Shedder>>,
    timeout: Option<Duration>,
    method_timeouts: Arc<std::collections::HashMap<String, Duration>>,
    shed: metrics::Counter,
}

impl GuardLayer {
    fn new(conf: &RpcServerConf) -> Self {
        GuardLayer {
            shedder: (conf.cpu_threshold > 0).then(|| Shedder::new(conf.cpu_threshold)),
            timeout: (conf.timeout > 0).then(|| Duration::from_millis(conf.timeout)),
            method_timeouts: Arc::new(
                conf.method_timeouts
                    .iter()
                    .map(|m| (m.full_method.clone(), Duration::from_millis(m.timeout)))
                    .collect(),
            ),
            shed: metrics::counter!("shed_total", "server" => "grpc"),
        }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
struct Guard<S> {
    inner: S,
    layer: GuardLayer,
}

impl<S, B, R> Service<axum::http::Request<B>> for Guard<S>
where
    S: Service<axum::http::Request<B>, Response = axum::http::Response<R>, Error = Infallible>,
    R: Default,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: axum::http::Request<B>) -> Self::Future {
        let pass = match &self.layer.shedder {
            None => None,
            Some(shedder) => match shedder.allow() {
                Some(pass) => Some(pass),
                None => {
                    self.layer.shed.increment(1);
                    let status = Status::unavailable("the service is overloaded, try again later");
                    return GuardFuture::answered(status);
                }
            },
        };
        let own = match self.layer.method_timeouts.get(req.uri().path()) {
            Some(limit) => Some(*limit),
            None => self.layer.timeout,
        };
        let limit = match (own, transport::grpc_timeout(&req)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let deadline = limit.map(|limit| tokio::time::Instant::now() + limit);
        if let Some(at) = deadline {
            req.extensions_mut().insert(Deadline(at.into_std()));
        }
        GuardFuture {
            inner: Some(self.inner.call(req)),
            sleep: deadline.map(tokio::time::sleep_until),
            pass,
            answer: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The call, racing its deadline.
    struct GuardFuture<F> {
        #[pin]
        inner: Option<F>,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        pass: Option<Pass>,
        answer: Option<Status>,
    }
}

impl<F> GuardFuture<F> {
    /// A call answered without the logic: shed.
    fn answered(status: Status) -> Self {
        GuardFuture {
            inner: None,
            sleep: None,
            pass: None,
            answer: Some(status),
        }
    }
}

impl<F, R> Future for GuardFuture<F>
where
    F: Future<Output = Result<axum::http::Response<R>, Infallible>>,
    R: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(status) = this.answer.take() {
            return Poll::Ready(Ok(status.into_http()));
        }
        if let Some(inner) = this.inner.as_mut().as_pin_mut()
            && let Poll::Ready(Ok(resp)) = inner.poll(cx)
        {
            if let Some(pass) = this.pass.take() {
                pass.done(true);
            }
            return Poll::Ready(Ok(resp));
        }
        if let Some(sleep) = this.sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            // The logic's future is dropped here: its work stops at its
            // next await.
            this.inner.set(None);
            let status = Status::deadline_exceeded("the call took longer than its deadline");
            return Poll::Ready(Ok(status.into_http()));
        }
        Poll::Pending
    }
}

/// A business error leaves the server with its code in the metadata; an
/// internal one leaves as `Internal` with the details logged, not sent.
impl From<Error> for Status {
    fn from(e: Error) -> Status {
        let code = e.code_value();
        let grpc = match code {
            codes::REQUEST_PARAM_ERROR => Code::InvalidArgument,
            codes::TOKEN_EXPIRE_ERROR => Code::Unauthenticated,
            _ if e.has_cause() => Code::Internal,
            _ => Code::Unknown,
        };
        e.log();
        let mut status = Status::new(grpc, e.message());
        if let Ok(v) = MetadataValue::try_from(code.to_string()) {
            status.metadata_mut().insert(CODE_KEY, v);
        }
        status
    }
}

impl Error {
    /// The error a server sent, as it was there: a refusal (a business
    /// error) stays a refusal; a failure (`Internal`: the server's database
    /// or Redis, say) stays a failure, with the status as its cause, so a
    /// caller that retries failures ([`Error::has_cause`]) retries it.
    /// Anything else (a dead server, a deadline, a status without a code) is
    /// a failure too (100001).
    pub fn from_status(status: Status) -> Error {
        let code = status
            .metadata()
            .get(CODE_KEY)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok());
        match code {
            Some(code) if status.code() == Code::Internal => Error::internal(code, status),
            Some(code) => Error::new(code, status.message().to_string()),
            None => Error::internal(codes::SERVER_COMMON_ERROR, status),
        }
    }
}

/// Per call: a span, a log line and two metrics, by method and gRPC status
/// code. The code is read from the response headers, where tonic puts it for
/// unary errors; calls without one there ended `OK` or failed mid-stream.
#[derive(Clone)]
struct ObserveLayer {
    metrics: Arc<MetricCache<Bytes>>,
}

/// Refuses a call without the deployment's caller key (when one is
/// configured) before anything else sees it. Health checks pass without
/// it: probes and load balancers do not have the key.
#[derive(Clone)]
struct CallerCheckLayer(Option<Arc<str>>);

impl<S> Layer<S> for CallerCheckLayer {
    type Service = CallerCheck<S>;

    fn layer(&self, inner: S) -> CallerCheck<S> {
        CallerCheck {
            inner,
            key: self.0.clone(),
        }
    }
}

#[derive(Clone)]
struct CallerCheck<S> {
    inner: S,
    key: Option<Arc<str>>,
}

impl<S, B, R> Service<axum::http::Request<B>> for CallerCheck<S>
where
    S: Service<axum::http::Request<B>, Response = axum::http::Response<R>, Error = Infallible>,
    R: Default,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = Checked<S::Future, S::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let allowed = match &self.key {
            None => true,
            Some(key) => {
                req.uri().path().starts_with("/grpc.health.")
                    || req
                        .headers()
                        .get(CALLER_KEY)
                        .is_some_and(|given| same(given.as_bytes(), key.as_bytes()))
            }
        };
        if allowed {
            Checked::Allowed {
                inner: self.inner.call(req),
            }
        } else {
            let refused =
                Status::permission_denied("this service only answers its deployment's callers");
            Checked::Refused {
                answer: Some(refused.into_http()),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The call, or the refusal ready at once.
    #[project = CheckedProj]
    enum Checked<F, R> {
        Allowed { #[pin] inner: F },
        Refused { answer: Option<R> },
    }
}

impl<F, R> Future for Checked<F, R>
where
    F: Future<Output = Result<R, Infallible>>,
{
    type Output = Result<R, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CheckedProj::Allowed { inner } => inner.poll(cx),
            CheckedProj::Refused { answer } => {
                Poll::Ready(Ok(answer.take().expect("polled after it was ready")))
            }
        }
    }
}

/// Equal, in a time that depends on the lengths only: how long a refusal
/// takes tells nothing about how much of a guessed key was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Default for ObserveLayer {
    fn default() -> Self {
        ObserveLayer {
            metrics: Arc::new(MetricCache::new(
                "grpc_server_handled_total",
                "grpc_server_handling_seconds",
            )),
        }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
struct Observe<S> {
    inner: S,
    metrics: Arc<MetricCache<Bytes>>,
}

impl<S, B, R> Service<axum::http::Request<B>> for Observe<S>
where
    S: Service<axum::http::Request<B>, Response = axum::http::Response<R>, Error = Infallible>,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = ObserveFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: axum::http::Request<B>) -> Self::Future {
        let uri = req.uri().clone();
        // The call's trace span; the logic sees it as the parent of the
        // calls it makes.
        let traced = CallSpan::server(
            || uri.path().trim_start_matches('/').to_string(),
            req.headers()
                .get(TRACEPARENT_KEY)
                .and_then(|v| v.to_str().ok()),
            || {
                vec![
                    KeyValue::new("rpc.system", "grpc"),
                    KeyValue::new("rpc.method", uri.path().to_string()),
                ]
            },
        );
        let traceparent = traced.traceparent();
        // Everything the call logs happens inside its log span.
        let request_id = req.headers().get(REQUEST_ID_KEY);
        let span = crate::trace::log_span(
            "rpc",
            request_id.and_then(|v| v.to_str().ok()).unwrap_or_default(),
            traceparent.as_deref(),
        );
        span.record("method", tracing::field::display(uri.path()));
        if let Some(tp) = traceparent.and_then(|tp| tp.parse().ok()) {
            req.headers_mut().insert(TRACEPARENT_KEY, tp);
        }
        let inner = span.in_scope(|| self.inner.call(req));
        ObserveFuture {
            inner,
            start: Instant::now(),
            uri,
            span,
            traced: Some(traced),
            metrics: self.metrics.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The call's own future, wrapped in place (no box, no copy) and timed.
    struct ObserveFuture<F> {
        #[pin]
        inner: F,
        start: Instant,
        uri: axum::http::Uri,
        span: tracing::Span,
        traced: Option<CallSpan>,
        metrics: Arc<MetricCache<Bytes>>,
    }
}

impl<F, R> Future for ObserveFuture<F>
where
    F: Future<Output = Result<axum::http::Response<R>, Infallible>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let Poll::Ready(Ok(resp)) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        let secs = this.start.elapsed().as_secs_f64();
        let code = resp
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
            .unwrap_or(0);
        let method = this.uri.path();
        // A path the server has no method for is answered Unimplemented:
        // labelled `other`, so a caller cannot mint a series per path.
        let label = match Code::from_i32(code) {
            Code::Unimplemented => "other",
            _ => method,
        };
        this.metrics.record(
            label.as_bytes(),
            code as u32,
            || Bytes::copy_from_slice(label.as_bytes()),
            || {
                vec![
                    ("method", label.to_owned()),
                    ("code", format!("{:?}", Code::from_i32(code))),
                ]
            },
            secs,
        );
        if let Some(traced) = this.traced.take() {
            traced.end(
                [KeyValue::new("rpc.grpc.status_code", i64::from(code))],
                code != 0,
            );
        }
        tracing::info!(target: "access", method, code, latency_ms = secs * 1e3, "rpc");
        Poll::Ready(Ok(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_errors_survive_the_wire() {
        let status = Status::from(Error::new(100005, "the database is busy"));
        assert_eq!(status.code(), Code::Unknown);
        let back = Error::from_status(status);
        assert_eq!(
            (back.code_value(), back.message()),
            (100005, "the database is busy")
        );

        let status = Status::from(Error::bad_param("`sn` is empty"));
        assert_eq!(status.code(), Code::InvalidArgument);

        let status = Status::from(Error::from(std::io::Error::other("disk on fire")));
        assert_eq!(status.code(), Code::Internal);
        assert!(
            !status.message().contains("disk"),
            "internal details stay on the server"
        );
        // A failure stays a failure on the caller's side: worth a retry.
        let back = Error::from_status(status);
        assert!(back.has_cause(), "{back:?}");
        assert_eq!(back.code_value(), codes::SERVER_COMMON_ERROR);
        let refusal = Error::from_status(Status::from(Error::msg("no such order")));
        assert!(!refusal.has_cause(), "{refusal:?}");

        let lost = Error::from_status(Status::unavailable("connection refused"));
        assert_eq!(lost.code_value(), codes::SERVER_COMMON_ERROR);
    }

    #[test]
    fn request_ids_travel_in_metadata() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = RequestCtx::with_request_id("abc-123").with_traceparent(tp);
        let r = request(&ctx, ());
        assert_eq!(super::ctx(&r).request_id(), "abc-123");
        assert_eq!(super::ctx(&r).traceparent(), Some(tp));
        assert!(
            !super::ctx(&Request::new(())).request_id().is_empty(),
            "a new id when none came"
        );
    }

    /// One trace from the gateway to the RPC: a handler's call, made with
    /// its `RequestCtx`, is a span whose parent is the request's span.
    #[tokio::test]
    async fn a_call_from_a_handler_is_a_child_of_the_request_span() {
        use axum::routing::get;
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_client::HealthClient;

        use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

        use crate::trace::testing::{collector, get_traced, hex, int_attribute};

        let collector = collector();
        let rpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rpc_addr = rpc.local_addr().unwrap().to_string();
        let conf = RpcServerConf::new("probe-rpc", rpc_addr.clone());
        tokio::spawn(async move {
            let routes = Routes::default();
            let shutdown = std::future::pending();
            serve_with_shutdown(&conf, rpc, routes, &["looklook.Probe"], &[], shutdown).await
        });
        let client = HealthClient::new(channel(&RpcClientConf::new(rpc_addr)).unwrap());
        let router = axum::Router::new().route(
            "/probe",
            get(move |ctx: RequestCtx| {
                let mut client = client.clone();
                async move {
                    let check = HealthCheckRequest {
                        service: "looklook.Probe".into(),
                    };
                    client.check(request(&ctx, check)).await.unwrap();
                    ctx.traceparent().unwrap_or_default().to_string()
                }
            }),
        );
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = http.local_addr().unwrap();
        tokio::spawn(crate::http::serve_with_shutdown(
            http,
            router,
            std::future::pending(),
        ));

        let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let passed_on = get_traced(
            addr,
            "/probe",
            &format!("00-{trace_id}-00f067aa0ba902b7-01"),
        )
        .await;
        let request_span = passed_on.split('-').nth(2).unwrap_or_default().to_string();
        let spans = tokio::task::spawn_blocking(move || collector.spans())
            .await
            .unwrap();
        // The handler's call (a client span, what the handler waited) is a
        // child of the request's span; the server's span is its child.
        let of_kind = |kind: SpanKind| {
            spans
                .iter()
                .map(|(_, s)| s)
                .find(|s| {
                    hex(&s.trace_id) == trace_id
                        && s.name == "grpc.health.v1.Health/Check"
                        && s.kind == kind as i32
                })
                .unwrap_or_else(|| panic!("no {kind:?} span in {spans:?}"))
        };
        let (made, served) = (of_kind(SpanKind::Client), of_kind(SpanKind::Server));
        assert_eq!(hex(&made.parent_span_id), request_span);
        assert_eq!(hex(&served.parent_span_id), hex(&made.span_id));
        assert!(made.start_time_unix_nano <= served.start_time_unix_nano);
        assert!(made.end_time_unix_nano >= served.end_time_unix_nano);
        for span in [made, served] {
            assert_eq!(int_attribute(span, "rpc.grpc.status_code"), Some(0));
        }
    }

    /// One name, several servers: the client balances over every address
    /// the name has, and follows the name when it changes (pods replaced
    /// behind a headless Service). The servers are real; the lookup is the
    /// test's, so the name can have the addresses it needs.
    #[tokio::test]
    async fn a_named_endpoint_is_balanced_over_every_address_and_followed() {
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_client::HealthClient;

        // Three servers; each reports one health name of its own.
        let mut addrs = Vec::new();
        for name in ["a", "b", "c"] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            addrs.push(listener.local_addr().unwrap());
            let conf = RpcServerConf::new(format!("{name}-rpc"), "127.0.0.1:0");
            tokio::spawn(async move {
                let shutdown = std::future::pending();
                serve_with_shutdown(&conf, listener, Routes::default(), &[name], &[], shutdown)
                    .await
            });
        }
        // The name first has a and b; later b and c.
        let answer = Arc::new(std::sync::Mutex::new(vec![addrs[0], addrs[1]]));
        let lookup: Lookup = {
            let answer = answer.clone();
            Arc::new(move |name| {
                assert_eq!(name, "pods.test:50051");
                let now = answer.lock().unwrap().clone();
                Box::pin(async move { Ok(now) })
            })
        };
        let every = Duration::from_millis(100);
        let channel = channel_with(&RpcClientConf::new("pods.test:50051"), lookup, every).unwrap();
        let health = HealthClient::new(channel);
        // Who answered: only the server that reports a name serves it.
        // Eight callers at once: the balancer favours the fastest server
        // until calls pile up on it, so concurrent calls spread.
        let tally = async |rounds: usize| {
            let mut callers = tokio::task::JoinSet::new();
            for _ in 0..8 {
                let mut health = health.clone();
                callers.spawn(async move {
                    let mut seen = std::collections::BTreeMap::new();
                    for _ in 0..rounds {
                        for name in ["a", "b", "c"] {
                            let asked = HealthCheckRequest {
                                service: name.into(),
                            };
                            if health.check(asked).await.is_ok() {
                                *seen.entry(name).or_insert(0) += 1;
                            }
                        }
                    }
                    seen
                });
            }
            let mut seen = std::collections::BTreeMap::new();
            for one in callers.join_all().await {
                for (name, n) in one {
                    *seen.entry(name).or_insert(0) += n;
                }
            }
            seen
        };
        let seen = tally(60).await;
        assert!(
            seen.get("a") > Some(&5) && seen.get("b") > Some(&5),
            "{seen:?}"
        );
        assert_eq!(seen.get("c"), None, "{seen:?}");

        *answer.lock().unwrap() = vec![addrs[1], addrs[2]];
        tokio::time::sleep(every * 5).await;
        let seen = tally(60).await;
        assert!(
            seen.get("b") > Some(&5) && seen.get("c") > Some(&5),
            "{seen:?}"
        );
        assert_eq!(seen.get("a"), None, "a left the name: {seen:?}");
    }

    /// Reflection lists every method and message to whoever asks: served
    /// in dev mode, on `v1` and `v1alpha` (what grpcio-reflection and evans
    /// ask), and outside it (the default) answered Unimplemented.
    #[tokio::test]
    async fn reflection_is_served_in_dev_mode_only() {
        use tonic_reflection::pb::{v1, v1alpha};

        for mode in [Mode::Pro, Mode::Dev] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            let mut conf = RpcServerConf::new("probe-rpc", addr.clone());
            conf.service.mode = mode;
            tokio::spawn(async move {
                let shutdown = std::future::pending();
                serve_with_shutdown(&conf, listener, Routes::default(), &[], &[], shutdown).await
            });
            let channel = channel(&RpcClientConf::new(addr)).unwrap();
            let ask = v1::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
                    String::new(),
                )),
            };
            let answer = v1::server_reflection_client::ServerReflectionClient::new(channel.clone())
                .server_reflection_info(tokio_stream::iter(vec![ask]))
                .await;
            let ask = v1alpha::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(
                    v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
                ),
            };
            let alpha = v1alpha::server_reflection_client::ServerReflectionClient::new(channel)
                .server_reflection_info(tokio_stream::iter(vec![ask]))
                .await;
            match mode {
                Mode::Dev => {
                    let first = answer.unwrap().into_inner().message().await.unwrap();
                    assert!(
                        format!("{first:?}").contains("grpc.health.v1.Health"),
                        "{first:?}"
                    );
                    let first = alpha.unwrap().into_inner().message().await.unwrap();
                    assert!(
                        format!("{first:?}").contains("grpc.health.v1.Health"),
                        "{first:?}"
                    );
                }
                _ => {
                    assert_eq!(answer.unwrap_err().code(), Code::Unimplemented);
                    assert_eq!(alpha.unwrap_err().code(), Code::Unimplemented);
                }
            }
        }
    }

    /// The attack: anyone who reaches an RPC port calls `generateToken` for
    /// any user. With a caller key configured, a call without it, or with
    /// a wrong one, is refused; the right key (sent by the generated
    /// clients' transport) is answered; health checks need none.
    #[tokio::test]
    async fn calls_without_the_caller_key_are_refused() {
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_client::HealthClient;
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;

        const KEY: &str = "a-caller-key-of-at-least-32-bytes!";
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let mut conf = RpcServerConf::new("keyed-rpc", addr.clone());
        // Dev mode serves reflection: a method to call.
        conf.service.mode = Mode::Dev;
        conf.caller_key = Some(KEY.into());
        tokio::spawn(async move {
            let shutdown = std::future::pending();
            serve_with_shutdown(&conf, listener, Routes::default(), &[], &[], shutdown).await
        });
        for (key, answered) in [
            (None, false),
            (Some("a-caller-key-of-at-least-32-bytes?"), false),
            (Some(KEY), true),
        ] {
            let mut caller = RpcClientConf::new(addr.clone());
            caller.key = key.map(str::to_string);
            let mut reflection = ServerReflectionClient::new(client(&caller).unwrap());
            let ask = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            };
            let answer = reflection
                .server_reflection_info(tokio_stream::iter(vec![ask]))
                .await;
            match answered {
                true => assert!(answer.is_ok(), "{key:?}: {answer:?}"),
                false => assert_eq!(answer.unwrap_err().code(), Code::PermissionDenied),
            }
        }
        let mut health = HealthClient::new(channel(&RpcClientConf::new(addr)).unwrap());
        let check = HealthCheckRequest {
            service: String::new(),
        };
        assert!(health.check(check).await.is_ok());
    }

    /// `openssl` makes a CA and, signed by it, a certificate for `name`
    /// (`server` or `client` use) in `dir`: `<name>.pem` and `<name>.key`.
    fn issue(dir: &std::path::Path, ca: &str, name: &str, usage: &str) {
        let run = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl is installed (Debian's openssl package)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        if !dir.join(format!("{ca}.pem")).exists() {
            let (out, keyout) = (format!("{ca}.pem"), format!("{ca}.key"));
            run(&[
                &["req", "-x509"][..],
                &key,
                &[
                    "-keyout",
                    &keyout,
                    "-out",
                    &out,
                    "-days",
                    "1",
                    "-subj",
                    &format!("/CN={ca}"),
                ],
            ]
            .concat());
        }
        let (csr, keyout, out) = (
            format!("{name}.csr"),
            format!("{name}.key"),
            format!("{name}.pem"),
        );
        run(&[
            &["req"][..],
            &key,
            &[
                "-keyout",
                &keyout,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
            ],
        ]
        .concat());
        let ext = dir.join(format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage={usage}\n"),
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &out,
            "-days",
            "1",
            "-extfile",
            &ext.to_string_lossy(),
        ]);
    }

    /// Mutual TLS: only a caller with a certificate the deployment's CA
    /// signed gets through. Without TLS, without a certificate, or with
    /// one from another CA, the connection itself fails; a health check
    /// (which needs no caller key) is the call made.
    #[tokio::test]
    async fn mutual_tls_refuses_callers_without_the_deployments_certificate() {
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_client::HealthClient;

        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        issue(d, "ca", "order-rpc", "serverAuth");
        issue(d, "ca", "order-api", "clientAuth");
        issue(d, "other-ca", "intruder", "clientAuth");
        let file = |name: &str| d.join(name).to_string_lossy().into_owned();

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let mut conf = RpcServerConf::new("tls-rpc", addr.clone());
        conf.tls = Some(ServerTls {
            cert_file: file("order-rpc.pem"),
            key_file: file("order-rpc.key"),
            client_ca_file: Some(file("ca.pem")),
        });
        tokio::spawn(async move {
            let shutdown = std::future::pending();
            serve_with_shutdown(&conf, listener, Routes::default(), &[], &[], shutdown).await
        });
        let tls = |cert: Option<&str>| ClientTls {
            ca_file: file("ca.pem"),
            cert_file: cert.map(|c| file(&format!("{c}.pem"))),
            key_file: cert.map(|c| file(&format!("{c}.key"))),
            domain: None,
        };
        for (who, tls, answered) in [
            ("plaintext", None, false),
            ("no certificate", Some(tls(None)), false),
            ("another CA's", Some(tls(Some("intruder"))), false),
            ("the deployment's", Some(tls(Some("order-api"))), true),
        ] {
            let mut caller = RpcClientConf::new(addr.clone());
            caller.tls = tls;
            caller.middlewares.breaker = false;
            let mut health = HealthClient::new(client(&caller).unwrap());
            let answer = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await;
            assert_eq!(answer.is_ok(), answered, "{who}: {answer:?}");
        }
        // A file that is not there is named when the server starts.
        let mut conf = RpcServerConf::new("tls-rpc", "127.0.0.1:0");
        conf.tls = Some(ServerTls {
            cert_file: file("missing.pem"),
            key_file: file("order-rpc.key"),
            client_ca_file: None,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = serve_with_shutdown(&conf, listener, Routes::default(), &[], &[], async {})
            .await
            .unwrap_err();
        assert!(err.to_string().contains("missing.pem"), "{err}");
    }
}
