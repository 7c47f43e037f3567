//! `looklook gen` with no subcommand: every service of looklook.toml; and
//! `looklook gen gateway`, the part of it that is the gateway's config.

use std::fmt::Write as _;
use std::path::PathBuf;

use looklook_gen::generate::{GenError, gen_all, gen_gateway};

pub fn run(manifest: Option<PathBuf>) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let path = looklook_manifest::find(manifest.as_deref(), &here)
        .ok_or_else(|| crate::error(GenError::NoManifest(here)))?;
    let mut out = String::new();
    for (name, report) in gen_all(&path).map_err(crate::error)? {
        let _ = write!(out, "{name}:\n{report}");
    }
    Ok(out)
}

pub fn gateway(manifest: Option<PathBuf>) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let path = looklook_manifest::find(manifest.as_deref(), &here)
        .ok_or_else(|| crate::error(GenError::NoManifest(here)))?;
    Ok(gen_gateway(&path).map_err(crate::error)?.to_string())
}
