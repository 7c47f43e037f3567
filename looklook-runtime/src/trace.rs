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
//!
//! A span is recorded by this module rather than by the OpenTelemetry SDK:
//! it is a plain value while it is open, it is written in OTLP's protobuf
//! form as it ends, into one queue of batches, and a thread of their own
//! sends the batches to the collector (`otlp`). The SDK's span (its
//! builder, a context map, a shared lock, a record copied through a
//! channel) cost twice as much a request, for features these services do
//! not use (events, links, span processors).
//! The semantics are the SDK's: W3C trace context, a parent's sampling
//! decision kept, new traces sampled by the ratio of their trace ids.

use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::KeyValue;

use crate::config::TelemetryConf;

mod otlp;

/// How many finished spans go in one export.
const BATCH: usize = 512;
/// How many may wait: past it (the collector is down or slow), new ones
/// are dropped and counted rather than kept without bound.
const MAX_QUEUED: usize = 32 * BATCH;
/// How long a finished span waits at most when there are few.
const DELAY: Duration = Duration::from_secs(1);

struct Tracer {
    /// A new trace is sampled when the low 63 bits of its id fall below
    /// this: the ratio of `Telemetry.Sampler`, as the SDK's ratio sampler.
    sample_below: u64,
    queue: Mutex<Queue>,
    /// Wakes the exporting thread: a batch is full, or a flush is asked.
    wake: Condvar,
    dropped: AtomicU64,
}

/// Finished spans, written in OTLP's form as they end (on the thread that
/// made them, which frees their parts: glibc's allocator frees fastest
/// there), in batches of up to `BATCH`.
#[derive(Default)]
struct Queue {
    batches: Vec<otlp::Batch>,
    /// How many spans the batches hold.
    spans: usize,
    /// Flushes waiting for the spans queued before them to be sent.
    flushes: Vec<mpsc::Sender<()>>,
}

static TRACER: OnceLock<Tracer> = OnceLock::new();

/// Start exporting spans of `service` to `conf.endpoint`; nothing when the
/// endpoint is empty or tracing is already set up. Call it inside the
/// Tokio runtime: the gRPC client runs there.
pub fn init(service: &str, conf: &TelemetryConf) -> anyhow::Result<()> {
    let Some(endpoint) = conf.endpoint.as_deref().filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    if TRACER.get().is_some() {
        return Ok(());
    }
    let exporter = otlp::OtlpExporter::new(endpoint, service)
        .map_err(|e| anyhow::anyhow!("cannot send traces to {endpoint}: {e}"))?;
    let ratio = conf.sampler.clamp(0.0, 1.0);
    let tracer = Tracer {
        sample_below: sample_below(ratio),
        queue: Mutex::new(Queue::default()),
        wake: Condvar::new(),
        dropped: AtomicU64::new(0),
    };
    if TRACER.set(tracer).is_err() {
        return Ok(());
    }
    let runtime = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name("trace-export".into())
        .spawn(move || export_loop(&exporter, &runtime))?;
    tracing::info!(endpoint, "sending traces");
    Ok(())
}

/// The exporting thread: a batch when one is full, when the oldest span
/// has waited `DELAY`, or when a flush asks; then the flushes are told.
fn export_loop(exporter: &otlp::OtlpExporter, runtime: &tokio::runtime::Handle) {
    let Some(tracer) = TRACER.get() else { return };
    loop {
        let (batches, flushes) = {
            let Ok(mut queue) = tracer.queue.lock() else {
                return;
            };
            let deadline = Instant::now() + DELAY;
            while queue.spans < BATCH && queue.flushes.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                queue = match tracer.wake.wait_timeout(queue, left) {
                    Ok((queue, _)) => queue,
                    Err(_) => return,
                };
            }
            queue.spans = 0;
            (mem::take(&mut queue.batches), mem::take(&mut queue.flushes))
        };
        for batch in batches {
            let spans = batch.spans;
            if let Err(e) = runtime.block_on(exporter.export(batch)) {
                tracing::warn!(error = %e, spans, "traces not sent");
            }
        }
        let dropped = tracer.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(dropped, "spans dropped: the collector is not keeping up");
        }
        for flush in flushes {
            let _ = flush.send(());
        }
    }
}

/// Send the spans still queued, and wait (up to 10 s) until they are; the
/// servers call it once they have stopped.
pub fn flush() {
    let Some(tracer) = TRACER.get() else { return };
    let (sent, done) = mpsc::channel();
    if let Ok(mut queue) = tracer.queue.lock() {
        queue.flushes.push(sent);
    }
    tracer.wake.notify_one();
    if done.recv_timeout(Duration::from_secs(10)).is_err() {
        tracing::warn!("traces not sent: the collector did not answer in time");
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

/// What a span is to the caller and callee: `Span.SpanKind` of OTLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Server = 2,
    Client = 3,
}

/// A span's place in its trace: what `traceparent` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpanContext {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) sampled: bool,
}

impl SpanContext {
    /// Read a W3C `traceparent`: `<version>-<trace id>-<span id>-<flags>`
    /// in lower-case hex. None when it is malformed, or names the all-zero
    /// (invalid) trace or span; version `ff` is invalid, a later version
    /// may add fields after these.
    pub(crate) fn parse(header: &str) -> Option<SpanContext> {
        let bytes = header.as_bytes();
        if bytes.len() < 55 || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let version = hex::<1>(&bytes[0..2])?;
        if version[0] == 0xff || (version[0] == 0 && bytes.len() != 55) {
            return None;
        }
        if bytes.len() > 55 && bytes[55] != b'-' {
            return None;
        }
        let context = SpanContext {
            trace_id: hex(&bytes[3..35])?,
            span_id: hex(&bytes[36..52])?,
            sampled: hex::<1>(&bytes[53..55])?[0] & 1 == 1,
        };
        let valid = context.trace_id != [0; 16] && context.span_id != [0; 8];
        valid.then_some(context)
    }

    /// This context as a `traceparent`, version 00.
    pub(crate) fn traceparent(&self) -> String {
        String::from_utf8_lossy(&self.traceparent_bytes()).into_owned()
    }

    /// `00-<trace id>-<span id>-<flags>` in lower-case hex, written digit
    /// by digit: `format!` spends thousands of instructions a request on
    /// the padding of a 128-bit number.
    fn traceparent_bytes(&self) -> [u8; 55] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
        // The trace id's 32 digits from 3, the span id's 16 from 36.
        for (at, bytes) in [(3, &self.trace_id[..]), (36, &self.span_id[..])] {
            for (i, b) in bytes.iter().enumerate() {
                text[at + 2 * i] = DIGITS[usize::from(b >> 4)];
                text[at + 2 * i + 1] = DIGITS[usize::from(b & 0xf)];
            }
        }
        if self.sampled {
            text[54] = b'1';
        }
        text
    }
}

/// `N` bytes from `2N` lower-case hex digits.
fn hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (value(pair[0])? << 4) | value(pair[1])?;
    }
    Some(bytes)
}

/// The span of one request or call, ended by [`CallSpan::end`].
pub struct CallSpan {
    /// None when tracing is off.
    context: Option<SpanContext>,
    /// What is recorded of it; None when it is not sampled.
    open: Option<otlp::Finished>,
}

impl CallSpan {
    /// Start the span of a request or call served, as a child of the
    /// caller's `traceparent` (a new trace without one). `name` and
    /// `attributes` are called only when the span is recorded.
    pub fn server(
        name: impl FnOnce() -> String,
        traceparent: Option<&str>,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> CallSpan {
        Self::start(Kind::Server, name, traceparent, attributes)
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
        Self::start(Kind::Client, name, traceparent, attributes)
    }

    fn start(
        kind: Kind,
        name: impl FnOnce() -> String,
        traceparent: Option<&str>,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> CallSpan {
        let Some(tracer) = TRACER.get() else {
            return CallSpan {
                context: None,
                open: None,
            };
        };
        let parent = traceparent.and_then(SpanContext::parse);
        let span_id = nonzero(|| fastrand::u64(..).to_be_bytes());
        let context = match parent {
            // A caller's decision wins.
            Some(parent) => SpanContext { span_id, ..parent },
            None => {
                let trace_id = nonzero(|| fastrand::u128(..).to_be_bytes());
                SpanContext {
                    trace_id,
                    span_id,
                    sampled: sampled(&trace_id, tracer.sample_below),
                }
            }
        };
        let open = context.sampled.then(|| otlp::Finished {
            context,
            parent: parent.map(|p| p.span_id),
            kind,
            name: name(),
            start: SystemTime::now(),
            end: SystemTime::UNIX_EPOCH,
            attributes: attributes(),
            failed: false,
        });
        CallSpan {
            context: Some(context),
            open,
        }
    }

    /// The `traceparent` that makes a call a child of this span; None when
    /// tracing is off (the caller's header then goes on as it came).
    pub fn traceparent(&self) -> Option<String> {
        self.context.as_ref().map(SpanContext::traceparent)
    }

    /// [`traceparent`](Self::traceparent) as a header value, made once:
    /// its copies (the handler's context, the calls it makes) share it.
    pub fn traceparent_value(&self) -> Option<axum::http::HeaderValue> {
        let text = self.context.as_ref()?.traceparent_bytes();
        axum::http::HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(text)).ok()
    }

    /// End the span with what the answer was; `failed` marks it as an error.
    pub fn end(self, attributes: impl IntoIterator<Item = KeyValue>, failed: bool) {
        let (Some(mut span), Some(tracer)) = (self.open, TRACER.get()) else {
            return;
        };
        span.end = SystemTime::now();
        span.attributes.extend(attributes);
        span.failed = failed;
        let Ok(mut queue) = tracer.queue.lock() else {
            return;
        };
        if queue.spans >= MAX_QUEUED {
            tracer.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        queue.spans += 1;
        if queue.batches.last().is_none_or(|b| b.spans == BATCH) {
            queue.batches.push(otlp::Batch::with_room_for(BATCH));
        }
        if let Some(batch) = queue.batches.last_mut() {
            batch.push(&span);
            if batch.spans == BATCH {
                tracer.wake.notify_one();
            }
        }
    }
}

/// The bound under which a trace is sampled at `ratio` (0 to 1).
fn sample_below(ratio: f64) -> u64 {
    (ratio * (1u64 << 63) as f64) as u64
}

/// Whether a new trace is sampled: the low 63 bits of its id under the
/// bound, as the SDK's ratio sampler decides (the ids are random, so the
/// share sampled is the ratio, and every process decides alike).
fn sampled(trace_id: &[u8; 16], below: u64) -> bool {
    let low = u64::from_be_bytes(trace_id[8..].try_into().unwrap_or_default());
    low >> 1 < below
}

/// An id that is not all zeros (the W3C's invalid id).
fn nonzero<const N: usize>(random: impl Fn() -> [u8; N]) -> [u8; N] {
    loop {
        let id = random();
        if id != [0; N] {
            return id;
        }
    }
}

/// What the tests of this crate share: one OTLP collector for the whole
/// test binary (tracing is set up once a process), and how to read it.
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

    /// The `traceparent` written by hand is the one the W3C propagator of
    /// the OpenTelemetry SDK writes for the same span, sampled or not, and
    /// reading it back gives the same span.
    #[test]
    fn the_traceparent_is_the_propagators() {
        use opentelemetry::propagation::TextMapPropagator;
        use opentelemetry::trace::{
            SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
        };
        use opentelemetry_sdk::propagation::TraceContextPropagator;
        for (flags, sampled) in [
            (TraceFlags::SAMPLED, true),
            (TraceFlags::NOT_SAMPLED, false),
        ] {
            let (trace_id, span_id) = (fastrand::u128(1..), fastrand::u64(1..));
            let sc = SpanContext::new(
                TraceId::from(trace_id),
                SpanId::from(span_id),
                flags,
                true,
                TraceState::default(),
            );
            let cx = opentelemetry::Context::new().with_remote_span_context(sc);
            let mut written = std::collections::HashMap::new();
            TraceContextPropagator::new().inject_context(&cx, &mut written);
            let ours = super::SpanContext {
                trace_id: trace_id.to_be_bytes(),
                span_id: span_id.to_be_bytes(),
                sampled,
            };
            assert_eq!(Some(&ours.traceparent()), written.get("traceparent"));
            assert_eq!(super::SpanContext::parse(&ours.traceparent()), Some(ours));
        }
    }

    /// A new trace is sampled as the SDK's ratio sampler samples it, for
    /// the same id and ratio.
    #[test]
    fn new_traces_are_sampled_as_the_sdks_ratio_sampler_does() {
        use opentelemetry::trace::{SamplingDecision, SpanKind, TraceId};
        use opentelemetry_sdk::trace::{Sampler, ShouldSample};
        for ratio in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let sdk = Sampler::TraceIdRatioBased(ratio);
            let below = super::sample_below(ratio);
            let mut kept = 0;
            for _ in 0..2_000 {
                let id = fastrand::u128(1..).to_be_bytes();
                let theirs = sdk
                    .should_sample(
                        None,
                        TraceId::from_bytes(id),
                        "x",
                        &SpanKind::Server,
                        &[],
                        &[],
                    )
                    .decision
                    == SamplingDecision::RecordAndSample;
                assert_eq!(super::sampled(&id, below), theirs, "ratio {ratio}");
                kept += usize::from(theirs);
            }
            let share = kept as f64 / 2_000.0;
            assert!((share - ratio).abs() < 0.05, "ratio {ratio}: {share}");
        }
    }

    /// What the W3C says is not a `traceparent` starts a new trace.
    #[test]
    fn a_malformed_traceparent_is_refused() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(super::SpanContext::parse(good).is_some());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(super::SpanContext::parse(bad), None, "{bad:?}");
        }
        // A later version may add fields after a dash.
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes";
        assert!(super::SpanContext::parse(later).is_some());
    }

    /// Traced, a request's span continues the caller's trace and keeps its
    /// sampling decision; without a caller, a new trace is started.
    #[test]
    fn a_span_keeps_its_callers_trace_and_decision() {
        collector();
        for flags in ["01", "00"] {
            let caller = format!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}");
            let span = super::CallSpan::server(|| "x".into(), Some(&caller), Vec::new);
            let own = span.traceparent().unwrap();
            assert_eq!(own[..36], caller[..36]);
            assert_eq!(own[52..], caller[52..], "the caller's decision");
            assert_ne!(own[36..52], caller[36..52], "a span of its own");
            assert_eq!(span.open.is_some(), flags == "01", "recorded when sampled");
            span.end([], false);
        }
        let root = super::CallSpan::client(|| "x".into(), None, Vec::new);
        let own = root.traceparent().unwrap();
        assert!(own.ends_with("-01"), "the test's sampler keeps all: {own}");
        assert_ne!(&own[3..35], "0af7651916cd43dd8448eb211c80319c");
        root.end([], false);
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
