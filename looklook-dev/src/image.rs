//! `looklook build` and `looklook push`: an image per process, from the
//! Dockerfiles `looklook gen` writes (`[docker]` in the manifest), through
//! the engine's API.
//!
//! Two ways to build:
//! - from source (the default): the workspace, less what `.dockerignore`
//!   names, is the context, and the Dockerfile's stages compile the binary
//!   in the builder image;
//! - `--prebuilt`: cargo builds the binaries here, and only the Dockerfile's
//!   last stage (the one the image runs) is built, fed each binary instead
//!   of the build stage's output. It needs no Rust image and reuses this
//!   machine's build; the binary must run on the base's glibc.
//!
//! Images are named `<registry>/<process>:<tag>` (the rule
//! [`manifest::image_repository`] also gives the Kubernetes manifests): the
//! registry from `--registry`, else `[kube] registry`, else
//! `localhost/<the workspace's directory>`; the tag from `--tag`, else the
//! commit's short hash.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use looklook_manifest::{self as manifest, Manifest};
use looklook_stack::Event;
use looklook_stack::docker::{self as engine, DockerError};
use looklook_stack::image::{self, BuildRequest};

use crate::build::{self, BuildError};
use crate::{DevError, Process};

/// What `looklook build` and `looklook push` were asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// The project manifest (`looklook.toml`).
    pub manifest: PathBuf,
    /// Only these processes; every one with a Dockerfile when empty.
    pub only: Vec<String>,
    pub registry: Option<String>,
    pub tag: Option<String>,
    /// Build the binaries here, with this cargo profile, and only the
    /// image's run stage.
    pub prebuilt: Option<String>,
    /// The run stage's base image (the Dockerfile's `BASE`).
    pub base: Option<String>,
    /// The build stages' image (the Dockerfile's `BUILDER`).
    pub builder: Option<String>,
    /// The engine's socket (`unix:///…` or `tcp://…`).
    pub socket: String,
}

/// An image that was built, or pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub process: String,
    /// `repository:tag`.
    pub name: String,
    /// The engine's id after a build; the registry's digest after a push,
    /// when the engine reports one.
    pub id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Load(#[from] DevError),
    #[error(
        "{} has no [docker] table, so no process has a Dockerfile: add one (dir = \"deploy/docker\") and run `looklook gen`",
        .0.display()
    )]
    NoDocker(PathBuf),
    #[error("`{name}` has no image: it is in [docker] exclude")]
    Excluded { name: String },
    #[error("{}: no such Dockerfile; `looklook gen` writes it", .0.display())]
    NoDockerfile(PathBuf),
    #[error(
        "{}: --prebuilt builds the last stage alone, which must copy /{bin} from the `build` stage as the generated Dockerfiles do",
        .path.display()
    )]
    NotPrebuildable { path: PathBuf, bin: String },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}", .path.display())]
    Ignore { path: PathBuf, message: String },
    #[error(
        "cannot tag the images: {} is not in a git repository with a commit; pass --tag",
        .0.display()
    )]
    NoCommit(PathBuf),
    #[error(transparent)]
    Cargo(#[from] BuildError),
    #[error("the build failed:\n{0}")]
    Compile(String),
    #[error(transparent)]
    Engine(#[from] DockerError),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One process to make an image of.
struct Job {
    process: Process,
    dockerfile: PathBuf,
    image: String,
}

/// [`build`] on a runtime of its own, for a command.
pub fn build_blocking(
    opts: &ImageOptions,
    on: &mut dyn FnMut(Event),
) -> Result<Vec<Image>, ImageError> {
    runtime()?.block_on(build(opts, on))
}

/// [`push`] on a runtime of its own, for a command.
pub fn push_blocking(
    opts: &ImageOptions,
    on: &mut dyn FnMut(Event),
) -> Result<Vec<Image>, ImageError> {
    runtime()?.block_on(push(opts, on))
}

fn runtime() -> Result<tokio::runtime::Runtime, ImageError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ImageError::Load(DevError::Runtime(e)))
}

/// Build the image of each process asked for.
pub async fn build(
    opts: &ImageOptions,
    on: &mut dyn FnMut(Event),
) -> Result<Vec<Image>, ImageError> {
    let (root, jobs) = plan(opts)?;
    let docker = engine::connect(&opts.socket).await?;
    let mut args = HashMap::new();
    if let Some(base) = &opts.base {
        args.insert("BASE".to_string(), base.clone());
    }
    if let Some(builder) = &opts.builder {
        args.insert("BUILDER".to_string(), builder.clone());
    }
    let binaries = match &opts.prebuilt {
        Some(profile) => {
            let targets: Vec<_> = jobs.iter().map(|j| j.process.target.clone()).collect();
            let built = build::build_with_profile(&root, &targets, false, Some(profile)).await?;
            if !built.ok() {
                return Err(ImageError::Compile(built.errors));
            }
            built.executables
        }
        None => Default::default(),
    };
    // From source, every image has the same context: it is packed once.
    let workspace = match opts.prebuilt {
        None => Some(Bytes::from(workspace_context(&root)?)),
        Some(_) => None,
    };
    let mut images = Vec::new();
    for job in jobs {
        let request = match &workspace {
            Some(context) => BuildRequest {
                image: job.image.clone(),
                context: context.clone(),
                dockerfile: relative(&root, &job.dockerfile),
                args: args.clone(),
            },
            None => {
                let bin = &job.process.target.bin;
                let exe = binaries.get(&job.process.target).ok_or_else(|| {
                    ImageError::Compile(format!("cargo reported no binary `{bin}`"))
                })?;
                let text =
                    std::fs::read_to_string(&job.dockerfile).map_err(io_error(&job.dockerfile))?;
                let run_stage =
                    prebuilt_dockerfile(&text, bin).ok_or_else(|| ImageError::NotPrebuildable {
                        path: job.dockerfile.clone(),
                        bin: bin.clone(),
                    })?;
                BuildRequest {
                    image: job.image.clone(),
                    context: Bytes::from(prebuilt_context(&root, &run_stage, bin, exe)?),
                    dockerfile: PREBUILT_DOCKERFILE.into(),
                    args: args.clone(),
                }
            }
        };
        let id = image::build(&docker, request, on).await?;
        images.push(Image {
            process: job.process.name,
            name: job.image,
            id: Some(id),
        });
    }
    Ok(images)
}

/// Push the image of each process asked for, as `build` named it.
pub async fn push(
    opts: &ImageOptions,
    on: &mut dyn FnMut(Event),
) -> Result<Vec<Image>, ImageError> {
    let (_, jobs) = plan(opts)?;
    let docker = engine::connect(&opts.socket).await?;
    let mut images = Vec::new();
    for job in jobs {
        let digest = image::push(&docker, &job.image, None, on).await?;
        images.push(Image {
            process: job.process.name,
            name: job.image,
            id: digest,
        });
    }
    Ok(images)
}

/// The processes asked for, each with its Dockerfile and image name.
fn plan(opts: &ImageOptions) -> Result<(PathBuf, Vec<Job>), ImageError> {
    let (manifest, _, processes) = crate::load(&opts.manifest, &opts.only)?;
    let root = opts
        .manifest
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let Some(docker) = &manifest.docker else {
        return Err(ImageError::NoDocker(opts.manifest.clone()));
    };
    if let Some(name) = opts.only.iter().find(|n| docker.exclude.contains(n)) {
        return Err(ImageError::Excluded { name: name.clone() });
    }
    let registry = registry(opts, &manifest, &root);
    let tag = match &opts.tag {
        Some(tag) => tag.clone(),
        None => commit(&root).ok_or_else(|| ImageError::NoCommit(root.clone()))?,
    };
    let dir = root.join(&docker.dir);
    let mut jobs = Vec::new();
    for process in processes {
        if docker.exclude.contains(&process.name) {
            continue;
        }
        let dockerfile = dir.join(format!("{}.Dockerfile", process.name));
        if !dockerfile.is_file() {
            return Err(ImageError::NoDockerfile(dockerfile));
        }
        let image = format!(
            "{}:{tag}",
            manifest::image_repository(&registry, &process.name)
        );
        jobs.push(Job {
            process,
            dockerfile,
            image,
        });
    }
    Ok((root, jobs))
}

fn registry(opts: &ImageOptions, manifest: &Manifest, root: &Path) -> String {
    if let Some(registry) = &opts.registry {
        return registry.clone();
    }
    if let Some(kube) = &manifest.kube {
        return kube.registry.clone();
    }
    let project = root
        .file_name()
        .map_or_else(|| "looklook".into(), |n| n.to_string_lossy().to_lowercase());
    format!("localhost/{project}")
}

/// The commit's short hash, as `git` abbreviates it.
fn commit(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()?;
    let hash = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !hash.is_empty()).then_some(hash)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// The workspace as a build context: every file but what `.dockerignore`
/// names. Its patterns are anchored at the root, as Docker reads them.
fn workspace_context(root: &Path) -> Result<Vec<u8>, ImageError> {
    let ignore = dockerignore(root)?;
    let mut tar = context_archive();
    let walk = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .filter_entry(move |entry| {
            let dir = entry.file_type().is_some_and(|t| t.is_dir());
            !ignore.matched(entry.path(), dir).is_ignore()
        })
        .build();
    for entry in walk {
        let entry = entry.map_err(|e| ImageError::Ignore {
            path: root.to_path_buf(),
            message: e.to_string(),
        })?;
        let path = entry.path();
        let name = relative(root, path);
        if name.is_empty() || entry.file_type().is_some_and(|t| t.is_dir()) {
            continue;
        }
        tar.append_path_with_name(path, &name)
            .map_err(io_error(path))?;
    }
    tar.into_inner().map_err(io_error(root))
}

/// An empty build context, written as every engine reads it.
fn context_archive() -> tar::Builder<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    // A link is stored as a link: following it could pack a file from
    // outside the workspace into the image.
    tar.follow_symlinks(false);
    // Files with holes (a linker's output often has them) as plain files:
    // Podman's builder refuses GNU sparse entries ("unhandled tar header
    // type 83").
    tar.sparse(false);
    tar
}

/// `.dockerignore`'s patterns as gitignore rules anchored at the root
/// (`target/` is the root's `target`, not any directory of that name).
fn dockerignore(root: &Path) -> Result<Gitignore, ImageError> {
    let path = root.join(".dockerignore");
    let mut builder = GitignoreBuilder::new(root);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error(&path)(e)),
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negated, pattern) = match line.strip_prefix('!') {
            Some(rest) => ("!", rest),
            None => ("", line),
        };
        let pattern = pattern.trim_start_matches('/');
        let anchored = match pattern.starts_with("**") {
            true => pattern.to_string(),
            false => format!("/{pattern}"),
        };
        builder
            .add_line(Some(path.clone()), &format!("{negated}{anchored}"))
            .map_err(|e| ImageError::Ignore {
                path: path.clone(),
                message: e.to_string(),
            })?;
    }
    builder.build().map_err(|e| ImageError::Ignore {
        path,
        message: e.to_string(),
    })
}

const PREBUILT_DOCKERFILE: &str = "Dockerfile.prebuilt";

/// The run stage of a generated Dockerfile, with a stage named `build`
/// that holds the host's binary at `/<bin>` where the run stage copies it
/// from; the `ARG`s before the first `FROM` (the bases) are kept. None when
/// the last stage copies no `/<bin>` from `build`.
pub fn prebuilt_dockerfile(text: &str, bin: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let is_from = |l: &&str| l.trim_start().to_ascii_uppercase().starts_with("FROM ");
    let first = lines.iter().position(is_from)?;
    let last = lines.iter().rposition(is_from)?;
    let run_stage = &lines[last..];
    let copies_bin = run_stage.iter().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("COPY"))
            && words.contains(&"--from=build")
            && words.contains(&format!("/{bin}").as_str())
    });
    if !copies_bin {
        return None;
    }
    let mut out = String::new();
    for line in lines[..first]
        .iter()
        .filter(|l| l.trim_start().to_ascii_uppercase().starts_with("ARG "))
    {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!("FROM scratch AS build\nCOPY {bin} /{bin}\n\n"));
    for line in run_stage {
        out.push_str(line);
        out.push('\n');
    }
    Some(out)
}

/// What the run stage reads: the Dockerfile, the binary at the root, and
/// each path its `COPY` lines (but `--from`) name, from the workspace.
fn prebuilt_context(
    root: &Path,
    dockerfile: &str,
    bin: &str,
    exe: &Path,
) -> Result<Vec<u8>, ImageError> {
    let mut tar = context_archive();
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, PREBUILT_DOCKERFILE, dockerfile.as_bytes())
        .map_err(io_error(root))?;
    tar.append_path_with_name(exe, bin).map_err(io_error(exe))?;
    for line in dockerfile.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [copy, sources @ .., _dest] = words.as_slice() else {
            continue;
        };
        if !copy.eq_ignore_ascii_case("COPY") || sources.iter().any(|w| w.starts_with("--")) {
            continue;
        }
        for source in sources.iter().filter(|s| **s != bin) {
            let path = root.join(source);
            if path.is_dir() {
                tar.append_dir_all(source, &path).map_err(io_error(&path))?;
            } else {
                tar.append_path_with_name(&path, source)
                    .map_err(io_error(&path))?;
            }
        }
    }
    tar.into_inner().map_err(io_error(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "# Code generated by looklook. DO NOT EDIT.\n\
        ARG BUILDER=rust:1.94-bookworm\n\
        ARG BASE=gcr.io/distroless/cc-debian12:nonroot\n\n\
        FROM ${BUILDER} AS chef\n\
        RUN cargo install cargo-chef\n\n\
        FROM chef AS build\n\
        RUN cargo build --release -p shop-api && cp target/release/shop-api /shop-api\n\n\
        FROM ${BASE}\n\
        WORKDIR /app\n\
        COPY --from=build /shop-api /app/shop-api\n\
        COPY api/etc /app/etc\n\
        ENTRYPOINT [\"/app/shop-api\"]\n";

    #[test]
    fn the_run_stage_takes_the_binary_from_the_context() {
        let text = prebuilt_dockerfile(GENERATED, "shop-api").unwrap();
        assert_eq!(
            text,
            "ARG BUILDER=rust:1.94-bookworm\n\
             ARG BASE=gcr.io/distroless/cc-debian12:nonroot\n\
             FROM scratch AS build\n\
             COPY shop-api /shop-api\n\n\
             FROM ${BASE}\n\
             WORKDIR /app\n\
             COPY --from=build /shop-api /app/shop-api\n\
             COPY api/etc /app/etc\n\
             ENTRYPOINT [\"/app/shop-api\"]\n"
        );
        // Another binary's Dockerfile cannot be fed this one.
        assert_eq!(prebuilt_dockerfile(GENERATED, "shop-rpc"), None);
        assert_eq!(prebuilt_dockerfile("FROM scratch\n", "shop-api"), None);
    }

    #[test]
    fn dockerignore_patterns_are_anchored_at_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join(".dockerignore"),
            "# comment\ntarget/\n**/node_modules/\n*.log\n!keep.log\n",
        )
        .unwrap();
        for file in [
            "target/debug/x",
            "src/target/kept.rs",
            "web/node_modules/a.js",
            "a.log",
            "keep.log",
            "src/b.log",
            "Cargo.toml",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        // A file with a hole, as a linker leaves a binary: packed as a plain
        // file, which every engine reads (Podman refuses sparse entries).
        let holed = std::fs::File::create(root.join("holed")).unwrap();
        holed.set_len(1 << 20).unwrap();
        let bytes = workspace_context(root).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert!(e.header().entry_type().is_file(), "{:?}", e.header());
                e.path().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        names.sort();
        // `*.log` is the root's logs only, as in Docker.
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Cargo.toml",
                "holed",
                "keep.log",
                "src/b.log",
                "src/target/kept.rs"
            ]
        );
    }
}
