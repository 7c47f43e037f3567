//! `looklook demo`: run the project and its walk. This file only formats
//! what happens.

use looklook_dev::demo::{self, DemoError, DemoEvent, DemoOptions};

use crate::cli::DemoArgs;

pub fn run(args: DemoArgs) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let manifest = looklook_manifest::find(args.manifest.as_deref(), &here)
        .ok_or_else(|| miette::miette!("{}", looklook_dev::DevError::NoManifest(here.clone())))?;
    let opts = DemoOptions {
        manifest: std::path::absolute(&manifest).unwrap_or(manifest),
        engine: crate::commands::infra::engine(args.engine),
        up: !args.no_up,
        serve: args.serve,
    };
    let mut progress = crate::commands::infra::Progress::new();
    let status = demo::run(&opts, &mut |event| match event {
        DemoEvent::Infra(e) => progress.show(&e),
        DemoEvent::Building => eprintln!("building the processes (cargo build)..."),
        DemoEvent::Built { took } => eprintln!("built in {:.1} s", took.as_secs_f64()),
        DemoEvent::Started {
            name,
            port: Some(port),
        } => {
            eprintln!("started {name:<18} 127.0.0.1:{port}")
        }
        DemoEvent::Started { name, port: None } => eprintln!("started {name}"),
        DemoEvent::Walking { command } => eprintln!("walking: {command}\n"),
        DemoEvent::Walk {
            line,
            stderr: false,
        } => println!("{line}"),
        DemoEvent::Walk { line, stderr: true } => eprintln!("{line}"),
        DemoEvent::Dashboard { url } => eprintln!("dashboard: {url}"),
        DemoEvent::Serving => eprintln!("the processes keep running; Ctrl-C stops them"),
    })
    .map_err(|e| match e {
        DemoError::Definition(d) => miette::Report::new(d),
        other => miette::miette!("the demo failed: {other}"),
    })?;
    if !status.success() {
        return Err(miette::miette!("the walk failed ({status})"));
    }
    Ok(String::new())
}
