// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `third_payment` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod third_payment_wx_pay_callback;
pub mod third_payment_wx_refund_callback;
pub mod third_paymentwx_pay;

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use payment_rpc::pb::{GetPaymentBySnReq, PaymentDetail};

use crate::svc::ServiceContext;

/// The payment a WeChat notification names (our number, its
/// `out_trade_no`); one WeChat tells us about and we never made is refused.
pub(crate) async fn notified_payment(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    out_trade_no: &str,
) -> Result<PaymentDetail> {
    svc.payments
        .get_payment_by_sn(
            ctx,
            GetPaymentBySnReq {
                sn: out_trade_no.to_string(),
            },
        )
        .await?
        .payment_detail
        .ok_or_else(|| Error::msg("this payment does not exist"))
}
