//! The request context: what the logic of any entry point may need to know
//! about the work it is doing, whichever way the work came in. An HTTP
//! handler builds it from the request, an RPC server from the call's
//! metadata, a Kafka consumer from the message and a job worker from the
//! job; the logic sees the same type everywhere, and passes it on to the
//! services it calls, so the request id and the trace follow the work.

use crate::http::jwt;

/// Per-request facts the logic may need: the request id, and the JWT claims
/// on routes behind `jwt:`.
#[derive(Debug, Clone, Default)]
pub struct RequestCtx {
    pub(crate) request_id: Option<axum::http::HeaderValue>,
    /// The W3C `traceparent` the request came with, passed on to the
    /// services this one calls.
    pub(crate) traceparent: Option<axum::http::HeaderValue>,
    pub claims: Option<jwt::Claims>,
    /// When the caller stops waiting: the server's `Timeout`, or the
    /// deadline the calling service passed on. Calls made with this context
    /// carry what is left of it.
    pub(crate) deadline: Option<Deadline>,
}

/// What of a request's context travels with work handed on through a
/// queue (a Kafka message's headers, a job's payload): its request id and
/// trace context, so the work that picks it up continues them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Carried {
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl Carried {
    /// Continue the carried work as `name`: a span that is a child of the
    /// carried trace (or a new trace), and the context for the work's
    /// logic, with the carried request id (or a new one). End the span
    /// when the work is done.
    pub fn resume(&self, name: &str) -> (RequestCtx, crate::trace::CallSpan) {
        let carried = self.traceparent.as_deref().filter(|t| !t.is_empty());
        let traced = crate::trace::CallSpan::server(|| name.to_string(), carried, Vec::new);
        let id = match self.request_id.is_empty() {
            true => uuid::Uuid::new_v4().to_string(),
            false => self.request_id.clone(),
        };
        let mut ctx = RequestCtx::with_request_id(&id);
        if let Some(tp) = traced.traceparent().as_deref().or(carried) {
            ctx = ctx.with_traceparent(tp);
        }
        (ctx, traced)
    }
}

/// The instant by which a request must be answered; a request extension,
/// set by the server that received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(pub std::time::Instant);

impl RequestCtx {
    /// A context for work that did not come in over HTTP (a gRPC call, a job).
    pub fn with_request_id(id: &str) -> Self {
        RequestCtx {
            request_id: axum::http::HeaderValue::from_str(id).ok(),
            traceparent: None,
            claims: None,
            deadline: None,
        }
    }

    /// The same context, to be done by `deadline`.
    pub fn with_deadline(mut self, deadline: std::time::Instant) -> Self {
        self.deadline = Some(Deadline(deadline));
        self
    }

    /// When the caller stops waiting, if it said: a logic with slow work to
    /// do can check what is left before starting it.
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.deadline.map(|d| d.0)
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

    /// What of this context goes with work handed on through a queue.
    pub fn carried(&self) -> Carried {
        Carried {
            request_id: self.request_id().to_string(),
            traceparent: self.traceparent().map(str::to_string),
        }
    }

    /// The log span of work continued from `carried` (a message, a job):
    /// its lines carry the request id and trace ids, as a request's do.
    pub fn log_span(&self, kind: &'static str) -> tracing::Span {
        crate::trace::log_span(kind, self.request_id(), self.traceparent())
    }

    /// The `jwtUserId` claim, on routes behind `jwt:`.
    pub fn user_id(&self) -> Option<i64> {
        self.claims.as_ref().map(|c| c.user_id)
    }

    /// The logged-in caller's user id, for logic that acts for them; without
    /// JWT claims, the error that asks the client to log in again.
    pub fn logged_in_user(&self) -> crate::Result<i64> {
        self.user_id()
            .ok_or_else(|| crate::Error::code(crate::codes::TOKEN_EXPIRE_ERROR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logic acting for the caller gets their id, or the error that asks
    /// the client to log in again.
    #[test]
    fn the_logged_in_user_or_the_login_error() {
        let anonymous = RequestCtx::default();
        let refused = anonymous.logged_in_user().unwrap_err();
        assert_eq!(refused.code_value(), crate::codes::TOKEN_EXPIRE_ERROR);
        let caller = RequestCtx {
            claims: Some(jwt::Claims {
                exp: 0,
                iat: 0,
                user_id: 7,
                extra: Default::default(),
            }),
            ..RequestCtx::default()
        };
        assert_eq!(caller.logged_in_user().unwrap(), 7);
    }
}
