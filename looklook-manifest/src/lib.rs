//! The project manifest (`looklook.toml`): the services whose crates
//! `looklook gen` (with no arguments) regenerates from their definitions,
//! and the processes `looklook dev` and `looklook demo` run. Each process is
//! a binary of a crate in the cargo workspace, with its arguments,
//! environment and working directory.
//!
//! The manifest is the one place a process's ports are written: every
//! process is told its own (`PORT`, `METRICS_PORT`) and where the others
//! are (`<NAME>_ADDR`, see [`process_env`]), and the Prometheus targets are
//! written from it (by `looklook gen`, from [`MetricsDef`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use heck::ToShoutySnakeCase;
use serde::Deserialize;
pub use toml::Spanned;

use looklook_diagnostics::{Diagnostic, Diagnostics, SourceFile, Span};

/// The file every command looks for, walking up from the current directory.
pub const MANIFEST: &str = "looklook.toml";

/// The file `looklook up` looks for, walking up from the current directory.
pub const STACK_FILE: &str = "looklook.stack.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub dev: DevSettings,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceDef>,
    #[serde(default, rename = "process")]
    pub processes: Vec<ProcessDef>,
    /// What `looklook demo` does once the processes answer.
    pub demo: Option<DemoDef>,
    /// Where `looklook gen` writes the Prometheus scrape targets.
    pub metrics: Option<MetricsDef>,
    /// Where `looklook gen` writes what clients read: OpenAPI and TypeScript.
    pub clients: Option<ClientsDef>,
    /// The gateway in front of the API services, whose nginx config
    /// `looklook gen` writes.
    pub gateway: Option<GatewayDef>,
    /// Where `looklook gen` writes the Kubernetes manifests, and how.
    pub kube: Option<KubeDef>,
    /// Where `looklook gen` writes a Dockerfile per process.
    pub docker: Option<DockerDef>,
    /// The Rust type of SQL types or columns, over the model generator's
    /// defaults: `"tinyint(1)" = "i8"`, `"order.trade_state" = "i8"`.
    #[serde(default)]
    pub types: BTreeMap<String, Spanned<String>>,
}

/// `[demo]`: bring the stack up, start every process, then run `walk` and
/// exit with its status.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoDef {
    /// The stack file's services to bring up first [default: all of them
    /// outside a profile]; none when the project has no stack file.
    pub up: Option<Vec<String>>,
    /// More environment for every process (and the walk) in the demo.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub walk: Spanned<WalkDef>,
}

/// The demo's walk: a binary of the workspace (`package`, `bin`, `args`),
/// or any `command`. Either way it gets the processes' `<NAME>_ADDR`
/// variables, and `${VAR}` in a command's words is replaced from them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkDef {
    pub package: Option<Spanned<String>>,
    pub bin: Option<Spanned<String>>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub command: Vec<String>,
}

/// `[metrics]`: the Prometheus file-based service discovery file that
/// `looklook gen` writes from the processes' `metrics_port`s.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsDef {
    /// Relative to the manifest, such as
    /// `observability/prometheus/targets.yml`.
    pub targets: String,
    /// How Prometheus reaches the processes [default:
    /// `host.docker.internal`, the host as a container sees it].
    #[serde(default = "default_metrics_host")]
    pub host: String,
}

/// `[clients]`: what `looklook gen` writes from the services' `.api` files
/// for the people who call them. Paths are relative to the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsDef {
    /// The merged document's title [default: the manifest directory's name].
    pub title: Option<String>,
    /// A directory: an OpenAPI 3.1 document per service
    /// (`<service>.openapi.yaml`) and one of them all (`openapi.yaml`).
    pub openapi: Option<String>,
    /// A directory: the TypeScript client, `looklook.ts` and
    /// `<service>.ts` per service.
    pub typescript: Option<String>,
}

/// `[gateway]`: one nginx in front of every API service. `looklook gen`
/// writes its config from the services' `.api` prefixes and the processes'
/// ports; the stack file's service that binds the config runs it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayDef {
    /// The config file, relative to the manifest.
    pub config: String,
    /// How nginx reaches the processes [default: `host.docker.internal`,
    /// the host as a container sees it; the native engine reads it as
    /// 127.0.0.1].
    #[serde(default = "default_metrics_host")]
    pub host: String,
    /// Routes limited per client address, as `service/handler`
    /// (`usercenter/login`).
    #[serde(default)]
    pub limit: Vec<String>,
    /// Their rate, in nginx's terms [default: `5r/s`].
    #[serde(default = "default_rate")]
    pub rate: String,
    /// Requests over the rate that are still let through at once.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// The largest request body [default: `1m`].
    #[serde(default = "default_max_body")]
    pub max_body: String,
}

/// `[kube]`: the Kubernetes manifests `looklook gen` writes for every
/// process: a kustomize base and `dev` and `prod` overlays under `dir`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeDef {
    /// Relative to the manifest, such as `deploy/k8s`.
    pub dir: String,
    /// Where the images are: `<registry>/<process>:<tag>`.
    pub registry: String,
    /// The tag the prod overlay deploys [default: `latest`].
    #[serde(default = "default_tag")]
    pub tag: String,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Processes not deployed (a local stand-in such as a sandbox).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Processes that must run once (a scheduler): one replica, replaced.
    #[serde(default)]
    pub singletons: Vec<String>,
    /// Settings every process reads that are not secrets and not process
    /// addresses: where Kafka is, a topic's name.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The host the gateway's Ingress answers for.
    #[serde(default = "default_kube_host")]
    pub host: String,
    /// The gateway's image: an nginx that runs as a user, on 8080.
    #[serde(default = "default_gateway_image")]
    pub gateway_image: String,
    /// Autoscaling: at most this many pods a service.
    #[serde(default = "default_max_replicas")]
    pub max_replicas: u32,
    /// At most this many pods of a process where more would sit idle: a
    /// Kafka consumer gets one partition a pod.
    #[serde(default)]
    pub max_replicas_of: BTreeMap<String, u32>,
    /// Autoscaling: the CPU use (% of the request) it aims for.
    #[serde(default = "default_cpu_target")]
    pub cpu_target: u32,
}

/// `[docker]`: a Dockerfile per process (`<dir>/<process>.Dockerfile`),
/// built from the workspace root, and the root's `.dockerignore`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerDef {
    /// Relative to the manifest, such as `deploy/docker`.
    pub dir: String,
    /// The image the binary runs on [default: distroless `cc`, as a user].
    #[serde(default = "default_docker_base")]
    pub base: String,
    /// The image it is built in [default: `rust:<the workspace's
    /// rust-version>-bookworm`].
    pub builder: Option<String>,
    /// Processes without an image.
    #[serde(default)]
    pub exclude: Vec<String>,
}

fn default_docker_base() -> String {
    "gcr.io/distroless/cc-debian12:nonroot".into()
}

fn default_tag() -> String {
    "latest".into()
}

fn default_namespace() -> String {
    "default".into()
}

fn default_kube_host() -> String {
    "api.example.com".into()
}

fn default_gateway_image() -> String {
    "nginxinc/nginx-unprivileged:1.27".into()
}

fn default_max_replicas() -> u32 {
    10
}

fn default_cpu_target() -> u32 {
    70
}

fn default_rate() -> String {
    "5r/s".into()
}

fn default_burst() -> u32 {
    10
}

fn default_max_body() -> String {
    "1m".into()
}

fn default_docs_port() -> u16 {
    7070
}

fn default_metrics_host() -> String {
    "host.docker.internal".into()
}

/// A service's definitions and where its crates go: `<dir>/api` from the
/// `.api` file, `<dir>/rpc` from the `.proto`, `<dir>/model` from the SQL.
/// Paths are relative to the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub name: Spanned<String>,
    pub dir: String,
    pub api: Option<String>,
    pub proto: Option<String>,
    pub sql: Option<String>,
    /// The model's database [default: the SQL file's name].
    pub database: Option<String>,
    /// The database the SQL file is written for: `mysql` (MySQL and
    /// MariaDB, the default) or `postgres`.
    #[serde(default)]
    pub dialect: SqlDialect,
    /// Put the model's reads by key behind Redis.
    #[serde(default)]
    pub cache: bool,
}

/// Which database a service's SQL is written for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlDialect {
    #[default]
    Mysql,
    Postgres,
}

/// How the dev loop behaves; the defaults suit most projects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSettings {
    /// Quiet time after the last save before a rebuild starts: one rebuild
    /// for a burst of saves.
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u64,
    /// How long a process has to exit after SIGTERM before it gets SIGKILL.
    #[serde(default = "default_grace_ms")]
    pub grace_ms: u64,
    /// Where `looklook dev` serves the API reference (127.0.0.1 only), when
    /// `[clients]` names OpenAPI documents.
    #[serde(default = "default_docs_port")]
    pub docs_port: u16,
}

impl Default for DevSettings {
    fn default() -> Self {
        DevSettings {
            debounce_ms: default_debounce_ms(),
            grace_ms: default_grace_ms(),
            docs_port: default_docs_port(),
        }
    }
}

impl DevSettings {
    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }

    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.grace_ms)
    }
}

fn default_debounce_ms() -> u64 {
    50
}

fn default_grace_ms() -> u64 {
    5000
}

/// One process: a binary of a workspace crate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessDef {
    /// What output lines and messages call it.
    pub name: Spanned<String>,
    /// The cargo package the binary belongs to.
    pub package: Spanned<String>,
    /// The binary [default: the package's only binary].
    pub bin: Option<Spanned<String>>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where it runs, relative to the manifest [default: the package's
    /// directory, so `etc/<name>.yaml` is found as with `cargo run`].
    pub cwd: Option<String>,
    /// More files or directories whose changes restart it (its config, say),
    /// relative to the manifest.
    #[serde(default)]
    pub watch: Vec<String>,
    /// The TCP port it serves on (its `PORT`): the dev loop reports when it
    /// answers there, and the other processes find it as `<NAME>_ADDR`.
    pub port: Option<u16>,
    /// Where it serves its metrics (its `METRICS_PORT`), scraped by
    /// Prometheus; a process without `port` counts as up once this answers.
    pub metrics_port: Option<u16>,
}

/// The ports of a project's processes, by process name: the manifest's, or
/// others (a test's free ones) for the same processes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ports {
    pub serve: BTreeMap<String, u16>,
    pub metrics: BTreeMap<String, u16>,
}

impl Ports {
    /// Where `name` answers: its port, else its metrics port.
    pub fn answers_on(&self, name: &str) -> Option<u16> {
        self.serve
            .get(name)
            .or_else(|| self.metrics.get(name))
            .copied()
    }

    /// Every process that serves, as `<NAME>_ADDR = 127.0.0.1:<port>`:
    /// what a process (or the demo's walk) is told about the others.
    pub fn addresses(&self) -> BTreeMap<String, String> {
        self.serve
            .iter()
            .map(|(name, port)| (addr_var(name), format!("127.0.0.1:{port}")))
            .collect()
    }
}

/// The variable that holds process `name`'s address: `order-rpc` →
/// `ORDER_RPC_ADDR`.
pub fn addr_var(name: &str) -> String {
    format!("{}_ADDR", name.to_shouty_snake_case())
}

/// The image repository of process `name` in `registry`:
/// `registry.example.com/shop` + `catalog-api` →
/// `registry.example.com/shop/catalog-api`. The manifests `looklook gen`
/// writes deploy it, and `looklook build` tags it.
pub fn image_repository(registry: &str, name: &str) -> String {
    format!("{}/{name}", registry.trim_end_matches('/'))
}

/// The environment a process starts with: dev mode, the others' addresses,
/// its own `PORT` and `METRICS_PORT`, then its manifest `env` (which wins).
pub fn process_env(
    name: &str,
    ports: &Ports,
    own: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env = ports.addresses();
    // `looklook dev` and `demo` run on a developer's machine, on purpose
    // with the committed development secrets: the runtime's dev mode.
    // Anywhere else a service starts in `pro` and refuses them.
    env.insert("LOOKLOOK_MODE".into(), "dev".into());
    if let Some(port) = ports.serve.get(name) {
        env.insert("PORT".into(), port.to_string());
    }
    if let Some(port) = ports.metrics.get(name) {
        env.insert("METRICS_PORT".into(), port.to_string());
    }
    env.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

impl Manifest {
    /// The ports the manifest gives its processes.
    pub fn ports(&self) -> Ports {
        let mut ports = Ports::default();
        for p in &self.processes {
            let name = p.name.get_ref();
            if let Some(port) = p.port {
                ports.serve.insert(name.clone(), port);
            }
            if let Some(port) = p.metrics_port {
                ports.metrics.insert(name.clone(), port);
            }
        }
        ports
    }
}

/// Read and check a manifest. Unknown keys, bad values and duplicate names
/// are reported with their place; whether packages and binaries exist is
/// checked against the workspace later ([`super::resolve`]).
pub fn load(path: &Path) -> Result<(SourceFile, Manifest), Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::file(
            path,
            format!("cannot read the manifest: {e}"),
        )])
    })?;
    let file = SourceFile::new(path, text);
    let manifest = parse(&file)?;
    Ok((file, manifest))
}

pub fn parse(file: &SourceFile) -> Result<Manifest, Diagnostics> {
    let manifest: Manifest = looklook_diagnostics::from_toml(file)?;
    let mut errors = Vec::new();
    let mut seen: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
    for service in &manifest.services {
        if service.api.is_none() && service.proto.is_none() && service.sql.is_none() {
            errors.push(file.error(
                span(&service.name),
                format!(
                    "service `{}` names no definition: give it `api`, `proto` or `sql`",
                    service.name.get_ref()
                ),
            ));
        }
    }
    for process in &manifest.processes {
        let name = &process.name;
        if !plain(name.get_ref()) {
            errors.push(file.error(
                span(name),
                format!(
                    "process name `{}` must be lower-case letters, digits and `-`",
                    name.get_ref()
                ),
            ));
        }
        if let Some(first) = seen.insert(name.get_ref(), name) {
            let (line, _) = file.line_col(first.span().start);
            errors.push(file.error(
                span(name),
                format!(
                    "there is already a process named `{}` (line {line})",
                    name.get_ref()
                ),
            ));
        }
    }
    if let Some(demo) = &manifest.demo {
        let walk = demo.walk.get_ref();
        if walk.package.is_some() != walk.command.is_empty() {
            errors.push(file.error(
                span(&demo.walk),
                "the demo's walk names a `package` or a `command`, one of the two".to_string(),
            ));
        }
    }
    let mut taken: BTreeMap<u16, &str> = BTreeMap::new();
    for process in &manifest.processes {
        for port in [process.port, process.metrics_port].into_iter().flatten() {
            if let Some(other) = taken.insert(port, process.name.get_ref()) {
                errors.push(file.error(
                    span(&process.name),
                    format!(
                        "process `{}` uses port {port}, which `{other}` uses too",
                        process.name.get_ref()
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(manifest)
    } else {
        Err(Diagnostics(errors).sorted())
    }
}

pub fn span<T>(s: &Spanned<T>) -> Span {
    Span::new(s.span().start, s.span().end)
}

fn plain(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The given manifest, else the nearest `looklook.toml` from `from` upwards.
pub fn find(given: Option<&Path>, from: &Path) -> Option<PathBuf> {
    match given {
        Some(path) => Some(path.to_path_buf()),
        None => from
            .ancestors()
            .map(|dir| dir.join(MANIFEST))
            .find(|p| p.is_file()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Manifest, String> {
        let file = SourceFile::new("looklook.toml", text);
        parse(&file).map_err(|d| {
            d.iter()
                .map(|d| format!("{}:{}", d.line, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn a_service_names_its_sql_dialect() {
        let m = check(
            "[[service]]\nname = \"shop\"\ndir = \"shop\"\nsql = \"shop.sql\"\ndialect = \"postgres\"\n\n\
             [[service]]\nname = \"old\"\ndir = \"old\"\nsql = \"old.sql\"\n",
        )
        .unwrap();
        let dialects: Vec<SqlDialect> = m.services.iter().map(|s| s.dialect).collect();
        assert_eq!(dialects, [SqlDialect::Postgres, SqlDialect::Mysql]);
        let err =
            check("[[service]]\nname = \"x\"\ndir = \"x\"\ndialect = \"oracle\"\n").unwrap_err();
        assert!(err.starts_with("4:") && err.contains("oracle"), "{err}");
    }

    #[test]
    fn reads_processes_with_defaults() {
        let m = check(
            r#"
[[process]]
name = "user-api"
package = "usercenter-api"
args = ["-f", "etc/user.yaml"]
env = { RUST_LOG = "debug" }
port = 8888
"#,
        )
        .unwrap();
        assert_eq!(m.dev.debounce_ms, 50);
        assert_eq!(m.dev.grace_ms, 5000);
        let p = &m.processes[0];
        assert_eq!(p.name.get_ref(), "user-api");
        assert_eq!(p.package.get_ref(), "usercenter-api");
        assert!(p.bin.is_none());
        assert_eq!(p.args, ["-f", "etc/user.yaml"]);
        assert_eq!(p.env["RUST_LOG"], "debug");
        assert_eq!(p.port, Some(8888));
    }

    #[test]
    fn reports_duplicates_bad_names_and_unknown_keys_with_lines() {
        let err = check(
            r#"
[[process]]
name = "api"
package = "a"

[[process]]
name = "api"
package = "b"

[[process]]
name = "Worker"
package = "c"
"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "7:there is already a process named `api` (line 3)\n\
             11:process name `Worker` must be lower-case letters, digits and `-`"
        );
        let err = check("[[process]]\nname = \"a\"\npackage = \"a\"\nport = \"x\"\n").unwrap_err();
        assert!(err.starts_with("4:"), "{err}");
        let err = check("[dev]\ndebounce = 5\n").unwrap_err();
        assert!(err.contains("unknown field `debounce`"), "{err}");
    }

    #[test]
    fn tells_each_process_its_ports_and_where_the_others_are() {
        let m = check(
            r#"
[metrics]
targets = "prom/targets.yml"

[[process]]
name = "order-rpc"
package = "order-rpc"
port = 7001
metrics_port = 7002

[[process]]
name = "order-mq"
package = "order-mq"
metrics_port = 7003
env = { PORT = "mine" }
"#,
        )
        .unwrap();
        let ports = m.ports();
        assert_eq!(ports.answers_on("order-mq"), Some(7003));
        let env = process_env("order-rpc", &ports, &BTreeMap::new());
        assert_eq!(env["ORDER_RPC_ADDR"], "127.0.0.1:7001");
        assert_eq!(
            (env["PORT"].as_str(), env["METRICS_PORT"].as_str()),
            ("7001", "7002")
        );
        let env = process_env("order-mq", &ports, &m.processes[1].env);
        assert_eq!(env["PORT"], "mine", "the manifest's env wins");
        assert!(!env.contains_key("ORDER_MQ_ADDR"));
        let metrics = m.metrics.unwrap();
        assert_eq!(metrics.targets, "prom/targets.yml");
        assert_eq!(metrics.host, "host.docker.internal");
    }

    #[test]
    fn refuses_a_port_two_processes_use() {
        let err = check(
            "[[process]]\nname = \"a\"\npackage = \"a\"\nport = 1\n\n\
             [[process]]\nname = \"b\"\npackage = \"b\"\nmetrics_port = 1\n",
        )
        .unwrap_err();
        assert_eq!(err, "7:process `b` uses port 1, which `a` uses too");
    }

    #[test]
    fn reads_a_demo_walk_as_a_package_or_a_command() {
        let m = check("[demo]\nwalk = { package = \"walker\" }\n").unwrap();
        assert!(m.demo.unwrap().walk.get_ref().package.is_some());
        let m = check("[demo]\nup = []\nwalk = { command = [\"curl\", \"${A_ADDR}\"] }\n").unwrap();
        assert_eq!(m.demo.unwrap().walk.get_ref().command.len(), 2);
        let err = check("[demo]\nwalk = { package = \"w\", command = [\"w\"] }\n").unwrap_err();
        assert!(
            err.contains("2:the demo's walk names a `package` or a `command`"),
            "{err}"
        );
    }
}
