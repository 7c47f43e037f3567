//! `looklook dev`: run a project's processes from source and keep them
//! current while you edit.
//!
//! The pieces, in the order a change flows through them:
//! - [`looklook_manifest`]: the processes of `looklook.toml`;
//! - [`watch`]: notify, debounced, ignoring what git ignores;
//! - [`graph`]: `cargo metadata`, to know which binaries a changed file
//!   reaches (an edit in a shared crate restarts every process built from
//!   it, and only those);
//! - [`build`]: one `cargo build` for them;
//! - [`supervise`]: stop the old process, start the new one; restart a
//!   process that crashes, with back-off.
//!
//! [`run`] ties them together and reports what happens as [`DevEvent`]s,
//! which also feed the [`dashboard`]: the processes, their logs, the
//! traces they send to [`traces`]' receiver and their [`metrics`].

pub mod board;
pub mod build;
pub mod dashboard;
pub mod demo;
pub mod docs;
pub mod graph;
pub mod image;
pub mod metrics;
pub mod supervise;
pub mod system;
pub mod traces;
pub mod watch;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify_debouncer_full::DebounceEventResult;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use build::{BinTarget, Build, BuildError};
use graph::{Graph, GraphError, Watched};
use looklook_diagnostics::{Diagnostics, SourceFile};
use looklook_manifest::Spanned;
use looklook_manifest::{self as manifest, Manifest, span};
use supervise::{Child, Spec};
use watch::{Watch, WatchError};

/// What `looklook dev` was asked to do.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// The project manifest (`looklook.toml`).
    pub manifest: PathBuf,
    /// Only these processes; all when empty.
    pub only: Vec<String>,
    /// Build and run, without watching.
    pub once: bool,
    /// Let the compiler colour its errors.
    pub color: bool,
}

/// What happens, for the command to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevEvent {
    /// Watching this many directories.
    Watching {
        dirs: usize,
    },
    /// A build started: for every process at start-up, then for the ones a
    /// change affects.
    Building {
        processes: Vec<String>,
        changed: Vec<PathBuf>,
    },
    /// The build failed; `kept` keep running what they ran before.
    BuildFailed {
        errors: String,
        took: Duration,
        kept: Vec<String>,
    },
    Started {
        process: String,
        pid: u32,
    },
    /// The process accepted a connection on its `port`.
    Answering {
        process: String,
        after: Duration,
    },
    /// A line the process wrote.
    Output {
        process: String,
        line: String,
        stderr: bool,
    },
    /// The process ended without being asked to; it starts again after
    /// `restart_in`.
    Exited {
        process: String,
        status: String,
        restart_in: Duration,
    },
    /// After a change: the build took `build`, stopping the old processes
    /// and starting the new ones `restart`.
    Reloaded {
        processes: Vec<String>,
        build: Duration,
        restart: Duration,
    },
    Stopped {
        process: String,
    },
    /// The dashboard is served here.
    Dashboard {
        url: String,
    },
    /// The API reference (the manifest's OpenAPI documents) is served here.
    Reference {
        url: String,
    },
    /// Something to know that is not an error, such as a manifest change
    /// that could not be read.
    Notice {
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Definition(#[from] Diagnostics),
    #[error(
        "no {file} in {} or any directory above it; pass one with --manifest",
        .0.display(), file = manifest::MANIFEST
    )]
    NoManifest(PathBuf),
    #[error("{} names no processes: add a [[process]] table", .0.display())]
    NoProcesses(PathBuf),
    #[error("there is no process `{name}`; the processes are: {known}")]
    UnknownProcess { name: String, known: String },
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error("the build failed:\n{0}")]
    BuildFailed(String),
    #[error("cannot start `{process}` ({exe}): {source}")]
    Spawn {
        process: String,
        exe: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the event loop: {0}")]
    Runtime(std::io::Error),
}

/// A process of the manifest, checked against the workspace.
#[derive(Debug, Clone)]
pub struct Process {
    pub name: String,
    pub target: BinTarget,
    pub args: Vec<String>,
    /// Its own `env` from the manifest; [`manifest::process_env`] adds the
    /// ports when it starts.
    pub env: BTreeMap<String, String>,
    pub cwd: PathBuf,
    pub watch: Watched,
}

/// Check the manifest's processes against the workspace: each package must
/// be a local crate with the binary named (or exactly one binary).
pub fn resolve(
    file: &SourceFile,
    manifest: &Manifest,
    graph: &Graph,
) -> Result<Vec<Process>, Diagnostics> {
    let dir = file.path.parent().unwrap_or(Path::new("."));
    let mut errors = Vec::new();
    let mut processes = Vec::new();
    for def in &manifest.processes {
        let (index, target) = match binary(file, graph, &def.package, def.bin.as_ref()) {
            Ok(found) => found,
            Err(e) => {
                errors.extend(e.0);
                continue;
            }
        };
        processes.push(Process {
            name: def.name.get_ref().clone(),
            target,
            args: def.args.clone(),
            env: def.env.clone(),
            cwd: supervise::working_dir(dir, def.cwd.as_deref(), &graph.packages[index].dir),
            watch: Watched {
                name: def.name.get_ref().clone(),
                package: index,
                extra: def.watch.iter().map(|w| dir.join(w)).collect(),
            },
        });
    }
    match errors.is_empty() {
        true => Ok(processes),
        false => Err(Diagnostics(errors).sorted()),
    }
}

/// The binary `bin` of workspace package `package` (its only one when
/// `bin` is not given), and the package's index in the graph.
pub fn binary(
    file: &SourceFile,
    graph: &Graph,
    package: &Spanned<String>,
    bin: Option<&Spanned<String>>,
) -> Result<(usize, BinTarget), Diagnostics> {
    let Some(index) = graph.package(package.get_ref()) else {
        let names: Vec<&str> = graph
            .packages
            .iter()
            .filter(|p| !p.bins.is_empty())
            .map(|p| p.name.as_str())
            .collect();
        return Err(Diagnostics(vec![
            file.error(
                span(package),
                format!(
                    "there is no package `{}` in the workspace at {}",
                    package.get_ref(),
                    graph.root.display()
                ),
            )
            .with_help(format!(
                "the packages with binaries are: {}",
                names.join(", ")
            )),
        ]));
    };
    let found = &graph.packages[index];
    let bin = match bin {
        Some(bin) if found.bins.contains(bin.get_ref()) => bin.get_ref().clone(),
        Some(bin) => {
            return Err(Diagnostics(vec![file.error(
                span(bin),
                format!(
                    "package `{}` has no binary `{}`; it has: {}",
                    found.name,
                    bin.get_ref(),
                    found.bins.join(", ")
                ),
            )]));
        }
        None if found.bins.len() == 1 => found.bins[0].clone(),
        None => {
            return Err(Diagnostics(vec![
                file.error(
                    span(package),
                    format!(
                        "package `{}` has {} binaries; say which with `bin`",
                        found.name,
                        found.bins.len()
                    ),
                )
                .with_help(format!("its binaries are: {}", found.bins.join(", "))),
            ]));
        }
    };
    let target = BinTarget {
        package: found.name.clone(),
        bin,
    };
    Ok((index, target))
}

/// Read the manifest, ask cargo about the workspace, and check one against
/// the other; keep the processes asked for.
pub fn load(path: &Path, only: &[String]) -> Result<(Manifest, Graph, Vec<Process>), DevError> {
    let (file, manifest) = manifest::load(path)?;
    if manifest.processes.is_empty() {
        return Err(DevError::NoProcesses(path.to_path_buf()));
    }
    let graph = Graph::load(path.parent().unwrap_or(Path::new(".")))?;
    let mut processes = resolve(&file, &manifest, &graph)?;
    if let Some(name) = only
        .iter()
        .find(|n| !processes.iter().any(|p| &&p.name == n))
    {
        let known: Vec<&str> = processes.iter().map(|p| p.name.as_str()).collect();
        return Err(DevError::UnknownProcess {
            name: name.clone(),
            known: known.join(", "),
        });
    }
    if !only.is_empty() {
        processes.retain(|p| only.contains(&p.name));
    }
    Ok((manifest, graph, processes))
}

/// Run the processes until SIGINT or SIGTERM, rebuilding and restarting
/// them on every change (unless `once`). Every happening goes to `on`.
pub fn run(
    opts: &DevOptions,
    on: impl Fn(DevEvent) + Send + Sync + 'static,
) -> Result<(), DevError> {
    let (manifest, graph, processes) = load(&opts.manifest, &opts.only)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DevError::Runtime)?;
    runtime.block_on(async {
        let shutdown = shutdown_signal().map_err(DevError::Runtime)?;
        let base = opts.manifest.parent().unwrap_or(Path::new("."));
        let names = processes.iter().map(|p| p.name.clone());
        let opened = open_dashboard(&manifest, base, names, on).await;
        let (on, receiver) = (opened.sink, opened.receiver);
        let mut main = Loop::new(opts, manifest, graph, processes, on);
        main.otlp = receiver;
        main.run(shutdown).await
    })
}

/// A dashboard being served.
pub(crate) struct Opened {
    /// Every event given to it reaches the dashboard's board as well as
    /// the caller's `on`.
    pub(crate) sink: Sink,
    /// The trace receiver's endpoint, for the processes' `OTLP_ENDPOINT`.
    pub(crate) receiver: Option<String>,
    /// Where the page is; `None` when its port was taken.
    pub(crate) url: Option<String>,
}

/// Serve the dashboard of `processes` on the manifest's `docs_port`, with
/// the trace receiver unless a collector is configured (`OTLP_ENDPOINT` in
/// looklook's environment).
pub(crate) async fn open_dashboard(
    manifest: &manifest::Manifest,
    base: &Path,
    processes: impl Iterator<Item = String>,
    on: impl Fn(DevEvent) + Send + Sync + 'static,
) -> Opened {
    let ports = manifest.ports();
    let board = board::Board::new(processes.map(|name| {
        let (serve, metrics) = (
            ports.serve.get(&name).copied(),
            ports.metrics.get(&name).copied(),
        );
        (name, serve, metrics)
    }));
    let traces = Arc::new(std::sync::Mutex::new(traces::TraceStore::new(
        dashboard::MAX_SPANS,
    )));
    let stack = looklook_stack::load(&base.join(manifest::STACK_FILE))
        .ok()
        .map(|(_, stack)| stack);
    let otlp = match std::env::var(OTLP_ENDPOINT) {
        Ok(endpoint) if !endpoint.is_empty() => dashboard::Otlp::Elsewhere {
            endpoint,
            jaeger: stack_ui("JAEGER_UI", stack.as_ref(), "jaeger").await,
        },
        _ => match traces::start(traces.clone()).await {
            Ok(endpoint) => dashboard::Otlp::Here(endpoint),
            Err(e) => {
                on(DevEvent::Notice {
                    message: format!("no trace receiver: {e}"),
                });
                dashboard::Otlp::Elsewhere {
                    endpoint: String::new(),
                    jaeger: String::new(),
                }
            }
        },
    };
    let receiver = match &otlp {
        dashboard::Otlp::Here(endpoint) => Some(endpoint.clone()),
        dashboard::Otlp::Elsewhere { .. } => None,
    };
    let openapi = manifest
        .clients
        .as_ref()
        .and_then(|c| c.openapi.as_ref())
        .map(|dir| base.join(dir));
    let dashboard = dashboard::Dashboard {
        board: Arc::new(std::sync::Mutex::new(board)),
        traces,
        scraper: Default::default(),
        otlp,
        openapi: openapi.clone(),
        grafana: stack_ui("GRAFANA_UI", stack.as_ref(), "grafana").await,
        gateway: manifest
            .gateway
            .as_ref()
            .and_then(|_| gateway_address(stack.as_ref())),
    };
    let feed = dashboard.board.clone();
    let on: Sink = Arc::new(move |event: DevEvent| {
        feed.lock().unwrap_or_else(|e| e.into_inner()).apply(&event);
        on(event);
    });
    let port = manifest.dev.docs_port;
    let url = match dashboard::start(dashboard, port).await {
        Ok(url) => {
            on(DevEvent::Dashboard { url: url.clone() });
            if openapi.is_some() {
                on(DevEvent::Reference {
                    url: format!("{url}reference/"),
                });
            }
            Some(url)
        }
        Err(e) => {
            on(DevEvent::Notice {
                message: format!("the dashboard is not served: 127.0.0.1:{port}: {e}"),
            });
            None
        }
    };
    Opened {
        sink: on,
        receiver,
        url,
    }
}

/// Where a web UI of the stack is, when it is up: `var` from looklook's
/// environment, else the first published port of the stack file's
/// `service` (`looklook up -p observability`), if something answers there.
/// Empty otherwise: the dashboard links only to what is there.
async fn stack_ui(var: &str, stack: Option<&looklook_stack::StackFile>, service: &str) -> String {
    if let Ok(url) = std::env::var(var) {
        return url;
    }
    let Some(addr) = stack_address(stack, service) else {
        return String::new();
    };
    let connect = tokio::net::TcpStream::connect(addr.as_str());
    match tokio::time::timeout(Duration::from_millis(300), connect).await {
        Ok(Ok(_)) => format!("http://{addr}"),
        _ => String::new(),
    }
}

/// The first published address of the stack file's `service`.
fn stack_address(stack: Option<&looklook_stack::StackFile>, service: &str) -> Option<String> {
    stack?.service(service)?.address()
}

/// The stack service in front of the API services (looklook.stack.toml's
/// `[services.gateway]`).
const GATEWAY_SERVICE: &str = "gateway";

/// Where the gateway answers: its address variable (`GATEWAY_ADDR`, as
/// the demo's walk reads it) from looklook's environment, else where the
/// stack publishes it.
fn gateway_address(stack: Option<&looklook_stack::StackFile>) -> Option<String> {
    match std::env::var(manifest::addr_var(GATEWAY_SERVICE)) {
        Ok(addr) if !addr.is_empty() => Some(addr),
        _ => stack_address(stack, GATEWAY_SERVICE),
    }
}

type Sink = Arc<dyn Fn(DevEvent) + Send + Sync>;

/// The variable a service reads its trace collector from.
pub(crate) const OTLP_ENDPOINT: &str = "OTLP_ENDPOINT";

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
pub(crate) fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

/// What reaches the loop from the watcher and the processes.
enum Msg {
    Files(DebounceEventResult),
    Exited {
        process: String,
        generation: u64,
        status: ExitStatus,
    },
    RestartDue {
        process: String,
        generation: u64,
    },
}

/// One process as the loop keeps it.
struct Slot {
    process: Process,
    exe: Option<PathBuf>,
    child: Option<Child>,
    /// Bumped on every start: messages about an earlier run are stale.
    generation: u64,
    started: Instant,
    /// The wait before the next restart after a crash.
    backoff: Duration,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A process that ran this long before crashing starts over from the
/// shortest back-off.
const STABLE_AFTER: Duration = Duration::from_secs(10);

type Building = Pin<Box<dyn Future<Output = (Result<Build, BuildError>, Vec<String>)> + Send>>;

struct Loop {
    manifest_path: PathBuf,
    /// Where each process's output is kept (`supervise::LOG_DIR`).
    log_dir: PathBuf,
    settings: manifest::DevSettings,
    once: bool,
    color: bool,
    graph: Graph,
    /// Every process's ports, as the manifest gives them.
    ports: manifest::Ports,
    slots: Vec<Slot>,
    on: Sink,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    /// Processes changed files reached while a build was running: the next
    /// build's.
    pending: Vec<String>,
    pending_paths: Vec<PathBuf>,
    /// The embedded trace receiver, told to every process as its
    /// `OTLP_ENDPOINT` (unless its own env says otherwise).
    otlp: Option<String>,
}

impl Loop {
    fn new(
        opts: &DevOptions,
        manifest: Manifest,
        graph: Graph,
        processes: Vec<Process>,
        on: Sink,
    ) -> Loop {
        let (tx, rx) = mpsc::unbounded_channel();
        Loop {
            manifest_path: opts.manifest.clone(),
            log_dir: opts
                .manifest
                .parent()
                .unwrap_or(Path::new("."))
                .join(supervise::LOG_DIR),
            ports: manifest.ports(),
            settings: manifest.dev,
            once: opts.once,
            color: opts.color,
            graph,
            slots: processes
                .into_iter()
                .map(|process| Slot {
                    process,
                    exe: None,
                    child: None,
                    generation: 0,
                    started: Instant::now(),
                    backoff: FIRST_BACKOFF,
                })
                .collect(),
            on,
            tx,
            rx,
            pending: Vec::new(),
            pending_paths: Vec::new(),
            otlp: None,
        }
    }

    async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), DevError> {
        tokio::pin!(shutdown);
        let everything: Vec<String> = self.slots.iter().map(|s| s.process.name.clone()).collect();
        // The first build: in --once mode a failure ends the run; when
        // watching, the next save tries again.
        (self.on)(DevEvent::Building {
            processes: everything.clone(),
            changed: Vec::new(),
        });
        let targets = self.targets(&everything);
        let first = tokio::select! {
            build = build::build(&self.graph.root, &targets, self.color) => build?,
            _ = &mut shutdown => return Ok(()),
        };
        if !first.ok() {
            if self.once {
                return Err(DevError::BuildFailed(first.errors));
            }
            (self.on)(DevEvent::BuildFailed {
                errors: first.errors.clone(),
                took: first.took,
                kept: Vec::new(),
            });
        }
        for name in &everything {
            self.install(name, &first);
            self.start(name)?;
        }
        let mut watch = match self.once {
            true => None,
            false => Some(self.watch()?),
        };
        let mut building: Option<Building> = None;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                (result, processes) = async { building.as_mut().expect("a build").await },
                    if building.is_some() =>
                {
                    building = None;
                    self.finish_build(result?, &processes).await?;
                }
                Some(msg) = self.rx.recv() => match msg {
                    Msg::Files(Ok(events)) => {
                        if let Some(watch) = watch.as_mut() {
                            let changed = watch.changed(&events)?;
                            self.changed(changed, watch)?;
                        }
                    }
                    Msg::Files(Err(errors)) => {
                        for e in errors {
                            (self.on)(DevEvent::Notice { message: format!("watching: {e}") });
                        }
                    }
                    Msg::Exited { process, generation, status } => {
                        self.exited(&process, generation, status);
                    }
                    Msg::RestartDue { process, generation } => {
                        let due = self.slot(&process).is_some_and(|s| {
                            s.generation == generation && s.child.is_none()
                        });
                        if due {
                            self.start(&process)?;
                        }
                    }
                },
            }
            if building.is_none() && !self.pending.is_empty() {
                let processes = std::mem::take(&mut self.pending);
                let changed = std::mem::take(&mut self.pending_paths);
                (self.on)(DevEvent::Building {
                    processes: processes.clone(),
                    changed,
                });
                let root = self.graph.root.clone();
                let targets = self.targets(&processes);
                let color = self.color;
                building = Some(Box::pin(async move {
                    (build::build(&root, &targets, color).await, processes)
                }));
            }
        }
        drop(watch);
        self.stop_all().await;
        Ok(())
    }

    fn slot(&self, name: &str) -> Option<&Slot> {
        self.slots.iter().find(|s| s.process.name == name)
    }

    fn slot_mut(&mut self, name: &str) -> &mut Slot {
        self.slots
            .iter_mut()
            .find(|s| s.process.name == name)
            .expect("a process of the manifest")
    }

    fn targets(&self, names: &[String]) -> Vec<BinTarget> {
        let mut targets: Vec<BinTarget> = names
            .iter()
            .filter_map(|n| self.slot(n))
            .map(|s| s.process.target.clone())
            .collect();
        targets.sort();
        targets.dedup();
        targets
    }

    fn watch(&mut self) -> Result<Watch, DevError> {
        let tx = self.tx.clone();
        let extra: Vec<PathBuf> = self
            .slots
            .iter()
            .flat_map(|s| s.process.watch.extra.clone())
            .chain([self.manifest_path.clone()])
            .collect();
        let watch = Watch::start(&self.graph, &extra, self.settings.debounce(), move |r| {
            let _ = tx.send(Msg::Files(r));
        })?;
        (self.on)(DevEvent::Watching { dirs: watch.len() });
        Ok(watch)
    }

    /// Files changed: queue a build for the processes they reach.
    fn changed(&mut self, paths: Vec<PathBuf>, watch: &mut Watch) -> Result<(), DevError> {
        if paths.is_empty() {
            return Ok(());
        }
        if paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == "Cargo.toml"))
        {
            self.reload_graph(watch)?;
        }
        if paths.contains(&self.manifest_path) {
            (self.on)(DevEvent::Notice {
                message: format!(
                    "{} changed: restart looklook dev to use it",
                    self.manifest_path.display()
                ),
            });
        }
        let watched: Vec<Watched> = self.slots.iter().map(|s| s.process.watch.clone()).collect();
        let affected = graph::affected(&self.graph, &watched, &paths);
        if affected.is_empty() {
            return Ok(());
        }
        for name in affected {
            if !self.pending.contains(&name) {
                self.pending.push(name);
            }
        }
        for path in paths {
            let path = path
                .strip_prefix(&self.graph.root)
                .map(Path::to_path_buf)
                .unwrap_or(path);
            if !self.pending_paths.contains(&path) {
                self.pending_paths.push(path);
            }
        }
        Ok(())
    }

    /// A `Cargo.toml` changed: crates may have come, gone or changed their
    /// dependencies. A manifest cargo cannot read keeps the graph as it was
    /// (the build will show cargo's complaint).
    fn reload_graph(&mut self, watch: &mut Watch) -> Result<(), DevError> {
        match Graph::load(&self.graph.root) {
            Ok(graph) => {
                for slot in &mut self.slots {
                    if let Some(index) = graph.package(&slot.process.target.package) {
                        slot.process.watch.package = index;
                    }
                }
                watch.add_roots(&graph)?;
                self.graph = graph;
            }
            Err(e) => (self.on)(DevEvent::Notice {
                message: e.to_string(),
            }),
        }
        Ok(())
    }

    /// Take a process's new binary from a build, if the build made it.
    fn install(&mut self, name: &str, build: &Build) -> bool {
        let slot = self.slot_mut(name);
        match build.executables.get(&slot.process.target) {
            Some(exe) => {
                slot.exe = Some(exe.clone());
                true
            }
            None => false,
        }
    }

    async fn finish_build(&mut self, build: Build, processes: &[String]) -> Result<(), DevError> {
        let (built, kept): (Vec<String>, Vec<String>) = processes
            .iter()
            .cloned()
            .partition(|name| self.install(name, &build));
        if !build.ok() {
            (self.on)(DevEvent::BuildFailed {
                errors: build.errors.clone(),
                took: build.took,
                kept: kept
                    .into_iter()
                    .filter(|n| self.slot(n).is_some_and(|s| s.child.is_some()))
                    .collect(),
            });
        }
        if built.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let grace = self.settings.grace();
        let stops: Vec<_> = built
            .iter()
            .filter_map(|name| self.slot_mut(name).child.take())
            .map(|child| child.stop(grace))
            .collect();
        futures_util::future::join_all(stops).await;
        for name in &built {
            self.slot_mut(name).backoff = FIRST_BACKOFF;
            self.start(name)?;
        }
        (self.on)(DevEvent::Reloaded {
            processes: built,
            build: build.took,
            restart: started.elapsed(),
        });
        Ok(())
    }

    fn start(&mut self, name: &str) -> Result<(), DevError> {
        let tx = self.tx.clone();
        let on = self.on.clone();
        let dir = self.log_dir.clone();
        let port = self.ports.answers_on(name);
        let mut env = manifest::process_env(
            name,
            &self.ports,
            &self.slot(name).expect("a process of the loop").process.env,
        );
        if let Some(endpoint) = &self.otlp {
            env.entry(OTLP_ENDPOINT.into())
                .or_insert_with(|| endpoint.clone());
        }
        let slot = self.slot_mut(name);
        let Some(exe) = slot.exe.clone() else {
            return Ok(());
        };
        slot.generation += 1;
        let generation = slot.generation;
        let spec = Spec {
            exe: exe.clone(),
            args: slot.process.args.clone(),
            env,
            cwd: slot.process.cwd.clone(),
        };
        let process = name.to_string();
        let log = match supervise::LogFile::open(&dir, name) {
            Ok(log) => Some(log),
            Err(e) => {
                on(DevEvent::Notice {
                    message: format!(
                        "{process}: its output is not kept in {}: {e}",
                        dir.display()
                    ),
                });
                None
            }
        };
        let lines = {
            let (on, process) = (on.clone(), process.clone());
            move |line: String, stderr| {
                if let Some(log) = &log {
                    log.write(&line);
                }
                on(DevEvent::Output {
                    process: process.clone(),
                    line,
                    stderr,
                })
            }
        };
        let exit = {
            let process = process.clone();
            move |status| {
                let _ = tx.send(Msg::Exited {
                    process,
                    generation,
                    status,
                });
            }
        };
        let child = supervise::spawn(&spec, lines, exit).map_err(|source| DevError::Spawn {
            process: process.clone(),
            exe,
            source,
        })?;
        on(DevEvent::Started {
            process: process.clone(),
            pid: child.pid,
        });
        slot.child = Some(child);
        slot.started = Instant::now();
        if let Some(port) = port {
            tokio::spawn(report_answering(process, port, on));
        }
        Ok(())
    }

    /// A process ended. If it was not being stopped, report it and start it
    /// again after its back-off.
    fn exited(&mut self, name: &str, generation: u64, status: ExitStatus) {
        let tx = self.tx.clone();
        let Some(slot) = self.slots.iter_mut().find(|s| s.process.name == name) else {
            return;
        };
        if slot.generation != generation || slot.child.is_none() {
            return;
        }
        slot.child = None;
        if slot.started.elapsed() >= STABLE_AFTER {
            slot.backoff = FIRST_BACKOFF;
        }
        let restart_in = slot.backoff;
        slot.backoff = (slot.backoff * 2).min(MAX_BACKOFF);
        (self.on)(DevEvent::Exited {
            process: name.to_string(),
            status: describe(status),
            restart_in,
        });
        let process = name.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(restart_in).await;
            let _ = tx.send(Msg::RestartDue {
                process,
                generation,
            });
        });
    }

    async fn stop_all(&mut self) {
        let grace = self.settings.grace();
        let stops: Vec<_> = self
            .slots
            .iter_mut()
            .filter_map(|s| s.child.take().map(|c| (s.process.name.clone(), c)))
            .map(|(name, child)| async move {
                child.stop(grace).await;
                name
            })
            .collect();
        for name in futures_util::future::join_all(stops).await {
            (self.on)(DevEvent::Stopped { process: name });
        }
    }
}

/// Poll the port until the process accepts a connection (for a minute at
/// most), and say how long that took.
async fn report_answering(process: String, port: u16, on: Sink) {
    let started = Instant::now();
    while started.elapsed() < supervise::READY_WITHIN {
        if supervise::answers(port).await {
            on(DevEvent::Answering {
                process,
                after: started.elapsed(),
            });
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stack UI is linked while something answers on its published port,
    /// and not once it is gone.
    #[tokio::test]
    async fn a_stack_ui_is_linked_only_while_it_is_up() {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stack = dir.path().join(manifest::STACK_FILE);
        std::fs::write(
            &stack,
            format!(
                "project = \"ui\"\n\n[services.grafana]\nimage = \"grafana/grafana:latest\"\nports = [\"127.0.0.1:{port}:{port}\"]\n"
            ),
        )
        .unwrap();
        let var = "LOOKLOOK_TEST_UNSET_UI";
        let (_, stack) = looklook_stack::load(&stack).unwrap();
        let stack = Some(&stack);
        assert_eq!(
            stack_ui(var, stack, "grafana").await,
            format!("http://127.0.0.1:{port}")
        );
        assert_eq!(stack_ui(var, stack, "jaeger").await, "");
        drop(listener);
        assert_eq!(stack_ui(var, stack, "grafana").await, "");
    }
}
