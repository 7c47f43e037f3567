//! `looklook-walk`: the walk `looklook demo` runs once every process of
//! looklook.toml answers. Each step is printed as it happens; the exit
//! status says whether the booking went through.

use std::process::ExitCode;
use std::time::Duration;

use looklook_walk::{Gateway, walk};

#[tokio::main]
async fn main() -> ExitCode {
    // The variable that tells order-rpc when an unpaid order closes (the
    // manifest's [demo] env sets it for both): the walk waits that long.
    let Some(close_after) = std::env::var("CLOSE_ORDER_AFTER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    else {
        eprintln!("CLOSE_ORDER_AFTER_SECS is not set: run the walk under `looklook demo`");
        return ExitCode::FAILURE;
    };
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
