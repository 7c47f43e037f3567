//! The page `looklook dev` serves on 127.0.0.1: every process (state, pid,
//! port, restarts, last build) with its live log, the traces the services
//! sent (a waterfall across services, with the log lines of each trace),
//! metrics at a glance, and the API reference with its "try it" forms.
//! Server-rendered HTML and a little plain JavaScript, updated over
//! server-sent events: nothing to build, nothing fetched from elsewhere.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use serde::Serialize;
use tokio::net::TcpListener;

use crate::board::{Board, LogLine, LogQuery};
use crate::metrics::{self, Scraper};
use crate::traces::{SpanRecord, TraceStore};

/// Spans kept in memory, across traces.
pub const MAX_SPANS: usize = 10_000;

/// What the page shows, shared with the loop (which feeds the board), the
/// receiver (which feeds the traces) and the scraper.
#[derive(Clone)]
pub struct Dashboard {
    pub board: Arc<Mutex<Board>>,
    pub traces: Arc<Mutex<TraceStore>>,
    pub scraper: Arc<Mutex<Scraper>>,
    /// Where the traces go: `looklook dev` itself, or the collector the
    /// environment names (then the dashboard has none to show).
    pub otlp: Otlp,
    /// The OpenAPI documents' directory, for the reference.
    pub openapi: Option<PathBuf>,
    /// Grafana's address when it is up (`GRAFANA_UI`): the page links to
    /// the services' dashboard there.
    pub grafana: String,
    /// The gateway's address (`GATEWAY_ADDR`, else the stack's): the
    /// reference's "try it" calls go through it.
    pub gateway: Option<String>,
}

/// The uid of the services' Grafana dashboard
/// (observability/grafana/dashboards/looklook.json).
pub const GRAFANA_DASHBOARD: &str = "looklook";

#[derive(Debug, Clone, Serialize)]
pub enum Otlp {
    /// The embedded receiver's endpoint.
    Here(String),
    /// A collector configured outside (`OTLP_ENDPOINT`), and Jaeger's UI
    /// when it is up.
    Elsewhere { endpoint: String, jaeger: String },
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Dashboard {
    /// The state the page draws, as JSON.
    fn snapshot(&self) -> serde_json::Value {
        let processes = lock(&self.board).processes();
        let glances = lock(&self.scraper).glances.clone();
        let processes: Vec<serde_json::Value> = processes
            .into_iter()
            .map(|p| {
                let glance = glances.get(&p.name).cloned();
                let mut v = serde_json::to_value(&p).unwrap_or_default();
                v["metrics"] = serde_json::to_value(glance).unwrap_or_default();
                v
            })
            .collect();
        let traces = lock(&self.traces).recent(100);
        serde_json::json!({
            "processes": processes,
            "traces": traces,
            "otlp": self.otlp,
            "reference": self.openapi.is_some(),
        })
    }
}

/// Serve the dashboard on `127.0.0.1:port`, and read the processes'
/// metrics every 2 s; the URL.
pub async fn start(dashboard: Dashboard, port: u16) -> std::io::Result<String> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let scraping = dashboard.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let ports: Vec<(String, u16)> = lock(&scraping.board)
                .processes()
                .into_iter()
                .filter(|p| p.pid.is_some())
                .filter_map(|p| Some((p.name, p.metrics_port?)))
                .collect();
            for (name, port) in ports {
                if let Some(text) = metrics::scrape(port).await {
                    lock(&scraping.scraper).record(&name, metrics::parse(&text));
                }
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, router(dashboard)).await });
    Ok(url)
}

pub fn router(dashboard: Dashboard) -> Router {
    let router = Router::new()
        .route("/", get(page))
        .route("/api/state", get(state))
        .route("/api/logs", get(logs))
        .route("/api/traces/{id}", get(trace))
        .route("/trace/{id}", get(trace_page))
        .route("/events", get(events))
        .with_state(dashboard.clone());
    let router = match dashboard.openapi {
        Some(dir) => {
            let try_it = crate::docs::TryIt::new(dashboard.gateway, dashboard.board);
            router.merge(crate::docs::router(dir, try_it))
        }
        None => router,
    };
    router.layer(axum::middleware::from_fn(local_host_only))
}

/// Only requests addressed to this machine by name or loopback address: a
/// page of another site that points its own name at 127.0.0.1 (DNS
/// rebinding) must not read the processes' logs and traces.
async fn local_host_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "the dashboard answers only on 127.0.0.1",
        )
            .into_response()
    }
}

/// A process's row, as text.
struct ProcessRow {
    name: String,
    state: &'static str,
    pid: String,
    port: String,
    restarts: u32,
    build: String,
    build_class: &'static str,
    rps: String,
    p99: String,
    errors: String,
}

/// A trace's row, as text.
struct TraceRow {
    id: String,
    name: String,
    class: &'static str,
    service: String,
    started: String,
    duration: String,
    spans: usize,
    services: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    processes: Vec<ProcessRow>,
    traces: Vec<TraceRow>,
    source: String,
    reference: bool,
    jaeger: String,
    /// The services' dashboard in Grafana, when it is up.
    grafana: String,
    /// The newest lines of every process, and the `seq` of the last.
    logs: Vec<String>,
    last_seq: u64,
}

/// One span's row of the waterfall.
struct SpanRow {
    label: String,
    title: String,
    indent: usize,
    class: &'static str,
    left: String,
    width: String,
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    id: String,
    spans: Vec<SpanRow>,
    services: String,
    duration: String,
    logs: Vec<String>,
    jaeger: String,
}

fn duration(ns: u64) -> String {
    if ns < 10_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.0} ms", ns as f64 / 1e6)
    }
}

/// `HH:MM:SS` (UTC) of Unix nanoseconds.
fn clock(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

impl Dashboard {
    /// A trace's spans, parents first, and the log lines that carry its
    /// id; `None` when the store no longer has it.
    fn trace_and_logs(&self, id: &str) -> Option<(Vec<SpanRecord>, Vec<LogLine>)> {
        let spans = lock(&self.traces).trace(id)?;
        let logs = lock(&self.board).logs(&LogQuery {
            trace_id: Some(id.to_string()),
            ..LogQuery::default()
        });
        Some((spans, logs))
    }

    fn grafana(&self) -> String {
        match self.grafana.trim_end_matches('/') {
            "" => String::new(),
            base => format!("{base}/d/{GRAFANA_DASHBOARD}"),
        }
    }

    fn jaeger(&self) -> String {
        match &self.otlp {
            Otlp::Elsewhere { jaeger, .. } => jaeger.trim_end_matches('/').to_string(),
            Otlp::Here(_) => String::new(),
        }
    }
}

/// The dashboard, drawn on the server: it reads without JavaScript, which
/// only keeps it current.
async fn page(State(d): State<Dashboard>) -> Response {
    let glances = lock(&d.scraper).glances.clone();
    let processes = lock(&d.board)
        .processes()
        .into_iter()
        .map(|p| {
            let g = glances.get(&p.name);
            ProcessRow {
                state: p.state,
                pid: p.pid.map(|x| x.to_string()).unwrap_or_default(),
                port: p.port.map(|x| x.to_string()).unwrap_or_default(),
                restarts: p.restarts,
                build: p.build.as_ref().map_or(String::new(), |b| {
                    format!(
                        "{} in {:.1} s",
                        if b.ok { "ok" } else { "failed" },
                        b.took_ms as f64 / 1000.0
                    )
                }),
                build_class: if p.build.as_ref().is_some_and(|b| !b.ok) {
                    "failed"
                } else {
                    ""
                },
                rps: g.map(|g| format!("{:.1}", g.rps)).unwrap_or_default(),
                p99: g
                    .and_then(|g| g.p99_ms)
                    .map(|ms| format!("{ms} ms"))
                    .unwrap_or_default(),
                errors: g
                    .map(|g| format!("{:.1}", g.errors_per_sec))
                    .unwrap_or_default(),
                name: p.name,
            }
        })
        .collect();
    let traces = lock(&d.traces)
        .recent(100)
        .into_iter()
        .map(|t| TraceRow {
            class: if t.error { "error" } else { "" },
            started: clock(t.start),
            duration: duration(t.duration_ns),
            services: t.services.join(", "),
            id: t.trace_id,
            name: t.name,
            service: t.service,
            spans: t.spans,
        })
        .collect();
    let source = match &d.otlp {
        Otlp::Here(endpoint) => format!("(received by looklook at {endpoint})"),
        Otlp::Elsewhere { endpoint, .. } => format!("(sent to {endpoint})"),
    };
    let lines = lock(&d.board).logs(&LogQuery {
        limit: Some(200),
        ..LogQuery::default()
    });
    let last_seq = lines.last().map_or(0, |l| l.seq);
    let logs = lines
        .into_iter()
        .map(|l| format!("{} | {}", l.process, l.text))
        .collect();
    let page = Page {
        last_seq,
        processes,
        traces,
        logs,
        source,
        reference: d.openapi.is_some(),
        jaeger: d.jaeger(),
        grafana: d.grafana(),
    };
    html(page.render())
}

fn html(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(text) => ([(header::CACHE_CONTROL, "no-store")], Html(text)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn no_such_trace() -> Response {
    (
        StatusCode::NOT_FOUND,
        "no such trace (it may have been dropped: the newest are kept)",
    )
        .into_response()
}

/// A trace as a waterfall across services, drawn on the server, with the
/// log lines written inside it.
async fn trace_page(State(d): State<Dashboard>, UrlPath(id): UrlPath<String>) -> Response {
    let Some((spans, logs)) = d.trace_and_logs(&id) else {
        return no_such_trace();
    };
    let start = spans.iter().map(|s| s.start).min().unwrap_or_default();
    let end = spans.iter().map(|s| s.end).max().unwrap_or_default();
    let total = end.saturating_sub(start).max(1) as f64;
    let mut depth: std::collections::HashMap<&str, usize> = Default::default();
    let mut rows = Vec::with_capacity(spans.len());
    for s in &spans {
        let level = depth.get(s.parent_id.as_str()).map_or(0, |d| d + 1);
        depth.insert(&s.span_id, level);
        rows.push(SpanRow {
            label: format!(
                "{}: {} ({})",
                s.service,
                s.name,
                duration(s.end.saturating_sub(s.start))
            ),
            title: s
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            indent: level * 14,
            class: if s.error { "bar error" } else { "bar" },
            left: format!(
                "{:.2}",
                s.start.saturating_sub(start) as f64 / total * 100.0
            ),
            width: format!(
                "{:.2}",
                s.end.saturating_sub(s.start) as f64 / total * 100.0
            ),
        });
    }
    let mut services: Vec<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    services.sort();
    services.dedup();
    let logs = logs
        .into_iter()
        .map(|l| format!("{} | {}", l.process, l.text))
        .collect();
    html(
        TracePage {
            services: services.join(", "),
            duration: duration(end.saturating_sub(start)),
            id,
            spans: rows,
            logs,
            jaeger: d.jaeger(),
        }
        .render(),
    )
}

async fn state(State(d): State<Dashboard>) -> Json<serde_json::Value> {
    Json(d.snapshot())
}

async fn logs(State(d): State<Dashboard>, Query(q): Query<LogQuery>) -> Response {
    Json(lock(&d.board).logs(&q)).into_response()
}

async fn trace(State(d): State<Dashboard>, UrlPath(id): UrlPath<String>) -> Response {
    let Some((spans, logs)) = d.trace_and_logs(&id) else {
        return no_such_trace();
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "spans": spans, "logs": logs })),
    )
        .into_response()
}

/// The state, once a second, for as long as the page is open.
async fn events(State(d): State<Dashboard>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold((d, None::<String>), |(d, last)| async move {
        loop {
            let now = d.snapshot().to_string();
            if last.as_deref() != Some(now.as_str()) {
                let event = Event::default().event("state").data(now.clone());
                return Some((Ok(event), (d, Some(now))));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use tower::ServiceExt;

    use crate::traces::spans_of;

    use super::*;

    /// A dashboard of one process and one trace, its traces sent to a
    /// collector with Jaeger's UI, and Grafana up.
    fn observed() -> Dashboard {
        let board = Board::new([("order-api".to_string(), None, None)]);
        let mut traces = TraceStore::new(MAX_SPANS);
        let span = Span {
            trace_id: hex::decode("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            span_id: hex::decode("00f067aa0ba902b7").unwrap(),
            name: "GET /order/v1/homestayOrder/userHomestayOrderList".into(),
            start_time_unix_nano: 1,
            end_time_unix_nano: 2,
            ..Span::default()
        };
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "service.name".into(),
                        value: Some(AnyValue {
                            value: Some(Value::StringValue("order-api".into())),
                        }),
                    }],
                    ..Resource::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![span],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        };
        for span in spans_of(&request) {
            traces.add(span);
        }
        Dashboard {
            board: Arc::new(Mutex::new(board)),
            traces: Arc::new(Mutex::new(traces)),
            scraper: Default::default(),
            otlp: Otlp::Elsewhere {
                endpoint: "http://127.0.0.1:4317".into(),
                jaeger: "http://127.0.0.1:16686/".into(),
            },
            openapi: None,
            grafana: "http://127.0.0.1:3000".into(),
            gateway: None,
        }
    }

    async fn get(dashboard: Dashboard, path: &str) -> String {
        let request = Request::get(path)
            .header(header::HOST, "127.0.0.1")
            .body(Body::empty())
            .unwrap();
        let response = router(dashboard).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    /// With Jaeger and Grafana up, the page links a process to its traces
    /// in Jaeger and to the services' dashboard in Grafana, and a trace's
    /// page to the same trace in Jaeger.
    #[tokio::test]
    async fn links_to_jaeger_and_grafana_when_they_are_up() {
        let page = get(observed(), "/").await;
        for link in [
            r#"<a href="http://127.0.0.1:16686/search?service=order-api">order-api</a>"#,
            r#"<a href="http://127.0.0.1:3000/d/looklook">Grafana</a>"#,
            r#"<a href="http://127.0.0.1:16686">Jaeger</a>"#,
        ] {
            assert!(page.contains(link), "{link} is not on the page:\n{page}");
        }
        let trace = get(observed(), "/trace/4bf92f3577b34da6a3ce929d0e0e4736").await;
        let link = r#"<a href="http://127.0.0.1:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736">in Jaeger</a>"#;
        assert!(trace.contains(link), "{link} is not on the page:\n{trace}");

        // Without them, no link leads nowhere.
        let alone = Dashboard {
            otlp: Otlp::Here("http://127.0.0.1:4317".into()),
            grafana: String::new(),
            ..observed()
        };
        let page = get(alone, "/").await;
        assert!(
            !page.contains(">Jaeger</a>")
                && !page.contains(">Grafana</a>")
                && !page.contains("search?service=order-api"),
            "{page}"
        );
        assert!(page.contains("<td>order-api</td>"), "{page}");
    }

    /// The Grafana link names the dashboard observability/ provisions.
    #[test]
    fn the_grafana_link_names_the_provisioned_dashboard() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../observability/grafana/dashboards/looklook.json");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(json["uid"], GRAFANA_DASHBOARD);
    }
}
