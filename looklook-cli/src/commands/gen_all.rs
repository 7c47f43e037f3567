//! `looklook gen` with no subcommand: every service of looklook.toml; and
//! `looklook gen gateway|docker|kube`, one part of it alone.

use std::fmt::Write as _;
use std::path::PathBuf;

use looklook_gen::generate::{GenError, Part, gen_all, gen_part};

pub fn run(manifest: Option<PathBuf>) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let path = looklook_manifest::find(manifest.as_deref(), &here)
        .ok_or_else(|| crate::error(GenError::NoManifest(here)))?;
    let mut out = String::new();
    for (name, report) in gen_all(&path).map_err(crate::error)? {
        crate::warn(&report.warnings);
        let _ = write!(out, "{name}:\n{report}");
    }
    Ok(out)
}

pub fn part(manifest: Option<PathBuf>, part: Part) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let path = looklook_manifest::find(manifest.as_deref(), &here)
        .ok_or_else(|| crate::error(GenError::NoManifest(here)))?;
    Ok(gen_part(&path, part).map_err(crate::error)?.to_string())
}
