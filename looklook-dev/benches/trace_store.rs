//! The dashboard's trace store with `MAX_SPANS` spans kept: the heap it
//! holds (counted by a global allocator that tracks every byte), and the
//! time to add a span and to list and draw traces. Spans are shaped like
//! the reference system's: a service name, a route, five attributes.
//!
//!   cargo bench -p looklook-dev --bench trace_store

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use looklook_dev::dashboard::MAX_SPANS;
use looklook_dev::traces::{SpanRecord, TraceStore};

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

fn span(trace: usize, i: usize) -> SpanRecord {
    SpanRecord {
        trace_id: format!("{trace:032x}"),
        span_id: format!("{:016x}", trace * 16 + i),
        parent_id: if i == 0 {
            String::new()
        } else {
            format!("{:016x}", trace * 16)
        },
        service: ["order-api", "order-rpc", "payment-rpc", "travel-rpc"][i % 4].to_string(),
        name: "POST /order/v1/homestayOrder/createHomestayOrder".to_string(),
        start: 1_796_000_000_000_000_000 + (trace * 1000 + i) as u64,
        end: 1_796_000_000_000_500_000 + (trace * 1000 + i) as u64,
        error: false,
        attributes: vec![
            ("http.request.method".into(), "POST".into()),
            (
                "http.route".into(),
                "/order/v1/homestayOrder/createHomestayOrder".into(),
            ),
            ("http.response.status_code".into(), "200".into()),
            (
                "request.id".into(),
                "e2299dad-29d4-4e54-8b10-ef5d358fbd48".into(),
            ),
            ("rpc.system".into(), "grpc".into()),
        ],
    }
}

fn main() {
    let before = HELD.load(Ordering::Relaxed);
    let mut store = TraceStore::new(MAX_SPANS);
    let started = Instant::now();
    // Eight spans a trace, twice as many as are kept: the oldest go.
    let mut added = 0;
    for trace in 0..(2 * MAX_SPANS / 8) {
        for i in 0..8 {
            store.add(span(trace, i));
            added += 1;
        }
    }
    let took = started.elapsed();
    let held = HELD.load(Ordering::Relaxed) - before;
    println!(
        "trace store, {} spans kept of {added} added: {:.1} MiB of heap ({} bytes a span); {:.2} µs an add",
        store.len(),
        held as f64 / (1024.0 * 1024.0),
        held / store.len() as isize,
        took.as_secs_f64() * 1e6 / added as f64
    );
    let started = Instant::now();
    for _ in 0..100 {
        black_box(store.recent(100));
    }
    println!(
        "list the newest 100 traces: {:.0} µs",
        started.elapsed().as_secs_f64() * 1e6 / 100.0
    );
    let id = format!("{:032x}", 2 * MAX_SPANS / 8 - 1);
    let started = Instant::now();
    for _ in 0..1000 {
        black_box(store.trace(&id));
    }
    println!(
        "order one trace's spans for its waterfall: {:.1} µs",
        started.elapsed().as_secs_f64() * 1e6 / 1000.0
    );
}
