//! A Dockerfile per process of the project manifest, and the build
//! context's `.dockerignore`.
//!
//! Each image is built from the workspace root in two stages: cargo builds
//! the one binary with its registry and target directory in BuildKit cache
//! mounts (a rebuild recompiles only what changed), then the binary and the
//! process's `etc/` go onto a small base (distroless `cc`: glibc and CA
//! certificates, no shell) and run as a user.

use std::fmt::Write;

use looklook_manifest::{DockerDef, ProcessDef};

use super::{FilePlan, GENERATED_HEADER_HASH, Owner};

/// The Rust the images are built with: the workspace's `rust-version`.
pub const RUST_VERSION: &str = env!("CARGO_PKG_RUST_VERSION");

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
        "# The image of {name}. Build it from the workspace root:\n\
         #   docker build -f {dir}/{name}.Dockerfile -t {name} .\n",
        dir = def.dir.trim_end_matches('/'),
    );
    let _ = writeln!(
        out,
        "# Build: the whole workspace as context; cargo's registry and target\n\
         # directory live in cache mounts, so a rebuild compiles only what changed.\n\
         FROM {builder} AS build\n\
         WORKDIR /src\n\
         COPY . .\n\
         RUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    \
         --mount=type=cache,target=/src/target \\\n    \
         cargo build --release --locked -p {package} --bin {bin} \\\n    \
         && cp target/release/{bin} /{bin}\n",
        builder = def
            .builder
            .clone()
            .unwrap_or_else(|| format!("rust:{RUST_VERSION}-bookworm")),
    );
    let _ = writeln!(
        out,
        "# Run: glibc and CA certificates, no shell, no package manager.\n\
         FROM {base}\n\
         WORKDIR /app\n\
         COPY --from=build /{bin} /app/{bin}",
        base = def.base,
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
