//! One `cargo build` for the binaries that need it, read through cargo's
//! JSON messages: where each binary was written, and the compiler's errors
//! as it renders them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Message, TargetKind};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// A binary of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BinTarget {
    pub package: String,
    pub bin: String,
}

#[derive(Debug, Default)]
pub struct Build {
    /// The binaries that were built, and where.
    pub executables: BTreeMap<BinTarget, PathBuf>,
    /// The compiler's errors (or cargo's own, such as a broken
    /// `Cargo.toml`), rendered; empty when the build succeeded.
    pub errors: String,
    pub took: Duration,
}

impl Build {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot run cargo: {0}")]
pub struct BuildError(#[from] pub std::io::Error);

/// Build `targets` in the workspace at `root`. With `--keep-going`, a crate
/// that fails does not stop the others: each binary that builds can be
/// restarted even when another one is broken.
pub async fn build(root: &Path, targets: &[BinTarget], color: bool) -> Result<Build, BuildError> {
    build_with_profile(root, targets, color, None).await
}

/// [`build`] with a cargo profile (`release`, say) instead of `dev`.
pub async fn build_with_profile(
    root: &Path,
    targets: &[BinTarget],
    color: bool,
    profile: Option<&str>,
) -> Result<Build, BuildError> {
    let started = Instant::now();
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root)
        .arg("build")
        .arg("--keep-going")
        .args(profile.map(|p| format!("--profile={p}")))
        .arg(match color {
            true => "--message-format=json-diagnostic-rendered-ansi",
            false => "--message-format=json",
        });
    for target in targets {
        cmd.args(["-p", &target.package, "--bin", &target.bin]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Ctrl-C while building: dropping the future stops cargo too.
        .kill_on_drop(true)
        .spawn()?;
    let mut stderr = child.stderr.take().expect("piped stderr");
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut build = Build::default();
    let mut errors = Vec::new();
    while let Some(line) = lines.next_line().await? {
        match serde_json::from_str::<Message>(&line) {
            Ok(Message::CompilerArtifact(artifact)) => {
                if let (Some(exe), true) = (
                    artifact.executable,
                    artifact.target.is_kind(TargetKind::Bin),
                ) {
                    let package = targets
                        .iter()
                        .find(|t| t.bin == artifact.target.name)
                        .map(|t| t.package.clone())
                        .unwrap_or_default();
                    build.executables.insert(
                        BinTarget {
                            package,
                            bin: artifact.target.name.clone(),
                        },
                        exe.into_std_path_buf(),
                    );
                }
            }
            Ok(Message::CompilerMessage(msg)) => {
                if matches!(
                    msg.message.level,
                    DiagnosticLevel::Error | DiagnosticLevel::Ice
                ) && let Some(rendered) = msg.message.rendered
                {
                    errors.push(rendered);
                }
            }
            _ => {}
        }
    }
    let status = child.wait().await?;
    let stderr = stderr.await.unwrap_or_default();
    if !status.success() {
        if errors.is_empty() {
            // Not the compiler: cargo itself (a broken manifest, say).
            errors.push(stderr.trim().to_string());
        }
        if errors.iter().all(|e| e.trim().is_empty()) {
            errors = vec![format!("cargo build failed ({status})")];
        }
    }
    build.errors = errors.join("\n");
    build.took = started.elapsed();
    Ok(build)
}
