//! `looklook demo`: run the reference system and walk a booking through it.

use std::fmt::Write as _;

use looklook_dev::demo::{self, DemoEvent, DemoOptions};
use looklook_stack::ops::EngineChoice;

use crate::cli::DemoArgs;

pub fn run(args: DemoArgs) -> miette::Result<String> {
    let root = match args.root {
        Some(root) => root,
        None => std::env::current_dir().map_err(|e| miette::miette!("{e}"))?,
    };
    let opts = DemoOptions {
        root,
        engine: EngineChoice::Auto,
        up: !args.no_up,
        serve: args.serve,
    };
    let mut step = 0;
    let mut progress = crate::commands::infra::Progress::new();
    let walked = demo::run(&opts, &mut |event| match event {
        DemoEvent::Infra(e) => progress.show(&e),
        DemoEvent::Building => eprintln!("building the services (cargo build)..."),
        DemoEvent::Built { took } => eprintln!("built in {:.1} s", took.as_secs_f64()),
        DemoEvent::Started { name, port } => eprintln!("started {name:<16} 127.0.0.1:{port}"),
        DemoEvent::Serving => eprintln!("the system keeps running; Ctrl-C stops it"),
        DemoEvent::Step(s) => {
            step += 1;
            println!("{step:>2}. {}\n    {}", s.title, s.detail);
        }
    })
    .map_err(|e| miette::miette!("the demo failed: {e}"))?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nThe booking went through: order {} paid, order {} closed unpaid.",
        walked.paid_order, walked.closed_order
    );
    Ok(out)
}
