// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.payment/GetPaymentBySn`: one payment by its number; unset when there
//! is none.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;

use super::view::payment;
use crate::pb::{GetPaymentBySnReq, GetPaymentBySnResp};
use crate::svc::ServiceContext;

pub async fn get_payment_by_sn(
    svc: &ServiceContext,
    _ctx: &RequestCtx,
    req: GetPaymentBySnReq,
) -> Result<GetPaymentBySnResp> {
    let found = svc.payments.find_one_by_sn(&req.sn).await?;
    Ok(GetPaymentBySnResp {
        payment_detail: found.map(payment),
    })
}
