//! `looklook add service`: a new service in an existing project. Starter
//! definitions (`NAME.api`, `NAME.proto`, `NAME.sql`), its `[[service]]` and
//! `[[process]]` tables, its workspace members and database, then the crates
//! generated and wired: the API service calls its RPC service, the RPC
//! service owns the model. The new route answers end to end at once.
//!
//! The project's own files are edited with toml_edit, so their comments and
//! layout stay as the user left them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use askama::Template;
use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, value};

use crate::codegen::{FilePlan, Owner};
use crate::generate::{GenError, check_all, gen_all};
use crate::rustfmt;
use crate::writer::{self, Report};

/// What `looklook add service` is asked for.
#[derive(Debug, Clone)]
pub struct AddOptions {
    /// The project's `looklook.toml`.
    pub manifest: PathBuf,
    /// The service's name: lower-case letters, digits and `-`.
    pub name: String,
    pub api: bool,
    pub rpc: bool,
    pub model: bool,
    /// Where the stack's servers answer, as the new services' defaults.
    pub stack: StackFacts,
}

/// What the project's stack file says that a new service needs.
#[derive(Debug, Clone, Default)]
pub struct StackFacts {
    /// The MySQL server, without a database: `mysql://root:pw@127.0.0.1:3306`.
    pub mysql: Option<String>,
    /// The Redis server: `redis://127.0.0.1:6379`.
    pub redis: Option<String>,
    /// Host ports the stack publishes; new processes keep off them.
    pub ports: Vec<u16>,
}

/// Where the ports of new processes are looked for from: go-zero's habits
/// (8888 for HTTP, 8080 for gRPC) and the Prometheus exporter's 9091.
const API_PORTS_FROM: u16 = 8888;
const RPC_PORTS_FROM: u16 = 8080;
const METRICS_PORTS_FROM: u16 = 9091;

/// The names one service goes by.
struct Names<'a> {
    /// `pet-shop`
    name: &'a str,
    /// `pet_shop`: crate paths and the proto package.
    snake: String,
    /// `PetShop`: the gRPC service.
    service: String,
    /// `shop_pet_shop`: the database.
    db: String,
}

#[derive(Template)]
#[template(path = "add/service.api.askama", escape = "none")]
struct ApiDef<'a> {
    name: &'a str,
}

#[derive(Template)]
#[template(path = "add/service.proto.askama", escape = "none")]
struct ProtoDef<'a> {
    name: &'a str,
    package: &'a str,
    service: &'a str,
}

#[derive(Template)]
#[template(path = "add/service.sql.askama", escape = "none")]
struct SqlDef<'a> {
    name: &'a str,
    db: &'a str,
}

#[derive(Template)]
#[template(path = "add/api_svc.rs.askama", escape = "none")]
struct ApiSvc<'a> {
    name: &'a str,
    snake: &'a str,
    service: &'a str,
    rpc: bool,
    model: bool,
}

#[derive(Template)]
#[template(path = "add/api_config.rs.askama", escape = "none")]
struct ApiConfig<'a> {
    name: &'a str,
    snake: &'a str,
    db: &'a str,
    rpc: bool,
    model: bool,
}

#[derive(Template)]
#[template(path = "add/api_logic.rs.askama", escape = "none")]
struct ApiLogic<'a> {
    name: &'a str,
    snake: &'a str,
    rpc: bool,
    model: bool,
}

#[derive(Template)]
#[template(path = "add/rpc_svc.rs.askama", escape = "none")]
struct RpcSvc<'a> {
    snake: &'a str,
    model: bool,
}

#[derive(Template)]
#[template(path = "add/rpc_config.rs.askama", escape = "none")]
struct RpcConfig<'a> {
    name: &'a str,
    snake: &'a str,
    db: &'a str,
    model: bool,
}

#[derive(Template)]
#[template(path = "add/rpc_logic.rs.askama", escape = "none")]
struct RpcLogic<'a> {
    snake: &'a str,
    package: &'a str,
    service: &'a str,
    model: bool,
}

fn render(t: &dyn askama::DynTemplate) -> String {
    t.dyn_render().expect("templates render")
}

/// The ports the new processes get: the first free ones at or above each
/// kind's usual port, free of the manifest's processes and the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPorts {
    pub api: Option<(u16, u16)>,
    pub rpc: Option<(u16, u16)>,
}

pub fn choose_ports(taken: &BTreeSet<u16>, api: bool, rpc: bool) -> NewPorts {
    let mut taken = taken.clone();
    let mut next = |from: u16| {
        let port = (from..=u16::MAX)
            .find(|p| !taken.contains(p))
            .unwrap_or(from);
        taken.insert(port);
        port
    };
    let rpc = rpc.then(|| (next(RPC_PORTS_FROM), next(METRICS_PORTS_FROM)));
    let api = api.then(|| (next(API_PORTS_FROM), next(METRICS_PORTS_FROM)));
    NewPorts { api, rpc }
}

/// `looklook add service`. Refuses a name the project already uses, and a
/// project that does not generate cleanly as it is, before writing
/// anything; if generating the new service fails, every file is put back.
pub fn add_service(opts: &AddOptions) -> Result<Report, GenError> {
    let name = opts.name.as_str();
    if !crate::naming::is_service_name(name) {
        return Err(GenError::ServiceName(name.to_string()));
    }
    let (api, rpc, model) = match (opts.api, opts.rpc, opts.model) {
        (false, false, false) => (true, true, true),
        asked => asked,
    };
    let (_, manifest) = looklook_manifest::load(&opts.manifest)?;
    let base = match opts.manifest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let project = base
        .canonicalize()
        .ok()
        .and_then(|b| b.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".into());
    let names = Names {
        name,
        snake: name.to_snake_case(),
        service: name.to_upper_camel_case(),
        db: format!("{}_{}", project.to_snake_case(), name.to_snake_case()),
    };

    // Everything this would create must be new.
    let crates = [("api", api), ("rpc", rpc), ("model", model)];
    let mut clashes = Vec::new();
    if manifest.services.iter().any(|s| s.name.get_ref() == name) {
        clashes.push(format!("a [[service]] named `{name}`"));
    }
    for (kind, wanted) in crates {
        let process = format!("{name}-{kind}");
        if wanted
            && kind != "model"
            && manifest
                .processes
                .iter()
                .any(|p| p.name.get_ref() == &process)
        {
            clashes.push(format!("a [[process]] named `{process}`"));
        }
    }
    let definitions: Vec<(String, String)> = [
        (api, "api", render(&ApiDef { name })),
        (
            rpc,
            "proto",
            render(&ProtoDef {
                name,
                package: &names.snake,
                service: &names.service,
            }),
        ),
        (
            model,
            "sql",
            render(&SqlDef {
                name,
                db: &names.db,
            }),
        ),
    ]
    .into_iter()
    .filter(|(wanted, _, _)| *wanted)
    .map(|(_, ext, text)| (format!("{name}.{ext}"), text))
    .collect();
    for path in definitions.iter().map(|(p, _)| p.as_str()).chain([name]) {
        if base.join(path).exists() {
            clashes.push(format!("`{path}`"));
        }
    }
    if !clashes.is_empty() {
        return Err(GenError::Exists {
            name: name.to_string(),
            what: clashes.join(", "),
        });
    }
    // A project that does not generate as it is would fail after our
    // files are written; say so first.
    check_all(&opts.manifest)?;

    let mut taken: BTreeSet<u16> = opts.stack.ports.iter().copied().collect();
    for p in &manifest.processes {
        taken.extend(p.port);
        taken.extend(p.metrics_port);
    }
    let ports = choose_ports(&taken, api, rpc);

    // The project's files, edited.
    let manifest_path = opts.manifest.clone();
    let manifest_text = read(&manifest_path)?;
    let new_manifest = edit_manifest(&manifest_text, &names, api, rpc, model, ports)
        .map_err(|message| edit_error(&manifest_path, message))?;
    let mut edits = vec![(manifest_path, manifest_text, new_manifest)];
    let workspace = base.join("Cargo.toml");
    if workspace.is_file() {
        let text = read(&workspace)?;
        let members: Vec<String> = crates
            .iter()
            .filter(|(_, wanted)| *wanted)
            .map(|(kind, _)| format!("{name}/{kind}"))
            .collect();
        let edited = add_members(&text, &members).map_err(|m| edit_error(&workspace, m))?;
        edits.push((workspace, text, edited));
    }
    let stack_file = base.join(looklook_manifest::STACK_FILE);
    let mut notes = Vec::new();
    if model {
        let added = if stack_file.is_file() {
            let text = read(&stack_file)?;
            match add_database(&text, &names.db, &format!("{name}.sql"))
                .map_err(|m| edit_error(&stack_file, m))?
            {
                Some(edited) => {
                    edits.push((stack_file.clone(), text, edited));
                    true
                }
                None => false,
            }
        } else {
            false
        };
        if !added {
            notes.push(format!(
                "no [services.mysql] in {}: create the database {} from {name}.sql yourself",
                looklook_manifest::STACK_FILE,
                names.db
            ));
        }
    }

    let mut written = Written::default();
    let result = (|| {
        for (path, text) in &definitions {
            let path = base.join(path);
            writer::replace_file(&path, text)?;
            written.created.push(path);
        }
        for (path, old, new) in &edits {
            writer::replace_file(path, new)?;
            written.edited.push((path.clone(), old.clone()));
        }
        written.service_dir = Some(base.join(name));
        let reports = gen_all(&opts.manifest)?;
        wire(&base, &names, api, rpc, model, opts)?;
        Ok::<_, GenError>(reports)
    })();
    let reports = match result {
        Ok(reports) => reports,
        Err(e) => {
            written.undo(&opts.manifest);
            return Err(e);
        }
    };

    let mut report = Report::default();
    report
        .created
        .extend(definitions.iter().map(|(p, _)| PathBuf::from(p)));
    report
        .updated
        .extend(edits.iter().map(|(p, _, _)| relative_to(&base, p)));
    for (part, r) in reports {
        match part.strip_prefix(&format!("{name}/")) {
            Some(kind) => report.created.extend(
                r.created
                    .into_iter()
                    .map(|p| Path::new(name).join(kind).join(p)),
            ),
            None if !r.created.is_empty() || !r.updated.is_empty() => notes.push(format!(
                "{part}: {} created, {} updated",
                r.created.len(),
                r.updated.len()
            )),
            None => {}
        }
        report.warnings.extend(r.warnings);
        report.notes.extend(r.notes);
    }
    if let Some((port, metrics)) = ports.rpc {
        notes.push(format!(
            "{name}-rpc serves on 127.0.0.1:{port} (metrics {metrics})"
        ));
    }
    if let Some((port, metrics)) = ports.api {
        notes.push(format!(
            "{name}-api serves on :{port} (metrics {metrics}): POST /{name}/v1/items"
        ));
    }
    report.notes.extend(notes);
    Ok(report)
}

/// What `add` has written so far, to put back if a later step fails.
#[derive(Default)]
struct Written {
    created: Vec<PathBuf>,
    /// Each edited file with its text before.
    edited: Vec<(PathBuf, String)>,
    service_dir: Option<PathBuf>,
}

impl Written {
    /// Best effort: the error that led here is the one reported.
    fn undo(self, manifest: &Path) {
        for path in &self.created {
            let _ = std::fs::remove_file(path);
        }
        for (path, text) in &self.edited {
            let _ = writer::replace_file(path, text);
        }
        if let Some(dir) = &self.service_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        // The generated files of the other services, as they were.
        if !self.edited.is_empty() {
            let _ = gen_all(manifest);
        }
    }
}

/// The new crates' own files, written over the plain ones `gen` scaffolded
/// a moment ago: the API's service context holds the RPC client (or the
/// model), the RPC's holds the model, and each route answers for real.
fn wire(
    base: &Path,
    names: &Names,
    api: bool,
    rpc: bool,
    model: bool,
    opts: &AddOptions,
) -> Result<(), GenError> {
    let dir = base.join(names.name);
    let (name, snake, service, db) = (
        names.name,
        names.snake.as_str(),
        names.service.as_str(),
        names.db.as_str(),
    );
    let mut plan = FilePlan::default();
    let mut yaml = Vec::new();
    let db_section = || {
        let server = opts
            .stack
            .mysql
            .as_deref()
            .unwrap_or("mysql://root:pw@127.0.0.1:3306");
        let redis = opts
            .stack
            .redis
            .as_deref()
            .unwrap_or("redis://127.0.0.1:6379");
        format!(
            "# The {db} database and the cache; `looklook up` starts both.\nDB:\n  DataSource: ${{{var}_DB:-{server}/{db}}}\nCache:\n  Url: ${{REDIS_URL:-{redis}}}\n",
            var = name.to_shouty_snake_case(),
        )
    };
    if api {
        plan.add(
            "api/src/svc.rs",
            Owner::Scaffolded,
            render(&ApiSvc {
                name,
                snake,
                service,
                rpc,
                model,
            }),
        );
        plan.add(
            "api/src/config.rs",
            Owner::Scaffolded,
            render(&ApiConfig {
                name,
                snake,
                db,
                rpc,
                model,
            }),
        );
        plan.add(
            "api/src/logic/create_item.rs",
            Owner::Scaffolded,
            render(&ApiLogic {
                name,
                snake,
                rpc,
                model,
            }),
        );
        let section = if rpc {
            format!(
                "# Where {name}-rpc is: `looklook dev` sets {addr} from looklook.toml.\n{service}RpcConf:\n  Endpoints: [\"${{{addr}}}\"]\n  Key: ${{RPC_CALLER_KEY:-}}\n",
                addr = looklook_manifest::addr_var(&format!("{name}-rpc")),
            )
        } else if model {
            db_section()
        } else {
            String::new()
        };
        yaml.push((format!("api/etc/{name}.yaml"), section));
        add_dependency(
            &dir.join("api/Cargo.toml"),
            rpc.then(|| format!("{name}-rpc"))
                .or_else(|| model.then(|| format!("{name}-model"))),
        )?;
    }
    if rpc {
        plan.add(
            "rpc/src/svc.rs",
            Owner::Scaffolded,
            render(&RpcSvc { snake, model }),
        );
        plan.add(
            "rpc/src/config.rs",
            Owner::Scaffolded,
            render(&RpcConfig {
                name,
                snake,
                db,
                model,
            }),
        );
        plan.add(
            "rpc/src/logic/create_item.rs",
            Owner::Scaffolded,
            render(&RpcLogic {
                snake,
                package: snake,
                service,
                model,
            }),
        );
        let section = if model { db_section() } else { String::new() };
        yaml.push((format!("rpc/etc/{name}.yaml"), section));
        add_dependency(
            &dir.join("rpc/Cargo.toml"),
            model.then(|| format!("{name}-model")),
        )?;
    }
    // Unformatted is still correct code (and `cargo fmt` tidies it), so a
    // missing rustfmt is no failure.
    let _ = rustfmt::format_plan(&mut plan, |f| f.path.extension().is_some_and(|e| e == "rs"));
    for file in &plan.files {
        writer::replace_file(&dir.join(&file.path), &file.contents)?;
    }
    for (path, section) in yaml {
        let path = dir.join(path);
        let mut text = read(&path)?;
        text.push_str(&section);
        writer::replace_file(&path, &text)?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, GenError> {
    std::fs::read_to_string(path).map_err(|source| GenError::Path {
        path: path.to_path_buf(),
        source,
    })
}

fn edit_error(path: &Path, message: String) -> GenError {
    GenError::Edit {
        path: path.to_path_buf(),
        message,
    }
}

fn relative_to(base: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(base).unwrap_or(path).to_path_buf()
}

fn parse(text: &str) -> Result<DocumentMut, String> {
    text.parse::<DocumentMut>().map_err(|e| e.to_string())
}

/// looklook.toml with the new service's `[[service]]` and `[[process]]`
/// tables appended.
fn edit_manifest(
    text: &str,
    names: &Names,
    api: bool,
    rpc: bool,
    model: bool,
    ports: NewPorts,
) -> Result<String, String> {
    let name = names.name;
    let mut doc = parse(text)?;
    let mut service = Table::new();
    service.decor_mut().set_prefix(format!(
        "\n# Added by `looklook add service {name}`: its definitions, and its crates\n# under {name}/.\n"
    ));
    service.insert("name", value(name));
    service.insert("dir", value(name));
    if api {
        service.insert("api", value(format!("{name}.api")));
    }
    if rpc {
        service.insert("proto", value(format!("{name}.proto")));
    }
    if model {
        service.insert("sql", value(format!("{name}.sql")));
        service.insert("database", value(names.db.as_str()));
        service.insert("cache", value(true));
    }
    array_of_tables(&mut doc, "service")?.push(service);
    // `looklook demo` brings up what the project needs: a model needs the
    // stack's database and cache.
    if model
        && let Some(up) = doc
            .get_mut("demo")
            .and_then(Item::as_table_like_mut)
            .and_then(|demo| demo.get_mut("up"))
            .and_then(Item::as_array_mut)
    {
        for needed in ["mysql", "redis"] {
            if !up.iter().any(|v| v.as_str() == Some(needed)) {
                up.push(needed);
            }
        }
    }
    for (kind, ports) in [("rpc", ports.rpc), ("api", ports.api)] {
        let Some((port, metrics)) = ports else {
            continue;
        };
        let mut process = Table::new();
        process.decor_mut().set_prefix("\n");
        process.insert("name", value(format!("{name}-{kind}")));
        process.insert("package", value(format!("{name}-{kind}")));
        process.insert(
            "watch",
            value(Array::from_iter([format!("{name}/{kind}/etc")])),
        );
        process.insert("port", value(i64::from(port)));
        process.insert("metrics_port", value(i64::from(metrics)));
        array_of_tables(&mut doc, "process")?.push(process);
    }
    Ok(doc.to_string())
}

fn array_of_tables<'a>(
    doc: &'a mut DocumentMut,
    key: &str,
) -> Result<&'a mut ArrayOfTables, String> {
    doc.entry(key)
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| format!("`{key}` is not a list of [[{key}]] tables"))
}

/// The workspace's Cargo.toml with `members` grown by the new crates.
fn add_members(text: &str, members: &[String]) -> Result<String, String> {
    let mut doc = parse(text)?;
    let list = doc
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .ok_or("no [workspace] table")?
        .entry("members")
        .or_insert(value(Array::new()))
        .as_array_mut()
        .ok_or("`workspace.members` is not a list")?;
    for m in members {
        if !list.iter().any(|v| v.as_str() == Some(m)) {
            list.push(m.as_str());
        }
    }
    Ok(doc.to_string())
}

/// The stack file with a database for the new service in MySQL's init
/// steps; `None` when the stack has no MySQL.
fn add_database(text: &str, db: &str, sql: &str) -> Result<Option<String>, String> {
    let mut doc = parse(text)?;
    let Some(mysql) = doc
        .get_mut("services")
        .and_then(Item::as_table_like_mut)
        .and_then(|s| s.get_mut("mysql"))
        .and_then(Item::as_table_like_mut)
    else {
        return Ok(None);
    };
    let init = mysql
        .entry("init")
        .or_insert(value(Array::new()))
        .as_array_mut()
        .ok_or("`services.mysql.init` is not a list")?;
    let mut step = InlineTable::new();
    step.insert("database", db.into());
    step.insert("sql", Array::from_iter([sql]).into());
    init.push(step);
    Ok(Some(doc.to_string()))
}

/// A crate's Cargo.toml with a path dependency on a sibling crate.
fn add_dependency(cargo_toml: &Path, sibling: Option<String>) -> Result<(), GenError> {
    let Some(sibling) = sibling else {
        return Ok(());
    };
    let text = read(cargo_toml)?;
    let mut doc = parse(&text).map_err(|m| edit_error(cargo_toml, m))?;
    let kind = sibling.rsplit('-').next().unwrap_or_default();
    let mut dep = InlineTable::new();
    dep.insert("path", format!("../{kind}").into());
    let deps = doc
        .get_mut("dependencies")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| edit_error(cargo_toml, "no [dependencies] table".into()))?;
    deps.insert(&sibling, value(dep));
    deps.sort_values();
    writer::replace_file(cargo_toml, &doc.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_added_rpc_server_listens_on_its_manifest_port() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("catalog.proto");
        let proto = ProtoDef {
            name: "catalog",
            package: "catalog",
            service: "Catalog",
        };
        std::fs::write(&file, render(&proto)).unwrap();
        let proto = crate::proto::compile(&file, &[]).unwrap();
        let opts = crate::codegen::CrateOptions {
            runtime: crate::codegen::RuntimeDep::Path("../runtime".into()),
        };
        let plan = crate::codegen::rpc::generate(&proto, "catalog", &opts).unwrap();
        // `gen rpc` writes it so: a process of the manifest is told its
        // port as PORT, as the HTTP services are.
        let yaml = &plan.get("etc/catalog.yaml").unwrap().contents;
        assert!(
            yaml.contains("\nListenOn: 127.0.0.1:${PORT:-8080}\n"),
            "{yaml}"
        );
        assert!(!yaml.contains("${LISTEN_ON"), "{yaml}");
    }

    #[test]
    fn ports_are_the_first_free_ones_of_each_kind() {
        let taken = BTreeSet::from([8888, 9091, 9092, 3306]);
        let ports = choose_ports(&taken, true, true);
        assert_eq!(ports.rpc, Some((8080, 9093)));
        assert_eq!(ports.api, Some((8889, 9094)));
        let ports = choose_ports(&taken, false, true);
        assert_eq!((ports.api, ports.rpc), (None, Some((8080, 9093))));
    }

    fn names() -> Names<'static> {
        Names {
            name: "pet-shop",
            snake: "pet_shop".into(),
            service: "PetShop".into(),
            db: "mall_pet_shop".into(),
        }
    }

    #[test]
    fn the_manifest_keeps_its_comments_and_gains_the_service() {
        let text = "# my project\n[dev]\ndebounce_ms = 50 # quick\n\n[[service]]\nname = \"hello\"\ndir = \"hello\"\napi = \"hello.api\"\n\n[[process]]\nname = \"hello-api\"\npackage = \"hello-api\"\nport = 8888\n\n[demo]\nup = []\nwalk = { command = [\"true\"] }\n";
        let ports = NewPorts {
            api: Some((8889, 9092)),
            rpc: Some((8080, 9093)),
        };
        let edited = edit_manifest(text, &names(), true, true, true, ports).unwrap();
        assert!(
            edited.starts_with("# my project\n[dev]\ndebounce_ms = 50 # quick\n"),
            "{edited}"
        );
        let file = crate::apidsl::SourceFile::new("looklook.toml", edited.clone());
        let manifest = looklook_manifest::parse(&file).unwrap_or_else(|e| panic!("{e}\n{edited}"));
        let service = &manifest.services[1];
        assert_eq!(service.name.get_ref(), "pet-shop");
        assert_eq!(service.proto.as_deref(), Some("pet-shop.proto"));
        assert_eq!(service.database.as_deref(), Some("mall_pet_shop"));
        assert!(service.cache);
        // The demo now brings up the database and the cache the model needs.
        let up = manifest.demo.unwrap().up.unwrap();
        assert_eq!(up, ["mysql", "redis"]);
        let processes: Vec<_> = manifest
            .processes
            .iter()
            .map(|p| (p.name.get_ref().as_str(), p.port, p.metrics_port))
            .collect();
        assert_eq!(
            processes,
            [
                ("hello-api", Some(8888), None),
                ("pet-shop-rpc", Some(8080), Some(9093)),
                ("pet-shop-api", Some(8889), Some(9092)),
            ]
        );
    }

    #[test]
    fn the_workspace_and_the_stack_gain_the_crates_and_the_database() {
        let cargo = "[workspace]\nresolver = \"3\"\nmembers = [\"hello/api\"]\n";
        let edited = add_members(cargo, &["shop/api".into(), "shop/rpc".into()]).unwrap();
        assert!(
            edited.contains(r#"members = ["hello/api", "shop/api", "shop/rpc"]"#),
            "{edited}"
        );
        let stack = "project = \"p\"\n\n[services.mysql]\nimage = \"mysql:8.0\"\n# the databases\ninit = [{ database = \"p\", sql = [] }]\n";
        let edited = add_database(stack, "p_shop", "shop.sql").unwrap().unwrap();
        assert!(edited.contains("# the databases\n"), "{edited}");
        assert!(
            edited.contains(r#"{ database = "p_shop", sql = ["shop.sql"] }"#),
            "{edited}"
        );
        assert_eq!(
            add_database("project = \"p\"\n", "d", "s.sql").unwrap(),
            None
        );
    }
}
