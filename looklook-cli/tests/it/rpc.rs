//! `gen rpc` for real: the crate generated from the shop sample builds,
//! serves on 127.0.0.1, and answers through its own typed client, with
//! health, reflection and metrics.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use looklook_gen::codegen::CrateOptions;
use looklook_gen::codegen::rpc::generate;
use looklook_gen::generate::{GenRpcOptions, gen_rpc};
use looklook_gen::proto;

use crate::support::{
    Proc, assert_plan, cargo, crates_target, examples, free_port, sample, scrape, workspace,
};

fn shop_plan() -> looklook_gen::codegen::FilePlan {
    let p = proto::compile(&examples().join("sample/proto/shop.proto"), &[]).unwrap();
    let opts = CrateOptions {
        runtime: looklook_gen::codegen::RuntimeDep::Path("../looklook-runtime".into()),
    };
    let mut plan = generate(&p, "shop", &opts).unwrap();
    looklook_gen::rustfmt::format_plan(&mut plan, looklook_gen::rustfmt::needs_rustfmt).unwrap();
    plan
}

#[test]
fn every_generated_file_of_the_shop_sample() {
    let plan = shop_plan();
    assert!(plan.get("build.rs").is_none(), "no build script");
    assert_plan("shop", &plan);
}

/// Logic a user writes, and a small program that calls every unary method
/// through the generated client.
fn write_user_code(dir: &Path) {
    let logic = dir.join("src/logic/order_service");
    fs::write(
        logic.join("create_order.rs"),
        r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::pb::shop::v1::{CreateOrderReq, CreateOrderResp, Order, OrderState};
use crate::svc::ServiceContext;

pub async fn create_order(_svc: &ServiceContext, ctx: &RequestCtx, req: CreateOrderReq) -> Result<CreateOrderResp> {
    let order = Order {
        id: req.user_id * 10,
        sn: format!("SN-{}-{}", req.lines.len(), ctx.request_id()),
        state: OrderState::WaitPay as i32,
        remark: ctx.traceparent().map(String::from),
        ..Order::default()
    };
    Ok(CreateOrderResp { order: Some(order) })
}
"#,
    )
    .unwrap();
    fs::write(
        logic.join("get_order.rs"),
        r#"use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};

use crate::pb::shop::v1::{GetOrderReq, Order};
use crate::svc::ServiceContext;

pub async fn get_order(_svc: &ServiceContext, _ctx: &RequestCtx, req: GetOrderReq) -> Result<Order> {
    if req.sn == "missing" {
        return Err(Error::new(200001, "no such order"));
    }
    if req.sn == "broken" {
        return Err(Error::from(std::io::Error::other("disk on fire")));
    }
    Ok(Order { sn: req.sn, ..Order::default() })
}
"#,
    )
    .unwrap();
    fs::create_dir_all(dir.join("src/bin")).unwrap();
    fs::write(
        dir.join("src/bin/call.rs"),
        r#"//! Calls the service through the generated clients; prints one line a call.
use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::rpc::RpcClientConf;
use shop_rpc::client::{HealthProbeClient, OrderServiceClient};
use shop_rpc::pb::shop::v1::{CreateOrderReq, GetOrderReq, order::Line};

#[tokio::main]
async fn main() {
    let conf = RpcClientConf { endpoints: std::env::args().skip(1).collect(), ..RpcClientConf::new("unused") };
    let orders = OrderServiceClient::new(&conf).unwrap();
    let probe = HealthProbeClient::new(&conf).unwrap();
    let ctx = RequestCtx::with_request_id("req-7").with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let lines = vec![Line { product_id: 1, quantity: 2 }; 3];
    let created = orders.create_order(&ctx, CreateOrderReq { user_id: 4, lines }).await.unwrap();
    let order = created.order.unwrap();
    println!("create {} {} {} {}", order.id, order.sn, order.state, order.remark.unwrap_or_default());
    println!("get {}", orders.get_order(&ctx, GetOrderReq { sn: "A1".into() }).await.unwrap().sn);
    for sn in ["missing", "broken"] {
        let e = orders.get_order(&ctx, GetOrderReq { sn: sn.into() }).await.unwrap_err();
        println!("error {} {}", e.code_value(), e.message());
    }
    probe.ping(&ctx, ()).await.unwrap();
    println!("ping ok");
}
"#,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_rpc_service_serves_through_its_client() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop-rpc");
    let report = gen_rpc(&GenRpcOptions {
        proto_file: examples().join("sample/proto/shop.proto"),
        includes: Vec::new(),
        out_dir: dir.clone(),
        runtime_path: Some(workspace().join("looklook-runtime")),
    })
    .unwrap();
    assert!(report.notes.is_empty(), "{report}");
    fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    write_user_code(&dir);
    cargo(&dir, &["build", "--quiet", "--bins"]);
    let target = crates_target();

    let (port, metrics_port) = (free_port(), free_port());
    let mut server = Proc(
        Command::new(target.join("debug/shop-rpc"))
            .current_dir(&dir)
            .env("LOOKLOOK_LISTEN_ON", format!("127.0.0.1:{port}"))
            // Reflection is served in dev mode only; the test lists the
            // services through it.
            .env("LOOKLOOK_MODE", "dev")
            .env("LOOKLOOK_PROMETHEUS__HOST", "127.0.0.1")
            .env("LOOKLOOK_PROMETHEUS__PORT", metrics_port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = format!("http://127.0.0.1:{port}");

    // Health: every service is reported serving once the server is up.
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut health = loop {
        assert!(server.0.try_wait().unwrap().is_none(), "the server exited");
        if let Ok(c) = tonic::transport::Channel::from_shared(addr.clone())
            .unwrap()
            .connect()
            .await
        {
            break HealthClient::new(c);
        }
        assert!(Instant::now() < deadline, "the server never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for service in ["shop.v1.OrderService", "shop.v1.HealthProbe"] {
        let r = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap();
        assert_eq!(
            r.into_inner().status,
            ServingStatus::Serving as i32,
            "{service}"
        );
    }

    // Every unary method through the generated client, and business errors
    // coming back with their code.
    // Two endpoints (the same server twice) take the load-balanced path.
    let endpoint = format!("127.0.0.1:{port}");
    let out = Command::new(target.join("debug/call"))
        .args([&endpoint, &endpoint])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "call failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "create 40 SN-3-req-7 1 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\nget A1\nerror 200001 no such order\nerror 100001 server error, please try again later\nping ok\n"
    );

    // Reflection lists the services.
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let channel = tonic::transport::Channel::from_shared(addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel);
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter(vec![ask]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("{answer:?}")
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "shop.v1.HealthProbe",
            "shop.v1.OrderService"
        ]
    );

    // Calls of paths the server has no method for, each path new: they are
    // answered Unimplemented and counted under one `other` label, not a
    // series each (raw gRPC over HTTP/2 with curl).
    for n in 0..20 {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--http2-prior-knowledge",
            ])
            .args([
                "-X",
                "POST",
                "-H",
                "content-type: application/grpc",
                "-H",
                "te: trailers",
            ])
            .arg(format!("{addr}/shop.v1.OrderService/Nope{n}"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "200",
            "a gRPC answer from {addr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Metrics count the calls by method and code.
    let text = scrape(&format!("http://127.0.0.1:{metrics_port}/metrics")).await;
    assert!(!text.contains("Nope"), "a series per unknown path: {text}");
    let count = |method: &str, code: &str| {
        sample(
            &text,
            "grpc_server_handled_total",
            &[("method", method), ("code", code)],
        )
    };
    assert_eq!(count("/shop.v1.OrderService/GetOrder", "Ok"), 1.0, "{text}");
    assert_eq!(
        count("/shop.v1.OrderService/GetOrder", "Unknown"),
        1.0,
        "{text}"
    );
    assert_eq!(
        count("/shop.v1.OrderService/GetOrder", "Internal"),
        1.0,
        "{text}"
    );
    assert_eq!(count("/shop.v1.HealthProbe/Ping", "Ok"), 1.0, "{text}");
    assert_eq!(count("other", "Unimplemented"), 20.0, "{text}");

    // SIGTERM stops it cleanly.
    server.stop_gracefully();
}

/// Regenerating after the `.proto` changed: a new method gets its logic
/// file and `pub mod` line; a changed request type leaves the user's file
/// alone and says so.
#[test]
fn regeneration_keeps_user_code() {
    let tmp = tempfile::tempdir().unwrap();
    let proto = tmp.path().join("greet.proto");
    let v1 = "syntax = \"proto3\";\npackage greet;\nmessage Hi { string name = 1; }\nmessage Bye { string name = 1; }\nservice Greeter {\n  rpc Hello(Hi) returns (Hi);\n}\n";
    fs::write(&proto, v1).unwrap();
    let opts = GenRpcOptions {
        proto_file: proto.clone(),
        includes: Vec::new(),
        out_dir: tmp.path().join("greet-rpc"),
        runtime_path: Some(workspace().join("looklook-runtime")),
    };
    gen_rpc(&opts).unwrap();
    let hello = tmp.path().join("greet-rpc/src/logic/hello.rs");
    let edited = fs::read_to_string(&hello)
        .unwrap()
        .replace("Ok(Hi::default())", "Ok(req)")
        .replace("let _ = (svc, ctx, req);", "let _ = (svc, ctx);");
    fs::write(&hello, &edited).unwrap();

    let v2 = v1.replace(
        "returns (Hi);\n",
        "returns (Hi);\n  rpc Farewell(Bye) returns (Bye);\n",
    );
    fs::write(&proto, &v2).unwrap();
    let report = gen_rpc(&opts).unwrap();
    let created: Vec<_> = report
        .created
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(created, ["src/logic/farewell.rs"]);
    let extended: Vec<_> = report
        .modules_extended
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(extended, ["src/logic/mod.rs"]);
    assert!(report.attention.is_empty(), "{report}");
    assert_eq!(fs::read_to_string(&hello).unwrap(), edited);

    fs::write(&proto, v2.replace("rpc Hello(Hi)", "rpc Hello(Bye)")).unwrap();
    let report = gen_rpc(&opts).unwrap();
    assert_eq!(report.attention.len(), 1, "{report}");
    assert_eq!(report.attention[0].path, Path::new("src/logic/hello.rs"));
    assert!(
        report.attention[0]
            .message
            .contains("fn hello(&ServiceContext, &RequestCtx, Bye) -> Result<Hi>"),
        "{report}"
    );
    assert_eq!(fs::read_to_string(&hello).unwrap(), edited);
}
