//! The dashboard's trace receiver and store with `MAX_SPANS` spans kept:
//! what receiving a span costs (beside what decoding it with OTLP's
//! generated types alone costs, the least any receiver does), the heap the
//! store holds (counted by a global allocator that tracks every byte), and
//! the time to list and draw traces. Spans come in batches of 512, as the
//! services send them, shaped like the reference system's: a service name,
//! a route, five attributes.
//!
//!   cargo bench -p looklook-dev --bench trace_store

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use looklook_dev::dashboard::MAX_SPANS;
use looklook_dev::traces::{self, TraceStore};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const BATCH: usize = 512;
/// Spans a trace.
const TRACE: usize = 8;

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
    }
}

fn span(n: usize) -> Span {
    let (trace, i) = (n / TRACE, n % TRACE);
    Span {
        trace_id: (trace as u128 + 1).to_be_bytes().to_vec(),
        span_id: ((trace * 16 + i + 1) as u64).to_be_bytes().to_vec(),
        parent_span_id: if i == 0 {
            Vec::new()
        } else {
            ((trace * 16 + 1) as u64).to_be_bytes().to_vec()
        },
        name: "POST /order/v1/homestayOrder/createHomestayOrder".into(),
        start_time_unix_nano: 1_796_000_000_000_000_000 + n as u64,
        end_time_unix_nano: 1_796_000_000_000_500_000 + n as u64,
        attributes: vec![
            text("http.request.method", "POST"),
            text("http.route", "/order/v1/homestayOrder/createHomestayOrder"),
            KeyValue {
                key: "http.response.status_code".into(),
                value: Some(AnyValue {
                    value: Some(Value::IntValue(200)),
                }),
            },
            text("request.id", "e2299dad-29d4-4e54-8b10-ef5d358fbd48"),
            text("rpc.system", "grpc"),
        ],
        ..Span::default()
    }
}

/// The `b`th export request's body: `BATCH` spans from one of four
/// services.
fn batch(b: usize) -> Bytes {
    let service = ["order-api", "order-rpc", "payment-rpc", "travel-rpc"][b % 4];
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", service)],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (b * BATCH..(b + 1) * BATCH).map(span).collect(),
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
    .into()
}

fn per_span(took: Duration, spans: usize) -> f64 {
    took.as_secs_f64() * 1e9 / spans as f64
}

fn main() {
    // Twice as many spans as are kept: the oldest traces go.
    let bodies: Vec<Bytes> = (0..2 * MAX_SPANS / BATCH).map(batch).collect();
    let sent = bodies.len() * BATCH;

    let before = HELD.load(Ordering::Relaxed);
    let mut store = TraceStore::new(MAX_SPANS);
    let mut receive = Duration::MAX;
    let mut decode_only = Duration::MAX;
    // Best of five rounds each, side by side.
    for round in 0..5 {
        let started = Instant::now();
        for body in &bodies {
            let request = ExportTraceServiceRequest::decode(body.clone()).unwrap();
            black_box(request);
        }
        decode_only = decode_only.min(started.elapsed());

        if round > 0 {
            store = TraceStore::new(MAX_SPANS);
        }
        let started = Instant::now();
        for body in &bodies {
            for span in traces::decode(body.clone()).unwrap() {
                store.add(span);
            }
        }
        receive = receive.min(started.elapsed());
    }
    let held = HELD.load(Ordering::Relaxed) - before;
    println!(
        "receive a span: {:.0} ns (decoding it with OTLP's generated types alone: {:.0} ns)",
        per_span(receive, sent),
        per_span(decode_only, sent),
    );
    println!(
        "trace store, {} spans kept of {sent} received: {:.1} MiB of heap ({} bytes a span)",
        store.len(),
        held as f64 / (1024.0 * 1024.0),
        held / store.len() as isize,
    );
    let started = Instant::now();
    for _ in 0..100 {
        black_box(store.recent(100));
    }
    println!(
        "list the newest 100 traces: {:.0} µs",
        started.elapsed().as_secs_f64() * 1e6 / 100.0
    );
    let newest = store.recent(1).remove(0).trace_id;
    let started = Instant::now();
    for _ in 0..1000 {
        black_box(store.trace(&newest));
    }
    println!(
        "order one trace's spans for its waterfall: {:.1} µs",
        started.elapsed().as_secs_f64() * 1e6 / 1000.0
    );
}
