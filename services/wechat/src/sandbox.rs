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
//!   retries); the close, query and refund calls as WeChat Pay has them,
//!   signed alike (a refund asked with a `notify_url` is PROCESSING, then
//!   notified as succeeded), and `GET /sandbox/refunds` to see the
//!   refunds made;
//! - subscribe messages: `GET /cgi-bin/token` and `POST
//!   /cgi-bin/message/subscribe/send` as WeChat has them, and `GET
//!   /sandbox/messages?openid=` to see what a user was sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
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
    self, Authorization, JsapiPrepay, Notification, Refund, RefundNotice, RefundNoticeAmount,
    RefundRequest, RefundedAmount, Resource, Transaction, TransactionAmount,
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
    /// The pre-pays the merchant closed.
    closed: Mutex<std::collections::HashSet<String>>,
    /// Refunds made, oldest first.
    refunds: Mutex<Vec<Refund>>,
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
        closed: Mutex::default(),
        refunds: Mutex::default(),
        tokens: Mutex::default(),
        messages: Mutex::default(),
        http: reqwest::Client::new(),
    };
    Ok(Router::new()
        .route("/sandbox/wxLogin", post(wx_login))
        .route("/sns/jscode2session", get(code_to_session))
        .route("/v3/pay/transactions/jsapi", post(jsapi_prepay))
        .route("/sandbox/pay", post(pay_now))
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            post(close),
        )
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}",
            get(query),
        )
        .route("/v3/refund/domestic/refunds", post(refund))
        .route("/sandbox/refunds", get(refunds))
        .route("/cgi-bin/token", get(access_token))
        .route("/cgi-bin/message/subscribe/send", post(send_subscribe))
        .route("/sandbox/messages", get(messages))
        .with_state(Arc::new(sandbox)))
}

/// Both sides as development runs them, for tests: the sandbox's app and
/// merchant with the keys of `dev-keys/`, the values
/// `etc/wechat-sandbox.yaml` and the services' development defaults name.
pub mod development {
    use super::SandboxConf;
    use crate::client::WxPayConf;

    const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/dev-keys");
    pub const APP_ID: &str = "wx-sandbox-app";
    pub const MCH_ID: &str = "1900000109";
    const APIV3_KEY: &str = "looklook-sandbox-apiv3-key-32byt";
    const PLATFORM_SERIAL: &str = "PUB_KEY_ID_SANDBOX";

    /// The sandbox, playing WeChat.
    pub fn sandbox() -> SandboxConf {
        SandboxConf {
            app_id: APP_ID.into(),
            secret: "sandbox-secret".into(),
            mch_id: MCH_ID.into(),
            api_v3_key: APIV3_KEY.into(),
            merchant_public_key_file: format!("{KEYS}/merchant.pub"),
            platform_private_key_file: format!("{KEYS}/platform.key"),
            platform_serial: PLATFORM_SERIAL.into(),
        }
    }

    /// The merchant, calling WeChat Pay at `base_url`; its notifications go
    /// to a port nobody listens on.
    pub fn merchant(base_url: &str) -> WxPayConf {
        WxPayConf {
            mch_id: MCH_ID.into(),
            serial_no: "SANDBOX-MERCHANT-SERIAL".into(),
            private_key_file: format!("{KEYS}/merchant.key"),
            api_v3_key: APIV3_KEY.into(),
            platform_public_key_file: format!("{KEYS}/platform.pub"),
            platform_serial: PLATFORM_SERIAL.into(),
            notify_url: "http://127.0.0.1:9/notify".into(),
            refund_notify_url: String::new(),
            base_url: base_url.into(),
        }
    }
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

/// Check a merchant's request as WeChat Pay does: the `Authorization`
/// header's merchant, time and signature over method, path (with its
/// query) and body. The refusal to send back, if it does not hold.
fn refused_signature(
    s: &Sandbox,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &str,
) -> Option<Response> {
    let header = headers
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let auth = match Authorization::parse(header) {
        Ok(auth) => auth,
        Err(e) => {
            return Some(refuse(
                StatusCode::UNAUTHORIZED,
                "SIGN_ERROR",
                e.to_string(),
            ));
        }
    };
    if auth.mchid != s.conf.mch_id || (now() - auth.timestamp).abs() > 300 {
        return Some(refuse(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            "wrong merchant or stale request",
        ));
    }
    auth.verify(&s.merchant, method, path, body).err().map(|_| {
        refuse(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            "signature does not verify",
        )
    })
}

async fn jsapi_prepay(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: String) -> Response {
    if let Some(refused) =
        refused_signature(&s, &headers, "POST", "/v3/pay/transactions/jsapi", &body)
    {
        return refused;
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
    /// Take the money although the merchant has closed the transaction:
    /// the race at the moment of closing, which a merchant must repair
    /// with a refund. Only the sandbox lets a test make it happen.
    #[serde(default)]
    after_close: bool,
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
    let closed = s
        .closed
        .lock()
        .expect("not poisoned")
        .contains(&req.prepay_id);
    if !paid_before && closed && !req.after_close {
        return refuse(
            StatusCode::BAD_REQUEST,
            "ORDER_CLOSED",
            "the merchant closed the transaction",
        );
    }
    if !paid_before && !req.after_close && expired(order.time_expire.as_deref(), now()) {
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
        transaction_id: transaction_id(&order),
        appid: order.appid,
        mchid: order.mchid,
        out_trade_no: order.out_trade_no.clone(),
        trade_type: "JSAPI".into(),
        trade_state: "SUCCESS".into(),
        trade_state_desc: "paid".into(),
        success_time: pay::time(now()),
        attach: order.attach.clone(),
        payer: order.payer,
        amount: TransactionAmount {
            total: order.amount.total,
            payer_total: order.amount.total,
            currency: "CNY".into(),
            payer_currency: "CNY".into(),
        },
    };
    let plain = serde_json::to_vec(&transaction).expect("a transaction serialises");
    let sent = notify(
        &s,
        &order.notify_url,
        "TRANSACTION.SUCCESS",
        "transaction",
        &plain,
    )
    .await;
    match sent {
        Ok((status, answer)) => Json(
            json!({"notifyStatus": status, "notifyBody": answer, "transactionId": transaction.transaction_id}),
        )
        .into_response(),
        Err(e) => refuse(StatusCode::BAD_GATEWAY, "NOTIFY_FAILED", e.to_string()),
    }
}

/// Tell the merchant at `url` of an event, as WeChat Pay does: the
/// resource encrypted with the APIv3 key, the body signed with the
/// platform's key. The merchant's status and answer.
async fn notify(
    s: &Sandbox,
    url: &str,
    event_type: &str,
    original_type: &str,
    plain: &[u8],
) -> Result<(u16, String), String> {
    let resource =
        Resource::encrypt(&s.conf.api_v3_key, plain, original_type).map_err(|e| e.to_string())?;
    let notification = Notification {
        id: crate::nonce(36),
        create_time: pay::time(now()),
        event_type: event_type.into(),
        resource_type: "encrypt-resource".into(),
        resource,
        summary: format!("{original_type}: {event_type}"),
    };
    let body = serde_json::to_string(&notification).expect("a notification serialises");
    let (timestamp, nonce) = (now().to_string(), crate::nonce(32));
    let signature = pay::sign(
        &s.platform,
        &pay::notification_message(&timestamp, &nonce, &body),
    );
    let resp = s
        .http
        .post(url)
        .header("Content-Type", "application/json")
        .header("Wechatpay-Timestamp", timestamp)
        .header("Wechatpay-Nonce", nonce)
        .header("Wechatpay-Signature", signature)
        .header("Wechatpay-Serial", &s.conf.platform_serial)
        .header("Wechatpay-Signature-Type", pay::SCHEME)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    Ok((status, resp.text().await.unwrap_or_default()))
}

/// The pre-pay id and order of a merchant's number.
fn prepay_of(s: &Sandbox, out_trade_no: &str) -> Option<(String, JsapiPrepay)> {
    s.prepays
        .lock()
        .expect("not poisoned")
        .iter()
        .find(|(_, o)| o.out_trade_no == out_trade_no)
        .map(|(id, o)| (id.clone(), o.clone()))
}

fn is_paid(s: &Sandbox, prepay_id: &str) -> bool {
    s.paid.lock().expect("not poisoned").contains(prepay_id)
}

#[derive(Deserialize)]
struct CloseBody {
    mchid: String,
}

/// Close an unpaid transaction: 204. A paid one cannot be closed.
async fn close(
    State(s): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = refused_signature(&s, &headers, "POST", uri.path(), &body) {
        return refused;
    }
    match serde_json::from_str::<CloseBody>(&body) {
        Ok(b) if b.mchid == s.conf.mch_id => {}
        _ => return refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", "mchid is required"),
    }
    let Some((id, _)) = prepay_of(&s, &out_trade_no) else {
        return refuse(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "no such order");
    };
    if is_paid(&s, &id) {
        return refuse(StatusCode::BAD_REQUEST, "ORDERPAID", "the order is paid");
    }
    s.closed.lock().expect("not poisoned").insert(id);
    StatusCode::NO_CONTENT.into_response()
}

/// Where a transaction stands.
async fn query(
    State(s): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    if let Some(refused) = refused_signature(&s, &headers, "GET", path, "") {
        return refused;
    }
    let Some((id, order)) = prepay_of(&s, &out_trade_no) else {
        return refuse(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "no such order");
    };
    let refunded = s
        .refunds
        .lock()
        .expect("not poisoned")
        .iter()
        .any(|r| r.out_trade_no == out_trade_no);
    let (state, transaction_id) = if refunded {
        ("REFUND", transaction_id(&order))
    } else if is_paid(&s, &id) {
        ("SUCCESS", transaction_id(&order))
    } else if s.closed.lock().expect("not poisoned").contains(&id) {
        ("CLOSED", String::new())
    } else {
        ("NOTPAY", String::new())
    };
    Json(json!({
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id,
        "trade_state": state,
        "trade_state_desc": state.to_lowercase(),
    }))
    .into_response()
}

/// Give a paid transaction's money back, at once and whole or in part;
/// the same `out_refund_no` again answers the same refund.
async fn refund(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: String) -> Response {
    if let Some(refused) =
        refused_signature(&s, &headers, "POST", "/v3/refund/domestic/refunds", &body)
    {
        return refused;
    }
    let req: RefundRequest = match serde_json::from_str(&body) {
        Ok(req) => req,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", e.to_string()),
    };
    let mut refunds = s.refunds.lock().expect("not poisoned");
    if let Some(done) = refunds
        .iter()
        .find(|r| r.out_refund_no == req.out_refund_no)
    {
        return Json(done.clone()).into_response();
    }
    let Some((id, order)) = prepay_of(&s, &req.out_trade_no) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "no such order",
        );
    };
    if !is_paid(&s, &id) {
        return refuse(StatusCode::FORBIDDEN, "NO_AUTH", "the order is not paid");
    }
    let given: i64 = refunds
        .iter()
        .filter(|r| r.out_trade_no == req.out_trade_no)
        .map(|r| r.amount.refund)
        .sum();
    let a = &req.amount;
    if a.total != order.amount.total
        || a.currency != "CNY"
        || a.refund <= 0
        || given + a.refund > a.total
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the refund does not fit the transaction's amount",
        );
    }
    let done = Refund {
        refund_id: format!("50000{}", &hex_of(&req.out_refund_no)[..27]),
        out_refund_no: req.out_refund_no,
        transaction_id: transaction_id(&order),
        out_trade_no: req.out_trade_no,
        channel: "ORIGINAL".into(),
        user_received_account: "the payer's WeChat balance".into(),
        success_time: pay::time(now()),
        create_time: pay::time(now()),
        status: "SUCCESS".into(),
        amount: RefundedAmount {
            total: a.total,
            refund: a.refund,
            payer_total: a.total,
            payer_refund: a.refund,
            currency: "CNY".into(),
        },
    };
    // With a `notify_url`, as WeChat Pay mostly does: the refund is
    // PROCESSING now and its notification says when it succeeded.
    let Some(url) = req.notify_url else {
        refunds.push(done.clone());
        return Json(done).into_response();
    };
    let processing = Refund {
        status: "PROCESSING".into(),
        success_time: String::new(),
        ..done.clone()
    };
    refunds.push(processing.clone());
    drop(refunds);
    tokio::spawn(refund_succeeded(s, url, done, order.mchid));
    Json(processing).into_response()
}

/// A refund goes through: it is marked so, and the merchant told, until
/// it answers 2xx (WeChat Pay retries for a day; the sandbox a few times).
async fn refund_succeeded(s: Arc<Sandbox>, url: String, done: Refund, mchid: String) {
    for stored in s.refunds.lock().expect("not poisoned").iter_mut() {
        if stored.out_refund_no == done.out_refund_no {
            *stored = done.clone();
        }
    }
    let notice = RefundNotice {
        mchid,
        out_trade_no: done.out_trade_no,
        transaction_id: done.transaction_id,
        out_refund_no: done.out_refund_no,
        refund_id: done.refund_id,
        refund_status: "SUCCESS".into(),
        success_time: done.success_time,
        user_received_account: done.user_received_account,
        amount: RefundNoticeAmount {
            total: done.amount.total,
            refund: done.amount.refund,
            payer_total: done.amount.payer_total,
            payer_refund: done.amount.payer_refund,
        },
    };
    let plain = serde_json::to_vec(&notice).expect("a refund notice serialises");
    for attempt in 0..5 {
        match notify(&s, &url, "REFUND.SUCCESS", "refund", &plain).await {
            Ok((status, _)) if (200..300).contains(&status) => return,
            Ok((status, answer)) => {
                tracing::warn!(
                    attempt,
                    status,
                    answer,
                    "the merchant refused a refund notice"
                )
            }
            Err(e) => tracing::warn!(attempt, error = e, "cannot deliver a refund notice"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

async fn refunds(State(s): State<Arc<Sandbox>>) -> Json<Vec<Refund>> {
    Json(s.refunds.lock().expect("not poisoned").clone())
}

/// A transaction keeps one id, however often it is told or asked about.
fn transaction_id(order: &JsapiPrepay) -> String {
    format!("42000{}", &hex_of(&order.out_trade_no)[..27])
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

    /// The merchant's client against the sandbox on 127.0.0.1: an unpaid
    /// transaction closes and can then not be paid; a paid one does not
    /// close, and is refunded once however often asked; a forged or
    /// oversized request is refused.
    #[tokio::test]
    async fn close_query_and_refund_as_wechat_pay_has_them() {
        use crate::client::{Closed, PayClient};
        use crate::pay::{Amount, Payer, RefundAmount};

        let router = router(development::sandbox()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        // Nobody listens at its notify URL: the sandbox still marks a
        // payment paid.
        let conf = development::merchant(&base);
        let wx = PayClient::new(&conf).unwrap();
        let ctx = looklook_runtime::ctx::RequestCtx::default();
        let now = super::now();
        let prepay = |sn: &str| JsapiPrepay {
            appid: development::APP_ID.into(),
            mchid: development::MCH_ID.into(),
            description: "stay".into(),
            out_trade_no: sn.into(),
            attach: String::new(),
            notify_url: conf.notify_url.clone(),
            time_expire: None,
            amount: Amount {
                total: 500,
                currency: "CNY".into(),
            },
            payer: Payer {
                openid: "o-1".into(),
            },
        };
        let http = reqwest::Client::new();
        let pay = async |id: &str, after_close: bool| {
            http.post(format!("{base}/sandbox/pay"))
                .json(&json!({"prepayId": id, "afterClose": after_close}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };

        // Unpaid: closed, and then it cannot be paid.
        let unpaid = wx
            .jsapi_prepay(&ctx, &prepay("P-unpaid"), now)
            .await
            .unwrap();
        assert_eq!(
            wx.close(&ctx, "P-unpaid", now).await.unwrap(),
            Closed::Closed
        );
        assert_eq!(
            wx.query(&ctx, "P-unpaid", now).await.unwrap().trade_state,
            "CLOSED"
        );
        assert_eq!(pay(&unpaid.prepay_id, false).await, 400);
        // Never pre-paid: nothing to close.
        assert_eq!(
            wx.close(&ctx, "P-never", now).await.unwrap(),
            Closed::Closed
        );

        // Paid: it cannot be closed; the refund is one, asked twice.
        let paid = wx.jsapi_prepay(&ctx, &prepay("P-paid"), now).await.unwrap();
        pay(&paid.prepay_id, false).await;
        assert_eq!(
            wx.close(&ctx, "P-paid", now).await.unwrap(),
            Closed::AlreadyPaid
        );
        let ask = RefundRequest {
            out_trade_no: "P-paid".into(),
            out_refund_no: "R-paid".into(),
            reason: "the order was closed".into(),
            notify_url: None,
            amount: RefundAmount {
                refund: 500,
                total: 500,
                currency: "CNY".into(),
            },
        };
        let first = wx.refund(&ctx, &ask, now).await.unwrap();
        assert_eq!(
            (first.status.as_str(), first.amount.refund),
            ("SUCCESS", 500)
        );
        assert_eq!(wx.refund(&ctx, &ask, now).await.unwrap(), first);
        assert_eq!(
            wx.query(&ctx, "P-paid", now).await.unwrap().trade_state,
            "REFUND"
        );
        // More than was paid, or an unpaid transaction: refused.
        let more = RefundRequest {
            out_refund_no: "R-more".into(),
            ..ask.clone()
        };
        assert!(matches!(
            wx.refund(&ctx, &more, now).await,
            Err(crate::Error::Remote { status: 400, .. })
        ));
        let unpaid_refund = RefundRequest {
            out_trade_no: "P-unpaid".into(),
            out_refund_no: "R-unpaid".into(),
            ..ask.clone()
        };
        assert!(wx.refund(&ctx, &unpaid_refund, now).await.is_err());
        let given: Vec<Refund> = http
            .get(format!("{base}/sandbox/refunds"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(given, vec![first]);

        // The race a refund repairs: money taken as the transaction closed.
        let raced = wx
            .jsapi_prepay(&ctx, &prepay("P-raced"), now)
            .await
            .unwrap();
        assert_eq!(
            wx.close(&ctx, "P-raced", now).await.unwrap(),
            Closed::Closed
        );
        pay(&raced.prepay_id, true).await;
        assert_eq!(
            wx.query(&ctx, "P-raced", now).await.unwrap().trade_state,
            "SUCCESS"
        );

        // Asked with a `notify_url`: PROCESSING at first, then a signed,
        // encrypted REFUND.SUCCESS notice, which only the refund check
        // accepts.
        let (tx, mut told) = tokio::sync::mpsc::unbounded_channel();
        let merchant = Router::new().route(
            "/refunded",
            post(async move |headers: HeaderMap, body: String| {
                let _ = tx.send((
                    crate::client::NotificationHeaders::from_http(&headers),
                    body,
                ));
                "SUCCESS"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, merchant).await });
        let second = wx
            .jsapi_prepay(&ctx, &prepay("P-second"), now)
            .await
            .unwrap();
        pay(&second.prepay_id, false).await;
        let notified = RefundRequest {
            out_trade_no: "P-second".into(),
            out_refund_no: "R-second".into(),
            notify_url: Some(format!("http://{at}/refunded")),
            ..ask.clone()
        };
        let answer = wx.refund(&ctx, &notified, now).await.unwrap();
        assert_eq!(answer.status, "PROCESSING");
        let (headers, body) = told.recv().await.unwrap();
        let now = super::now();
        let notice = wx.verify_refund_notification(&headers, &body, now).unwrap();
        assert_eq!(
            (
                notice.refund_status.as_str(),
                notice.out_refund_no.as_str(),
                notice.amount.refund
            ),
            ("SUCCESS", "R-second", 500)
        );
        assert!(matches!(
            wx.verify_notification(&headers, &body, now),
            Err(crate::Error::Malformed { .. })
        ));
        let given: Vec<Refund> = http
            .get(format!("{base}/sandbox/refunds"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(given[1].status, "SUCCESS");

        // Someone without the merchant's key.
        let forged = http
            .post(format!("{base}/v3/pay/transactions/out-trade-no/P-paid/close"))
            .header(
                "Authorization",
                format!(r#"{} mchid="1900000109",nonce_str="n",signature="c2ln",timestamp="{now}",serial_no="S""#, pay::SCHEME),
            )
            .body(r#"{"mchid":"1900000109"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 401);
    }
}
