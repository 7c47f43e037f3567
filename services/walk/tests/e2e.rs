//! The reference system end to end: the processes of looklook.toml built
//! from services/ and started on free ports against the real MariaDB, Redis
//! and Kafka-protocol broker of `scripts/infra up`; the demo's booking
//! walked through the gateways; then what must be refused, and what must
//! survive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use looklook_dev::DevEvent;
use looklook_dev::board::Board;
use looklook_dev::build;
use looklook_dev::dashboard;
use looklook_dev::system::{System, free_ports};
use looklook_dev::traces::{TraceStore, service_name, spans_of};
use looklook_walk::{Gateway, wait_for_state, walk, wechat_login};
use looklook_wechat::pay::{self, Notification, Payer, Resource, Transaction, TransactionAmount};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::json;

/// The repository: its looklook.toml, services/ and examples/.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// How long an order may stay unpaid: long enough that an order paid
/// during the Redis outage below is not closed before its payment lands.
const CLOSE_AFTER_SECS: u64 = 40;

/// The services' default secret (their etc/*.yaml).
const JWT_SECRET: &str = "looklook-dev-secret-change-me";
const API_V3_KEY: &str = "looklook-sandbox-apiv3-key-32byt";

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name}: run scripts/infra up and source target/infra/env"))
}

fn mariadb(url: &str) -> Command {
    // mysql://root:pw@127.0.0.1:PORT
    let port = url.rsplit(':').next().unwrap();
    let mut cmd = Command::new("mariadb");
    cmd.args(["--no-defaults", "-h127.0.0.1", "-uroot", "-ppw", "-N"])
        .arg(format!("-P{port}"));
    cmd
}

fn sql(url: &str, db: &str, query: &str) -> String {
    let out = mariadb(url).args([db, "-e", query]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Fresh `looklook_e2e_*` databases with the reference schema and seeds.
fn fresh_databases(url: &str) {
    let examples = workspace().join("examples/looklook");
    for (db, files) in [
        (
            "usercenter",
            &["usercenter/usercenter.sql", "usercenter/seed.sql"][..],
        ),
        ("travel", &["travel/travel.sql", "travel/seed.sql"]),
        ("order", &["order/order.sql"]),
        ("payment", &["payment/payment.sql"]),
    ] {
        let name = format!("looklook_e2e_{db}");
        sql(
            url,
            "mysql",
            &format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"),
        );
        for file in files {
            let input = std::fs::File::open(examples.join(file)).unwrap();
            let out = mariadb(url).arg(&name).stdin(input).output().unwrap();
            assert!(
                out.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A payment notification for `out_trade_no` signed with `key`.
fn notification(
    out_trade_no: &str,
    paid: i64,
    key: &rsa::RsaPrivateKey,
) -> (BTreeMap<&'static str, String>, String) {
    notification_in(out_trade_no, paid, "CNY", key)
}

/// The same, in `currency`.
fn notification_in(
    out_trade_no: &str,
    paid: i64,
    currency: &str,
    key: &rsa::RsaPrivateKey,
) -> (BTreeMap<&'static str, String>, String) {
    let transaction = Transaction {
        appid: "wx-sandbox-app".into(),
        mchid: "1900000109".into(),
        out_trade_no: out_trade_no.into(),
        transaction_id: "4200000000000000000000000000001".into(),
        trade_type: "JSAPI".into(),
        trade_state: "SUCCESS".into(),
        trade_state_desc: "paid".into(),
        success_time: String::new(),
        attach: String::new(),
        payer: Payer {
            openid: "someone".into(),
        },
        amount: TransactionAmount {
            total: paid,
            payer_total: paid,
            currency: currency.into(),
            payer_currency: currency.into(),
        },
    };
    let resource = Resource::encrypt(
        API_V3_KEY,
        &serde_json::to_vec(&transaction).unwrap(),
        "transaction",
    )
    .unwrap();
    let body = serde_json::to_string(&Notification {
        id: "n1".into(),
        create_time: String::new(),
        event_type: "TRANSACTION.SUCCESS".into(),
        resource_type: "encrypt-resource".into(),
        resource,
        summary: String::new(),
    })
    .unwrap();
    let timestamp = chrono_now().to_string();
    let signature = pay::sign(key, &pay::notification_message(&timestamp, "nonce", &body));
    let headers = BTreeMap::from([
        ("Wechatpay-Timestamp", timestamp),
        ("Wechatpay-Nonce", "nonce".to_string()),
        ("Wechatpay-Signature", signature),
        ("Wechatpay-Serial", "PUB_KEY_ID_SANDBOX".to_string()),
    ]);
    (headers, body)
}

/// A redis-server of the test's own, its data kept in `dir` across restarts.
struct OwnRedis(std::process::Child);

impl OwnRedis {
    async fn start(dir: &std::path::Path, port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        OwnRedis(child)
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The gateway of one test run; stopped when dropped.
struct TestGateway {
    address: String,
    dir: tempfile::TempDir,
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        // On a thread of its own: the engine runs a runtime of its own,
        // which cannot start inside the test's.
        let stack = self.dir.path().join("looklook.stack.toml");
        let _ = std::thread::spawn(move || {
            looklook_stack::ops::down(&stack, looklook_stack::ops::EngineChoice::Native, true)
        })
        .join();
    }
}

/// The reference gateway's config, generated from looklook.toml and the
/// `.api` files for the processes' addresses in `env`, run by the native
/// engine's nginx on a free port.
async fn start_gateway(root: &Path, env: &BTreeMap<String, String>) -> TestGateway {
    let (_, manifest) = looklook_manifest::load(&root.join("looklook.toml")).unwrap();
    let mut def = manifest
        .gateway
        .clone()
        .expect("looklook.toml has a [gateway]");
    def.host = "127.0.0.1".into();
    let specs: Vec<_> = manifest
        .services
        .iter()
        .filter_map(|s| s.api.as_ref())
        .map(|api| looklook_gen::apidsl::load_spec(&root.join(api)).unwrap())
        .collect();
    let upstreams: Vec<_> = specs
        .iter()
        .map(|spec| looklook_gen::codegen::gateway::Upstream {
            spec,
            address: env[&looklook_manifest::addr_var(&format!("{}-api", spec.name))].clone(),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gateway.conf"),
        looklook_gen::codegen::gateway::nginx(&def, &upstreams),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inside = looklook_gen::codegen::gateway::CONTAINER_PORT;
    let stack = dir.path().join("looklook.stack.toml");
    std::fs::write(
        &stack,
        format!(
            "project = \"e2e-gateway\"\n[services.gateway]\nimage = \"nginx:1.27\"\n\
             ports = [\"127.0.0.1:{port}:{inside}\"]\n\
             binds = [\"gateway.conf:/etc/nginx/conf.d/default.conf:ro\"]\n\
             ready = {{ http = \"{inside}/healthz\" }}\n"
        ),
    )
    .unwrap();
    let up = looklook_stack::ops::UpOptions {
        stack_file: stack,
        engine: looklook_stack::ops::EngineChoice::Native,
        services: Vec::new(),
        profiles: Vec::new(),
    };
    tokio::task::spawn_blocking(move || looklook_stack::ops::up(&up, &mut |_| {}))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("the gateway did not start: {e}"));
    TestGateway {
        address: format!("127.0.0.1:{port}"),
        dir,
    }
}

/// Compile the generated TypeScript client (clients/ts) with a walk of
/// its own (tests/ts/walk.ts) under `tsc --strict`, and run it with Node
/// against the running system: sign up, browse, book, read back, and a
/// 401 and a 100002 caught as typed errors.
fn typescript_walk(env: &BTreeMap<String, String>) {
    let root = workspace();
    let tools = root.join("scripts/node/node_modules/.bin");
    let dir = tempfile::tempdir().unwrap();
    let mut sources = Vec::new();
    for from in std::fs::read_dir(root.join("clients/ts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain([root.join("services/walk/tests/ts/walk.ts")])
    {
        let to = dir.path().join(from.file_name().unwrap());
        std::fs::copy(&from, &to).unwrap();
        sources.push(to);
    }
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // ES modules, as the client is written: tsc and Node both read this.
    std::fs::write(dir.path().join("package.json"), r#"{"type":"module"}"#).unwrap();
    let tsc = Command::new(tools.join("tsc"))
        .args(["--strict", "--target", "es2022", "--module", "nodenext"])
        .args(["--moduleResolution", "nodenext", "--outDir"])
        .arg(&out)
        .args(&sources)
        .output()
        .unwrap_or_else(|e| panic!("tsc: {e}; run scripts/setup"));
    assert!(
        tsc.status.success(),
        "tsc: {}",
        String::from_utf8_lossy(&tsc.stdout)
    );
    let node = Command::new("node")
        .arg(out.join("walk.js"))
        .envs(env)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&node.stdout),
        String::from_utf8_lossy(&node.stderr)
    );
    assert!(node.status.success(), "the TypeScript walk failed:\n{said}");
    for line in [
        "detail without a token: 401 100003",
        "homestayDetail through wx.request",
        "a page of 0 orders: 400 100002",
        "typescript walk: done",
    ] {
        assert!(said.contains(line), "{line:?} not in:\n{said}");
    }
}

fn key(file: &str) -> rsa::RsaPrivateKey {
    let pem =
        std::fs::read_to_string(workspace().join("services/wechat/dev-keys").join(file)).unwrap();
    pay::private_key(&pem).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_end_to_end_and_what_must_be_refused_or_survive() {
    let root = workspace();
    let mysql = env("LOOKLOOK_TEST_MYSQL");
    fresh_databases(&mysql);
    // A Redis of its own, which the test takes away for a while.
    let redis_dir = tempfile::tempdir().unwrap();
    let redis_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut own_redis = OwnRedis::start(redis_dir.path(), redis_port).await;
    let redis = format!("redis://127.0.0.1:{redis_port}/0");

    // Where order-api's log file ends now: the lines after it are this run's.
    let api_log = root.join(".looklook/logs/order-api.log");
    let api_log_start = std::fs::metadata(&api_log).map_or(0, |m| m.len() as usize);

    // The processes as `looklook demo` starts them, on ports of their own.
    let (manifest, _, processes) = looklook_dev::load(&root.join("looklook.toml"), &[]).unwrap();
    let targets: Vec<_> = processes.iter().map(|p| p.target.clone()).collect();
    let built = build::build(&root, &targets, false).await.unwrap();
    assert!(built.ok(), "{}", built.errors);
    let exes = built
        .executables
        .into_iter()
        .map(|(t, p)| (t.bin, p))
        .collect();
    // Where the infrastructure is, by the variables the etc/*.yaml read.
    let db = |svc: &str| format!("{mysql}/looklook_e2e_{svc}");
    let kafka = env("LOOKLOOK_TEST_KAFKA");
    // A topic of this run's own, made as `looklook up` makes the stack
    // file's: the services never create one.
    let topic = format!("e2e-paystatus-{}", chrono_now());
    looklook_stack::kafka::create_topics(
        &kafka,
        &[looklook_stack::Topic::Partitioned {
            name: topic.clone(),
            partitions: 3,
        }],
    )
    .unwrap();
    // Every process sends its spans to a collector of this test's own.
    let (collector, otlp) = Collector::start().await;
    let infra = BTreeMap::from(
        [
            ("REDIS_URL", redis.clone()),
            ("JOB_REDIS_URL", redis),
            ("KAFKA_BROKERS", kafka),
            ("PAY_STATUS_TOPIC", topic),
            ("CLOSE_ORDER_AFTER_SECS", CLOSE_AFTER_SECS.to_string()),
            ("OTLP_ENDPOINT", otlp),
            ("USERCENTER_DB", db("usercenter")),
            ("TRAVEL_DB", db("travel")),
            ("ORDER_DB", db("order")),
            ("PAYMENT_DB", db("payment")),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    let ports = free_ports(&manifest.ports()).unwrap();
    // The dashboard of `looklook dev`, over these processes: their output,
    // and the spans the collector receives.
    let board = Arc::new(Mutex::new(Board::new(processes.iter().map(|p| {
        let name = p.name.clone();
        let (serve, metrics) = (
            ports.serve.get(&name).copied(),
            ports.metrics.get(&name).copied(),
        );
        (name, serve, metrics)
    }))));
    let lines = board.clone();
    let mut system = System::start(
        &root,
        &processes,
        &exes,
        ports,
        &infra,
        move |process, line| {
            lines.lock().unwrap().apply(&DevEvent::Output {
                process: process.to_string(),
                line: line.to_string(),
                stderr: false,
            })
        },
    )
    .await
    .unwrap();
    for (process, pid) in system.pids() {
        let mut board = board.lock().unwrap();
        board.apply(&DevEvent::Started {
            process: process.clone(),
            pid,
        });
        board.apply(&DevEvent::Answering {
            process,
            after: Duration::ZERO,
        });
    }
    // The gateway in front of the API services, as `looklook demo` runs
    // it: its config generated for this run's ports, Debian's nginx started
    // by the native engine. Every API call below goes through it.
    let gateway = start_gateway(&root, &system.env()).await;
    let mut addresses = system.env();
    addresses.insert("GATEWAY_ADDR".into(), gateway.address.clone());

    // The dashboard's reference sends its "try it" calls through it.
    let dashboard = dashboard::start(
        dashboard::Dashboard {
            board,
            traces: collector.store.clone(),
            scraper: Default::default(),
            otlp: dashboard::Otlp::Here(infra["OTLP_ENDPOINT"].clone()),
            openapi: Some(root.join("docs/api")),
            grafana: String::new(),
            gateway: Some(gateway.address.clone()),
        },
        0,
    )
    .await
    .unwrap();

    // The demo's walk: register, log in, browse, book, pay, paid via Kafka,
    // an unpaid order closed by the job.
    let gw = Gateway::new(addresses.clone());
    let mut steps = Vec::new();
    let walked = walk(&gw, Duration::from_secs(CLOSE_AFTER_SECS), &mut |s| {
        steps.push(s.title)
    })
    .await
    .unwrap_or_else(|e| panic!("after {steps:?}: {e}"));
    assert_eq!(steps.len(), 16, "{steps:?}");
    let token = walked.token.as_str();

    // The paid booking is one trace, from the pre-pay through WeChat's
    // notification, Kafka and order-mq to the job that tells the user, and
    // the log lines of each process on the way carry its id.
    let trace = paid_booking_trace(&collector).await;
    dashboard_shows(&dashboard, &processes, &trace, &gw).await;
    // And the walk's cancel is one trace, WeChat's refund notification in
    // it, though WeChat gives nothing of ours back with it.
    cancel_trace(&collector).await;
    for process in [
        "payment-api",
        "payment-rpc",
        "order-mq",
        "order-rpc",
        "mqueue-job",
    ] {
        let log = std::fs::read_to_string(root.join(format!(".looklook/logs/{process}.log")))
            .unwrap_or_default();
        assert!(
            log.contains(&format!("trace_id={trace}")),
            "{process} logged nothing of trace {trace}"
        );
    }

    // An order pre-paid and left: the close job closes its WeChat
    // transaction, then the order (checked at the end, when its time is
    // up).
    let stay = json!({"homestayId": 3, "isFood": false, "liveStartTime": chrono_now() + 86400 * 8,
        "liveEndTime": chrono_now() + 86400 * 9, "livePeopleNum": 1});
    let (raced, raced_prepay) = book_and_prepay(&gw, token, &stay).await;

    // The job board (mqueue-job's port) lists its close job, scheduled;
    // and in a browser, its page shows it.
    let board = system.url("mqueue-job");
    let queues: serde_json::Value = reqwest::get(format!("{board}/jobs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let close_queue = queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == looklook_shared::jobs::CloseOrder::QUEUE)
        .unwrap_or_else(|| panic!("no close queue on the board: {queues}"));
    assert!(
        close_queue["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["payload"]["sn"] == raced && j["state"] == "scheduled"),
        "{close_queue}"
    );
    let page = Command::new("chromium")
        .args(["--headless=new", "--no-sandbox", "--disable-gpu"])
        .args(["--virtual-time-budget=5000", "--dump-dom", &board])
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(
        page.contains(&raced),
        "the board's page does not show {raced}"
    );
    let raced_prepay_id = raced_prepay["package"]
        .as_str()
        .unwrap()
        .trim_start_matches("prepay_id=")
        .to_string();

    // The generated TypeScript client, as a front end uses it.
    let env = addresses.clone();
    tokio::task::spawn_blocking(move || typescript_walk(&env))
        .await
        .unwrap();

    // A wrong password.
    let (status, body) = gw
        .post(
            "usercenter-api",
            "/usercenter/v1/user/login",
            &json!({"mobile": walked.phone, "password": "nope"}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(100001)),
        "{body}"
    );
    // An expired token.
    let expired =
        looklook_runtime::http::jwt::issue(JWT_SECRET, chrono_now() - 7200, 3600, 1).unwrap();
    let list = json!({"lastId": 0, "pageSize": 10, "tradeState": -99});
    let (status, _) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/userHomestayOrderList",
            &list,
            Some(&expired),
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    // A bad parameter.
    let (status, body) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/userHomestayOrderList",
            &json!({"lastId": 0, "pageSize": 0, "tradeState": -99}),
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(100002)),
        "{body}"
    );
    // Another user's order: no data.
    let stranger = json!({"mobile": "13700000999", "password": "pw"});
    gw.call(
        "usercenter-api",
        "/usercenter/v1/user/register",
        &stranger,
        None,
    )
    .await
    .unwrap();
    let login = gw
        .call(
            "usercenter-api",
            "/usercenter/v1/user/login",
            &stranger,
            None,
        )
        .await
        .unwrap();
    let other = login["accessToken"].as_str().unwrap();
    let (status, body) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/userHomestayOrderDetail",
            &json!({"sn": walked.paid_order}),
            Some(other),
        )
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code": 100001, "msg": "this order does not exist"})
    );
    // ... nor can it be cancelled by them.
    let cancel = "/order/v1/homestayOrder/cancelHomestayOrder";
    let (status, body) = gw
        .post(
            "order-api",
            cancel,
            &json!({"sn": walked.paid_order}),
            Some(other),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("this order does not exist")),
        "{body}"
    );

    // The walk's refunded order, cancelled again: the same answer, and no
    // second refund at WeChat Pay.
    let sandbox_refunds = format!(
        "http://{}/sandbox/refunds",
        addresses["WECHAT_SANDBOX_ADDR"]
    );
    let refunds = || async {
        reqwest::get(&sandbox_refunds)
            .await
            .unwrap()
            .json::<Vec<serde_json::Value>>()
            .await
            .unwrap()
    };
    let refunded_before = refunds().await;
    assert!(
        refunded_before.iter().any(|r| r["status"] == "SUCCESS"),
        "{refunded_before:?}"
    );
    let again = gw
        .call(
            "order-api",
            cancel,
            &json!({"sn": walked.refunded_order}),
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(again["tradeState"], 3, "{again}");
    assert_eq!(refunds().await.len(), refunded_before.len());

    // A paid stay whose check-in day has begun is the guest's: refused,
    // and no refund is asked for.
    let today = json!({"homestayId": 3, "isFood": false, "liveStartTime": chrono_now(),
        "liveEndTime": chrono_now() + 86400, "livePeopleNum": 1});
    let (checked_in, prepay) = book_and_prepay(&gw, token, &today).await;
    let prepay_id = prepay["package"]
        .as_str()
        .unwrap()
        .trim_start_matches("prepay_id=");
    let (_, paid) = gw
        .post(
            "wechat-sandbox",
            "/sandbox/pay",
            &json!({"prepayId": prepay_id}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(paid["notifyBody"], "SUCCESS", "{paid}");
    wait_for_state(&gw, token, &checked_in, 1, Duration::from_secs(30), "paid")
        .await
        .unwrap();
    let (status, body) = gw
        .post("order-api", cancel, &json!({"sn": checked_in}), Some(token))
        .await
        .unwrap();
    assert_eq!(
        (status, body["msg"].as_str()),
        (
            400,
            Some("the stay has begun: it can no longer be cancelled")
        ),
        "{body}"
    );
    assert_eq!(refunds().await.len(), refunded_before.len());

    // Account takeover by pre-registration: a stranger registers a number
    // that is not theirs, with a password; then its owner opens the
    // mini-program. The original linked the owner's WeChat to the
    // stranger's account, and the stranger read the owner's orders.
    let owners = "13600000777";
    let squat = json!({"mobile": owners, "password": "squatter"});
    let users = "/usercenter/v1/user";
    gw.call("usercenter-api", &format!("{users}/register"), &squat, None)
        .await
        .unwrap();
    let squatter = gw
        .call("usercenter-api", &format!("{users}/login"), &squat, None)
        .await
        .unwrap();
    let squatter = squatter["accessToken"].as_str().unwrap();
    // What the mini-program sends for a phone, as the walk makes it.
    let wechat = async |phone: &str| wechat_login(&gw, phone).await.unwrap().0;
    let (status, body) = gw
        .post(
            "usercenter-api",
            &format!("{users}/wxMiniAuth"),
            &wechat(owners).await,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["msg"].as_str()),
        (
            400,
            Some("this mobile number has an account: log in to it, then link WeChat from there")
        ),
        "{body}"
    );
    // The squatter cannot link WeChat either: their own WeChat verifies
    // their own number, not the one they typed.
    let (status, body) = gw
        .post(
            "usercenter-api",
            &format!("{users}/wxMiniBind"),
            &wechat("13600000888").await,
            Some(squatter),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["msg"].as_str()),
        (
            400,
            Some("WeChat verified another mobile number than this account's")
        ),
        "{body}"
    );
    // So the owner's WeChat belongs to no account: the squatter's has none.
    let squatter_id = gw
        .call(
            "usercenter-api",
            &format!("{users}/detail"),
            &json!({}),
            Some(squatter),
        )
        .await
        .unwrap()["userInfo"]["id"]
        .as_i64()
        .unwrap();
    let linked = sql(
        &mysql,
        "looklook_e2e_usercenter",
        &format!(
            "SELECT COUNT(*) FROM user_auth WHERE user_id = {squatter_id} AND auth_type = 'wxMini'"
        ),
    );
    assert_eq!(linked.trim(), "0");
    // Paying an order that is already paid is refused.
    let (_, body) = gw
        .post(
            "payment-api",
            "/payment/v1/thirdPayment/thirdPaymentWxPay",
            &json!({"orderSn": walked.paid_order, "serviceType": "homestayOrder"}),
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(
        body["msg"], "this order is not waiting for payment",
        "{body}"
    );

    // WeChat tells payment-api twice: still SUCCESS, nothing changes.
    let payments_before = sql(
        &mysql,
        "looklook_e2e_payment",
        "SELECT COUNT(*), SUM(pay_status) FROM third_payment",
    );
    let (_, again) = gw
        .post(
            "wechat-sandbox",
            "/sandbox/pay",
            &json!({"prepayId": walked.prepay_id}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again["notifyBody"], "SUCCESS", "{again}");
    assert_eq!(
        sql(
            &mysql,
            "looklook_e2e_payment",
            "SELECT COUNT(*), SUM(pay_status) FROM third_payment"
        ),
        payments_before
    );

    // A new order, pre-paid; then forged notifications for its payment.
    let booking = json!({"homestayId": 3, "isFood": false, "liveStartTime": chrono_now() + 86400 * 5,
        "liveEndTime": chrono_now() + 86400 * 6, "livePeopleNum": 1});
    let (sn, prepay) = book_and_prepay(&gw, token, &booking).await;
    // Asked again: the same payment and the same WeChat transaction, not a
    // second one the user could pay as well.
    let again = gw
        .call(
            "payment-api",
            "/payment/v1/thirdPayment/thirdPaymentWxPay",
            &json!({"orderSn": sn, "serviceType": "homestayOrder"}),
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(again["package"], prepay["package"]);
    let row = sql(
        &mysql,
        "looklook_e2e_payment",
        &format!("SELECT sn, pay_total FROM third_payment WHERE order_sn = '{sn}'"),
    );
    let (payment_sn, total) = row.split_once('\t').unwrap();
    let total: i64 = total.parse().unwrap();
    let callback = format!(
        "{}/payment/v1/thirdPayment/thirdPaymentWxPayCallback",
        system.url("payment-api")
    );
    let http = reqwest::Client::new();
    let send = |(headers, body): (BTreeMap<&'static str, String>, String)| {
        let mut req = http.post(&callback).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    // Signed by someone other than WeChat Pay; the log (appended to, so
    // read from here on) says why it was refused.
    let log_file = root.join(".looklook/logs/payment-api.log");
    let logged_before = std::fs::metadata(&log_file).map_or(0, |m| m.len() as usize);
    assert_eq!(
        send(notification(payment_sn, total, &key("merchant.key"))).await,
        (400, "FAIL".into())
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = std::fs::read(&log_file).unwrap();
    let new = String::from_utf8_lossy(&log[logged_before..]);
    assert!(
        new.lines()
            .any(|l| l.contains("payment notification refused")
                && l.contains("signature does not verify")),
        "{new}"
    );
    // Signed by WeChat Pay, then changed on the way.
    let (headers, body) = notification(payment_sn, total, &key("platform.key"));
    let tampered = body.replace("encrypt-resource", "encrypt-resourcf");
    assert_eq!(send((headers, tampered)).await, (400, "FAIL".into()));
    // Genuine, but for less than the order costs.
    assert_eq!(
        send(notification(payment_sn, total - 1, &key("platform.key"))).await,
        (400, "FAIL".into())
    );
    // Genuine, the right number, in another currency.
    assert_eq!(
        send(notification_in(
            payment_sn,
            total,
            "USD",
            &key("platform.key")
        ))
        .await,
        (400, "FAIL".into())
    );
    // Genuine, but a payment's, replayed to the refund route.
    let (headers, body) = notification(payment_sn, total, &key("platform.key"));
    let mut replayed = http.post(format!(
        "{}/payment/v1/thirdPayment/thirdPaymentWxRefundCallback",
        system.url("payment-api")
    ));
    for (k, v) in headers {
        replayed = replayed.header(k, v);
    }
    let replayed = replayed.body(body).send().await.unwrap();
    assert_eq!(
        (replayed.status().as_u16(), replayed.text().await.unwrap()),
        (400, "FAIL".into())
    );
    assert_eq!(
        sql(
            &mysql,
            "looklook_e2e_payment",
            &format!("SELECT pay_status FROM third_payment WHERE sn = '{payment_sn}'")
        ),
        "0",
        "nothing changed"
    );

    // order-mq is down when the payment lands: the message waits in Kafka,
    // and the order ends paid once a consumer is back.
    system.stop_one("order-mq").await;
    let prepay_id = prepay["package"]
        .as_str()
        .unwrap()
        .trim_start_matches("prepay_id=")
        .to_string();
    let (_, paid) = gw
        .post(
            "wechat-sandbox",
            "/sandbox/pay",
            &json!({"prepayId": prepay_id}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(paid["notifyBody"], "SUCCESS", "{paid}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, body) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/userHomestayOrderDetail",
            &json!({"sn": sn}),
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(body["data"]["tradeState"], 0, "no consumer, no change yet");
    system.start_one("order-mq").await.unwrap();
    wait_for_state(
        &gw,
        token,
        &sn,
        1,
        Duration::from_secs(30),
        "paid after the consumer came back",
    )
    .await
    .unwrap();

    // An order pre-paid while Redis is up, paid while it is down: order-rpc
    // cannot queue the tell-the-user job, so it fails the move (a failure,
    // not a refusal) and order-mq keeps the message to try again.
    // (A night is sold once: each order of this test has nights of its own.)
    let later = json!({"homestayId": 3, "isFood": false, "liveStartTime": chrono_now() + 86400 * 11,
        "liveEndTime": chrono_now() + 86400 * 12, "livePeopleNum": 1});
    let (late, late_prepay) = book_and_prepay(&gw, token, &later).await;
    let booking = json!({"homestayId": 3, "isFood": false, "liveStartTime": chrono_now() + 86400 * 13,
        "liveEndTime": chrono_now() + 86400 * 14, "livePeopleNum": 1});

    // Redis goes away: what is cached is read from MariaDB instead, but
    // nothing is booked whose close-if-unpaid job cannot be queued.
    own_redis.stop();
    let (_, paid) = gw
        .post(
            "wechat-sandbox",
            "/sandbox/pay",
            &json!({"prepayId": late_prepay["package"].as_str().unwrap().trim_start_matches("prepay_id=")}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(paid["notifyBody"], "SUCCESS", "{paid}");
    let (status, body) = gw
        .post(
            "travel-api",
            "/travel/v1/homestay/homestayDetail",
            &json!({"id": 2}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["data"]["homestay"]["title"].as_str()),
        (200, Some("Family loft")),
        "{body}"
    );
    let (status, body) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/userHomestayOrderList",
            &list,
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/createHomestayOrder",
            &booking,
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(100001)),
        "{body}"
    );
    // Back (with its data): booking works again.
    own_redis = OwnRedis::start(redis_dir.path(), redis_port).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = gw
            .post(
                "order-api",
                "/order/v1/homestayOrder/createHomestayOrder",
                &booking,
                Some(token),
            )
            .await
            .unwrap();
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still refused: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The payment made during the outage was kept, and lands now.
    wait_for_state(
        &gw,
        token,
        &late,
        1,
        Duration::from_secs(60),
        "paid once the job queue is back",
    )
    .await
    .unwrap();

    // Every metric the Grafana dashboard reads, the running system exports
    // (the cache errors among them, from the outage above).
    let mut exported = String::new();
    for port in system.ports.metrics.values() {
        let url = format!("http://127.0.0.1:{port}/metrics");
        exported.push_str(&reqwest::get(&url).await.unwrap().text().await.unwrap());
    }
    let wanted = dashboard_metrics();
    assert!(wanted.len() >= 6, "{wanted:?}");
    for metric in wanted {
        assert!(
            exported
                .lines()
                .any(|l| l.starts_with(&format!("{metric}{{"))
                    || l.starts_with(&format!("{metric} "))),
            "the dashboard reads {metric}, which no service exports"
        );
    }
    // And the series the Kafka and job alerts read (observability/
    // prometheus/rules.yml): the payments consumed, the close and notify
    // jobs run. The lag comes with the consumer's statistics, every 5 s
    // (order-mq was restarted a moment ago).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut exported = String::new();
        for port in system.ports.metrics.values() {
            let url = format!("http://127.0.0.1:{port}/metrics");
            exported.push_str(&reqwest::get(&url).await.unwrap().text().await.unwrap());
        }
        let missing: Vec<&str> = [
            "kafka_consumed_total{",
            "kafka_consumer_lag{",
            "jobs_total{",
            "job_duration_seconds_bucket{",
        ]
        .into_iter()
        .filter(|metric| !exported.lines().any(|l| l.starts_with(metric)))
        .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the alert rules read {missing:?}, which no service exports"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Each process's output is kept where the log shipper reads it.
    let log = root.join(".looklook/logs/order-api.log");
    assert!(
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 0),
        "{}",
        log.display()
    );
    // Plain text for the shipper: no terminal escape codes in a file. (A
    // file rotated during the run is read whole.)
    let text = std::fs::read(&api_log).unwrap();
    let ours = text.get(api_log_start..).unwrap_or(&text);
    assert!(!ours.contains(&0x1b), "escape codes in {}", log.display());

    // One homestay's reviews, not every homestay's: the seed has two for
    // the first, one for the third. The homestay is required.
    let path = "/travel/v1/homestayComment/commentList";
    let comments = async |body: serde_json::Value| gw.post("travel-api", path, &body, None).await;
    let (status, first) = comments(json!({"homestayId": 1, "lastId": 0, "pageSize": 10}))
        .await
        .unwrap();
    assert_eq!(status, 200, "{first}");
    let list = first["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{first}");
    assert!(list.iter().all(|c| c["homestayId"] == 1), "{first}");
    let (_, third) = comments(json!({"homestayId": 3, "lastId": 0, "pageSize": 10}))
        .await
        .unwrap();
    assert_eq!(
        third["data"]["list"].as_array().unwrap().len(),
        1,
        "{third}"
    );
    let (status, missing) = comments(json!({"lastId": 0, "pageSize": 10}))
        .await
        .unwrap();
    assert_eq!(
        (status, missing["code"].as_i64()),
        (400, Some(100002)),
        "{missing}"
    );

    // The gateway's own answers, in the services' {code,msg} shape: a
    // route no service owns, and a login flood from one address (the
    // burst passes, then 429). A request id sent is the one that comes
    // back; one is made when none is sent.
    let http = reqwest::Client::new();
    let base = format!("http://{}", gateway.address);
    let nowhere = http.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(nowhere.status(), 404);
    assert_eq!(
        nowhere.json::<serde_json::Value>().await.unwrap(),
        json!({"code": 404, "msg": "no service has this route"})
    );
    let traced = http
        .post(format!("{base}/travel/v1/homestay/guessList"))
        .header("x-request-id", "e2e-request-id-1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(traced.status(), 200);
    assert_eq!(traced.headers()["x-request-id"], "e2e-request-id-1");
    let made = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(made.headers()["x-request-id"].len(), 32);
    // Thirty at once: each login costs the server a password hash, so one
    // at a time would never outrun the limit.
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let (http, base, phone) = (http.clone(), base.clone(), walked.phone.clone());
        flood.spawn(async move {
            let answer = http
                .post(format!("{base}/usercenter/v1/user/login"))
                .json(&json!({"mobile": phone, "password": "nope"}))
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<serde_json::Value>().await.unwrap())
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = flood.join_next().await {
        let (status, body) = done.unwrap();
        if status == 429 {
            assert_eq!(
                body,
                json!({"code": 429, "msg": "too many requests, try again later"})
            );
        }
        statuses.push(status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 400).count() >= 5,
        "{statuses:?}"
    );

    // The order left unpaid is closed, its WeChat transaction first: the
    // user can no longer pay it.
    wait_for_state(
        &gw,
        token,
        &raced,
        -1,
        Duration::from_secs(90),
        "closed by the job",
    )
    .await
    .unwrap();
    let pay = async |after_close: bool| {
        let body = json!({"prepayId": raced_prepay_id, "afterClose": after_close});
        gw.post("wechat-sandbox", "/sandbox/pay", &body, None).await
    };
    let (status, refused) = pay(false).await.unwrap();
    assert_eq!(
        (status, refused["code"].as_str()),
        (400, Some("ORDER_CLOSED")),
        "{refused}"
    );
    // The race: WeChat took the money as the transaction closed. The
    // payment is recorded, order-mq finds its order closed, and the money
    // goes back through WeChat Pay's refund; the order stays closed.
    let (_, taken) = pay(true).await.unwrap();
    assert_eq!(taken["notifyBody"], "SUCCESS", "{taken}");
    let payment_sn = sql(
        &mysql,
        "looklook_e2e_payment",
        &format!("SELECT sn FROM third_payment WHERE order_sn = '{raced}'"),
    );
    let payment_sn = payment_sn.trim();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let refund = loop {
        if let Some(refund) = refunds()
            .await
            .into_iter()
            .find(|r| r["out_trade_no"] == payment_sn && r["status"] == "SUCCESS")
        {
            break refund;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{payment_sn} was never refunded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (refund["status"].as_str(), &refund["out_refund_no"]),
        (Some("SUCCESS"), &json!(format!("RF{payment_sn}"))),
        "{refund}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sql(
        &mysql,
        "looklook_e2e_payment",
        &format!("SELECT pay_status FROM third_payment WHERE sn = '{payment_sn}'"),
    )
    .trim()
        != "2"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{payment_sn} never marked refunded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, body) = gw
        .post(
            "order-api",
            "/order/v1/homestayOrder/userHomestayOrderDetail",
            &json!({"sn": raced}),
            Some(token),
        )
        .await
        .unwrap();
    assert_eq!(body["data"]["tradeState"], -1, "{body}");
    // And a person can find it: logged as an incident.
    let mq_log = std::fs::read_to_string(root.join(".looklook/logs/order-mq.log")).unwrap();
    assert!(
        mq_log
            .lines()
            .any(|l| l.contains("paid_after_close") && l.contains(&raced)),
        "no incident logged for {raced}"
    );
    system.stop().await;
    own_redis.stop();
    drop(gateway);
}

/// Book `booking` and ask WeChat Pay for a pre-pay: the order's number
/// and the pre-pay's answer.
async fn book_and_prepay(
    gw: &Gateway,
    token: &str,
    booking: &serde_json::Value,
) -> (String, serde_json::Value) {
    let sn = gw
        .call(
            "order-api",
            "/order/v1/homestayOrder/createHomestayOrder",
            booking,
            Some(token),
        )
        .await
        .unwrap()["orderSn"]
        .as_str()
        .unwrap()
        .to_string();
    let prepay = gw
        .call(
            "payment-api",
            "/payment/v1/thirdPayment/thirdPaymentWxPay",
            &json!({"orderSn": sn, "serviceType": "homestayOrder"}),
            Some(token),
        )
        .await
        .unwrap();
    (sn, prepay)
}

/// The metric names in the PromQL of observability/grafana/dashboards:
/// each name that a selector (`{`) or a range (`[`) follows, less `up`,
/// which Prometheus makes itself.
fn dashboard_metrics() -> std::collections::BTreeSet<String> {
    let path = workspace().join("observability/grafana/dashboards/looklook.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let queries = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().unwrap().to_string());
    let mut names = std::collections::BTreeSet::new();
    for expr in queries {
        let mut word = String::new();
        for c in expr.chars() {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                word.push(c);
                continue;
            }
            if (c == '{' || c == '[') && !word.is_empty() && word != "up" {
                names.insert(word.clone());
            }
            word.clear();
        }
    }
    names
}

/// In a real browser (chromium through WebDriver), the dashboard lists
/// every process running, and draws the paid booking's trace across the
/// services it went through, with the log lines that carry it; then a
/// learner tries `homestayList` from the API reference. Screenshots go to
/// target/artifacts.
async fn dashboard_shows(
    url: &str,
    processes: &[looklook_dev::Process],
    trace: &str,
    gw: &Gateway,
) {
    let driver = WebDriver::start().await;
    let browser = driver.session().await;
    let artifacts = workspace().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shoot = |file: &'static str| {
        let browser = browser.clone();
        let path = artifacts.join(file);
        async move { std::fs::write(path, browser.screenshot().await.unwrap()).unwrap() }
    };

    browser.set_window_size(1400, 1000).await.unwrap();
    browser.goto(url).await.unwrap();
    assert_eq!(processes.len(), 12);
    for p in processes {
        wait_for(
            &browser,
            format!("//tr[td[1]='{}']/td[@class='running']", p.name),
        )
        .await;
    }
    shoot("dashboard-reference.png").await;

    // The log pane, filtered as a learner would: the trace's id typed into
    // the search box (a query a key, answered in any order), then order-mq
    // picked from the processes. The pane shows exactly those lines.
    wait_for(&browser, "//input[@id='log-search']".into())
        .await
        .send_keys(trace)
        .await
        .unwrap();
    wait_for(
        &browser,
        "//select[@id='log-process']/option[.='order-mq']".into(),
    )
    .await
    .click()
    .await
    .unwrap();
    let pane = wait_for(&browser, "//pre[@id='log']".into()).await;
    let mut shown = String::new();
    for _ in 0..150 {
        shown = pane.text().await.unwrap();
        let lines: Vec<&str> = shown.lines().filter(|l| !l.is_empty()).collect();
        if !lines.is_empty()
            && lines
                .iter()
                .all(|l| l.starts_with("order-mq | ") && l.contains(trace))
        {
            break;
        }
        shown.clear();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !shown.is_empty(),
        "the log pane never showed only order-mq's lines of {trace}:\n{}",
        pane.text().await.unwrap()
    );

    browser.goto(&format!("{url}trace/{trace}")).await.unwrap();
    wait_for(&browser, "//div[@class='label']".into()).await;
    let waterfall = browser.source().await.unwrap();
    for row in [
        "payment-api: POST /payment/v1/thirdPayment/thirdPaymentWxPay (",
        "payment-api: wechat pay notification (",
        "order-mq: ",
        "mqueue-job: job notify_paid (",
    ] {
        assert!(
            waterfall.contains(row),
            "{row:?} is not in the waterfall:\n{waterfall}"
        );
    }
    assert!(
        waterfall.contains("order-mq | "),
        "order-mq's lines of the trace are not beside it:\n{waterfall}"
    );
    shoot("trace-paid-booking.png").await;

    try_homestay_list(&browser, url, gw, &artifacts).await;
    browser.close().await.unwrap();
}

/// The element at `xpath`, once the page has it (half a minute at most).
async fn wait_for(browser: &fantoccini::Client, xpath: String) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
}

/// chromedriver on a free port of 127.0.0.1, stopped when dropped.
struct WebDriver {
    child: std::process::Child,
    port: u16,
}

impl WebDriver {
    async fn start() -> WebDriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/setup installs chromium-driver)");
        let driver = WebDriver { child, port };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not listen on {port}");
    }

    /// A headless chromium session.
    async fn session(&self) -> fantoccini::Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}),
        );
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromium session")
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A learner's click-through of the dashboard's API reference: open
/// `homestayList`, "Try it out", send a page of five, and read the answer
/// Swagger UI shows: the homestays the gateway returns to anyone.
async fn try_homestay_list(
    browser: &fantoccini::Client,
    dashboard: &str,
    gw: &Gateway,
    artifacts: &Path,
) {
    // Tall enough for the operation, its request and its answer at once.
    browser.set_window_size(1400, 2400).await.unwrap();
    browser
        .goto(&format!("{dashboard}reference/"))
        .await
        .unwrap();
    let path = "/travel/v1/homestay/homestayList";
    // The operation's block (class `opblock`, not the tag's section).
    let op = format!(
        "//div[contains(concat(' ', @class, ' '), ' opblock ')][.//*[@data-path='{path}']]"
    );
    let wait = |xpath: String| wait_for(browser, xpath);
    let click =
        |xpath: String| async move { wait_for(browser, xpath).await.click().await.unwrap() };
    click(format!(
        "{op}//*[contains(@class, 'opblock-summary-control')]"
    ))
    .await;
    click(format!("{op}//button[contains(@class, 'try-out__btn')]")).await;
    let body = wait(format!(
        "{op}//textarea[contains(@class, 'body-param__text')]"
    ))
    .await;
    body.clear().await.unwrap();
    body.send_keys(r#"{"page": 1, "pageSize": 5}"#)
        .await
        .unwrap();
    click(format!("{op}//button[contains(@class, 'execute')]")).await;
    let answered = format!("{op}//table[contains(@class, 'live-responses-table')]/tbody");
    let status = wait(format!(
        "{answered}//td[contains(@class, 'response-col_status')]"
    ))
    .await
    .text()
    .await
    .unwrap();
    let shown = wait(format!("{answered}//*[contains(@class, 'microlight')]"))
        .await
        .text()
        .await
        .unwrap();
    // The operation as the learner sees it: the request and the answer.
    std::fs::write(
        artifacts.join("try-it-homestay-list.png"),
        wait(op.clone()).await.screenshot().await.unwrap(),
    )
    .unwrap();

    assert_eq!(status.trim(), "200", "{shown}");
    let shown: serde_json::Value =
        serde_json::from_str(&shown).unwrap_or_else(|e| panic!("{e}: {shown}"));
    let direct = gw
        .call("travel-api", path, &json!({"page": 1, "pageSize": 5}), None)
        .await
        .unwrap();
    // Swagger UI prints 40.0 as JavaScript does (40): the homestays are
    // compared by id and title.
    let homestays = |list: &serde_json::Value| -> Vec<(i64, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|h| (h["id"].as_i64().unwrap(), h["title"].to_string()))
            .collect()
    };
    assert!(!homestays(&direct["list"]).is_empty(), "{direct}");
    assert_eq!(
        homestays(&shown["data"]["list"]),
        homestays(&direct["list"]),
        "the page shows what the gateway answers"
    );
}

/// An OTLP/gRPC collector on 127.0.0.1 that keeps every span it is sent,
/// with its service's name, and hands them to the dashboard's store too.
#[derive(Clone)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
    store: Arc<Mutex<TraceStore>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let request = request.into_inner();
        for span in spans_of(&request) {
            self.store.lock().unwrap().add(span);
        }
        let mut kept = self.spans.lock().unwrap();
        for rs in request.resource_spans {
            let service = service_name(&rs);
            for span in rs.scope_spans.into_iter().flat_map(|ss| ss.spans) {
                kept.push((service.clone(), span));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Collector {
    /// Serve it on a free port; the endpoint the services are given.
    async fn start() -> (Collector, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let collector = Collector {
            spans: Arc::default(),
            store: Arc::new(Mutex::new(TraceStore::new(dashboard::MAX_SPANS))),
        };
        let serving = collector.clone();
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(serving))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
                .await
        });
        (collector, endpoint)
    }

    fn spans(&self) -> Vec<(String, Span)> {
        self.spans.lock().unwrap().clone()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A process, and what names its span on the way.
type Hop = (&'static str, fn(&str) -> bool);

/// The trace of a paid booking, once every hop of it has been exported:
/// the pre-pay (payment-api, and payment-rpc under it), WeChat's
/// notification, the Kafka message consumed by order-mq, order-rpc moving
/// the order, and mqueue-job telling the user. Its id.
async fn paid_booking_trace(collector: &Collector) -> String {
    let last: Hop = ("mqueue-job", |n| n == "job notify_paid");
    let hops: [Hop; 9] = [
        ("payment-api", |n| {
            n == "POST /payment/v1/thirdPayment/thirdPaymentWxPay"
        }),
        ("payment-rpc", |n| n.ends_with("/CreatePayment")),
        ("payment-api", |n| n == "wechat pay notification"),
        ("payment-rpc", |n| n.ends_with("/UpdateTradeState")),
        ("order-mq", |n| n.ends_with(" consume")),
        ("order-rpc", |n| {
            n.ends_with("/updateHomestayOrderTradeState")
        }),
        last,
        // And the calls to WeChat on the way, as client spans.
        ("payment-api", |n| {
            n == "WeChat POST /v3/pay/transactions/jsapi"
        }),
        ("mqueue-job", |n| {
            n == "WeChat POST /cgi-bin/message/subscribe/send"
        }),
    ];
    one_trace(collector, "paid booking", last, &hops).await
}

/// The trace of a paid booking's cancel: order-api asks payment-rpc for
/// the refund, which asks WeChat; WeChat's refund notification, hours later
/// in real life, continues it through Kafka to order-rpc marking the order
/// refunded. Its id.
async fn cancel_trace(collector: &Collector) -> String {
    let last: Hop = ("payment-api", |n| n == "wechat refund notification");
    let hops: [Hop; 7] = [
        ("order-api", |n| {
            n == "POST /order/v1/homestayOrder/cancelHomestayOrder"
        }),
        ("payment-rpc", |n| n.ends_with("/RefundPayment")),
        ("payment-rpc", |n| {
            n == "WeChat POST /v3/refund/domestic/refunds"
        }),
        last,
        ("payment-rpc", |n| n.ends_with("/UpdateTradeState")),
        ("order-mq", |n| n.ends_with(" consume")),
        ("order-rpc", |n| {
            n.ends_with("/updateHomestayOrderTradeState")
        }),
    ];
    one_trace(collector, "cancel", last, &hops).await
}

/// The id of the trace that holds `last` and every one of `hops`, with
/// every span's parent in it, once the collector has them all (30 s).
async fn one_trace(collector: &Collector, what: &str, last: Hop, hops: &[Hop]) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let spans = collector.spans();
        let complete = spans
            .iter()
            .filter(|(service, s)| *service == last.0 && last.1(&s.name))
            .map(|(_, s)| hex(&s.trace_id))
            .find(|trace| {
                let in_trace: Vec<_> = spans
                    .iter()
                    .filter(|(_, s)| hex(&s.trace_id) == *trace)
                    .collect();
                let ids: Vec<_> = in_trace.iter().map(|(_, s)| hex(&s.span_id)).collect();
                // Every hop is there, and every span's parent too (but the root's).
                hops.iter().all(|(service, named)| {
                    in_trace
                        .iter()
                        .any(|(sv, s)| sv == service && named(&s.name))
                }) && in_trace.iter().all(|(_, s)| {
                    s.parent_span_id.is_empty() || ids.contains(&hex(&s.parent_span_id))
                })
            });
        if let Some(trace) = complete {
            return trace;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} in one trace among {} spans: {:?}",
            spans.len(),
            spans
                .iter()
                .map(|(sv, s)| format!("{sv}: {}", s.name))
                .collect::<std::collections::BTreeSet<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
