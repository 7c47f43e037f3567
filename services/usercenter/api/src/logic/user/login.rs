// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `POST /user/login`: a mobile number and password for a token.

use looklook_runtime::Result;
use looklook_runtime::ctx::RequestCtx;
use usercenter_rpc::pb;

use crate::svc::ServiceContext;
use crate::types::{LoginReq, LoginResp};

pub async fn login(svc: &ServiceContext, ctx: &RequestCtx, req: LoginReq) -> Result<LoginResp> {
    let resp = svc
        .usercenter
        .login(
            ctx,
            pb::LoginReq {
                auth_type: "system".into(),
                auth_key: req.mobile,
                password: req.password,
            },
        )
        .await?;
    Ok(LoginResp {
        access_token: resp.access_token,
        access_expire: resp.access_expire,
        refresh_after: resp.refresh_after,
    })
}
