//! The container engine: the stack's services as containers, through the
//! Docker Engine API (Docker itself, or Podman's compatible service), with
//! bollard.
//!
//! Containers are named `<project>-<service>` and labelled with the project,
//! the service and the hash of its definition, as compose does: `up` leaves
//! a running container with the same hash alone, replaces one whose hash
//! changed, and `down` touches only containers with the project's label
//! (and, with `-v`, only the declared volumes it labelled when it made them).
//! Readiness is probed by looklook itself (TCP from the host, a command run
//! in the container, or an HTTP GET): engines do not all run health checks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, ContainerSummary, EndpointSettings, HostConfig, NetworkCreateRequest,
    NetworkingConfig, PortBinding, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, ListContainersOptions, ListNetworksOptions,
    LogsOptions, RemoveContainerOptions, RemoveVolumeOptions, StopContainerOptions,
};
use futures_util::StreamExt;

use super::{
    Event, InitStep, Plan, PortMap, Probe, ServiceDef, ServiceError, StackFile, State, Status,
    definition_hash,
};

const PROJECT: &str = "dev.looklook.project";
const SERVICE: &str = "dev.looklook.service";
const HASH: &str = "dev.looklook.hash";

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "no container engine answers at {socket}: {detail}\nstart Docker (or `podman system service`), point DOCKER_HOST at it, or use `--engine native`"
    )]
    Unreachable { socket: String, detail: String },
    #[error("image `{image}` is not here and could not be pulled: {detail}")]
    Pull { image: String, detail: String },
    #[error("cannot create {path}, which `{service}` mounts: {detail}")]
    Bind {
        service: String,
        path: PathBuf,
        detail: String,
    },
    #[error(
        "the network `{network}` has no gateway address, which `host-gateway` in `hosts` stands for"
    )]
    NoGateway { network: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("building the image `{image}` failed: {detail}")]
    Build { image: String, detail: String },
    #[error("pushing the image `{image}` failed: {detail}")]
    Push { image: String, detail: String },
    #[error("the container engine refused {what}: {source}")]
    Engine { what: String, source: BollardError },
}

/// Where the engine is: `DOCKER_HOST`, else Docker's socket, else Podman's.
pub fn engine_socket() -> String {
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        return host;
    }
    let candidates = [
        "/var/run/docker.sock".to_string(),
        "/run/podman/podman.sock".to_string(),
        std::env::var("XDG_RUNTIME_DIR")
            .map_or_else(|_| String::new(), |d| format!("{d}/podman/podman.sock")),
    ];
    let found = candidates
        .iter()
        .find(|p| !p.is_empty() && Path::new(p).exists());
    format!("unix://{}", found.unwrap_or(&candidates[0]))
}

/// Connect and check the engine answers.
pub async fn connect(socket: &str) -> Result<Docker, DockerError> {
    let unreachable = |detail: String| DockerError::Unreachable {
        socket: socket.to_string(),
        detail,
    };
    let docker = Docker::connect_with_host(socket).map_err(|e| unreachable(e.to_string()))?;
    match tokio::time::timeout(Duration::from_secs(3), docker.ping()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Err(_) => return Err(unreachable("no answer within 3 s".into())),
    }
    // Podman speaks an older API version than bollard's default.
    docker
        .negotiate_version()
        .await
        .map_err(|e| unreachable(e.to_string()))
}

fn engine(what: impl Into<String>) -> impl FnOnce(BollardError) -> DockerError {
    let what = what.into();
    move |source| DockerError::Engine { what, source }
}

pub struct Containers<'a> {
    docker: Docker,
    stack: &'a StackFile,
    base: PathBuf,
}

impl<'a> Containers<'a> {
    pub fn new(docker: Docker, stack: &'a StackFile, stack_file: &Path) -> Self {
        let base = super::base_dir(stack_file);
        Containers {
            docker,
            stack,
            base,
        }
    }

    fn project(&self) -> &str {
        self.stack.project()
    }

    fn container_name(&self, service: &str) -> String {
        format!("{}-{service}", self.project())
    }

    /// The project's containers, by service.
    async fn containers(&self) -> Result<HashMap<String, ContainerSummary>, DockerError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{PROJECT}={}", self.project())],
        )]);
        let options = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        // A container that has just stopped is unreadable on Podman for a
        // moment (see `just_stopped`); the list is asked for again then.
        let deadline = Instant::now() + Duration::from_secs(10);
        let list = loop {
            match self.docker.list_containers(Some(options.clone())).await {
                Err(e) if just_stopped(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => break other.map_err(engine("listing containers"))?,
            }
        };
        Ok(list
            .into_iter()
            .filter_map(|c| {
                let service = c.labels.as_ref()?.get(SERVICE)?.clone();
                Some((service, c))
            })
            .collect())
    }

    pub async fn up(
        &self,
        plan: &Plan,
        on: &mut dyn FnMut(Event),
    ) -> Result<Vec<Status>, DockerError> {
        self.network().await?;
        let existing = self.containers().await?;
        for name in &plan.services {
            let def = self.stack.service(name).expect("planned from this stack");
            let hash = definition_hash(def);
            let current = existing.get(name);
            let same = current
                .and_then(|c| c.labels.as_ref()?.get(HASH))
                .is_some_and(|h| *h == hash);
            let running = current.is_some_and(is_running);
            if same && running {
                // Left alone, but only once it answers: an earlier `up` may
                // have been stopped (Ctrl-C) before this one became ready.
                let answers = match &def.ready {
                    Some(probe) => self.probe(name, def, probe).await,
                    None => true,
                };
                if !answers {
                    self.wait_ready(name, def).await?;
                }
                on(Event::Unchanged {
                    service: name.clone(),
                });
            } else {
                if let Some(c) = current {
                    // Changed, or stopped: start afresh from the definition.
                    let id = c.id.clone().unwrap_or_default();
                    self.remove(&id)
                        .await
                        .map_err(engine(format!("removing the old container of `{name}`")))?;
                    if !same {
                        on(Event::Recreated {
                            service: name.clone(),
                        });
                    }
                }
                super::check_ports_free(name, &def.port_maps())?;
                self.pull(&def.image, on).await?;
                self.create_and_start(name, def, &hash).await?;
                on(Event::Started {
                    service: name.clone(),
                });
                let after = self.wait_ready(name, def).await?;
                on(Event::Ready {
                    service: name.clone(),
                    after,
                });
            }
            self.init(name, def, on).await?;
        }
        // Every planned service passed its probe just now.
        Ok(plan
            .services
            .iter()
            .map(|name| self.status(name, true, true))
            .collect())
    }

    /// Remove a container, running or not.
    async fn remove(&self, container: &str) -> Result<(), BollardError> {
        let options = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        self.docker.remove_container(container, Some(options)).await
    }

    async fn network(&self) -> Result<(), DockerError> {
        let filters = HashMap::from([("name".to_string(), vec![self.project().to_string()])]);
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(engine("listing networks"))?;
        if networks
            .iter()
            .any(|n| n.name.as_deref() == Some(self.project()))
        {
            return Ok(());
        }
        let labels = HashMap::from([(PROJECT.to_string(), self.project().to_string())]);
        self.docker
            .create_network(NetworkCreateRequest {
                name: self.project().to_string(),
                driver: Some("bridge".into()),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .map_err(engine(format!("creating the network `{}`", self.project())))?;
        Ok(())
    }

    /// Pull the image when the engine does not have it.
    async fn pull(&self, image: &str, on: &mut dyn FnMut(Event)) -> Result<(), DockerError> {
        if self.docker.inspect_image(image).await.is_ok() {
            return Ok(());
        }
        on(Event::Pulling {
            image: image.to_string(),
        });
        let mut stream = self.docker.create_image(
            Some(CreateImageOptions {
                from_image: Some(image.to_string()),
                ..Default::default()
            }),
            None,
            None,
        );
        let started = Instant::now();
        let mut layers = std::collections::BTreeSet::new();
        while let Some(progress) = stream.next().await {
            let progress = progress.map_err(|e| DockerError::Pull {
                image: image.into(),
                detail: e.to_string(),
            })?;
            if let Some(e) = progress.error_detail.and_then(|d| d.message) {
                return Err(DockerError::Pull {
                    image: image.into(),
                    detail: e,
                });
            }
            // Messages with an id are about a layer; the others (`Pulling
            // from…`, `Digest: …`) say nothing a progress bar needs.
            let (Some(layer), Some(status)) = (progress.id, progress.status) else {
                continue;
            };
            let detail = progress.progress_detail.unwrap_or_default();
            let bytes = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0);
            layers.insert(layer.clone());
            on(Event::Layer {
                image: image.to_string(),
                layer,
                status,
                current: bytes(detail.current),
                total: bytes(detail.total),
            });
        }
        on(Event::Pulled {
            image: image.to_string(),
            layers: layers.len(),
            after: started.elapsed(),
        });
        Ok(())
    }

    async fn create_and_start(
        &self,
        name: &str,
        def: &ServiceDef,
        hash: &str,
    ) -> Result<(), DockerError> {
        let mut exposed = Vec::new();
        let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for port in &def.ports {
            let p = PortMap::parse(port.get_ref()).expect("checked when the stack was read");
            let key = format!("{}/tcp", p.container_port);
            exposed.push(key.clone());
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: Some(p.host_ip.clone()),
                    host_port: Some(p.host_port.to_string()),
                });
        }
        let mut binds = Vec::new();
        for bind in &def.binds {
            binds.push(match bind.split_once(':') {
                Some((host, rest)) if !host.starts_with('/') => {
                    let path = self.base.join(host);
                    // A project directory that does not exist yet (the log
                    // folder before the first `looklook dev`) is created, as
                    // Docker would; Podman refuses a missing source instead.
                    if !path.exists() && path.extension().is_none() {
                        std::fs::create_dir_all(&path).map_err(|e| DockerError::Bind {
                            service: name.into(),
                            path: path.clone(),
                            detail: e.to_string(),
                        })?;
                    }
                    format!("{}:{rest}", path.display())
                }
                _ => bind.clone(),
            });
        }
        for (volume, path) in &def.volumes {
            let volume = self.volume_name(volume);
            self.ensure_volume(&volume).await?;
            binds.push(format!("{volume}:{path}"));
        }
        let labels = HashMap::from([
            (PROJECT.to_string(), self.project().to_string()),
            (SERVICE.to_string(), name.to_string()),
            (HASH.to_string(), hash.to_string()),
        ]);
        let endpoint = EndpointSettings {
            aliases: Some(vec![name.to_string()]),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(def.image.clone()),
            cmd: (!def.command.is_empty()).then(|| def.command.clone()),
            env: Some(def.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(labels),
            exposed_ports: Some(exposed),
            host_config: Some(HostConfig {
                port_bindings: Some(bindings),
                binds: Some(binds),
                extra_hosts: (!def.hosts.is_empty()).then_some(self.extra_hosts(def).await?),
                network_mode: Some(self.project().to_string()),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(self.project().to_string(), endpoint)])),
            }),
            ..Default::default()
        };
        let container = self.container_name(name);
        self.docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(container.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .map_err(engine(format!("creating `{container}`")))?;
        if let Err(e) = self.docker.start_container(&container, None).await {
            let text = e.to_string();
            // Leave nothing half-made: the next `up` starts clean.
            let _ = self.remove(&container).await;
            if text.contains("address already in use") || text.contains("port is already allocated")
            {
                let address = def
                    .ports
                    .first()
                    .map(|p| p.get_ref().clone())
                    .unwrap_or_default();
                return Err(ServiceError::PortTaken {
                    service: name.into(),
                    address,
                    holder: None,
                }
                .into());
            }
            return Err(DockerError::Engine {
                what: format!("starting `{container}`"),
                source: e,
            });
        }
        Ok(())
    }

    /// The service's extra hosts. Docker resolves `host-gateway` to the
    /// host itself; Podman before 5 refuses the word, so for Podman it is
    /// replaced by the gateway of the project network, which is the host's
    /// address on that network.
    async fn extra_hosts(&self, def: &ServiceDef) -> Result<Vec<String>, DockerError> {
        let needs_gateway = def.hosts.iter().any(|h| h.ends_with(":host-gateway"));
        if !needs_gateway || !self.is_podman().await {
            return Ok(def.hosts.clone());
        }
        let network = self
            .docker
            .inspect_network(self.project(), None)
            .await
            .map_err(engine(format!(
                "inspecting the network `{}`",
                self.project()
            )))?;
        let gateway = network
            .ipam
            .and_then(|ipam| ipam.config)
            .into_iter()
            .flatten()
            .find_map(|c| c.gateway)
            .ok_or_else(|| DockerError::NoGateway {
                network: self.project().to_string(),
            })?;
        Ok(def
            .hosts
            .iter()
            .map(|h| match h.strip_suffix(":host-gateway") {
                Some(name) => format!("{name}:{gateway}"),
                None => h.clone(),
            })
            .collect())
    }

    async fn is_podman(&self) -> bool {
        self.docker.version().await.is_ok_and(|v| {
            v.components
                .unwrap_or_default()
                .iter()
                .any(|c| c.name.contains("Podman"))
        })
    }

    async fn wait_ready(&self, name: &str, def: &ServiceDef) -> Result<Duration, DockerError> {
        let started = Instant::now();
        let Some(probe) = &def.ready else {
            return Ok(started.elapsed());
        };
        let timeout = Duration::from_secs(probe.timeout_secs);
        let mut streak = 0;
        loop {
            if !self.running(name).await? {
                return Err(ServiceError::Exited {
                    service: name.into(),
                    log: self.tail(name, 15).await,
                }
                .into());
            }
            if self.probe(name, def, probe).await {
                streak += 1;
                if streak >= probe.successes.max(1) {
                    return Ok(started.elapsed());
                }
            } else {
                streak = 0;
            }
            if started.elapsed() > timeout {
                return Err(ServiceError::Timeout {
                    service: name.into(),
                    secs: probe.timeout_secs,
                    log: self.tail(name, 15).await,
                }
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the service's container runs.
    async fn running(&self, name: &str) -> Result<bool, DockerError> {
        Ok(self.containers().await?.get(name).is_some_and(is_running))
    }

    /// One probe: does the service answer now?
    async fn probe(&self, name: &str, def: &ServiceDef, probe: &Probe) -> bool {
        if let Some(port) = probe.tcp {
            let Some(host) = def.host_port(port) else {
                return false;
            };
            return tokio::net::TcpStream::connect(("127.0.0.1", host))
                .await
                .is_ok();
        }
        if let Some(cmd) = &probe.exec {
            return self.exec(name, cmd).await.is_ok_and(|(code, _)| code == 0);
        }
        if let Some(http) = &probe.http {
            let (port, path) = http.split_once('/').unwrap_or((http, ""));
            let Some(host) = port.parse().ok().and_then(|p| def.host_port(p)) else {
                return false;
            };
            return http_ok(host, &format!("/{path}")).await;
        }
        false
    }

    /// Run a command in the service's container: its exit code and output.
    async fn exec(&self, name: &str, cmd: &[String]) -> Result<(i64, String), BollardError> {
        let exec = self
            .docker
            .create_exec(
                &self.container_name(name),
                CreateExecOptions {
                    cmd: Some(cmd.to_vec()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await?;
        let mut output = String::new();
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = self.docker.start_exec(&exec.id, None).await?
        {
            while let Some(Ok(chunk)) = stream.next().await {
                output.push_str(&chunk.to_string());
            }
        }
        let code = self
            .docker
            .inspect_exec(&exec.id)
            .await?
            .exit_code
            .unwrap_or(-1);
        Ok((code, output))
    }

    /// A PostgreSQL service's SQL step, through `psql` on the host and the
    /// published port; its marker is a row in the server's `postgres`
    /// database, so a fresh volume runs it again and a kept one does not.
    /// Whether it ran.
    fn init_postgres(
        &self,
        name: &str,
        def: &ServiceDef,
        step: &InitStep,
        database: &str,
        sql: &[String],
    ) -> Result<bool, ServiceError> {
        use super::native::psql_output;
        let marker = format!("looklook_init_{}", step.marker());
        let port = def.host_port(5432).ok_or_else(|| ServiceError::Init {
            service: name.into(),
            step: "sql".into(),
            detail: "SQL init steps need port 5432 published".into(),
        })?;
        let check = format!(
            "CREATE TABLE IF NOT EXISTS looklook_init (step text PRIMARY KEY); \
             SELECT count(*) FROM looklook_init WHERE step = '{marker}'"
        );
        if psql_output(name, def, port, None, &check, "init marker")?.trim() == "1" {
            return Ok(false);
        }
        super::native::create_postgres_database(name, def, port, database)?;
        for file in sql {
            let path = self.base.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| ServiceError::Init {
                service: name.into(),
                step: file.clone(),
                detail: e.to_string(),
            })?;
            psql_output(name, def, port, Some(database), &text, file)?;
        }
        let record = format!("INSERT INTO looklook_init VALUES ('{marker}')");
        psql_output(name, def, port, None, &record, "init marker")?;
        Ok(true)
    }

    async fn init(
        &self,
        name: &str,
        def: &ServiceDef,
        on: &mut dyn FnMut(Event),
    ) -> Result<(), DockerError> {
        for step in &def.init {
            match step {
                InitStep::Sql { database, sql }
                    if super::native::Recipe::for_image(&def.image)
                        == Some(super::native::Recipe::Postgres) =>
                {
                    if self.init_postgres(name, def, step, database, sql)? {
                        on(Event::InitRan {
                            service: name.into(),
                            step: format!("database `{database}`: {}", sql.join(", ")),
                        });
                    }
                }
                InitStep::Sql { database, sql } => {
                    // The marker lives in the database itself, so a fresh
                    // volume runs init again and a kept one does not.
                    let marker = format!("looklook_init_{}", step.marker());
                    let port = def.host_port(3306).ok_or_else(|| ServiceError::Init {
                        service: name.into(),
                        step: "sql".into(),
                        detail: "SQL init steps need port 3306 published".into(),
                    })?;
                    let password = def
                        .env
                        .get("MYSQL_ROOT_PASSWORD")
                        .map_or("", String::as_str);
                    let check = format!(
                        "CREATE DATABASE IF NOT EXISTS `looklook`; CREATE TABLE IF NOT EXISTS `looklook`.`init` (step varchar(64) PRIMARY KEY); SELECT COUNT(*) FROM `looklook`.`init` WHERE step = '{marker}'"
                    );
                    let done = super::native::mariadb_output(
                        name,
                        port,
                        password,
                        None,
                        &check,
                        "init marker",
                    )?;
                    if done.trim().ends_with('1') {
                        continue;
                    }
                    let create = format!("CREATE DATABASE IF NOT EXISTS `{database}`");
                    super::native::mariadb_output(
                        name,
                        port,
                        password,
                        None,
                        &create,
                        "create database",
                    )?;
                    for file in sql {
                        let path = self.base.join(file);
                        let text =
                            std::fs::read_to_string(&path).map_err(|e| ServiceError::Init {
                                service: name.into(),
                                step: file.clone(),
                                detail: e.to_string(),
                            })?;
                        super::native::mariadb_output(
                            name,
                            port,
                            password,
                            Some(database),
                            &text,
                            file,
                        )?;
                    }
                    let record = format!("INSERT INTO `looklook`.`init` VALUES ('{marker}')");
                    super::native::mariadb_output(
                        name,
                        port,
                        password,
                        None,
                        &record,
                        "init marker",
                    )?;
                    on(Event::InitRan {
                        service: name.into(),
                        step: format!("database `{database}`: {}", sql.join(", ")),
                    });
                }
                InitStep::Topics { topics } => {
                    // From the host, through the published client port:
                    // no Kafka tools are needed in the image.
                    let port = def.host_port(9092).ok_or_else(|| ServiceError::Init {
                        service: name.into(),
                        step: "topics".into(),
                        detail: "topic init steps need port 9092 published".into(),
                    })?;
                    let topics = topics.clone();
                    let created = tokio::task::spawn_blocking(move || {
                        super::kafka::create_topics(&format!("127.0.0.1:{port}"), &topics)
                    })
                    .await
                    .expect("the topic creation does not panic")
                    .map_err(|detail| ServiceError::Init {
                        service: name.into(),
                        step: "topics".into(),
                        detail,
                    })?;
                    // Existing topics are left alone and not reported.
                    if !created.is_empty() {
                        on(Event::InitRan {
                            service: name.into(),
                            step: format!("topics {}", created.join(", ")),
                        });
                    }
                }
                InitStep::Http {
                    http,
                    headers,
                    body,
                } => {
                    let (base, def) = (self.base.clone(), def.clone());
                    let (http, headers, body) = (http.clone(), headers.clone(), body.clone());
                    let sent = tokio::task::spawn_blocking(move || {
                        super::request::send(&base, &def, &http, &headers, body.as_deref())
                    })
                    .await
                    .expect("sending the request does not panic")
                    .map_err(|detail| ServiceError::Init {
                        service: name.into(),
                        step: "http".into(),
                        detail,
                    })?;
                    on(Event::InitRan {
                        service: name.into(),
                        step: sent,
                    });
                }
            }
        }
        Ok(())
    }

    /// The engine's name of a volume the stack declares.
    fn volume_name(&self, volume: &str) -> String {
        format!("{}_{volume}", self.project())
    }

    /// Create a declared volume, labelled with the project, unless it exists
    /// (then it is used as it is, whoever made it).
    async fn ensure_volume(&self, name: &str) -> Result<(), DockerError> {
        if self.docker.inspect_volume(name).await.is_ok() {
            return Ok(());
        }
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(HashMap::from([(
                PROJECT.to_string(),
                self.project().to_string(),
            )])),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map_err(engine(format!("creating the volume `{name}`")))?;
        Ok(())
    }

    /// Stop and remove the project's containers and network; with
    /// `volumes`, its volumes too: those the stack declares and that carry
    /// the project's label. Others' containers and volumes (a compose
    /// project's `<project>_data`, say) are never touched.
    pub async fn down(&self, volumes: bool) -> Result<Vec<String>, DockerError> {
        let mut removed = Vec::new();
        let mut containers: Vec<(String, ContainerSummary)> =
            self.containers().await?.into_iter().collect();
        containers.sort_by(|a, b| a.0.cmp(&b.0));
        for (service, c) in containers {
            let id = c.id.clone().unwrap_or_default();
            let _ = self
                .docker
                .stop_container(
                    &id,
                    Some(StopContainerOptions {
                        t: Some(10),
                        ..Default::default()
                    }),
                )
                .await;
            self.remove(&id)
                .await
                .map_err(engine(format!("removing the container of `{service}`")))?;
            removed.push(service);
        }
        let _ = self.docker.remove_network(self.project()).await;
        if volumes {
            let declared: std::collections::BTreeSet<String> = self
                .stack
                .services
                .values()
                .flat_map(|def| def.volumes.keys())
                .map(|v| self.volume_name(v))
                .collect();
            for name in declared {
                let Ok(volume) = self.docker.inspect_volume(&name).await else {
                    continue;
                };
                let ours = volume.labels.get(PROJECT).map(String::as_str) == Some(self.project());
                if !ours {
                    continue;
                }
                self.docker
                    .remove_volume(&name, Some(RemoveVolumeOptions { force: true }))
                    .await
                    .map_err(engine(format!("removing the volume `{name}`")))?;
            }
        }
        Ok(removed)
    }

    /// Every service of the stack: running or not, and whether it answers.
    pub async fn ps(&self) -> Result<Vec<Status>, DockerError> {
        let existing = self.containers().await?;
        let mut out = Vec::new();
        for name in self.stack.services.keys().map(|k| k.get_ref().clone()) {
            let def = self.stack.service(&name).expect("a service");
            let running = existing.get(&name).is_some_and(is_running);
            let ready = running
                && match &def.ready {
                    Some(p) => self.probe(&name, def, p).await,
                    None => true,
                };
            out.push(self.status(&name, running, ready));
        }
        Ok(out)
    }

    fn status(&self, name: &str, running: bool, ready: bool) -> Status {
        let def = self.stack.service(name).expect("a service");
        let address = def.address();
        Status {
            service: name.to_string(),
            url: def.url_at(address.as_deref()),
            address,
            state: if running {
                State::Running
            } else {
                State::Stopped
            },
            ready,
            pid: None,
        }
    }

    /// The last `lines` lines of a service's output.
    pub async fn tail(&self, name: &str, lines: usize) -> String {
        let mut text = String::new();
        let mut stream = self.docker.logs(
            &self.container_name(name),
            Some(LogsOptions {
                stdout: true,
                stderr: true,
                tail: lines.to_string(),
                ..Default::default()
            }),
        );
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&chunk.to_string());
        }
        text
    }

    /// A stream of a service's log lines (all of them, then new ones with
    /// `follow`).
    pub fn logs(
        &self,
        name: &str,
        follow: bool,
    ) -> impl futures_util::Stream<Item = Result<String, BollardError>> + use<> {
        self.docker
            .logs(
                &self.container_name(name),
                Some(LogsOptions {
                    stdout: true,
                    stderr: true,
                    follow,
                    tail: "all".into(),
                    ..Default::default()
                }),
            )
            .map(|chunk| chunk.map(|c| c.to_string()))
    }
}

fn is_running(c: &ContainerSummary) -> bool {
    c.state.as_ref().is_some_and(|s| s.to_string() == "running")
}

/// Podman calls a container that has exited but is not yet cleaned up
/// `stopped`, a state the Docker API does not have, so bollard cannot read
/// it; it becomes `exited` within a moment.
fn just_stopped(e: &BollardError) -> bool {
    e.to_string().contains("unknown variant `stopped`")
}

async fn http_ok(port: u16, path: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.is_ok() && head.starts_with(b"HTTP/") && head[9] == b'2'
}
