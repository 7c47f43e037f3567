//! A stand-in for Jaeger's OTLP/gRPC receiver: it accepts trace exports and
//! counts the spans, so scripts/bench-http can measure the generated
//! service with tracing exported and check that the spans really arrived.
//! On Ctrl-C it prints the count and exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

#[tonic::async_trait]
impl TraceService for Counter {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans: usize = request
            .into_inner()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.0.fetch_add(spans, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).expect("usage: collector ADDR");
    let counter = Counter::default();
    let spans = counter.0.clone();
    tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(counter))
        .serve_with_shutdown(addr.parse().expect("an address"), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("serve");
    println!("{} spans", spans.load(Ordering::Relaxed));
}
