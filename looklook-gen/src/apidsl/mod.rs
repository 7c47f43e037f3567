//! The go-zero API language (`.api` files, syntax "v1"): scanner, parser,
//! semantic checks, formatter and diagnostics.
//!
//! `load` reads a file and its imports, `check` turns them into a [`Spec`]
//! that the generators read.

pub mod ast;
pub mod check;

pub mod format;
pub mod json;
pub mod lexer;
pub mod parser;
pub mod spec;

use std::path::Path;

pub use check::{Parsed, check, load};
pub use looklook_diagnostics::{Diagnostic, Diagnostics, SourceFile, Span};
pub use spec::Spec;

/// Load `path` with its imports from disk and check it.
pub fn load_spec(path: &Path) -> Result<Spec, Diagnostics> {
    let files = load(path, &|p| std::fs::read_to_string(p))?;
    check(&files)
}

/// A one-file spec from text, for tests.
#[cfg(test)]
pub(crate) fn spec_of(text: &str) -> Spec {
    let text = text.to_string();
    let files = load(Path::new("t.api"), &|_| Ok(text.clone())).unwrap();
    check(&files).unwrap()
}
