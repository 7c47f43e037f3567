//! The traces `looklook dev` receives itself when no collector is
//! configured: an OTLP/gRPC receiver on 127.0.0.1 (the protocol every
//! generated service exports with) keeping the newest spans in memory, for
//! the dashboard to list and draw.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde::Serialize;

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
    next: u64,
    /// Traces by arrival of their first span.
    order: BTreeMap<u64, String>,
    traces: HashMap<String, (u64, Vec<SpanRecord>)>,
}

impl TraceStore {
    pub fn new(max_spans: usize) -> TraceStore {
        TraceStore {
            max_spans,
            kept: 0,
            received: 0,
            next: 0,
            order: BTreeMap::new(),
            traces: HashMap::new(),
        }
    }

    pub fn add(&mut self, span: SpanRecord) {
        let (_, spans) = self.traces.entry(span.trace_id.clone()).or_insert_with(|| {
            self.next += 1;
            self.order.insert(self.next, span.trace_id.clone());
            (self.next, Vec::new())
        });
        spans.push(span);
        self.kept += 1;
        self.received += 1;
        while self.kept > self.max_spans {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some((_, spans)) = self.traces.remove(&oldest) {
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
            .values()
            .rev()
            .take(limit)
            .filter_map(|id| Some(summary(id, &self.traces.get(id)?.1)))
            .collect()
    }

    /// A trace's spans, parents before their children, each level by
    /// start.
    pub fn trace(&self, id: &str) -> Option<Vec<SpanRecord>> {
        let spans = &self.traces.get(id)?.1;
        let mut children: HashMap<&str, Vec<&SpanRecord>> = HashMap::new();
        let known: std::collections::HashSet<&str> =
            spans.iter().map(|s| s.span_id.as_str()).collect();
        for s in spans {
            // A span whose parent has not arrived (or never will) is drawn
            // as a root.
            let parent = if known.contains(s.parent_id.as_str()) {
                s.parent_id.as_str()
            } else {
                ""
            };
            children.entry(parent).or_default().push(s);
        }
        for list in children.values_mut() {
            list.sort_by_key(|s| (s.start, s.end));
        }
        let mut out = Vec::with_capacity(spans.len());
        let mut stack: Vec<&SpanRecord> = children.get("").cloned().unwrap_or_default();
        stack.reverse();
        while let Some(s) = stack.pop() {
            out.push(s.clone());
            if let Some(kids) = children.get(s.span_id.as_str()) {
                stack.extend(kids.iter().rev());
            }
        }
        Some(out)
    }
}

fn summary(id: &str, spans: &[SpanRecord]) -> TraceSummary {
    let start = spans.iter().map(|s| s.start).min().unwrap_or_default();
    let end = spans.iter().map(|s| s.end).max().unwrap_or_default();
    let ids: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let root = spans
        .iter()
        .filter(|s| s.parent_id.is_empty() || !ids.contains(s.parent_id.as_str()))
        .min_by_key(|s| s.start)
        .or_else(|| spans.first());
    let mut services: Vec<String> = spans.iter().map(|s| s.service.clone()).collect();
    services.sort();
    services.dedup();
    TraceSummary {
        trace_id: id.to_string(),
        name: root.map(|s| s.name.clone()).unwrap_or_default(),
        service: root.map(|s| s.service.clone()).unwrap_or_default(),
        start,
        duration_ns: end.saturating_sub(start),
        spans: spans.len(),
        services,
        error: spans.iter().any(|s| s.error),
    }
}

/// The `service.name` of the process that exported `spans`.
pub fn service_name(spans: &ResourceSpans) -> String {
    spans
        .resource
        .iter()
        .flat_map(|r| &r.attributes)
        .find(|a| a.key == "service.name")
        .map(text)
        .unwrap_or_default()
}

/// The spans of one OTLP export request.
pub fn records(request: ExportTraceServiceRequest) -> Vec<SpanRecord> {
    let mut out = Vec::new();
    for rs in request.resource_spans {
        let service = service_name(&rs);
        for span in rs.scope_spans.into_iter().flat_map(|ss| ss.spans) {
            out.push(SpanRecord {
                trace_id: hex(&span.trace_id),
                span_id: hex(&span.span_id),
                parent_id: hex(&span.parent_span_id),
                service: service.clone(),
                error: span
                    .status
                    .as_ref()
                    .is_some_and(|s| s.code == StatusCode::Error as i32),
                attributes: span
                    .attributes
                    .iter()
                    .map(|a| (a.key.clone(), text(a)))
                    .collect(),
                name: span.name,
                start: span.start_time_unix_nano,
                end: span.end_time_unix_nano,
            });
        }
    }
    out
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

/// Bytes as lower-case hex, digit by digit: a `write!` a byte costs the
/// receiver more than the rest of a span (three ids a span, a hundred
/// thousand spans a second under load).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

/// The receiver: every export lands in the shared store.
#[derive(Clone)]
pub struct Receiver(pub Arc<Mutex<TraceStore>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = records(request.into_inner());
        let mut store = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for span in spans {
            store.add(span);
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// Serve the receiver on 127.0.0.1, on a port the system picks; the
/// endpoint to give the services (`OTLP_ENDPOINT`).
pub async fn start(store: Arc<Mutex<TraceStore>>) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Receiver(store)))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
    });
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trace: &str, id: &str, parent: &str, start: u64) -> SpanRecord {
        SpanRecord {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_id: parent.into(),
            service: format!("svc-{id}"),
            name: format!("span {id}"),
            start,
            end: start + 10,
            error: id == "e",
            attributes: Vec::new(),
        }
    }

    #[test]
    fn a_trace_is_drawn_parents_first_and_summarised_by_its_root() {
        let mut store = TraceStore::new(100);
        // Children may arrive before their parents: exports are batched
        // per process.
        store.add(span("t", "c2", "r", 30));
        store.add(span("t", "g", "c1", 25));
        store.add(span("t", "c1", "r", 20));
        store.add(span("t", "r", "", 10));
        store.add(span("t", "e", "gone", 50));
        let order: Vec<String> = store
            .trace("t")
            .unwrap()
            .into_iter()
            .map(|s| s.span_id)
            .collect();
        assert_eq!(order, ["r", "c1", "g", "c2", "e"]);
        let s = &store.recent(10)[0];
        assert_eq!(
            (s.name.as_str(), s.spans, s.duration_ns, s.error),
            ("span r", 5, 50, true)
        );
        assert_eq!(s.services.len(), 5);
    }

    #[test]
    fn ids_are_lower_case_hex_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn the_oldest_traces_go_when_the_store_is_full() {
        let mut store = TraceStore::new(4);
        for t in ["a", "b", "c"] {
            store.add(span(t, &format!("{t}1"), "", 1));
            store.add(span(t, &format!("{t}2"), &format!("{t}1"), 2));
        }
        assert_eq!((store.len(), store.received()), (4, 6));
        let ids: Vec<String> = store.recent(10).into_iter().map(|t| t.trace_id).collect();
        assert_eq!(ids, ["c", "b"]);
        assert!(store.trace("a").is_none());
    }
}
