//! OTLP/gRPC export of finished spans, each written once, straight into
//! the protobuf the collector reads.
//!
//! `opentelemetry-otlp`'s exporter clones every span into the generated
//! message types, groups them in a hash map by scope, and then measures
//! each nested message again at every level while encoding: about 12,000
//! instructions a span, two thirds of what tracing a request cost. Here
//! each span is written once, as it ends, into its batch's buffer (about a
//! tenth of that), and an export sends the buffer behind a few bytes that
//! say whose spans they are. The message layout is OTLP's
//! `trace/v1/trace.proto`; the tests decode the output with the generated
//! types and compare it, byte for byte, with the upstream conversion of the
//! same spans.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::{Buf, BufMut};
use opentelemetry::{Array, Key, KeyValue, Value};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

use super::{Kind, SpanContext};

/// The collector's method: `TraceService.Export` of OTLP.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// How long one export may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The instrumentation scope every span is reported under.
const SCOPE: &str = "looklook";

/// A span as it is recorded: open while the request is served, then
/// queued for export.
pub(super) struct Finished {
    pub(super) context: SpanContext,
    /// The caller's span; None for the first span of a trace.
    pub(super) parent: Option<[u8; 8]>,
    pub(super) kind: Kind,
    pub(super) name: String,
    pub(super) start: SystemTime,
    pub(super) end: SystemTime,
    pub(super) attributes: Vec<KeyValue>,
    pub(super) failed: bool,
}

/// Sends batches of finished spans in `Export` calls.
pub(super) struct OtlpExporter {
    grpc: tonic::client::Grpc<Channel>,
    endpoint: String,
    /// The `Resource` message (the service's name, what sent it), written
    /// once: every batch carries the same one.
    resource: Vec<u8>,
}

impl OtlpExporter {
    /// An exporter to `endpoint` for `service`, connecting on its first
    /// export. Call it inside the Tokio runtime, which drives the
    /// connection.
    pub(super) fn new(endpoint: &str, service: &str) -> Result<Self, tonic::transport::Error> {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string())?
            .timeout(TIMEOUT)
            .connect_lazy();
        Ok(OtlpExporter {
            grpc: tonic::client::Grpc::new(channel),
            endpoint: endpoint.to_string(),
            resource: resource(service),
        })
    }

    /// Send one batch.
    pub(super) async fn export(&self, batch: Batch) -> Result<(), String> {
        let body = Body {
            head: head(&self.resource, batch.encoded.len()),
            spans: batch.encoded,
        };
        let failed = |e: &dyn fmt::Display| format!("{}: {e}", self.endpoint);
        let mut grpc = self.grpc.clone();
        grpc.ready().await.map_err(|e| failed(&e))?;
        let path = axum::http::uri::PathAndQuery::from_static(EXPORT);
        grpc.unary(tonic::Request::new(body), path, Raw)
            .await
            .map(drop)
            .map_err(|status| failed(&status.message()))
    }
}

/// Spans written as they finish, each a `Span` in field 2 of a
/// `ScopeSpans`: the body of one export, but for what comes before them.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) spans: usize,
    pub(super) encoded: Vec<u8>,
}

impl Batch {
    /// About what a server span takes, so that the buffer grows rarely.
    const SPAN_BYTES: usize = 192;

    pub(super) fn with_room_for(spans: usize) -> Batch {
        Batch {
            spans: 0,
            encoded: Vec::with_capacity(spans * Self::SPAN_BYTES),
        }
    }

    pub(super) fn push(&mut self, span: &Finished) {
        message(&mut self.encoded, 2, |b| write_span(b, span));
        self.spans += 1;
    }
}

/// An `ExportTraceServiceRequest` in two parts: what comes before the
/// spans, and the spans as they were written.
struct Body {
    head: Vec<u8>,
    spans: Vec<u8>,
}

/// The resource's attributes: the service, and what reported it (the
/// `telemetry.sdk.*` of OpenTelemetry's semantic conventions).
fn resource(service: &str) -> Vec<u8> {
    let attributes = [
        KeyValue::new("service.name", service.to_string()),
        KeyValue::new("telemetry.sdk.language", "rust"),
        KeyValue::new("telemetry.sdk.name", "looklook"),
        KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
    ];
    let mut buf = Vec::new();
    attributes_field(&mut buf, 1, &attributes);
    buf
}

/// The gRPC codec of a body already written: sent as it is. The answer
/// (an `ExportTraceServiceResponse`, whose one field reports spans the
/// collector rejected) is not read.
#[derive(Clone, Copy)]
struct Raw;

impl Codec for Raw {
    type Encode = Body;
    type Decode = ();
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Body;
    type Error = tonic::Status;

    fn encode(&mut self, item: Body, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item.head);
        dst.put_slice(&item.spans);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

/// What precedes `spans_len` bytes of spans in an
/// `ExportTraceServiceRequest`: one `ResourceSpans` (this service) holding
/// one `ScopeSpans`, each a length-delimited field whose length counts the
/// spans too.
fn head(resource: &[u8], spans_len: usize) -> Vec<u8> {
    let mut scope = Vec::new();
    message(&mut scope, 1, |b| string(b, 1, SCOPE));
    // Inside the `ResourceSpans`: the resource, then the start of the
    // `ScopeSpans` and its scope.
    let mut inner = Vec::with_capacity(resource.len() + scope.len() + 16);
    bytes_field(&mut inner, 1, resource);
    tag(&mut inner, 2, LEN);
    varint(&mut inner, (scope.len() + spans_len) as u64);
    inner.extend_from_slice(&scope);
    let mut head = Vec::with_capacity(inner.len() + 8);
    tag(&mut head, 1, LEN);
    varint(&mut head, (inner.len() + spans_len) as u64);
    head.extend_from_slice(&inner);
    head
}

/// A `Span`'s fields, in the order of their numbers in trace.proto.
fn write_span(buf: &mut Vec<u8>, span: &Finished) {
    let context = &span.context;
    bytes_field(buf, 1, &context.trace_id);
    bytes_field(buf, 2, &context.span_id);
    if let Some(parent) = &span.parent {
        bytes_field(buf, 4, parent);
    }
    string(buf, 5, &span.name);
    uint(buf, 6, span.kind as u64);
    fixed64(buf, 7, nanos(span.start));
    fixed64(buf, 8, nanos(span.end));
    attributes_field(buf, 9, &span.attributes);
    // The status is always written, unset or not, as collectors expect.
    message(buf, 15, |b| {
        if span.failed {
            uint(b, 3, 2);
        }
    });
    // `SpanFlags`: the W3C trace flags (sampled) in the low byte, then
    // whether the parent's being remote is known (bit 8) and is (bit 9):
    // a parent always came from another process here.
    let remote = if span.parent.is_some() { 0x200 } else { 0 };
    fixed32(buf, 16, u32::from(context.sampled) | 0x100 | remote);
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn attributes_field(buf: &mut Vec<u8>, field: u32, attributes: &[KeyValue]) {
    for kv in attributes {
        message(buf, field, |b| key_value(b, &kv.key, &kv.value));
    }
}

/// A `KeyValue`: the key, then the value as an `AnyValue`.
fn key_value(buf: &mut Vec<u8>, key: &Key, value: &Value) {
    string(buf, 1, key.as_str());
    message(buf, 2, |b| any_value(b, value));
}

/// An `AnyValue`, a `oneof`: its one field is written even when it holds
/// the type's zero (`false`, `0`, `""`), which is what says which it is.
fn any_value(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(s) => any_string(buf, s.as_str()),
        Value::Bool(b) => any_bool(buf, *b),
        Value::I64(i) => any_i64(buf, *i),
        Value::F64(f) => any_f64(buf, *f),
        // An `ArrayValue`: each element an `AnyValue` in its field 1.
        Value::Array(array) => message(buf, 5, |b| match array {
            Array::Bool(values) => each(b, values, |b, v| any_bool(b, *v)),
            Array::I64(values) => each(b, values, |b, v| any_i64(b, *v)),
            Array::F64(values) => each(b, values, |b, v| any_f64(b, *v)),
            Array::String(values) => each(b, values, |b, v| any_string(b, v.as_str())),
            _ => {}
        }),
        // A kind of value newer than this code: an empty `AnyValue`.
        _ => {}
    }
}

fn each<T>(buf: &mut Vec<u8>, values: &[T], write: impl Fn(&mut Vec<u8>, &T)) {
    for value in values {
        message(buf, 1, |b| write(b, value));
    }
}

fn any_string(buf: &mut Vec<u8>, text: &str) {
    tag(buf, 1, LEN);
    length_prefixed(buf, text.as_bytes());
}

fn any_bool(buf: &mut Vec<u8>, value: bool) {
    tag(buf, 2, VARINT);
    varint(buf, u64::from(value));
}

/// int64: a negative number goes as its two's complement, in 10 bytes.
fn any_i64(buf: &mut Vec<u8>, value: i64) {
    tag(buf, 3, VARINT);
    varint(buf, value as u64);
}

fn any_f64(buf: &mut Vec<u8>, value: f64) {
    tag(buf, 4, I64);
    buf.extend_from_slice(&value.to_le_bytes());
}

// Protobuf's wire format: each field is its number and wire type (a
// varint), then its value. Fields at their zero value are left out, as
// proto3 encoders do.

const VARINT: u32 = 0;
const I64: u32 = 1;
const LEN: u32 = 2;
const I32: u32 = 5;

#[inline]
fn varint(buf: &mut Vec<u8>, value: u64) {
    // Tags and most lengths here take one byte.
    if value < 0x80 {
        buf.push(value as u8);
    } else {
        let (bytes, len) = varint_bytes(value);
        buf.extend_from_slice(&bytes[..len]);
    }
}

/// A varint: seven bits a byte, low first, the top bit set on all but the
/// last; at most 10 bytes.
fn varint_bytes(mut value: u64) -> ([u8; 10], usize) {
    let mut bytes = [0; 10];
    let mut len = 0;
    while value >= 0x80 {
        bytes[len] = (value as u8) | 0x80;
        value >>= 7;
        len += 1;
    }
    bytes[len] = value as u8;
    (bytes, len + 1)
}

fn tag(buf: &mut Vec<u8>, field: u32, wire: u32) {
    varint(buf, u64::from((field << 3) | wire));
}

fn length_prefixed(buf: &mut Vec<u8>, bytes: &[u8]) {
    varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

fn bytes_field(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        tag(buf, field, LEN);
        length_prefixed(buf, bytes);
    }
}

fn string(buf: &mut Vec<u8>, field: u32, text: &str) {
    bytes_field(buf, field, text.as_bytes());
}

fn uint(buf: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        tag(buf, field, VARINT);
        varint(buf, value);
    }
}

fn fixed64(buf: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        tag(buf, field, I64);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

fn fixed32(buf: &mut Vec<u8>, field: u32, value: u32) {
    if value != 0 {
        tag(buf, field, I32);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// A nested message in `field`, written by `write` in place. Its length
/// comes first but is known only once it is written: one byte is kept for
/// it, and the body moves along when the length needs more.
fn message(buf: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    tag(buf, field, LEN);
    let at = buf.len();
    buf.push(0);
    write(buf);
    let len = buf.len() - at - 1;
    if len < 0x80 {
        buf[at] = len as u8;
        return;
    }
    let (prefix, prefix_len) = varint_bytes(len as u64);
    let extra = prefix_len - 1;
    buf.resize(buf.len() + extra, 0);
    buf.copy_within(at + 1..at + 1 + len, at + 1 + extra);
    buf[at..at + prefix_len].copy_from_slice(&prefix[..prefix_len]);
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
    use prost::Message;

    use super::*;

    /// A server span continuing a caller's trace, with every kind of
    /// attribute value, zeros included.
    fn served() -> Finished {
        let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_764_000_000_123_456_789);
        Finished {
            context: SpanContext {
                trace_id: 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes(),
                span_id: 0x00f0_67aa_0ba9_02b7_u64.to_be_bytes(),
                sampled: true,
            },
            parent: Some(7_u64.to_be_bytes()),
            kind: Kind::Server,
            name: "POST /order/create".into(),
            start,
            end: start + Duration::from_micros(1500),
            attributes: vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("empty", ""),
                KeyValue::new("long", "x".repeat(300)),
                KeyValue::new("status", 200_i64),
                KeyValue::new("negative", -3_i64),
                KeyValue::new("zero", 0_i64),
                KeyValue::new("ok", true),
                KeyValue::new("no", false),
                KeyValue::new("ratio", 0.25),
                KeyValue::new(
                    "tags",
                    Value::Array(Array::String(vec!["a".into(), "b".into()])),
                ),
                KeyValue::new("codes", Value::Array(Array::I64(vec![1, -1]))),
            ],
            failed: true,
        }
    }

    /// A root client span with nothing but its name.
    fn called() -> Finished {
        let mut span = served();
        span.context.trace_id = [1; 16];
        span.parent = None;
        span.kind = Kind::Client;
        span.name = "wechat".into();
        span.attributes.clear();
        span.failed = false;
        span
    }

    /// The same span as the OpenTelemetry SDK records it.
    fn sdk_span(span: &Finished) -> SpanData {
        let flags = if span.context.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let mut data = SpanData {
            span_context: opentelemetry::trace::SpanContext::new(
                TraceId::from_bytes(span.context.trace_id),
                SpanId::from_bytes(span.context.span_id),
                flags,
                false,
                TraceState::default(),
            ),
            parent_span_id: span.parent.map_or(SpanId::INVALID, SpanId::from_bytes),
            parent_span_is_remote: span.parent.is_some(),
            span_kind: match span.kind {
                Kind::Server => SpanKind::Server,
                Kind::Client => SpanKind::Client,
            },
            name: Cow::Owned(span.name.clone()),
            start_time: span.start,
            end_time: span.end,
            attributes: span.attributes.clone(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder(SCOPE).build(),
        };
        if span.failed {
            data.status = Status::error("");
        }
        data
    }

    /// What the collector decodes from these bytes is what the upstream
    /// conversion builds from the same spans, byte for byte.
    #[test]
    fn a_batch_is_what_the_upstream_conversion_writes() {
        let batch = [served(), called()];
        let service = Resource::builder_empty()
            .with_service_name("order-api")
            .build();
        let mut resource = Vec::new();
        attributes_field(
            &mut resource,
            1,
            &[KeyValue::new("service.name", "order-api")],
        );

        let mut spans = Batch::default();
        for span in &batch {
            spans.push(span);
        }
        let mut ours = head(&resource, spans.encoded.len());
        ours.extend_from_slice(&spans.encoded);
        let upstream = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(
                batch.iter().map(sdk_span).collect(),
                &ResourceAttributesWithSchema::from(&service),
            ),
        };
        assert_eq!(
            ExportTraceServiceRequest::decode(ours.as_slice()).unwrap(),
            upstream
        );
        assert_eq!(ours, upstream.encode_to_vec());
    }

    /// The resource names the service and what reported it.
    #[test]
    fn the_resource_names_the_service() {
        let decoded = opentelemetry_proto::tonic::resource::v1::Resource::decode(
            resource("order-api").as_slice(),
        )
        .unwrap();
        let text = |key: &str| {
            decoded
                .attributes
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
        };
        assert_eq!(text("service.name").as_deref(), Some("order-api"));
        assert_eq!(text("telemetry.sdk.language").as_deref(), Some("rust"));
    }

    /// A length past one byte moves the body along: every length from 0
    /// to past two bytes' worth still decodes.
    #[test]
    fn a_nested_message_of_any_length_decodes() {
        for len in [0, 1, 127, 128, 129, 16_383, 16_384, 70_000] {
            let mut buf = Vec::new();
            // A message whose field 1 is a message whose field 1 is text:
            // a resource's first attribute (a KeyValue) and its key.
            message(&mut buf, 1, |b| string(b, 1, &"y".repeat(len)));
            let resource =
                opentelemetry_proto::tonic::resource::v1::Resource::decode(buf.as_slice()).unwrap();
            let key = resource.attributes.first().map_or(0, |kv| kv.key.len());
            assert_eq!(key, len);
        }
    }
}
