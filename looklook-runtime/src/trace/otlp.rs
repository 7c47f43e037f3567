//! OTLP/gRPC export of finished spans, each written once, straight into
//! the protobuf the collector reads.
//!
//! `opentelemetry-otlp`'s exporter clones every span into the generated
//! message types, groups them in a hash map by scope, and then measures
//! each nested message again at every level while encoding: about 12,000
//! instructions a span, two thirds of what tracing a request cost. This
//! one walks the batch once and writes it into one buffer (about a tenth of
//! that). The message layout is OTLP's `trace/v1/trace.proto`; the tests
//! decode the output with the generated types and compare it with the
//! upstream conversion.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::{Buf, BufMut, Bytes};
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceFlags};
use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

/// The collector's method: `TraceService.Export` of OTLP.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// How long one export may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends each batch the SDK's batch processor hands it in one `Export`
/// call.
pub(super) struct OtlpExporter {
    grpc: tonic::client::Grpc<Channel>,
    endpoint: String,
    /// The `Resource` message (the service's name, the SDK's), written
    /// once: every batch carries the same one.
    resource: Vec<u8>,
    resource_schema: Option<String>,
}

impl OtlpExporter {
    /// An exporter to `endpoint`, connecting on its first export. Call it
    /// inside the Tokio runtime, which drives the connection.
    pub(super) fn new(
        endpoint: &str,
        resource: &Resource,
    ) -> Result<Self, tonic::transport::Error> {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string())?
            .timeout(TIMEOUT)
            .connect_lazy();
        let mut exporter = OtlpExporter {
            grpc: tonic::client::Grpc::new(channel),
            endpoint: endpoint.to_string(),
            resource: Vec::new(),
            resource_schema: None,
        };
        exporter.set_resource(resource);
        Ok(exporter)
    }
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let body = encode_request(&self.resource, self.resource_schema.as_deref(), &batch);
        drop(batch);
        let failed = |status: tonic::Status| {
            OTelSdkError::InternalFailure(format!("{}: {}", self.endpoint, status.message()))
        };
        let mut grpc = self.grpc.clone();
        grpc.ready()
            .await
            .map_err(|e| failed(tonic::Status::unavailable(e.to_string())))?;
        let path = axum::http::uri::PathAndQuery::from_static(EXPORT);
        grpc.unary(tonic::Request::new(Bytes::from(body)), path, Raw)
            .await
            .map(drop)
            .map_err(failed)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource.clear();
        for (key, value) in resource.iter() {
            message(&mut self.resource, 1, |b| key_value(b, key, value));
        }
        self.resource_schema = resource.schema_url().map(str::to_string);
    }
}

/// The gRPC codec of a body already encoded: sent as it is. The answer
/// (an `ExportTraceServiceResponse`, whose one field reports spans the
/// collector rejected) is not read.
#[derive(Clone, Copy)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
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
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put(item);
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

/// An `ExportTraceServiceRequest` of `batch`: one `ResourceSpans`, and a
/// `ScopeSpans` for each run of spans of one scope (a provider's spans all
/// come from one tracer, so there is one).
fn encode_request(resource: &[u8], resource_schema: Option<&str>, batch: &[SpanData]) -> Vec<u8> {
    // About what a server span takes, so that the buffer grows rarely.
    let mut buf = Vec::with_capacity(resource.len() + 64 + batch.len() * 192);
    message(&mut buf, 1, |rs| {
        bytes_field(rs, 1, resource);
        for group in batch.chunk_by(|a, b| a.instrumentation_scope == b.instrumentation_scope) {
            let scope = &group[0].instrumentation_scope;
            message(rs, 2, |ss| {
                message(ss, 1, |b| instrumentation_scope(b, scope));
                for span in group {
                    message(ss, 2, |b| write_span(b, span));
                }
                string(ss, 3, scope.schema_url().unwrap_or_default());
            });
        }
        string(rs, 3, resource_schema.unwrap_or_default());
    });
    buf
}

/// A `Span`'s fields, in the order of their numbers in trace.proto.
fn write_span(buf: &mut Vec<u8>, span: &SpanData) {
    let context = &span.span_context;
    bytes_field(buf, 1, &context.trace_id().to_bytes());
    bytes_field(buf, 2, &context.span_id().to_bytes());
    string(buf, 3, &context.trace_state().header());
    if span.parent_span_id != SpanId::INVALID {
        bytes_field(buf, 4, &span.parent_span_id.to_bytes());
    }
    string(buf, 5, &span.name);
    uint(buf, 6, kind(&span.span_kind));
    fixed64(buf, 7, nanos(span.start_time));
    fixed64(buf, 8, nanos(span.end_time));
    attributes(buf, 9, &span.attributes);
    uint(buf, 10, u64::from(span.dropped_attributes_count));
    for event in &span.events.events {
        message(buf, 11, |b| {
            fixed64(b, 1, nanos(event.timestamp));
            string(b, 2, &event.name);
            attributes(b, 3, &event.attributes);
            uint(b, 4, u64::from(event.dropped_attributes_count));
        });
    }
    uint(buf, 12, u64::from(span.events.dropped_count));
    for link in &span.links.links {
        let context = &link.span_context;
        message(buf, 13, |b| {
            bytes_field(b, 1, &context.trace_id().to_bytes());
            bytes_field(b, 2, &context.span_id().to_bytes());
            string(b, 3, &context.trace_state().header());
            attributes(b, 4, &link.attributes);
            uint(b, 5, u64::from(link.dropped_attributes_count));
            fixed32(b, 6, flags(context.trace_flags(), context.is_remote()));
        });
    }
    uint(buf, 14, u64::from(span.links.dropped_count));
    // The status is always written, unset or not, as collectors expect.
    message(buf, 15, |b| match &span.status {
        Status::Unset => {}
        Status::Ok => uint(b, 3, 1),
        Status::Error { description } => {
            string(b, 2, description);
            uint(b, 3, 2);
        }
    });
    fixed32(
        buf,
        16,
        flags(context.trace_flags(), span.parent_span_is_remote),
    );
}

/// `SpanFlags`: the W3C trace flags in the low byte, then whether the
/// parent's being remote is known (it is, bit 8) and whether it is (bit 9).
fn flags(trace: TraceFlags, remote: bool) -> u32 {
    u32::from(trace.to_u8()) | 0x100 | if remote { 0x200 } else { 0 }
}

/// `Span.SpanKind`'s numbers.
fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn instrumentation_scope(buf: &mut Vec<u8>, scope: &InstrumentationScope) {
    string(buf, 1, scope.name());
    string(buf, 2, scope.version().unwrap_or_default());
    for kv in scope.attributes() {
        message(buf, 3, |b| key_value(b, &kv.key, &kv.value));
    }
}

fn attributes(buf: &mut Vec<u8>, field: u32, attributes: &[KeyValue]) {
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
    use std::time::Duration;

    use opentelemetry::trace::{Event, Link, SpanContext, SpanId, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use prost::Message;

    use super::*;

    fn context(trace: u128, span: u64, remote: bool) -> SpanContext {
        SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            remote,
            TraceState::from_key_value([("vendor", "x")]).unwrap(),
        )
    }

    /// A span with every kind of field set, values at zero included.
    fn full_span(scope: &InstrumentationScope) -> SpanData {
        let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_764_000_000_123_456_789);
        let long = "x".repeat(300);
        SpanData {
            span_context: context(
                0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
                0x00f0_67aa_0ba9_02b7,
                false,
            ),
            parent_span_id: SpanId::from(7),
            parent_span_is_remote: true,
            span_kind: SpanKind::Server,
            name: Cow::Owned("POST /order/create".into()),
            start_time: start,
            end_time: start + Duration::from_micros(1500),
            attributes: vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("empty", ""),
                KeyValue::new("long", long),
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
            dropped_attributes_count: 2,
            events: {
                let mut events = SpanEvents::default();
                events.events.push(Event::new(
                    "retry",
                    start + Duration::from_micros(10),
                    vec![KeyValue::new("attempt", 2_i64)],
                    1,
                ));
                events.dropped_count = 3;
                events
            },
            links: {
                let mut links = SpanLinks::default();
                links.links.push(Link::new(
                    context(9, 10, true),
                    vec![KeyValue::new("kind", "batch")],
                    0,
                ));
                links
            },
            status: Status::error("payment refused"),
            instrumentation_scope: scope.clone(),
        }
    }

    /// The smallest span: a root, no attributes, no status.
    fn bare_span(scope: &InstrumentationScope) -> SpanData {
        let mut span = full_span(scope);
        span.span_context = SpanContext::new(
            TraceId::from(1),
            SpanId::from(2),
            TraceFlags::default(),
            false,
            TraceState::default(),
        );
        span.parent_span_id = SpanId::INVALID;
        span.parent_span_is_remote = false;
        span.span_kind = SpanKind::Internal;
        span.name = Cow::Borrowed("tick");
        span.attributes.clear();
        span.dropped_attributes_count = 0;
        span.events = SpanEvents::default();
        span.links = SpanLinks::default();
        span.status = Status::Unset;
        span
    }

    /// What the collector decodes from this exporter's bytes is what the
    /// upstream conversion builds from the same spans, field for field.
    #[test]
    fn a_batch_decodes_to_what_the_upstream_conversion_builds() {
        let scope = InstrumentationScope::builder("looklook")
            .with_version("1.2.3")
            .with_attributes([KeyValue::new("lib", "runtime")])
            .build();
        let resource = Resource::builder_empty()
            .with_service_name("order-api")
            .with_attribute(KeyValue::new("deployment.environment", "dev"))
            .build();
        let mut ok = bare_span(&scope);
        ok.status = Status::Ok;
        ok.span_kind = SpanKind::Consumer;
        let batch = vec![full_span(&scope), bare_span(&scope), ok];
        let exporter_resource = {
            let mut b = Vec::new();
            for (key, value) in resource.iter() {
                message(&mut b, 1, |b| key_value(b, key, value));
            }
            b
        };

        let ours = encode_request(&exporter_resource, None, &batch);
        let decoded = ExportTraceServiceRequest::decode(ours.as_slice()).unwrap();
        let upstream = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(
                batch,
                &ResourceAttributesWithSchema::from(&resource),
            ),
        };
        assert_eq!(decoded, upstream);
        // And byte for byte what prost writes for that message.
        assert_eq!(ours, upstream.encode_to_vec());
    }

    /// Spans of two scopes go in two `ScopeSpans`, each span once.
    #[test]
    fn each_run_of_one_scope_is_one_scope_spans() {
        let (a, b) = (
            InstrumentationScope::builder("a").build(),
            InstrumentationScope::builder("b").build(),
        );
        let batch = vec![bare_span(&a), bare_span(&a), bare_span(&b)];
        let decoded =
            ExportTraceServiceRequest::decode(encode_request(&[], None, &batch).as_slice())
                .unwrap();
        let scopes: Vec<(String, usize)> = decoded.resource_spans[0]
            .scope_spans
            .iter()
            .map(|s| (s.scope.as_ref().unwrap().name.clone(), s.spans.len()))
            .collect();
        assert_eq!(scopes, [("a".to_string(), 2), ("b".to_string(), 1)]);
    }

    /// A length past one byte moves the body along: every length from 0
    /// to past two bytes' worth still decodes.
    #[test]
    fn a_nested_message_of_any_length_decodes() {
        for len in [0, 1, 127, 128, 129, 16_383, 16_384, 70_000] {
            let mut buf = Vec::new();
            message(&mut buf, 1, |b| string(b, 1, &"y".repeat(len)));
            let resource = opentelemetry_proto::tonic::resource::v1::Resource::decode(
                // A message whose field 1 is a message: read it as a
                // resource's first attribute (a KeyValue, key = the text).
                buf.as_slice(),
            )
            .unwrap();
            let key = resource.attributes.first().map_or(0, |kv| kv.key.len());
            assert_eq!(key, len);
        }
    }
}
