//! The reference system's processes: what each one is, how it is told
//! where everything is (environment variables its `etc/*.yaml` reads), and
//! when it counts as up.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::build::BinTarget;
use crate::supervise::{self, Child, Spec};

/// One process of the system.
struct Process {
    name: &'static str,
    package: &'static str,
    /// Its crate, under the repository: where its `etc/` is.
    dir: &'static str,
}

/// In start order: what a process calls is started before it.
const PROCESSES: &[Process] = &[
    Process {
        name: "wechat-sandbox",
        package: "looklook-wechat",
        dir: "services/wechat",
    },
    Process {
        name: "usercenter-rpc",
        package: "usercenter-rpc",
        dir: "services/usercenter/rpc",
    },
    Process {
        name: "travel-rpc",
        package: "travel-rpc",
        dir: "services/travel/rpc",
    },
    Process {
        name: "payment-rpc",
        package: "payment-rpc",
        dir: "services/payment/rpc",
    },
    Process {
        name: "order-rpc",
        package: "order-rpc",
        dir: "services/order/rpc",
    },
    Process {
        name: "order-mq",
        package: "order-mq",
        dir: "services/order/mq",
    },
    Process {
        name: "mqueue-job",
        package: "mqueue-job",
        dir: "services/mqueue/job",
    },
    Process {
        name: "mqueue-scheduler",
        package: "mqueue-scheduler",
        dir: "services/mqueue/scheduler",
    },
    Process {
        name: "usercenter-api",
        package: "usercenter-api",
        dir: "services/usercenter/api",
    },
    Process {
        name: "travel-api",
        package: "travel-api",
        dir: "services/travel/api",
    },
    Process {
        name: "order-api",
        package: "order-api",
        dir: "services/order/api",
    },
    Process {
        name: "payment-api",
        package: "payment-api",
        dir: "services/payment/api",
    },
];

/// The binaries to build.
pub fn targets() -> Vec<BinTarget> {
    PROCESSES
        .iter()
        .map(|p| BinTarget {
            package: p.package.into(),
            bin: p.name.into(),
        })
        .collect()
}

/// Where the infrastructure is.
#[derive(Debug, Clone)]
pub struct Infra {
    /// The server, without a database: `mysql://root:pw@127.0.0.1:33069`.
    pub mysql: String,
    /// With its database: `redis://127.0.0.1:36379/0`.
    pub redis: String,
    /// `host:port` of a broker.
    pub kafka: String,
    /// The databases are `{prefix}_usercenter`, `{prefix}_travel`, ...
    pub db_prefix: String,
    /// The topic payment publishes to and order-mq reads.
    pub pay_status_topic: String,
    /// How long an order may stay unpaid before the job closes it.
    pub close_order_after_secs: u64,
}

impl Infra {
    /// What `looklook up` starts from the reference stack file, and the
    /// services' defaults; unpaid orders close after 10 s so the demo can
    /// show it.
    pub fn reference() -> Infra {
        Infra {
            mysql: "mysql://root:pw@127.0.0.1:33069".into(),
            redis: "redis://127.0.0.1:36379/0".into(),
            kafka: "127.0.0.1:9092".into(),
            db_prefix: "looklook".into(),
            pay_status_topic: "payment-update-paystatus-topic".into(),
            close_order_after_secs: 10,
        }
    }
}

/// The listening ports: each service's own, and one for metrics each.
#[derive(Debug, Clone)]
pub struct Ports {
    pub by_name: BTreeMap<&'static str, u16>,
    pub metrics: BTreeMap<&'static str, u16>,
}

impl Ports {
    /// The ports of the reference system (api 100x, rpc 200x, metrics 40xx).
    pub fn reference() -> Ports {
        let by_name = [
            ("wechat-sandbox", 8990),
            ("order-api", 1001),
            ("payment-api", 1002),
            ("travel-api", 1003),
            ("usercenter-api", 1004),
            ("order-rpc", 2001),
            ("payment-rpc", 2002),
            ("travel-rpc", 2003),
            ("usercenter-rpc", 2004),
        ];
        let metrics = [
            ("order-api", 4001),
            ("order-rpc", 4002),
            ("order-mq", 4003),
            ("payment-api", 4004),
            ("payment-rpc", 4005),
            ("travel-api", 4006),
            ("travel-rpc", 4007),
            ("usercenter-api", 4008),
            ("usercenter-rpc", 4009),
            ("mqueue-job", 4010),
            ("mqueue-scheduler", 4011),
        ];
        Ports {
            by_name: by_name.into_iter().collect(),
            metrics: metrics.into_iter().collect(),
        }
    }

    /// Free ports of 127.0.0.1, for running beside another copy. Every
    /// listener is held until all are picked, so no port comes up twice.
    pub fn free() -> std::io::Result<Ports> {
        let reference = Ports::reference();
        let mut held = Vec::new();
        let mut free = || -> std::io::Result<u16> {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            let port = listener.local_addr()?.port();
            held.push(listener);
            Ok(port)
        };
        let mut ports = Ports {
            by_name: BTreeMap::new(),
            metrics: BTreeMap::new(),
        };
        for name in reference.by_name.keys() {
            ports.by_name.insert(name, free()?);
        }
        for name in reference.metrics.keys() {
            ports.metrics.insert(name, free()?);
        }
        Ok(ports)
    }

    pub fn of(&self, name: &str) -> u16 {
        self.by_name.get(name).copied().unwrap_or(0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("no binary was built for {0}")]
    NoBinary(&'static str),
    #[error("cannot start {name}: {source}")]
    Spawn {
        name: &'static str,
        source: std::io::Error,
    },
    #[error("{name} exited while starting; its last lines:\n{log}")]
    Exited { name: &'static str, log: String },
    #[error("{name} did not answer on port {port} within {secs} s; its last lines:\n{log}")]
    NotReady {
        name: &'static str,
        port: u16,
        secs: u64,
        log: String,
    },
}

/// Sees each line a process writes: its name, the line.
type OnLine = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The last lines each process wrote.
type Logs = Arc<Mutex<BTreeMap<&'static str, VecDeque<String>>>>;

/// The running system; [`System::stop`] ends it (and dropping it kills
/// what is left, as each process dies with looklook).
pub struct System {
    children: Vec<(&'static str, Child)>,
    specs: BTreeMap<&'static str, Spec>,
    pub ports: Ports,
    logs: Logs,
    /// Where each process's output is kept for the log shipper.
    log_dir: PathBuf,
    on_line: OnLine,
}

const KEEP_LINES: usize = 40;
const READY_SECS: u64 = 60;

impl System {
    /// Start every process from `exes` (binary name → path) in the
    /// repository at `root`, one after the other, each once it answers.
    /// `on_line` sees every line they write.
    pub async fn start(
        root: &Path,
        exes: &BTreeMap<String, PathBuf>,
        infra: &Infra,
        ports: Ports,
        on_line: impl Fn(&str, &str) + Send + Sync + 'static,
    ) -> Result<System, SystemError> {
        let mut system = System {
            children: Vec::new(),
            specs: BTreeMap::new(),
            ports,
            logs: Logs::default(),
            log_dir: root.join(supervise::LOG_DIR),
            on_line: Arc::new(on_line),
        };
        for process in PROCESSES {
            let exe = exes
                .get(process.name)
                .ok_or(SystemError::NoBinary(process.name))?;
            let spec = Spec {
                exe: exe.clone(),
                args: Vec::new(),
                env: env(process.name, root, infra, &system.ports),
                cwd: root.join(process.dir),
            };
            system.specs.insert(process.name, spec);
            system.start_one(process.name).await?;
        }
        Ok(system)
    }

    /// Start process `name` (again) and wait until it answers.
    pub async fn start_one(&mut self, name: &str) -> Result<(), SystemError> {
        let Some((&name, spec)) = self.specs.get_key_value(name) else {
            return Ok(());
        };
        let (logs, on_line) = (self.logs.clone(), self.on_line.clone());
        // Best effort, as in `looklook dev`: the walk does not need the file.
        let file = supervise::LogFile::open(&self.log_dir, name).ok();
        let child = supervise::spawn(
            spec,
            move |line, _| {
                on_line(name, &line);
                if let Some(file) = &file {
                    file.write(&line);
                }
                let mut logs = logs.lock().expect("not poisoned");
                let lines = logs.entry(name).or_default();
                if lines.len() == KEEP_LINES {
                    lines.pop_front();
                }
                lines.push_back(line);
            },
            |_| {},
        )
        .map_err(|source| SystemError::Spawn { name, source })?;
        self.children.push((name, child));
        self.wait_ready(name).await
    }

    fn log_of(&self, name: &str) -> String {
        let logs = self.logs.lock().expect("not poisoned");
        logs.get(name)
            .map(|l| l.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Until the process answers on its port, or on its metrics port when
    /// it serves nothing else.
    async fn wait_ready(&self, name: &'static str) -> Result<(), SystemError> {
        let port = match self.ports.by_name.get(name) {
            Some(port) => *port,
            None => self.ports.metrics.get(name).copied().unwrap_or(0),
        };
        let deadline = Instant::now() + Duration::from_secs(READY_SECS);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            // The newest process of that name is the one starting.
            let exited = self
                .children
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .is_some_and(|(_, c)| c.has_exited());
            if exited {
                return Err(SystemError::Exited {
                    name,
                    log: self.log_of(name),
                });
            }
            if Instant::now() > deadline {
                return Err(SystemError::NotReady {
                    name,
                    port,
                    secs: READY_SECS,
                    log: self.log_of(name),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop one process (a test's way to see the system survive it).
    pub async fn stop_one(&mut self, name: &str) {
        if let Some(i) = self.children.iter().position(|(n, _)| *n == name) {
            let (_, child) = self.children.remove(i);
            child.stop(Duration::from_secs(5)).await;
        }
    }

    /// Stop everything, the gateways first.
    pub async fn stop(mut self) {
        while let Some((_, child)) = self.children.pop() {
            child.stop(Duration::from_secs(5)).await;
        }
    }

    /// Every process, in start order, and the port it answers on (its
    /// metrics port when it serves nothing else).
    pub fn addresses(&self) -> Vec<(String, u16)> {
        PROCESSES
            .iter()
            .map(|p| {
                let port = self
                    .ports
                    .by_name
                    .get(p.name)
                    .or(self.ports.metrics.get(p.name));
                (p.name.to_string(), port.copied().unwrap_or(0))
            })
            .collect()
    }

    /// `http://127.0.0.1:PORT` of a process.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.ports.of(name))
    }
}

/// What a process is told, by the variables its config reads.
fn env(name: &str, root: &Path, infra: &Infra, ports: &Ports) -> BTreeMap<String, String> {
    let at = |p: &str| format!("127.0.0.1:{}", ports.of(p));
    let db = |svc: &str| format!("{}/{}_{svc}", infra.mysql, infra.db_prefix);
    let mut env: BTreeMap<String, String> = [
        // A failure to start is one line, not a backtrace.
        ("RUST_BACKTRACE", "0".into()),
        ("REDIS_URL", infra.redis.clone()),
        ("JOB_REDIS_URL", infra.redis.clone()),
        ("KAFKA_BROKERS", infra.kafka.clone()),
        ("PAY_STATUS_TOPIC", infra.pay_status_topic.clone()),
        (
            "CLOSE_ORDER_AFTER_SECS",
            infra.close_order_after_secs.to_string(),
        ),
        ("USERCENTER_DB", db("usercenter")),
        ("TRAVEL_DB", db("travel")),
        ("ORDER_DB", db("order")),
        ("PAYMENT_DB", db("payment")),
        ("USERCENTER_RPC", at("usercenter-rpc")),
        ("TRAVEL_RPC", at("travel-rpc")),
        ("ORDER_RPC", at("order-rpc")),
        ("PAYMENT_RPC", at("payment-rpc")),
        ("WECHAT_URL", format!("http://{}", at("wechat-sandbox"))),
        ("WECHAT_PAY_URL", format!("http://{}", at("wechat-sandbox"))),
        (
            "WX_NOTIFY_URL",
            format!(
                "http://{}/payment/v1/thirdPayment/thirdPaymentWxPayCallback",
                at("payment-api")
            ),
        ),
        (
            "WECHAT_KEYS",
            root.join("services/wechat/dev-keys").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(port) = ports.by_name.get(name) {
        env.insert("PORT".into(), port.to_string());
        env.insert("LISTEN_ON".into(), format!("127.0.0.1:{port}"));
    }
    if let Some(port) = ports.metrics.get(name) {
        env.insert("METRICS_PORT".into(), port.to_string());
    }
    env
}
