//! The `looklook up`, `down`, `ps`, `logs` and `doctor` operations: find
//! and read the stack file, plan, and hand the plan to an engine: the
//! container engine (the Docker Engine API) when one answers, else the
//! native engine (local processes).

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use looklook_diagnostics::Diagnostics;

use crate::docker::{self, Containers, DockerError};
use crate::native::{self, Native, NativeError, Recipe};
use crate::{self as stack, PlanError, STACK_FILE, StackFile};
use crate::{Event, Status};

#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    #[error(transparent)]
    Definition(#[from] Diagnostics),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Native(#[from] NativeError),
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error("no {STACK_FILE} in {0} or any directory above it; pass one with --file")]
    NoStackFile(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Which stack file: the given one, else the nearest `looklook.stack.toml`
/// from `from` upwards.
pub fn find_stack_file(given: Option<&Path>, from: &Path) -> Result<PathBuf, InfraError> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    from.ancestors()
        .map(|dir| dir.join(STACK_FILE))
        .find(|p| p.is_file())
        .ok_or_else(|| InfraError::NoStackFile(from.to_path_buf()))
}

fn read(path: &Path) -> Result<StackFile, InfraError> {
    Ok(stack::load(path)?.1)
}

/// Which engine runs the stack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EngineChoice {
    /// The container engine when one answers, else native (with a notice).
    #[default]
    Auto,
    Docker,
    Native,
}

enum Engine {
    Docker(bollard::Docker),
    Native,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

fn engine(
    rt: &tokio::runtime::Runtime,
    choice: EngineChoice,
    on: &mut dyn FnMut(Event),
) -> Result<Engine, InfraError> {
    let socket = docker::engine_socket();
    match choice {
        EngineChoice::Native => Ok(Engine::Native),
        EngineChoice::Docker => Ok(Engine::Docker(rt.block_on(docker::connect(&socket))?)),
        EngineChoice::Auto => match rt.block_on(docker::connect(&socket)) {
            Ok(d) => Ok(Engine::Docker(d)),
            Err(e) => {
                let why = match e {
                    DockerError::Unreachable { detail, .. } => detail,
                    other => other.to_string(),
                };
                on(Event::Notice {
                    message: format!(
                        "no container engine answers at {socket} ({why}); running the services natively"
                    ),
                });
                Ok(Engine::Native)
            }
        },
    }
}

#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    pub stack_file: PathBuf,
    pub engine: EngineChoice,
    /// Only these services (and what they depend on); all when empty.
    pub services: Vec<String>,
    pub profiles: Vec<String>,
}

/// Start what the plan asks for, in dependency order, reporting each step
/// to `on`; the state of every planned service when all are ready.
pub fn up(opts: &UpOptions, on: &mut dyn FnMut(Event)) -> Result<Vec<Status>, InfraError> {
    let stack = read(&opts.stack_file)?;
    let plan = stack::plan(&stack, &opts.services, &opts.profiles)?;
    let rt = runtime();
    match engine(&rt, opts.engine, on)? {
        Engine::Docker(d) => {
            Ok(rt.block_on(Containers::new(d, &stack, &opts.stack_file).up(&plan, on))?)
        }
        Engine::Native => Ok(Native::new(&stack, &opts.stack_file).up(&plan, on)?),
    }
}

/// Stop every service of the stack; with `remove_data` delete its data.
pub fn down(
    stack_file: &Path,
    choice: EngineChoice,
    remove_data: bool,
) -> Result<Vec<String>, InfraError> {
    let stack = read(stack_file)?;
    let rt = runtime();
    match engine(&rt, choice, &mut |_| {})? {
        Engine::Docker(d) => {
            Ok(rt.block_on(Containers::new(d, &stack, stack_file).down(remove_data))?)
        }
        Engine::Native => Ok(Native::new(&stack, stack_file).down(remove_data)?),
    }
}

pub fn ps(stack_file: &Path, choice: EngineChoice) -> Result<Vec<Status>, InfraError> {
    let stack = read(stack_file)?;
    let rt = runtime();
    match engine(&rt, choice, &mut |_| {})? {
        Engine::Docker(d) => Ok(rt.block_on(Containers::new(d, &stack, stack_file).ps())?),
        Engine::Native => Ok(Native::new(&stack, stack_file).ps(None)),
    }
}

/// Write the services' logs to `out`, each line prefixed with its service
/// (through `prefix`, which may colour it); with `follow`, keep writing new
/// lines until `out` fails (the reader went away).
pub fn logs(
    stack_file: &Path,
    choice: EngineChoice,
    services: &[String],
    follow: bool,
    prefix: &dyn Fn(&str, usize) -> String,
    out: &mut dyn Write,
) -> Result<(), InfraError> {
    let stack = read(stack_file)?;
    for name in services {
        if stack.service(name).is_none() {
            return Err(PlanError::UnknownService(name.clone()).into());
        }
    }
    let rt = runtime();
    if let Engine::Docker(d) = engine(&rt, choice, &mut |_| {})? {
        let names: Vec<String> = stack
            .services
            .keys()
            .map(|k| k.get_ref().clone())
            .filter(|n| services.is_empty() || services.contains(n))
            .collect();
        let width = names.iter().map(String::len).max().unwrap_or(0);
        let containers = Containers::new(d, &stack, stack_file);
        // One stream per service, merged as lines arrive.
        let streams = names.iter().enumerate().map(|(i, n)| {
            containers
                .logs(n, follow)
                .map(move |chunk| (i, chunk))
                .boxed()
        });
        let mut merged = futures_util::stream::select_all(streams);
        rt.block_on(async {
            while let Some((i, chunk)) = merged.next().await {
                let Ok(text) = chunk else { continue };
                let label = format!("{:<width$}", names[i]);
                for line in text.lines() {
                    if writeln!(out, "{} | {line}", prefix(&label, i)).is_err() {
                        return;
                    }
                }
            }
        });
        return Ok(());
    }
    let files = Native::new(&stack, stack_file).log_files(services);
    let width = files.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut readers: Vec<(String, Option<BufReader<std::fs::File>>, PathBuf)> =
        files.into_iter().map(|(n, p)| (n, None, p)).collect();
    loop {
        let mut wrote = false;
        for (i, (name, reader, path)) in readers.iter_mut().enumerate() {
            if reader.is_none() {
                // A service that has not started yet has no log; look again later.
                *reader = std::fs::File::open(&*path).ok().map(BufReader::new);
            }
            let Some(r) = reader else { continue };
            let mut line = String::new();
            while r.read_line(&mut line).map_err(|source| InfraError::Io {
                path: path.clone(),
                source,
            })? > 0
            {
                if !line.ends_with('\n') {
                    // Half a line: wait for the rest.
                    let back = line.len() as i64;
                    let _ = r.seek(SeekFrom::Current(-back));
                    break;
                }
                let label = format!("{name:<width$}");
                if write!(out, "{} | {line}", prefix(&label, i)).is_err() {
                    return Ok(());
                }
                wrote = true;
                line.clear();
            }
        }
        if !follow {
            return Ok(());
        }
        if !wrote {
            if out.flush().is_err() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// One line of `looklook doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub found: Option<PathBuf>,
    /// How to get it when it is missing.
    pub hint: String,
}

/// What this machine has for running a stack natively.
pub fn doctor() -> Vec<Check> {
    let mut checks: Vec<Check> = [
        Recipe::Mariadb,
        Recipe::Postgres,
        Recipe::Redis,
        Recipe::Prometheus,
        Recipe::Kafka,
        Recipe::Nginx,
    ]
    .into_iter()
    .map(|r| Check {
        what: r.program().to_string(),
        found: native::find_program(r.program()),
        hint: r.install_hint().to_string(),
    })
    .collect();
    let socket = docker::engine_socket();
    let answers = runtime().block_on(docker::connect(&socket)).is_ok();
    checks.insert(
        0,
        Check {
            what: "a container engine (Docker or Podman)".into(),
            found: answers.then(|| PathBuf::from(&socket)),
            hint: format!(
                "nothing answers at {socket}: start Docker or `podman system service`, or set DOCKER_HOST; without one, `looklook up` runs what is installed here"
            ),
        },
    );
    checks.push(Check {
        what: "mariadb (client, for SQL init steps)".into(),
        found: native::find_program("mariadb"),
        hint: "apt-get install -y mariadb-client".into(),
    });
    checks
}
