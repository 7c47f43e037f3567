//! WeChat Pay API v3.
//!
//! - A request to WeChat Pay carries an `Authorization` header: the
//!   merchant's RSA-SHA256 signature over method, path, time, nonce and
//!   body.
//! - A notification from WeChat Pay carries `Wechatpay-*` headers: the
//!   platform's signature over time, nonce and body, and its resource is
//!   encrypted with AES-256-GCM under the merchant's APIv3 key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::Error;

/// The scheme name in `Authorization`.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

pub fn private_key(pem: &str) -> Result<RsaPrivateKey, Error> {
    RsaPrivateKey::from_pkcs8_pem(pem.trim()).map_err(|e| Error::Key {
        what: "private key",
        detail: e.to_string(),
    })
}

pub fn public_key(pem: &str) -> Result<RsaPublicKey, Error> {
    RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|e| Error::Key {
        what: "public key",
        detail: e.to_string(),
    })
}

/// RSA-SHA256 (PKCS #1 v1.5) over `message`, in base64.
pub fn sign(key: &RsaPrivateKey, message: &str) -> String {
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(message.as_bytes());
    B64.encode(signature.to_bytes())
}

/// Check a base64 RSA-SHA256 signature over `message`.
pub fn verify(key: &RsaPublicKey, message: &str, signature: &str) -> Result<(), Error> {
    let bytes = B64.decode(signature).map_err(|_| Error::Signature)?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| Error::Signature)?;
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(message.as_bytes(), &signature)
        .map_err(|_| Error::Signature)
}

/// What a request's signature covers: one field a line.
pub fn request_message(
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
}

/// What a notification's (or a response's) signature covers.
pub fn notification_message(timestamp: &str, nonce: &str, body: &str) -> String {
    format!("{timestamp}\n{nonce}\n{body}\n")
}

/// What `wx.requestPayment`'s `paySign` covers.
pub fn pay_sign_message(app_id: &str, timestamp: &str, nonce: &str, package: &str) -> String {
    format!("{app_id}\n{timestamp}\n{nonce}\n{package}\n")
}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce_str: String,
    pub timestamp: i64,
    pub serial_no: String,
    pub signature: String,
}

impl Authorization {
    /// Sign a request as merchant `mchid` with `key` (certificate `serial_no`).
    pub fn sign(
        key: &RsaPrivateKey,
        mchid: &str,
        serial_no: &str,
        method: &str,
        path: &str,
        body: &str,
        timestamp: i64,
    ) -> Authorization {
        let nonce_str = crate::nonce(32);
        let signature = sign(
            key,
            &request_message(method, path, timestamp, &nonce_str, body),
        );
        Authorization {
            mchid: mchid.into(),
            nonce_str,
            timestamp,
            serial_no: serial_no.into(),
            signature,
        }
    }

    pub fn header(&self) -> String {
        format!(
            r#"{SCHEME} mchid="{}",nonce_str="{}",signature="{}",timestamp="{}",serial_no="{}""#,
            self.mchid, self.nonce_str, self.signature, self.timestamp, self.serial_no
        )
    }

    pub fn parse(header: &str) -> Result<Authorization, Error> {
        let malformed = |detail: &str| Error::Malformed {
            what: "Authorization",
            detail: detail.into(),
        };
        let rest = header
            .strip_prefix(SCHEME)
            .ok_or_else(|| malformed("not WECHATPAY2-SHA256-RSA2048"))?;
        let field = |name: &str| -> Result<String, Error> {
            rest.split(',')
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim_matches('"').to_string())
                .ok_or_else(|| malformed(name))
        };
        Ok(Authorization {
            mchid: field("mchid")?,
            nonce_str: field("nonce_str")?,
            timestamp: field("timestamp")?
                .parse()
                .map_err(|_| malformed("timestamp"))?,
            serial_no: field("serial_no")?,
            signature: field("signature")?,
        })
    }

    /// Check the signature for this request.
    pub fn verify(
        &self,
        key: &RsaPublicKey,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<(), Error> {
        let message = request_message(method, path, self.timestamp, &self.nonce_str, body);
        verify(key, &message, &self.signature)
    }
}

/// An encrypted resource in a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// AEAD_AES_256_GCM
    pub algorithm: String,
    /// base64 of the ciphertext followed by the 16-byte tag.
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    /// 12 characters.
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

fn cipher(api_v3_key: &str) -> Result<Aes256Gcm, Error> {
    Aes256Gcm::new_from_slice(api_v3_key.as_bytes()).map_err(|_| Error::Key {
        what: "APIv3 key",
        detail: "it must be 32 bytes".into(),
    })
}

/// The 12-byte GCM nonce, from its 12 characters.
fn nonce_of(nonce: &str) -> Result<Nonce<aes_gcm::aead::consts::U12>, Error> {
    let bytes: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| Error::Decrypt { what: "resource" })?;
    Ok(Nonce::from(bytes))
}

impl Resource {
    /// Encrypt `plaintext` as WeChat Pay does (the sandbox's side).
    pub fn encrypt(
        api_v3_key: &str,
        plaintext: &[u8],
        associated_data: &str,
    ) -> Result<Resource, Error> {
        let nonce = crate::nonce(12);
        let sealed = cipher(api_v3_key)?
            .encrypt(
                &nonce_of(&nonce)?,
                Payload {
                    msg: plaintext,
                    aad: associated_data.as_bytes(),
                },
            )
            .map_err(|_| Error::Decrypt { what: "resource" })?;
        Ok(Resource {
            algorithm: "AEAD_AES_256_GCM".into(),
            ciphertext: B64.encode(sealed),
            associated_data: associated_data.into(),
            nonce,
            original_type: "transaction".into(),
        })
    }

    /// Decrypt and authenticate it with the APIv3 key.
    pub fn decrypt(&self, api_v3_key: &str) -> Result<Vec<u8>, Error> {
        if self.algorithm != "AEAD_AES_256_GCM" {
            return Err(Error::Decrypt { what: "resource" });
        }
        let sealed = B64
            .decode(&self.ciphertext)
            .map_err(|_| Error::Decrypt { what: "resource" })?;
        cipher(api_v3_key)?
            .decrypt(
                &nonce_of(&self.nonce)?,
                Payload {
                    msg: &sealed,
                    aad: self.associated_data.as_bytes(),
                },
            )
            .map_err(|_| Error::Decrypt { what: "resource" })
    }
}

/// A notification's body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    /// TRANSACTION.SUCCESS, ...
    pub event_type: String,
    pub resource_type: String,
    pub resource: Resource,
    #[serde(default)]
    pub summary: String,
}

/// `POST /v3/pay/transactions/jsapi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsapiPrepay {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    /// Our payment number.
    pub out_trade_no: String,
    #[serde(default)]
    pub attach: String,
    pub notify_url: String,
    /// When the transaction stops being payable, as [`time`] writes it:
    /// the merchant's own deadline for the order, so that nobody pays for
    /// an order after the merchant has given up on it. WeChat's default is
    /// about two hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    pub amount: Amount,
    pub payer: Payer,
}

/// Unix seconds as RFC 3339 in China Standard Time, as WeChat Pay writes
/// and reads times (`2026-11-30T16:05:00+08:00`).
pub fn time(secs: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .with_timezone(&cst)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// Cents.
    pub total: i64,
    #[serde(default = "cny")]
    pub currency: String,
}

fn cny() -> String {
    "CNY".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub openid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayId {
    pub prepay_id: String,
}

/// The decrypted resource of a payment notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    /// JSAPI, ...
    pub trade_type: String,
    /// SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR
    pub trade_state: String,
    pub trade_state_desc: String,
    /// RFC 3339.
    #[serde(default)]
    pub success_time: String,
    /// What the merchant put in the pre-pay's `attach`, given back.
    #[serde(default)]
    pub attach: String,
    pub payer: Payer,
    pub amount: TransactionAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    pub total: i64,
    pub payer_total: i64,
    pub currency: String,
    pub payer_currency: String,
}

/// A refund of a paid transaction (`POST /v3/refund/domestic/refunds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    /// The merchant's number for the refund: asking again with the same
    /// one is the same refund, never a second.
    pub out_refund_no: String,
    #[serde(default)]
    pub reason: String,
    /// Where WeChat Pay tells the refund's outcome; without one the
    /// answer to this request (or a query) is all the merchant learns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    pub amount: RefundAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// Yuan fen to give back; at most `total`.
    pub refund: i64,
    /// The transaction's amount.
    pub total: i64,
    pub currency: String,
}

/// WeChat Pay's answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    /// ORIGINAL: back where the money came from.
    pub channel: String,
    pub user_received_account: String,
    /// RFC 3339, once it succeeded.
    #[serde(default)]
    pub success_time: String,
    pub create_time: String,
    /// SUCCESS, CLOSED, PROCESSING, ABNORMAL.
    pub status: String,
    pub amount: RefundedAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundedAmount {
    pub total: i64,
    pub refund: i64,
    pub payer_total: i64,
    pub payer_refund: i64,
    pub currency: String,
}

/// The decrypted resource of a refund notification (`REFUND.SUCCESS`,
/// `REFUND.ABNORMAL`, `REFUND.CLOSED`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotice {
    pub mchid: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub out_refund_no: String,
    pub refund_id: String,
    /// SUCCESS, CLOSED or ABNORMAL: a notice is only sent once it is final.
    pub refund_status: String,
    /// RFC 3339, when it succeeded.
    #[serde(default)]
    pub success_time: String,
    #[serde(default)]
    pub user_received_account: String,
    pub amount: RefundNoticeAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNoticeAmount {
    pub total: i64,
    pub refund: i64,
    pub payer_total: i64,
    pub payer_refund: i64,
}

/// What a query of a transaction answers: its state, and once paid, the
/// rest of a [`Transaction`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionState {
    pub out_trade_no: String,
    /// SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR
    pub trade_state: String,
    #[serde(default)]
    pub trade_state_desc: String,
    #[serde(default)]
    pub transaction_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn keys() -> (RsaPrivateKey, RsaPublicKey) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dev-keys");
        let private = std::fs::read_to_string(format!("{dir}/merchant.key")).unwrap();
        let public = std::fs::read_to_string(format!("{dir}/merchant.pub")).unwrap();
        (private_key(&private).unwrap(), public_key(&public).unwrap())
    }

    #[test]
    fn times_are_written_in_china_standard_time() {
        assert_eq!(time(1_800_000_000), "2027-01-15T16:00:00+08:00");
    }

    #[test]
    fn signed_requests_verify_and_tampered_ones_do_not() {
        let (private, public) = keys();
        let body = r#"{"amount":{"total":100}}"#;
        let auth = Authorization::sign(
            &private,
            "1900000001",
            "SERIAL",
            "POST",
            "/v3/pay/transactions/jsapi",
            body,
            1_800_000_000,
        );
        let parsed = Authorization::parse(&auth.header()).unwrap();
        assert_eq!(parsed, auth);
        parsed
            .verify(&public, "POST", "/v3/pay/transactions/jsapi", body)
            .unwrap();
        let tampered = r#"{"amount":{"total":1}}"#;
        assert!(matches!(
            parsed.verify(&public, "POST", "/v3/pay/transactions/jsapi", tampered),
            Err(Error::Signature)
        ));
        assert!(Authorization::parse("Bearer x").is_err());
    }

    #[test]
    fn resources_round_trip_and_reject_tampering() {
        let sealed = Resource::encrypt(KEY, b"{\"paid\":true}", "transaction").unwrap();
        assert_eq!(sealed.decrypt(KEY).unwrap(), b"{\"paid\":true}");
        let wrong_aad = Resource {
            associated_data: "other".into(),
            ..sealed.clone()
        };
        assert!(wrong_aad.decrypt(KEY).is_err());
        assert!(sealed.decrypt("ffffffffffffffffffffffffffffffff").is_err());
        assert!(matches!(sealed.decrypt("short"), Err(Error::Key { .. })));
    }
}
