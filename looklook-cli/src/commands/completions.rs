//! `looklook completions SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> miette::Result<String> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "looklook", &mut out);
    String::from_utf8(out).map_err(|e| miette::miette!("completion script is not UTF-8: {e}"))
}
