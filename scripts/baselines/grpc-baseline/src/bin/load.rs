//! Unary GetOrder calls for a fixed time over one HTTP/2 connection from
//! many concurrent tasks; prints calls per second. Stops by itself. Every
//! call carries a caller key (the generated server checks it; the
//! hand-written one ignores it).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use shop_rpc::pb::shop::v1::GetOrderReq;
use shop_rpc::pb::shop::v1::order_service_client::OrderServiceClient;

/// The key scripts/bench-grpc gives the generated server.
const CALLER_KEY: &str = "bench-caller-key-of-thirty-two-bytes";

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().expect("host:port");
    let secs: u64 = args.next().map_or(5, |s| s.parse().unwrap());
    let tasks = 32;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let mut client = OrderServiceClient::with_interceptor(channel.clone(), |mut req: tonic::Request<()>| {
            req.metadata_mut().insert("x-looklook-caller-key", CALLER_KEY.parse().unwrap());
            Ok(req)
        });
        let (done, failed) = (done.clone(), failed.clone());
        handles.push(tokio::spawn(async move {
            while Instant::now() < end {
                match client.get_order(GetOrderReq { sn: "SN-1".into() }).await {
                    Ok(r) if r.get_ref().sn == "SN-1" => done.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let calls = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    println!("{calls:.0} {}", failed.load(Ordering::Relaxed));
}
