//! The whole loop, for real: generate a crate from the bookstore sample,
//! fill in some logic as a user would, build it with cargo, run it on
//! 127.0.0.1 and talk HTTP to it. Then change the `.api` and regenerate:
//! the user's code survives and the new route serves.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use looklook_gen::generate::{GenApiOptions, GenRpcOptions, gen_api, gen_rpc};
use serde_json::{Value, json};

use crate::support::{Proc, cargo, crates_target, examples, free_port, sample, scrape, workspace};

/// Long enough for a service outside dev mode, which the test runs in.
const SECRET: &str = "a-test-secret-of-thirty-two-bytes";

/// A running service and where to reach it.
struct Service {
    proc: Proc,
    base: String,
    metrics: String,
}

/// Build the crate with cargo into a target directory kept between runs.
fn build(crate_dir: &Path) -> PathBuf {
    cargo(crate_dir, &["build", "--quiet"]);
    crates_target().join("debug/bookstore-api")
}

async fn start(bin: &Path, crate_dir: &Path) -> Service {
    let (port, metrics_port) = (free_port(), free_port());
    let child = Command::new(bin)
        .current_dir(crate_dir)
        // Config overrides through the environment, as a deployment would.
        .env("LOOKLOOK_HOST", "127.0.0.1")
        .env("LOOKLOOK_PORT", port.to_string())
        .env("LOOKLOOK_PROMETHEUS__HOST", "127.0.0.1")
        .env("LOOKLOOK_PROMETHEUS__PORT", metrics_port.to_string())
        .env("JWT_SECRET", SECRET)
        // JSON lines, one per request, for the log pipeline.
        .env("LOOKLOOK_LOG__ENCODING", "json")
        .stdout(fs::File::create(crate_dir.join("service.log")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut svc = Service {
        proc: Proc(child),
        base: format!("http://127.0.0.1:{port}"),
        metrics: format!("http://127.0.0.1:{metrics_port}/metrics"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = svc.proc.0.try_wait().unwrap() {
            panic!("the service exited at start-up: {status}");
        }
        if let Ok(r) = reqwest::get(format!("{}/healthz", svc.base)).await
            && r.status() == 200
        {
            return svc;
        }
        assert!(
            Instant::now() < deadline,
            "the service never became healthy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logic a user would write, replacing the scaffolded stubs.
fn write_logic(crate_dir: &Path) {
    let logic = crate_dir.join("src/logic");
    let files: BTreeMap<&str, &str> = BTreeMap::from([
        (
            "ping.rs",
            r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::PingResp;

// Edited by the user: this must survive regeneration.
pub async fn ping(_svc: &ServiceContext, _ctx: &RequestCtx) -> Result<PingResp> {
    Ok(PingResp { pong: true })
}
"#,
        ),
        (
            "search.rs",
            r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{Book, SearchReq, SearchResp};

pub async fn search(_svc: &ServiceContext, _ctx: &RequestCtx, req: SearchReq) -> Result<SearchResp> {
    let echo = format!("{:?}|{}|{:?}|{:?}", req.keyword, req.sort, req.lang, req.min_rate);
    Ok(SearchResp {
        list: vec![Book { title: echo, ..Book::default() }],
        total: req.page_req.page * 1000 + req.page_req.page_size,
    })
}
"#,
        ),
        (
            "login.rs",
            r#"use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::http::jwt;
use looklook_runtime::{Error, Result};

use crate::svc::ServiceContext;
use crate::types::{LoginReq, LoginResp};

pub async fn login(svc: &ServiceContext, _ctx: &RequestCtx, req: LoginReq) -> Result<LoginResp> {
    if req.password != "secret" {
        return Err(Error::msg("wrong mobile or password"));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let auth = &svc.config.auth;
    let token = jwt::issue(&auth.access_secret, now, auth.access_expire, 42)?;
    Ok(LoginResp { access_token: token, access_expire: now + auth.access_expire })
}
"#,
        ),
        (
            "admin/book/get_book.rs",
            r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{Base, Book, BookReq};

pub async fn get_book(_svc: &ServiceContext, ctx: &RequestCtx, req: BookReq) -> Result<Book> {
    Ok(Book {
        base: Base { id: req.id, create_time: ctx.user_id().unwrap_or(-1) },
        ..Book::default()
    })
}
"#,
        ),
        (
            "admin/book/create_book.rs",
            r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{Book, CreateBookReq};

pub async fn create_book(_svc: &ServiceContext, _ctx: &RequestCtx, req: CreateBookReq) -> Result<Book> {
    Ok(Book { title: req.title, author: req.author, price: req.price, tags: vec![req.kind], ..Book::default() })
}
"#,
        ),
        (
            "admin/book/list_all.rs",
            r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::Book;

// Slower than the group's 3 s timeout.
pub async fn list_all(_svc: &ServiceContext, _ctx: &RequestCtx) -> Result<Vec<Book>> {
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    Ok(Vec::new())
}
"#,
        ),
        (
            "admin/book/update_book.rs",
            r#"use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{Base, Book, UpdateBookReq};

pub async fn update_book(_svc: &ServiceContext, _ctx: &RequestCtx, req: UpdateBookReq) -> Result<Book> {
    Ok(Book {
        base: Base { id: req.book_req.map_or(0, |b| b.id), create_time: 0 },
        title: req.title.unwrap_or_default(),
        tags: vec![req.available.to_string()],
        ..Book::default()
    })
}
"#,
        ),
    ]);
    for (path, text) in files {
        fs::write(logic.join(path), text).unwrap();
    }
}

fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Generated crates pass `cargo clippy -- -D warnings` as they come: the
/// full API sample (JWT, middleware, groups), the smallest one, and the gRPC
/// sample (two services, streaming).
#[test]
fn generated_crates_are_clippy_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let runtime = Some(workspace().join("looklook-runtime"));
    let mut crates = Vec::new();
    for sample in ["bookstore", "echo"] {
        let out_dir = tmp.path().join(format!("{sample}-api"));
        gen_api(&GenApiOptions {
            api_file: examples().join(format!("sample/{sample}.api")),
            out_dir: out_dir.clone(),
            runtime_path: runtime.clone(),
            plugins: Vec::new(),
        })
        .unwrap();
        crates.push(out_dir);
    }
    let out_dir = tmp.path().join("shop-rpc");
    gen_rpc(&GenRpcOptions {
        proto_file: examples().join("sample/proto/shop.proto"),
        includes: Vec::new(),
        out_dir: out_dir.clone(),
        runtime_path: runtime,
    })
    .unwrap();
    crates.push(out_dir);
    for crate_dir in crates {
        fs::copy(workspace().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
        cargo(
            &crate_dir,
            &["clippy", "--quiet", "--all-targets", "--", "-D", "warnings"],
        );
        cargo(&crate_dir, &["fmt", "--check"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_service_builds_serves_and_survives_regeneration() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    fs::create_dir_all(defs.join("types")).unwrap();
    for f in ["bookstore.api", "types/common.api", "types/book.api"] {
        fs::copy(examples().join("sample").join(f), defs.join(f)).unwrap();
    }
    let crate_dir = tmp.path().join("bookstore-api");
    let opts = GenApiOptions {
        api_file: defs.join("bookstore.api"),
        out_dir: crate_dir.clone(),
        runtime_path: Some(workspace().join("looklook-runtime")),
        plugins: Vec::new(),
    };
    let report = gen_api(&opts).unwrap();
    assert!(report.notes.is_empty(), "{report}");
    // Pin the dependency versions the workspace was tested with.
    fs::copy(workspace().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    write_logic(&crate_dir);

    let bin = build(&crate_dir);
    let svc = start(&bin, &crate_dir).await;
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", svc.base);

    // The envelope, with a request id on every response.
    let resp = c.get(url("/ping")).send().await.unwrap();
    assert!(resp.headers().contains_key("x-request-id"));
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"code": 200, "msg": "OK", "data": {"pong": true}})
    );
    assert_eq!(c.head(url("/ping")).send().await.unwrap().status(), 200);
    assert_eq!(
        call(c.request(reqwest::Method::OPTIONS, url("/books"))).await,
        (200, json!({"code": 200, "msg": "OK", "data": null}))
    );

    // Query and header binding, defaults and optional fields.
    let (s, v) = call(
        c.get(url("/books?keyword=rust&sort=hot&page=2"))
            .header("Accept-Language", "zh"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["total"], 2010, "page=2, pageSize defaults to 10");
    assert_eq!(
        v["data"]["list"][0]["Title"],
        "Some(\"rust\")|hot|Some(\"zh\")|None"
    );
    let (_, v) = call(c.get(url("/books"))).await;
    assert_eq!(
        v["data"]["list"][0]["Title"], "None|new|None|None",
        "sort defaults to new"
    );

    // options= and range= rejections: 400 with code 100002.
    for bad in [
        "/books?sort=bogus",
        "/books?pageSize=1000",
        "/books?page=0",
        "/books?minRate=0",
        "/books?page=x",
    ] {
        let (s, v) = call(c.get(url(bad))).await;
        assert_eq!((s, &v["code"]), (400, &json!(100002)), "{bad}: {v}");
        assert!(v.get("data").is_none(), "errors carry no data: {v}");
    }
    let (_, v) = call(c.get(url("/books?sort=bogus"))).await;
    assert_eq!(
        v["msg"],
        "bad parameter: `sort` must be one of new, hot, price, got `bogus`"
    );

    // Login issues a JWT; a business error is 400 with its code.
    let (s, v) = call(
        c.post(url("/user/login"))
            .json(&json!({"mobile": "1", "password": "wrong"})),
    )
    .await;
    assert_eq!(
        (s, v),
        (
            400,
            json!({"code": 100001, "msg": "wrong mobile or password"})
        )
    );
    let (s, v) = call(c.post(url("/user/login")).json(&json!({"mobile": "1"}))).await;
    assert_eq!(
        (s, &v["code"]),
        (400, &json!(100002)),
        "missing password: {v}"
    );
    let (_, v) = call(
        c.post(url("/user/login"))
            .json(&json!({"mobile": "1", "password": "secret"})),
    )
    .await;
    let token = v["data"]["accessToken"].as_str().unwrap().to_string();

    // JWT: 401 without or with a bad token; claims reach the logic.
    let (s, v) = call(c.get(url("/v1/books/7"))).await;
    assert_eq!((s, &v["code"]), (401, &json!(100003)));
    let (s, _) = call(
        c.get(url("/v1/books/7"))
            .header("Authorization", "Bearer not.a.token"),
    )
    .await;
    assert_eq!(s, 401);
    let (s, v) = call(
        c.get(url("/v1/books/7"))
            .header("Authorization", format!("Bearer {token}")),
    )
    .await;
    assert_eq!(
        (s, &v["data"]["id"], &v["data"]["createTime"]),
        (200, &json!(7), &json!(42)),
        "{v}"
    );
    let (s, _) = call(c.get(url("/v1/books/7")).header("Authorization", &token)).await;
    assert_eq!(s, 200, "the Bearer prefix is optional");
    let (s, v) = call(c.get(url("/v1/books/x")).header("Authorization", &token)).await;
    assert_eq!(
        (s, &v["code"]),
        (400, &json!(100002)),
        "a path id that is not a number: {v}"
    );

    // JSON body binding with options=[...] and range=.
    let auth = |r: reqwest::RequestBuilder| r.header("Authorization", format!("Bearer {token}"));
    let book = json!({"title": "Rust", "author": "Ferris", "price": 30.5, "kind": "ebook"});
    let (s, v) = call(auth(c.post(url("/v1/books"))).json(&book)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["data"]["Title"], &v["data"]["price"], &v["data"]["tags"]),
        (&json!("Rust"), &json!(30.5), &json!(["ebook"]))
    );
    for (field, value) in [
        ("kind", json!("vinyl")),
        ("price", json!(20000)),
        ("kind", Value::Null),
    ] {
        let mut b = book.clone();
        b[field] = value;
        let (s, v) = call(auth(c.post(url("/v1/books"))).json(&b)).await;
        assert_eq!((s, &v["code"]), (400, &json!(100002)), "{b}: {v}");
    }

    // An embedded *struct bound from the path, a JSON default, and a body limit.
    let (s, v) = call(auth(c.put(url("/v1/books/5"))).json(&json!({"title": "New"}))).await;
    assert_eq!(
        (s, &v["data"]["id"], &v["data"]["tags"]),
        (200, &json!(5), &json!(["true"])),
        "{v}"
    );
    let (s, v) =
        call(auth(c.patch(url("/v1/books/5/stock/main"))).json(&json!({"delta": 5}))).await;
    assert_eq!(
        (s, v),
        (200, json!({"code": 200, "msg": "OK", "data": null}))
    );
    let (s, _) =
        call(auth(c.patch(url("/v1/books/5/stock/main"))).json(&json!({"delta": 500}))).await;
    assert_eq!(s, 400);
    assert_eq!(call(auth(c.delete(url("/v1/books/5")))).await.0, 200);
    let big = json!({"title": "x".repeat(70_000), "author": "a", "price": 1, "kind": "paper"});
    let (s, v) = call(auth(c.post(url("/v1/books"))).json(&big)).await;
    assert_eq!(
        (s, &v["code"]),
        (400, &json!(100002)),
        "bodies over maxBytes are refused: {v}"
    );

    // Requests with made-up methods, each new: one `other` label, not a
    // series each.
    for n in 0..20 {
        let method = reqwest::Method::from_bytes(format!("FOO{n}").as_bytes()).unwrap();
        c.request(method, url("/v1/books")).send().await.unwrap();
    }

    // Metrics count the requests, by route and status.
    let text = scrape(&svc.metrics).await;
    assert!(!text.contains("FOO"), "a series per method: {text}");
    let others: f64 = text
        .lines()
        .filter(|l| l.starts_with("http_server_requests_total{") && l.contains("method=\"other\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(others, 20.0, "{text}");
    let count = |route: &str, status: &str| {
        sample(
            &text,
            "http_server_requests_total",
            &[("route", route), ("status", status), ("method", "GET")],
        )
    };
    assert_eq!(count("/books", "200"), 2.0, "{text}");
    assert_eq!(count("/books", "400"), 6.0, "{text}");
    assert!(
        text.contains("http_server_request_duration_seconds_bucket{"),
        "{text}"
    );
    // The group's `timeout: 3s` cuts a slow handler off.
    let started = Instant::now();
    let (s, _) = call(auth(c.get(url("/v1/books/all")))).await;
    let waited = started.elapsed();
    assert_eq!(s, 503, "a request over the group timeout");
    assert!(
        waited >= Duration::from_millis(2900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    svc.proc.stop_gracefully();
    // One JSON access line per request, with route and status.
    let log = fs::read_to_string(crate_dir.join("service.log")).unwrap();
    let access: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "access")
        .collect();
    let rejected = access
        .iter()
        .filter(|v| v["route"] == "/books" && v["status"] == 400)
        .count();
    assert_eq!(rejected, 6, "{log}");
    assert!(
        access
            .iter()
            .all(|v| v["request_id"].as_str().is_some_and(|id| id.len() == 36)),
        "{log}"
    );

    // Regenerate after adding a route: the edit survives, the route appears.
    let api = defs.join("bookstore.api");
    let text = fs::read_to_string(&api).unwrap();
    let text = text.replacen(
        "\t@handler cors\n",
        "\t@handler version\n\tget /version returns (PingResp)\n\n\t@handler cors\n",
        1,
    );
    fs::write(&api, &text).unwrap();
    let edited_ping = fs::read_to_string(crate_dir.join("src/logic/ping.rs")).unwrap();
    let report = gen_api(&opts).unwrap();
    let names = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&report.created),
        ["src/handler/version.rs", "src/logic/version.rs"]
    );
    assert_eq!(
        names(&report.updated),
        ["src/handler/mod.rs", "src/routes.rs"]
    );
    assert_eq!(names(&report.modules_extended), ["src/logic/mod.rs"]);
    assert!(report.attention.is_empty(), "{report}");
    assert_eq!(
        fs::read_to_string(crate_dir.join("src/logic/ping.rs")).unwrap(),
        edited_ping
    );

    let bin = build(&crate_dir);
    let svc = start(&bin, &crate_dir).await;
    let (s, v) = call(c.get(format!("{}/version", svc.base))).await;
    assert_eq!(
        (s, v),
        (
            200,
            json!({"code": 200, "msg": "OK", "data": {"pong": false}})
        )
    );
    let (_, v) = call(c.get(format!("{}/ping", svc.base))).await;
    assert_eq!(v["data"]["pong"], true, "the edited logic still runs");
    svc.proc.stop_gracefully();

    // A changed response type leaves the user's file alone and says so.
    fs::write(
        &api,
        text.replace(
            "get /ping returns (PingResp)",
            "get /ping returns (LoginResp)",
        ),
    )
    .unwrap();
    let report = gen_api(&opts).unwrap();
    assert_eq!(report.attention.len(), 1, "{report}");
    assert_eq!(report.attention[0].path, Path::new("src/logic/ping.rs"));
    assert!(
        report.attention[0].message.contains("Result<LoginResp>"),
        "{report}"
    );
    assert_eq!(
        fs::read_to_string(crate_dir.join("src/logic/ping.rs")).unwrap(),
        edited_ping
    );

    // A failed run writes nothing.
    let before = tree(&crate_dir);
    fs::write(&api, format!("{text}\ntype Broken {{ X Missing }}\n")).unwrap();
    assert!(gen_api(&opts).is_err());
    assert_eq!(tree(&crate_dir), before);
}
