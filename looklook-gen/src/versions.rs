//! The versions generated crates ask for: read from the workspace's
//! `[workspace.dependencies]` when looklook is built (see `build.rs`), so a
//! generated service gets exactly the versions looklook itself is tested
//! with, and a version is written in one place only.

include!(concat!(env!("OUT_DIR"), "/versions.rs"));
