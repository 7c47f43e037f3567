//! The native engine: the stack's services as local processes, for
//! machines without a container engine. A service runs natively when its
//! server is installed here (MariaDB for `mysql`/`mariadb` images,
//! PostgreSQL, Redis, Prometheus, tansu for Kafka); the others are skipped
//! with the reason.
//!
//! Everything a service has lives in `.looklook/<service>/` next to the
//! stack file: `data/`, `service.log`, the pid, the definition hash and a
//! marker per init run. Processes run in their own process group, so they
//! outlive `looklook up` and a Ctrl-C at the terminal does not reach them.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{
    Event, InitStep, Plan, ServiceDef, ServiceError, StackFile, State, Status, definition_hash,
};

/// A server this engine knows how to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    Mariadb,
    Postgres,
    Redis,
    Prometheus,
    Kafka,
    Nginx,
}

impl Recipe {
    /// Which server an image means, by its name.
    pub fn for_image(image: &str) -> Option<Recipe> {
        let name = image.rsplit('/').next().unwrap_or(image);
        let name = name.split(':').next().unwrap_or(name);
        match name {
            "mysql" | "mariadb" => Some(Recipe::Mariadb),
            "postgres" | "postgis" => Some(Recipe::Postgres),
            "redis" | "redis-stack-server" | "valkey" => Some(Recipe::Redis),
            "prometheus" => Some(Recipe::Prometheus),
            "kafka" | "cp-kafka" | "redpanda" | "tansu" => Some(Recipe::Kafka),
            "nginx" | "nginx-unprivileged" => Some(Recipe::Nginx),
            _ => None,
        }
    }

    /// The program the recipe runs.
    pub fn program(self) -> &'static str {
        match self {
            Recipe::Mariadb => "mariadbd",
            Recipe::Postgres => "postgres",
            Recipe::Redis => "redis-server",
            Recipe::Prometheus => "prometheus",
            Recipe::Kafka => "tansu",
            Recipe::Nginx => "nginx",
        }
    }

    /// How to install the program on Debian.
    pub fn install_hint(self) -> &'static str {
        match self {
            Recipe::Mariadb => "apt-get install -y mariadb-server mariadb-client",
            Recipe::Postgres => "apt-get install -y postgresql",
            Recipe::Redis => "apt-get install -y redis-server",
            Recipe::Prometheus => "apt-get install -y prometheus",
            Recipe::Kafka => "cargo install tansu --locked --features dynostore",
            Recipe::Nginx => "apt-get install -y nginx",
        }
    }

    /// The port the server listens on inside a container. nginx listens
    /// where its config says: the service's first published port.
    fn container_port(self, def: &ServiceDef) -> u16 {
        match self {
            Recipe::Mariadb => 3306,
            Recipe::Postgres => 5432,
            Recipe::Redis => 6379,
            Recipe::Prometheus => 9090,
            Recipe::Kafka => 9092,
            Recipe::Nginx => def.port_maps().first().map_or(80, |p| p.container_port),
        }
    }
}

/// The arguments a service's `command` passes to its server. The mysql,
/// mariadb, postgres and redis images hand a command that starts with `-` to the
/// server, values and all, so `command = ["--maxmemory-policy",
/// "noeviction"]` means the same to a container and to a native process;
/// any other command is the image's own, and a native server gets none of
/// it.
fn server_flags(def: &ServiceDef) -> &[String] {
    match def.command.first() {
        Some(first) if first.starts_with('-') => &def.command,
        _ => &[],
    }
}

/// The full path of `program` on `PATH` (and the sbin directories, where
/// Debian puts `mariadbd`, and PostgreSQL's versioned directory, where it
/// puts `postgres` and `initdb`: the newest installed).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut postgres: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .collect();
    postgres.sort_by_key(|dir| {
        let version = dir.parent().and_then(Path::file_name);
        version.and_then(|v| v.to_str()?.parse::<u32>().ok())
    });
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .chain(postgres.into_iter().rev())
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The user PostgreSQL runs as: it refuses to run as root, so a root
/// `looklook` runs it as Debian's `postgres` user; anyone else runs it as
/// themselves.
fn postgres_user() -> Option<(u32, u32)> {
    // `/proc/self` belongs to the process's effective user.
    use std::os::unix::fs::MetadataExt;
    if fs::metadata("/proc/self").ok()?.uid() != 0 {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres"))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
            .flatten()
    })
}

/// Run `command` as PostgreSQL's user (see [`postgres_user`]).
fn as_postgres(command: &mut Command) -> &mut Command {
    if let Some((uid, gid)) = postgres_user() {
        command.uid(uid).gid(gid);
    }
    command
}

/// Where a PostgreSQL service keeps its data: `<dir>/data`, unless it runs
/// as Debian's `postgres` user (looklook runs as root), which may not reach
/// the project at all (`/root` and `mktemp -d` directories are private).
/// Then the data lives in a directory of that user's under
/// `/var/tmp/looklook-postgres/`, named after the service's directory, and
/// `<dir>/data` links to it; `down -v` removes both.
fn postgres_home(dir: &Path) -> Result<PathBuf, NativeError> {
    let link = dir.join("data");
    if postgres_user().is_none() {
        return Ok(link);
    }
    if let Ok(target) = fs::read_link(&link) {
        return Ok(target);
    }
    // A cluster already here (made where the user can reach it) stays.
    if link.join("PG_VERSION").exists() {
        return Ok(link);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NativeError::Io { path, source }
    };
    let parent = Path::new("/var/tmp/looklook-postgres");
    mkdir(parent)?;
    let name: String = fs::canonicalize(dir)
        .map_err(io(dir))?
        .to_string_lossy()
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let home = parent.join(name);
    mkdir(&home)?;
    own_for_postgres(&home)?;
    // `start` made an empty directory here; the link takes its place.
    if link.is_dir() {
        fs::remove_dir(&link).map_err(io(&link))?;
    }
    std::os::unix::fs::symlink(&home, &link).map_err(io(&link))?;
    Ok(home)
}

/// Give `path` to PostgreSQL's user, when it is not ours.
fn own_for_postgres(path: &Path) -> Result<(), NativeError> {
    if let Some((uid, gid)) = postgres_user() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|source| NativeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("`{service}` could not be prepared: {detail}")]
    Prepare { service: String, detail: String },
}

/// The native engine for one stack file.
pub struct Native<'a> {
    stack: &'a StackFile,
    /// The stack file's directory: relative paths start here.
    base: PathBuf,
    /// `.looklook/` under `base`.
    state: PathBuf,
}

impl<'a> Native<'a> {
    pub fn new(stack: &'a StackFile, stack_file: &Path) -> Self {
        let base = super::base_dir(stack_file);
        Native {
            stack,
            state: base.join(".looklook"),
            base,
        }
    }

    fn dir(&self, service: &str) -> PathBuf {
        self.state.join(service)
    }

    /// Start the planned services in order, each once its dependencies are
    /// ready; leave running ones whose definition did not change.
    pub fn up(&self, plan: &Plan, on: &mut dyn FnMut(Event)) -> Result<Vec<Status>, NativeError> {
        for name in &plan.services {
            let def = self.stack.service(name).expect("planned from this stack");
            let recipe = match self.runnable(def) {
                Ok(r) => r,
                Err(why) => {
                    on(Event::Skipped {
                        service: name.clone(),
                        why,
                    });
                    continue;
                }
            };
            let dir = self.dir(name);
            let hash = definition_hash(def);
            let running = self.pid(name).filter(|pid| alive(*pid, recipe));
            let old_hash = fs::read_to_string(dir.join("hash")).ok();
            match running {
                Some(_) if old_hash.as_deref() == Some(hash.as_str()) => {
                    // An earlier `up` may have stopped before it was ready.
                    if !tcp_answers(port_of(def, recipe)) {
                        self.wait_ready(name, def, recipe)?;
                    }
                    on(Event::Unchanged {
                        service: name.clone(),
                    });
                }
                running => {
                    if let Some(pid) = running {
                        stop(pid);
                        on(Event::Recreated {
                            service: name.clone(),
                        });
                    }
                    self.start(name, def, recipe)?;
                    write(&dir.join("hash"), &hash)?;
                    on(Event::Started {
                        service: name.clone(),
                    });
                    let after = self.wait_ready(name, def, recipe)?;
                    on(Event::Ready {
                        service: name.clone(),
                        after,
                    });
                }
            }
            self.init(name, def, recipe, on)?;
        }
        Ok(self.ps(Some(plan)))
    }

    /// Stop every service of the stack that runs; with `remove_data`, delete
    /// their data too. Returns the services stopped.
    pub fn down(&self, remove_data: bool) -> Result<Vec<String>, NativeError> {
        let mut stopped = Vec::new();
        for name in self.stack.services.keys().map(|k| k.get_ref()) {
            let def = self.stack.service(name).expect("a service");
            let Ok(recipe) = self.runnable(def) else {
                continue;
            };
            if let Some(pid) = self.pid(name).filter(|pid| alive(*pid, recipe)) {
                stop(pid);
                stopped.push(name.clone());
            }
            let _ = fs::remove_file(self.dir(name).join("pid"));
            if remove_data {
                let dir = self.dir(name);
                // Data kept elsewhere (see `postgres_home`) goes too.
                if let Ok(target) = fs::read_link(dir.join("data")) {
                    fs::remove_dir_all(&target).map_err(|source| NativeError::Io {
                        path: target,
                        source,
                    })?;
                }
                if dir.exists() {
                    fs::remove_dir_all(&dir)
                        .map_err(|source| NativeError::Io { path: dir, source })?;
                }
            }
        }
        Ok(stopped)
    }

    /// The state of every service (or of the planned ones).
    pub fn ps(&self, plan: Option<&Plan>) -> Vec<Status> {
        let names: Vec<String> = match plan {
            Some(p) => p.services.clone(),
            None => self
                .stack
                .services
                .keys()
                .map(|k| k.get_ref().clone())
                .collect(),
        };
        names
            .into_iter()
            .map(|name| {
                let def = self.stack.service(&name).expect("a service");
                match self.runnable(def) {
                    Err(why) => Status {
                        service: name,
                        state: State::Skipped(why),
                        ready: false,
                        address: None,
                        url: None,
                        pid: None,
                    },
                    Ok(recipe) => {
                        let port = port_of(def, recipe);
                        let pid = self.pid(&name).filter(|pid| alive(*pid, recipe));
                        Status {
                            state: if pid.is_some() {
                                State::Running
                            } else {
                                State::Stopped
                            },
                            ready: pid.is_some() && tcp_answers(port),
                            address: Some(format!("127.0.0.1:{port}")),
                            url: def.url_at(Some(&format!("127.0.0.1:{port}"))),
                            pid,
                            service: name,
                        }
                    }
                }
            })
            .collect()
    }

    /// The log file of each named service (all when none).
    pub fn log_files(&self, services: &[String]) -> Vec<(String, PathBuf)> {
        self.stack
            .services
            .keys()
            .map(|k| k.get_ref())
            .filter(|n| services.is_empty() || services.contains(n))
            .map(|n| (n.clone(), self.dir(n).join("service.log")))
            .collect()
    }

    /// The recipe of a service, or why it cannot run here.
    fn runnable(&self, def: &ServiceDef) -> Result<Recipe, String> {
        let recipe = Recipe::for_image(&def.image).ok_or_else(|| {
            format!(
                "no native server for image `{}`; it needs a container engine",
                def.image
            )
        })?;
        if find_program(recipe.program()).is_none() {
            return Err(format!(
                "`{}` is not installed (`{}`)",
                recipe.program(),
                recipe.install_hint()
            ));
        }
        Ok(recipe)
    }

    fn pid(&self, service: &str) -> Option<u32> {
        fs::read_to_string(self.dir(service).join("pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn start(&self, name: &str, def: &ServiceDef, recipe: Recipe) -> Result<(), NativeError> {
        let dir = self.dir(name);
        let data = dir.join("data");
        fs::create_dir_all(&data).map_err(|source| NativeError::Io {
            path: data.clone(),
            source,
        })?;
        let port = port_of(def, recipe);
        let map = super::PortMap {
            host_ip: "127.0.0.1".into(),
            host_port: port,
            container_port: recipe.container_port(def),
        };
        super::check_ports_free(name, &[map])?;
        let program = find_program(recipe.program()).expect("checked by runnable");
        let mut command = Command::new(&program);
        match recipe {
            Recipe::Mariadb => {
                if !data.join("mysql").exists() {
                    let mut install = Command::new(
                        find_program("mariadb-install-db").unwrap_or("mariadb-install-db".into()),
                    );
                    install
                        .args(["--no-defaults", "--user=root", "--skip-test-db"])
                        .arg("--auth-root-authentication-method=normal")
                        .arg(format!("--datadir={}", data.display()));
                    checked(install.output(), |detail| NativeError::Prepare {
                        service: name.into(),
                        detail,
                    })?;
                }
                command
                    .arg("--no-defaults")
                    .arg(format!("--datadir={}", data.display()))
                    .arg(format!("--socket={}", dir.join("mysqld.sock").display()))
                    .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
                    .arg(format!("--port={port}"))
                    .args([
                        "--bind-address=127.0.0.1",
                        "--user=root",
                        "--skip-log-bin",
                        "--skip-name-resolve",
                    ])
                    .args(["--innodb-buffer-pool-size=64M", "--innodb-log-file-size=8M"])
                    .args(server_flags(def));
            }
            Recipe::Postgres => {
                // The password (the image's POSTGRES_PASSWORD) is read by
                // initdb from a file only its owner can read, never from
                // the command line.
                let password = def.env.get("POSTGRES_PASSWORD");
                let user = def
                    .env
                    .get("POSTGRES_USER")
                    .map_or("postgres", String::as_str);
                let data = postgres_home(&dir)?;
                if !data.join("PG_VERSION").exists() {
                    let mut initdb =
                        Command::new(find_program("initdb").unwrap_or_else(|| "initdb".into()));
                    initdb.arg("-D").arg(&data).args([
                        "-U",
                        user,
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                        "--auth-local=trust",
                    ]);
                    let pwfile = data.with_extension("pw");
                    match password {
                        Some(pass) => {
                            write_private(&pwfile, pass)?;
                            own_for_postgres(&pwfile)?;
                            initdb
                                .arg(format!("--pwfile={}", pwfile.display()))
                                .arg("--auth-host=scram-sha-256");
                        }
                        None => {
                            initdb.arg("--auth-host=trust");
                        }
                    }
                    let made = checked(as_postgres(&mut initdb).output(), |detail| {
                        NativeError::Prepare {
                            service: name.into(),
                            detail,
                        }
                    });
                    let _ = fs::remove_file(&pwfile);
                    made?;
                }
                as_postgres(&mut command)
                    .arg("-D")
                    .arg(&data)
                    .args(["-p", &port.to_string()])
                    .args(["-c", "listen_addresses=127.0.0.1"])
                    .arg("-c")
                    .arg(format!("unix_socket_directories={}", data.display()))
                    .args(server_flags(def))
                    // It may not reach the service's directory: see
                    // `postgres_home`.
                    .current_dir(&data);
            }
            Recipe::Redis => {
                // The password goes in a config file only the owner can
                // read, never on the command line, which `ps` shows anyone.
                // (A config file must be redis-server's first argument.)
                if let Some(pass) = def.env.get("REDIS_PASSWORD") {
                    let conf = dir.join("redis.conf");
                    write_private(
                        &conf,
                        &format!("requirepass \"{}\"\n", pass.replace('"', "\\\"")),
                    )?;
                    command.arg(&conf);
                }
                command
                    .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                    .arg("--dir")
                    .arg(&data)
                    .args(["--appendonly", "yes", "--save", ""])
                    .args(server_flags(def));
            }
            Recipe::Prometheus => {
                let config = self
                    .bound("/etc/prometheus/prometheus.yml", def)
                    .ok_or_else(|| NativeError::Prepare {
                        service: name.into(),
                        detail: "no bind mount provides /etc/prometheus/prometheus.yml".into(),
                    })?;
                // The scrape targets are written for containers, which
                // reach the host as host.docker.internal; a native
                // Prometheus is on the host, so that name means 127.0.0.1.
                // The other files bound under /etc/prometheus (file-SD
                // targets) are copied the same way, and the config points at
                // the copies.
                let on_host = |path: &Path| {
                    fs::read_to_string(path)
                        .map(|text| text.replace("host.docker.internal", "127.0.0.1"))
                        .map_err(|source| NativeError::Io {
                            path: path.to_path_buf(),
                            source,
                        })
                };
                let mut text = on_host(&config)?;
                for bind in &def.binds {
                    let mut parts = bind.split(':');
                    let (Some(host), Some(inside)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let Some(file) = inside.strip_prefix("/etc/prometheus/") else {
                        continue;
                    };
                    if file == "prometheus.yml" || file.contains('/') {
                        continue;
                    }
                    let copy = dir.join(file);
                    write(&copy, &on_host(&self.base.join(host))?)?;
                    text = text.replace(inside, &copy.display().to_string());
                }
                let config = dir.join("prometheus.yml");
                write(&config, &text)?;
                command
                    .arg(format!("--config.file={}", config.display()))
                    .arg(format!("--storage.tsdb.path={}", data.display()))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"));
            }
            Recipe::Nginx => {
                // The config files bound into conf.d, as a native nginx on
                // the host reads them: listening on the published port of
                // 127.0.0.1, reaching the host's processes at 127.0.0.1.
                let inside = recipe.container_port(def);
                let conf_d = dir.join("conf.d");
                mkdir(&conf_d)?;
                let mut found = false;
                for bind in &def.binds {
                    let mut parts = bind.split(':');
                    let (Some(host), Some(inside_path)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let Some(file) = inside_path.strip_prefix("/etc/nginx/conf.d/") else {
                        continue;
                    };
                    let path = self.base.join(host);
                    let text = fs::read_to_string(&path)
                        .map_err(|source| NativeError::Io { path, source })?
                        .replace("host.docker.internal", "127.0.0.1")
                        .replace(
                            &format!("listen {inside};"),
                            &format!("listen 127.0.0.1:{port};"),
                        );
                    write(&conf_d.join(file), &text)?;
                    found = true;
                }
                if !found {
                    return Err(NativeError::Prepare {
                        service: name.into(),
                        detail: "no bind mount provides a file of /etc/nginx/conf.d".into(),
                    });
                }
                // nginx makes its temp directories, but not their parent.
                let temp_dir = dir.join("temp");
                mkdir(&temp_dir)?;
                let temp = |what: &str| temp_dir.join(what).display().to_string();
                let main = format!(
                    "# Written by looklook for a native nginx: the stack's conf.d files.\n\
                     daemon off;\npid {pid};\nerror_log stderr notice;\nworker_processes 1;\n\
                     events {{\n    worker_connections 1024;\n}}\n\
                     http {{\n    default_type application/octet-stream;\n    \
                     client_body_temp_path {body};\n    proxy_temp_path {proxy};\n    \
                     fastcgi_temp_path {fastcgi};\n    uwsgi_temp_path {uwsgi};\n    \
                     scgi_temp_path {scgi};\n    include {conf_d}/*.conf;\n}}\n",
                    pid = dir.join("nginx.pid").display(),
                    body = temp("body"),
                    proxy = temp("proxy"),
                    fastcgi = temp("fastcgi"),
                    uwsgi = temp("uwsgi"),
                    scgi = temp("scgi"),
                    conf_d = conf_d.display(),
                );
                let config = dir.join("nginx.conf");
                write(&config, &main)?;
                command.arg("-p").arg(&dir).arg("-c").arg(&config);
            }
            Recipe::Kafka => {
                let url = format!("tcp://127.0.0.1:{port}");
                command
                    .args([
                        "broker",
                        "--listener-url",
                        &url,
                        "--advertised-listener-url",
                        &url,
                    ])
                    .args(["--storage-engine", "memory://tansu/"]);
            }
        }
        let log_path = dir.join("service.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| NativeError::Io {
                path: log_path.clone(),
                source,
            })?;
        let err = log.try_clone().map_err(|source| NativeError::Io {
            path: log_path.clone(),
            source,
        })?;
        if recipe != Recipe::Postgres {
            command.current_dir(&dir);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            // Its own process group: Ctrl-C in the terminal stays with us.
            .process_group(0)
            .spawn()
            .map_err(|source| NativeError::Io {
                path: program,
                source,
            })?;
        write(&dir.join("pid"), &child.id().to_string())
    }

    /// Wait until the service answers on its port the number of times in a
    /// row its probe asks for.
    fn wait_ready(
        &self,
        name: &str,
        def: &ServiceDef,
        recipe: Recipe,
    ) -> Result<Duration, NativeError> {
        let started = Instant::now();
        let probe = def.ready.as_ref();
        let timeout = Duration::from_secs(probe.map_or(60, |p| p.timeout_secs));
        let needed = probe.map_or(1, |p| p.successes.max(1));
        let port = port_of(def, recipe);
        let mut streak = 0;
        loop {
            // Just spawned: the pid is ours (it may not have exec'd yet, so
            // its command line may still be looklook's).
            if !self.pid(name).is_some_and(running) {
                return Err(ServiceError::Exited {
                    service: name.into(),
                    log: self.tail(name),
                }
                .into());
            }
            if tcp_answers(port) {
                streak += 1;
                if streak >= needed {
                    return Ok(started.elapsed());
                }
            } else {
                streak = 0;
            }
            if started.elapsed() > timeout {
                return Err(ServiceError::Timeout {
                    service: name.into(),
                    secs: timeout.as_secs(),
                    log: self.tail(name),
                }
                .into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Run the service's init steps that have not run yet: a marker per
    /// step's content means a changed step runs again, an unchanged one
    /// never does. Topics need no marker: the broker says which exist.
    fn init(
        &self,
        name: &str,
        def: &ServiceDef,
        recipe: Recipe,
        on: &mut dyn FnMut(Event),
    ) -> Result<(), NativeError> {
        for step in &def.init {
            let marker = self.dir(name).join(format!("init-{}.done", step.marker()));
            if marker.exists() {
                continue;
            }
            let (needs, kind) = match step {
                InitStep::Sql { .. } if recipe == Recipe::Postgres => {
                    (Some(Recipe::Postgres), "sql")
                }
                InitStep::Sql { .. } => (Some(Recipe::Mariadb), "sql"),
                InitStep::Topics { .. } => (Some(Recipe::Kafka), "topics"),
                InitStep::Http { .. } => (None, "http"),
            };
            if let Some(needs) = needs
                && recipe != needs
            {
                return Err(ServiceError::Init {
                    service: name.into(),
                    step: kind.into(),
                    detail: format!("{kind} init steps need a `{}` service", needs.program()),
                }
                .into());
            }
            let label = match step {
                InitStep::Sql { database, sql } if recipe == Recipe::Postgres => {
                    self.load_sql_postgres(name, def, database, sql)?;
                    write(&marker, "")?;
                    format!("database `{database}`: {}", sql.join(", "))
                }
                InitStep::Sql { database, sql } => {
                    self.load_sql(name, def, database, sql)?;
                    write(&marker, "")?;
                    format!("database `{database}`: {}", sql.join(", "))
                }
                InitStep::Topics { topics } => {
                    let created = self.create_topics(name, def, topics)?;
                    if created.is_empty() {
                        continue;
                    }
                    format!("topics {}", created.join(", "))
                }
                // Repeatable by definition: no marker, sent on every `up`.
                InitStep::Http {
                    http,
                    headers,
                    body,
                } => super::request::send(&self.base, def, http, headers, body.as_deref())
                    .map_err(|detail| ServiceError::Init {
                        service: name.into(),
                        step: kind.into(),
                        detail,
                    })?,
            };
            on(Event::InitRan {
                service: name.into(),
                step: label,
            });
        }
        Ok(())
    }

    fn load_sql(
        &self,
        name: &str,
        def: &ServiceDef,
        database: &str,
        files: &[String],
    ) -> Result<(), NativeError> {
        let port = port_of(def, Recipe::Mariadb);
        let password = def
            .env
            .get("MYSQL_ROOT_PASSWORD")
            .map_or("", String::as_str);
        // The native server starts with a password-less root; give it the
        // password the stack declares, once.
        let secured = self.dir(name).join("root-password.done");
        if !password.is_empty() && !secured.exists() {
            let sql = format!(
                "ALTER USER IF EXISTS root@localhost IDENTIFIED BY '{p}'; \
                 ALTER USER IF EXISTS root@'127.0.0.1' IDENTIFIED BY '{p}'; \
                 CREATE USER IF NOT EXISTS root@'%' IDENTIFIED BY '{p}'; \
                 GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;",
                p = password.replace('\'', "''")
            );
            mariadb(name, port, "", None, &sql, "root password")?;
            write(&secured, "")?;
        }
        let create = format!("CREATE DATABASE IF NOT EXISTS `{database}`");
        mariadb(name, port, password, None, &create, "create database")?;
        for file in files {
            mariadb(
                name,
                port,
                password,
                Some(database),
                &self.read(file)?,
                file,
            )?;
        }
        Ok(())
    }

    /// A file the stack file names (relative to it), read.
    fn read(&self, file: &str) -> Result<String, NativeError> {
        let path = self.base.join(file);
        fs::read_to_string(&path).map_err(|source| NativeError::Io { path, source })
    }

    fn load_sql_postgres(
        &self,
        name: &str,
        def: &ServiceDef,
        database: &str,
        files: &[String],
    ) -> Result<(), NativeError> {
        let port = port_of(def, Recipe::Postgres);
        create_postgres_database(name, def, port, database)?;
        for file in files {
            psql_output(name, def, port, Some(database), &self.read(file)?, file)?;
        }
        Ok(())
    }

    fn create_topics(
        &self,
        name: &str,
        def: &ServiceDef,
        topics: &[crate::Topic],
    ) -> Result<Vec<String>, NativeError> {
        let broker = format!("127.0.0.1:{}", port_of(def, Recipe::Kafka));
        super::kafka::create_topics(&broker, topics).map_err(|detail| {
            ServiceError::Init {
                service: name.into(),
                step: format!(
                    "topics {}",
                    topics
                        .iter()
                        .map(crate::Topic::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                detail,
            }
            .into()
        })
    }

    /// The host path bind-mounted at `container_path`.
    fn bound(&self, container_path: &str, def: &ServiceDef) -> Option<PathBuf> {
        def.binds.iter().find_map(|b| {
            let mut parts = b.split(':');
            let (host, inside) = (parts.next()?, parts.next()?);
            (inside == container_path).then(|| self.base.join(host))
        })
    }

    /// The last lines of a service's log.
    fn tail(&self, name: &str) -> String {
        let Ok(file) = fs::File::open(self.dir(name).join("service.log")) else {
            return "(no log)".into();
        };
        let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

/// Run SQL through the `mariadb` client on the service's port.
fn mariadb(
    service: &str,
    port: u16,
    password: &str,
    db: Option<&str>,
    sql: &str,
    step: &str,
) -> Result<(), NativeError> {
    mariadb_output(service, port, password, db, sql, step)?;
    Ok(())
}

/// Create `database` on a PostgreSQL service unless it exists (PostgreSQL
/// has no `CREATE DATABASE IF NOT EXISTS`).
pub(crate) fn create_postgres_database(
    service: &str,
    def: &ServiceDef,
    port: u16,
    database: &str,
) -> Result<(), ServiceError> {
    let literal = database.replace('\'', "''");
    let exists = psql_output(
        service,
        def,
        port,
        None,
        &format!("SELECT 1 FROM pg_database WHERE datname = '{literal}'"),
        "create database",
    )?;
    if exists.trim() != "1" {
        let quoted = database.replace('"', "\"\"");
        psql_output(
            service,
            def,
            port,
            None,
            &format!("CREATE DATABASE \"{quoted}\""),
            "create database",
        )?;
    }
    Ok(())
}

/// Run SQL through `psql` on a PostgreSQL service's port, stopping at the
/// first error; what it printed (unaligned, tuples only).
pub(crate) fn psql_output(
    service: &str,
    def: &ServiceDef,
    port: u16,
    db: Option<&str>,
    sql: &str,
    step: &str,
) -> Result<String, ServiceError> {
    let failed = |detail: String| ServiceError::Init {
        service: service.into(),
        step: step.into(),
        detail,
    };
    let user = def
        .env
        .get("POSTGRES_USER")
        .map_or("postgres", String::as_str);
    let mut c = Command::new(find_program("psql").unwrap_or_else(|| "psql".into()));
    c.args([
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
    ])
    .args(["-p", &port.to_string(), "-U", user])
    .args(["-d", db.unwrap_or("postgres")]);
    // From the environment, which only its owner sees.
    if let Some(pass) = def.env.get("POSTGRES_PASSWORD") {
        c.env("PGPASSWORD", pass);
    }
    sql_client(&mut c, sql, failed)
}

/// Run an SQL client with `sql` on its standard input; what it printed.
fn sql_client(
    client: &mut Command,
    sql: &str,
    failed: impl FnOnce(String) -> ServiceError,
) -> Result<String, ServiceError> {
    use std::io::Write;
    let output = client
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(sql.as_bytes())?;
            child.wait_with_output()
        });
    let out = checked(output, failed)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The output of a command that must succeed; `failed` says what a failure
/// (its error or its stderr) means.
fn checked<E>(
    output: std::io::Result<std::process::Output>,
    failed: impl FnOnce(String) -> E,
) -> Result<std::process::Output, E> {
    match output {
        Ok(out) if out.status.success() => Ok(out),
        Ok(out) => Err(failed(String::from_utf8_lossy(&out.stderr).into_owned())),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// Run SQL through the `mariadb` client on a port; what it printed.
pub(crate) fn mariadb_output(
    service: &str,
    port: u16,
    password: &str,
    db: Option<&str>,
    sql: &str,
    step: &str,
) -> Result<String, ServiceError> {
    let failed = |detail: String| ServiceError::Init {
        service: service.into(),
        step: step.into(),
        detail,
    };
    let mut c = Command::new(find_program("mariadb").unwrap_or_else(|| "mariadb".into()));
    c.args(["--no-defaults", "-h127.0.0.1", "-uroot"])
        .arg(format!("-P{port}"));
    // The client reads the password from its environment, which only its
    // owner sees, never from the command line, which `ps` shows anyone.
    if !password.is_empty() {
        c.env("MYSQL_PWD", password);
    }
    c.args(db);
    sql_client(&mut c, sql, failed)
}

/// The host port a service listens on: its published port, else the
/// server's usual one.
fn port_of(def: &ServiceDef, recipe: Recipe) -> u16 {
    let inside = recipe.container_port(def);
    def.host_port(inside).unwrap_or(inside)
}

fn tcp_answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Whether `pid` is alive and still the recipe's program: a pid file can
/// outlive its process, and pids are reused.
fn alive(pid: u32, recipe: Recipe) -> bool {
    running(pid)
        && fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(recipe.program()))
}

/// Whether `pid` exists and has not exited (a zombie has).
fn running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            != Some("Z")
    })
}

/// SIGTERM, up to 10 s to exit, then SIGKILL.
fn stop(pid: u32) {
    let signal = |sig: &str| {
        let _ = Command::new("kill")
            .args([sig, &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    };
    signal("-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        if fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal("-KILL");
}

/// A file only its owner can read or write (mode 0600), for secrets.
fn write_private(path: &Path, text: &str) -> Result<(), NativeError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| NativeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let _ = fs::remove_file(path);
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(io)
}

fn mkdir(path: &Path) -> Result<(), NativeError> {
    fs::create_dir_all(path).map_err(|source| NativeError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), NativeError> {
    fs::write(path, text).map_err(|source| NativeError::Io {
        path: path.to_path_buf(),
        source,
    })
}
