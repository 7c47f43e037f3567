//! Formatting generated Rust with the toolchain's rustfmt, so generated
//! crates pass `cargo fmt --check` as they are. One rustfmt process formats
//! every `.rs` file of a plan.

use std::path::Path;
use std::process::Command;

use crate::codegen::FilePlan;

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

/// Format every Rust file of `plan` in place, as edition 2024.
pub fn format_plan(plan: &mut FilePlan) -> Result<(), RustfmtError> {
    let dir = tempfile::tempdir()?;
    let mut staged = Vec::new();
    for (i, file) in plan.files.iter().enumerate() {
        if file.path.extension().is_some_and(|e| e == "rs") {
            let p = dir.path().join(&file.path);
            std::fs::create_dir_all(p.parent().unwrap_or(dir.path()))?;
            std::fs::write(&p, &file.contents)?;
            staged.push((i, p));
        }
    }
    if staged.is_empty() {
        return Ok(());
    }
    let out = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(staged.iter().map(|(_, p)| p.as_path()))
        .current_dir(dir.path())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RustfmtError::Missing,
            _ => RustfmtError::Io(e),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(RustfmtError::Failed(strip_dir(&stderr, dir.path())));
    }
    for (i, p) in staged {
        plan.files[i].contents = std::fs::read_to_string(p)?;
    }
    Ok(())
}

fn strip_dir(text: &str, dir: &Path) -> String {
    text.replace(&format!("{}/", dir.display()), "")
}
