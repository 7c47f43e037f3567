//! The plugin hook, as a plugin author uses it: `looklook gen api FILE -o DIR
//! --plugin CMD` runs a real program (a Python script, as goctl's plugins
//! are often written) with the checked definition on its standard input.

use std::fs;
use std::process::Command;

use crate::support::{examples, workspace};

/// A plugin that checks the schema version it was written for, then writes
/// one line per route into the output directory.
const PLUGIN: &str = r#"
import json, os, sys
WANTS = int(sys.argv[1])
doc = json.load(sys.stdin)
if doc["version"] != WANTS or os.environ["LOOKLOOK_API_JSON_VERSION"] != str(WANTS):
    sys.exit(f"routes.py needs schema version {WANTS}, got {doc['version']}")
out = sys.argv[2]
types = {t["name"]: t for t in doc["types"]}
with open(os.path.join(out, "routes.txt"), "w") as f:
    for g in doc["groups"]:
        for r in g["routes"]:
            fields = [x["key"] for x in types[r["request"]]["fields"]] if r["request"] else []
            f.write(f'{r["method"].upper()} {g["prefix"]}{r["path"]} {r["handler"]} {",".join(fields)}\n')
print("wrote routes.txt")
"#;

#[test]
fn a_plugin_reads_the_checked_definition_and_its_version() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("routes.py"), PLUGIN).unwrap();
    let looklook = |plugin: &str, out: &str| {
        Command::new(env!("CARGO_BIN_EXE_looklook"))
            .args(["gen", "api"])
            .arg(examples().join("sample/echo.api"))
            .args(["-o", out, "--runtime-path"])
            .arg(workspace().join("looklook-runtime"))
            .args(["--plugin", plugin])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };

    let out = looklook("python3 routes.py 1", "echo-api");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("note python3 routes.py 1: wrote routes.txt"),
        "{stdout}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("echo-api/routes.txt")).unwrap(),
        "POST /echo echo name,count,tags\n"
    );
    assert!(dir.path().join("echo-api/src/main.rs").exists());

    // A plugin written for another version refuses, and looklook says why.
    let out = looklook("python3 routes.py 2", "echo-api-2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr.contains("plugin `python3 routes.py 2`: exit status: 1")
            && stderr.contains("routes.py needs schema version 2, got 1"),
        "{stderr}"
    );

    // A command that does not exist is named.
    let out = looklook("no-such-plugin --flag", "echo-api-3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plugin `no-such-plugin --flag`: cannot start `no-such-plugin`"),
        "{stderr}"
    );
}

#[test]
fn api_json_prints_the_same_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args(["api", "json"])
        .arg(examples().join("sample/bookstore.api"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    // bookstore imports its types from other files: they are all here.
    let names: Vec<_> = doc["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let spec = looklook_gen::apidsl::load_spec(&examples().join("sample/bookstore.api")).unwrap();
    let expected: Vec<_> = spec.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, expected);
    assert!(names.len() > 3, "{names:?}");
}
