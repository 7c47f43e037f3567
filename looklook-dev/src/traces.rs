//! The traces `looklook dev` receives itself when no collector is
//! configured: an OTLP/gRPC receiver on 127.0.0.1 (the protocol every
//! generated service exports with) keeping the newest spans in memory, for
//! the dashboard to list and draw.
//!
//! The receiver shares the machine's cores with the services it watches,
//! so a span must cost it little: only what the store sorts and lists by is
//! read out of a span (its ids, times and status), and the rest is kept as
//! the protobuf bytes it arrived in, decoded when a page draws it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message;
use serde::Serialize;

/// The one call of OTLP's trace service.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// What the receiver reads of an export request: the fields it needs, by
/// their numbers in OTLP's `trace.proto`; prost skips the others. Each span
/// is first taken whole, as bytes (a message is length-delimited like a
/// `bytes` field), to be kept as it came.
mod wire {
    use bytes::Bytes;
    use opentelemetry_proto::tonic::resource::v1::Resource;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ExportRequest {
        #[prost(message, repeated, tag = "1")]
        pub resource_spans: Vec<ResourceSpans>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ResourceSpans {
        #[prost(message, optional, tag = "1")]
        pub resource: Option<Resource>,
        #[prost(message, repeated, tag = "2")]
        pub scope_spans: Vec<ScopeSpans>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ScopeSpans {
        #[prost(bytes = "bytes", repeated, tag = "2")]
        pub spans: Vec<Bytes>,
    }

    /// What the store orders and lists a span by. Decoded from a `Bytes`,
    /// the ids are slices of it, not copies.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SpanIndex {
        #[prost(bytes = "bytes", tag = "1")]
        pub trace_id: Bytes,
        #[prost(bytes = "bytes", tag = "2")]
        pub span_id: Bytes,
        #[prost(bytes = "bytes", tag = "4")]
        pub parent_span_id: Bytes,
        #[prost(fixed64, tag = "7")]
        pub start_time_unix_nano: u64,
        #[prost(fixed64, tag = "8")]
        pub end_time_unix_nano: u64,
        #[prost(message, optional, tag = "15")]
        pub status: Option<Status>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Status {
        #[prost(int32, tag = "3")]
        pub code: i32,
    }

    /// A span's name alone, for the list of traces.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SpanName {
        #[prost(string, tag = "5")]
        pub name: String,
    }
}

/// A span as the store keeps it.
#[derive(Debug, Clone)]
pub struct Received {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    /// All zeros for a root: OTLP sends no parent.
    pub parent_id: [u8; 8],
    /// The exporting process's `service.name`, shared by its spans.
    pub service: Arc<str>,
    /// Unix nanoseconds.
    pub start: u64,
    pub end: u64,
    pub error: bool,
    /// The span's message as the service sent it.
    encoded: Box<[u8]>,
}

const ROOT: [u8; 8] = [0; 8];

impl Received {
    /// The span's name.
    pub fn name(&self) -> String {
        wire::SpanName::decode(&*self.encoded)
            .map(|s| s.name)
            .unwrap_or_default()
    }

    /// The span as the dashboard shows it, decoded whole.
    pub fn record(&self) -> SpanRecord {
        let span =
            opentelemetry_proto::tonic::trace::v1::Span::decode(&*self.encoded).unwrap_or_default();
        SpanRecord {
            trace_id: hex::encode(self.trace_id),
            span_id: hex::encode(self.span_id),
            parent_id: if self.parent_id == ROOT {
                String::new()
            } else {
                hex::encode(self.parent_id)
            },
            service: self.service.to_string(),
            name: span.name,
            start: self.start,
            end: self.end,
            error: self.error,
            attributes: span
                .attributes
                .iter()
                .map(|a| (a.key.clone(), text(a)))
                .collect(),
        }
    }
}

/// The spans of an export request, as the receiver reads them; a span
/// whose ids are not OTLP's 16 and 8 bytes is left out.
fn received(request: wire::ExportRequest) -> Vec<Received> {
    let mut out = Vec::new();
    for rs in request.resource_spans {
        let service: Arc<str> = service_of(rs.resource.as_ref()).into();
        for encoded in rs.scope_spans.into_iter().flat_map(|ss| ss.spans) {
            let Ok(index) = wire::SpanIndex::decode(encoded.clone()) else {
                continue;
            };
            let (Ok(trace_id), Ok(span_id)) = (
                <[u8; 16]>::try_from(&index.trace_id[..]),
                <[u8; 8]>::try_from(&index.span_id[..]),
            ) else {
                continue;
            };
            out.push(Received {
                trace_id,
                span_id,
                parent_id: <[u8; 8]>::try_from(&index.parent_span_id[..]).unwrap_or(ROOT),
                service: service.clone(),
                start: index.start_time_unix_nano,
                end: index.end_time_unix_nano,
                error: index
                    .status
                    .is_some_and(|s| s.code == StatusCode::Error as i32),
                encoded: Box::from(&encoded[..]),
            });
        }
    }
    out
}

/// The spans of an export request's body, as the receiver reads them.
pub fn decode(body: Bytes) -> Result<Vec<Received>, prost::DecodeError> {
    wire::ExportRequest::decode(body).map(received)
}

/// The spans of a request another collector has already decoded (the
/// end-to-end test keeps its own, and shows them on the dashboard too).
pub fn spans_of(request: &ExportTraceServiceRequest) -> Vec<Received> {
    decode(Bytes::from(request.encode_to_vec())).unwrap_or_default()
}

/// One span as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRecord {
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root.
    pub parent_id: String,
    /// The exporting process's `service.name`.
    pub service: String,
    pub name: String,
    /// Unix nanoseconds.
    pub start: u64,
    pub end: u64,
    pub error: bool,
    /// The attributes, as text.
    pub attributes: Vec<(String, String)>,
}

/// A trace in the list: what its root says, and how long it all took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSummary {
    pub trace_id: String,
    /// The root span's name (the earliest span's, while the root has not
    /// arrived).
    pub name: String,
    pub service: String,
    pub start: u64,
    pub duration_ns: u64,
    pub spans: usize,
    pub services: Vec<String>,
    pub error: bool,
}

/// The newest spans, by trace; the oldest traces go first when more than
/// `max_spans` are kept.
#[derive(Debug)]
pub struct TraceStore {
    max_spans: usize,
    kept: usize,
    /// Every span ever added, the dropped included.
    received: u64,
    /// Traces by arrival of their first span, the oldest first.
    order: VecDeque<[u8; 16]>,
    traces: HashMap<[u8; 16], Vec<Received>>,
}

impl TraceStore {
    pub fn new(max_spans: usize) -> TraceStore {
        TraceStore {
            max_spans,
            kept: 0,
            received: 0,
            order: VecDeque::new(),
            traces: HashMap::new(),
        }
    }

    pub fn add(&mut self, span: Received) {
        self.traces
            .entry(span.trace_id)
            .or_insert_with(|| {
                self.order.push_back(span.trace_id);
                Vec::new()
            })
            .push(span);
        self.kept += 1;
        self.received += 1;
        while self.kept > self.max_spans {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(spans) = self.traces.remove(&oldest) {
                self.kept -= spans.len();
            }
        }
    }

    /// How many spans were ever added.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// How many spans are kept.
    pub fn len(&self) -> usize {
        self.kept
    }

    pub fn is_empty(&self) -> bool {
        self.kept == 0
    }

    /// The newest `limit` traces, newest first.
    pub fn recent(&self, limit: usize) -> Vec<TraceSummary> {
        self.order
            .iter()
            .rev()
            .take(limit)
            .filter_map(|id| Some(summary(id, self.traces.get(id)?)))
            .collect()
    }

    /// A trace's spans (its id in hex), parents before their children,
    /// each level by start.
    pub fn trace(&self, id: &str) -> Option<Vec<SpanRecord>> {
        let mut key = [0; 16];
        hex::decode_to_slice(id, &mut key).ok()?;
        let spans = self.traces.get(&key)?;
        let known: HashSet<[u8; 8]> = spans.iter().map(|s| s.span_id).collect();
        let mut children: HashMap<[u8; 8], Vec<&Received>> = HashMap::new();
        for s in spans {
            // A span whose parent has not arrived (or never will) is drawn
            // as a root.
            let parent = if known.contains(&s.parent_id) {
                s.parent_id
            } else {
                ROOT
            };
            children.entry(parent).or_default().push(s);
        }
        for list in children.values_mut() {
            list.sort_by_key(|s| (s.start, s.end));
        }
        let mut out = Vec::with_capacity(spans.len());
        let mut stack: Vec<&Received> = children.get(&ROOT).cloned().unwrap_or_default();
        stack.reverse();
        while let Some(s) = stack.pop() {
            out.push(s.record());
            if let Some(kids) = children.get(&s.span_id) {
                stack.extend(kids.iter().rev());
            }
        }
        Some(out)
    }
}

fn summary(id: &[u8; 16], spans: &[Received]) -> TraceSummary {
    let start = spans.iter().map(|s| s.start).min().unwrap_or_default();
    let end = spans.iter().map(|s| s.end).max().unwrap_or_default();
    let ids: HashSet<[u8; 8]> = spans.iter().map(|s| s.span_id).collect();
    let root = spans
        .iter()
        .filter(|s| !ids.contains(&s.parent_id))
        .min_by_key(|s| s.start)
        .or_else(|| spans.first());
    let mut services: Vec<String> = spans.iter().map(|s| s.service.to_string()).collect();
    services.sort();
    services.dedup();
    TraceSummary {
        trace_id: hex::encode(id),
        name: root.map(Received::name).unwrap_or_default(),
        service: root.map(|s| s.service.to_string()).unwrap_or_default(),
        start,
        duration_ns: end.saturating_sub(start),
        spans: spans.len(),
        services,
        error: spans.iter().any(|s| s.error),
    }
}

/// The `service.name` of the process that exported `spans`.
pub fn service_name(spans: &ResourceSpans) -> String {
    service_of(spans.resource.as_ref())
}

/// A resource's `service.name`, or empty when it has none.
fn service_of(resource: Option<&Resource>) -> String {
    resource
        .iter()
        .flat_map(|r| &r.attributes)
        .find(|a| a.key == "service.name")
        .map(text)
        .unwrap_or_default()
}

fn text(kv: &KeyValue) -> String {
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// The receiver's one call: every export lands in the shared store.
#[derive(Clone)]
struct Export(Arc<Mutex<TraceStore>>);

impl tonic::server::UnaryService<wire::ExportRequest> for Export {
    type Response = ExportTraceServiceResponse;
    type Future =
        std::future::Ready<Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<wire::ExportRequest>) -> Self::Future {
        let spans = received(request.into_inner());
        let mut store = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for span in spans {
            store.add(span);
        }
        std::future::ready(Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        })))
    }
}

/// Serve the receiver on 127.0.0.1, on a port the system picks; the
/// endpoint to give the services (`OTLP_ENDPOINT`).
pub async fn start(store: Arc<Mutex<TraceStore>>) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    // OTLP's service has one call; it is routed by hand because the
    // receiver decodes its own view of the request.
    let export = Export(store);
    let routes = axum::Router::new().route(
        EXPORT,
        axum::routing::post(move |request: axum::extract::Request| {
            let export = export.clone();
            async move {
                tonic::server::Grpc::new(tonic_prost::ProstCodec::default())
                    .unary(export, request)
                    .await
            }
        }),
    );
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_routes(tonic::service::Routes::from(routes))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
    });
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    use opentelemetry_proto::tonic::common::v1::AnyValue;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ScopeSpans, Span, Status};

    use super::*;

    fn attribute(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
        }
    }

    /// A span of trace `trace` (every byte of its id that number), `id` its
    /// span id's bytes, `parent` 0 for none; span 0xe fails.
    fn span(trace: u8, id: u8, parent: u8, start: u64) -> Span {
        Span {
            trace_id: vec![trace; 16],
            span_id: vec![id; 8],
            parent_span_id: if parent == 0 {
                Vec::new()
            } else {
                vec![parent; 8]
            },
            name: format!("span {id:x}"),
            start_time_unix_nano: start,
            end_time_unix_nano: start + 10,
            status: (id == 0xe).then(|| Status {
                code: StatusCode::Error as i32,
                ..Status::default()
            }),
            ..Span::default()
        }
    }

    /// An export request of `spans`, each from the service named beside it.
    fn request(spans: Vec<(&str, Span)>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: spans
                .into_iter()
                .map(|(service, span)| ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![attribute(
                            "service.name",
                            Value::StringValue(service.into()),
                        )],
                        ..Resource::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span],
                        ..ScopeSpans::default()
                    }],
                    ..ResourceSpans::default()
                })
                .collect(),
        }
    }

    fn add(store: &mut TraceStore, spans: Vec<(&str, Span)>) {
        for span in spans_of(&request(spans)) {
            store.add(span);
        }
    }

    #[test]
    fn a_trace_is_drawn_parents_first_and_summarised_by_its_root() {
        let mut store = TraceStore::new(100);
        // Children may arrive before their parents: exports are batched
        // per process.
        add(
            &mut store,
            vec![
                ("svc-c2", span(7, 0xc2, 0xa, 30)),
                ("svc-g", span(7, 0x9, 0xc1, 25)),
                ("svc-c1", span(7, 0xc1, 0xa, 20)),
                ("svc-r", span(7, 0xa, 0, 10)),
                ("svc-e", span(7, 0xe, 0xf, 50)),
            ],
        );
        let trace = store.trace(&"07".repeat(16)).unwrap();
        let order: Vec<&str> = trace.iter().map(|s| s.span_id.as_str()).collect();
        assert_eq!(
            order,
            [
                "0a0a0a0a0a0a0a0a",
                "c1c1c1c1c1c1c1c1",
                "0909090909090909",
                "c2c2c2c2c2c2c2c2",
                "0e0e0e0e0e0e0e0e"
            ]
        );
        assert_eq!(
            (trace[0].name.as_str(), trace[0].parent_id.as_str()),
            ("span a", "")
        );
        assert_eq!(trace[1].parent_id, "0a0a0a0a0a0a0a0a");
        let s = &store.recent(10)[0];
        assert_eq!(
            (
                s.name.as_str(),
                s.service.as_str(),
                s.spans,
                s.duration_ns,
                s.error
            ),
            ("span a", "svc-r", 5, 50, true)
        );
        assert_eq!(s.trace_id, "07".repeat(16));
        assert_eq!(s.services.len(), 5);
    }

    #[test]
    fn a_span_is_drawn_with_what_it_was_sent() {
        let mut sent = span(1, 2, 0, 100);
        sent.attributes = vec![
            attribute("http.request.method", Value::StringValue("GET".into())),
            attribute("http.response.status_code", Value::IntValue(200)),
            attribute("ratio", Value::DoubleValue(0.5)),
            attribute("cached", Value::BoolValue(true)),
        ];
        let mut store = TraceStore::new(10);
        add(&mut store, vec![("order-api", sent)]);
        let drawn = &store.trace(&"01".repeat(16)).unwrap()[0];
        assert_eq!(
            drawn,
            &SpanRecord {
                trace_id: "01".repeat(16),
                span_id: "02".repeat(8),
                parent_id: String::new(),
                service: "order-api".into(),
                name: "span 2".into(),
                start: 100,
                end: 110,
                error: false,
                attributes: [
                    ("http.request.method", "GET"),
                    ("http.response.status_code", "200"),
                    ("ratio", "0.5"),
                    ("cached", "true"),
                ]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .to_vec(),
            }
        );
    }

    #[test]
    fn spans_with_ids_of_the_wrong_length_are_left_out() {
        let mut short = span(3, 1, 0, 1);
        short.trace_id.pop();
        let mut long = span(3, 2, 0, 1);
        long.span_id.push(0);
        let mut store = TraceStore::new(10);
        add(
            &mut store,
            vec![("a", short), ("a", long), ("a", span(3, 3, 0, 1))],
        );
        assert_eq!(store.len(), 1);
        // And an id that is not 32 hex digits finds nothing.
        assert!(store.trace("03").is_none());
        assert!(store.trace(&"zz".repeat(16)).is_none());
    }

    #[test]
    fn the_oldest_traces_go_when_the_store_is_full() {
        let mut store = TraceStore::new(4);
        for t in [0xa, 0xb, 0xc] {
            add(
                &mut store,
                vec![("s", span(t, 1, 0, 1)), ("s", span(t, 2, 1, 2))],
            );
        }
        assert_eq!((store.len(), store.received()), (4, 6));
        let ids: Vec<String> = store.recent(10).into_iter().map(|t| t.trace_id).collect();
        assert_eq!(ids, ["0c".repeat(16), "0b".repeat(16)]);
        assert!(store.trace(&"0a".repeat(16)).is_none());
    }

    #[tokio::test]
    async fn the_receiver_keeps_what_an_otlp_client_exports() {
        let store = Arc::new(Mutex::new(TraceStore::new(10)));
        let endpoint = start(store.clone()).await.unwrap();
        let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
        client
            .export(request(vec![("travel-rpc", span(5, 1, 0, 1))]))
            .await
            .unwrap();
        let store = store.lock().unwrap();
        let kept = store.trace(&"05".repeat(16)).unwrap();
        assert_eq!(
            (kept[0].service.as_str(), kept[0].name.as_str()),
            ("travel-rpc", "span 1")
        );
    }
}
