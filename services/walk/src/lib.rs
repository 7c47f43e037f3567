//! A booking, walked through the real HTTP gateways the way the
//! mini-program would, each step reported as it happens.
//!
//! The walk knows the services by process name; where each one listens it
//! reads from the `<NAME>_ADDR` variables that `looklook demo` (and the
//! dev loop) give every process, from the ports in `looklook.toml`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One step of the walk, for a learner to follow.
#[derive(Debug, Clone)]
pub struct Step {
    /// What is being done: "log in".
    pub title: String,
    /// The request, and what came back.
    pub detail: String,
}

/// What the walk made, for a test to go on from.
#[derive(Debug, Clone)]
pub struct Walk {
    pub phone: String,
    pub token: String,
    pub paid_order: String,
    /// The WeChat Pay pre-pay id it was paid through.
    pub prepay_id: String,
    /// Paid, then cancelled by the guest and refunded.
    pub refunded_order: String,
    pub closed_order: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{step}: {detail}")]
    Step { step: String, detail: String },
    #[error("{step}: {source}")]
    Http {
        step: String,
        source: reqwest::Error,
    },
}

/// A client of the system's gateways.
pub struct Gateway {
    /// `<NAME>_ADDR` → `host:port`.
    addresses: BTreeMap<String, String>,
    http: reqwest::Client,
}

impl Gateway {
    /// From `<NAME>_ADDR` variables, such as `std::env::vars()`.
    pub fn new(addresses: impl IntoIterator<Item = (String, String)>) -> Gateway {
        Gateway {
            addresses: addresses.into_iter().collect(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("a plain HTTP client builds"),
        }
    }

    /// `http://host:port` of process `service`. The API services are
    /// reached through the gateway when there is one (`GATEWAY_ADDR`), as a
    /// client reaches them.
    pub fn url(&self, service: &str) -> Result<String, WalkError> {
        let gateway = looklook_manifest::addr_var("gateway");
        let var = if service.ends_with("-api") && self.addresses.contains_key(&gateway) {
            gateway
        } else {
            looklook_manifest::addr_var(service)
        };
        match self.addresses.get(&var) {
            Some(addr) => Ok(format!("http://{addr}")),
            None => Err(WalkError::Step {
                step: format!("find {service}"),
                detail: format!("{var} is not set; run the walk under `looklook demo`"),
            }),
        }
    }

    /// POST `body` to `path` of process `service`, with `token` when given;
    /// the status and the JSON answer (`null` when not JSON).
    pub async fn post(
        &self,
        service: &str,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> Result<(u16, Value), WalkError> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url(service)?))
            .json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let http = |source| WalkError::Http {
            step: format!("POST {path}"),
            source,
        };
        let resp = req.send().await.map_err(http)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(http)?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// POST and expect the envelope's `code` 200: its `data`.
    pub async fn call(
        &self,
        service: &str,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> Result<Value, WalkError> {
        let (status, answer) = self.post(service, path, body, token).await?;
        if status != 200 || answer["code"] != 200 {
            return Err(WalkError::Step {
                step: format!("POST {path}"),
                detail: format!("HTTP {status}: {answer}"),
            });
        }
        Ok(answer["data"].clone())
    }
}

/// Noon in `days` days, business time (UTC+8), unix seconds.
fn noon_in(days: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let today = (now + 8 * 3600).div_euclid(86400) * 86400 - 8 * 3600;
    today + days * 86400 + 12 * 3600
}

fn need<'v>(value: &'v Value, key: &str, step: &str) -> Result<&'v Value, WalkError> {
    match &value[key] {
        Value::Null => Err(WalkError::Step {
            step: step.into(),
            detail: format!("no `{key}` in {value}"),
        }),
        v => Ok(v),
    }
}

/// Tells the walk's caller each step: its title, and what happened.
type Report<'a> = dyn FnMut(&str, String) + Send + 'a;

/// Walk a booking through the system at `gw`, telling `on` each step.
/// Unpaid orders must close after `close_after` for the last step to see
/// it.
pub async fn walk(
    gw: &Gateway,
    close_after: Duration,
    on: &mut (dyn FnMut(Step) + Send),
) -> Result<Walk, WalkError> {
    let report: &mut Report = &mut |title, detail| {
        on(Step {
            title: title.into(),
            detail,
        })
    };
    let phone = format!("139{:08}", fastrand::u32(..100_000_000));
    let password_token = sign_up(gw, &phone, report).await?;
    let user_id = link_wechat(gw, &password_token, &phone, report).await?;
    let (token, openid) = log_in_with_wechat(gw, &phone, user_id, report).await?;
    let (homestay_id, guests) = browse(gw, report).await?;
    let booking = json!({
        "homestayId": homestay_id, "isFood": true, "liveStartTime": noon_in(1),
        "liveEndTime": noon_in(3), "livePeopleNum": guests, "remark": "looklook demo"
    });
    let sn = book(gw, &token, &booking, report).await?;
    let prepay_id = pay(gw, &token, &sn, report).await?;
    paid_via_kafka(gw, &token, &sn, report).await?;
    told_in_wechat(gw, &openid, &sn, report).await?;
    let refunded_order = cancelled_and_refunded(gw, &token, &booking, report).await?;
    let unpaid = closed_unpaid(gw, &token, &booking, close_after, report).await?;
    Ok(Walk {
        phone,
        token,
        paid_order: sn,
        prepay_id,
        refunded_order,
        closed_order: unpaid,
    })
}

/// An account, with a mobile number and a password: register, log in, and
/// ask who we are. The token.
async fn sign_up(gw: &Gateway, phone: &str, report: &mut Report<'_>) -> Result<String, WalkError> {
    let users = "/usercenter/v1/user";
    let creds = json!({"mobile": phone, "password": "looklook-demo"});
    gw.call("usercenter-api", &format!("{users}/register"), &creds, None)
        .await?;
    report("register", format!("POST {users}/register {creds} -> ok"));
    let login = gw
        .call("usercenter-api", &format!("{users}/login"), &creds, None)
        .await?;
    let token = need(&login, "accessToken", "login")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    report(
        "log in",
        format!("POST {users}/login -> a JWT of {} characters", token.len()),
    );
    let me = who_am_i(gw, &token).await?;
    report("who am I", format!("POST {users}/detail -> {me}"));
    Ok(token)
}

/// The user a token belongs to, as usercenter-api tells it.
async fn who_am_i(gw: &Gateway, token: &str) -> Result<Value, WalkError> {
    let me = gw
        .call(
            "usercenter-api",
            "/usercenter/v1/user/detail",
            &json!({}),
            Some(token),
        )
        .await?;
    Ok(me["userInfo"].clone())
}

/// What the mini-program sends after `wx.login` and the phone prompt: a
/// login code and the phone number, encrypted (from WeChat, the sandbox);
/// and the user's openid, which only WeChat and the sandbox know.
pub async fn wechat_login(gw: &Gateway, phone: &str) -> Result<(Value, Value), WalkError> {
    let (_, wx) = gw
        .post(
            "wechat-sandbox",
            "/sandbox/wxLogin",
            &json!({"phone": phone}),
            None,
        )
        .await?;
    let auth = json!({"code": wx["code"], "iv": wx["iv"], "encryptedData": wx["encryptedData"]});
    Ok((auth, wx["openid"].clone()))
}

/// The same person links WeChat from inside the account: logged in with its
/// password, with the phone number WeChat verifies. (WeChat never links to
/// an account on the number alone: anyone can register anyone's number.)
async fn link_wechat(
    gw: &Gateway,
    token: &str,
    phone: &str,
    report: &mut Report<'_>,
) -> Result<Value, WalkError> {
    let users = "/usercenter/v1/user";
    let (auth, openid) = wechat_login(gw, phone).await?;
    let me = gw
        .call(
            "usercenter-api",
            &format!("{users}/wxMiniBind"),
            &auth,
            Some(token),
        )
        .await?;
    report(
        "link WeChat",
        format!(
            "POST {users}/wxMiniBind (openid {openid}) -> WeChat linked to user {}",
            me["userInfo"]["id"]
        ),
    );
    Ok(me["userInfo"]["id"].clone())
}

/// The same person opens the mini-program again: WeChat logs them straight
/// in, to account `user_id`. The token, and the user's WeChat openid.
async fn log_in_with_wechat(
    gw: &Gateway,
    phone: &str,
    user_id: Value,
    report: &mut Report<'_>,
) -> Result<(String, String), WalkError> {
    let users = "/usercenter/v1/user";
    let (auth, openid) = wechat_login(gw, phone).await?;
    let linked = gw
        .call(
            "usercenter-api",
            &format!("{users}/wxMiniAuth"),
            &auth,
            None,
        )
        .await?;
    let token = need(&linked, "accessToken", "wxMiniAuth")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    let me = who_am_i(gw, &token).await?;
    if me["id"] != user_id {
        return Err(WalkError::Step {
            step: "log in with WeChat".into(),
            detail: format!("user {} instead of {user_id}", me["id"]),
        });
    }
    report(
        "log in with WeChat",
        format!("POST {users}/wxMiniAuth (openid {openid}) -> a JWT of the same account"),
    );
    let openid = openid.as_str().unwrap_or_default().to_string();
    Ok((token, openid))
}

/// The front page's picks, then one homestay: its id, and how many guests
/// to book for (two, unless it takes one).
async fn browse(gw: &Gateway, report: &mut Report<'_>) -> Result<(i64, i64), WalkError> {
    let travel = "/travel/v1/homestay";
    let picks = gw
        .call(
            "travel-api",
            &format!("{travel}/homestayList"),
            &json!({"page": 1, "pageSize": 5}),
            None,
        )
        .await?;
    let titles: Vec<String> = picks["list"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            format!(
                "{} ({} yuan)",
                h["title"].as_str().unwrap_or("?"),
                h["homestayPrice"]
            )
        })
        .collect();
    report(
        "browse the picks",
        format!("POST {travel}/homestayList -> {}", titles.join(", ")),
    );
    let homestay_id = picks["list"][0]["id"]
        .as_i64()
        .ok_or_else(|| WalkError::Step {
            step: "browse".into(),
            detail: "no homestay on the front page".into(),
        })?;
    let detail = gw
        .call(
            "travel-api",
            &format!("{travel}/homestayDetail"),
            &json!({"id": homestay_id}),
            None,
        )
        .await?;
    report(
        "one homestay",
        format!(
            "POST {travel}/homestayDetail -> {}, {} guests, {} yuan a night",
            detail["homestay"]["title"],
            detail["homestay"]["peopleNum"],
            detail["homestay"]["homestayPrice"]
        ),
    );
    let guests = detail["homestay"]["peopleNum"].as_i64().unwrap_or(1).min(2);
    Ok((homestay_id, guests))
}

/// Book it: two nights from tomorrow. The order's number.
async fn book(
    gw: &Gateway,
    token: &str,
    booking: &Value,
    report: &mut Report<'_>,
) -> Result<String, WalkError> {
    let orders = "/order/v1/homestayOrder";
    let sn = create_order(gw, token, booking, "book").await?;
    let order = gw
        .call(
            "order-api",
            &format!("{orders}/userHomestayOrderDetail"),
            &json!({"sn": sn}),
            Some(token),
        )
        .await?;
    report(
        "book",
        format!(
            "POST {orders}/createHomestayOrder -> {sn}: {} yuan for 2 nights and meals (worked out by order-rpc), waiting for payment",
            order["orderTotalPrice"]
        ),
    );
    Ok(sn)
}

/// Pay: a WeChat Pay pre-pay, then the user pays in WeChat (the sandbox),
/// which notifies payment-api, signed and encrypted. The pre-pay id.
async fn pay(
    gw: &Gateway,
    token: &str,
    sn: &str,
    report: &mut Report<'_>,
) -> Result<String, WalkError> {
    let payment = "/payment/v1/thirdPayment";
    let prepay = gw
        .call(
            "payment-api",
            &format!("{payment}/thirdPaymentWxPay"),
            &json!({"orderSn": sn, "serviceType": "homestayOrder"}),
            Some(token),
        )
        .await?;
    let package = need(&prepay, "package", "pre-pay")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    report(
        "pre-pay",
        format!("POST {payment}/thirdPaymentWxPay -> {package}, signed for wx.requestPayment"),
    );
    let prepay_id = package.trim_start_matches("prepay_id=");
    let (_, paid) = gw
        .post(
            "wechat-sandbox",
            "/sandbox/pay",
            &json!({"prepayId": prepay_id}),
            None,
        )
        .await?;
    if paid["notifyBody"] != "SUCCESS" {
        return Err(WalkError::Step {
            step: "pay".into(),
            detail: format!("payment-api answered the notification with {paid}"),
        });
    }
    report(
        "pay in WeChat",
        format!("the sandbox notified payment-api -> {}", paid["notifyBody"]),
    );
    Ok(prepay_id.to_string())
}

/// payment-rpc published the payment; order-mq moves the order.
async fn paid_via_kafka(
    gw: &Gateway,
    token: &str,
    sn: &str,
    report: &mut Report<'_>,
) -> Result<(), WalkError> {
    let view = wait_for_state(gw, token, sn, 1, Duration::from_secs(30), "paid via Kafka").await?;
    report(
        "paid via Kafka",
        format!(
            "order {sn} is paid (trade state 1), at {} by {}",
            view["payTime"], view["payType"]
        ),
    );
    Ok(())
}

/// mqueue-job tells the user in WeChat (the sandbox keeps what it was
/// sent).
async fn told_in_wechat(
    gw: &Gateway,
    openid: &str,
    sn: &str,
    report: &mut Report<'_>,
) -> Result<(), WalkError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let told = loop {
        let got = gw
            .http
            .get(format!(
                "{}/sandbox/messages?openid={openid}",
                gw.url("wechat-sandbox")?
            ))
            .send()
            .await
            .map_err(|source| WalkError::Http {
                step: "told in WeChat".into(),
                source,
            })?
            .json::<Value>()
            .await
            .unwrap_or(Value::Null);
        let about_it: Vec<&Value> = got
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["data"]["character_string6"]["value"] == sn)
            .collect();
        if let Some(message) = about_it.first() {
            break message["data"].clone();
        }
        if Instant::now() > deadline {
            return Err(WalkError::Step {
                step: "told in WeChat".into(),
                detail: format!("no subscribe message for {sn} after 30 s"),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    report(
        "told in WeChat",
        format!(
            "mqueue-job sent a subscribe message: {} paid, {} yuan, {} to {}",
            told["thing1"]["value"],
            told["amount2"]["value"],
            told["time4"]["value"],
            told["time5"]["value"]
        ),
    );
    Ok(())
}

/// Another stay, paid, then called off before check-in: payment-rpc asks
/// WeChat Pay for the money back, WeChat's refund notification marks the
/// payment refunded, and order-mq the order. Its number.
async fn cancelled_and_refunded(
    gw: &Gateway,
    token: &str,
    booking: &Value,
    report: &mut Report<'_>,
) -> Result<String, WalkError> {
    let step = "cancel and refund";
    let sn = create_order(gw, token, booking, step).await?;
    pay(gw, token, &sn, &mut |_, _| {}).await?;
    wait_for_state(gw, token, &sn, 1, Duration::from_secs(30), step).await?;
    let path = "/order/v1/homestayOrder/cancelHomestayOrder";
    let cancelled = gw
        .call("order-api", path, &json!({"sn": sn}), Some(token))
        .await?;
    report(
        "book, pay, and cancel",
        format!(
            "POST {path} -> trade state {}: payment-rpc asked WeChat Pay for a refund",
            cancelled["tradeState"]
        ),
    );
    wait_for_state(gw, token, &sn, 3, Duration::from_secs(30), step).await?;
    report(
        "refunded via Kafka",
        format!(
            "WeChat's refund notification marked the payment refunded; order {sn} is refunded (trade state 3) and its nights are free again"
        ),
    );
    Ok(sn)
}

/// Another order, never paid: the delayed job closes it. Its number.
async fn closed_unpaid(
    gw: &Gateway,
    token: &str,
    booking: &Value,
    close_after: Duration,
    report: &mut Report<'_>,
) -> Result<String, WalkError> {
    let unpaid = create_order(gw, token, booking, "book again").await?;
    report(
        "book, and never pay",
        format!(
            "{unpaid}: mqueue-job closes it {} s after it was made",
            close_after.as_secs()
        ),
    );
    wait_for_state(
        gw,
        token,
        &unpaid,
        -1,
        close_after + Duration::from_secs(30),
        "closed by the job",
    )
    .await?;
    report(
        "closed by the job",
        format!("order {unpaid} is cancelled (trade state -1)"),
    );
    Ok(unpaid)
}

/// Create the order `booking` describes; its number.
async fn create_order(
    gw: &Gateway,
    token: &str,
    booking: &Value,
    step: &str,
) -> Result<String, WalkError> {
    // A night is sold once: when another order holds one of these (an
    // earlier walk on the same database, say), the same stay a little
    // later, until one is free.
    let mut booking = booking.clone();
    for _ in 0..100 {
        let created = gw
            .call(
                "order-api",
                "/order/v1/homestayOrder/createHomestayOrder",
                &booking,
                Some(token),
            )
            .await;
        match created {
            Ok(created) => {
                return Ok(need(&created, "orderSn", step)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string());
            }
            Err(WalkError::Step { detail, .. }) if detail.contains("already booked") => {
                let start = booking["liveStartTime"].as_i64().unwrap_or_default();
                let end = booking["liveEndTime"].as_i64().unwrap_or_default();
                booking["liveStartTime"] = json!(end);
                booking["liveEndTime"] = json!(end + (end - start));
            }
            Err(e) => return Err(e),
        }
    }
    Err(WalkError::Step {
        step: step.into(),
        detail: "no free nights in the next 100 stays".into(),
    })
}

/// Poll the order's detail until it is in `state`.
pub async fn wait_for_state(
    gw: &Gateway,
    token: &str,
    sn: &str,
    state: i64,
    within: Duration,
    step: &str,
) -> Result<Value, WalkError> {
    let deadline = Instant::now() + within;
    loop {
        let order = gw
            .call(
                "order-api",
                "/order/v1/homestayOrder/userHomestayOrderDetail",
                &json!({"sn": sn}),
                Some(token),
            )
            .await?;
        if order["tradeState"] == state {
            return Ok(order);
        }
        if Instant::now() > deadline {
            return Err(WalkError::Step {
                step: step.into(),
                detail: format!(
                    "order {sn} is still in state {} after {} s",
                    order["tradeState"],
                    within.as_secs()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
