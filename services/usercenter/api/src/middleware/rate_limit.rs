// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! The `RateLimit` middleware: the open routes (register, login, the WeChat
//! login) each hash a password or call WeChat, so a client address gets a
//! budget of them (`RateLimit` in etc/usercenter.yaml). Over it, 429. The
//! address is the one the gateway forwards (`TrustedProxies`).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::svc::ServiceContext;

pub async fn rate_limit(State(svc): State<ServiceContext>, req: Request, next: Next) -> Response {
    match &svc.rate_limit {
        Some(limiter) => limiter.refuse_over(req, next).await,
        None => next.run(req).await,
    }
}
