//! The mini-program's login: a one-time `code` becomes an `openid` and a
//! session key (code-to-session), and the phone number the user agreed to
//! share arrives encrypted under that session key (AES-128-CBC).

use aes::Aes128;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use serde::{Deserialize, Serialize};

use crate::Error;

/// `GET /sns/jscode2session`'s answer. `errcode` is 0 (or absent) on
/// success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    #[serde(default)]
    pub openid: String,
    #[serde(default)]
    pub session_key: String,
    #[serde(default)]
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

/// `GET /cgi-bin/token`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub expires_in: i64,
    #[serde(default)]
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

/// A subscribe message: a template the user agreed to receive, filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeMessage {
    /// The user's openid.
    pub touser: String,
    pub template_id: String,
    #[serde(default)]
    pub page: String,
    /// Each field: `{"value": "..."}`.
    pub data: serde_json::Value,
    /// `developer`, `trial` or `formal`.
    #[serde(default)]
    pub miniprogram_state: String,
}

/// The answer of an API call that only reports success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    #[serde(default)]
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

/// The decrypted phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Phone {
    pub phone_number: String,
    pub pure_phone_number: String,
    pub country_code: String,
}

fn key_and_iv(session_key: &str, iv: &str) -> Result<([u8; 16], [u8; 16]), Error> {
    let bad = || Error::Decrypt {
        what: "phone number",
    };
    let key: [u8; 16] = B64
        .decode(session_key)
        .map_err(|_| bad())?
        .try_into()
        .map_err(|_| bad())?;
    let iv: [u8; 16] = B64
        .decode(iv)
        .map_err(|_| bad())?
        .try_into()
        .map_err(|_| bad())?;
    Ok((key, iv))
}

/// Decrypt `encrypted_data` (base64) with the session key and `iv`.
pub fn decrypt_phone(session_key: &str, encrypted_data: &str, iv: &str) -> Result<Phone, Error> {
    let (key, iv) = key_and_iv(session_key, iv)?;
    let data = B64.decode(encrypted_data).map_err(|_| Error::Decrypt {
        what: "phone number",
    })?;
    let plain = cbc::Decryptor::<Aes128>::new(&key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&data)
        .map_err(|_| Error::Decrypt {
            what: "phone number",
        })?;
    serde_json::from_slice(&plain).map_err(|e| Error::Malformed {
        what: "phone number",
        detail: e.to_string(),
    })
}

/// Encrypt a phone number as WeChat does (the sandbox's side): base64
/// data and iv.
pub fn encrypt_phone(session_key: &str, phone: &Phone) -> Result<(String, String), Error> {
    let iv_bytes: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    let iv = B64.encode(iv_bytes);
    let (key, iv_bytes) = key_and_iv(session_key, &iv)?;
    let plain = serde_json::to_vec(phone).expect("a phone serialises");
    let data = cbc::Encryptor::<Aes128>::new(&key.into(), &iv_bytes.into())
        .encrypt_padded_vec_mut::<Pkcs7>(&plain);
    Ok((B64.encode(data), iv))
}

/// A new random session key, base64.
pub fn new_session_key() -> String {
    B64.encode(std::array::from_fn::<u8, 16, _>(|_| fastrand::u8(..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_round_trip_under_their_session_key() {
        let key = new_session_key();
        let phone = Phone {
            phone_number: "13800000001".into(),
            pure_phone_number: "13800000001".into(),
            country_code: "86".into(),
        };
        let (data, iv) = encrypt_phone(&key, &phone).unwrap();
        assert_eq!(decrypt_phone(&key, &data, &iv).unwrap(), phone);
        assert!(decrypt_phone(&new_session_key(), &data, &iv).is_err());
        assert!(decrypt_phone(&key, "not base64!", &iv).is_err());
    }
}
