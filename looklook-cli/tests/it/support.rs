//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

pub fn examples() -> PathBuf {
    workspace().join("examples")
}

/// `file:line:col message` for every diagnostic.
pub fn brief(d: &looklook::apidsl::Diagnostics) -> Vec<String> {
    d.iter()
        .map(|e| {
            let file = e.path.file_name().unwrap_or_default().to_string_lossy();
            format!("{file}:{}:{} {}", e.line, e.column, e.message)
        })
        .collect()
}
