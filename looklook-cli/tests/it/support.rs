//! Helpers shared by the integration tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use looklook_gen::codegen::FilePlan;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

pub fn examples() -> PathBuf {
    workspace().join("examples")
}

/// `file:line:col message` for every diagnostic.
pub fn brief(d: &looklook_gen::apidsl::Diagnostics) -> Vec<String> {
    d.iter()
        .map(|e| {
            let file = e.path.file_name().unwrap_or_default().to_string_lossy();
            format!("{file}:{}:{} {}", e.line, e.column, e.message)
        })
        .collect()
}

/// Where generated crates are built: kept between runs, apart from the
/// workspace's own target so the two never wait on each other's lock.
pub fn crates_target() -> PathBuf {
    workspace().join("target/it-crates")
}

/// Run `cargo ARGS` in a generated crate; fail the test with cargo's output
/// if it fails.
pub fn cargo(crate_dir: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", crates_target())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {} failed in {}:\n{}{}",
        args.join(" "),
        crate_dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copy a directory tree, leaving out `target/` directories (build output,
/// never part of a fixture).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &dest);
            }
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A port nothing listens on now, and one no other test of this binary has
/// been given: the kernel may hand the same free port out twice in a row,
/// and two servers of one test on one port fail in ways that are hard to
/// read.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A server process, killed if the test ends before stopping it.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// SIGTERM, then the process must exit 0 on its own within 10 s.
    pub fn stop_gracefully(mut self) {
        let pid = self.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success(),
            "kill -TERM {pid}"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                assert!(status.success(), "graceful shutdown exits 0, got {status}");
                return;
            }
            assert!(Instant::now() < deadline, "no graceful shutdown on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The PromQL of every panel of the Grafana dashboard in observability/.
pub fn dashboard_queries() -> Vec<String> {
    let path = workspace().join("observability/grafana/dashboards/looklook.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().unwrap().to_string())
        .collect()
}

/// The Prometheus text a metrics endpoint serves.
pub async fn scrape(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

/// The value of the Prometheus sample `name` whose labels include `labels`
/// (0 when there is none).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .find(|l| {
            l.starts_with(&format!("{name}{{"))
                && labels
                    .iter()
                    .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |v| v.parse().unwrap())
}

/// Every file of a plan as a snapshot named `{prefix}__{path}`; each Rust
/// file must parse, and formatting everything with rustfmt must change
/// nothing (the scaffolded templates skip rustfmt for speed).
pub fn assert_plan(prefix: &str, plan: &FilePlan) {
    let mut all = plan.clone();
    looklook_gen::rustfmt::format_plan(&mut all, |_| true).unwrap();
    for (a, b) in plan.files.iter().zip(&all.files) {
        assert_eq!(
            a.contents,
            b.contents,
            "{} is not in rustfmt's layout",
            a.path.display()
        );
    }
    for file in &plan.files {
        let name = file.path.display().to_string().replace('/', "__");
        if name.ends_with(".rs") {
            syn::parse_file(&file.contents)
                .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        }
        insta::assert_snapshot!(format!("{prefix}__{name}"), file.contents);
    }
}

/// Run a tool; fail the test with its output unless it succeeds; what it
/// printed (stdout, then stderr).
pub fn run_tool(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}; run scripts/setup"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{said}");
    said
}
