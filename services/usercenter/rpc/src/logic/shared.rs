// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! What several methods share: passwords, tokens, and the rows as messages.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use looklook_runtime::{Error, Result, codes};
use tokio::sync::Semaphore;
use usercenter_model::user::User;
use usercenter_model::user_auth::UserAuth;

use crate::pb;
use crate::svc::ServiceContext;

/// How a user logs in with a mobile number and a password.
pub const AUTH_SYSTEM: &str = "system";
/// How a user logs in through a WeChat mini-program (the key is the openid).
pub const AUTH_WX_MINI: &str = "wxMini";

/// How many argon2 hashes run at once. Each takes 19 MiB and a core for
/// tens of milliseconds: without a bound, a burst of logins would start one
/// on every blocking thread (512, so about 10 GiB). The rest wait their
/// turn.
fn hashing() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Semaphore::new(cores * 2)
    })
}

/// Run one argon2 computation off the async threads, within the bound.
async fn with_permit<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _permit = hashing().acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// An argon2id PHC string (`$argon2id$v=19$...`), salt included. Hashing
/// is deliberately slow, so it runs off the async threads.
pub async fn hash_password(password: String) -> Result<String> {
    with_permit(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::internal(codes::SERVER_COMMON_ERROR, anyhow::anyhow!("{e}")))
    })
    .await
    .unwrap_or_else(|| {
        Err(Error::internal(
            codes::SERVER_COMMON_ERROR,
            anyhow::anyhow!("the hashing task failed"),
        ))
    })
}

/// Whether `password` is the one `stored` was made from. An account
/// without a password (made through WeChat) matches nothing, and `None`
/// (no such account) matches nothing either, after the same work: a login
/// for an unknown number takes as long as one with a wrong password, so
/// the time does not tell a stranger which numbers have accounts.
pub async fn password_matches(password: String, stored: Option<String>) -> bool {
    with_permit(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
        let matches = PasswordHash::new(&stored).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing anyone knows, made once, with the same parameters as
/// real ones, to verify unknown accounts against.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        Argon2::default()
            .hash_password(&secret, &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// A token for `user_id`, with when it expires and when to get a new one
/// (both unix seconds).
pub fn token(svc: &ServiceContext, user_id: i64) -> Result<(String, i64, i64)> {
    let jwt = &svc.config.jwt_auth;
    let now = chrono_now();
    let token =
        looklook_runtime::http::jwt::issue(&jwt.access_secret, now, jwt.access_expire, user_id)?;
    Ok((token, now + jwt.access_expire, now + jwt.access_expire / 2))
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn user_message(u: User) -> pb::User {
    pb::User {
        id: u.id,
        mobile: u.mobile,
        nickname: u.nickname,
        sex: i64::from(u.sex),
        avatar: u.avatar,
        info: u.info,
    }
}

pub fn user_auth_message(a: UserAuth) -> pb::UserAuth {
    pb::UserAuth {
        id: a.id,
        user_id: a.user_id,
        auth_type: a.auth_type,
        auth_key: a.auth_key,
    }
}

/// Eight random letters and digits, for an account registered without a
/// nickname.
pub fn random_nickname() -> String {
    (0..8).map(|_| fastrand::alphanumeric()).collect()
}
