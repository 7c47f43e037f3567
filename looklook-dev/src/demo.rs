//! `looklook demo`: a project, running for real, with a walk through it.
//!
//! Bring the stack file's services up, build and start every process of
//! `looklook.toml` on its ports (each waited for until it answers), then
//! run the walk the manifest's `[demo]` table names, with every process's
//! `<NAME>_ADDR`, and end with its exit status. The dashboard of
//! `looklook dev` shows the processes meanwhile, and receives their traces;
//! with `serve` it stays up with them. The walk is the project's
//! own: the reference system's books a homestay; a new project's calls its
//! hello route. looklook knows nothing about either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use looklook_diagnostics::Diagnostics;
use looklook_manifest::{self as manifest, DemoDef};
use looklook_stack as stack;
use looklook_stack::ops::{self as infra, EngineChoice, InfraError, UpOptions};
use tokio::sync::mpsc;

use crate::build::{self, BinTarget, BuildError};
use crate::graph::{Graph, GraphError};
use crate::supervise::{self, Spec};
use crate::system::{System, SystemError};
use crate::{DevEvent, OTLP_ENDPOINT, Process, resolve};

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The project manifest (`looklook.toml`); the stack file beside it.
    pub manifest: PathBuf,
    pub engine: EngineChoice,
    /// Bring the stack up first (`looklook up`); without it, what the
    /// processes need must already be running.
    pub up: bool,
    /// After the walk, keep the processes running until SIGINT or SIGTERM.
    pub serve: bool,
}

/// What happens, in order.
#[derive(Debug)]
pub enum DemoEvent {
    Infra(stack::Event),
    Building,
    Built {
        took: Duration,
    },
    Started {
        name: String,
        port: Option<u16>,
    },
    /// The walk starts: its command line.
    Walking {
        command: String,
    },
    /// A line the walk wrote.
    Walk {
        line: String,
        stderr: bool,
    },
    /// The dashboard is served here: the processes, their logs, metrics
    /// and the walk's traces.
    Dashboard {
        url: String,
    },
    /// The walk is done and the processes keep running (`serve`).
    Serving,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Definition(#[from] Diagnostics),
    #[error("{} has no [demo] table: say what walks through the system", .0.display())]
    NoDemo(PathBuf),
    #[error("the walk's command uses ${{{0}}}, which no process provides")]
    UnknownVariable(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Infra(#[from] InfraError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("the project does not build:\n{0}")]
    Compile(String),
    #[error(transparent)]
    System(#[from] SystemError),
    #[error("cannot start the walk ({0}): {1}")]
    Walk(String, std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// The demo of a manifest, checked against its workspace.
struct Plan {
    root: PathBuf,
    demo: DemoDef,
    processes: Vec<Process>,
    manifest: manifest::Manifest,
    walk: Walk,
}

/// The walk: a workspace binary to build, or a command as it is.
enum Walk {
    Binary {
        target: BinTarget,
        args: Vec<String>,
    },
    Command(Vec<String>),
}

fn plan(path: &Path) -> Result<Plan, DemoError> {
    let (file, manifest) = manifest::load(path)?;
    let Some(demo) = manifest.demo.clone() else {
        return Err(DemoError::NoDemo(path.to_path_buf()));
    };
    let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let graph = Graph::load(&root)?;
    let processes = resolve(&file, &manifest, &graph)?;
    let walk = demo.walk.get_ref();
    let walk = match &walk.package {
        Some(package) => {
            let (_, target) = crate::binary(&file, &graph, package, walk.bin.as_ref())?;
            Walk::Binary {
                target,
                args: walk.args.clone(),
            }
        }
        None => Walk::Command(walk.command.clone()),
    };
    Ok(Plan {
        root,
        demo,
        processes,
        manifest,
        walk,
    })
}

/// Bring up the stack, start the processes, run the walk and stop the
/// processes again (the stack stays up). The walk's exit status.
pub fn run(
    opts: &DemoOptions,
    on: &mut (dyn FnMut(DemoEvent) + Send),
) -> Result<ExitStatus, DemoError> {
    let plan = plan(&opts.manifest)?;
    let stack_file = plan.root.join(manifest::STACK_FILE);
    let services = plan.demo.up.clone().unwrap_or_default();
    let wants_stack = plan.demo.up.as_ref().is_none_or(|up| !up.is_empty());
    // Where the stack's services answer, for the walk: the gateway above all.
    let stack_env = if wants_stack {
        stack_addresses(&stack_file, &services)
    } else {
        BTreeMap::new()
    };
    if opts.up && wants_stack && stack_file.is_file() {
        let up = UpOptions {
            stack_file,
            engine: opts.engine,
            services,
            profiles: Vec::new(),
        };
        infra::up(&up, &mut |e| on(DemoEvent::Infra(e)))?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DemoError::Runtime)?;
    rt.block_on(async {
        on(DemoEvent::Building);
        let mut targets: Vec<BinTarget> = plan.processes.iter().map(|p| p.target.clone()).collect();
        if let Walk::Binary { target, .. } = &plan.walk {
            targets.push(target.clone());
        }
        let built = build::build(&plan.root, &targets, false).await?;
        if !built.ok() {
            return Err(DemoError::Compile(built.errors));
        }
        on(DemoEvent::Built { took: built.took });
        let exes: BTreeMap<BinTarget, PathBuf> = built.executables;
        let by_bin = exes
            .iter()
            .map(|(target, path)| (target.bin.clone(), path.clone()))
            .collect();
        // The dashboard, as `looklook dev` serves it: what the walk did is
        // there to see, above all with `serve`.
        let names = plan.processes.iter().map(|p| p.name.clone());
        let opened = crate::open_dashboard(&plan.manifest, &plan.root, names, |_| {}).await;
        let (board, receiver) = (opened.sink, opened.receiver);
        if let Some(url) = opened.url {
            on(DemoEvent::Dashboard { url });
        }
        // The processes send their traces to the dashboard's receiver,
        // unless the demo's own env names a collector.
        let mut env = plan.demo.env.clone();
        if let Some(endpoint) = receiver {
            env.entry(OTLP_ENDPOINT.into()).or_insert(endpoint);
        }
        let lines = board.clone();
        let system = System::start(
            &plan.root,
            &plan.processes,
            &by_bin,
            plan.manifest.ports(),
            &env,
            move |process, line| {
                lines(DevEvent::Output {
                    process: process.to_string(),
                    line: line.to_string(),
                    stderr: false,
                })
            },
        )
        .await?;
        // The build that made them, as the dashboard's last build.
        board(DevEvent::Reloaded {
            processes: plan.processes.iter().map(|p| p.name.clone()).collect(),
            build: built.took,
            restart: Duration::ZERO,
        });
        for (name, pid) in system.pids() {
            board(DevEvent::Started {
                process: name.clone(),
                pid,
            });
            board(DevEvent::Answering {
                process: name,
                after: Duration::ZERO,
            });
        }
        for (name, port) in system.addresses() {
            on(DemoEvent::Started { name, port });
        }
        let status = walk(&plan, &exes, &system, &stack_env, on).await;
        if opts.serve && status.as_ref().is_ok_and(ExitStatus::success) {
            on(DemoEvent::Serving);
            until_signal().await;
        }
        system.stop().await;
        status
    })
}

/// `<NAME>_ADDR` of the stack services the demo uses (`only`, else those
/// outside a profile): their first published address, as for a process.
fn stack_addresses(stack_file: &Path, only: &[String]) -> BTreeMap<String, String> {
    let Ok((_, stack)) = looklook_stack::load(stack_file) else {
        return BTreeMap::new();
    };
    stack
        .services
        .iter()
        .filter(|(name, def)| {
            if only.is_empty() {
                def.profiles.is_empty()
            } else {
                only.contains(name.get_ref())
            }
        })
        .filter_map(|(name, def)| Some((manifest::addr_var(name.get_ref()), def.address()?)))
        .collect()
}

/// Run the walk to its end, its lines going to `on`.
async fn walk(
    plan: &Plan,
    exes: &BTreeMap<BinTarget, PathBuf>,
    system: &System,
    stack_env: &BTreeMap<String, String>,
    on: &mut (dyn FnMut(DemoEvent) + Send),
) -> Result<ExitStatus, DemoError> {
    let mut env = stack_env.clone();
    env.extend(system.env());
    env.extend(plan.demo.env.clone());
    let (exe, args) = match &plan.walk {
        Walk::Binary { target, args } => {
            let exe = exes
                .get(target)
                .cloned()
                .ok_or_else(|| SystemError::NoBinary(target.bin.clone()))?;
            (exe, args.clone())
        }
        Walk::Command(words) => {
            let words = words
                .iter()
                .map(|w| expand(w, &env))
                .collect::<Result<Vec<_>, _>>()?;
            let (first, rest) = words.split_first().expect("checked: a command has a word");
            (PathBuf::from(first), rest.to_vec())
        }
    };
    let command = std::iter::once(exe.display().to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    on(DemoEvent::Walking {
        command: command.clone(),
    });
    let spec = Spec {
        exe,
        args,
        env,
        cwd: plan.root.clone(),
    };
    // Its lines, then its status; the channel closes once the process has
    // exited and both of its pipes are read to the end.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (line_tx, exit_tx) = (tx.clone(), tx);
    supervise::spawn(
        &spec,
        move |line, stderr| {
            let _ = line_tx.send(Ok((line, stderr)));
        },
        move |status| {
            let _ = exit_tx.send(Err(status));
        },
    )
    .map_err(|e| DemoError::Walk(command.clone(), e))?;
    let mut exit = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            Ok((line, stderr)) => on(DemoEvent::Walk { line, stderr }),
            Err(status) => exit = Some(status),
        }
    }
    exit.ok_or_else(|| DemoError::Walk(command, std::io::Error::other("its exit status was lost")))
}

/// `${VAR}` in a word of the walk's command, from the walk's environment.
fn expand(word: &str, env: &BTreeMap<String, String>) -> Result<String, DemoError> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + len];
        let value = env
            .get(name)
            .ok_or_else(|| DemoError::UnknownVariable(name.into()))?;
        out.push_str(&rest[..start]);
        out.push_str(value);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// SIGINT or SIGTERM.
async fn until_signal() {
    if let Ok(signal) = crate::shutdown_signal() {
        signal.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_the_walks_variables_and_refuses_unknown_ones() {
        let env = BTreeMap::from([("HELLO_API_ADDR".to_string(), "127.0.0.1:8888".to_string())]);
        assert_eq!(
            expand("http://${HELLO_API_ADDR}/from/you", &env).unwrap(),
            "http://127.0.0.1:8888/from/you"
        );
        assert_eq!(expand("no ${ end", &env).unwrap(), "no ${ end");
        assert!(matches!(
            expand("${NOPE_ADDR}", &env),
            Err(DemoError::UnknownVariable(v)) if v == "NOPE_ADDR"
        ));
    }
}
