//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Generate, run and hot-reload Rust microservices from .api, .proto and SQL
/// definitions.
#[derive(Debug, Parser)]
#[command(name = "looklook", version, propagate_version = true)]
#[command(
    after_help = "Start with `looklook gen api service.api -o service-api`\nor `looklook gen rpc service.proto -o service-rpc`\nor `looklook gen model tables.sql -o model --cache`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with .api files: check and format them.
    #[command(subcommand)]
    Api(ApiCommand),
    /// Start a project: a cargo workspace, looklook.toml, an .api file and
    /// the HTTP service generated from it, ready for `looklook dev`.
    New(NewArgs),
    /// Grow a project: `looklook add service NAME`.
    #[command(subcommand)]
    Add(AddCommand),
    /// Generate a crate from a definition file; with no subcommand, every
    /// service of looklook.toml.
    Gen(GenArgs),
    /// Start the development infrastructure of looklook.stack.toml.
    ///
    /// Services start in dependency order, each once the ones it depends on
    /// are ready; init steps (SQL files, Kafka topics) run once. Running it
    /// again leaves what is already right alone and recreates a service
    /// whose definition changed. Services run as containers when a Docker
    /// Engine API answers, else as local processes (data in .looklook/ next
    /// to the stack file; services with no local server are skipped, with
    /// the reason).
    Up(UpArgs),
    /// Stop the stack's services. Their data is kept unless -v.
    Down(DownArgs),
    /// The stack's services: state, readiness, address.
    Ps(StackArgs),
    /// The services' logs, each line prefixed with its service.
    Logs(LogsArgs),
    /// What this machine has for running a stack, and how to get the rest.
    Doctor,
    /// Run the project and walk through it.
    ///
    /// Brings up the stack file's services (looklook.stack.toml, when there
    /// is one), builds and starts every process of looklook.toml, each once
    /// the one before it answers, then runs the walk that the manifest's
    /// [demo] table names, with every process's address as <NAME>_ADDR. Its
    /// lines are printed, and its exit status is looklook's. In this
    /// repository the walk books a homestay end to end; in a new project it
    /// calls the hello route.
    Demo(DemoArgs),
    /// Run the processes of looklook.toml from source and hot-reload them.
    ///
    /// Every process is built and started; then each save rebuilds the
    /// binaries it reaches (an edit in a shared crate reaches every binary
    /// that depends on it) and restarts only those. A failed build shows
    /// the compiler's errors and keeps the old processes running; a process
    /// that crashes is started again, with back-off. Ctrl-C stops
    /// everything.
    Dev(DevArgs),
    /// Build the processes' images through the Docker Engine API.
    ///
    /// Each process (or each one named) from its Dockerfile, which
    /// `looklook gen` writes. Named <registry>/<process>:<tag>: the registry from --registry, else
    /// [kube] registry, else localhost/<the workspace's directory>; the tag
    /// from --tag, else the commit's short hash.
    Build(BuildArgs),
    /// Push the images `looklook build` made to their registry.
    Push(ImageArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GenArgs {
    #[command(subcommand)]
    pub command: Option<GenCommand>,
    /// The project manifest whose [[service]] tables to regenerate
    /// [default: the nearest looklook.toml at or above the current
    /// directory].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// A new service: starter definitions (NAME.api with one route,
    /// NAME.proto with one method, NAME.sql with one table), its
    /// [[service]] and [[process]] tables (on free ports), its workspace
    /// members and database, and its crates, generated and wired: the API
    /// calls the RPC service, which owns the model. The route answers at
    /// once under `looklook dev`.
    Service(AddServiceArgs),
}

#[derive(Debug, Args)]
pub struct AddServiceArgs {
    /// The service's name: lower-case letters and digits, starting with a
    /// letter (it becomes the .api service `NAME-api`).
    pub name: String,
    /// An HTTP API crate [default: all three of --api, --rpc and --model].
    #[arg(long)]
    pub api: bool,
    /// A gRPC crate, which the API calls.
    #[arg(long)]
    pub rpc: bool,
    /// A model crate and its database, which the RPC service (or else the
    /// API) reads and writes.
    #[arg(long)]
    pub model: bool,
    /// The project manifest [default: the nearest looklook.toml at or above
    /// the current directory].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The project's directory (created; it must not hold anything yet).
    pub dir: PathBuf,
    /// The project's name [default: the directory's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Where looklook-runtime is, for the service's path dependency
    /// [default: found by walking up from the directory].
    #[arg(long, value_name = "DIR")]
    pub runtime_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Only these processes [default: all of the manifest's].
    pub processes: Vec<String>,
    /// Build and run, without watching (for scripts and CI).
    #[arg(long)]
    pub once: bool,
    /// The project manifest [default: the nearest looklook.toml at or above
    /// the current directory].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Only these processes [default: every one with a Dockerfile].
    pub processes: Vec<String>,
    /// Where the images go, such as registry.example.com/shop.
    #[arg(long, value_name = "HOST/PATH")]
    pub registry: Option<String>,
    /// The images' tag [default: the commit's short hash].
    #[arg(long)]
    pub tag: Option<String>,
    /// The project manifest [default: the nearest looklook.toml at or above
    /// the current directory].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Build the binaries on this machine with cargo and only the image's
    /// run stage: no Rust image needed. The binary runs on the base's glibc,
    /// which must be as new as this machine's.
    #[arg(long)]
    pub prebuilt: bool,
    /// The cargo profile of --prebuilt.
    #[arg(long, default_value = "release", requires = "prebuilt")]
    pub profile: String,
    /// The image the binary runs on (the Dockerfile's BASE).
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,
    /// The image it is compiled in (the Dockerfile's BUILDER).
    #[arg(long, value_name = "IMAGE", conflicts_with = "prebuilt")]
    pub builder: Option<String>,
}

#[derive(Debug, Args)]
pub struct StackArgs {
    /// The stack file [default: the nearest looklook.stack.toml at or above
    /// the current directory].
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Containers through the Docker Engine API (DOCKER_HOST, else Docker's
    /// or Podman's socket), or local processes. `auto` uses containers when
    /// an engine answers.
    #[arg(long, value_enum, default_value_t = Engine::Auto)]
    pub engine: Engine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Auto,
    Docker,
    Native,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The project manifest [default: the nearest looklook.toml at or above
    /// the current directory].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Use the stack's services already running; do not `up` them.
    #[arg(long)]
    pub no_up: bool,
    /// How to bring the stack up (as `looklook up --engine`).
    #[arg(long, value_enum, default_value_t = Engine::Auto)]
    pub engine: Engine,
    /// Keep the system running after the walk, until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Only these services (and the services they depend on).
    pub services: Vec<String>,
    /// Also start the services of this profile (repeatable).
    #[arg(long = "profile", short = 'p', value_name = "PROFILE")]
    pub profiles: Vec<String>,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Also delete the services' data.
    #[arg(long = "volumes", short = 'v')]
    pub volumes: bool,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only these services.
    pub services: Vec<String>,
    /// Keep printing new lines.
    #[arg(long, short = 'f')]
    pub follow: bool,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Parse and check an .api file and its imports; report every error.
    Check(ApiCheckArgs),
    /// Print an .api file in the canonical layout, or rewrite it in place.
    Fmt(ApiFmtArgs),
    /// Print the checked definition of an .api file (and its imports) as
    /// JSON: the versioned document plugins read (docs/PLUGINS.md).
    Json(ApiCheckArgs),
}

#[derive(Debug, Args)]
pub struct ApiCheckArgs {
    /// The .api file.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ApiFmtArgs {
    /// The .api file.
    pub file: PathBuf,
    /// Rewrite the file instead of printing it.
    #[arg(long, short = 'w', conflicts_with = "check")]
    pub write: bool,
    /// Exit with status 1 if the file is not formatted; print nothing.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// An axum HTTP service crate from an .api file.
    ///
    /// Files marked `DO NOT EDIT` are rewritten on every run; the rest (logic,
    /// middleware, config, main) are created once and then left to you. New
    /// routes add new logic files and their `pub mod` lines.
    Api(GenApiArgs),
    /// A tonic gRPC service crate, with typed clients, from a .proto file.
    ///
    /// The .proto is compiled by protox: no protoc is needed, and the crate
    /// has no build script (the message and service code is in src/pb/).
    /// Logic files are yours; new methods add new ones.
    Rpc(GenRpcArgs),
    /// A sqlx model crate from MySQL `CREATE TABLE` statements.
    ///
    /// Per table: `<table>_gen.rs` (the row, its columns and the everyday
    /// queries; rewritten every run) and `<table>.rs` (your queries; created
    /// once). With --cache, reads by primary or unique key go through Redis.
    Model(GenModelArgs),
    /// An OpenAPI 3.1 document from an .api file (and its imports).
    ///
    /// Every route with its prefix, parameters, body and answer in the
    /// `{code,msg,data}` envelope; errors and the JWT scheme described. The
    /// file is YAML, or JSON when its name ends in .json.
    Openapi(GenOpenapiArgs),
    /// A TypeScript client from an .api file: no dependencies, fetch or
    /// wx.request.
    ///
    /// Writes looklook.ts (shared) and <service>.ts: an interface per type
    /// and a class with one method per route that unwraps the envelope and
    /// throws ApiError { code, msg, status } when a request is refused.
    Ts(GenTsArgs),
    /// The gateway's nginx config, from looklook.toml's [gateway] table.
    ///
    /// Each API service's `@server` prefixes go to its process's port; the
    /// routes named in `limit` are rate-limited per client address; the
    /// request id is passed on (or made); the access log is JSON; nginx's
    /// own refusals answer in the `{code,msg}` shape. `looklook gen` writes
    /// it too.
    Gateway(GenGatewayArgs),
    /// A Dockerfile per process, from looklook.toml's [docker] table.
    ///
    /// Two stages, built from the workspace root: cargo with its registry
    /// and target in BuildKit cache mounts, then the binary and its etc/ on
    /// a small base, run as a user. Also the root's .dockerignore.
    Docker(GenGatewayArgs),
    /// Kubernetes manifests, from looklook.toml's [kube] table.
    ///
    /// A kustomize base (per process a Deployment with probes, its config,
    /// a Service, an autoscaler and a disruption budget; the gateway and its
    /// Ingress) and dev and prod overlays. docs/DEPLOY.md has the rest.
    Kube(GenGatewayArgs),
}

#[derive(Debug, Args)]
pub struct GenGatewayArgs {
    /// The project manifest [default: the nearest looklook.toml at or above
    /// the current directory].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenOpenapiArgs {
    /// The .api file.
    pub file: PathBuf,
    /// The document to write: .yaml or .json.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// Where the service answers (`http://127.0.0.1:8888`) [default: `/`,
    /// where the document is served from].
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenTsArgs {
    /// The .api file.
    pub file: PathBuf,
    /// The directory for the client's files (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenModelArgs {
    /// The .sql file of CREATE TABLE statements (other statements are skipped).
    #[arg(required_unless_present = "datasource", conflicts_with = "datasource")]
    pub file: Option<PathBuf>,
    /// Read the tables from a live database instead: MySQL or MariaDB as
    /// the server writes them (`SHOW CREATE TABLE`), PostgreSQL
    /// (`postgres://…`) from its catalogue. The crate is the one the same
    /// DDL in a file gives.
    #[arg(long, value_name = "mysql://USER:PASS@HOST:PORT/DB")]
    pub datasource: Option<String>,
    /// The database the DDL and the generated SQL are for: mysql (MySQL
    /// and MariaDB) or postgres [default: the datasource's scheme, else
    /// mysql].
    #[arg(long, value_name = "mysql|postgres")]
    pub dialect: Option<looklook_gen::ddl::Dialect>,
    /// With --datasource: only tables whose names match GLOB (`*`, `?`).
    /// Repeat for more [default: every table].
    #[arg(long = "table", value_name = "GLOB", requires = "datasource")]
    pub tables: Vec<String>,
    /// The crate's directory (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Read rows through a Redis cache (cache-aside) and invalidate on writes.
    #[arg(long, short = 'c')]
    pub cache: bool,
    /// The crate's name [default: `<file stem>-model`].
    #[arg(long, value_name = "NAME")]
    pub crate_name: Option<String>,
    /// The database name in cache keys (`cache:<db>:<table>:<column>:<value>`)
    /// [default: the file stem].
    #[arg(long, value_name = "DB")]
    pub database: Option<String>,
    /// Path to looklook-runtime; found by looking up from DIR when omitted,
    /// else the copy looklook carries, written to vendor/looklook-runtime.
    #[arg(long, value_name = "PATH")]
    pub runtime_path: Option<PathBuf>,
    /// Choose a Rust type, by SQL type or by column, as looklook.toml's
    /// [types] does for `looklook gen`: `--type 'tinyint(1)=i8'`,
    /// `--type order.trade_state=i8`. Repeat for more.
    #[arg(long = "type", value_name = "SQL_OR_COLUMN=TYPE")]
    pub types: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GenRpcArgs {
    /// The .proto file; the crate is named after it (`user.proto` → `user-rpc`).
    pub file: PathBuf,
    /// The crate's directory (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Another directory to look up imports in (after the file's own).
    #[arg(long = "include", short = 'I', value_name = "DIR")]
    pub includes: Vec<PathBuf>,
    /// Path to looklook-runtime; found by looking up from DIR when omitted,
    /// else the copy looklook carries, written to vendor/looklook-runtime.
    #[arg(long, value_name = "PATH")]
    pub runtime_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenApiArgs {
    /// The .api file.
    pub file: PathBuf,
    /// The crate's directory (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Path to looklook-runtime; found by looking up from DIR when omitted,
    /// else the copy looklook carries, written to vendor/looklook-runtime.
    #[arg(long, value_name = "PATH")]
    pub runtime_path: Option<PathBuf>,
    /// Then run CMD with the checked definition as JSON on its standard
    /// input and DIR as its last argument, as goctl's `api plugin` does
    /// (the JSON is `looklook api json`'s; docs/PLUGINS.md). Repeat for more.
    #[arg(long = "plugin", value_name = "CMD")]
    pub plugins: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}
