// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /thirdPayment/thirdPaymentWxPayCallback`: the business logic of this route.
//!
//! WeChat Pay's payment notification

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{ThirdPaymentWxPayCallbackReq, ThirdPaymentWxPayCallbackResp};

pub async fn third_payment_wx_pay_callback(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: ThirdPaymentWxPayCallbackReq,
) -> Result<ThirdPaymentWxPayCallbackResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(ThirdPaymentWxPayCallbackResp::default())
}
