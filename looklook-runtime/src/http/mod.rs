//! The HTTP half of the runtime: what generated API crates call.
//!
//! - [`serve`] starts a service: request ids, access logs, metrics, `/healthz`,
//!   graceful shutdown.
//! - [`Bind`] fills a request type from the path, query, headers and JSON body.
//! - [`Envelope`] answers `{"code":200,"msg":"OK","data":...}`.
//! - [`jwt`] checks tokens and hands their claims to the logic via [`RequestCtx`].

mod bind;
pub mod jwt;
mod server;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use bind::{Bind, BindFields, Field, Kind, Range, Source};
pub use server::{app, serve, serve_with_shutdown, shutdown_signal};

use crate::codes;

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

/// Per-request facts the logic may need: the request id, and the JWT claims
/// on routes behind `jwt:`.
#[derive(Debug, Clone, Default)]
pub struct RequestCtx {
    request_id: Option<axum::http::HeaderValue>,
    /// The W3C `traceparent` the request came with, passed on to the
    /// services this one calls.
    traceparent: Option<axum::http::HeaderValue>,
    pub claims: Option<jwt::Claims>,
}

impl RequestCtx {
    /// A context for work that did not come in over HTTP (a gRPC call, a job).
    pub fn with_request_id(id: &str) -> Self {
        RequestCtx {
            request_id: axum::http::HeaderValue::from_str(id).ok(),
            traceparent: None,
            claims: None,
        }
    }

    /// The same context, continuing the trace `traceparent`.
    pub fn with_traceparent(mut self, traceparent: &str) -> Self {
        self.traceparent = axum::http::HeaderValue::from_str(traceparent).ok();
        self
    }

    /// The W3C trace context this request is part of, if any.
    pub fn traceparent(&self) -> Option<&str> {
        self.traceparent.as_ref().and_then(|v| v.to_str().ok())
    }

    /// The `x-request-id` of this request (set by the server when the
    /// client sent none): put it in logs to follow a request around.
    pub fn request_id(&self) -> &str {
        self.request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `jwtUserId` claim, on routes behind `jwt:`.
    pub fn user_id(&self) -> Option<i64> {
        self.claims.as_ref().map(|c| c.user_id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestCtx {
            request_id: parts.headers.get(server::REQUEST_ID).cloned(),
            traceparent: parts.headers.get("traceparent").cloned(),
            claims: parts.extensions.get::<jwt::Claims>().cloned(),
        })
    }
}
