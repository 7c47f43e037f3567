//! The same endpoint as the generated `echo-api`, written by hand with
//! axum's own extractors: parse the JSON body, check `count` is in
//! [0, 1000], answer `{"code":200,"msg":"OK","data":...}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
struct EchoReq {
    name: String,
    count: i64,
    tags: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Envelope<T> {
    code: u32,
    msg: &'static str,
    data: T,
}

#[derive(Serialize)]
struct EchoResp {
    greeting: String,
    count: i64,
    tags: Vec<String>,
}

async fn echo(Json(req): Json<EchoReq>) -> Response {
    if !(0..=1000).contains(&req.count) {
        let body = json!({"code": 100002, "msg": "bad parameter: `count` must be in [0:1000]"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    let data = EchoResp {
        greeting: format!("hello, {}", req.name),
        count: req.count * 2,
        tags: req.tags.unwrap_or_default(),
    };
    Json(Envelope {
        code: 200,
        msg: "OK",
        data,
    })
    .into_response()
}

#[tokio::main]
async fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "18001".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await.unwrap();
    axum::serve(listener, Router::new().route("/echo", post(echo))).await.unwrap();
}
