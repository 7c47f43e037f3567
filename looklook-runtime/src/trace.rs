//! Traces: a server span for every HTTP request and every RPC call, and a
//! client span for every RPC call made, sent over OTLP/gRPC (Jaeger takes
//! it on 4317) when `Telemetry.Endpoint` is set. A span continues the
//! caller's W3C `traceparent`, and the request is handed on with the
//! span's own `traceparent`, so the calls a handler makes (through
//! `RequestCtx`) become its children: one trace from the gateway to the
//! last RPC, where each call shows both the time the caller waited (client
//! span) and the time the server worked (its server span, a child).
//!
//! With no endpoint nothing is set up and a request costs one atomic load.

use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};

use crate::config::TelemetryConf;

mod otlp;

const TRACEPARENT: &str = "traceparent";

struct Installed {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Start exporting spans of `service` to `conf.endpoint`; nothing when the
/// endpoint is empty or tracing is already set up. Call it inside the
/// Tokio runtime: the gRPC exporter runs there.
pub fn init(service: &str, conf: &TelemetryConf) -> anyhow::Result<()> {
    let Some(endpoint) = conf.endpoint.as_deref().filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let resource = Resource::builder()
        .with_service_name(service.to_string())
        .build();
    let exporter = otlp::OtlpExporter::new(endpoint, &resource)
        .map_err(|e| anyhow::anyhow!("cannot send traces to {endpoint}: {e}"))?;
    // A caller's decision to sample wins; new traces keep `Sampler` of them.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
        conf.sampler.clamp(0.0, 1.0),
    )));
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("looklook");
    let _ = INSTALLED.set(Installed { provider, tracer });
    tracing::info!(endpoint, "sending traces");
    Ok(())
}

/// Send the spans still buffered; the servers call it once they have stopped.
pub fn flush() {
    if let Some(installed) = INSTALLED.get()
        && let Err(e) = installed.provider.force_flush()
    {
        tracing::warn!(error = %e, "traces not sent");
    }
}

/// A request's one `traceparent` header, as the propagator reads it: no
/// map to build for every request.
struct Carrier<'a>(Option<&'a str>);

impl Extractor for Carrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.filter(|_| key == TRACEPARENT)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.map(|_| TRACEPARENT).into_iter().collect()
    }
}

/// The log span of one request or call: every line logged while it is
/// handled carries its request id and, when it is traced, its trace and
/// span ids (`trace_id`, `span_id`), as go-zero's logx puts them on each
/// line, so a log search finds the lines of one trace. Costs nothing when
/// `info` is not logged. An RPC records its `method` in it too.
pub(crate) fn log_span(
    kind: &'static str,
    request_id: &str,
    traceparent: Option<&str>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        kind = %kind,
        request_id = %request_id,
        method = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty
    );
    if span.is_disabled() {
        return span;
    }
    // `00-<trace id>-<span id>-<flags>`
    let mut parts = traceparent.unwrap_or_default().split('-').skip(1);
    if let (Some(trace), Some(own)) = (parts.next(), parts.next()) {
        span.record("trace_id", tracing::field::display(trace));
        span.record("span_id", tracing::field::display(own));
    }
    span
}

/// The span of one request or call, ended by [`CallSpan::end`].
pub struct CallSpan {
    cx: Option<Context>,
}

impl CallSpan {
    /// Start the span of a request or call served, as a child of the
    /// caller's `traceparent` (a new trace without one). `name` and
    /// `attributes` are called only when tracing is on.
    pub fn server(
        name: impl FnOnce() -> String,
        traceparent: Option<&str>,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> CallSpan {
        Self::start(SpanKind::Server, name, traceparent, attributes)
    }

    /// Start the span of a call made, as a child of `traceparent` (the
    /// span it is made from); the call goes out with this span's
    /// [`traceparent`](Self::traceparent), so the server's span is its
    /// child.
    pub fn client(
        name: impl FnOnce() -> String,
        traceparent: Option<&str>,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> CallSpan {
        Self::start(SpanKind::Client, name, traceparent, attributes)
    }

    fn start(
        kind: SpanKind,
        name: impl FnOnce() -> String,
        traceparent: Option<&str>,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> CallSpan {
        let Some(installed) = INSTALLED.get() else {
            return CallSpan { cx: None };
        };
        let parent = TraceContextPropagator::new().extract(&Carrier(traceparent));
        let span = installed
            .tracer
            .span_builder(name())
            .with_kind(kind)
            .with_attributes(attributes())
            .start_with_context(&installed.tracer, &parent);
        CallSpan {
            cx: Some(parent.with_span(span)),
        }
    }

    /// The `traceparent` that makes a call a child of this span; None when
    /// tracing is off (the caller's header then goes on as it came).
    pub fn traceparent(&self) -> Option<String> {
        let cx = self.cx.as_ref()?;
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return None;
        }
        // `00-<trace id>-<span id>-<flags>`, in lower-case hex: written
        // byte by byte, as `format!` spends thousands of instructions a
        // request on the padding of its 128-bit number.
        let mut text = String::with_capacity(55);
        text.push_str("00-");
        push_hex(&mut text, &sc.trace_id().to_bytes());
        text.push('-');
        push_hex(&mut text, &sc.span_id().to_bytes());
        text.push('-');
        push_hex(&mut text, &[sc.trace_flags().to_u8()]);
        Some(text)
    }

    /// End the span with what the answer was; `failed` marks it as an error.
    pub fn end(self, attributes: impl IntoIterator<Item = KeyValue>, failed: bool) {
        let Some(cx) = self.cx else { return };
        let span = cx.span();
        span.set_attributes(attributes);
        if failed {
            span.set_status(Status::error(""));
        }
        span.end();
    }
}

/// What the tests of this crate share: one OTLP collector for the whole
/// test binary (tracing is set up once a process), and how to read it.
/// Bytes as lower-case hex.
fn push_hex(text: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::sync::{Arc, Mutex, OnceLock};

    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
        TraceService, TraceServiceServer,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    };
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::trace::v1::Span;

    use super::*;

    /// An OTLP collector on 127.0.0.1 that keeps what it is sent.
    #[derive(Clone, Default)]
    pub(crate) struct Collector(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

    #[tonic::async_trait]
    impl TraceService for Collector {
        async fn export(
            &self,
            request: tonic::Request<ExportTraceServiceRequest>,
        ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
            self.0.lock().unwrap().push(request.into_inner());
            Ok(tonic::Response::new(ExportTraceServiceResponse {
                partial_success: None,
            }))
        }
    }

    /// Start the collector (on a runtime of its own, which outlives every
    /// test) and send this process's spans to it as service `trace-test`.
    pub(crate) fn collector() -> &'static Collector {
        static COLLECTOR: OnceLock<Collector> = OnceLock::new();
        COLLECTOR.get_or_init(|| {
            let collector = Collector::default();
            let (tx, rx) = std::sync::mpsc::channel();
            let serving = collector.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async move {
                    let otlp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let conf = TelemetryConf {
                        endpoint: Some(format!("http://{}", otlp.local_addr().unwrap())),
                        sampler: 1.0,
                    };
                    init("trace-test", &conf).unwrap();
                    tx.send(()).unwrap();
                    tonic::transport::Server::builder()
                        .add_service(TraceServiceServer::new(serving))
                        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(otlp))
                        .await
                        .unwrap();
                });
            });
            rx.recv().unwrap();
            collector
        })
    }

    pub(crate) fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    impl Collector {
        /// Every span sent so far (after a flush), with its service's name.
        pub(crate) fn spans(&self) -> Vec<(String, Span)> {
            flush();
            let sent = self.0.lock().unwrap().clone();
            sent.iter()
                .flat_map(|r| &r.resource_spans)
                .flat_map(|rs| {
                    let service = rs
                        .resource
                        .as_ref()
                        .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                        .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                            Value::StringValue(s) => Some(s.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    rs.scope_spans
                        .iter()
                        .flat_map(|ss| &ss.spans)
                        .map(move |s| (service.clone(), s.clone()))
                })
                .collect()
        }

        /// The span whose id is `span_id` (hex).
        pub(crate) fn span(&self, span_id: &str) -> (String, Span) {
            let spans = self.spans();
            spans
                .iter()
                .find(|(_, s)| hex(&s.span_id) == span_id)
                .cloned()
                .unwrap_or_else(|| panic!("no span {span_id} among {spans:?}"))
        }
    }

    /// `GET path` with a `traceparent` header, over plain TCP: the body.
    pub(crate) async fn get_traced(
        addr: std::net::SocketAddr,
        path: &str,
        traceparent: &str,
    ) -> String {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.0\r\ntraceparent: {traceparent}\r\n\r\n");
        tokio::io::AsyncWriteExt::write_all(&mut tcp, request.as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut tcp, &mut answer)
            .await
            .unwrap();
        answer.rsplit("\r\n\r\n").next().unwrap().to_string()
    }

    /// The integer attribute `key` of a span.
    pub(crate) fn int_attribute(span: &Span, key: &str) -> Option<i64> {
        span.attributes.iter().find(|a| a.key == key).and_then(|a| {
            match a.value.as_ref()?.value.as_ref()? {
                Value::IntValue(v) => Some(*v),
                _ => None,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use tokio::net::TcpListener;

    use super::testing::{collector, get_traced, int_attribute};
    use crate::ctx::RequestCtx;

    /// The `traceparent` written by hand is the one the W3C propagator
    /// writes for the same span, sampled or not.
    #[test]
    fn the_traceparent_is_the_propagators() {
        use opentelemetry::propagation::TextMapPropagator;
        use opentelemetry::trace::{
            SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
        };
        for flags in [TraceFlags::SAMPLED, TraceFlags::NOT_SAMPLED] {
            let sc = SpanContext::new(
                TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
                SpanId::from_hex("00f067aa0ba902b7").unwrap(),
                flags,
                true,
                TraceState::default(),
            );
            let cx = opentelemetry::Context::new().with_remote_span_context(sc);
            let mut written = std::collections::HashMap::new();
            super::TraceContextPropagator::new().inject_context(&cx, &mut written);
            let ours = super::CallSpan { cx: Some(cx) }.traceparent();
            assert_eq!(ours.as_ref(), written.get("traceparent"));
        }
        assert_eq!(
            super::CallSpan { cx: None }.traceparent(),
            None,
            "tracing off"
        );
    }

    /// A request that comes with a `traceparent` gets a span in that trace,
    /// its handler sees the span as the parent of what it calls, and the
    /// span reaches the collector with the service's name and the status.
    #[tokio::test]
    async fn a_request_span_continues_the_trace_and_reaches_the_collector() {
        let collector = collector();
        // The handler answers with the traceparent its calls would carry.
        let router = Router::new().route(
            "/homestay/{id}",
            get(|ctx: RequestCtx| async move { ctx.traceparent().unwrap_or("none").to_string() }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(crate::http::serve_with_shutdown(
            listener,
            router,
            std::future::pending(),
        ));
        let (trace_id, caller) = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
        let passed_on =
            get_traced(addr, "/homestay/7", &format!("00-{trace_id}-{caller}-01")).await;
        let parts: Vec<&str> = passed_on.split('-').collect();
        assert_eq!(parts.len(), 4, "{passed_on}");
        assert_eq!((parts[0], parts[1], parts[3]), ("00", trace_id, "01"));
        let span_id = parts[2].to_string();
        assert_ne!(
            span_id, caller,
            "the handler's calls hang under the request's span"
        );

        let (service, span) = tokio::task::spawn_blocking(move || collector.span(&span_id))
            .await
            .unwrap();
        assert_eq!(service, "trace-test");
        assert_eq!(span.name, "GET /homestay/{id}");
        assert_eq!(super::testing::hex(&span.trace_id), trace_id);
        assert_eq!(super::testing::hex(&span.parent_span_id), caller);
        assert_eq!(int_attribute(&span, "http.response.status_code"), Some(200));
    }
}
