//! Two facts the generator takes from the workspace at build time, so that
//! neither is ever written twice:
//!
//! - `versions.rs`: the version of every dependency a generated crate
//!   names, read from the workspace's `[workspace.dependencies]`;
//! - `runtime.rs`: the source of `looklook-runtime`, with a stand-alone
//!   manifest (workspace inheritance resolved, dev-dependencies left out),
//!   which `looklook new` and `looklook gen` write into a project so that
//!   it builds anywhere, offline, against the runtime this generator was
//!   made for.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// The dependencies whose versions generated crates write, by the constant
/// the generator reads.
const VERSIONS: &[(&str, &str)] = &[
    ("ANYHOW", "anyhow"),
    ("AXUM", "axum"),
    ("CHRONO", "chrono"),
    ("PROST", "prost"),
    ("RUST_DECIMAL", "rust_decimal"),
    ("SERDE", "serde"),
    ("SERDE_JSON", "serde_json"),
    ("SQLX", "sqlx"),
    ("TOKIO", "tokio"),
    ("TONIC", "tonic"),
    ("TOWER_HTTP", "tower-http"),
    ("UUID", "uuid"),
    ("TRACING", "tracing"),
];

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = here.parent().unwrap();
    let runtime = root.join("looklook-runtime");
    println!(
        "cargo::rerun-if-changed={}",
        root.join("Cargo.toml").display()
    );
    println!("cargo::rerun-if-changed={}", runtime.display());

    let workspace = read_toml(&root.join("Cargo.toml"));
    let ws = &workspace["workspace"];
    let deps = ws["dependencies"].as_table().unwrap();
    let package = ws["package"].as_table().unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());

    let mut versions = String::new();
    for (constant, dep) in VERSIONS {
        let version = version_of(&deps[*dep]);
        writeln!(versions, "pub const {constant}: &str = {version:?};").unwrap();
    }
    let full = package["version"].as_str().unwrap();
    // Generated crates ask for the runtime by major.minor, as cargo does.
    let short = full.rsplit_once('.').map_or(full, |(mm, _)| mm);
    writeln!(versions, "pub const RUNTIME: &str = {short:?};").unwrap();
    writeln!(versions, "pub const RUNTIME_FULL: &str = {full:?};").unwrap();
    std::fs::write(out.join("versions.rs"), versions).unwrap();

    let manifest = standalone_manifest(&read_toml(&runtime.join("Cargo.toml")), package, deps);
    let mut files = vec![];
    collect(&runtime.join("src"), &runtime, &mut files);
    files.sort();
    let mut src = String::from(
        "/// `(path, contents)` of every source file.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for (rel, abs) in &files {
        writeln!(src, "    ({rel:?}, include_str!({abs:?})),").unwrap();
    }
    src.push_str("];\n");
    writeln!(
        src,
        "/// The stand-alone manifest.\npub const MANIFEST: &str = {manifest:?};"
    )
    .unwrap();
    std::fs::write(out.join("runtime.rs"), src).unwrap();
}

fn read_toml(path: &Path) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn version_of(dep: &Value) -> String {
    match dep {
        Value::String(v) => v.clone(),
        Value::Table(t) => t["version"].as_str().unwrap().to_string(),
        other => panic!("a dependency is a string or a table, not {other}"),
    }
}

/// The runtime's manifest with what it inherits from the workspace filled
/// in: what `cargo package` would publish, less the dev-dependencies.
fn standalone_manifest(runtime: &Table, package: &Table, deps: &Table) -> String {
    let mut out = Table::new();
    let mut pkg = runtime["package"].as_table().unwrap().clone();
    for (key, value) in pkg.iter_mut() {
        if is_inherited(value) {
            *value = package[key.as_str()].clone();
        }
    }
    out.insert("package".into(), Value::Table(pkg));
    let mut resolved = Table::new();
    for (name, dep) in runtime["dependencies"].as_table().unwrap() {
        let value = if is_inherited(dep) {
            let mut base = match &deps[name.as_str()] {
                Value::String(v) => {
                    Table::from_iter([("version".to_string(), Value::String(v.clone()))])
                }
                Value::Table(t) => t.clone(),
                other => panic!("{name}: {other}"),
            };
            for (key, extra) in dep.as_table().unwrap() {
                match key.as_str() {
                    "workspace" => {}
                    "features" => {
                        let mut all = base
                            .get("features")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        all.extend(extra.as_array().unwrap().iter().cloned());
                        base.insert("features".into(), Value::Array(all));
                    }
                    _ => {
                        base.insert(key.clone(), extra.clone());
                    }
                }
            }
            Value::Table(base)
        } else {
            dep.clone()
        };
        resolved.insert(name.clone(), value);
    }
    // One line a dependency and a feature, as a person writes a manifest.
    let mut text = toml::to_string(&out).unwrap();
    for (section, table) in [
        ("dependencies", &resolved),
        ("features", runtime["features"].as_table().unwrap()),
    ] {
        writeln!(text, "\n[{section}]").unwrap();
        for (name, value) in table {
            writeln!(text, "{name} = {value}").unwrap();
        }
    }
    text
}

fn is_inherited(value: &Value) -> bool {
    value
        .as_table()
        .and_then(|t| t.get("workspace"))
        .and_then(Value::as_bool)
        == Some(true)
}

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((rel, path.display().to_string()));
        }
    }
}
