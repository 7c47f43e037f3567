//! Spans to an OTLP/gRPC collector, written straight from the SDK's span
//! data into the request's protobuf bytes.
//!
//! opentelemetry-otlp first clones every span into the generated protobuf
//! structs, groups them, measures each nested message again at every level
//! and then drops the copies: about 12,000 instructions a span, more than
//! the request the span describes (`scripts/bench-http`). Here the
//! resource is encoded once, and each span once, in place. The unit tests
//! hold the bytes to opentelemetry-proto's own encoding of the same spans.
//!
//! Field numbers are those of `opentelemetry/proto/trace/v1/trace.proto`,
//! `common/v1/common.proto` and `resource/v1/resource.proto`. A field at
//! its default value (0, empty) is left out, as proto3 does.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use prost::bytes::{Buf, BufMut};
use prost::encoding::{WireType, encode_key, encode_varint};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

/// The collector's method.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// How long one export may take before it is given up.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// `SpanFlags`: the flags say whether the parent is remote, and it is.
const CONTEXT_HAS_IS_REMOTE: u32 = 0x100;
const CONTEXT_IS_REMOTE: u32 = 0x200;

/// Sends each batch of spans in one `Export` call.
#[derive(Debug)]
pub(crate) struct OtlpExporter {
    channel: Channel,
    /// The `Resource` message, encoded once.
    resource: Vec<u8>,
    resource_schema: String,
}

impl OtlpExporter {
    /// An exporter to `endpoint` (`http://host:4317`); it connects at the
    /// first export, and again after a failure.
    pub(crate) fn new(
        endpoint: &str,
    ) -> Result<OtlpExporter, tonic::codegen::http::uri::InvalidUri> {
        let channel = Channel::from_shared(endpoint.to_string())?
            .timeout(EXPORT_TIMEOUT)
            .connect_lazy();
        Ok(OtlpExporter {
            channel,
            resource: Vec::new(),
            resource_schema: String::new(),
        })
    }
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let body = encode_request(&self.resource, &self.resource_schema, &batch);
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready()
            .await
            .map_err(|e| OTelSdkError::InternalFailure(format!("collector unreachable: {e}")))?;
        grpc.unary(
            tonic::Request::new(body),
            PathAndQuery::from_static(EXPORT),
            RawCodec,
        )
        .await
        .map(|_| ())
        .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource.clear();
        for (key, value) in resource.iter() {
            message(&mut self.resource, 1, |buf| key_value(buf, key, value));
        }
        self.resource_schema = resource.schema_url().unwrap_or_default().to_string();
    }
}

/// The `ExportTraceServiceRequest` of a batch: one `ResourceSpans`, with a
/// `ScopeSpans` for each instrumentation scope in the order first seen.
pub(crate) fn encode_request(
    resource: &[u8],
    resource_schema: &str,
    batch: &[SpanData],
) -> Vec<u8> {
    // Each span's scope, by its place in `scopes`: one comparison a span
    // while the scope stays the same (in a service, it always does).
    let mut scopes: Vec<&InstrumentationScope> = Vec::new();
    let mut scope_of = Vec::with_capacity(batch.len());
    for span in batch {
        let scope = &span.instrumentation_scope;
        let at = match scopes.last() {
            Some(last) if *last == scope => scopes.len() - 1,
            _ => match scopes.iter().position(|s| *s == scope) {
                Some(at) => at,
                None => {
                    scopes.push(scope);
                    scopes.len() - 1
                }
            },
        };
        scope_of.push(at);
    }
    // About what a span takes, so the buffer grows rarely.
    let mut buf = Vec::with_capacity(64 + resource.len() + batch.len() * 256);
    message(&mut buf, 1, |buf| {
        message(buf, 1, |buf| buf.extend_from_slice(resource));
        for (at, scope) in scopes.iter().enumerate() {
            message(buf, 2, |buf| {
                message(buf, 1, |buf| instrumentation_scope(buf, scope));
                let spans = batch.iter().zip(&scope_of).filter(|(_, s)| **s == at);
                for (span, _) in spans {
                    message(buf, 2, |buf| encode_span(buf, span));
                }
                string(buf, 3, scope.schema_url().unwrap_or_default());
            });
        }
        string(buf, 3, resource_schema);
    });
    buf
}

fn instrumentation_scope(buf: &mut Vec<u8>, scope: &InstrumentationScope) {
    string(buf, 1, scope.name());
    string(buf, 2, scope.version().unwrap_or_default());
    for kv in scope.attributes() {
        message(buf, 3, |buf| key_value(buf, &kv.key, &kv.value));
    }
}

/// One `Span`.
fn encode_span(buf: &mut Vec<u8>, span: &SpanData) {
    let cx = &span.span_context;
    bytes(buf, 1, &cx.trace_id().to_bytes());
    bytes(buf, 2, &cx.span_id().to_bytes());
    string(buf, 3, &cx.trace_state().header());
    if span.parent_span_id != opentelemetry::trace::SpanId::INVALID {
        bytes(buf, 4, &span.parent_span_id.to_bytes());
    }
    string(buf, 5, &span.name);
    varint(buf, 6, span_kind(&span.span_kind));
    fixed64(buf, 7, nanos(span.start_time));
    fixed64(buf, 8, nanos(span.end_time));
    attributes(buf, 9, &span.attributes);
    varint(buf, 10, u64::from(span.dropped_attributes_count));
    for event in span.events.iter() {
        message(buf, 11, |buf| {
            fixed64(buf, 1, nanos(event.timestamp));
            string(buf, 2, &event.name);
            attributes(buf, 3, &event.attributes);
            varint(buf, 4, u64::from(event.dropped_attributes_count));
        });
    }
    varint(buf, 12, u64::from(span.events.dropped_count));
    for link in span.links.iter() {
        message(buf, 13, |buf| {
            let cx = &link.span_context;
            bytes(buf, 1, &cx.trace_id().to_bytes());
            bytes(buf, 2, &cx.span_id().to_bytes());
            string(buf, 3, &cx.trace_state().header());
            attributes(buf, 4, &link.attributes);
            varint(buf, 5, u64::from(link.dropped_attributes_count));
            let flags = u32::from(cx.trace_flags().to_u8()) | CONTEXT_HAS_IS_REMOTE;
            fixed32(
                buf,
                6,
                flags | if cx.is_remote() { CONTEXT_IS_REMOTE } else { 0 },
            );
        });
    }
    varint(buf, 14, u64::from(span.links.dropped_count));
    // `Status` is always there, even unset.
    message(buf, 15, |buf| {
        let (code, text) = match &span.status {
            Status::Unset => (0, ""),
            Status::Ok => (1, ""),
            Status::Error { description } => (2, description.as_ref()),
        };
        string(buf, 2, text);
        varint(buf, 3, code);
    });
    let mut flags = u32::from(cx.trace_flags().to_u8()) | CONTEXT_HAS_IS_REMOTE;
    if span.parent_span_is_remote {
        flags |= CONTEXT_IS_REMOTE;
    }
    fixed32(buf, 16, flags);
}

/// `SpanKind` as the protocol numbers it (0 is "unspecified").
fn span_kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn nanos(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn attributes(buf: &mut Vec<u8>, field: u32, list: &[KeyValue]) {
    for kv in list {
        message(buf, field, |buf| key_value(buf, &kv.key, &kv.value));
    }
}

/// A `KeyValue`: the key, and the value as an `AnyValue`.
fn key_value(buf: &mut Vec<u8>, key: &Key, value: &Value) {
    string(buf, 1, key.as_str());
    message(buf, 2, |buf| any_value(buf, value));
}

fn any_value(buf: &mut Vec<u8>, value: &Value) {
    // A oneof: the field is written even at its default value.
    match value {
        Value::Bool(v) => {
            encode_key(2, WireType::Varint, buf);
            encode_varint(u64::from(*v), buf);
        }
        Value::I64(v) => {
            encode_key(3, WireType::Varint, buf);
            encode_varint(*v as u64, buf);
        }
        Value::F64(v) => {
            encode_key(4, WireType::SixtyFourBit, buf);
            buf.put_f64_le(*v);
        }
        Value::String(v) => string_always(buf, 1, v.as_str()),
        Value::Array(array) => message(buf, 5, |buf| match array {
            Array::Bool(list) => array_values(buf, list, |v| Value::Bool(*v)),
            Array::I64(list) => array_values(buf, list, |v| Value::I64(*v)),
            Array::F64(list) => array_values(buf, list, |v| Value::F64(*v)),
            Array::String(list) => {
                for v in list {
                    message(buf, 1, |buf| string_always(buf, 1, v.as_str()));
                }
            }
            // A kind of array newer than this code: sent as its text.
            other => message(buf, 1, |buf| string_always(buf, 1, &other.to_string())),
        }),
        // A kind of value newer than this code: sent as its text.
        other => string_always(buf, 1, other.as_str().as_ref()),
    }
}

/// An `ArrayValue`'s `values`.
fn array_values<T>(buf: &mut Vec<u8>, list: &[T], value: impl Fn(&T) -> Value) {
    for v in list {
        message(buf, 1, |buf| any_value(buf, &value(v)));
    }
}

/// A length-delimited field whose body `body` writes in place: the length
/// goes before it once known.
fn message(buf: &mut Vec<u8>, field: u32, body: impl FnOnce(&mut Vec<u8>)) {
    encode_key(field, WireType::LengthDelimited, buf);
    // Room for a length under 16 KiB, as most are; moved when it is not.
    let at = buf.len();
    buf.extend_from_slice(&[0, 0]);
    body(buf);
    let len = buf.len() - at - 2;
    if len < 0x80 {
        buf[at] = len as u8;
        buf.remove(at + 1);
    } else if len < 0x4000 {
        buf[at] = (len as u8 & 0x7f) | 0x80;
        buf[at + 1] = (len >> 7) as u8;
    } else {
        let mut prefix = Vec::with_capacity(5);
        encode_varint(len as u64, &mut prefix);
        buf.splice(at..at + 2, prefix);
    }
}

fn bytes(buf: &mut Vec<u8>, field: u32, data: &[u8]) {
    if !data.is_empty() {
        encode_key(field, WireType::LengthDelimited, buf);
        encode_varint(data.len() as u64, buf);
        buf.extend_from_slice(data);
    }
}

fn string(buf: &mut Vec<u8>, field: u32, text: &str) {
    bytes(buf, field, text.as_bytes());
}

/// A string field written even when empty (a oneof member).
fn string_always(buf: &mut Vec<u8>, field: u32, text: &str) {
    encode_key(field, WireType::LengthDelimited, buf);
    encode_varint(text.len() as u64, buf);
    buf.extend_from_slice(text.as_bytes());
}

fn varint(buf: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        encode_key(field, WireType::Varint, buf);
        encode_varint(v, buf);
    }
}

fn fixed64(buf: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        encode_key(field, WireType::SixtyFourBit, buf);
        buf.put_u64_le(v);
    }
}

fn fixed32(buf: &mut Vec<u8>, field: u32, v: u32) {
    if v != 0 {
        encode_key(field, WireType::ThirtyTwoBit, buf);
        buf.put_u32_le(v);
    }
}

/// Sends bytes already encoded; reads nothing of the answer (a collector's
/// partial success is not acted on).
#[derive(Debug, Clone, Copy)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use opentelemetry::StringValue;
    use opentelemetry::trace::{Event, Link, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use prost::Message;

    use super::*;

    fn context(trace: u128, span: u64, remote: bool, state: TraceState) -> SpanContext {
        SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            remote,
            state,
        )
    }

    /// Spans with every part the protocol carries: each kind of value
    /// (also empty, zero and negative ones), a remote parent, events,
    /// links, a trace state and each status.
    fn spans() -> Vec<SpanData> {
        let scope = InstrumentationScope::builder("looklook")
            .with_version("1.2.3")
            .with_attributes([KeyValue::new("scope.key", "v")])
            .build();
        let at = |secs: u64| UNIX_EPOCH + Duration::from_nanos(1_700_000_000_000_000_000 + secs);
        let mut events = SpanEvents::default();
        events.events.push(Event::new(
            "retry",
            at(5),
            vec![KeyValue::new("attempt", 2)],
            1,
        ));
        events.dropped_count = 3;
        let mut links = SpanLinks::default();
        links.links.push(Link::new(
            context(7, 8, true, TraceState::NONE),
            vec![KeyValue::new("why", "batch")],
            0,
        ));
        let root = SpanData {
            span_context: context(
                0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
                0x00f0_67aa_0ba9_02b7,
                false,
                TraceState::from_key_value([("vendor", "x")]).unwrap(),
            ),
            parent_span_id: SpanId::from(0x1122_3344_5566_7788),
            parent_span_is_remote: true,
            span_kind: SpanKind::Server,
            name: Cow::Borrowed("POST /order/v1/homestayOrder/createHomestayOrder"),
            start_time: at(0),
            end_time: at(1_250_000),
            attributes: vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("http.response.status_code", 200_i64),
                KeyValue::new("negative", -5_i64),
                KeyValue::new("zero", 0_i64),
                KeyValue::new("empty", ""),
                KeyValue::new("ratio", 0.5),
                KeyValue::new("cached", false),
                KeyValue::new(
                    "tags",
                    Value::Array(vec![StringValue::from("a"), "".into()].into()),
                ),
                KeyValue::new("ids", Value::Array(vec![1_i64, -2].into())),
                KeyValue::new("flags", Value::Array(vec![true, false].into())),
                KeyValue::new("weights", Value::Array(vec![1.5, 0.0].into())),
            ],
            dropped_attributes_count: 1,
            events,
            links,
            status: Status::error("payment declined"),
            instrumentation_scope: scope.clone(),
        };
        let child = SpanData {
            span_context: context(
                0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
                9,
                false,
                TraceState::NONE,
            ),
            parent_span_id: SpanId::from(0x00f0_67aa_0ba9_02b7),
            parent_span_is_remote: false,
            span_kind: SpanKind::Client,
            name: Cow::Owned("pb.order/createHomestayOrder".into()),
            start_time: at(10),
            end_time: at(20),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Ok,
            instrumentation_scope: scope.clone(),
        };
        // A root of a new trace, with nothing set.
        let bare = SpanData {
            span_context: context(3, 4, false, TraceState::NONE),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: Cow::Borrowed("job"),
            start_time: at(30),
            end_time: at(30),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            // Another scope: a `ScopeSpans` of its own.
            instrumentation_scope: InstrumentationScope::builder("jobs").build(),
        };
        drop(scope);
        vec![root, child, bare]
    }

    /// What this module sends decodes to what opentelemetry-proto's own
    /// conversion makes of the same spans and resource.
    #[tokio::test]
    async fn the_bytes_are_what_opentelemetry_proto_makes() {
        let resource = Resource::builder()
            .with_service_name("order-api")
            .with_attributes([KeyValue::new("deployment.environment", "test")])
            .build();
        let mut exporter = OtlpExporter::new("http://127.0.0.1:4317").unwrap();
        exporter.set_resource(&resource);
        let batch = spans();
        let ours = encode_request(&exporter.resource, &exporter.resource_schema, &batch);
        let mut decoded = ExportTraceServiceRequest::decode(ours.as_slice()).unwrap();
        let mut theirs = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(
                batch,
                &ResourceAttributesWithSchema::from(&resource),
            ),
        };
        // They group scopes in a hash map's order; the order means nothing.
        for request in [&mut decoded, &mut theirs] {
            let scopes = &mut request.resource_spans[0].scope_spans;
            scopes.sort_by_key(|s| s.scope.as_ref().map(|s| s.name.clone()));
        }
        assert_eq!(decoded.resource_spans[0].scope_spans.len(), 2);
        assert_eq!(decoded, theirs);
        // And byte for byte, as prost writes it.
        assert_eq!(ours.len(), theirs.encoded_len());
    }

    /// A message of 16 KiB or more takes a longer length prefix.
    #[test]
    fn long_messages_keep_their_length() {
        let mut batch = spans();
        batch[0].name = Cow::Owned("x".repeat(20_000));
        let ours = encode_request(&[], "", &batch);
        let decoded = ExportTraceServiceRequest::decode(ours.as_slice()).unwrap();
        let span = &decoded.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.name.len(), 20_000);
    }
}
