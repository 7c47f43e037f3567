//! The runtime a project builds against when it has no source of its own.
//!
//! looklook carries the source of the `looklook-runtime` it was built with
//! (see `build.rs`). A project outside this repository gets that copy in
//! `vendor/looklook-runtime`, generated-owned: committed with the project,
//! so every clone builds offline against the same runtime, and rewritten
//! by `looklook gen` when a newer looklook brings a newer runtime. The
//! generated crates name it by version and path together, so once the
//! runtime is published the path is all a team removes.

use crate::codegen::{FilePlan, GENERATED_HEADER, GENERATED_HEADER_HASH, Owner};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/runtime.rs"));
}

/// Where a project keeps the runtime, relative to its root.
pub const VENDOR_DIR: &str = "vendor/looklook-runtime";

/// The runtime's files, under [`VENDOR_DIR`].
pub fn plan() -> FilePlan {
    let mut plan = FilePlan::default();
    let note = format!(
        "// looklook-runtime {}, as this looklook carries it; `looklook gen` rewrites it.",
        crate::versions::RUNTIME_FULL
    );
    for (path, text) in embedded::FILES {
        plan.add(
            format!("{VENDOR_DIR}/{path}"),
            Owner::Generated,
            format!("{GENERATED_HEADER}\n{note}\n{text}"),
        );
    }
    plan.add(
        format!("{VENDOR_DIR}/Cargo.toml"),
        Owner::Generated,
        format!(
            "{GENERATED_HEADER_HASH}\n# looklook-runtime as this looklook carries it, with what it inherited filled in.\n{}",
            embedded::MANIFEST
        ),
    );
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_holds_the_whole_runtime() {
        let plan = plan();
        let lib = plan
            .get("vendor/looklook-runtime/src/lib.rs")
            .expect("lib.rs");
        assert!(lib.contents.starts_with(GENERATED_HEADER));
        let manifest = &plan
            .get("vendor/looklook-runtime/Cargo.toml")
            .unwrap()
            .contents;
        let parsed: toml::Table = manifest.parse().unwrap();
        let package = parsed["package"].as_table().unwrap();
        assert_eq!(package["name"].as_str(), Some("looklook-runtime"));
        assert_eq!(
            package["version"].as_str(),
            Some(crate::versions::RUNTIME_FULL)
        );
        // Nothing is left to inherit from a workspace the project lacks.
        assert!(!manifest.contains("workspace"), "{manifest}");
        assert!(parsed.get("dev-dependencies").is_none());
        let features = parsed["features"].as_table().unwrap();
        for feature in ["rpc", "model", "kafka"] {
            assert!(features.contains_key(feature), "{feature}");
        }
    }
}
