//! The stack file (`looklook.stack.toml`): the infrastructure services a
//! project runs while developing, how to tell each is ready, and what to do
//! once it is. Read, validated and planned here; the engines run the plan.

pub mod docker;
pub mod image;
pub mod kafka;
pub mod native;
pub mod ops;
pub mod request;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use looklook_diagnostics::{Diagnostics, SourceFile, Span, from_toml};

pub use looklook_manifest::STACK_FILE;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackFile {
    /// Names the network, labels the containers and the native data folder.
    pub project: Spanned<String>,
    #[serde(default)]
    pub services: BTreeMap<Spanned<String>, ServiceDef>,
}

/// One infrastructure service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub image: String,
    /// Replaces the image's command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// `"13306:3306"` or `"127.0.0.1:13306:3306"` (host address, host port,
    /// container port).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Spanned<String>>,
    /// Named volumes: name → path in the container. Kept by `down`, removed
    /// by `down -v`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, String>,
    /// Bind mounts `"host:container[:ro]"`; a relative host path is relative
    /// to the stack file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<String>,
    /// Extra `/etc/hosts` entries, `"name:ip"`; the IP `host-gateway` is the
    /// host itself, so `"host.docker.internal:host-gateway"` lets a container
    /// reach what runs on the host (the services under `looklook dev`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Services that must be ready before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Spanned<String>>,
    pub ready: Option<Probe>,
    /// The service starts only when one of these profiles is asked for; a
    /// service without profiles always starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Run once, after the service is first ready.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init: Vec<InitStep>,
    /// What to open or connect to, shown by `up` and `ps`:
    /// `"http://{address}"`, `"mysql://root:pw@{address}"`. `{address}` is
    /// the host address of the first published port. Not part of the
    /// definition's hash: changing it restarts nothing.
    #[serde(default, skip_serializing)]
    pub url: Option<String>,
}

/// How to tell that a service is ready for clients. Exactly one of `tcp`,
/// `exec` and `http`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// A container port to connect to (through its published host port).
    pub tcp: Option<u16>,
    /// A command run inside the service that must exit 0.
    pub exec: Option<Vec<String>>,
    /// A URL path on a container port: `"9090/-/ready"`.
    pub http: Option<String>,
    /// Give up after this long (default 60 s).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Consecutive successes needed: a server that restarts once after its
    /// first start (MySQL's image does) is not ready at the first answer.
    #[serde(default = "default_successes")]
    pub successes: u32,
}

fn default_timeout() -> u64 {
    60
}

fn default_successes() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum InitStep {
    /// Load SQL files into a database (created when missing).
    Sql { database: String, sql: Vec<String> },
    /// Create Kafka topics. The stack file is a topic's one owner: the
    /// services that use it never create it.
    Topics { topics: Vec<Topic> },
    /// Send one request to the service, through its published port, and
    /// expect a 2xx: `{ http = "POST 5601/api/data_views/data_view",
    /// headers = { "kbn-xsrf" = "true" }, body = "file.json" }` (the body
    /// file relative to the stack file). Sent on every `up`, so it must be
    /// safe to repeat (create-or-replace).
    Http {
        http: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: Option<String>,
    },
}

/// A Kafka topic: a name (one partition), or `{ name, partitions }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Topic {
    Name(String),
    Partitioned { name: String, partitions: i32 },
}

impl Topic {
    pub fn name(&self) -> &str {
        match self {
            Topic::Name(name) | Topic::Partitioned { name, .. } => name,
        }
    }

    pub fn partitions(&self) -> i32 {
        match self {
            Topic::Name(_) => 1,
            Topic::Partitioned { partitions, .. } => *partitions,
        }
    }
}

/// What can go wrong with one service, whichever engine runs it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "`{service}` needs {address}, which {} is using; stop it or change the port in the stack file",
        holder.as_deref().unwrap_or("something else (`ss -ltnp` names it)")
    )]
    PortTaken {
        service: String,
        address: String,
        /// The process listening there, when this machine says.
        holder: Option<String>,
    },
    #[error("`{service}` was not ready after {secs} s; its last log lines:\n{log}")]
    Timeout {
        service: String,
        secs: u64,
        log: String,
    },
    #[error("`{service}` exited while starting; its last log lines:\n{log}")]
    Exited { service: String, log: String },
    #[error("init of `{service}` failed ({step}):\n{detail}")]
    Init {
        service: String,
        step: String,
        detail: String,
    },
}

/// What `up` did, one line per happening, for the command to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Something the user should know, such as which engine runs the stack.
    Notice {
        message: String,
    },
    /// The engine is fetching an image it does not have.
    Pulling {
        image: String,
    },
    /// Progress on one layer of an image being pulled: `status` is the
    /// engine's word (`Downloading`, `Extracting`, `Pull complete`…), the
    /// byte counts are there while it moves data.
    Layer {
        image: String,
        layer: String,
        status: String,
        current: Option<u64>,
        total: Option<u64>,
    },
    /// The image is here now.
    Pulled {
        image: String,
        layers: usize,
        after: Duration,
    },
    Started {
        service: String,
    },
    Ready {
        service: String,
        after: Duration,
    },
    Unchanged {
        service: String,
    },
    Recreated {
        service: String,
    },
    InitRan {
        service: String,
        step: String,
    },
    Skipped {
        service: String,
        why: String,
    },
    /// `looklook build`: the engine starts building an image.
    Building {
        image: String,
    },
    /// A line the builder printed, or a push's status.
    Output {
        image: String,
        line: String,
    },
    Built {
        image: String,
        id: String,
        after: Duration,
    },
    /// `looklook push`: the image goes to its registry.
    Pushing {
        image: String,
    },
    Pushed {
        image: String,
        /// What the registry calls it, when the engine says.
        digest: Option<String>,
        after: Duration,
    },
}

/// A service's state, for `ps` and the summary after `up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub service: String,
    pub state: State,
    pub ready: bool,
    /// `127.0.0.1:13306` and the like.
    pub address: Option<String>,
    /// The service's `url` with its address filled in, else its address.
    pub url: Option<String>,
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Running,
    Stopped,
    Skipped(String),
}

/// What `up` will start, in start order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub services: Vec<String>,
}

/// Read and check a stack file: unknown keys, bad values, unknown
/// dependencies, ports and cycles are all reported with their place.
pub fn load(path: &Path) -> Result<(SourceFile, StackFile), Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let file = SourceFile::new(path, "");
        Diagnostics(vec![
            file.error(Span::default(), format!("cannot read the stack file: {e}")),
        ])
    })?;
    let file = SourceFile::new(path, text);
    let stack = parse(&file)?;
    Ok((file, stack))
}

pub fn parse(file: &SourceFile) -> Result<StackFile, Diagnostics> {
    let stack: StackFile = from_toml(file)?;
    let mut errors = Vec::new();
    let at = |s: std::ops::Range<usize>| Span::new(s.start, s.end);
    if !plain(stack.project.get_ref()) {
        errors.push(file.error(
            at(stack.project.span()),
            "the project name must be lower-case letters, digits and `-`",
        ));
    }
    for (name, def) in &stack.services {
        if !plain(name.get_ref()) {
            errors.push(file.error(
                at(name.span()),
                format!(
                    "service name `{}` must be lower-case letters, digits and `-`",
                    name.get_ref()
                ),
            ));
        }
        for dep in &def.depends_on {
            if !stack.services.keys().any(|k| k.get_ref() == dep.get_ref()) {
                errors.push(
                    file.error(
                        at(dep.span()),
                        format!(
                            "`{}` depends on `{}`, which is not a service here",
                            name.get_ref(),
                            dep.get_ref()
                        ),
                    )
                    .with_help(services_help(&stack)),
                );
            }
        }
        for port in &def.ports {
            if let Err(why) = PortMap::parse(port.get_ref()) {
                errors.push(file.error(at(port.span()), why));
            }
        }
        if let Some(probe) = &def.ready {
            let kinds = [
                probe.tcp.is_some(),
                probe.exec.is_some(),
                probe.http.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                errors.push(file.error(
                    at(name.span()),
                    format!(
                        "the `ready` probe of `{}` needs exactly one of `tcp`, `exec` and `http`",
                        name.get_ref()
                    ),
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&stack) {
        let first = &stack
            .services
            .iter()
            .find(|(k, _)| k.get_ref() == &cycle[0])
            .expect("a service")
            .1;
        let span = first
            .depends_on
            .iter()
            .find(|d| d.get_ref() == &cycle[1])
            .map_or(Span::default(), |d| at(d.span()));
        errors.push(file.error(
            span,
            format!(
                "services depend on each other in a cycle: {}",
                cycle.join(" → ")
            ),
        ));
    }
    if errors.is_empty() {
        Ok(stack)
    } else {
        Err(Diagnostics(errors).sorted())
    }
}

fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn services_help(stack: &StackFile) -> String {
    let names: Vec<&str> = stack
        .services
        .keys()
        .map(|k| k.get_ref().as_str())
        .collect();
    format!("the services are: {}", names.join(", "))
}

/// A dependency cycle, as the names along it with the first repeated at the
/// end, if there is one.
fn find_cycle(stack: &StackFile) -> Option<Vec<String>> {
    let deps = dependencies(stack);
    // Depth-first search with the path kept, from every service in order.
    fn visit(
        name: &str,
        deps: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == name) {
            let mut cycle = path[at..].to_vec();
            cycle.push(name.to_string());
            return Some(cycle);
        }
        if done.contains(name) {
            return None;
        }
        path.push(name.to_string());
        for dep in deps.get(name).into_iter().flatten() {
            if let Some(cycle) = visit(dep, deps, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(name.to_string());
        None
    }
    let mut done = BTreeSet::new();
    deps.keys()
        .find_map(|name| visit(name, &deps, &mut Vec::new(), &mut done))
}

fn dependencies(stack: &StackFile) -> BTreeMap<String, Vec<String>> {
    stack
        .services
        .iter()
        .map(|(k, d)| {
            let deps = d.depends_on.iter().map(|x| x.get_ref().clone()).collect();
            (k.get_ref().clone(), deps)
        })
        .collect()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("no service `{0}` in the stack file")]
    UnknownService(String),
    #[error("no service has the profile `{0}`")]
    UnknownProfile(String),
}

/// The services to start for a request: those named (all when none) and
/// allowed by the profiles, plus everything they depend on, each after its
/// dependencies (ties in name order, so the order is stable).
pub fn plan(stack: &StackFile, asked: &[String], profiles: &[String]) -> Result<Plan, PlanError> {
    let deps = dependencies(stack);
    for name in asked {
        if !deps.contains_key(name) {
            return Err(PlanError::UnknownService(name.clone()));
        }
    }
    for p in profiles {
        if !stack.services.values().any(|d| d.profiles.contains(p)) {
            return Err(PlanError::UnknownProfile(p.clone()));
        }
    }
    let wanted: Vec<&String> = if asked.is_empty() {
        stack
            .services
            .iter()
            .filter(|(_, d)| {
                d.profiles.is_empty() || d.profiles.iter().any(|p| profiles.contains(p))
            })
            .map(|(k, _)| k.get_ref())
            .collect()
    } else {
        asked.iter().collect()
    };
    // Close over dependencies, then order: a service comes after all of
    // its dependencies (the file was checked for cycles).
    let mut chosen = BTreeSet::new();
    let mut todo: Vec<String> = wanted.into_iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if chosen.insert(name.clone()) {
            todo.extend(deps[&name].iter().cloned());
        }
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < chosen.len() {
        let next = chosen
            .iter()
            .find(|n| !order.contains(n) && deps[*n].iter().all(|d| order.contains(d)))
            .expect("no cycles: the stack file was checked")
            .clone();
        order.push(next);
    }
    Ok(Plan { services: order })
}

/// A short, stable digest of a service's definition: containers are
/// labelled with it, and a changed definition means a new container.
pub fn definition_hash(def: &ServiceDef) -> String {
    digest(def)
}

impl InitStep {
    /// Names this step's content: a changed step runs again, an unchanged
    /// one never does.
    pub fn marker(&self) -> String {
        digest(self)
    }
}

/// 16 hex digits of the SHA-256 of a value's JSON. serde_json writes maps
/// in key order (they are BTreeMaps) and spans are not serialized, so equal
/// values give equal digests.
fn digest(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).expect("a stack value serializes");
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The directory of the stack file, absolute: relative paths in the file
/// start here.
pub(crate) fn base_dir(stack_file: &Path) -> PathBuf {
    let base = stack_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf())
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMap {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
}

impl PortMap {
    pub fn parse(text: &str) -> Result<PortMap, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let (ip, host, container) = match parts.as_slice() {
            [host, container] => ("127.0.0.1", *host, *container),
            [ip, host, container] => (*ip, *host, *container),
            _ => {
                return Err(format!(
                    "port `{text}` is not `HOST:CONTAINER` or `IP:HOST:CONTAINER`"
                ));
            }
        };
        let port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("`{p}` in port `{text}` is not a port number (1-65535)"))
        };
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(format!("`{ip}` in port `{text}` is not an IP address"));
        }
        Ok(PortMap {
            host_ip: ip.to_string(),
            host_port: port(host)?,
            container_port: port(container)?,
        })
    }
}

/// Fail with [`ServiceError::PortTaken`] when a host port the service
/// publishes is in use, naming the process that holds it when possible.
/// Checked before anything is created, so nothing is left half-made.
pub fn check_ports_free(service: &str, ports: &[PortMap]) -> Result<(), ServiceError> {
    for p in ports {
        let address = format!("{}:{}", p.host_ip, p.host_port);
        let taken = matches!(
            std::net::TcpListener::bind((p.host_ip.as_str(), p.host_port)),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse
        );
        if taken {
            return Err(ServiceError::PortTaken {
                service: service.into(),
                address,
                holder: port_holder(p.host_port),
            });
        }
    }
    Ok(())
}

/// `pid 1234 (redis-server)` for the process listening on a TCP port, from
/// Linux's /proc: the socket's inode in /proc/net/tcp{,6}, then the process
/// with that inode among its open files. None elsewhere, or when the
/// process is not ours to look at.
pub fn port_holder(port: u16) -> Option<String> {
    const LISTEN: &str = "0A";
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    let f: Vec<&str> = line.split_whitespace().collect();
                    let local_port = u16::from_str_radix(f.get(1)?.rsplit(':').next()?, 16).ok()?;
                    (local_port == port && *f.get(3)? == LISTEN)
                        .then(|| f.get(9).map(|i| i.to_string()))?
                })
                .collect::<Vec<_>>()
        })
        .find(|inode| inode != "0")?;
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let holds = std::fs::read_dir(entry.path().join("fd"))
                .ok()?
                .flatten()
                .any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == socket.as_str())
                });
            holds.then(|| {
                let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                format!("pid {pid} ({})", name.trim())
            })
        })
}

impl StackFile {
    pub fn service(&self, name: &str) -> Option<&ServiceDef> {
        self.services
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, d)| d)
    }

    pub fn project(&self) -> &str {
        self.project.get_ref()
    }
}

impl ServiceDef {
    /// The `url` to show for a service reachable at `address`.
    pub fn url_at(&self, address: Option<&str>) -> Option<String> {
        match (&self.url, address) {
            (Some(url), Some(address)) => Some(url.replace("{address}", address)),
            (Some(url), None) => Some(url.clone()),
            (None, address) => address.map(str::to_string),
        }
    }

    /// The published ports, as checked when the stack was read.
    pub fn port_maps(&self) -> Vec<PortMap> {
        self.ports
            .iter()
            .filter_map(|p| PortMap::parse(p.get_ref()).ok())
            .collect()
    }

    /// Where the service answers on the host: its first published port
    /// (`127.0.0.1:8888`).
    pub fn address(&self) -> Option<String> {
        let p = self.port_maps().into_iter().next()?;
        Some(format!("{}:{}", p.host_ip, p.host_port))
    }

    /// The host port published for a container port.
    pub fn host_port(&self, container_port: u16) -> Option<u16> {
        self.port_maps()
            .into_iter()
            .find(|p| p.container_port == container_port)
            .map(|p| p.host_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(text: &str) -> Result<StackFile, Vec<String>> {
        parse(&SourceFile::new("looklook.stack.toml", text))
            .map_err(|d| d.iter().map(|e| e.to_string()).collect())
    }

    const SAMPLE: &str = r#"
project = "shop"

[services.mysql]
image = "mysql:8"
ports = ["13306:3306"]
ready = { exec = ["mysqladmin", "ping"], successes = 2 }
init = [{ database = "shop", sql = ["schema.sql"] }]

[services.redis]
image = "redis:7"
ports = ["127.0.0.1:16379:6379"]
ready = { tcp = 6379 }

[services.kafka]
image = "apache/kafka:3.9.0"
depends_on = []
init = [{ topics = ["orders", { name = "payments", partitions = 3 }] }]

[services.app-jobs]
image = "busybox"
depends_on = ["kafka", "redis", "mysql"]
profiles = ["jobs"]

[services.grafana]
image = "grafana/grafana"
depends_on = ["prometheus"]
profiles = ["observability"]

[services.prometheus]
image = "prom/prometheus"
profiles = ["observability"]
"#;

    #[test]
    fn dependencies_come_first_and_profiles_select() {
        let s = stack(SAMPLE).unwrap();
        let all = |asked: &[&str], profiles: &[&str]| {
            let asked: Vec<String> = asked.iter().map(|s| s.to_string()).collect();
            let profiles: Vec<String> = profiles.iter().map(|s| s.to_string()).collect();
            plan(&s, &asked, &profiles).map(|p| p.services)
        };
        assert_eq!(all(&[], &[]).unwrap(), ["kafka", "mysql", "redis"]);
        assert_eq!(
            all(&[], &["observability"]).unwrap(),
            ["kafka", "mysql", "prometheus", "grafana", "redis"]
        );
        assert_eq!(
            all(&["app-jobs"], &[]).unwrap(),
            ["kafka", "mysql", "redis", "app-jobs"]
        );
        assert_eq!(all(&["redis"], &[]).unwrap(), ["redis"]);
        assert_eq!(
            all(&["nope"], &[]),
            Err(PlanError::UnknownService("nope".into()))
        );
        assert_eq!(
            all(&[], &["laptop"]),
            Err(PlanError::UnknownProfile("laptop".into()))
        );
        let mysql = s.service("mysql").unwrap();
        assert_eq!(mysql.host_port(3306), Some(13306));
        assert_eq!(mysql.ready.as_ref().unwrap().successes, 2);
        assert!(matches!(&mysql.init[0], InitStep::Sql { database, .. } if database == "shop"));
        assert!(
            matches!(&s.service("kafka").unwrap().init[0], InitStep::Topics { topics }
                if topics.iter().map(|t| (t.name(), t.partitions())).collect::<Vec<_>>() == [("orders", 1), ("payments", 3)])
        );
    }

    #[test]
    fn cycles_unknown_names_and_bad_values_are_located() {
        let e = stack("project = \"p\"\n[services.a]\nimage = \"x\"\ndepends_on = [\"b\"]\n[services.b]\nimage = \"x\"\ndepends_on = [\"a\"]\n").unwrap_err();
        assert_eq!(
            e,
            ["looklook.stack.toml:4:15: services depend on each other in a cycle: a → b → a"]
        );

        let e = stack("project = \"p\"\n[services.a]\nimage = \"x\"\ndepends_on = [\"nope\"]\nports = [\"99999:1\", \"1:2:3:4\"]\nready = { tcp = 1, http = \"80/\" }\n").unwrap_err();
        assert_eq!(
            e,
            [
                "looklook.stack.toml:2:11: the `ready` probe of `a` needs exactly one of `tcp`, `exec` and `http`",
                "looklook.stack.toml:4:15: `a` depends on `nope`, which is not a service here",
                "looklook.stack.toml:5:10: `99999` in port `99999:1` is not a port number (1-65535)",
                "looklook.stack.toml:5:21: port `1:2:3:4` is not `HOST:CONTAINER` or `IP:HOST:CONTAINER`",
            ]
        );

        let e = stack("project = \"p\"\n[services.a]\nimage = \"x\"\nimgae = \"y\"\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("looklook.stack.toml:4:1: unknown field `imgae`"),
            "{e:?}"
        );

        let e = stack("project = \"p\"\n[services.a]\nimage = 3\n").unwrap_err();
        assert!(
            e[0].starts_with("looklook.stack.toml:3:9: invalid type"),
            "{e:?}"
        );
    }

    #[test]
    fn a_taken_port_names_the_process_holding_it() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let map = PortMap::parse(&format!("127.0.0.1:{port}:80")).unwrap();
        let err = check_ports_free("redis", std::slice::from_ref(&map)).unwrap_err();
        let me = format!("pid {} (", std::process::id());
        assert!(
            matches!(&err, ServiceError::PortTaken { holder: Some(h), .. } if h.starts_with(&me)),
            "{err}"
        );
        assert!(err.to_string().starts_with(&format!(
            "`redis` needs 127.0.0.1:{port}, which pid {}",
            std::process::id()
        )));
        drop(held);
        check_ports_free("redis", &[map]).unwrap();
    }

    #[test]
    fn the_hash_follows_the_definition_not_the_layout() {
        let a =
            stack("project = \"p\"\n[services.a]\nimage = \"x\"\nenv = { B = \"2\", A = \"1\" }\n")
                .unwrap();
        let b = stack(
            "project = \"p\"\n\n[services.a]\nenv = { A = \"1\", B = \"2\" }\nimage = \"x\"\n",
        )
        .unwrap();
        let c =
            stack("project = \"p\"\n[services.a]\nimage = \"x\"\nenv = { A = \"1\", B = \"3\" }\n")
                .unwrap();
        let hash = |s: &StackFile| definition_hash(s.service("a").unwrap());
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a).len(), 16);
    }
}
