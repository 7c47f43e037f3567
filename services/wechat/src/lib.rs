//! WeChat, as the reference system uses it.
//!
//! - [`pay`]: WeChat Pay API v3: RSA-SHA256 request signatures, the
//!   signature on notifications, AES-256-GCM resources, the JSAPI types.
//! - [`mini`]: the mini-program: login codes, the encrypted phone number.
//! - [`client`]: calls WeChat (or the sandbox) at the base URL in config.
//! - [`sandbox`]: a local WeChat for development and tests.

pub mod client;
pub mod mini;
pub mod pay;
pub mod sandbox;

/// What went wrong talking WeChat's protocols.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad key {what}: {detail}")]
    Key { what: &'static str, detail: String },
    #[error("signature does not verify")]
    Signature,
    #[error("cannot decrypt {what}")]
    Decrypt { what: &'static str },
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("WeChat answered {status}: {body}")]
    Remote { status: u16, body: String },
    #[error("calling WeChat: {0}")]
    Http(#[from] reqwest::Error),
}

/// A random string of `len` letters and digits, for the nonces of signed
/// requests: from a generator made for secrets, as a nonce must not be
/// guessable.
pub fn nonce(len: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}
