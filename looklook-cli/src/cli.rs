//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Generate, run and hot-reload Rust microservices from .api, .proto and SQL
/// definitions.
#[derive(Debug, Parser)]
#[command(name = "looklook", version, propagate_version = true)]
#[command(after_help = "Start with `looklook gen api service.api -o service-api`.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with .api files: check and format them.
    #[command(subcommand)]
    Api(ApiCommand),
    /// Generate a crate from a definition file.
    #[command(subcommand)]
    Gen(GenCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Parse and check an .api file and its imports; report every error.
    Check(ApiCheckArgs),
    /// Print an .api file in the canonical layout, or rewrite it in place.
    Fmt(ApiFmtArgs),
}

#[derive(Debug, Args)]
pub struct ApiCheckArgs {
    /// The .api file.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ApiFmtArgs {
    /// The .api file.
    pub file: PathBuf,
    /// Rewrite the file instead of printing it.
    #[arg(long, short = 'w', conflicts_with = "check")]
    pub write: bool,
    /// Exit with status 1 if the file is not formatted; print nothing.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// An axum HTTP service crate from an .api file.
    ///
    /// Files marked `DO NOT EDIT` are rewritten on every run; the rest (logic,
    /// middleware, config, main) are created once and then left to you. New
    /// routes add new logic files and their `pub mod` lines.
    Api(GenApiArgs),
}

#[derive(Debug, Args)]
pub struct GenApiArgs {
    /// The .api file.
    pub file: PathBuf,
    /// The crate's directory (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Path to looklook-runtime; found by looking up from DIR when omitted,
    /// else taken from crates.io.
    #[arg(long, value_name = "PATH")]
    pub runtime_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}
