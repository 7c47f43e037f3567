// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /homestayOrder/userHomestayOrderDetail`: one of the caller's
//! orders. Someone else's order is answered exactly like a missing one, so
//! order numbers cannot be probed. A paid order shows when and how.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use looklook_shared::money::yuan;
use looklook_shared::state::trade_state;
use payment_rpc::pb::GetPaymentSuccessRefundByOrderSnReq;

use super::callers_order;
use crate::svc::ServiceContext;
use crate::types::{UserHomestayOrderDetailReq, UserHomestayOrderDetailResp};

pub async fn user_homestay_order_detail(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: UserHomestayOrderDetailReq,
) -> Result<UserHomestayOrderDetailResp> {
    let order = callers_order(svc, ctx, req.sn).await?;

    // Only an order that was paid has a payment to show.
    let (mut pay_time, mut pay_type) = (0, String::new());
    if !matches!(
        order.trade_state,
        trade_state::CANCELLED | trade_state::WAIT_PAY
    ) {
        let paid = svc
            .payments
            .get_payment_success_refund_by_order_sn(
                ctx,
                GetPaymentSuccessRefundByOrderSnReq {
                    order_sn: order.sn.clone(),
                },
            )
            .await?
            .payment_detail;
        if let Some(payment) = paid {
            (pay_time, pay_type) = (payment.pay_time, payment.pay_mode);
        }
    }

    Ok(UserHomestayOrderDetailResp {
        sn: order.sn,
        user_id: order.user_id,
        homestay_id: order.homestay_id,
        title: order.title,
        sub_title: order.sub_title,
        cover: order.cover,
        info: order.info,
        food_info: order.food_info,
        food_price: yuan(order.food_price),
        homestay_price: yuan(order.homestay_price),
        market_homestay_price: yuan(order.market_homestay_price),
        homestay_business_id: order.homestay_business_id,
        homestay_user_id: order.homestay_user_id,
        order_total_price: yuan(order.order_total_price),
        create_time: order.create_time,
        trade_state: order.trade_state,
        live_start_date: order.live_start_date,
        live_end_date: order.live_end_date,
        trade_code: order.trade_code,
        food_total_price: yuan(order.food_total_price),
        homestay_total_price: yuan(order.homestay_total_price),
        remark: order.remark,
        live_people_num: order.live_people_num,
        need_food: order.need_food,
        pay_time,
        pay_type,
    })
}
