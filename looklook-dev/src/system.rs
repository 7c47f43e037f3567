//! A project's processes started once, in the manifest's order, each
//! waited for until it answers: what `looklook demo` runs its walk against,
//! and what a project's end-to-end test starts (on free ports, beside a
//! copy that may already run on the manifest's).
//!
//! Unlike the dev loop nothing is watched or restarted: a process that
//! exits while starting is an error, with its last lines.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use looklook_manifest::{self as manifest, Ports};

use crate::Process;
use crate::supervise::{self, Child, Spec};

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("no binary was built for {0}")]
    NoBinary(String),
    #[error("cannot start {name}: {source}")]
    Spawn {
        name: String,
        source: std::io::Error,
    },
    #[error("{name} exited while starting; its last lines:\n{log}")]
    Exited { name: String, log: String },
    #[error("{name} did not answer on port {port} within {secs} s; its last lines:\n{log}")]
    NotReady {
        name: String,
        port: u16,
        secs: u64,
        log: String,
    },
}

/// Sees each line a process writes: its name, the line.
type OnLine = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The last lines each process wrote.
type Logs = Arc<Mutex<BTreeMap<String, VecDeque<String>>>>;

/// The running processes; [`System::stop`] ends them (and dropping it
/// kills what is left, as each process dies with its parent).
pub struct System {
    children: Vec<(String, Child)>,
    /// In start order.
    specs: Vec<(String, Spec)>,
    pub ports: Ports,
    logs: Logs,
    /// Where each process's output is kept for the log shipper.
    log_dir: PathBuf,
    on_line: OnLine,
}

const KEEP_LINES: usize = 40;

/// Free ports of 127.0.0.1 for the same processes as `like`. Every
/// listener is held until all are picked, so no port comes up twice.
pub fn free_ports(like: &Ports) -> std::io::Result<Ports> {
    let mut held = Vec::new();
    let mut free = || -> std::io::Result<u16> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        held.push(listener);
        Ok(port)
    };
    let mut ports = Ports::default();
    for name in like.serve.keys() {
        ports.serve.insert(name.clone(), free()?);
    }
    for name in like.metrics.keys() {
        ports.metrics.insert(name.clone(), free()?);
    }
    Ok(ports)
}

impl System {
    /// Start `processes` one after the other, each once the one before it
    /// answers, from `exes` (binary name → path), on `ports`; `env` is added
    /// to each one's environment. Output is kept under `root`'s log
    /// directory, and `on_line` sees every line.
    pub async fn start(
        root: &Path,
        processes: &[Process],
        exes: &BTreeMap<String, PathBuf>,
        ports: Ports,
        env: &BTreeMap<String, String>,
        on_line: impl Fn(&str, &str) + Send + Sync + 'static,
    ) -> Result<System, SystemError> {
        let mut system = System {
            children: Vec::new(),
            specs: Vec::new(),
            ports,
            logs: Logs::default(),
            log_dir: root.join(supervise::LOG_DIR),
            on_line: Arc::new(on_line),
        };
        for process in processes {
            let exe = exes
                .get(&process.target.bin)
                .ok_or_else(|| SystemError::NoBinary(process.name.clone()))?;
            let mut own = process.env.clone();
            own.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
            // A failure to start is one line, not a backtrace.
            own.entry("RUST_BACKTRACE".into()).or_insert("0".into());
            let spec = Spec {
                exe: exe.clone(),
                args: process.args.clone(),
                env: manifest::process_env(&process.name, &system.ports, &own),
                cwd: process.cwd.clone(),
            };
            system.specs.push((process.name.clone(), spec));
            system.start_one(&process.name).await?;
        }
        Ok(system)
    }

    /// Start process `name` (again) and wait until it answers.
    pub async fn start_one(&mut self, name: &str) -> Result<(), SystemError> {
        let Some((name, spec)) = self.specs.iter().find(|(n, _)| n == name) else {
            return Ok(());
        };
        let name = name.clone();
        let (logs, on_line) = (self.logs.clone(), self.on_line.clone());
        // Best effort, as in `looklook dev`: nothing here needs the file.
        let file = supervise::LogFile::open(&self.log_dir, &name).ok();
        let line_of = name.clone();
        let child = supervise::spawn(
            spec,
            move |line, _| {
                on_line(&line_of, &line);
                if let Some(file) = &file {
                    file.write(&line);
                }
                let mut logs = logs.lock().unwrap_or_else(|e| e.into_inner());
                let lines = logs.entry(line_of.clone()).or_default();
                if lines.len() == KEEP_LINES {
                    lines.pop_front();
                }
                lines.push_back(line);
            },
            |_| {},
        )
        .map_err(|source| SystemError::Spawn {
            name: name.clone(),
            source,
        })?;
        self.children.push((name.clone(), child));
        self.wait_ready(&name).await
    }

    fn log_of(&self, name: &str) -> String {
        let logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        logs.get(name)
            .map(|l| l.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Until the process answers on its port (or its metrics port when it
    /// serves nothing else); at once when it has neither.
    async fn wait_ready(&self, name: &str) -> Result<(), SystemError> {
        let Some(port) = self.ports.answers_on(name) else {
            return Ok(());
        };
        let deadline = Instant::now() + supervise::READY_WITHIN;
        loop {
            if supervise::answers(port).await {
                return Ok(());
            }
            // The newest process of that name is the one starting.
            let exited = self
                .children
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .is_some_and(|(_, c)| c.has_exited());
            if exited {
                return Err(SystemError::Exited {
                    name: name.into(),
                    log: self.log_of(name),
                });
            }
            if Instant::now() > deadline {
                return Err(SystemError::NotReady {
                    name: name.into(),
                    port,
                    secs: supervise::READY_WITHIN.as_secs(),
                    log: self.log_of(name),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop one process (a test's way to see the others survive it).
    pub async fn stop_one(&mut self, name: &str) {
        if let Some(i) = self.children.iter().position(|(n, _)| n == name) {
            let (_, child) = self.children.remove(i);
            child.stop(Duration::from_secs(5)).await;
        }
    }

    /// Stop everything, the last started first.
    pub async fn stop(mut self) {
        while let Some((_, child)) = self.children.pop() {
            child.stop(Duration::from_secs(5)).await;
        }
    }

    /// Every process running, in start order, and its pid.
    pub fn pids(&self) -> Vec<(String, u32)> {
        self.children
            .iter()
            .map(|(name, child)| (name.clone(), child.pid))
            .collect()
    }

    /// Every process, in start order, and the port it answers on.
    pub fn addresses(&self) -> Vec<(String, Option<u16>)> {
        self.specs
            .iter()
            .map(|(name, _)| (name.clone(), self.ports.answers_on(name)))
            .collect()
    }

    /// What a walk or a test is told: `<NAME>_ADDR` of every process that
    /// serves.
    pub fn env(&self) -> BTreeMap<String, String> {
        self.ports.addresses()
    }

    /// `http://127.0.0.1:PORT` of a process.
    pub fn url(&self, name: &str) -> String {
        let port = self.ports.serve.get(name).copied().unwrap_or(0);
        format!("http://127.0.0.1:{port}")
    }
}
