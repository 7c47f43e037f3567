//! A local WeChat for development and tests. It plays both sides of what
//! the services need:
//!
//! - the mini-program login: `POST /sandbox/wxLogin {"phone"}` is the user
//!   opening the mini-program and sharing a phone number; it returns the
//!   login code and the encrypted phone that the app would send to
//!   usercenter-api, and `GET /sns/jscode2session` trades the code for an
//!   openid and session key, as WeChat does;
//! - WeChat Pay: `POST /v3/pay/transactions/jsapi` checks the merchant's
//!   signature and answers a pre-pay id; `POST /sandbox/pay
//!   {"prepayId"}` is the user paying: a signed, encrypted notification goes
//!   to the order's `notify_url` (again each time it is called, as WeChat
//!   retries);
//! - subscribe messages: `GET /cgi-bin/token` and `POST
//!   /cgi-bin/message/subscribe/send` as WeChat has them, and `GET
//!   /sandbox/messages?openid=` to see what a user was sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::client::read_key;
use crate::mini::{self, AccessToken, Ack, Phone, Session, SubscribeMessage};
use crate::pay::{
    self, Authorization, JsapiPrepay, Notification, Resource, Transaction, TransactionAmount,
};

/// Who the sandbox is, and the keys of both sides.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SandboxConf {
    pub app_id: String,
    pub secret: String,
    pub mch_id: String,
    #[serde(rename = "APIv3Key")]
    pub api_v3_key: String,
    /// The merchant's public key (checks its requests).
    pub merchant_public_key_file: String,
    /// WeChat Pay's private key (signs notifications) and its id.
    pub platform_private_key_file: String,
    pub platform_serial: String,
}

struct Sandbox {
    conf: SandboxConf,
    merchant: RsaPublicKey,
    platform: RsaPrivateKey,
    /// Login codes not yet used: code → session.
    codes: Mutex<HashMap<String, Session>>,
    /// Pre-pay orders by id.
    prepays: Mutex<HashMap<String, JsapiPrepay>>,
    /// The pre-pays the user has paid: paying again only tells the
    /// merchant again, as WeChat Pay retries a notification.
    paid: Mutex<std::collections::HashSet<String>>,
    /// Access tokens handed out.
    tokens: Mutex<Vec<String>>,
    /// Subscribe messages sent, oldest first.
    messages: Mutex<Vec<SubscribeMessage>>,
    http: reqwest::Client,
}

/// The sandbox's routes.
pub fn router(conf: SandboxConf) -> Result<Router, crate::Error> {
    let sandbox = Sandbox {
        merchant: pay::public_key(&read_key(&conf.merchant_public_key_file)?)?,
        platform: pay::private_key(&read_key(&conf.platform_private_key_file)?)?,
        conf,
        codes: Mutex::default(),
        prepays: Mutex::default(),
        paid: Mutex::default(),
        tokens: Mutex::default(),
        messages: Mutex::default(),
        http: reqwest::Client::new(),
    };
    Ok(Router::new()
        .route("/sandbox/wxLogin", post(wx_login))
        .route("/sns/jscode2session", get(code_to_session))
        .route("/v3/pay/transactions/jsapi", post(jsapi_prepay))
        .route("/sandbox/pay", post(pay_now))
        .route("/cgi-bin/token", get(access_token))
        .route("/cgi-bin/message/subscribe/send", post(send_subscribe))
        .route("/sandbox/messages", get(messages))
        .with_state(Arc::new(sandbox)))
}

/// Whether a transaction with this `time_expire` can no longer be paid at
/// `now`; one that cannot be read has expired too.
fn expired(time_expire: Option<&str>, now: i64) -> bool {
    time_expire.is_some_and(|t| {
        chrono::DateTime::parse_from_rfc3339(t).map_or(true, |t| t.timestamp() <= now)
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The same phone always gets the same openid.
fn openid_of(phone: &str) -> String {
    let digest = Sha256::digest(phone.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("sbx{hex}")
}

#[derive(Deserialize)]
struct WxLogin {
    phone: String,
}

async fn wx_login(State(s): State<Arc<Sandbox>>, Json(req): Json<WxLogin>) -> Response {
    let session = Session {
        openid: openid_of(&req.phone),
        session_key: mini::new_session_key(),
        ..Session::default()
    };
    let phone = Phone {
        phone_number: req.phone.clone(),
        pure_phone_number: req.phone,
        country_code: "86".into(),
    };
    let Ok((encrypted_data, iv)) = mini::encrypt_phone(&session.session_key, &phone) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let code = crate::nonce(32);
    let openid = session.openid.clone();
    s.codes
        .lock()
        .expect("not poisoned")
        .insert(code.clone(), session);
    Json(json!({"code": code, "encryptedData": encrypted_data, "iv": iv, "openid": openid}))
        .into_response()
}

#[derive(Deserialize)]
struct CodeToSession {
    appid: String,
    secret: String,
    js_code: String,
}

async fn code_to_session(
    State(s): State<Arc<Sandbox>>,
    Query(q): Query<CodeToSession>,
) -> Json<Session> {
    let error = |errcode, errmsg: &str| {
        Json(Session {
            errcode,
            errmsg: errmsg.into(),
            ..Session::default()
        })
    };
    if q.appid != s.conf.app_id || q.secret != s.conf.secret {
        return error(40013, "invalid appid or secret");
    }
    // A code works once.
    match s.codes.lock().expect("not poisoned").remove(&q.js_code) {
        Some(session) => Json(session),
        None => error(40029, "invalid code"),
    }
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

async fn jsapi_prepay(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: String) -> Response {
    let header = headers
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let auth = match Authorization::parse(header) {
        Ok(auth) => auth,
        Err(e) => return refuse(StatusCode::UNAUTHORIZED, "SIGN_ERROR", e.to_string()),
    };
    if auth.mchid != s.conf.mch_id || (now() - auth.timestamp).abs() > 300 {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            "wrong merchant or stale request",
        );
    }
    if auth
        .verify(&s.merchant, "POST", "/v3/pay/transactions/jsapi", &body)
        .is_err()
    {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            "signature does not verify",
        );
    }
    let order: JsapiPrepay = match serde_json::from_str(&body) {
        Ok(order) => order,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", e.to_string()),
    };
    if order.appid != s.conf.app_id || order.mchid != s.conf.mch_id {
        return refuse(
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid and mchid do not match",
        );
    }
    if order.amount.total <= 0 || order.payer.openid.is_empty() || order.out_trade_no.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "amount, payer and out_trade_no are required",
        );
    }
    let mut prepays = s.prepays.lock().expect("not poisoned");
    // The same order again gets the same pre-pay id; a changed one is refused.
    if let Some((id, old)) = prepays
        .iter()
        .find(|(_, o)| o.out_trade_no == order.out_trade_no)
    {
        if *old != order {
            return refuse(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "out_trade_no was used for another order",
            );
        }
        return Json(json!({"prepay_id": id})).into_response();
    }
    let id = format!("wx{}", crate::nonce(30));
    prepays.insert(id.clone(), order);
    Json(json!({"prepay_id": id})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayNow {
    prepay_id: String,
}

/// The user pays: tell the merchant, signed and encrypted as WeChat Pay
/// does, and report what the merchant answered.
async fn pay_now(State(s): State<Arc<Sandbox>>, Json(req): Json<PayNow>) -> Response {
    let Some(order) = s
        .prepays
        .lock()
        .expect("not poisoned")
        .get(&req.prepay_id)
        .cloned()
    else {
        return refuse(
            StatusCode::NOT_FOUND,
            "ORDER_NOT_EXIST",
            "no such pre-pay id",
        );
    };
    // Past the merchant's `time_expire`, WeChat no longer takes the money
    // (a transaction already paid is only told again).
    let paid_before = s
        .paid
        .lock()
        .expect("not poisoned")
        .contains(&req.prepay_id);
    if !paid_before && expired(order.time_expire.as_deref(), now()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "ORDER_CLOSED",
            "the transaction expired before it was paid",
        );
    }
    s.paid
        .lock()
        .expect("not poisoned")
        .insert(req.prepay_id.clone());
    let transaction = Transaction {
        appid: order.appid,
        mchid: order.mchid,
        out_trade_no: order.out_trade_no.clone(),
        // The same payment keeps its transaction id when told again.
        transaction_id: format!("42000{}", &hex_of(&order.out_trade_no)[..27]),
        trade_type: "JSAPI".into(),
        trade_state: "SUCCESS".into(),
        trade_state_desc: "paid".into(),
        success_time: pay::time(now()),
        payer: order.payer,
        amount: TransactionAmount {
            total: order.amount.total,
            payer_total: order.amount.total,
            currency: "CNY".into(),
            payer_currency: "CNY".into(),
        },
    };
    let plain = serde_json::to_vec(&transaction).expect("a transaction serialises");
    let Ok(resource) = Resource::encrypt(&s.conf.api_v3_key, &plain, "transaction") else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let notification = Notification {
        id: crate::nonce(36),
        create_time: pay::time(now()),
        event_type: "TRANSACTION.SUCCESS".into(),
        resource_type: "encrypt-resource".into(),
        resource,
        summary: "payment succeeded".into(),
    };
    let body = serde_json::to_string(&notification).expect("a notification serialises");
    let (timestamp, nonce) = (now().to_string(), crate::nonce(32));
    let signature = pay::sign(
        &s.platform,
        &pay::notification_message(&timestamp, &nonce, &body),
    );
    let sent = s
        .http
        .post(&order.notify_url)
        .header("Content-Type", "application/json")
        .header("Wechatpay-Timestamp", timestamp)
        .header("Wechatpay-Nonce", nonce)
        .header("Wechatpay-Signature", signature)
        .header("Wechatpay-Serial", &s.conf.platform_serial)
        .header("Wechatpay-Signature-Type", pay::SCHEME)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let answer = resp.text().await.unwrap_or_default();
            Json(json!({"notifyStatus": status, "notifyBody": answer, "transactionId": transaction.transaction_id}))
                .into_response()
        }
        Err(e) => refuse(StatusCode::BAD_GATEWAY, "NOTIFY_FAILED", e.to_string()),
    }
}

fn hex_of(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Deserialize)]
struct TokenQuery {
    appid: String,
    secret: String,
}

async fn access_token(
    State(s): State<Arc<Sandbox>>,
    Query(q): Query<TokenQuery>,
) -> Json<AccessToken> {
    if q.appid != s.conf.app_id || q.secret != s.conf.secret {
        return Json(AccessToken {
            errcode: 40013,
            errmsg: "invalid appid or secret".into(),
            ..AccessToken::default()
        });
    }
    let token = crate::nonce(64);
    s.tokens.lock().expect("not poisoned").push(token.clone());
    Json(AccessToken {
        access_token: token,
        expires_in: 7200,
        ..AccessToken::default()
    })
}

#[derive(Deserialize)]
struct TokenParam {
    access_token: String,
}

async fn send_subscribe(
    State(s): State<Arc<Sandbox>>,
    Query(q): Query<TokenParam>,
    Json(message): Json<SubscribeMessage>,
) -> Json<Ack> {
    if !s
        .tokens
        .lock()
        .expect("not poisoned")
        .contains(&q.access_token)
    {
        return Json(Ack {
            errcode: 40001,
            errmsg: "invalid access_token".into(),
        });
    }
    if message.touser.is_empty() || message.template_id.is_empty() {
        return Json(Ack {
            errcode: 47003,
            errmsg: "touser and template_id are required".into(),
        });
    }
    s.messages.lock().expect("not poisoned").push(message);
    Json(Ack::default())
}

#[derive(Deserialize)]
struct MessagesQuery {
    openid: String,
}

async fn messages(
    State(s): State<Arc<Sandbox>>,
    Query(q): Query<MessagesQuery>,
) -> Json<Vec<SubscribeMessage>> {
    let all = s.messages.lock().expect("not poisoned");
    Json(
        all.iter()
            .filter(|m| m.touser == q.openid)
            .cloned()
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_past_its_time_expire_cannot_be_paid() {
        let deadline = 1_800_000_000;
        let at = pay::time(deadline);
        assert!(!expired(None, deadline + 3600));
        assert!(!expired(Some(&at), deadline - 1));
        assert!(expired(Some(&at), deadline));
        assert!(expired(Some("not a time"), 0));
    }
}
