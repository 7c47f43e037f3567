//! `looklook dev [PROCESS...] [--once]`: run the processes of looklook.toml
//! and hot-reload them. This file only formats what happens.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use looklook_dev::{DevEvent, DevOptions};

use crate::cli::DevArgs;

pub fn run(args: DevArgs) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let manifest = looklook_manifest::find(args.manifest.as_deref(), &here)
        .ok_or_else(|| miette::miette!("{}", looklook_dev::DevError::NoManifest(here.clone())))?;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let opts = DevOptions {
        manifest: std::path::absolute(&manifest).unwrap_or(manifest),
        only: args.processes,
        once: args.once,
        color: colour,
    };
    let printer = Printer::new(colour);
    looklook_dev::run(&opts, move |event| printer.print(event)).map_err(crate::dev_error)?;
    Ok(String::new())
}

const PALETTE: [AnsiColor; 6] = [
    AnsiColor::Cyan,
    AnsiColor::Magenta,
    AnsiColor::Yellow,
    AnsiColor::Green,
    AnsiColor::Blue,
    AnsiColor::BrightRed,
];

/// Each process's lines prefixed with its name in its own colour; looklook's
/// own lines in bold.
struct Printer {
    colour: bool,
    /// Name → prefix style, and the width names are padded to; fixed by the
    /// first event, which names every process.
    prefixes: Mutex<(BTreeMap<String, Style>, usize)>,
}

impl Printer {
    fn new(colour: bool) -> Printer {
        Printer {
            colour,
            prefixes: Mutex::new((BTreeMap::new(), 0)),
        }
    }

    fn print(&self, event: DevEvent) {
        let mut prefixes = self.prefixes.lock().unwrap_or_else(|e| e.into_inner());
        if let DevEvent::Building { processes, .. } = &event
            && prefixes.0.is_empty()
        {
            for (i, name) in processes.iter().enumerate() {
                let style = PALETTE[i % PALETTE.len()].on_default();
                prefixes.0.insert(name.clone(), style);
            }
            prefixes.1 = processes.iter().map(String::len).max().unwrap_or(0);
        }
        match event {
            DevEvent::Output { process, line, .. } => {
                let style = prefixes.0.get(&process).copied().unwrap_or_default();
                let width = prefixes.1;
                match self.colour {
                    true => println!("{style}{process:>width$} |{style:#} {line}"),
                    false => println!("{process:>width$} | {line}"),
                }
            }
            DevEvent::BuildFailed { errors, took, kept } => {
                println!("{errors}");
                let kept = match kept.is_empty() {
                    true => String::new(),
                    false => format!("; still running the previous build: {}", kept.join(", ")),
                };
                self.status(&format!("build failed after {}{kept}", secs(took)));
            }
            other => self.status(&describe(other)),
        }
    }

    fn status(&self, text: &str) {
        let style = Style::new().bold();
        match self.colour {
            true => println!("{style}looklook:{style:#} {text}"),
            false => println!("looklook: {text}"),
        }
    }
}

fn describe(event: DevEvent) -> String {
    match event {
        DevEvent::Watching { dirs } => {
            format!("watching {dirs} directories for changes; Ctrl-C stops everything")
        }
        DevEvent::Building { processes, changed } if changed.is_empty() => {
            format!("building {}", processes.join(", "))
        }
        DevEvent::Building { processes, changed } => {
            let shown: Vec<String> = changed
                .iter()
                .take(3)
                .map(|p| p.display().to_string())
                .collect();
            let more = match changed.len() {
                n if n > 3 => format!(" and {} more", n - 3),
                _ => String::new(),
            };
            format!(
                "changed {}{more}; rebuilding {}",
                shown.join(", "),
                processes.join(", ")
            )
        }
        DevEvent::Started { process, pid } => format!("started {process} (pid {pid})"),
        DevEvent::Answering { process, after } => {
            format!(
                "{process} answers on its port ({} after start)",
                secs(after)
            )
        }
        DevEvent::Exited {
            process,
            status,
            restart_in,
        } => format!(
            "{process} exited ({status}); starting it again in {}",
            secs(restart_in)
        ),
        DevEvent::Reloaded {
            processes,
            build,
            restart,
        } => format!(
            "built in {}; restarted {} in {}",
            secs(build),
            processes.join(", "),
            secs(restart)
        ),
        DevEvent::Stopped { process } => format!("stopped {process}"),
        DevEvent::Dashboard { url } => format!("dashboard: {url}"),
        DevEvent::Reference { url } => format!("API reference: {url}"),
        DevEvent::Notice { message } => message,
        DevEvent::Output { .. } | DevEvent::BuildFailed { .. } => unreachable!("printed above"),
    }
}

/// `850 ms`, `2.31 s`.
fn secs(d: Duration) -> String {
    match d.as_millis() {
        ms @ 0..1000 => format!("{ms} ms"),
        _ => format!("{:.2} s", d.as_secs_f64()),
    }
}
