//! The crates are the architecture: these tests keep each one's dependency
//! closure to what its job needs, so the layering cannot erode unnoticed.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::workspace;

/// Every package `package` links in normal builds (build scripts and
/// proc macros included, dev-dependencies not), from `cargo tree`.
fn closure(package: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["-p", package, "--format", "{p}"])
        .current_dir(workspace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(
        names.contains(package),
        "cargo tree listed nothing for {package}"
    );
    names
}

fn assert_free_of(package: &str, forbidden: &[&str]) {
    let deps = closure(package);
    let found: Vec<&&str> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(found.is_empty(), "{package} must not depend on {found:?}");
}

#[test]
fn the_generator_has_no_runtime_engine_watcher_or_http_client() {
    assert_free_of(
        "looklook-gen",
        &["tokio", "bollard", "notify", "reqwest", "hyper"],
    );
}

#[test]
fn diagnostics_and_the_manifest_stand_alone() {
    let tools = [
        "looklook-gen",
        "looklook-stack",
        "looklook-dev",
        "looklook-cli",
    ];
    assert_free_of("looklook-diagnostics", &["looklook-manifest"]);
    assert_free_of("looklook-diagnostics", &tools);
    assert_free_of("looklook-manifest", &tools);
    assert_free_of("looklook-manifest", &["tokio"]);
}

#[test]
fn the_stack_and_the_dev_loop_do_not_link_the_generator() {
    assert_free_of(
        "looklook-stack",
        &["looklook-gen", "looklook-dev", "notify"],
    );
    assert_free_of(
        "looklook-dev",
        &["looklook-gen", "protox", "sqlparser", "askama"],
    );
}

#[test]
fn services_and_the_runtime_do_not_link_the_tool() {
    let tools = [
        "looklook-diagnostics",
        "looklook-manifest",
        "looklook-gen",
        "looklook-stack",
        "looklook-dev",
    ];
    assert_free_of("looklook-runtime", &tools);
    for service in ["usercenter-api", "order-rpc", "order-mq", "mqueue-job"] {
        assert_free_of(service, &tools);
    }
}
