//! Calling WeChat: the mini-program's code-to-session and WeChat Pay's
//! JSAPI pre-pay, at base URLs from config (the real WeChat, or the
//! sandbox); and checking what WeChat Pay sends back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::trace::CallSpan;
use opentelemetry::KeyValue;
use tokio::sync::Mutex;

use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;

use crate::Error;
use crate::mini::{AccessToken, Ack, Session, SubscribeMessage};
use crate::pay::{
    self, Authorization, JsapiPrepay, Notification, PrepayId, Refund, RefundNotice, RefundRequest,
    Transaction, TransactionState,
};

/// Send `request` to WeChat under a client span, a child of `ctx`'s span:
/// a trace shows how long the caller waited on WeChat, and what it
/// answered. `name` is the call's route, without its values. The trace
/// context itself is not sent: it is ours.
async fn traced(
    ctx: &RequestCtx,
    name: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    let span = CallSpan::client(
        || format!("WeChat {name}"),
        ctx.traceparent(),
        || vec![KeyValue::new("server.address", "wechat")],
    );
    let sent = request.send().await;
    let status = sent.as_ref().map_or(0, |r| r.status().as_u16());
    span.end(
        [KeyValue::new(
            "http.response.status_code",
            i64::from(status),
        )],
        status == 0 || status >= 500,
    );
    sent
}

/// How far a notification's time may be from ours: older ones are replays.
const NOTIFICATION_WINDOW_SECS: i64 = 300;

/// `WxMiniConf`: the mini-program.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WxMiniConf {
    pub app_id: String,
    pub secret: String,
    /// `https://api.weixin.qq.com`, or the sandbox.
    pub base_url: String,
}

/// `WxPayConf`: the merchant account at WeChat Pay.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WxPayConf {
    pub mch_id: String,
    /// The serial number of the merchant's API certificate.
    pub serial_no: String,
    /// The file of the merchant's private key, PEM (PKCS #8).
    pub private_key_file: String,
    /// 32 bytes: the key notifications are encrypted with.
    #[serde(rename = "APIv3Key")]
    pub api_v3_key: String,
    /// The file of WeChat Pay's public key (PEM), and the key's id: what
    /// notifications are signed with.
    pub platform_public_key_file: String,
    pub platform_serial: String,
    /// Where WeChat Pay sends payment notifications.
    pub notify_url: String,
    /// Where WeChat Pay sends refund notifications; when empty, a refund
    /// is known by its answer alone.
    #[serde(default)]
    pub refund_notify_url: String,
    /// `https://api.mch.weixin.qq.com`, or the sandbox.
    pub base_url: String,
}

pub(crate) fn read_key(path: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Key {
        what: "file",
        detail: format!("{path}: {e}"),
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a plain HTTP client builds")
}

/// The mini-program side.
#[derive(Clone)]
pub struct MiniClient {
    conf: WxMiniConf,
    http: reqwest::Client,
    /// The server-side access token and when to fetch a new one: WeChat
    /// limits how often tokens may be asked for, and one lasts two hours.
    token: Arc<Mutex<Option<(String, Instant)>>>,
}

impl MiniClient {
    pub fn new(conf: &WxMiniConf) -> MiniClient {
        MiniClient {
            conf: conf.clone(),
            http: http(),
            token: Arc::default(),
        }
    }

    pub fn app_id(&self) -> &str {
        &self.conf.app_id
    }

    /// Trade a login code for the user's openid and session key.
    pub async fn code_to_session(&self, ctx: &RequestCtx, code: &str) -> Result<Session, Error> {
        let url = format!("{}/sns/jscode2session", self.conf.base_url);
        let request = self.http.get(url).query(&[
            ("appid", self.conf.app_id.as_str()),
            ("secret", self.conf.secret.as_str()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ]);
        let resp = traced(ctx, "GET /sns/jscode2session", request).await?;
        let session: Session = resp.json().await?;
        if session.errcode != 0 || session.openid.is_empty() {
            return Err(Error::Remote {
                status: 200,
                body: format!("{} {}", session.errcode, session.errmsg),
            });
        }
        Ok(session)
    }
}

impl MiniClient {
    /// An access token for the server-side API: the one held while it is
    /// valid (less a minute's margin), else a new one.
    pub async fn access_token(&self, ctx: &RequestCtx) -> Result<String, Error> {
        let mut held = self.token.lock().await;
        if let Some((token, until)) = held.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let fresh = self.fetch_access_token(ctx).await?;
        let valid = Duration::from_secs(fresh.expires_in.saturating_sub(60).max(0) as u64);
        *held = Some((fresh.access_token.clone(), Instant::now() + valid));
        Ok(fresh.access_token)
    }

    async fn fetch_access_token(&self, ctx: &RequestCtx) -> Result<AccessToken, Error> {
        let url = format!("{}/cgi-bin/token", self.conf.base_url);
        let request = self.http.get(url).query(&[
            ("grant_type", "client_credential"),
            ("appid", self.conf.app_id.as_str()),
            ("secret", self.conf.secret.as_str()),
        ]);
        let token: AccessToken = traced(ctx, "GET /cgi-bin/token", request)
            .await?
            .json()
            .await?;
        if token.errcode != 0 || token.access_token.is_empty() {
            return Err(Error::Remote {
                status: 200,
                body: format!("{} {}", token.errcode, token.errmsg),
            });
        }
        Ok(token)
    }

    /// Send a subscribe message to a user.
    pub async fn send_subscribe(
        &self,
        ctx: &RequestCtx,
        message: &SubscribeMessage,
    ) -> Result<(), Error> {
        let token = self.access_token(ctx).await?;
        let url = format!("{}/cgi-bin/message/subscribe/send", self.conf.base_url);
        let request = self
            .http
            .post(url)
            .query(&[("access_token", token.as_str())])
            .json(message);
        let ack: Ack = traced(ctx, "POST /cgi-bin/message/subscribe/send", request)
            .await?
            .json()
            .await?;
        if ack.errcode != 0 {
            // An invalid or expired token: the next call fetches a new one.
            if matches!(ack.errcode, 40001 | 42001) {
                *self.token.lock().await = None;
            }
            return Err(Error::Remote {
                status: 200,
                body: format!("{} {}", ack.errcode, ack.errmsg),
            });
        }
        Ok(())
    }
}

/// The merchant side of WeChat Pay.
#[derive(Clone)]
pub struct PayClient {
    conf: WxPayConf,
    key: RsaPrivateKey,
    platform: RsaPublicKey,
    http: reqwest::Client,
}

/// What closing a transaction came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// It can no longer be paid (or never could).
    Closed,
    /// The user paid before it closed.
    AlreadyPaid,
}

/// What the mini-program passes to `wx.requestPayment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPayment {
    pub time_stamp: String,
    pub nonce_str: String,
    pub package: String,
    pub sign_type: String,
    pub pay_sign: String,
}

impl PayClient {
    pub fn new(conf: &WxPayConf) -> Result<PayClient, Error> {
        if conf.api_v3_key.len() != 32 {
            return Err(Error::Key {
                what: "APIv3 key",
                detail: "it must be 32 bytes".into(),
            });
        }
        Ok(PayClient {
            key: pay::private_key(&read_key(&conf.private_key_file)?)?,
            platform: pay::public_key(&read_key(&conf.platform_public_key_file)?)?,
            conf: conf.clone(),
            http: http(),
        })
    }

    pub fn conf(&self) -> &WxPayConf {
        &self.conf
    }

    /// A signed call to WeChat Pay: its status and body. `path` is what is
    /// signed, query included.
    async fn call(
        &self,
        ctx: &RequestCtx,
        name: &'static str,
        method: &str,
        path: &str,
        body: &str,
        now: i64,
    ) -> Result<(u16, String), Error> {
        let auth = Authorization::sign(
            &self.key,
            &self.conf.mch_id,
            &self.conf.serial_no,
            method,
            path,
            body,
            now,
        );
        let url = format!("{}{path}", self.conf.base_url);
        let request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).body(body.to_string()),
        };
        let request = request
            .header("Authorization", auth.header())
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        let resp = traced(ctx, name, request).await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await?))
    }

    fn answer<T: serde::de::DeserializeOwned>(
        what: &'static str,
        (status, text): (u16, String),
    ) -> Result<T, Error> {
        if status != 200 {
            return Err(Error::Remote { status, body: text });
        }
        serde_json::from_str(&text).map_err(|e| Error::Malformed {
            what,
            detail: e.to_string(),
        })
    }

    /// Place a JSAPI order; WeChat answers with a pre-pay id.
    pub async fn jsapi_prepay(
        &self,
        ctx: &RequestCtx,
        order: &JsapiPrepay,
        now: i64,
    ) -> Result<PrepayId, Error> {
        let body = serde_json::to_string(order).expect("an order serialises");
        let path = "/v3/pay/transactions/jsapi";
        let answer = self
            .call(
                ctx,
                "POST /v3/pay/transactions/jsapi",
                "POST",
                path,
                &body,
                now,
            )
            .await?;
        Self::answer("pre-pay answer", answer)
    }

    /// Where a transaction stands, by the merchant's number.
    pub async fn query(
        &self,
        ctx: &RequestCtx,
        out_trade_no: &str,
        now: i64,
    ) -> Result<TransactionState, Error> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.conf.mch_id
        );
        let name = "GET /v3/pay/transactions/out-trade-no/{out_trade_no}";
        Self::answer(
            "transaction",
            self.call(ctx, name, "GET", &path, "", now).await?,
        )
    }

    /// Close an unpaid transaction, so the user can no longer pay it. A
    /// transaction paid a moment before cannot be closed: that is
    /// [`Closed::AlreadyPaid`], and its notification is on its way. Read
    /// back with [`PayClient::query`] whenever the close is refused, so
    /// the answer rests on the transaction's state, not on an error code.
    pub async fn close(
        &self,
        ctx: &RequestCtx,
        out_trade_no: &str,
        now: i64,
    ) -> Result<Closed, Error> {
        let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
        let body = serde_json::json!({ "mchid": self.conf.mch_id }).to_string();
        let name = "POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close";
        let (status, text) = self.call(ctx, name, "POST", &path, &body, now).await?;
        if status == 204 {
            return Ok(Closed::Closed);
        }
        match self.query(ctx, out_trade_no, now).await {
            Ok(state) => match state.trade_state.as_str() {
                "SUCCESS" | "REFUND" => Ok(Closed::AlreadyPaid),
                "CLOSED" | "REVOKED" | "PAYERROR" => Ok(Closed::Closed),
                _ => Err(Error::Remote { status, body: text }),
            },
            // Never pre-paid at WeChat: there is nothing to pay.
            Err(Error::Remote { status: 404, .. }) => Ok(Closed::Closed),
            Err(e) => Err(e),
        }
    }

    /// Give a paid transaction's money back.
    pub async fn refund(
        &self,
        ctx: &RequestCtx,
        refund: &RefundRequest,
        now: i64,
    ) -> Result<Refund, Error> {
        let body = serde_json::to_string(refund).expect("a refund serialises");
        let path = "/v3/refund/domestic/refunds";
        let answer = self
            .call(
                ctx,
                "POST /v3/refund/domestic/refunds",
                "POST",
                path,
                &body,
                now,
            )
            .await?;
        Self::answer("refund answer", answer)
    }

    /// Sign the parameters of `wx.requestPayment` for `prepay_id`.
    pub fn request_payment(&self, app_id: &str, prepay_id: &str, now: i64) -> RequestPayment {
        let time_stamp = now.to_string();
        let nonce_str = crate::nonce(32);
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = pay::sign(
            &self.key,
            &pay::pay_sign_message(app_id, &time_stamp, &nonce_str, &package),
        );
        RequestPayment {
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA".into(),
            pay_sign,
        }
    }

    /// Check a payment notification (its headers' signature, its time, the
    /// key it names) and decrypt its transaction.
    pub fn verify_notification(
        &self,
        headers: &NotificationHeaders,
        body: &str,
        now: i64,
    ) -> Result<Transaction, Error> {
        self.open_notification(headers, body, now, "TRANSACTION.", "transaction")
    }

    /// Check a refund notification as [`verify_notification`] does a
    /// payment's, and decrypt its refund.
    ///
    /// [`verify_notification`]: Self::verify_notification
    pub fn verify_refund_notification(
        &self,
        headers: &NotificationHeaders,
        body: &str,
        now: i64,
    ) -> Result<RefundNotice, Error> {
        self.open_notification(headers, body, now, "REFUND.", "refund")
    }

    /// Verify a notification and decrypt its resource, which must be of
    /// the kind expected: a payment's notification sent to the refund
    /// route (or the other way round) is refused, not misread.
    fn open_notification<T: serde::de::DeserializeOwned>(
        &self,
        headers: &NotificationHeaders,
        body: &str,
        now: i64,
        event: &str,
        what: &'static str,
    ) -> Result<T, Error> {
        if headers.serial != self.conf.platform_serial {
            return Err(Error::Malformed {
                what: "notification",
                detail: format!("signed with unknown key {}", headers.serial),
            });
        }
        let at: i64 = headers.timestamp.parse().map_err(|_| Error::Signature)?;
        if (now - at).abs() > NOTIFICATION_WINDOW_SECS {
            return Err(Error::Malformed {
                what: "notification",
                detail: format!("sent at {at}, too far from now"),
            });
        }
        let message = pay::notification_message(&headers.timestamp, &headers.nonce, body);
        pay::verify(&self.platform, &message, &headers.signature)?;
        let notification: Notification =
            serde_json::from_str(body).map_err(|e| Error::Malformed {
                what: "notification",
                detail: e.to_string(),
            })?;
        if !notification.event_type.starts_with(event) {
            return Err(Error::Malformed {
                what: "notification",
                detail: format!("a {} event, not a {what}", notification.event_type),
            });
        }
        let plain = notification.resource.decrypt(&self.conf.api_v3_key)?;
        serde_json::from_slice(&plain).map_err(|e| Error::Malformed {
            what,
            detail: e.to_string(),
        })
    }
}

/// The `Wechatpay-*` headers of a notification.
#[derive(Debug, Clone, Default)]
pub struct NotificationHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl NotificationHeaders {
    pub fn from_http(headers: &axum::http::HeaderMap) -> NotificationHeaders {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        NotificationHeaders {
            timestamp: get("Wechatpay-Timestamp"),
            nonce: get("Wechatpay-Nonce"),
            signature: get("Wechatpay-Signature"),
            serial: get("Wechatpay-Serial"),
        }
    }
}
