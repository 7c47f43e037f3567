// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /thirdPayment/thirdPaymentWxPay`: pre-pay one of the caller's
//! orders with WeChat Pay (JSAPI). Only an order still waiting for payment
//! can be paid; the amount is the order's, never the client's. The answer
//! is what the mini-program passes to `wx.requestPayment`.
//!
//! The WeChat transaction expires with the order (`time_expire` is the
//! order's pay deadline, when the close job cancels it): WeChat's own
//! default is two hours, and a payment made after the cancel would take
//! the money for an order that is gone. Asking again for the same order
//! gets the same payment and the same WeChat transaction, never a second
//! one that could be paid as well.

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use looklook_shared::state::trade_state;
use looklook_wechat::pay::{self, Amount, JsapiPrepay, Payer};
use order_rpc::pb::HomestayOrderDetailReq;
use payment_rpc::pb::CreatePaymentReq;
use usercenter_rpc::pb::GetUserAuthByUserIdReq;

use crate::svc::ServiceContext;
use crate::types::{ThirdPaymentWxPayReq, ThirdPaymentWxPayResp};

/// Seconds before the pay deadline after which no payment starts: the
/// user needs a moment to pay.
const PAY_MARGIN_SECS: i64 = 5;

pub async fn third_paymentwx_pay(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: ThirdPaymentWxPayReq,
) -> Result<ThirdPaymentWxPayResp> {
    let user_id = ctx.logged_in_user()?;
    let order = svc
        .orders
        .homestay_order_detail(ctx, HomestayOrderDetailReq { sn: req.order_sn })
        .await?
        .homestay_order
        .filter(|o| o.user_id == user_id)
        .ok_or_else(|| Error::msg("this order does not exist"))?;
    let now = chrono::Utc::now().timestamp();
    if order.trade_state != trade_state::WAIT_PAY {
        return Err(Error::msg("this order is not waiting for payment"));
    }
    // A moment before the close job: no time left to pay is no payment.
    if order.pay_deadline > 0 && order.pay_deadline <= now + PAY_MARGIN_SECS {
        return Err(Error::msg("this order can no longer be paid"));
    }
    let openid = svc
        .usercenter
        .get_user_auth_by_user_id(
            ctx,
            GetUserAuthByUserIdReq {
                user_id,
                auth_type: "wxMini".into(),
            },
        )
        .await?
        .user_auth
        .map(|a| a.auth_key)
        .ok_or_else(|| Error::msg("log in with WeChat before paying"))?;

    let payment = svc
        .payments
        .create_payment(
            ctx,
            CreatePaymentReq {
                user_id,
                pay_model: "WECHAT_PAY".into(),
                pay_total: order.order_total_price,
                order_sn: order.sn,
                service_type: req.service_type,
            },
        )
        .await?;
    let conf = svc.wx_pay.conf();
    let app_id = &svc.config.wx_mini_conf.app_id;
    let prepay = JsapiPrepay {
        appid: app_id.clone(),
        mchid: conf.mch_id.clone(),
        description: "homestay pay".into(),
        out_trade_no: payment.sn,
        // WeChat gives `attach` back in the payment's notification (up to
        // 128 bytes): the trace the payment was made in, so that the
        // payment, Kafka, order-mq and the jobs after it are part of the
        // booking's trace. Kept with the payment, it is the same for every
        // pre-pay of it, as WeChat wants a repeated pre-pay to be.
        attach: payment.trace_parent,
        notify_url: conf.notify_url.clone(),
        time_expire: (order.pay_deadline > 0).then(|| pay::time(order.pay_deadline)),
        amount: Amount {
            total: order.order_total_price,
            currency: "CNY".into(),
        },
        payer: Payer { openid },
    };
    let prepay_id = svc
        .wx_pay
        .jsapi_prepay(ctx, &prepay, now)
        .await
        .map_err(|e| Error::msg("wechat pay fail").with_cause(e))?
        .prepay_id;
    let pay = svc.wx_pay.request_payment(app_id, &prepay_id, now);
    Ok(ThirdPaymentWxPayResp {
        appid: app_id.clone(),
        nonce_str: pay.nonce_str,
        pay_sign: pay.pay_sign,
        package: pay.package,
        timestamp: pay.time_stamp,
        sign_type: pay.sign_type,
    })
}
