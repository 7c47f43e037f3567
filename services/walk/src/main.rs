//! `looklook-walk`: the walk `looklook demo` runs once every process of
//! looklook.toml answers. Each step is printed as it happens; the exit
//! status says whether the booking went through.

use std::process::ExitCode;
use std::time::Duration;

use looklook_walk::{Gateway, walk};

#[tokio::main]
async fn main() -> ExitCode {
    // The same variable tells mqueue-job when to close an unpaid order.
    let close_after = std::env::var("CLOSE_ORDER_AFTER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1800);
    let gw = Gateway::new(std::env::vars());
    let mut n = 0;
    let walked = walk(&gw, Duration::from_secs(close_after), &mut |step| {
        n += 1;
        println!("{n:>2}. {}\n    {}", step.title, step.detail);
    })
    .await;
    match walked {
        Ok(w) => {
            println!(
                "\nThe booking went through: order {} paid, order {} closed unpaid.",
                w.paid_order, w.closed_order
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("the walk stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
