// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/register`: a new account with a mobile number and password,
//! logged in at once.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use usercenter_rpc::pb;

use crate::svc::ServiceContext;
use crate::types::{RegisterReq, RegisterResp};

pub async fn register(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: RegisterReq,
) -> Result<RegisterResp> {
    let resp = svc
        .usercenter
        .register(
            ctx,
            pb::RegisterReq {
                auth_key: req.mobile.clone(),
                auth_type: "system".into(),
                mobile: req.mobile,
                password: req.password,
                nickname: String::new(),
            },
        )
        .await?;
    Ok(RegisterResp {
        access_token: resp.access_token,
        access_expire: resp.access_expire,
        refresh_after: resp.refresh_after,
    })
}
