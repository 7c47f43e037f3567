//! The one error type services use, and looklook's business codes.
//!
//! Codes follow the looklook convention: the first three digits name the
//! module, the last three the failure. An error carries a code and a message
//! for the client; an internal cause is logged and never sent.

use std::borrow::Cow;
use std::fmt;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Business codes shared by every service.
pub mod codes {
    pub const OK: u32 = 200;
    pub const SERVER_COMMON_ERROR: u32 = 100001;
    pub const REQUEST_PARAM_ERROR: u32 = 100002;
    pub const TOKEN_EXPIRE_ERROR: u32 = 100003;
    pub const TOKEN_GENERATE_ERROR: u32 = 100004;
    pub const DB_ERROR: u32 = 100005;
    pub const DB_UPDATE_AFFECTED_ZERO_ERROR: u32 = 100006;

    /// The message clients see for a code when no other is given.
    pub fn message(code: u32) -> &'static str {
        match code {
            OK => "OK",
            REQUEST_PARAM_ERROR => "bad parameter",
            TOKEN_EXPIRE_ERROR => "token expired or invalid, please log in again",
            TOKEN_GENERATE_ERROR => "failed to generate a token",
            DB_ERROR => "the database is busy, please try again later",
            DB_UPDATE_AFFECTED_ZERO_ERROR => "the update changed no rows",
            _ => "server error, please try again later",
        }
    }
}

/// A failed request: what the client is told, and what only the log sees.
pub struct Error {
    code: u32,
    msg: Cow<'static, str>,
    cause: Option<anyhow::Error>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A business error with its own message.
    pub fn new(code: u32, msg: impl Into<Cow<'static, str>>) -> Self {
        Error {
            code,
            msg: msg.into(),
            cause: None,
        }
    }

    /// A business error with the code's standard message.
    pub fn code(code: u32) -> Self {
        Error::new(code, codes::message(code))
    }

    /// A plain business failure (`code` 100001) with a message for the user.
    pub fn msg(msg: impl Into<Cow<'static, str>>) -> Self {
        Error::new(codes::SERVER_COMMON_ERROR, msg)
    }

    /// The request is malformed: 100002 with what was wrong.
    pub fn bad_param(detail: impl fmt::Display) -> Self {
        Error::new(
            codes::REQUEST_PARAM_ERROR,
            format!("{}: {detail}", codes::message(codes::REQUEST_PARAM_ERROR)),
        )
    }

    /// An internal failure: the client gets `code`'s standard message, the
    /// log gets the cause.
    pub fn internal(code: u32, cause: impl Into<anyhow::Error>) -> Self {
        Error {
            code,
            msg: codes::message(code).into(),
            cause: Some(cause.into()),
        }
    }

    /// Attach an internal cause for the log, keeping the client's message.
    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Whether an internal cause is attached (and so only logged).
    pub fn has_cause(&self) -> bool {
        self.cause.is_some()
    }

    /// Log the error where it is answered: the cause in full when there is
    /// one, else the refusal.
    pub(crate) fn log(&self) {
        match &self.cause {
            Some(cause) => {
                tracing::error!(code = self.code, error = %format!("{cause:#}"), "request failed")
            }
            None => tracing::info!(code = self.code, msg = %self.msg, "request refused"),
        }
    }

    pub fn code_value(&self) -> u32 {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.msg
    }
}

/// `?` on any other error makes it an internal error; the details go to
/// the log only. A model's or the database's error is 100005 (100006 for a
/// lost optimistic-lock race), anything else 100001.
impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(e: E) -> Self {
        match database_code(&e).unwrap_or(codes::SERVER_COMMON_ERROR) {
            // The caller's mistake (a page out of range): say what it was.
            codes::REQUEST_PARAM_ERROR => Error::bad_param(e),
            code => Error::internal(code, e),
        }
    }
}

#[cfg(feature = "model")]
fn database_code(e: &dyn std::any::Any) -> Option<u32> {
    if let Some(e) = e.downcast_ref::<crate::model::Error>() {
        return Some(e.code());
    }
    e.downcast_ref::<sqlx::Error>().map(|_| codes::DB_ERROR)
}

#[cfg(not(feature = "model"))]
fn database_code(_: &dyn std::any::Any) -> Option<u32> {
    None
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.msg)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.msg)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u32,
    msg: &'a str,
}

/// Errors answer HTTP 400 with `{"code":N,"msg":"..."}`, as looklook's
/// clients expect; the cause, if any, is logged here.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let body = ErrorBody {
            code: self.code,
            msg: &self.msg,
        };
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_are_not_sent() {
        let e: Error = std::io::Error::other("disk on fire").into();
        assert_eq!(e.code_value(), codes::SERVER_COMMON_ERROR);
        assert_eq!(e.message(), "server error, please try again later");
        assert!(format!("{e:?}").contains("disk on fire"));
        assert!(!e.to_string().contains("disk on fire"));
    }
}
