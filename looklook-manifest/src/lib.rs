//! The project manifest (`looklook.toml`): the services whose crates
//! `looklook gen` (with no arguments) regenerates from their definitions,
//! and the processes `looklook dev` runs. Each process is a binary of a
//! crate in the cargo workspace, with its arguments, environment and
//! working directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use looklook_diagnostics::{Diagnostic, Diagnostics, SourceFile, Span};

/// The file every command looks for, walking up from the current directory.
pub const MANIFEST: &str = "looklook.toml";

/// The file `looklook up` looks for, walking up from the current directory.
pub const STACK_FILE: &str = "looklook.stack.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub dev: DevSettings,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceDef>,
    #[serde(default, rename = "process")]
    pub processes: Vec<ProcessDef>,
}

/// A service's definitions and where its crates go: `<dir>/api` from the
/// `.api` file, `<dir>/rpc` from the `.proto`, `<dir>/model` from the SQL.
/// Paths are relative to the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub name: Spanned<String>,
    pub dir: String,
    pub api: Option<String>,
    pub proto: Option<String>,
    pub sql: Option<String>,
    /// The model's database [default: the SQL file's name].
    pub database: Option<String>,
    /// Put the model's reads by key behind Redis.
    #[serde(default)]
    pub cache: bool,
}

/// How the dev loop behaves; the defaults suit most projects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSettings {
    /// Quiet time after the last save before a rebuild starts: one rebuild
    /// for a burst of saves.
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u64,
    /// How long a process has to exit after SIGTERM before it gets SIGKILL.
    #[serde(default = "default_grace_ms")]
    pub grace_ms: u64,
}

impl Default for DevSettings {
    fn default() -> Self {
        DevSettings {
            debounce_ms: default_debounce_ms(),
            grace_ms: default_grace_ms(),
        }
    }
}

impl DevSettings {
    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }

    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.grace_ms)
    }
}

fn default_debounce_ms() -> u64 {
    50
}

fn default_grace_ms() -> u64 {
    5000
}

/// One process: a binary of a workspace crate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessDef {
    /// What output lines and messages call it.
    pub name: Spanned<String>,
    /// The cargo package the binary belongs to.
    pub package: Spanned<String>,
    /// The binary [default: the package's only binary].
    pub bin: Option<Spanned<String>>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where it runs, relative to the manifest [default: the package's
    /// directory, so `etc/<name>.yaml` is found as with `cargo run`].
    pub cwd: Option<String>,
    /// More files or directories whose changes restart it (its config, say),
    /// relative to the manifest.
    #[serde(default)]
    pub watch: Vec<String>,
    /// A TCP port it listens on: the dev loop reports when it answers there.
    pub port: Option<u16>,
}

/// Read and check a manifest. Unknown keys, bad values and duplicate names
/// are reported with their place; whether packages and binaries exist is
/// checked against the workspace later ([`super::resolve`]).
pub fn load(path: &Path) -> Result<(SourceFile, Manifest), Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::file(
            path,
            format!("cannot read the manifest: {e}"),
        )])
    })?;
    let file = SourceFile::new(path, text);
    let manifest = parse(&file)?;
    Ok((file, manifest))
}

pub fn parse(file: &SourceFile) -> Result<Manifest, Diagnostics> {
    let manifest: Manifest = looklook_diagnostics::from_toml(file)?;
    let mut errors = Vec::new();
    let mut seen: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
    for service in &manifest.services {
        if service.api.is_none() && service.proto.is_none() && service.sql.is_none() {
            errors.push(file.error(
                span(&service.name),
                format!(
                    "service `{}` names no definition: give it `api`, `proto` or `sql`",
                    service.name.get_ref()
                ),
            ));
        }
    }
    for process in &manifest.processes {
        let name = &process.name;
        if !plain(name.get_ref()) {
            errors.push(file.error(
                span(name),
                format!(
                    "process name `{}` must be lower-case letters, digits and `-`",
                    name.get_ref()
                ),
            ));
        }
        if let Some(first) = seen.insert(name.get_ref(), name) {
            let (line, _) = file.line_col(first.span().start);
            errors.push(file.error(
                span(name),
                format!(
                    "there is already a process named `{}` (line {line})",
                    name.get_ref()
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(manifest)
    } else {
        Err(Diagnostics(errors).sorted())
    }
}

pub fn span<T>(s: &Spanned<T>) -> Span {
    Span::new(s.span().start, s.span().end)
}

fn plain(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The given manifest, else the nearest `looklook.toml` from `from` upwards.
pub fn find(given: Option<&Path>, from: &Path) -> Option<PathBuf> {
    match given {
        Some(path) => Some(path.to_path_buf()),
        None => from
            .ancestors()
            .map(|dir| dir.join(MANIFEST))
            .find(|p| p.is_file()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Manifest, String> {
        let file = SourceFile::new("looklook.toml", text);
        parse(&file).map_err(|d| {
            d.iter()
                .map(|d| format!("{}:{}", d.line, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn reads_processes_with_defaults() {
        let m = check(
            r#"
[[process]]
name = "user-api"
package = "usercenter-api"
args = ["-f", "etc/user.yaml"]
env = { RUST_LOG = "debug" }
port = 8888
"#,
        )
        .unwrap();
        assert_eq!(m.dev.debounce_ms, 50);
        assert_eq!(m.dev.grace_ms, 5000);
        let p = &m.processes[0];
        assert_eq!(p.name.get_ref(), "user-api");
        assert_eq!(p.package.get_ref(), "usercenter-api");
        assert!(p.bin.is_none());
        assert_eq!(p.args, ["-f", "etc/user.yaml"]);
        assert_eq!(p.env["RUST_LOG"], "debug");
        assert_eq!(p.port, Some(8888));
    }

    #[test]
    fn reports_duplicates_bad_names_and_unknown_keys_with_lines() {
        let err = check(
            r#"
[[process]]
name = "api"
package = "a"

[[process]]
name = "api"
package = "b"

[[process]]
name = "Worker"
package = "c"
"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "7:there is already a process named `api` (line 3)\n\
             11:process name `Worker` must be lower-case letters, digits and `-`"
        );
        let err = check("[[process]]\nname = \"a\"\npackage = \"a\"\nport = \"x\"\n").unwrap_err();
        assert!(err.starts_with("4:"), "{err}");
        let err = check("[dev]\ndebounce = 5\n").unwrap_err();
        assert!(err.contains("unknown field `debounce`"), "{err}");
    }
}
