//! The `looklook` binary: parse flags, run one command, print its output,
//! and turn errors into a report and exit status 1.

mod cli;
mod commands;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{AddCommand, ApiCommand, Cli, Command, GenCommand};
use looklook_gen::generate::GenError;
use looklook_gen::generate::Part;

fn main() -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .build(),
        )
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Api(ApiCommand::Check(a)) => commands::api::check(a),
        Command::Api(ApiCommand::Fmt(a)) => commands::api::fmt(a),
        Command::Api(ApiCommand::Json(a)) => commands::api::json(a),
        Command::Gen(g) => match g.command {
            Some(GenCommand::Api(a)) => commands::gen_api::run(a),
            Some(GenCommand::Rpc(a)) => commands::gen_rpc::run(a),
            Some(GenCommand::Model(a)) => commands::gen_model::run(a),
            Some(GenCommand::Openapi(a)) => commands::gen_clients::openapi(a),
            Some(GenCommand::Ts(a)) => commands::gen_clients::ts(a),
            Some(GenCommand::Gateway(a)) => commands::gen_all::part(a.manifest, Part::Gateway),
            Some(GenCommand::Docker(a)) => commands::gen_all::part(a.manifest, Part::Docker),
            Some(GenCommand::Kube(a)) => commands::gen_all::part(a.manifest, Part::Kube),
            None => commands::gen_all::run(g.manifest),
        },
        Command::Up(a) => commands::infra::up(a),
        Command::Down(a) => commands::infra::down(a),
        Command::Ps(a) => commands::infra::ps(a),
        Command::Logs(a) => commands::infra::logs(a),
        Command::Doctor => commands::infra::doctor(),
        Command::Dev(a) => commands::dev::run(a),
        Command::Build(a) => commands::image::build(a),
        Command::Push(a) => commands::image::push(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::New(a) => commands::new::run(a),
        Command::Add(AddCommand::Service(a)) => commands::add::service(a),
        Command::Completions(a) => commands::completions::run(a),
    };
    match result {
        Ok(out) => {
            let _ = std::io::stdout().write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}

/// Warnings go to standard error, each with its file, line and help, and
/// stop nothing.
pub(crate) fn warn(warnings: &[looklook_diagnostics::Diagnostic]) {
    for w in warnings {
        eprintln!("{:?}", miette::Report::new(w.clone()));
    }
}

/// Stack-file errors keep their diagnostics; the rest are plain messages.
pub(crate) fn infra_error(e: looklook_stack::ops::InfraError) -> miette::Report {
    match e {
        looklook_stack::ops::InfraError::Definition(d) => miette::Report::new(d),
        other => miette::miette!("{other}"),
    }
}

/// Manifest errors keep their diagnostics; the rest are plain messages.
pub(crate) fn dev_error(e: looklook_dev::DevError) -> miette::Report {
    match e {
        looklook_dev::DevError::Definition(d) => miette::Report::new(d),
        other => miette::miette!("{other}"),
    }
}

/// Definition errors keep their diagnostics (file, line, snippet); the rest
/// are plain messages.
pub(crate) fn error(e: GenError) -> miette::Report {
    match e {
        GenError::Definition(d) => miette::Report::new(d),
        other => miette::miette!("{other}"),
    }
}
