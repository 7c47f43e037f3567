//! A Dockerfile per process of the project manifest, and the build
//! context's `.dockerignore`.
//!
//! Each image is built from the workspace root: cargo-chef compiles the
//! dependencies in a layer of their own (any builder caches it, so a
//! rebuild recompiles only the workspace's crates), cargo builds the one
//! binary, then the binary and the process's `etc/` go onto a small base
//! (distroless `cc`: glibc and CA certificates, no shell) and run as a user.
//! The last stage stands alone from its `FROM` on: `looklook build
//! --prebuilt` feeds it a binary built on the host instead.

use std::fmt::Write;

use looklook_manifest::{DockerDef, ProcessDef};

use super::{FilePlan, GENERATED_HEADER_HASH, Owner};

/// The Rust the images are built with: the workspace's `rust-version`.
pub const RUST_VERSION: &str = env!("CARGO_PKG_RUST_VERSION");

/// The cargo-chef the build stage installs: the layer of compiled
/// dependencies is only as stable as the tool that plans it.
pub const CARGO_CHEF_VERSION: &str = "0.1.78";

/// One process to build an image of.
pub struct Image<'a> {
    pub process: &'a ProcessDef,
    /// Its crate's directory, relative to the workspace root (`etc/` is in it).
    pub crate_dir: String,
    /// Whether the crate has an `etc/` directory to copy.
    pub has_etc: bool,
}

pub fn plan(def: &DockerDef, images: &[Image]) -> FilePlan {
    let mut plan = FilePlan::default();
    let dir = def.dir.trim_end_matches('/');
    for image in images {
        plan.add(
            format!("{dir}/{}.Dockerfile", image.process.name.get_ref()),
            Owner::Generated,
            dockerfile(def, image),
        );
    }
    plan.add(".dockerignore", Owner::Generated, dockerignore());
    plan.finish()
}

fn dockerfile(def: &DockerDef, image: &Image) -> String {
    let p = image.process;
    let name = p.name.get_ref();
    let package = p.package.get_ref();
    let bin = p
        .bin
        .as_ref()
        .map_or(package.as_str(), |b| b.get_ref().as_str());
    let mut out = String::new();
    let _ = writeln!(out, "{GENERATED_HEADER_HASH}");
    let _ = writeln!(
        out,
        "# The image of {name}. Build it from the workspace root with\n\
         #   looklook build {name}\n\
         # or any engine's own command:\n\
         #   docker build -f {dir}/{name}.Dockerfile -t {name} .\n",
        dir = def.dir.trim_end_matches('/'),
    );
    let _ = writeln!(
        out,
        "# The two bases; `--build-arg` (or `looklook build --builder/--base`)\n\
         # swaps either, for a mirror or a pinned digest.\n\
         ARG BUILDER={builder}\n\
         ARG BASE={base}\n",
        builder = def
            .builder
            .clone()
            .unwrap_or_else(|| format!("rust:{RUST_VERSION}-bookworm")),
        base = def.base,
    );
    let _ = writeln!(
        out,
        "# Build: cargo-chef compiles the dependencies alone, from a recipe of\n\
         # the workspace's manifests, into a layer every builder caches (Docker's\n\
         # classic one, BuildKit, Buildah) until Cargo.lock or a manifest\n\
         # changes; an edit to the code recompiles only the workspace's crates.\n\
         FROM ${{BUILDER}} AS chef\n\
         RUN cargo install cargo-chef --locked --version {CARGO_CHEF_VERSION}\n\
         WORKDIR /src\n\
         \n\
         FROM chef AS plan\n\
         COPY . .\n\
         RUN cargo chef prepare --recipe-path recipe.json\n\
         \n\
         FROM chef AS build\n\
         COPY --from=plan /src/recipe.json recipe.json\n\
         RUN cargo chef cook --release --locked --recipe-path recipe.json \\\n    \
         -p {package} --bin {bin}\n\
         COPY . .\n\
         RUN cargo build --release --locked -p {package} --bin {bin} \\\n    \
         && cp target/release/{bin} /{bin}\n",
    );
    let _ = writeln!(
        out,
        "# Run: glibc and CA certificates, no shell, no package manager.\n\
         FROM ${{BASE}}\n\
         WORKDIR /app\n\
         COPY --from=build /{bin} /app/{bin}",
    );
    if image.has_etc {
        let _ = writeln!(out, "COPY {}/etc /app/etc", image.crate_dir);
    }
    let ports: Vec<String> = [p.port, p.metrics_port]
        .iter()
        .flatten()
        .map(u16::to_string)
        .collect();
    if !ports.is_empty() {
        let _ = writeln!(out, "EXPOSE {}", ports.join(" "));
    }
    let _ = writeln!(out, "USER 65532:65532\nENTRYPOINT [\"/app/{bin}\"]");
    out
}

fn dockerignore() -> String {
    format!(
        "{GENERATED_HEADER_HASH}\n\
         # What never goes into an image's build context.\n\
         target/\n\
         .git/\n\
         .looklook/\n\
         **/node_modules/\n\
         *.log\n"
    )
}
