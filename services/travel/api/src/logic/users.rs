//! Landlords and commenters are users of usercenter: read through its RPC.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use usercenter_rpc::pb::{GetUserInfoReq, User};

use crate::svc::ServiceContext;

/// User `id`, or `None` when there is no such user (a deleted account
/// leaves its shops and comments behind).
pub async fn user(svc: &ServiceContext, ctx: &RequestCtx, id: i64) -> Result<Option<User>> {
    match svc
        .usercenter
        .get_user_info(ctx, GetUserInfoReq { id })
        .await
    {
        Ok(found) => Ok(found.user),
        // A refusal (not a failure) is "no such user".
        Err(e)
            if !e.has_cause() && e.code_value() == looklook_runtime::codes::SERVER_COMMON_ERROR =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
