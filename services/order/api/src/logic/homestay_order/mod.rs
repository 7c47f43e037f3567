// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Logic of the `homestay_order` group.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod cancel_homestay_order;
pub mod create_homestay_order;
pub mod user_homestay_order_detail;
pub mod user_homestay_order_list;

use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result};
use order_rpc::pb::{HomestayOrder, HomestayOrderDetailReq};

use crate::svc::ServiceContext;

/// The caller's order `sn`. Someone else's order is answered exactly like a
/// missing one, so order numbers cannot be probed.
pub(crate) async fn callers_order(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    sn: String,
) -> Result<HomestayOrder> {
    let user_id = ctx.logged_in_user()?;
    svc.orders
        .homestay_order_detail(ctx, HomestayOrderDetailReq { sn })
        .await?
        .homestay_order
        .filter(|o| o.user_id == user_id)
        .ok_or_else(|| Error::msg("this order does not exist"))
}
