//! What a tick of the schedule does: push a job, nothing more.

use apalis::prelude::Data;
use looklook_shared::jobs::{self, ExpireOrders};

use crate::svc::ServiceContext;

/// One tick of the schedule.
#[derive(Debug, Default, Clone)]
pub struct Tick;

/// Queue an expire-orders job for mqueue-job, stamped with the tick's time.
pub async fn expire_orders(_: Tick, svc: Data<ServiceContext>) -> anyhow::Result<()> {
    let at = looklook_shared::time::unix(looklook_shared::time::now());
    let mut queue = svc.expire_orders.clone();
    jobs::push(&mut queue, ExpireOrders { at }).await?;
    tracing::info!(at, "expire-orders job pushed");
    Ok(())
}
