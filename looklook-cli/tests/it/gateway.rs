//! The gateway's nginx config, checked by nginx itself: `nginx -t` on the
//! config `looklook gen gateway` writes for the reference system and for a
//! project made by `looklook new`, inside the main config the native
//! engine writes (Debian's nginx, installed by scripts/setup).

use std::path::Path;
use std::process::Command;

use crate::support::{run_tool, workspace};

/// `nginx -t` on `conf` as a file of conf.d; nginx's verdict.
fn nginx_test(conf: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("nginx.conf");
    std::fs::write(
        &main,
        format!(
            "pid {pid};\nerror_log stderr;\nevents {{}}\nhttp {{\n    include {conf};\n}}\n",
            pid = dir.path().join("nginx.pid").display(),
            conf = conf.display(),
        ),
    )
    .unwrap();
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&main)
        .output()
        .unwrap_or_else(|e| panic!("nginx: {e}; run scripts/setup"));
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "nginx -t failed:\n{said}");
    said
}

#[test]
fn nginx_accepts_the_generated_gateway_configs() {
    // The reference system's, as `looklook gen` wrote it; nginx must also
    // resolve its upstreams, so the container's name for the host is
    // given the host's address, as the native engine does.
    let text = std::fs::read_to_string(workspace().join("deploy/nginx/looklook-gateway.conf"))
        .unwrap()
        .replace("host.docker.internal", "127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("gateway.conf");
    std::fs::write(&conf, text).unwrap();
    let said = nginx_test(&conf);
    assert!(said.contains("test is successful"), "{said}");

    // A new project's, from the installed binary's `gen gateway`.
    let project = tempfile::tempdir().unwrap();
    let run = |args: &[&str], dir: &Path| {
        run_tool(
            Command::new(env!("CARGO_BIN_EXE_looklook"))
                .args(args)
                .current_dir(dir),
        )
    };
    run(&["new", "shop"], project.path());
    let dir = project.path().join("shop");
    let manifest = std::fs::read_to_string(dir.join("looklook.toml")).unwrap();
    std::fs::write(
        dir.join("looklook.toml"),
        format!("{manifest}\n[gateway]\nconfig = \"gateway.conf\"\nhost = \"127.0.0.1\"\nlimit = [\"shop/hello\"]\n"),
    )
    .unwrap();
    // The manifest named as a bare file name, as a user types it.
    run(&["gen", "gateway", "--manifest", "looklook.toml"], &dir);
    run(&["gen", "--manifest", "looklook.toml"], &dir);
    let conf = dir.join("gateway.conf");
    assert!(
        std::fs::read_to_string(&conf)
            .unwrap()
            .contains("location = /hello {\n        limit_req")
    );
    nginx_test(&conf);
}
