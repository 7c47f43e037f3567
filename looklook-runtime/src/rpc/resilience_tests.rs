//! The client's and the server's guards against real servers on
//! 127.0.0.1: the breaker, latency-aware balancing and deadlines.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use super::*;

/// A health service that stands in for a service's logic: it counts its
/// calls, takes `delay` to answer, and notes the deadline each call saw
/// and when an unfinished call was dropped.
#[derive(Clone, Default)]
struct Probe {
    hits: Arc<AtomicUsize>,
    delay: Duration,
    deadlines: Arc<Mutex<Vec<Option<Duration>>>>,
    dropped_after: Arc<Mutex<Vec<Duration>>>,
}

/// Notes how long a call ran if it is dropped before it finished.
struct DropWatch {
    started: Instant,
    finished: bool,
    into: Arc<Mutex<Vec<Duration>>>,
}

impl Drop for DropWatch {
    fn drop(&mut self) {
        if !self.finished {
            self.into.lock().unwrap().push(self.started.elapsed());
        }
    }
}

#[tonic::async_trait]
impl Health for Probe {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, Status> {
        let ctx = ctx(&request);
        let left = ctx
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        self.deadlines.lock().unwrap().push(left);
        self.hits.fetch_add(1, Ordering::Relaxed);
        let mut watch = DropWatch {
            started: Instant::now(),
            finished: false,
            into: self.dropped_after.clone(),
        };
        tokio::time::sleep(self.delay).await;
        watch.finished = true;
        Ok(tonic::Response::new(HealthCheckResponse { status: 1 }))
    }

    type WatchStream = BoxStream<HealthCheckResponse>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("not watched"))
    }
}

/// Serves `probe` on `listener` behind the server's guards for `conf`,
/// until `stop` resolves.
fn serve_probe(
    conf: &RpcServerConf,
    listener: TcpListener,
    probe: Probe,
    stop: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let guard = GuardLayer::new(conf);
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .layer(guard)
            .add_service(HealthServer::new(probe))
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), stop)
            .await
            .unwrap();
    })
}

fn check() -> HealthCheckRequest {
    HealthCheckRequest {
        service: String::new(),
    }
}

/// A dependency that starts failing: within the window the breaker
/// refuses most calls on the client, in well under a millisecond each
/// (the successes just before the outage still count, so not all); after
/// the dependency is back it lets everything through again.
#[tokio::test]
async fn the_breaker_opens_on_a_failing_server_and_closes_when_it_recovers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conf = RpcServerConf::new("probe-rpc", addr.to_string());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = serve_probe(&conf, listener, Probe::default(), async {
        let _ = stopped.await;
    });
    let window = Duration::from_secs(2);
    let transport = channel(&RpcClientConf::new(addr.to_string()))
        .unwrap()
        .with_breaker_window(window);
    let breaker = transport
        .breaker("/grpc.health.v1.Health/Check")
        .expect("on by default");
    let mut client = HealthClient::new(transport);
    let ctx = RequestCtx::default();
    for _ in 0..20 {
        client.check(request(&ctx, check())).await.unwrap();
    }
    assert_eq!(breaker.refusing(), 0.0);

    // The server goes away: every call fails.
    stop.send(()).unwrap();
    server.await.unwrap();
    let mut refused = Vec::new();
    let mut failed = 0;
    let started = Instant::now();
    for _ in 0..300 {
        let t = Instant::now();
        let status = client.check(request(&ctx, check())).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        if status.message().contains("circuit breaker") {
            refused.push(t.elapsed());
        } else {
            failed += 1;
        }
    }
    assert!(started.elapsed() < window, "{:?}", started.elapsed());
    assert!(
        refused.len() > 150,
        "{} refused, {failed} sent",
        refused.len()
    );
    refused.sort();
    let p99 = refused[refused.len() * 99 / 100];
    assert!(p99 < Duration::from_millis(1), "p99 of a refusal: {p99:?}");

    // The server is back on the same address: the breaker's probes
    // succeed, the failures leave the window, every call goes through.
    let listener = TcpListener::bind(addr).await.unwrap();
    serve_probe(&conf, listener, Probe::default(), std::future::pending());
    let back = Instant::now();
    let mut in_a_row = 0;
    while in_a_row < 50 {
        assert!(
            back.elapsed() < window * 3,
            "still refusing after {:?}",
            back.elapsed()
        );
        match client.check(request(&ctx, check())).await {
            Ok(_) => in_a_row += 1,
            Err(_) => {
                in_a_row = 0;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Two servers, one 50 ms slower: after a warm-up most calls go to the
/// fast one. Then the fast one stops, and every call still succeeds.
#[tokio::test]
async fn calls_go_to_the_faster_server_and_around_a_dead_one() {
    let fast = Probe::default();
    let slow = Probe {
        delay: Duration::from_millis(50),
        ..Probe::default()
    };
    let mut addrs = Vec::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut stopped = Some(stopped);
    let mut servers = Vec::new();
    for probe in [fast.clone(), slow.clone()] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        addrs.push(listener.local_addr().unwrap().to_string());
        let conf = RpcServerConf::new("probe-rpc", "127.0.0.1:0");
        // The fast one can be stopped.
        let stop = stopped.take();
        servers.push(serve_probe(&conf, listener, probe, async move {
            match stop {
                Some(stop) => {
                    let _ = stop.await;
                }
                None => std::future::pending().await,
            }
        }));
    }
    let conf = RpcClientConf {
        endpoints: addrs,
        ..RpcClientConf::new("unused")
    };
    let client = HealthClient::new(channel(&conf).unwrap());
    let ctx = RequestCtx::default();
    // Eight callers at once, as a busy service has.
    let round = |calls: usize| {
        let client = client.clone();
        let ctx = ctx.clone();
        async move {
            let mut callers = tokio::task::JoinSet::new();
            for _ in 0..8 {
                let mut client = client.clone();
                let ctx = ctx.clone();
                callers.spawn(async move {
                    for _ in 0..calls {
                        client.check(request(&ctx, check())).await?;
                    }
                    Ok::<_, Status>(())
                });
            }
            callers
                .join_all()
                .await
                .into_iter()
                .collect::<Result<(), _>>()
        }
    };
    round(10).await.unwrap();
    let (f0, s0) = (
        fast.hits.load(Ordering::Relaxed),
        slow.hits.load(Ordering::Relaxed),
    );
    round(50).await.unwrap();
    let f = fast.hits.load(Ordering::Relaxed) - f0;
    let s = slow.hits.load(Ordering::Relaxed) - s0;
    let share = f as f64 / (f + s) as f64;
    assert!(share >= 0.8, "the fast server got {f}, the slow one {s}");

    stop.send(()).unwrap();
    servers.remove(0).await.unwrap();
    let before = slow.hits.load(Ordering::Relaxed);
    round(10)
        .await
        .expect("every call succeeds with one server gone");
    assert_eq!(slow.hits.load(Ordering::Relaxed) - before, 80);
}

/// A deadline bounds the whole call tree: an HTTP request with a 1 s
/// `Timeout` calls an RPC that takes 2 s. The RPC logic sees the deadline,
/// and every hop gives up at about 1 s: the server drops the logic, the
/// client's call fails, the HTTP request is answered 503.
#[tokio::test]
async fn a_deadline_set_at_the_edge_bounds_every_hop() {
    let probe = Probe {
        delay: Duration::from_secs(2),
        ..Probe::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rpc_addr = listener.local_addr().unwrap().to_string();
    // The server's own limit is longer: the caller's deadline wins.
    let mut conf = RpcServerConf::new("probe-rpc", rpc_addr.clone());
    conf.timeout = 5000;
    serve_probe(&conf, listener, probe.clone(), std::future::pending());

    let client = HealthClient::new(
        channel(&RpcClientConf {
            timeout: 5000,
            ..RpcClientConf::new(rpc_addr)
        })
        .unwrap(),
    );
    let calls: Arc<Mutex<Vec<(Duration, Code)>>> = Default::default();
    let router = {
        let calls = calls.clone();
        axum::Router::new().route(
            "/slow",
            axum::routing::get(move |ctx: RequestCtx| {
                let mut client = client.clone();
                let calls = calls.clone();
                async move {
                    // In a task of its own, so its end is seen even after
                    // the request has been answered.
                    let call = tokio::spawn(async move {
                        let started = Instant::now();
                        let code = match client.check(request(&ctx, check())).await {
                            Ok(_) => Code::Ok,
                            Err(status) => status.code(),
                        };
                        calls.lock().unwrap().push((started.elapsed(), code));
                    });
                    let _ = call.await;
                    // The call ends at the same deadline the server's
                    // `Timeout` does; a handler that went on working must
                    // still be cut off by the server, not answer late.
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "done"
                }
            }),
        )
    };
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_addr = http.local_addr().unwrap();
    let limits = crate::config::HttpLimits {
        timeout: 1000,
        ..Default::default()
    };
    tokio::spawn(crate::http::serve_with(
        http,
        router,
        limits,
        std::future::pending(),
    ));

    let started = Instant::now();
    let answer = crate::http::raw_get(http_addr, "/slow").await;
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let about_a_second =
        |d: Duration| d > Duration::from_millis(900) && d < Duration::from_millis(1500);
    assert!(about_a_second(took), "the API answered after {took:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let calls = calls.lock().unwrap().clone();
    let [(call_took, code)] = calls[..] else {
        panic!("one call: {calls:?}")
    };
    assert_eq!(code, Code::DeadlineExceeded);
    assert!(
        about_a_second(call_took),
        "the client gave up after {call_took:?}"
    );
    let seen = probe.deadlines.lock().unwrap().clone();
    let [Some(left)] = seen[..] else {
        panic!("the logic saw no deadline: {seen:?}")
    };
    assert!(
        left > Duration::from_millis(800) && left <= Duration::from_secs(1),
        "the logic had {left:?} left"
    );
    let dropped = probe.dropped_after.lock().unwrap().clone();
    let [logic_ran] = dropped[..] else {
        panic!("the logic was not stopped: {dropped:?}")
    };
    assert!(about_a_second(logic_ran), "the logic ran {logic_ran:?}");
}
