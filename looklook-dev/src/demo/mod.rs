//! `looklook demo`: the reference system (services/) running for real,
//! and a booking walked through it over HTTP, as a learner would follow
//! it.
//!
//! - [`system`]: build and start the twelve processes (the eleven services
//!   and the WeChat sandbox) against given MariaDB, Redis and Kafka, each
//!   waited for until it answers.
//! - [`walk`]: register, log in, browse, book, pay through the sandbox,
//!   see the order paid (through Kafka) and an unpaid one closed (by the
//!   delayed job), each step reported as it happens.

pub mod system;
pub mod walk;

pub use system::{Infra, Ports, System, SystemError};
pub use walk::{Step, Walk, WalkError, walk};

use std::path::PathBuf;
use std::time::Duration;

use crate::build::{self, BuildError};
use looklook_stack as stack;
use looklook_stack::ops::{self as infra, EngineChoice, InfraError, UpOptions};

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The repository: its services/ and looklook.stack.toml.
    pub root: PathBuf,
    pub engine: EngineChoice,
    /// Bring MariaDB, Redis and Kafka up first (`looklook up`); without
    /// it they must already be running.
    pub up: bool,
    /// After the walk, keep the system running until SIGINT or SIGTERM.
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
        port: u16,
    },
    Step(Step),
    /// The walk is done and the system keeps running (`serve`).
    Serving,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Infra(#[from] InfraError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("the services do not build:\n{0}")]
    Compile(String),
    #[error(transparent)]
    System(#[from] SystemError),
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Bring up the infrastructure, build and start the system on the
/// reference ports, walk a booking through it, and stop it again (the
/// infrastructure stays up).
pub fn run(opts: &DemoOptions, on: &mut (dyn FnMut(DemoEvent) + Send)) -> Result<Walk, DemoError> {
    if opts.up {
        let up = UpOptions {
            stack_file: opts.root.join("looklook.stack.toml"),
            engine: opts.engine,
            services: ["mysql", "redis", "kafka"].map(String::from).to_vec(),
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
        let built = build::build(&opts.root, &system::targets(), false).await?;
        if !built.ok() {
            return Err(DemoError::Compile(built.errors));
        }
        on(DemoEvent::Built { took: built.took });
        let exes = built
            .executables
            .into_iter()
            .map(|(target, path)| (target.bin, path))
            .collect();
        let infra = Infra::reference();
        let system =
            System::start(&opts.root, &exes, &infra, Ports::reference(), |_, _| {}).await?;
        for (name, port) in system.addresses() {
            on(DemoEvent::Started { name, port });
        }
        let close_after = Duration::from_secs(infra.close_order_after_secs);
        let walked = walk(&system, close_after, &mut |step| on(DemoEvent::Step(step))).await;
        if opts.serve && walked.is_ok() {
            on(DemoEvent::Serving);
            until_signal().await;
        }
        system.stop().await;
        Ok(walked?)
    })
}

/// SIGINT or SIGTERM.
async fn until_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
