//! JSON Web Tokens (HS256), as looklook issues them: claims `exp`, `iat` and
//! `jwtUserId`. The `Authorization` header may carry the token with or
//! without the `Bearer ` prefix.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Error, codes};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub exp: i64,
    pub iat: i64,
    #[serde(rename = "jwtUserId", default)]
    pub user_id: i64,
    /// Any other claims the token carries.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Sign a token for `user_id`, valid for `expire_secs` from `now` (Unix seconds).
pub fn issue(secret: &str, now: i64, expire_secs: i64, user_id: i64) -> Result<String, Error> {
    let claims = Claims {
        exp: now + expire_secs,
        iat: now,
        user_id,
        extra: Default::default(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| Error::internal(codes::TOKEN_GENERATE_ERROR, e))
}

/// The verifying half, cheap to clone into a router.
#[derive(Clone)]
pub struct JwtKey(Arc<(DecodingKey, Validation)>);

impl JwtKey {
    pub fn new(secret: &str) -> Self {
        let mut v = Validation::new(Algorithm::HS256);
        v.required_spec_claims = ["exp".to_string()].into();
        v.leeway = 0;
        JwtKey(Arc::new((DecodingKey::from_secret(secret.as_bytes()), v)))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let (key, validation) = &*self.0;
        jsonwebtoken::decode::<Claims>(token, key, validation).map(|d| d.claims)
    }
}

/// Middleware for routes behind `jwt:`: a missing or bad token is 401; a
/// good one puts its [`Claims`] in the request for [`crate::ctx::RequestCtx`].
pub async fn require(State(key): State<JwtKey>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim());
    match token.map(|t| key.verify(t)) {
        Some(Ok(claims)) => {
            req.extensions_mut().insert(claims);
            next.run(req).await
        }
        Some(Err(e)) => {
            tracing::info!(error = %e, "token rejected");
            unauthorized()
        }
        None => unauthorized(),
    }
}

fn unauthorized() -> Response {
    let body = serde_json::json!({
        "code": codes::TOKEN_EXPIRE_ERROR,
        "msg": codes::message(codes::TOKEN_EXPIRE_ERROR),
    });
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let t = issue("s3cret", now, 60, 7).unwrap();
        let key = JwtKey::new("s3cret");
        assert_eq!(key.verify(&t).unwrap().user_id, 7);
        assert!(JwtKey::new("other").verify(&t).is_err());
        let old = issue("s3cret", now - 120, 60, 7).unwrap();
        assert!(key.verify(&old).is_err());
    }
}
