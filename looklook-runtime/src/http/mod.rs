//! The HTTP half of the runtime: what generated API crates call.
//!
//! - [`serve`] starts a service: request ids, access logs, metrics, `/healthz`,
//!   graceful shutdown.
//! - [`Bind`] fills a request type from the path, query, headers and JSON body.
//! - [`Envelope`] answers `{"code":200,"msg":"OK","data":...}`.
//! - [`jwt`] checks tokens and hands their claims to the logic via
//!   [`RequestCtx`], which a handler gets from the request.

mod bind;
pub mod jwt;
#[cfg(test)]
mod overload_tests;
mod server;
mod timer;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use bind::{
    Bind, BindFields, DEFAULT_MAX_STRING_BYTES, Field, Kind, Range, Rule, RuleValue, Source,
};
pub use server::{app, app_with, serve, serve_with, serve_with_shutdown};

use crate::codes;
use crate::ctx::RequestCtx;

/// A successful answer, wrapped in looklook's envelope.
pub struct Envelope<T>(pub T);

#[derive(Serialize)]
struct EnvelopeBody<'a, T> {
    code: u32,
    msg: &'static str,
    data: &'a T,
}

impl<T: Serialize> IntoResponse for Envelope<T> {
    fn into_response(self) -> Response {
        axum::Json(EnvelopeBody {
            code: codes::OK,
            msg: "OK",
            data: &self.0,
        })
        .into_response()
    }
}

/// What a handler returns: the envelope, or an error that renders itself.
pub type ApiResult<T> = crate::Result<Envelope<T>>;

/// A handler's [`RequestCtx`]: the request id, the trace context and the
/// deadline the server put in the request, and the JWT claims of the
/// request. (Outside [`app`], from the request's own headers.)
impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut ctx = match parts.extensions.get::<RequestCtx>() {
            Some(ctx) => ctx.clone(),
            None => RequestCtx {
                request_id: parts.headers.get(server::REQUEST_ID).cloned(),
                traceparent: parts.headers.get(server::TRACEPARENT).cloned(),
                claims: None,
                deadline: parts.extensions.get().copied(),
            },
        };
        ctx.claims = parts.extensions.get::<jwt::Claims>().cloned();
        Ok(ctx)
    }
}

/// A GET over a plain TCP stream, read to the end: for tests that need to
/// see the raw answer, or a connection that stays open.
#[cfg(test)]
pub(crate) async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer).await;
    answer
}
