//! The `looklook gen` operations: read definitions, generate, write.

use std::path::{Component, Path, PathBuf};

use crate::apidsl::{self, Diagnostics};
use crate::codegen::{self, CrateOptions, RuntimeDep};
use crate::runtime;
use crate::rustfmt;
use crate::writer::{self, Report, WriteError};

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error(transparent)]
    Definition(#[from] Diagnostics),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{0}: no service to generate: declare a `service name-api {{ ... }}` block")]
    NoService(PathBuf),
    #[error("{0}: no service to generate: declare a `service Name {{ rpc ... }}`")]
    NoRpcService(PathBuf),
    #[error(
        "{}: the file's name becomes the crate's name, so it must be ASCII letters, digits, `-` and `_`, starting with a letter",
        .0.display()
    )]
    FileName(PathBuf),
    #[error("{0}: no `CREATE TABLE` statement to generate a model from")]
    NoTable(PathBuf),
    #[error(
        "`{0}` cannot name a project: its first service is the .api service `NAME-api`, so use lower-case letters and digits, starting with a letter (give one with --name)"
    )]
    ProjectName(String),
    #[error(
        "`{0}` cannot name a service: it becomes the .api service `NAME-api` and the crates `NAME-api`, `NAME-rpc` and `NAME-model`, so use lower-case letters and digits, starting with a letter"
    )]
    ServiceName(String),
    #[error("the project already has {what}: pick another name than `{name}`")]
    Exists { name: String, what: String },
    #[error("cannot edit {}: {message}", .path.display())]
    Edit { path: PathBuf, message: String },
    #[error("{} already exists and is not empty; pick a new directory", .0.display())]
    NotEmpty(PathBuf),
    #[error("{} lists no [[service]] to generate", .0.display())]
    NoServices(PathBuf),
    #[error(
        "no looklook.toml in {} or any directory above it; name a definition (`looklook gen api FILE`) or pass --manifest",
        .0.display()
    )]
    NoManifest(PathBuf),
    #[error(
        "[gateway] limit names {0}, which is no route: use service/handler, as `usercenter/login`"
    )]
    GatewayLimit(String),
    #[error(
        "[gateway]: the API service `{0}` has no [[process]] with package `{0}-api` and a port to send its routes to"
    )]
    GatewayUpstream(String),
    #[error("{} has no [{table}] table to generate from", .path.display())]
    NoManifestTable { path: PathBuf, table: &'static str },
    #[error("plugin `{command}`: {message}")]
    Plugin { command: String, message: String },
    #[error("prost could not generate code: {0}")]
    Codegen(std::io::Error),
    #[error("cannot resolve {path}: {source}")]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct GenApiOptions {
    pub api_file: PathBuf,
    pub out_dir: PathBuf,
    /// Where `looklook-runtime` is; found by walking up from the output
    /// directory when not given, else vendored (see [`crate::runtime`]).
    pub runtime_path: Option<PathBuf>,
    /// Commands run after the crate is written, each given the checked
    /// definition as JSON on standard input and the output directory as its
    /// last argument (see [`run_plugin`]).
    pub plugins: Vec<String>,
}

/// `looklook gen openapi`: one `.api` file's OpenAPI document.
#[derive(Debug, Clone)]
pub struct GenOpenapiOptions {
    pub api_file: PathBuf,
    /// `.json` writes JSON, anything else YAML.
    pub out_file: PathBuf,
    /// The service's URL [default: `/`, where the document is served from].
    pub server: Option<String>,
}

/// `looklook gen ts`: one `.api` file's TypeScript client.
#[derive(Debug, Clone)]
pub struct GenTsOptions {
    pub api_file: PathBuf,
    pub out_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct GenRpcOptions {
    pub proto_file: PathBuf,
    /// Where imports are looked up, after the file's own directory.
    pub includes: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub runtime_path: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct GenModelOptions {
    /// The DDL file; with `sql_text`, only the name its errors and the
    /// crate are named after.
    pub sql_file: PathBuf,
    /// The DDL itself, when it comes from elsewhere (a live database).
    pub sql_text: Option<String>,
    pub out_dir: PathBuf,
    pub cache: bool,
    /// Default: `<file stem>-model`.
    pub crate_name: Option<String>,
    /// The database in cache keys. Default: the file stem.
    pub database: Option<String>,
    pub runtime_path: Option<PathBuf>,
    /// The user's choices of Rust type, by SQL type or column.
    pub types: crate::ddl::TypeMap,
    /// The database the DDL is written for, and the model's SQL too.
    pub dialect: crate::ddl::Dialect,
}

/// A crate generated and not yet written: where it goes, and its files.
struct Planned {
    out_dir: PathBuf,
    plan: codegen::FilePlan,
    /// What the definition says that the user may not have meant.
    warnings: Vec<apidsl::Diagnostic>,
}

impl Planned {
    fn new(out_dir: PathBuf, plan: codegen::FilePlan) -> Self {
        Planned {
            out_dir,
            plan,
            warnings: Vec::new(),
        }
    }

    /// Format, then write all or nothing.
    fn write(mut self) -> Result<Report, GenError> {
        let mut report = write(&mut self.plan, &self.out_dir)?;
        report.warnings = self.warnings;
        Ok(report)
    }

    /// Write what is already formatted.
    fn apply(self) -> Result<Report, GenError> {
        let mut report = writer::apply(&self.plan, &self.out_dir)?;
        report.warnings = self.warnings;
        Ok(report)
    }
}

/// One crate of `looklook gen`, to be planned.
enum Job {
    Api(GenApiOptions),
    Rpc(GenRpcOptions),
    Model(GenModelOptions),
}

impl Job {
    fn plan(&self) -> Result<Planned, GenError> {
        match self {
            Job::Api(opts) => plan_api(opts).map(|(planned, _)| planned),
            Job::Rpc(opts) => plan_rpc(opts),
            Job::Model(opts) => plan_model(opts),
        }
    }
}

/// `looklook gen model`: a sqlx model crate from `CREATE TABLE` statements.
pub fn gen_model(opts: &GenModelOptions) -> Result<Report, GenError> {
    plan_model(opts)?.write()
}

fn plan_model(opts: &GenModelOptions) -> Result<Planned, GenError> {
    let text = match &opts.sql_text {
        Some(text) => text.clone(),
        None => std::fs::read_to_string(&opts.sql_file).map_err(|source| GenError::Path {
            path: opts.sql_file.clone(),
            source,
        })?,
    };
    let file = apidsl::SourceFile::new(opts.sql_file.display().to_string(), text);
    let (tables, warnings) = crate::ddl::parse_in(opts.dialect, &file, &opts.types)?;
    if tables.is_empty() {
        return Err(GenError::NoTable(opts.sql_file.clone()));
    }
    let stem = crate_stem(&opts.sql_file)?;
    let out_dir = absolute(&opts.out_dir)?;
    let runtime = runtime_dependency(&out_dir, opts.runtime_path.as_deref())?;
    let model_opts = codegen::model::ModelOptions {
        crate_name: opts
            .crate_name
            .clone()
            .unwrap_or_else(|| format!("{stem}-model")),
        database: opts
            .database
            .clone()
            .unwrap_or_else(|| stem.replace('-', "_")),
        cache: opts.cache,
        dialect: opts.dialect,
        krate: CrateOptions { runtime },
    };
    let plan = codegen::model::generate(&tables, &model_opts);
    Ok(Planned {
        warnings,
        ..Planned::new(out_dir, plan)
    })
}

/// `looklook gen rpc`: a tonic crate from a `.proto` file, named after the
/// file (`usercenter.proto` → `usercenter-rpc`).
pub fn gen_rpc(opts: &GenRpcOptions) -> Result<Report, GenError> {
    plan_rpc(opts)?.write()
}

fn plan_rpc(opts: &GenRpcOptions) -> Result<Planned, GenError> {
    let proto = crate::proto::compile(&opts.proto_file, &opts.includes)?;
    if proto.services.is_empty() {
        return Err(GenError::NoRpcService(opts.proto_file.clone()));
    }
    let name = crate_stem(&opts.proto_file)?;
    let out_dir = absolute(&opts.out_dir)?;
    let runtime = runtime_dependency(&out_dir, opts.runtime_path.as_deref())?;
    let plan = codegen::rpc::generate(&proto, &name, &CrateOptions { runtime })
        .map_err(GenError::Codegen)?;
    Ok(Planned::new(out_dir, plan))
}

/// Format, then write all or nothing.
fn write(plan: &mut codegen::FilePlan, out_dir: &Path) -> Result<Report, GenError> {
    let formatted = rustfmt::format_plan(plan, rustfmt::needs_rustfmt);
    let mut report = writer::apply(plan, out_dir)?;
    if let Err(e) = formatted {
        report.notes.push(e.to_string());
    }
    Ok(report)
}

/// `looklook gen api`: an axum crate from an `.api` file, then its plugins.
pub fn gen_api(opts: &GenApiOptions) -> Result<Report, GenError> {
    let (planned, spec) = plan_api(opts)?;
    let out_dir = planned.out_dir.clone();
    let mut report = planned.write()?;
    if !opts.plugins.is_empty() {
        let json = apidsl::json::Document::new(&spec).to_json();
        for command in &opts.plugins {
            let said = run_plugin(command, &json, &out_dir)?;
            report
                .notes
                .extend(said.lines().map(|l| format!("{command}: {l}")));
        }
    }
    Ok(report)
}

fn plan_api(opts: &GenApiOptions) -> Result<(Planned, apidsl::Spec), GenError> {
    let spec = apidsl::load_spec(&opts.api_file)?;
    if spec.groups.is_empty() {
        return Err(GenError::NoService(opts.api_file.clone()));
    }
    let out_dir = absolute(&opts.out_dir)?;
    let runtime = runtime_dependency(&out_dir, opts.runtime_path.as_deref())?;
    let plan = codegen::api::generate(&spec, &CrateOptions { runtime });
    Ok((Planned::new(out_dir, plan), spec))
}

/// Run one plugin, as goctl's `api plugin` does: `command` is split as a
/// shell would (no shell runs it), the output directory is appended as the
/// last argument, and the checked definition goes to its standard input as
/// JSON ([`apidsl::json`], version in `LOOKLOOK_API_JSON_VERSION` too).
/// A plugin that exits non-zero fails the command with what it wrote to
/// standard error. Returns what it wrote to standard output.
pub fn run_plugin(command: &str, json: &str, out_dir: &Path) -> Result<String, GenError> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let fail = |message: String| GenError::Plugin {
        command: command.to_string(),
        message,
    };
    let words = shlex::split(command)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| fail("is empty or has an unclosed quote".into()))?;
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .arg(out_dir)
        .env(
            "LOOKLOOK_API_JSON_VERSION",
            apidsl::json::VERSION.to_string(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot start `{}`: {e}", words[0])))?;
    // Fed from a thread, so a plugin that writes much before it has read
    // everything cannot deadlock against us. A plugin that reads nothing
    // closes the pipe early; that is its business.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = json.to_string();
    let feeder = std::thread::spawn(move || match stdin.write_all(input.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    });
    let output = child
        .wait_with_output()
        .map_err(|e| fail(format!("cannot wait for it: {e}")))?;
    let fed = feeder
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!("{}\n{}", output.status, stderr.trim_end())));
    }
    fed.map_err(|e| fail(format!("cannot write its input: {e}")))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `looklook gen openapi`: the OpenAPI 3.1 document of an `.api` file.
pub fn gen_openapi(opts: &GenOpenapiOptions) -> Result<Report, GenError> {
    let spec = api_spec(&opts.api_file)?;
    let doc = codegen::openapi::document(&spec, opts.server.as_deref());
    let out = absolute(&opts.out_file)?;
    let json = out.extension().is_some_and(|e| e == "json");
    let text = if json {
        codegen::openapi::to_json(&doc)
    } else {
        codegen::openapi::to_yaml(&doc)
    };
    let (dir, name) = match (out.parent(), out.file_name()) {
        (Some(dir), Some(name)) => (dir.to_path_buf(), PathBuf::from(name)),
        _ => {
            return Err(GenError::Path {
                path: out,
                source: std::io::ErrorKind::InvalidInput.into(),
            });
        }
    };
    let mut plan = codegen::FilePlan::default();
    plan.add(name, codegen::Owner::Generated, text);
    Ok(writer::apply(&plan, &dir)?)
}

/// `looklook gen ts`: the TypeScript client of an `.api` file.
pub fn gen_ts(opts: &GenTsOptions) -> Result<Report, GenError> {
    let spec = api_spec(&opts.api_file)?;
    let out = absolute(&opts.out_dir)?;
    Ok(writer::apply(&codegen::typescript::generate(&spec), &out)?)
}

fn api_spec(path: &Path) -> Result<apidsl::Spec, GenError> {
    let spec = apidsl::load_spec(path)?;
    if spec.groups.is_empty() {
        return Err(GenError::NoService(path.to_path_buf()));
    }
    Ok(spec)
}

/// The process that runs a service's API crate (`<service>-api`).
fn api_process<'m>(
    manifest: &'m looklook_manifest::Manifest,
    service: &str,
) -> Option<&'m looklook_manifest::ProcessDef> {
    let package = format!("{service}-api");
    manifest
        .processes
        .iter()
        .find(|p| *p.package.get_ref() == package)
}

/// Every service's `.api` file, read and checked.
fn api_specs(
    manifest: &looklook_manifest::Manifest,
    base: &Path,
) -> Result<Vec<apidsl::Spec>, GenError> {
    let mut specs = Vec::new();
    for service in &manifest.services {
        if let Some(api) = &service.api {
            specs.push(api_spec(&base.join(api))?);
        }
    }
    Ok(specs)
}

/// The gateway's nginx config, when the manifest has a `[gateway]`.
fn gateway_plan(
    manifest: &looklook_manifest::Manifest,
    base: &Path,
    specs: &[apidsl::Spec],
) -> Result<Option<(String, Planned)>, GenError> {
    let Some(def) = &manifest.gateway else {
        return Ok(None);
    };
    let all: Vec<&apidsl::Spec> = specs.iter().collect();
    let unknown = codegen::gateway::unknown_limits(def, &all);
    if !unknown.is_empty() {
        return Err(GenError::GatewayLimit(unknown.join(", ")));
    }
    let mut upstreams = Vec::new();
    for spec in specs {
        let port = api_process(manifest, &spec.name)
            .and_then(|p| p.port)
            .ok_or_else(|| GenError::GatewayUpstream(spec.name.clone()))?;
        upstreams.push(codegen::gateway::Upstream {
            spec,
            address: format!("{}:{port}", def.host),
        });
    }
    Ok(Some((
        "gateway".to_string(),
        Planned::new(absolute(base)?, codegen::gateway::plan(def, &upstreams)),
    )))
}

/// The Kubernetes manifests, when the manifest has a `[kube]`.
fn kube_plan(
    manifest: &looklook_manifest::Manifest,
    base: &Path,
    specs: &[apidsl::Spec],
    packages: &[(String, PathBuf)],
) -> Result<Option<(String, Planned)>, GenError> {
    let Some(def) = &manifest.kube else {
        return Ok(None);
    };
    let mut deployables = Vec::new();
    for process in &manifest.processes {
        if def.exclude.contains(process.name.get_ref()) {
            continue;
        }
        // The process's config: the etc/*.yaml beside its crate.
        let config = packages
            .iter()
            .find(|(name, _)| name == process.package.get_ref())
            .and_then(|(_, dir)| first_yaml(&dir.join("etc")));
        deployables.push(codegen::kube::Deployable { process, config });
    }
    // The gateway in the cluster reaches each API service by its Service.
    let gateway_conf = manifest.gateway.as_ref().map(|g| {
        let upstreams: Vec<_> = specs
            .iter()
            .filter_map(|spec| {
                let process = api_process(manifest, &spec.name)?;
                Some(codegen::gateway::Upstream {
                    spec,
                    address: format!("{}:{}", process.name.get_ref(), process.port?),
                })
            })
            .collect();
        codegen::gateway::nginx(g, &upstreams)
    });
    Ok(Some((
        "kubernetes".to_string(),
        Planned::new(
            absolute(base)?,
            codegen::kube::plan(manifest, def, &deployables, gateway_conf.as_deref()),
        ),
    )))
}

/// A Dockerfile per process, when the manifest has a `[docker]`.
fn docker_plan(
    manifest: &looklook_manifest::Manifest,
    base: &Path,
    packages: &[(String, PathBuf)],
) -> Result<Option<(String, Planned)>, GenError> {
    let Some(def) = &manifest.docker else {
        return Ok(None);
    };
    let root = absolute(base)?;
    let images: Vec<_> = manifest
        .processes
        .iter()
        .filter(|p| !def.exclude.contains(p.name.get_ref()))
        .filter_map(|process| {
            let (_, dir) = packages
                .iter()
                .find(|(name, _)| name == process.package.get_ref())?;
            Some(codegen::docker::Image {
                process,
                crate_dir: relative(&root, dir).display().to_string(),
                has_etc: dir.join("etc").is_dir(),
            })
        })
        .collect();
    Ok(Some((
        "docker".to_string(),
        Planned::new(root, codegen::docker::plan(def, &images)),
    )))
}

/// The project's cargo packages, read once for the parts that need them.
fn project_packages(
    manifest: &looklook_manifest::Manifest,
    base: &Path,
) -> Result<Vec<(String, PathBuf)>, GenError> {
    if manifest.kube.is_none() && manifest.docker.is_none() {
        return Ok(Vec::new());
    }
    Ok(package_dirs(&absolute(base)?))
}

/// Every cargo package under `root` (not in `target/`, `vendor/` or a
/// hidden directory): its name and directory.
fn package_dirs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        if let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml"))
            && let Ok(doc) = text.parse::<toml::Table>()
            && let Some(name) = doc
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
        {
            out.push((name.to_string(), dir.clone()));
        }
        if depth == 4 {
            continue;
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let skip = name.starts_with('.')
                || ["target", "vendor", "node_modules"].contains(&name.as_str());
            if !skip && entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    out
}

/// The first `.yaml` file of `dir` by name: its name and text.
fn first_yaml(dir: &Path) -> Option<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let file = files.into_iter().next()?;
    let text = std::fs::read_to_string(&file).ok()?;
    Some((file.file_name()?.to_string_lossy().into_owned(), text))
}

/// `looklook gen gateway`: the gateway's nginx config alone.
pub fn gen_gateway(manifest_path: &Path) -> Result<Report, GenError> {
    gen_part(manifest_path, Part::Gateway)
}

/// One part of what `looklook gen` writes from the manifest alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `[gateway]`: the nginx config.
    Gateway,
    /// `[docker]`: a Dockerfile per process.
    Docker,
    /// `[kube]`: the Kubernetes manifests.
    Kube,
}

impl Part {
    fn table(self) -> &'static str {
        match self {
            Part::Gateway => "gateway",
            Part::Docker => "docker",
            Part::Kube => "kube",
        }
    }
}

/// `looklook gen gateway|docker|kube`: that part alone, formatted and
/// written like the rest of `looklook gen`.
pub fn gen_part(manifest_path: &Path, part: Part) -> Result<Report, GenError> {
    let (_, manifest) = looklook_manifest::load(manifest_path)?;
    let base = manifest_dir(manifest_path);
    let specs = api_specs(&manifest, base)?;
    let planned = match part {
        Part::Gateway => gateway_plan(&manifest, base, &specs)?,
        Part::Docker => docker_plan(&manifest, base, &project_packages(&manifest, base)?)?,
        Part::Kube => kube_plan(&manifest, base, &specs, &project_packages(&manifest, base)?)?,
    };
    match planned {
        Some((_, planned)) => Ok(writer::apply(&planned.plan, &planned.out_dir)?),
        None => Err(GenError::NoManifestTable {
            path: manifest_path.to_path_buf(),
            table: part.table(),
        }),
    }
}

/// What `[clients]` asks for, from every service's `.api` file: the
/// OpenAPI documents and the TypeScript client.
fn client_plans(
    manifest: &looklook_manifest::Manifest,
    base: &Path,
    specs: &[apidsl::Spec],
) -> Result<Vec<(String, Planned)>, GenError> {
    let Some(clients) = &manifest.clients else {
        return Ok(Vec::new());
    };
    let base = absolute(base)?;
    let mut planned = Vec::new();
    if let Some(dir) = &clients.openapi {
        let mut plan = codegen::FilePlan::default();
        // Each service's own port, when the manifest runs it.
        let servers: Vec<Option<String>> = specs
            .iter()
            .map(|spec| {
                api_process(manifest, &spec.name)
                    .and_then(|p| p.port)
                    .map(|port| format!("http://127.0.0.1:{port}"))
            })
            .collect();
        for (spec, server) in specs.iter().zip(&servers) {
            let doc = codegen::openapi::document(spec, server.as_deref());
            plan.add(
                format!("{}.openapi.yaml", spec.name),
                codegen::Owner::Generated,
                codegen::openapi::to_yaml(&doc),
            );
        }
        let title = clients.title.clone().unwrap_or_else(|| {
            base.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "api".into())
        });
        let all: Vec<_> = specs
            .iter()
            .zip(&servers)
            .map(|(spec, server)| (spec, server.as_deref()))
            .collect();
        let merged = codegen::openapi::merged(&title, &all, None);
        plan.add(
            "openapi.yaml",
            codegen::Owner::Generated,
            codegen::openapi::to_yaml(&merged),
        );
        planned.push((
            "openapi".to_string(),
            Planned::new(base.join(dir), plan.finish()),
        ));
    }
    if let Some(dir) = &clients.typescript {
        let mut plan = codegen::FilePlan::default();
        for spec in specs {
            for file in codegen::typescript::generate(spec).files {
                if plan.get(&file.path.to_string_lossy()).is_none() {
                    plan.files.push(file);
                }
            }
        }
        planned.push((
            "typescript".to_string(),
            Planned::new(base.join(dir), plan.finish()),
        ));
    }
    Ok(planned)
}

#[derive(Debug, Clone)]
pub struct NewOptions {
    /// The project's directory; created.
    pub dir: PathBuf,
    /// The project's name [default: the directory's name].
    pub name: Option<String>,
    pub runtime_path: Option<PathBuf>,
}

/// `looklook new`: a workspace with a manifest, an `.api` file and the
/// service generated from it, ready for `looklook dev`. Everything is
/// written to a temporary directory beside the target and moved into place
/// at the end: a failure leaves nothing behind.
pub fn new_project(opts: &NewOptions) -> Result<Report, GenError> {
    let dir = absolute(&opts.dir)?;
    let name = match &opts.name {
        Some(name) => name.clone(),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if !crate::naming::is_service_name(&name) {
        return Err(GenError::ProjectName(name));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenError::Path { path, source }
    };
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(GenError::NotEmpty(dir));
    }
    let parent = dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".looklook-new-")
        .tempdir_in(parent)
        .map_err(io(parent))?;
    let plan = codegen::project::generate(&name);
    let mut report = writer::apply(&plan, staging.path())?;
    let service = gen_api(&GenApiOptions {
        api_file: staging.path().join(codegen::project::api_file(&name)),
        out_dir: staging.path().join(&name).join("api"),
        runtime_path: opts.runtime_path.clone(),
        plugins: Vec::new(),
    })?;
    let in_crate = |p: PathBuf| Path::new(&name).join("api").join(p);
    report
        .created
        .extend(service.created.into_iter().map(in_crate));
    report.notes.extend(service.notes);
    // The OpenAPI documents and the client, as `looklook gen` writes them.
    let (_, manifest) = looklook_manifest::load(&staging.path().join(looklook_manifest::MANIFEST))?;
    let specs = api_specs(&manifest, staging.path())?;
    for (_, planned) in client_plans(&manifest, staging.path(), &specs)? {
        let written = writer::apply(&planned.plan, &planned.out_dir)?;
        let under = planned
            .out_dir
            .strip_prefix(staging.path())
            .unwrap_or(Path::new(""))
            .to_path_buf();
        report
            .created
            .extend(written.created.into_iter().map(|p| under.join(p)));
    }
    report.created.sort();
    // An empty directory that is already there gives way to the project.
    if dir.is_dir() {
        std::fs::remove_dir(&dir).map_err(io(&dir))?;
    }
    std::fs::rename(staging.keep(), &dir).map_err(io(&dir))?;
    Ok(report)
}

/// `looklook gen` with no arguments: every service of the project manifest,
/// each of its crates from its definition. All definitions are read and
/// checked before anything is written, so an error in one leaves every
/// crate as it was.
pub fn gen_all(manifest_path: &Path) -> Result<Vec<(String, Report)>, GenError> {
    let (mut planned, vendor_under) = plan_all(manifest_path)?;
    if let Some(root) = vendor_under {
        vendor_runtime(&root)?;
    }
    // One rustfmt pass for every crate: starting rustfmt is most of the cost.
    let formatted = rustfmt::format_plans(
        &mut planned
            .iter_mut()
            .map(|(_, p)| &mut p.plan)
            .collect::<Vec<_>>(),
        rustfmt::needs_rustfmt,
    );
    let mut reports = planned
        .into_iter()
        .map(|(name, p)| Ok((name, p.apply()?)))
        .collect::<Result<Vec<_>, GenError>>()?;
    if let (Err(e), Some((_, first))) = (formatted, reports.first_mut()) {
        first.notes.push(e.to_string());
    }
    Ok(reports)
}

/// Whether `looklook gen` would succeed, without writing anything.
pub(crate) fn check_all(manifest_path: &Path) -> Result<(), GenError> {
    plan_all(manifest_path).map(|_| ())
}

/// Every crate and file of a project, each under its name, planned.
type ProjectPlan = Vec<(String, Planned)>;

/// Every crate and file of `looklook gen`, read, checked and generated, and
/// nothing written; and the project root to vendor the runtime under, when
/// the crates use a vendored copy.
fn plan_all(manifest_path: &Path) -> Result<(ProjectPlan, Option<PathBuf>), GenError> {
    let (file, manifest) = looklook_manifest::load(manifest_path)?;
    if manifest.services.is_empty() {
        return Err(GenError::NoServices(manifest_path.to_path_buf()));
    }
    let types = type_map(&file, &manifest)?;
    let base = manifest_dir(manifest_path);
    let path = |p: &Option<String>| p.as_ref().map(|p| base.join(p));
    // Found once for every crate; a vendored copy is written only once
    // every crate has been generated.
    let (runtime, vendor_under) = runtime_place(&absolute(base)?);
    let runtime_path = Some(runtime);
    // Every crate is read, checked and generated first; only then is
    // anything written.
    let mut jobs = Vec::new();
    for service in &manifest.services {
        let name = service.name.get_ref();
        let dir = base.join(&service.dir);
        if let Some(api_file) = path(&service.api) {
            let opts = GenApiOptions {
                api_file,
                out_dir: dir.join("api"),
                runtime_path: runtime_path.clone(),
                plugins: Vec::new(),
            };
            jobs.push((format!("{name}/api"), Job::Api(opts)));
        }
        if let Some(proto_file) = path(&service.proto) {
            let opts = GenRpcOptions {
                proto_file,
                includes: Vec::new(),
                out_dir: dir.join("rpc"),
                runtime_path: runtime_path.clone(),
            };
            jobs.push((format!("{name}/rpc"), Job::Rpc(opts)));
        }
        if let Some(sql_file) = path(&service.sql) {
            let opts = GenModelOptions {
                sql_file,
                sql_text: None,
                out_dir: dir.join("model"),
                cache: service.cache,
                crate_name: Some(format!("{name}-model")),
                database: service.database.clone(),
                runtime_path: runtime_path.clone(),
                types: types.clone(),
                dialect: match service.dialect {
                    looklook_manifest::SqlDialect::Mysql => crate::ddl::Dialect::MySql,
                    looklook_manifest::SqlDialect::Postgres => crate::ddl::Dialect::Postgres,
                },
            };
            jobs.push((format!("{name}/model"), Job::Model(opts)));
        }
    }
    // The crates are independent: each is planned on its own thread. The
    // first error in manifest order is the one reported, as if one by one.
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs.iter().map(|(_, job)| s.spawn(|| job.plan())).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut planned = Vec::new();
    for ((name, _), result) in jobs.into_iter().zip(results) {
        planned.push((name, result?));
    }
    let specs = api_specs(&manifest, base)?;
    planned.extend(client_plans(&manifest, base, &specs)?);
    planned.extend(gateway_plan(&manifest, base, &specs)?);
    let packages = project_packages(&manifest, base)?;
    planned.extend(kube_plan(&manifest, base, &specs, &packages)?);
    planned.extend(docker_plan(&manifest, base, &packages)?);
    // Prometheus's targets, from the processes' metrics ports.
    if let Some(plan) = codegen::metrics::targets(&manifest) {
        let out_dir = absolute(base)?;
        planned.push(("metrics targets".into(), Planned::new(out_dir, plan)));
    }
    Ok((planned, vendor_under))
}

/// The manifest's `[types]`, each choice checked where it is written.
fn type_map(
    file: &apidsl::SourceFile,
    manifest: &looklook_manifest::Manifest,
) -> Result<crate::ddl::TypeMap, Diagnostics> {
    let mut types = crate::ddl::TypeMap::default();
    let errors: Vec<_> = manifest
        .types
        .iter()
        .filter_map(|(key, ty)| {
            let at = looklook_manifest::span(ty);
            types
                .insert(key, ty.get_ref())
                .err()
                .map(|msg| file.error(at, format!("[types]: {msg}")))
        })
        .collect();
    if errors.is_empty() {
        Ok(types)
    } else {
        Err(Diagnostics(errors))
    }
}

/// The directory a manifest's paths are relative to: its own, `.` for a
/// bare file name (`--manifest looklook.toml`).
fn manifest_dir(manifest_path: &Path) -> &Path {
    match manifest_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A crate name from a definition file's name: `user_center.proto` →
/// `user-center`. The name goes into `Cargo.toml` and Rust code, so only
/// names cargo accepts pass: ASCII letters, digits, `-` and `_`, starting
/// with a letter.
fn crate_stem(file: &Path) -> Result<String, GenError> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let plain = stem.starts_with(|c: char| c.is_ascii_alphabetic())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return Err(GenError::FileName(file.to_path_buf()));
    }
    Ok(stem.replace('_', "-"))
}

fn absolute(p: &Path) -> Result<PathBuf, GenError> {
    let abs = std::path::absolute(p).map_err(|source| GenError::Path {
        path: p.to_path_buf(),
        source,
    })?;
    // Resolve `..` lexically: the directory may not exist yet.
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Where a crate in `crate_dir` gets the runtime from: the path given;
/// else the nearest `looklook-runtime` source (this repository) or
/// vendored copy above the crate, the copy brought up to this looklook's
/// runtime; else a new vendored copy at the project's root (the nearest
/// directory with a `looklook.toml`, or the crate itself). Generated crates
/// never depend on a runtime that cannot be found.
fn runtime_dependency(crate_dir: &Path, given: Option<&Path>) -> Result<RuntimeDep, GenError> {
    let path = match given {
        Some(p) => absolute(p)?,
        None => runtime_for(crate_dir)?,
    };
    Ok(RuntimeDep::Path(
        relative(crate_dir, &path).display().to_string(),
    ))
}

/// The runtime for crates in or below `dir`, a vendored copy brought up to
/// date: see [`runtime_dependency`].
fn runtime_for(dir: &Path) -> Result<PathBuf, GenError> {
    let (path, vendor_under) = runtime_place(dir);
    if let Some(root) = vendor_under {
        vendor_runtime(&root)?;
    }
    Ok(path)
}

/// Where the runtime for crates in or below `dir` is, without writing
/// anything; and, when it is a vendored copy, the project root to write it
/// (or bring it up to date) under before it is used.
fn runtime_place(dir: &Path) -> (PathBuf, Option<PathBuf>) {
    let root = match runtime_above(dir) {
        Some(Runtime::Source(path)) => return (path, None),
        Some(Runtime::Vendored(root)) => root,
        None => dir
            .ancestors()
            .find(|a| a.join(looklook_manifest::MANIFEST).is_file())
            .unwrap_or(dir)
            .to_path_buf(),
    };
    (root.join(runtime::VENDOR_DIR), Some(root))
}

enum Runtime {
    /// The runtime's own source: `looklook-runtime/`.
    Source(PathBuf),
    /// A project root holding a vendored copy.
    Vendored(PathBuf),
}

fn runtime_above(dir: &Path) -> Option<Runtime> {
    dir.ancestors().find_map(|a| {
        let source = a.join("looklook-runtime");
        if source.join("Cargo.toml").is_file() {
            Some(Runtime::Source(source))
        } else if a.join(runtime::VENDOR_DIR).join("Cargo.toml").is_file() {
            Some(Runtime::Vendored(a.to_path_buf()))
        } else {
            None
        }
    })
}

/// Write (or bring up to date) the runtime this looklook carries under
/// `root`; its directory.
fn vendor_runtime(root: &Path) -> Result<PathBuf, GenError> {
    writer::apply(&runtime::plan(), root)?;
    Ok(root.join(runtime::VENDOR_DIR))
}

/// `to` as seen from `from`; both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/c"), Path::new("/a/x")),
            PathBuf::from("../../x")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/x")),
            PathBuf::from("x")
        );
    }
}
