//! The dashboard's OTLP receiver on its own: the trace store `looklook dev`
//! keeps (`MAX_SPANS` spans), fed over OTLP/gRPC on 127.0.0.1. It prints
//! its endpoint first, and on Ctrl-C how many spans it received.
//! scripts/bench-http sends a traced service's spans here, to measure what
//! tracing costs with the receiver a developer has.
//!
//!   cargo run --release -p looklook-dev --example receiver

use std::sync::{Arc, Mutex};

use looklook_dev::dashboard::MAX_SPANS;
use looklook_dev::traces::{self, TraceStore};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let store = Arc::new(Mutex::new(TraceStore::new(MAX_SPANS)));
    let endpoint = traces::start(store.clone()).await?;
    println!("{endpoint}");
    tokio::signal::ctrl_c().await?;
    let store = store.lock().unwrap_or_else(|e| e.into_inner());
    println!("{} spans", store.received());
    Ok(())
}
