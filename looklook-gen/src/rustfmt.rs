//! Formatting generated Rust with the toolchain's rustfmt, so generated
//! crates pass `cargo fmt --check` as they are. One rustfmt process formats
//! every `.rs` file of a plan.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::codegen::{FilePlan, Owner, PlannedFile};

#[derive(Debug, thiserror::Error)]
pub enum RustfmtError {
    /// rustfmt is not installed: the files stay as prettyplease laid them out.
    #[error(
        "rustfmt was not found; the generated Rust is readable but not rustfmt-formatted (rustup component add rustfmt)"
    )]
    Missing,
    #[error("rustfmt failed on generated code: {0}")]
    Failed(String),
    #[error("cannot stage files for rustfmt: {0}")]
    Io(#[from] std::io::Error),
}

/// Format the Rust files of `plan` that `which` selects, in place, as
/// edition 2024.
pub fn format_plan(
    plan: &mut FilePlan,
    which: impl Fn(&PlannedFile) -> bool,
) -> Result<(), RustfmtError> {
    format_plans(&mut [plan], which)
}

/// Format the selected Rust files of every plan in one pass. Starting
/// rustfmt costs more than formatting a generated file, so the files of all
/// plans share one process per core, each given about the same number of
/// bytes.
pub fn format_plans(
    plans: &mut [&mut FilePlan],
    which: impl Fn(&PlannedFile) -> bool,
) -> Result<(), RustfmtError> {
    let dir = tempfile::tempdir()?;
    let mut staged = Vec::new();
    let mut modules = false;
    for (p, plan) in plans.iter().enumerate() {
        for (i, file) in plan.files.iter().enumerate() {
            if file.path.extension().is_some_and(|e| e == "rs") && which(file) {
                // Each plan in its own directory, in its own layout, so
                // rustfmt finds the files `mod` lines name.
                let path = dir.path().join(p.to_string()).join(&file.path);
                std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))?;
                std::fs::write(&path, &file.contents)?;
                modules |= declares_modules(&file.contents);
                let bytes = file.contents.len();
                staged.push(Staged {
                    plan: p,
                    file: i,
                    path,
                    bytes,
                });
            }
        }
    }
    if staged.is_empty() {
        return Ok(());
    }
    // rustfmt formats the modules a file declares too: with `mod` lines in
    // play, one process, so no two write the same file.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let procs = if modules { 1 } else { cores.min(staged.len()) };
    let children = balance(&staged, procs)
        .into_iter()
        .map(|files| {
            Command::new("rustfmt")
                .args(["--edition", "2024"])
                .args(files.iter().map(|&k| staged[k].path.as_path()))
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RustfmtError::Missing,
            _ => RustfmtError::Io(e),
        })?;
    for child in children {
        let out = child.wait_with_output()?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(RustfmtError::Failed(strip_dir(&stderr, dir.path())));
        }
    }
    for s in staged {
        plans[s.plan].files[s.file].contents = std::fs::read_to_string(s.path)?;
    }
    Ok(())
}

/// A file copied out for rustfmt: which plan and file it came from.
struct Staged {
    plan: usize,
    file: usize,
    path: PathBuf,
    bytes: usize,
}

/// Split the staged files over `procs` processes: largest first, each to
/// the process with the fewest bytes so far.
fn balance(staged: &[Staged], procs: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..staged.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(staged[k].bytes));
    let mut groups = vec![(0usize, Vec::new()); procs];
    for k in order {
        let (bytes, files) = groups
            .iter_mut()
            .min_by_key(|(bytes, _)| *bytes)
            .expect("at least one process");
        *bytes += staged[k].bytes;
        files.push(k);
    }
    groups.into_iter().map(|(_, files)| files).collect()
}

/// The files rustfmt must see: what looklook generates from tokens, except
/// module files (sorted `pub mod` lines, already in rustfmt's layout). The
/// scaffolded files come from templates written in rustfmt's layout; a test
/// checks both claims.
pub fn needs_rustfmt(file: &PlannedFile) -> bool {
    file.owner == Owner::Generated && !declares_modules(&file.contents)
}

/// `mod x;` lines: rustfmt would go and format `x.rs` as well. (Inline
/// modules, `mod x { ... }`, are fine.)
fn declares_modules(src: &str) -> bool {
    src.lines()
        .any(|l| (l.starts_with("mod ") || l.starts_with("pub mod ")) && l.ends_with(';'))
}

fn strip_dir(text: &str, dir: &Path) -> String {
    text.replace(&format!("{}/", dir.display()), "")
}
