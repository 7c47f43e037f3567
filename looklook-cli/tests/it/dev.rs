//! `looklook dev` on a real workspace (tests/corpus/dev/ws: binaries
//! `alpha` and `beta`, both built on the library `shared`): real builds,
//! real processes answering HTTP on 127.0.0.1, real file edits.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{copy_tree, crates_target, free_port, workspace};

// Generous: the first build of a generated service may wait for other
// tests building the same dependencies.
const SLOW: Duration = Duration::from_secs(600);

/// A copy of the fixture workspace, with free ports in its manifest.
struct Ws {
    dir: tempfile::TempDir,
    alpha: u16,
    beta: u16,
    docs: u16,
}

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(
            &workspace().join("looklook-cli/tests/corpus/dev/ws"),
            dir.path(),
        );
        let (alpha, beta, docs) = (free_port(), free_port(), free_port());
        let manifest = std::fs::read_to_string(dir.path().join("looklook.toml"))
            .unwrap()
            .replace("18081", &alpha.to_string())
            .replace("18082", &beta.to_string())
            .replace("18083", &docs.to_string());
        std::fs::write(dir.path().join("looklook.toml"), manifest).unwrap();
        Ws {
            dir,
            alpha,
            beta,
            docs,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path(rel)).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(self.path(rel), text.replace(from, to)).unwrap();
    }

    /// `looklook dev ARGS` in the workspace, its output collected. The
    /// fixture builds in its own target directory.
    fn dev(&self, args: &[&str]) -> Dev {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_looklook"));
        cmd.arg("dev").args(args).env_remove("CARGO_TARGET_DIR");
        Dev::spawn(cmd, self.dir.path())
    }
}

impl Dev {
    fn spawn(mut cmd: Command, dir: &Path) -> Dev {
        let mut child = cmd
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        Dev { child, lines }
    }
}

struct Dev {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Dev {
    /// A failed test still stops what looklook started: SIGINT first.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dev {
    fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Wait for an output line containing `text`, after the first `skip`
    /// lines; its index.
    fn wait_line(&self, text: &str, skip: usize) -> usize {
        let deadline = Instant::now() + SLOW;
        loop {
            let lines = self.lines.lock().unwrap();
            if let Some(i) = lines.iter().skip(skip).position(|l| l.contains(text)) {
                return skip + i;
            }
            drop(lines);
            assert!(
                Instant::now() < deadline,
                "no line with {text:?}; output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGINT (what Ctrl-C sends) or SIGTERM; looklook must exit 0 soon.
    fn signal(mut self, signal: &str) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}; output:\n{}", self.output());
                return;
            }
            assert!(Instant::now() < deadline, "looklook dev did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The body of `GET path`, or `None` when nothing answers.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// The dashboard's processes, by name.
fn dashboard_processes(port: u16) -> std::collections::BTreeMap<String, serde_json::Value> {
    let state: serde_json::Value = serde_json::from_str(&get(port, "/api/state").unwrap()).unwrap();
    state["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// The dashboard's processes once `ready` holds of them (or, after half a
/// minute, as they are, for the assertions to report).
fn dashboard_processes_once(
    port: u16,
    ready: impl Fn(&std::collections::BTreeMap<String, serde_json::Value>) -> bool,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let processes = dashboard_processes(port);
        if ready(&processes) || Instant::now() > deadline {
            return processes;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The status line of `GET path`.
fn get_head(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_string()
}

/// Wait until the server on `port` answers with a body containing `want`
/// (and, with `not_pid`, from another process than that one).
fn answer(port: u16, want: &str, not_pid: Option<u32>) -> String {
    answer_at(port, "/", want, not_pid)
}

fn answer_at(port: u16, path: &str, want: &str, not_pid: Option<u32>) -> String {
    let deadline = Instant::now() + SLOW;
    loop {
        if let Some(body) = get(port, path)
            && body.contains(want)
            && not_pid.is_none_or(|p| field(&body, "pid") != p)
        {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "port {port} never answered with {want:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `pid=123` → 123.
fn field(body: &str, name: &str) -> u32 {
    body.split(' ')
        .find_map(|w| w.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {body:?}"))
}

/// A process is gone once it has no /proc entry or is a zombie waiting for
/// a parent that is not ours.
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn dev_rebuilds_and_restarts_exactly_what_an_edit_reaches() {
    let ws = Ws::new();
    let dev = ws.dev(&[]);

    // Both start.
    let a = field(&answer(ws.alpha, "alpha v1 hello", None), "pid");
    let b = field(&answer(ws.beta, "beta v1", None), "pid");
    let at = dev.wait_line("watching", 0);

    // The dashboard: both processes running, each with its pid and port.
    dev.wait_line(&format!("dashboard: http://127.0.0.1:{}/", ws.docs), 0);
    // Its readiness probe may lag what this test saw on the wire by a tick.
    let processes = dashboard_processes_once(ws.docs, |p| {
        ["alpha", "beta"]
            .iter()
            .all(|n| p.get(*n).is_some_and(|p| p["state"] == "running"))
    });
    for (name, pid, port) in [("alpha", &a, ws.alpha), ("beta", &b, ws.beta)] {
        let p = &processes[name];
        assert_eq!(p["state"], "running", "{processes:?}");
        assert_eq!(p["pid"], *pid);
        assert_eq!(p["port"], port);
        assert_eq!(p["build"]["ok"], true);
    }
    assert!(
        get(ws.docs, "/")
            .unwrap()
            .contains("<title>looklook dev</title>")
    );
    // A page of another site whose name points at 127.0.0.1 (DNS
    // rebinding) is refused.
    let mut stream = TcpStream::connect(("127.0.0.1", ws.docs)).unwrap();
    write!(
        stream,
        "GET /api/state HTTP/1.1\r\nhost: evil.example:{}\r\nconnection: close\r\n\r\n",
        ws.docs
    )
    .unwrap();
    let mut refused = String::new();
    stream.read_to_string(&mut refused).unwrap();
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");

    // The API reference: the page, the documents `looklook gen` wrote to
    // docs/ (read afresh on each request), Swagger UI from looklook itself;
    // nothing outside docs/.
    dev.wait_line(
        &format!("API reference: http://127.0.0.1:{}/reference/", ws.docs),
        0,
    );
    let page = get(ws.docs, "/reference/").unwrap();
    assert!(
        page.contains("/reference/assets/swagger-ui-bundle.js")
            && page.contains("/reference/openapi/openapi.yaml"),
        "{page}"
    );
    let doc = get(ws.docs, "/reference/openapi/openapi.yaml").unwrap();
    assert!(doc.contains("title: fixture v1"), "{doc}");
    std::fs::write(
        ws.path("docs/openapi.yaml"),
        doc.replace("fixture v1", "fixture v2"),
    )
    .unwrap();
    let doc = get(ws.docs, "/reference/openapi/openapi.yaml").unwrap();
    assert!(doc.contains("title: fixture v2"), "{doc}");
    let bundle = get(ws.docs, "/reference/assets/swagger-ui-bundle.js").unwrap();
    assert!(bundle.len() > 1_000_000, "{} bytes", bundle.len());
    for attack in [
        "/reference/openapi/..%2Flooklook.toml",
        "/reference/openapi/..%2F..%2Fetc%2Fpasswd",
        "/reference/openapi/%2Fetc%2Fpasswd",
        "/reference/assets/..%2F..%2Fsrc%2Flib.rs",
        "/api/traces/..%2F..%2Fetc%2Fpasswd",
    ] {
        let head = get_head(ws.docs, attack);
        assert!(head.starts_with("HTTP/1.1 404"), "{attack}: {head}");
    }
    // "Try it" calls go through the dashboard to the process the document
    // names (this project has no gateway), and to nothing else.
    let try_it = |upstream: String| {
        let mut stream = TcpStream::connect(("127.0.0.1", ws.docs)).unwrap();
        write!(
            stream,
            "GET /reference/try/?who=reference HTTP/1.1\r\nhost: 127.0.0.1\r\n\
             x-looklook-upstream: {upstream}\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let answered = try_it(format!("127.0.0.1:{}", ws.alpha));
    assert!(
        answered.starts_with("HTTP/1.1 200") && answered.contains("alpha v1 hello"),
        "{answered}"
    );
    let refused = try_it("127.0.0.1:22".into());
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");

    // An edit in the shared library restarts both.
    ws.edit("shared/src/lib.rs", "\"v1\"", "\"v2\"");
    let a = field(&answer(ws.alpha, "alpha v2", Some(a)), "pid");
    let b_body = answer(ws.beta, "beta v2", Some(b));
    let (b, b_child) = (field(&b_body, "pid"), field(&b_body, "child"));
    let at = dev.wait_line("changed shared/src/lib.rs; rebuilding alpha, beta", at);
    let at = dev.wait_line("restarted alpha, beta", at);

    // An edit in one binary restarts only it.
    ws.edit("alpha/src/main.rs", "hello", "howdy");
    let a = field(&answer(ws.alpha, "alpha v2 howdy", Some(a)), "pid");
    let at = dev.wait_line("changed alpha/src/main.rs; rebuilding alpha", at);
    let at = dev.wait_line("restarted alpha in", at);
    assert_eq!(
        field(&get(ws.beta, "/").unwrap(), "pid"),
        b,
        "beta kept running"
    );

    // Ignored files (.gitignore's `*.log`) and editors' scratch files are
    // not changes; a broken edit keeps the old process serving and shows
    // the compiler's error.
    std::fs::write(ws.path("beta/debug.log"), "noise").unwrap();
    std::fs::write(ws.path("beta/src/.main.rs.swp"), "noise").unwrap();
    let good = std::fs::read_to_string(ws.path("beta/src/main.rs")).unwrap();
    std::fs::write(
        ws.path("beta/src/main.rs"),
        "fn main() { let broken: u32 = \"no\"; }\n",
    )
    .unwrap();
    let at = dev.wait_line("changed beta/src/main.rs; rebuilding beta", at);
    let at = dev.wait_line("build failed", at);
    let output = dev.output();
    assert!(
        output.contains("error[E0308]: mismatched types"),
        "{output}"
    );
    assert!(
        !output.contains("debug.log") && !output.contains(".swp"),
        "{output}"
    );
    assert!(
        dev.lines.lock().unwrap()[at].ends_with("still running the previous build: beta"),
        "{output}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        field(&get(ws.beta, "/").unwrap(), "pid"),
        b,
        "old beta serves"
    );
    // The dashboard shows the failed build and its error, and the restarts
    // of the edits before it.
    let processes = dashboard_processes(ws.docs);
    let beta = &processes["beta"];
    assert_eq!(beta["build"]["ok"], false, "{beta}");
    assert!(
        beta["build"]["errors"].as_str().unwrap().contains("E0308"),
        "{beta}"
    );
    assert_eq!(beta["restarts"], 1, "{beta}");
    assert_eq!(processes["alpha"]["restarts"], 2, "{processes:?}");
    assert_eq!(beta["state"], "running", "the old beta still serves");

    // Fixed: beta comes back, and its old child went with the old beta.
    std::fs::write(ws.path("beta/src/main.rs"), good).unwrap();
    let b_body = answer(ws.beta, "beta v2", Some(b));
    let at = dev.wait_line("restarted beta in", at);
    assert!(gone(b_child), "the old beta's child {b_child} outlived it");
    let (b, b_child) = (field(&b_body, "pid"), field(&b_body, "child"));

    // A crash is reported and the process started again.
    assert_eq!(get(ws.alpha, "/crash"), None);
    let at = dev.wait_line(
        "alpha exited (exit status 3); starting it again in 500 ms",
        at,
    );
    let a2 = field(&answer(ws.alpha, "alpha v2 howdy", Some(a)), "pid");
    dev.wait_line("started alpha", at);

    // Ctrl-C stops everything, children included.
    dev.signal("-INT");
    for pid in [a2, b, b_child] {
        assert!(gone(pid), "process {pid} outlived looklook dev");
    }
    assert_eq!(get(ws.alpha, "/"), None);
    assert_eq!(get(ws.beta, "/"), None);
}

#[test]
fn dev_once_runs_the_named_processes_without_watching() {
    let ws = Ws::new();
    let dev = ws.dev(&["--once", "beta"]);
    let body = answer(ws.beta, "beta v1", None);
    let child = field(&body, "child");
    // Not watching: an edit changes nothing, and alpha never started.
    ws.edit("beta/src/main.rs", "sleep", "sleep ");
    std::thread::sleep(Duration::from_millis(800));
    assert!(!dev.output().contains("changed"), "{}", dev.output());
    assert_eq!(get(ws.alpha, "/"), None);
    // The output is kept where the stack's log shipper reads it.
    let log = std::fs::read_to_string(ws.path(".looklook/logs/beta.log")).unwrap();
    assert!(
        log.contains(&format!("beta listening on {}", ws.beta)),
        "{log}"
    );
    dev.signal("-TERM");
    assert!(gone(field(&body, "pid")) && gone(child));
}

#[test]
fn dev_reports_an_unknown_process_and_a_failed_first_build() {
    let ws = Ws::new();
    let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args(["dev", "gamma"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("there is no process `gamma`; the processes are: alpha, beta"),
        "{stderr}"
    );

    ws.edit(
        "shared/src/lib.rs",
        "pub const VERSION: &str = \"v1\";",
        "pub const VERSION: &str = 1;",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args(["dev", "--once"])
        .current_dir(ws.dir.path())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the build failed"), "{stderr}");
    assert!(stderr.contains("error[E0308]"), "{stderr}");
}

/// Where users stand: looklook installed with `cargo install` into a fresh
/// `CARGO_HOME`, `looklook new` in a directory outside this repository
/// (so no runtime source above it: the project gets the runtime the binary
/// carries, vendored), then `looklook dev` in it: the new project builds
/// offline, its service answers, and an edit of its logic is served after
/// the reload.
#[test]
fn an_installed_looklook_makes_a_project_that_builds_runs_and_reloads_anywhere() {
    let home = tempfile::tempdir().unwrap();
    let install = Command::new(env!("CARGO"))
        .args([
            "install",
            "--offline",
            "--locked",
            "--debug",
            "--quiet",
            "--path",
        ])
        .arg(workspace().join("looklook-cli"))
        .arg("--root")
        .arg(home.path())
        // Shares the dependencies the generated crates build too.
        .env("CARGO_TARGET_DIR", crates_target())
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "cargo install: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let looklook = home.path().join("bin/looklook");

    let tmp = tempfile::tempdir().unwrap();
    assert!(
        !tmp.path().starts_with(workspace()),
        "the project must be made outside this repository"
    );
    let dir = tmp.path().join("hello");
    let out = Command::new(&looklook)
        .args(["new", "hello"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Next: cd hello && looklook dev"));
    let api_manifest = std::fs::read_to_string(dir.join("hello/api/Cargo.toml")).unwrap();
    assert!(
        api_manifest.contains(r#"looklook-runtime = { path = "../../vendor/looklook-runtime" }"#),
        "{api_manifest}"
    );
    // The manifest lists what `new` generated: `looklook gen` right after
    // it succeeds and changes nothing.
    let regen = Command::new(&looklook)
        .arg("gen")
        .current_dir(&dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&regen.stdout);
    assert!(
        regen.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&regen.stderr)
    );
    assert!(said.contains("hello/api:"), "{said}");
    // Every part unchanged: the crate, the OpenAPI documents, the client.
    assert_eq!(
        said.matches("Done: 0 created, 0 updated, 0 extended,")
            .count(),
        said.matches("Done: ").count(),
        "{said}"
    );
    let merged = std::fs::read_to_string(dir.join("docs/api/openapi.yaml")).unwrap();
    assert!(merged.contains("title: hello\n"), "{merged}");
    // The same dependency versions as this repository, so the build needs
    // no network (`--offline` below would refuse it).
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let (port, metrics, docs) = (free_port(), free_port(), free_port());
    let manifest = std::fs::read_to_string(dir.join("looklook.toml"))
        .unwrap()
        .replace("8888", &port.to_string())
        .replace("9091", &metrics.to_string())
        .replace("[dev]\n", &format!("[dev]\ndocs_port = {docs}\n"));
    std::fs::write(dir.join("looklook.toml"), manifest).unwrap();

    let mut cmd = Command::new(&looklook);
    cmd.arg("dev")
        .env("CARGO_TARGET_DIR", crates_target())
        .env("CARGO_NET_OFFLINE", "true");
    let dev = Dev::spawn(cmd, &dir);
    let body = answer_at(port, "/hello", "hello, world", None);
    assert!(body.contains(r#""message":"hello, world""#), "{body}");
    let at = dev.wait_line("watching", 0);
    // The API reference of the project's own documents.
    dev.wait_line(
        &format!("API reference: http://127.0.0.1:{docs}/reference/"),
        0,
    );
    let doc = get(docs, "/reference/openapi/hello.openapi.yaml").unwrap();
    assert!(
        doc.contains("operationId: hello") && doc.contains("openapi: 3.1.0"),
        "{doc}"
    );

    // The dashboard received the request's trace (no collector is
    // configured, so looklook is the service's OTLP endpoint), and a real
    // browser draws the process, the trace and its waterfall.
    let (_, trace) = dashboard_trace(docs, "GET /hello")
        .expect("the hello request's trace reached the dashboard");
    let id = trace["trace_id"].as_str().unwrap();
    // Metrics at a glance, read from the service's own /metrics while
    // requests keep coming.
    let busy = (0..150).any(|_| {
        get(port, "/hello");
        std::thread::sleep(Duration::from_millis(100));
        let state: serde_json::Value =
            serde_json::from_str(&get(docs, "/api/state").unwrap()).unwrap();
        let glance = &state["processes"][0]["metrics"];
        glance["rps"].as_f64().is_some_and(|r| r > 0.0) && glance["p99_ms"].is_number()
    });
    assert!(busy, "no requests/s or p99 from hello-api's /metrics");
    let spans: serde_json::Value =
        serde_json::from_str(&get(docs, &format!("/api/traces/{id}")).unwrap()).unwrap();
    assert_eq!(spans["spans"][0]["name"], "GET /hello", "{spans}");
    let service = spans["spans"][0]["service"].as_str().unwrap().to_string();
    let artifacts = workspace().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    // The pages are drawn on the server; the browser gets a few seconds
    // (the live updates keep a connection open, so it is stopped by time).
    let browser = |path: &str, extra: &[&str]| {
        crate::support::run_tool(
            Command::new("chromium")
                .args(["--headless=new", "--no-sandbox", "--disable-gpu"])
                .args(["--timeout=3000", "--window-size=1280,800"])
                .args(extra)
                .arg(format!("http://127.0.0.1:{docs}{path}")),
        )
    };
    let dom = browser("/", &["--dump-dom"]);
    for shown in [
        "<td>hello-api</td><td class=\"running\">running</td>".to_string(),
        format!("<a href=\"/trace/{id}\">GET /hello</a>"),
        "hello-api | ".to_string(),
    ] {
        assert!(
            dom.contains(&shown),
            "{shown:?} is not on the dashboard:\n{dom}"
        );
    }
    let waterfall = browser(&format!("/trace/{id}"), &["--dump-dom"]);
    let row = format!("{service}: GET /hello (");
    assert!(
        waterfall.contains(&row),
        "{row:?} is not in the waterfall:\n{waterfall}"
    );
    browser(
        "/",
        &[&format!(
            "--screenshot={}",
            artifacts.join("dashboard.png").display()
        )],
    );

    let logic = dir.join("hello/api/src/logic/hello.rs");
    let text = std::fs::read_to_string(&logic).unwrap();
    std::fs::write(&logic, text.replace("\"hello, {}\"", "\"good day, {}\"")).unwrap();
    answer_at(port, "/hello", "good day, world", None);
    dev.wait_line(
        "changed hello/api/src/logic/hello.rs; rebuilding hello-api",
        at,
    );
    // The browser shows the restart: running again, on the same port,
    // restarted once.
    let restarted = format!("<td>{port}</td><td>1</td>");
    let shown = (0..10).any(|_| {
        let dom = browser("/", &["--dump-dom"]);
        dom.contains(&restarted) && dom.contains("<td>hello-api</td><td class=\"running\">")
    });
    assert!(shown, "{restarted:?} is not on the dashboard");
    dev.signal("-INT");

    // `looklook demo`: the process started on its port, then the walk the
    // manifest names (a call of the hello route) decides the exit status.
    let run_demo = || {
        Command::new(&looklook)
            .arg("demo")
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", crates_target())
            .env("CARGO_NET_OFFLINE", "true")
            .output()
            .unwrap()
    };
    let demo = run_demo();
    let (said, progress) = (
        String::from_utf8_lossy(&demo.stdout),
        String::from_utf8_lossy(&demo.stderr),
    );
    assert!(demo.status.success(), "{said}{progress}");
    assert!(
        progress
            .lines()
            .any(|l| l.starts_with("started hello-api ")
                && l.ends_with(&format!(" 127.0.0.1:{port}"))),
        "{progress}"
    );
    assert!(
        said.contains(r#"{"message":"good day, demo"}"#),
        "{said}{progress}"
    );
    // `demo --serve` keeps the processes and the dashboard up after the
    // walk: the process runs there, with its log, and the walk's call is
    // a trace.
    let mut cmd = Command::new(&looklook);
    cmd.args(["demo", "--serve"])
        .env("CARGO_TARGET_DIR", crates_target())
        .env("CARGO_NET_OFFLINE", "true");
    let serving = Dev::spawn(cmd, &dir);
    serving.wait_line(&format!("dashboard: http://127.0.0.1:{docs}/"), 0);
    serving.wait_line("the processes keep running", 0);
    let (state, _) = dashboard_trace(docs, "GET /hello")
        .expect("the walk's call reached the demo's dashboard as a trace");
    let hello = &state["processes"][0];
    assert_eq!(hello["name"], "hello-api", "{state}");
    assert_eq!(hello["state"], "running", "{state}");
    assert!(hello["pid"].is_u64(), "{state}");
    let logs = get(docs, "/api/logs?process=hello-api").unwrap();
    assert!(logs.contains("serving"), "{logs}");
    serving.signal("-INT");
    // A walk that fails is looklook's failure.
    let manifest = std::fs::read_to_string(dir.join("looklook.toml")).unwrap();
    std::fs::write(
        dir.join("looklook.toml"),
        manifest.replace("/hello?name=demo", "/nowhere"),
    )
    .unwrap();
    let demo = run_demo();
    let progress = String::from_utf8_lossy(&demo.stderr);
    assert!(!demo.status.success(), "{progress}");
    assert!(progress.contains("the walk failed"), "{progress}");

    grow_the_project(&looklook, &dir);
}

/// The dashboard's state once it lists a trace whose root is `name`
/// (waited for up to 30 s), and that trace.
fn dashboard_trace(docs: u16, name: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    (0..300).find_map(|_| {
        let state: serde_json::Value =
            serde_json::from_str(&get(docs, "/api/state").unwrap()).unwrap();
        let found = state["traces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .cloned();
        if found.is_none() {
            std::thread::sleep(Duration::from_millis(100));
        }
        Some((state, found?))
    })
}

/// The path a new user takes after `new`: `add service catalog` (API, RPC
/// and model), `add service orders --api --rpc`, a column added to
/// catalog.sql and `looklook gen`, then `looklook up --engine native` and
/// `looklook dev`: a catalog route goes API → RPC → MariaDB and back, and an
/// orders route API → RPC.
fn grow_the_project(looklook: &Path, dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new(looklook)
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", crates_target())
            .env("CARGO_NET_OFFLINE", "true")
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "looklook {args:?}: {said}");
        said
    };
    // The stack's servers on ports of their own, before `add` reads them.
    let (mysql, redis) = (free_port(), free_port());
    let stack_file = dir.join("looklook.stack.toml");
    let stack = std::fs::read_to_string(&stack_file)
        .unwrap()
        .replace("127.0.0.1:3306:3306", &format!("127.0.0.1:{mysql}:3306"))
        .replace("127.0.0.1:6379:6379", &format!("127.0.0.1:{redis}:6379"));
    std::fs::write(&stack_file, stack).unwrap();
    struct Down<'a>(&'a Path, &'a Path);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = Command::new(self.0)
                .args(["down", "-v"])
                .current_dir(self.1)
                .output();
        }
    }

    let said = run(&["add", "service", "catalog"]);
    assert!(
        said.contains("created catalog/rpc/src/logic/create_item.rs"),
        "{said}"
    );
    run(&["add", "service", "orders", "--api", "--rpc"]);
    // A name in use is refused, and nothing changes.
    let before = std::fs::read_to_string(dir.join("looklook.toml")).unwrap();
    let again = Command::new(looklook)
        .args(["add", "service", "catalog"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.join("looklook.toml")).unwrap(),
        before
    );
    let yaml = std::fs::read_to_string(dir.join("catalog/rpc/etc/catalog.yaml")).unwrap();
    assert!(
        yaml.contains(&format!("mysql://root:pw@127.0.0.1:{mysql}/hello_catalog")),
        "{yaml}"
    );

    // A column for the table, and the model regenerated from it.
    let sql = dir.join("catalog.sql");
    let text = std::fs::read_to_string(&sql).unwrap();
    let grown = text.replace(
        "  `name` varchar(255) NOT NULL DEFAULT '',\n",
        "  `name` varchar(255) NOT NULL DEFAULT '',\n  `price` decimal(10,2) NOT NULL DEFAULT '0.00',\n",
    );
    assert_ne!(grown, text);
    std::fs::write(&sql, grown).unwrap();
    let said = run(&["gen"]);
    assert!(said.contains("updated src/item_gen.rs"), "{said}");
    let model = std::fs::read_to_string(dir.join("catalog/model/src/item_gen.rs")).unwrap();
    assert!(
        model.contains("pub price: rust_decimal::Decimal"),
        "{model}"
    );

    // Every process on a free port of its own.
    let manifest_file = dir.join("looklook.toml");
    let mut manifest = std::fs::read_to_string(&manifest_file).unwrap();
    let file = looklook_gen::apidsl::SourceFile::new("looklook.toml", manifest.clone());
    let parsed = looklook_manifest::parse(&file).unwrap();
    let mut ports = std::collections::BTreeMap::new();
    for p in &parsed.processes {
        for (key, port) in [("port", p.port), ("metrics_port", p.metrics_port)] {
            let Some(port) = port else { continue };
            let free = free_port();
            manifest = manifest.replace(
                &format!("\n{key} = {port}\n"),
                &format!("\n{key} = {free}\n"),
            );
            if key == "port" {
                ports.insert(p.name.get_ref().clone(), free);
            }
        }
    }
    std::fs::write(&manifest_file, manifest).unwrap();

    let _down = Down(looklook, dir);
    let said = run(&["up", "--engine", "native"]);
    assert!(
        said.contains("init      mysql: database `hello_catalog`: catalog.sql"),
        "{said}"
    );
    let mut cmd = Command::new(looklook);
    cmd.arg("dev")
        .env("CARGO_TARGET_DIR", crates_target())
        .env("CARGO_NET_OFFLINE", "true");
    let dev = Dev::spawn(cmd, dir);
    dev.wait_line("watching", 0);
    let catalog = post_json(
        &dev,
        ports["catalog-api"],
        "/catalog/v1/items",
        r#"{"name":"lamp"}"#,
    );
    assert!(
        catalog.contains(r#""data":{"id":1,"name":"lamp"}"#),
        "{catalog}\n{}",
        dev.output()
    );
    let orders = post_json(
        &dev,
        ports["orders-api"],
        "/orders/v1/items",
        r#"{"name":"book"}"#,
    );
    assert!(
        orders.contains(r#""name":"book""#),
        "{orders}\n{}",
        dev.output()
    );
    // The row is in the service's own database, price column and all.
    let row = Command::new("mariadb")
        .args(["-h127.0.0.1", &format!("-P{mysql}"), "-uroot", "-ppw", "-N"])
        .args(["-e", "SELECT name, price FROM hello_catalog.item"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&row.stdout), "lamp\t0.00\n");
    dev.signal("-INT");
}

/// POST a JSON body; the answer, once it is a 200. On the way there, what
/// came back last, and `looklook dev`'s output, go into the failure.
fn post_json(dev: &Dev, port: u16, path: &str, body: &str) -> String {
    let deadline = Instant::now() + SLOW;
    loop {
        let answer = TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            write!(
                s,
                "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )?;
            let mut response = String::new();
            s.read_to_string(&mut response)?;
            Ok(response)
        });
        if let Ok(response) = &answer
            && response.starts_with("HTTP/1.1 200")
        {
            return response.clone();
        }
        assert!(
            Instant::now() < deadline,
            "port {port} never answered {path} with 200; last {answer:?}; output:\n{}",
            dev.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
