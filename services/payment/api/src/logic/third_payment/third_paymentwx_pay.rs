// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /thirdPayment/thirdPaymentWxPay`: the business logic of this route.
//!
//! pre-pay an order with WeChat Pay

use looklook_runtime::Result;
use looklook_runtime::http::RequestCtx;

use crate::svc::ServiceContext;
use crate::types::{ThirdPaymentWxPayReq, ThirdPaymentWxPayResp};

pub async fn third_paymentwx_pay(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: ThirdPaymentWxPayReq,
) -> Result<ThirdPaymentWxPayResp> {
    // TODO: your code. Fail with `looklook_runtime::Error::msg("...")`.
    let _ = (svc, ctx, req);
    Ok(ThirdPaymentWxPayResp::default())
}
