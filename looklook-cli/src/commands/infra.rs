//! `looklook up`, `down`, `ps`, `logs` and `doctor`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use looklook_stack::ops::{self as infra, EngineChoice, UpOptions};
use looklook_stack::{Event, State, Status};

use crate::cli::{DownArgs, Engine, LogsArgs, StackArgs, UpArgs};

pub(crate) fn engine(engine: Engine) -> EngineChoice {
    match engine {
        Engine::Auto => EngineChoice::Auto,
        Engine::Docker => EngineChoice::Docker,
        Engine::Native => EngineChoice::Native,
    }
}

fn stack_file(args: &StackArgs) -> miette::Result<PathBuf> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    infra::find_stack_file(args.file.as_deref(), &here).map_err(crate::infra_error)
}

pub fn up(args: UpArgs) -> miette::Result<String> {
    let opts = UpOptions {
        stack_file: stack_file(&args.stack)?,
        engine: engine(args.stack.engine),
        services: args.services,
        profiles: args.profiles,
    };
    // Progress goes out as it happens; the summary is the command's output.
    let mut progress = Progress::new();
    let statuses =
        infra::up(&opts, &mut |event| progress.show(&event)).map_err(crate::infra_error)?;
    Ok(table(&statuses))
}

pub fn down(args: DownArgs) -> miette::Result<String> {
    let stopped = infra::down(
        &stack_file(&args.stack)?,
        engine(args.stack.engine),
        args.volumes,
    )
    .map_err(crate::infra_error)?;
    let mut out = String::new();
    for name in &stopped {
        let _ = writeln!(out, "stopped {name}");
    }
    if args.volumes {
        out.push_str("data removed\n");
    }
    if out.is_empty() {
        out.push_str("nothing was running\n");
    }
    Ok(out)
}

pub fn ps(args: StackArgs) -> miette::Result<String> {
    let statuses =
        infra::ps(&stack_file(&args)?, engine(args.engine)).map_err(crate::infra_error)?;
    Ok(table(&statuses))
}

pub fn logs(args: LogsArgs) -> miette::Result<String> {
    let file = stack_file(&args.stack)?;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let prefix = |label: &str, i: usize| {
        if colour {
            format!("\x1b[{}m{label}\x1b[0m", 31 + (i % 6))
        } else {
            label.to_string()
        }
    };
    let mut out = std::io::stdout().lock();
    infra::logs(
        &file,
        engine(args.stack.engine),
        &args.services,
        args.follow,
        &prefix,
        &mut out,
    )
    .map_err(crate::infra_error)?;
    Ok(String::new())
}

pub fn doctor() -> miette::Result<String> {
    let mut out = String::new();
    for check in infra::doctor() {
        let _ = match &check.found {
            Some(path) => writeln!(out, "ok       {:<40} {}", check.what, path.display()),
            None => writeln!(out, "missing  {:<40} {}", check.what, check.hint),
        };
    }
    Ok(out)
}

/// Shows `up`'s events as they happen, on stderr. On a terminal an image
/// pull draws a bar per layer (removed once the image is here); elsewhere
/// (a log, CI) a pull is two lines.
pub struct Progress {
    terminal: bool,
    multi: MultiProgress,
    layers: HashMap<String, ProgressBar>,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            multi: MultiProgress::new(),
            layers: HashMap::new(),
        }
    }

    pub fn show(&mut self, event: &Event) {
        match event {
            Event::Layer {
                layer,
                status,
                current,
                total,
                ..
            } if self.terminal => {
                let bar = self.layers.entry(layer.clone()).or_insert_with(|| {
                    let bar = ProgressBar::no_length()
                        .with_style(layer_style(false))
                        .with_prefix(layer.clone());
                    self.multi.add(bar)
                });
                bar.set_message(status.clone());
                match (current, total) {
                    (Some(current), Some(total)) => {
                        bar.set_style(layer_style(true));
                        bar.set_length(*total);
                        bar.set_position(*current);
                    }
                    _ => bar.set_style(layer_style(false)),
                }
            }
            Event::Layer { .. } => {}
            other => {
                if matches!(other, Event::Pulled { .. } | Event::Pushed { .. }) {
                    for (_, bar) in self.layers.drain() {
                        bar.finish_and_clear();
                    }
                }
                // indicatif prints nothing when stderr is not a terminal.
                let line = describe(other);
                if self.terminal {
                    let _ = self.multi.println(line);
                } else {
                    eprintln!("{line}");
                }
            }
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

fn layer_style(bytes: bool) -> ProgressStyle {
    let template = if bytes {
        "  {prefix:.dim} {msg:<16} [{bar:30}] {bytes}/{total_bytes}"
    } else {
        "  {prefix:.dim} {msg}"
    };
    ProgressStyle::with_template(template)
        .expect("a valid template")
        .progress_chars("=> ")
}

fn describe(event: &Event) -> String {
    match event {
        Event::Notice { message } => format!("note: {message}"),
        Event::Pulling { image } => format!("pulling   {image}"),
        Event::Layer {
            image,
            layer,
            status,
            ..
        } => format!("pulling   {image}: {layer} {status}"),
        Event::Pulled {
            image,
            layers,
            after,
        } => format!(
            "pulled    {image} ({layers} layers, {:.1} s)",
            after.as_secs_f64()
        ),
        Event::Started { service } => format!("started   {service}"),
        Event::Ready { service, after } => {
            format!("ready     {service} ({:.1} s)", after.as_secs_f64())
        }
        Event::Unchanged { service } => format!("unchanged {service}"),
        Event::Recreated { service } => format!("restarted {service}: its definition changed"),
        Event::InitRan { service, step } => format!("init      {service}: {step}"),
        Event::Skipped { service, why } => format!("skipped   {service}: {why}"),
        Event::Building { image } => format!("building  {image}"),
        Event::Output { line, .. } => format!("          {line}"),
        Event::Built { image, id, after } => format!(
            "built     {image} ({}, {:.1} s)",
            short_id(id),
            after.as_secs_f64()
        ),
        Event::Pushing { image } => format!("pushing   {image}"),
        Event::Pushed {
            image,
            digest,
            after,
        } => match digest {
            Some(digest) => format!("pushed    {image} ({digest}, {:.1} s)", after.as_secs_f64()),
            None => format!("pushed    {image} ({:.1} s)", after.as_secs_f64()),
        },
    }
}

/// An image id as engines show it: 12 hex digits.
pub(crate) fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

/// The state of each service, with where to open or connect to it.
fn table(statuses: &[Status]) -> String {
    let width = statuses
        .iter()
        .map(|s| s.service.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let url = |s: &Status| s.url.clone().unwrap_or_else(|| "-".into());
    let url_width = statuses
        .iter()
        .map(|s| url(s).len())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut out = format!(
        "{:<width$}  {:<8}  {:<5}  {:<url_width$}  NOTE\n",
        "SERVICE", "STATE", "READY", "URL"
    );
    for s in statuses {
        let (state, note) = match &s.state {
            State::Running => (
                "running",
                s.pid.map(|p| format!("pid {p}")).unwrap_or_default(),
            ),
            State::Stopped => ("stopped", String::new()),
            State::Skipped(why) => ("skipped", why.clone()),
        };
        let ready = if s.ready { "yes" } else { "no" };
        let line = format!(
            "{:<width$}  {state:<8}  {ready:<5}  {:<url_width$}  {note}",
            s.service,
            url(s)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}
