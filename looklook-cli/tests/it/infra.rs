//! `looklook up`, `ps`, `logs` and `down` on the native engine, with the
//! real MariaDB and Redis servers installed by scripts/setup.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{copy_tree, examples, free_port};

/// `looklook SUBCOMMAND --engine ENGINE ARGS...` in `dir`.
fn run(dir: &Path, engine: &str, args: &[&str], docker_host: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_looklook"));
    command
        .arg(args[0])
        .args(["--engine", engine])
        .args(&args[1..])
        .current_dir(dir)
        .env("NO_COLOR", "1");
    if let Some(host) = docker_host {
        command.env("DOCKER_HOST", host);
    }
    command.output().unwrap()
}

fn looklook(dir: &Path, args: &[&str]) -> Output {
    run(dir, "native", args, None)
}

/// A query through `psql` on 127.0.0.1:`port`, as the stack's
/// `postgres` user with its password; what it printed, unaligned.
fn psql(port: u16, database: &str, query: &str) -> String {
    let out = Command::new(looklook_stack::native::find_program("psql").unwrap())
        .args(["-X", "-A", "-t", "-h", "127.0.0.1", "-U", "postgres"])
        .args(["-p", &port.to_string(), "-d", database, "-c", query])
        .env("PGPASSWORD", "pw")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// PostgreSQL natively, from a private directory (as `mktemp -d` makes):
/// a root looklook runs it as the `postgres` user, its data kept where
/// that user can reach it; the password guards TCP; the SQL step loads
/// the sample once; `down -v` leaves nothing behind.
#[test]
fn native_postgres_runs_its_init_once_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _down = DownOnDrop(d, "native");
    let port = free_port();
    fs::copy(
        examples().join("sample/sql/postgres/shop.sql"),
        d.join("shop.sql"),
    )
    .unwrap();
    let stack = format!(
        r#"project = "it"

[services.postgres]
image = "postgres:15"
env = {{ POSTGRES_PASSWORD = "pw" }}
ports = ["127.0.0.1:{port}:5432"]
ready = {{ tcp = 5432 }}
init = [{{ database = "shop", sql = ["shop.sql"] }}]
"#
    );
    fs::write(d.join("looklook.stack.toml"), stack).unwrap();
    let (_, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("init      postgres: database `shop`: shop.sql"),
        "{progress}"
    );
    let tables = "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'";
    assert_eq!(psql(port, "shop", tables), "product,user,user_auth");
    psql(
        port,
        "shop",
        "INSERT INTO \"user\" (mobile) VALUES ('13800000000')",
    );
    let wrong = Command::new(looklook_stack::native::find_program("psql").unwrap())
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-p",
            &port.to_string(),
            "-c",
            "SELECT 1",
        ])
        .env("PGPASSWORD", "not-it")
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "a wrong password is refused");

    let (_, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("unchanged postgres") && !progress.contains("init"),
        "{progress}"
    );
    assert_eq!(
        psql(port, "shop", "SELECT count(*) FROM \"user\""),
        "1",
        "kept"
    );

    let data = fs::read_link(d.join(".looklook/postgres/data"))
        .unwrap_or_else(|_| d.join(".looklook/postgres/data"));
    assert!(data.join("PG_VERSION").exists(), "{}", data.display());
    ok(&looklook(d, &["down", "-v"]));
    assert!(!data.exists(), "down -v removed {}", data.display());
}

/// The command of a container that only has to stay up. PID 1 gets no
/// default signal handlers: without the trap, `down` waits out its grace
/// period before it kills `sleep`.
const STAY_UP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]"#;

/// Takes down what a test brought up even when it fails half-way, so no
/// server or container outlives its test. Declared after the directory, so
/// it runs before the directory goes.
struct DownOnDrop<'a>(&'a Path, &'static str);

impl Drop for DownOnDrop<'_> {
    fn drop(&mut self) {
        let host = std::env::var("LOOKLOOK_TEST_DOCKER_HOST").ok();
        run(self.0, self.1, &["down", "-v"], host.as_deref());
    }
}

/// The status and body of `GET url`.
fn http_get(url: &str) -> (u16, String) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let answer = reqwest::get(url).await.unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    })
}

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "failed:\n{stdout}{stderr}");
    (stdout, stderr)
}

/// `up` failed because `port` is taken, and named this test's process as
/// the one holding it.
fn assert_port_taken(out: &Output, service: &str, port: u16) {
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "`{service}` needs 127.0.0.1:{port}, which pid {} (",
        std::process::id()
    );
    assert!(!out.status.success() && err.contains(&want), "{err}");
}

fn sql(port: u16, query: &str) -> String {
    sql_in(port, "shop", query)
}

fn sql_in(port: u16, database: &str, query: &str) -> String {
    let out = Command::new("mariadb")
        .args([
            "--no-defaults",
            "-h127.0.0.1",
            "-uroot",
            "-ppw",
            "-N",
            database,
            "-e",
            query,
        ])
        .arg(format!("-P{port}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stack(mysql: u16, redis: u16, redis_env: &str) -> String {
    format!(
        r#"project = "it"

[services.mysql]
image = "mysql:8.0"
env = {{ MYSQL_ROOT_PASSWORD = "pw" }}
ports = ["127.0.0.1:{mysql}:3306"]
ready = {{ tcp = 3306, successes = 2, timeout_secs = 30 }}
init = [{{ database = "shop", sql = ["shop.sql"] }}]

[services.redis]
image = "redis:7"
ports = ["{redis}:6379"]
env = {{ {redis_env} }}
ready = {{ tcp = 6379 }}

[services.app]
image = "busybox"
depends_on = ["mysql", "redis"]
"#
    )
}

#[test]
fn native_up_ps_logs_down_and_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _down = DownOnDrop(d, "native");
    let (mysql, redis) = (free_port(), free_port());
    fs::copy(examples().join("sample/sql/shop.sql"), d.join("shop.sql")).unwrap();
    fs::write(d.join("looklook.stack.toml"), stack(mysql, redis, "")).unwrap();

    let (table, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("init      mysql: database `shop`: shop.sql"),
        "{progress}"
    );
    assert!(
        progress.contains("skipped   app: no native server for image `busybox`"),
        "{progress}"
    );
    let order: Vec<&str> = progress
        .lines()
        .filter(|l| l.starts_with("ready"))
        .collect();
    assert!(
        order[0].contains("mysql") && order[1].contains("redis"),
        "{progress}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("mysql")
            && l.contains("running")
            && l.contains(&format!("127.0.0.1:{mysql}"))),
        "{table}"
    );
    assert_eq!(sql(mysql, "SHOW TABLES"), "product\nuser\nuser_auth");
    sql(mysql, "INSERT INTO user (mobile) VALUES ('13800000000')");

    // Nothing changed: nothing restarts, init does not run again.
    let (_, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("unchanged mysql") && progress.contains("unchanged redis"),
        "{progress}"
    );
    assert!(!progress.contains("init"), "{progress}");

    let (ps, _) = ok(&looklook(d, &["ps"]));
    for service in ["mysql", "redis"] {
        let line = ps.lines().find(|l| l.starts_with(service)).unwrap();
        assert!(line.contains("running   yes"), "{ps}");
    }
    let (logs, _) = ok(&looklook(d, &["logs", "redis"]));
    assert!(logs.lines().all(|l| l.starts_with("redis | ")), "{logs}");
    assert!(logs.contains("Ready to accept connections"), "{logs}");

    // A changed definition restarts that service only.
    fs::write(
        d.join("looklook.stack.toml"),
        stack(mysql, redis, r#"REDIS_PASSWORD = "secret""#),
    )
    .unwrap();
    let (_, progress) = ok(&looklook(d, &["up"]));
    assert!(
        progress.contains("unchanged mysql") && progress.contains("restarted redis"),
        "{progress}"
    );
    // The password guards the server, and no process's command line shows
    // it (`ps` shows command lines to every user of the machine).
    let redis_cli = |args: &[&str]| {
        let out = Command::new("redis-cli")
            .args(["-p", &redis.to_string()])
            .args(args)
            .env("REDISCLI_AUTH", "")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert!(
        redis_cli(&["ping"]).starts_with("NOAUTH"),
        "no password, no answer"
    );
    assert_eq!(
        redis_cli(&["-a", "secret", "--no-auth-warning", "ping"]),
        "PONG"
    );
    let shown: Vec<String> = fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("redis-server") || c.contains("mariadb"))
        .collect();
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|c| !c.contains("secret") && !c.contains("-ppw")),
        "{shown:?}"
    );

    let (stopped, _) = ok(&looklook(d, &["down"]));
    assert_eq!(stopped, "stopped mysql\nstopped redis\n");
    let (ps, _) = ok(&looklook(d, &["ps"]));
    assert!(
        ps.lines().filter(|l| l.contains("stopped")).count() == 2,
        "{ps}"
    );

    // Up again: the data is still there and init does not run twice.
    let (_, progress) = ok(&looklook(d, &["up", "mysql"]));
    assert!(
        !progress.contains("init") && !progress.contains("redis"),
        "{progress}"
    );
    assert_eq!(sql(mysql, "SELECT mobile FROM user"), "13800000000");

    // A port that is taken is named.
    let _squatter = TcpListener::bind(("127.0.0.1", redis)).unwrap();
    assert_port_taken(&looklook(d, &["up", "redis"]), "redis", redis);

    ok(&looklook(d, &["down", "-v"]));
    assert!(!d.join(".looklook/mysql").exists());
}

/// The container engine, against Podman's Docker Engine API started by
/// scripts/infra, with the local image that runs the host's servers.
fn docker_stack(ports: &Ports, image: &str, redis_extra: &str) -> String {
    let Ports {
        mysql,
        redis,
        kafka,
    } = *ports;
    let tansu = program("tansu");
    let init = r#"printf '%s\n' \"CREATE USER IF NOT EXISTS root@'%' IDENTIFIED BY 'pw';\" \"GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;\" > /tmp/init.sql"#;
    format!(
        r#"project = "looklook-it"

[services.mysql]
image = "{image}"
binds = ["/usr:/usr:ro"]
env = {{ MYSQL_ROOT_PASSWORD = "pw" }}
ports = ["127.0.0.1:{mysql}:3306"]
command = ["sh", "-c", "mariadb-install-db --no-defaults --datadir=/tmp/data --user=root --auth-root-authentication-method=normal --skip-test-db >/dev/null && {init} && exec mariadbd --no-defaults --init-file=/tmp/init.sql --datadir=/tmp/data --socket=/tmp/mysqld.sock --user=root --bind-address=0.0.0.0 --skip-name-resolve --skip-log-bin"]
ready = {{ exec = ["mariadb-admin", "--no-defaults", "--socket=/tmp/mysqld.sock", "ping"], successes = 2, timeout_secs = 60 }}
init = [{{ database = "shop", sql = ["shop.sql"] }}]

[services.redis]
image = "{image}"
binds = ["/usr:/usr:ro", "logs/redis:/var/log/it:ro"]
command = ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", ""{redis_extra}]
volumes = {{ redis = "/data" }}
ports = ["{redis}:6379"]
ready = {{ tcp = 6379 }}
depends_on = ["mysql"]

[services.kafka]
image = "{image}"
binds = ["/usr:/usr:ro", "{tansu}:/opt/tansu:ro"]
command = ["/opt/tansu", "broker", "--listener-url", "tcp://0.0.0.0:9092", "--advertised-listener-url", "tcp://127.0.0.1:{kafka}", "--storage-engine", "memory://tansu/"]
ports = ["{kafka}:9092"]
ready = {{ tcp = 9092 }}
init = [{{ topics = ["orders", "payments"] }}]

[services.stuck]
image = "{image}"
binds = ["/usr:/usr:ro"]
command = {STAY_UP}
ports = ["{stuck}:7000"]
ready = {{ tcp = 7000, timeout_secs = 2 }}
profiles = ["broken"]

[services.crash]
image = "{image}"
binds = ["/usr:/usr:ro"]
command = ["sh", "-c", "echo 'cannot read /etc/crash.conf'; exit 3"]
ready = {{ tcp = 7001 }}
ports = ["{crash}:7001"]
profiles = ["broken"]
"#,
        crash = free_port(),
        stuck = free_port()
    )
}

#[derive(Clone, Copy)]
struct Ports {
    mysql: u16,
    redis: u16,
    kafka: u16,
}

impl Ports {
    fn free() -> Ports {
        Ports {
            mysql: free_port(),
            redis: free_port(),
            kafka: free_port(),
        }
    }
}

/// Where a program is on PATH.
fn program(name: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .unwrap();
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "`{name}` is not installed: run scripts/setup"
    );
    path
}

/// The topics a Kafka-protocol broker on 127.0.0.1 has, sorted, as tansu's
/// client lists them.
fn topics(port: u16) -> Vec<String> {
    let out = Command::new("tansu")
        .args([
            "topic",
            "list",
            "--broker",
            &format!("tcp://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
        .unwrap()
        .iter()
        .map(|t| match t {
            serde_json::Value::String(name) => name.clone(),
            other => other["name"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    names.sort();
    names
}

fn docker(dir: &Path, args: &[&str]) -> Output {
    let host = std::env::var("LOOKLOOK_TEST_DOCKER_HOST").expect(
        "LOOKLOOK_TEST_DOCKER_HOST is not set: run `scripts/infra up` and source target/infra/env",
    );
    run(dir, "docker", args, Some(&host))
}

#[test]
fn containers_up_ps_logs_recreate_and_down() {
    let image =
        std::env::var("LOOKLOOK_TEST_IMAGE").expect("LOOKLOOK_TEST_IMAGE: run `scripts/infra up`");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _down = DownOnDrop(d, "docker");
    let ports = Ports::free();
    let (mysql, redis) = (ports.mysql, ports.redis);
    fs::copy(examples().join("sample/sql/shop.sql"), d.join("shop.sql")).unwrap();
    fs::write(
        d.join("looklook.stack.toml"),
        docker_stack(&ports, &image, ""),
    )
    .unwrap();
    ok(&docker(d, &["down", "-v"]));

    let (table, progress) = ok(&docker(d, &["up"]));
    assert!(
        progress.contains("ready     mysql")
            && progress.contains("init      mysql: database `shop`"),
        "{progress}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("redis") && l.contains("running   yes")),
        "{table}"
    );
    assert_eq!(sql(mysql, "SHOW TABLES"), "product\nuser\nuser_auth");
    assert!(std::net::TcpStream::connect(("127.0.0.1", redis)).is_ok());
    // A project directory a service mounts is made when missing.
    assert!(d.join("logs/redis").is_dir());
    assert!(
        progress.contains("init      kafka: topics orders, payments"),
        "{progress}"
    );
    assert_eq!(topics(ports.kafka), ["orders", "payments"]);

    let (_, progress) = ok(&docker(d, &["up"]));
    assert!(
        progress.contains("unchanged mysql") && progress.contains("unchanged redis"),
        "{progress}"
    );
    assert!(!progress.contains("init"), "init runs once: {progress}");

    let (ps, _) = ok(&docker(d, &["ps"]));
    assert!(
        ps.lines().filter(|l| l.contains("running   yes")).count() == 3,
        "{ps}"
    );
    let (logs, _) = ok(&docker(d, &["logs", "redis"]));
    assert!(
        logs.contains("redis | ") && logs.contains("Ready to accept connections"),
        "{logs}"
    );

    // A changed definition recreates that container only.
    fs::write(
        d.join("looklook.stack.toml"),
        docker_stack(&ports, &image, r#", "--maxclients", "100""#),
    )
    .unwrap();
    let (_, progress) = ok(&docker(d, &["up"]));
    assert!(
        progress.contains("unchanged mysql") && progress.contains("restarted redis"),
        "{progress}"
    );

    // A probe that never passes names the service and shows its output.
    let out = docker(d, &["up", "stuck", "--profile", "broken"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`stuck` was not ready after 2 s"), "{err}");
    // A service that exits is named, with what it said.
    let out = docker(d, &["up", "crash", "--profile", "broken"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("`crash` exited while starting")
            && err.contains("cannot read /etc/crash.conf"),
        "{err}"
    );
    // Its container is left running for its logs; a second `up` does not
    // take it for ready.
    let out = docker(d, &["up", "stuck", "--profile", "broken"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("`stuck` was not ready after 2 s"),
        "{err}"
    );

    // Someone else's container is never touched by down, nor a volume
    // that only shares the project's prefix (a compose project's of the
    // same name): `down -v` removes the volumes it made.
    let foreign = format!("not-looklook-{}", std::process::id());
    let podman = |args: &[&str]| Command::new("podman").args(args).output().unwrap();
    assert!(
        podman(&["create", "--name", &foreign, &image, "sleep", "1"])
            .status
            .success()
    );
    let foreign_volume = "looklook-it_data";
    assert!(
        podman(&["volume", "create", foreign_volume])
            .status
            .success()
    );
    assert!(
        podman(&["volume", "exists", "looklook-it_redis"])
            .status
            .success()
    );
    let (removed, _) = ok(&docker(d, &["down", "-v"]));
    assert!(
        podman(&["container", "exists", &foreign]).status.success(),
        "down removed {foreign}"
    );
    assert!(
        podman(&["volume", "exists", foreign_volume])
            .status
            .success(),
        "down -v removed {foreign_volume}"
    );
    assert!(
        !podman(&["volume", "exists", "looklook-it_redis"])
            .status
            .success()
    );
    podman(&["rm", "-f", &foreign]);
    podman(&["volume", "rm", "-f", foreign_volume]);
    // The container whose probe timed out stays for its logs until down.
    assert_eq!(
        removed,
        "stopped crash\nstopped kafka\nstopped mysql\nstopped redis\nstopped stuck\ndata removed\n"
    );
    let (ps, _) = ok(&docker(d, &["ps"]));
    assert!(!ps.contains("running"), "{ps}");

    // A host port that is taken stops `up` before anything is created, and
    // the message names who holds it (this test).
    let squatter = TcpListener::bind(("127.0.0.1", mysql)).unwrap();
    assert_port_taken(&docker(d, &["up", "mysql"]), "mysql", mysql);
    assert!(
        !podman(&["container", "exists", "looklook-it-mysql"])
            .status
            .success()
    );
    drop(squatter);
    ok(&docker(d, &["down", "-v"]));
}

/// Images come from a registry (the local one of scripts/infra): a missing
/// image is pulled, its layers reported, and one the registry does not have
/// is named with the registry's answer.
#[test]
fn images_are_pulled_and_a_missing_one_is_named() {
    let base =
        std::env::var("LOOKLOOK_TEST_IMAGE").expect("LOOKLOOK_TEST_IMAGE: run `scripts/infra up`");
    let registry = std::env::var("LOOKLOOK_TEST_REGISTRY")
        .expect("LOOKLOOK_TEST_REGISTRY: run `scripts/infra up`");
    let podman = |args: &[&str]| {
        let out = Command::new("podman").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "podman {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // An image of its own: the base plus a layer no one has, pushed to the
    // registry and removed here, so `up` must pull it.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _down = DownOnDrop(d, "docker");
    let context = d.join("image");
    fs::create_dir_all(&context).unwrap();
    let noise: Vec<u8> = (0..500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    fs::write(
        context.join("noise"),
        [noise, std::process::id().to_be_bytes().to_vec()].concat(),
    )
    .unwrap();
    fs::write(
        context.join("Containerfile"),
        format!("FROM {base}\nCOPY noise /noise\n"),
    )
    .unwrap();
    let image = format!("{registry}/it/pulled-{}:test", std::process::id());
    podman(&["build", "-q", "-t", &image, &context.to_string_lossy()]);
    podman(&["push", "-q", "--tls-verify=false", &image]);
    podman(&["rmi", &image]);

    let port = free_port();
    fs::write(
        d.join("looklook.stack.toml"),
        format!(
            r#"project = "looklook-pull"

[services.app]
image = "{image}"
binds = ["/usr:/usr:ro"]
command = ["redis-server", "--bind", "0.0.0.0", "--save", ""]
ports = ["{port}:6379"]
ready = {{ tcp = 6379 }}

[services.missing]
image = "{registry}/it/missing:nope"
profiles = ["broken"]
"#
        ),
    )
    .unwrap();
    let (table, progress) = ok(&docker(d, &["up"]));
    assert!(
        progress.contains(&format!("pulling   {image}\n")),
        "{progress}"
    );
    assert!(
        progress.contains(&format!("pulled    {image} (3 layers,")),
        "{progress}"
    );
    assert!(table.contains("running   yes"), "{table}");

    let out = docker(d, &["up", "missing"]);
    assert!(!out.status.success());
    // The message as one line, without the report's wrapping.
    let err: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .filter(|w| *w != "|")
        .map(str::to_string)
        .collect();
    let err = err.join(" ");
    assert!(
        err.contains(&format!(
            "image `{registry}/it/missing:nope` is not here and could not be pulled"
        )) && err.contains("manifest unknown"),
        "{err}"
    );
    ok(&docker(d, &["down", "-v"]));
    podman(&["rmi", &image]);
}

/// `hosts = ["host.docker.internal:host-gateway"]` lets a container reach
/// a server on the host (as Prometheus reaches the services): the probe
/// connects from inside the container to a listener of this test.
#[test]
fn a_container_reaches_the_host_as_host_docker_internal() {
    let image =
        std::env::var("LOOKLOOK_TEST_IMAGE").expect("LOOKLOOK_TEST_IMAGE: run `scripts/infra up`");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _down = DownOnDrop(d, "docker");
    let host = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = host.local_addr().unwrap().port();
    fs::write(
        d.join("looklook.stack.toml"),
        format!(
            r#"project = "looklook-hosts"

[services.scraper]
image = "{image}"
binds = ["/usr:/usr:ro"]
command = {STAY_UP}
hosts = ["host.docker.internal:host-gateway"]
ready = {{ exec = ["bash", "-c", "echo > /dev/tcp/host.docker.internal/{port}"], timeout_secs = 10 }}
"#
        ),
    )
    .unwrap();
    let (_, progress) = ok(&docker(d, &["up"]));
    assert!(progress.contains("ready     scraper"), "{progress}");
}

#[test]
fn an_unreachable_engine_is_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("looklook.stack.toml"), "project = \"p\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
        .args(["ps", "--engine", "docker"])
        .current_dir(dir.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no container engine answers at unix:///nonexistent/docker.sock"),
        "{err}"
    );
    // doctor says the same, and what answers when something does.
    let doctor = |host: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_looklook"))
            .arg("doctor")
            .env("DOCKER_HOST", host)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let report = doctor("unix:///nonexistent/docker.sock");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("missing  a container engine")
                && l.contains("nothing answers at unix:///nonexistent/docker.sock")),
        "{report}"
    );
    let podman = std::env::var("LOOKLOOK_TEST_DOCKER_HOST").unwrap();
    let report = doctor(&podman);
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("ok       a container engine") && l.ends_with(&podman)),
        "{report}"
    );
}

/// `looklook build --prebuilt` of a reference service, on a base the
/// infrastructure made with what distroless `cc` holds (glibc, libgcc, CA
/// certificates, a nonroot user): the image runs in Podman as that user and
/// answers `/healthz`. `looklook push` puts it in the registry. A build from
/// source whose builder image cannot be pulled says which and why.
#[test]
fn a_reference_service_image_is_built_runs_and_is_pushed() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name}: run `scripts/infra up`"))
    };
    let (base, registry, host) = (
        var("LOOKLOOK_TEST_BASE_IMAGE"),
        var("LOOKLOOK_TEST_REGISTRY"),
        var("LOOKLOOK_TEST_DOCKER_HOST"),
    );
    let looklook = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_looklook"))
            .args(args)
            .current_dir(crate::support::workspace())
            .env("DOCKER_HOST", &host)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let podman = |args: &[&str]| {
        let out = Command::new("podman").args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let one_line = |out: &Output| {
        let words: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .split_whitespace()
            .filter(|w| *w != "|")
            .map(str::to_string)
            .collect();
        words.join(" ")
    };
    let id = std::process::id();
    let repo = format!("{registry}/it-{id}");
    let image = format!("{repo}/usercenter-api:t1");

    // Names are checked before anything is built.
    let out = looklook(&["build", "no-such-process"]);
    assert!(one_line(&out).contains("there is no process `no-such-process`"));
    let out = looklook(&["build", "wechat-sandbox", "--tag", "t1"]);
    assert!(one_line(&out).contains("`wechat-sandbox` has no image: it is in [docker] exclude"));

    let build = [
        "build",
        "usercenter-api",
        "--prebuilt",
        "--profile",
        "dev",
        "--base",
        &base,
        "--registry",
        &repo,
        "--tag",
        "t1",
    ];
    let (stdout, progress) = ok(&looklook(&build));
    assert!(stdout.starts_with(&format!("{image}  ")), "{stdout}");
    assert!(
        progress.contains("COPY --from=build /usercenter-api /app/usercenter-api"),
        "{progress}"
    );
    assert_eq!(
        podman(&["image", "inspect", "--format", "{{.Config.User}}", &image]),
        "65532:65532"
    );

    struct Remove(String);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = Command::new("podman").args(["rm", "-f", &self.0]).output();
        }
    }
    let container = format!("it-image-{id}");
    let _remove = Remove(container.clone());
    let port = free_port();
    let published = format!("127.0.0.1:{port}:8080");
    crate::support::run_tool(
        Command::new("podman")
            .args(["run", "-d", "--name", &container, "-p", &published])
            .args(["-e", "LOOKLOOK_MODE=dev", "-e", "PORT=8080"])
            .args([
                "-e",
                "METRICS_PORT=9100",
                "-e",
                "USERCENTER_RPC_ADDR=127.0.0.1:1",
            ])
            .args(["-e", "WECHAT_SANDBOX_ADDR=127.0.0.1:1", &image]),
    );
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let answer = loop {
        let answer = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let answer = reqwest::get(&url).await.ok()?;
            Some((answer.status().as_u16(), answer.text().await.ok()?))
        });
        match answer {
            Some(answer) => break answer,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            None => panic!(
                "no answer at {url}; its log:\n{}",
                podman(&["logs", &container])
            ),
        }
    };
    assert_eq!(answer, (200, "ok".to_string()));

    let (stdout, _) = ok(&looklook(&[
        "push",
        "usercenter-api",
        "--registry",
        &repo,
        "--tag",
        "t1",
    ]));
    assert!(stdout.starts_with(&format!("{image}  sha256:")), "{stdout}");
    let (status, tags) = http_get(&format!(
        "http://{registry}/v2/it-{id}/usercenter-api/tags/list"
    ));
    assert_eq!((status, tags.contains("\"t1\"")), (200, true), "{tags}");

    // From source, the builder is pulled first; this one is nowhere.
    let out = looklook(&[
        "build",
        "usercenter-api",
        "--builder",
        &format!("{registry}/it/no-rust:nope"),
        "--registry",
        &repo,
        "--tag",
        "src",
    ]);
    assert!(!out.status.success());
    let err = one_line(&out);
    assert!(
        err.contains(&format!(
            "building the image `{repo}/usercenter-api:src` failed"
        )) && err.contains("no-rust")
            && err.contains("manifest unknown"),
        "{err}"
    );
    podman(&["rmi", "-f", &image]);
}

/// The reference system's own stack file (looklook.stack.toml at the
/// repository root), on other ports: natively it runs MariaDB with the four
/// databases loaded (130 columns in 9 tables), Redis, tansu with the topics
/// and Prometheus scraping the services on this host, which accepts every
/// query of the Grafana dashboard; and names what it skipped and why.
#[test]
fn the_reference_stack_comes_up_natively_with_its_databases() {
    let root = crate::support::workspace();
    let dir = tempfile::tempdir().unwrap();
    let _down = DownOnDrop(dir.path(), "native");
    let Ports {
        mysql,
        redis,
        kafka,
    } = Ports::free();
    let (prometheus, job_redis, gateway) = (free_port(), free_port(), free_port());
    let stack = fs::read_to_string(root.join("looklook.stack.toml"))
        .unwrap()
        .replace(":8888:8080", &format!(":{gateway}:8080"))
        .replace("33069:3306", &format!("{mysql}:3306"))
        .replace("36379:6379", &format!("{redis}:6379"))
        .replace("36380:6379", &format!("{job_redis}:6379"))
        .replace(":9092:9092", &format!(":{kafka}:9092"))
        .replace(":9090:9090", &format!(":{prometheus}:9090"));
    fs::write(dir.path().join("looklook.stack.toml"), stack).unwrap();
    copy_tree(
        &root.join("examples/looklook"),
        &dir.path().join("examples/looklook"),
    );
    copy_tree(
        &root.join("observability"),
        &dir.path().join("observability"),
    );
    copy_tree(&root.join("deploy/nginx"), &dir.path().join("deploy/nginx"));

    let (summary, progress) = ok(&looklook(dir.path(), &["up"]));
    // The gateway: Debian's nginx with the generated config, answering
    // its own health check and, with no service running, 502 in the
    // services' shape.
    let health = http_get(&format!("http://127.0.0.1:{gateway}/healthz"));
    assert_eq!(health, (200, "ok".to_string()));
    let down = http_get(&format!("http://127.0.0.1:{gateway}/order/v1/x"));
    assert_eq!(
        down,
        (
            502,
            r#"{"code":502,"msg":"the service is unavailable, try again later"}"#.to_string()
        )
    );
    for db in ["usercenter", "travel", "order", "payment"] {
        assert!(
            progress.contains(&format!("init      mysql: database `looklook_{db}`")),
            "{progress}"
        );
    }
    assert!(
        progress.contains("init      kafka: topics payment-update-paystatus-topic, looklook-log"),
        "{progress}"
    );
    assert_eq!(
        topics(kafka),
        ["looklook-log", "payment-update-paystatus-topic"]
    );
    for service in ["gateway", "job-redis", "kafka", "mysql", "redis"] {
        let line = summary.lines().find(|l| l.starts_with(service)).unwrap();
        assert!(line.contains("running   yes"), "{summary}");
    }
    // Where to connect, as the stack file writes it.
    assert!(
        summary.contains(&format!("mysql://root:pw@127.0.0.1:{mysql}"))
            && summary.contains(&format!("redis://127.0.0.1:{redis}")),
        "{summary}"
    );
    let columns = sql_in(
        mysql,
        "information_schema",
        "SELECT COUNT(*), COUNT(DISTINCT table_schema, table_name) FROM information_schema.columns WHERE table_schema LIKE 'looklook\\_%'",
    );
    assert_eq!(columns.trim(), "130\t9");
    // The seed: six homestays, one off the shelf, and their landlords.
    let seeded = sql_in(
        mysql,
        "looklook_travel",
        "SELECT COUNT(*), SUM(row_state) FROM homestay",
    );
    assert_eq!(seeded, "6\t5");
    assert_eq!(
        sql_in(mysql, "looklook_usercenter", "SELECT COUNT(*) FROM user"),
        "3"
    );
    // The cache may evict; the job queue never does.
    let policy = |port: u16| {
        let out = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "config", "get", "maxmemory-policy"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(policy(redis), "allkeys-lru");
    assert_eq!(policy(job_redis), "noeviction");
    prometheus_scrapes_this_host_and_takes_the_dashboard(prometheus);
    ok(&looklook(dir.path(), &["down", "-v"]));
}

/// What Prometheus at `port` says to `GET path?query` (curl, url-encoded).
fn prometheus_api(port: u16, path: &str, query: Option<&str>) -> serde_json::Value {
    let mut curl = Command::new("curl");
    curl.args(["-sfG", &format!("http://127.0.0.1:{port}{path}")]);
    if let Some(q) = query {
        curl.args(["--data-urlencode", &format!("query={q}")]);
    }
    let out = curl.output().unwrap();
    assert!(out.status.success(), "GET {path} {query:?} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The native Prometheus got the scrape file with host.docker.internal
/// turned into 127.0.0.1, and every PromQL query of the Grafana dashboard
/// parses and runs (Grafana's `$__rate_interval` given as 1m).
fn prometheus_scrapes_this_host_and_takes_the_dashboard(port: u16) {
    // Targets appear a moment after Prometheus is ready.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let urls: Vec<String> = loop {
        let targets = prometheus_api(port, "/api/v1/targets", None);
        let urls: Vec<String> = targets["data"]["activeTargets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["scrapeUrl"].as_str().unwrap().to_string())
            .collect();
        if !urls.is_empty() || std::time::Instant::now() > deadline {
            break urls;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(urls.len(), 11, "{urls:?}");
    assert!(
        urls.iter().all(|u| u.starts_with("http://127.0.0.1:40")),
        "{urls:?}"
    );
    let queries = crate::support::dashboard_queries();
    for expr in &queries {
        let expr = expr.replace("$__rate_interval", "1m");
        let answer = prometheus_api(port, "/api/v1/query", Some(&expr));
        assert_eq!(answer["status"], "success", "{expr}: {answer}");
    }
    assert_eq!(queries.len(), 13);
    // The alert rules were found and loaded.
    let rules = prometheus_api(port, "/api/v1/rules", None);
    let groups = rules["data"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{rules}");
    assert_eq!(groups[0]["rules"].as_array().unwrap().len(), 10, "{rules}");
}

/// The alert rules are valid and each fires on what it should
/// (`promtool test rules`), and the scrape config with them passes
/// `promtool check config`.
#[test]
fn alert_rules_pass_promtool() {
    let dir = crate::support::workspace().join("observability/prometheus");
    crate::support::run_tool(Command::new("promtool").current_dir(&dir).args([
        "check",
        "rules",
        "rules.yml",
    ]));
    crate::support::run_tool(Command::new("promtool").current_dir(&dir).args([
        "test",
        "rules",
        "rules.test.yml",
    ]));
    // The config names its files where the container mounts them: check a
    // copy that names them where they are.
    let tmp = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(dir.join("prometheus.yml"))
        .unwrap()
        .replace("/etc/prometheus/", &format!("{}/", dir.display()));
    std::fs::write(tmp.path().join("prometheus.yml"), config).unwrap();
    crate::support::run_tool(
        Command::new("promtool")
            .args(["check", "config"])
            .arg(tmp.path().join("prometheus.yml")),
    );
}

/// Topic creation waits for a broker that is still starting: tansu starts
/// a second after the first attempt, and the topic is created once it does.
#[test]
fn topics_wait_for_a_broker_that_is_starting() {
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let broker = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(1));
        Command::new(program("tansu"))
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    });
    let started = std::time::Instant::now();
    let created = looklook_stack::kafka::create_topics(
        &format!("127.0.0.1:{port}"),
        &[looklook_stack::Topic::Name("later".into())],
    );
    let mut tansu = broker.join().unwrap();
    let _ = tansu.kill();
    let _ = tansu.wait();
    assert_eq!(created, Ok(vec!["later".to_string()]));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

/// Kibana gets the data view of the log indices on `up -p logs`: the stack
/// file's init step asks Kibana's data views API for it, with the header
/// Kibana requires of API writes, and the view covers the indices the log
/// pipeline writes, on the time field the services' JSON lines carry.
/// (Kibana cannot run here; the request itself is tested against a real
/// HTTP server in looklook-stack's `request` tests.)
#[test]
fn kibana_gets_the_log_data_view() {
    let root = crate::support::workspace();
    let (_, stack) = looklook_stack::load(&root.join("looklook.stack.toml")).unwrap();
    let kibana = stack.service("kibana").unwrap();
    let [
        looklook_stack::InitStep::Http {
            http,
            headers,
            body: Some(body),
        },
    ] = kibana.init.as_slice()
    else {
        panic!("kibana's init is one http step: {:?}", kibana.init)
    };
    assert_eq!(http, "POST 5601/api/data_views/data_view");
    assert_eq!(headers.get("kbn-xsrf").map(String::as_str), Some("true"));
    let view: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(body)).unwrap()).unwrap();
    // Sent on every `up`: it must replace, not fail on, the existing view.
    assert_eq!(view["override"], true, "{view}");
    let pipeline =
        std::fs::read_to_string(root.join("observability/vector/pipeline.yaml")).unwrap();
    let index = pipeline
        .lines()
        .find_map(|l| l.trim().strip_prefix("index: "))
        .unwrap()
        .trim_matches('"');
    let prefix = index.split('%').next().unwrap();
    assert_eq!(view["data_view"]["title"], format!("{prefix}*"), "{index}");
    // The time field of a service's JSON log line (the runtime's
    // `json_lines_carry_the_timestamp_kibana_reads` checks the line).
    assert_eq!(view["data_view"]["timeFieldName"], "timestamp");
}
