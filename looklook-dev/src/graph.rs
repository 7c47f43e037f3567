//! The cargo workspace as the dev loop needs it: which local crate owns a
//! changed file, and which binaries depend on that crate, directly or not.
//! An edit in a shared crate restarts every process built from it, and
//! nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cargo_metadata::{DependencyKind, MetadataCommand, TargetKind};

/// The local crates of a workspace (members and path dependencies) and the
/// dependencies between them.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub packages: Vec<LocalPackage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPackage {
    pub name: String,
    /// The directory of its `Cargo.toml`.
    pub dir: PathBuf,
    pub bins: Vec<String>,
    /// Indexes (into [`Graph::packages`]) of the local crates it builds
    /// with: normal and build dependencies; dev-dependencies never reach a
    /// binary.
    pub deps: Vec<usize>,
}

#[derive(Debug, thiserror::Error)]
#[error("`cargo metadata` failed in {dir}: {message}")]
pub struct GraphError {
    pub dir: PathBuf,
    pub message: String,
}

/// The target triple `rustc` builds for by default (`host:` of `rustc -vV`).
fn host_triple() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = std::process::Command::new(rustc).arg("-vV").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_string())
}

impl Graph {
    /// Ask cargo about the workspace whose `Cargo.toml` is in or above `dir`.
    pub fn load(dir: &Path) -> Result<Graph, GraphError> {
        let mut command = MetadataCommand::new();
        command.current_dir(dir);
        // Only what builds for this machine: without the filter cargo
        // fetches every platform's crates (wasm, windows) just to describe
        // them, and fails offline.
        if let Some(host) = host_triple() {
            command.other_options(vec!["--filter-platform".to_string(), host]);
        }
        let metadata = command.exec().map_err(|e| GraphError {
            dir: dir.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        let local: Vec<&cargo_metadata::Package> = metadata
            .packages
            .iter()
            .filter(|p| p.source.is_none())
            .collect();
        let index: BTreeMap<&cargo_metadata::PackageId, usize> =
            local.iter().enumerate().map(|(i, p)| (&p.id, i)).collect();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); local.len()];
        for node in metadata.resolve.iter().flat_map(|r| &r.nodes) {
            let Some(&from) = index.get(&node.id) else {
                continue;
            };
            for dep in &node.deps {
                let builds_with = dep
                    .dep_kinds
                    .iter()
                    .any(|k| k.kind != DependencyKind::Development);
                if let (true, Some(&to)) = (builds_with, index.get(&dep.pkg)) {
                    deps[from].push(to);
                }
            }
        }
        let packages = local
            .iter()
            .zip(deps)
            .map(|(p, deps)| LocalPackage {
                name: p.name.to_string(),
                dir: p
                    .manifest_path
                    .parent()
                    .map(|d| d.as_std_path().to_path_buf())
                    .unwrap_or_default(),
                bins: p
                    .targets
                    .iter()
                    .filter(|t| t.is_kind(TargetKind::Bin))
                    .map(|t| t.name.clone())
                    .collect(),
                deps,
            })
            .collect();
        Ok(Graph {
            root: metadata.workspace_root.into_std_path_buf(),
            target_dir: metadata.target_directory.into_std_path_buf(),
            packages,
        })
    }

    pub fn package(&self, name: &str) -> Option<usize> {
        self.packages.iter().position(|p| p.name == name)
    }

    /// The crate a file belongs to: the one with the deepest directory
    /// holding it. Files under the target directory belong to none.
    pub fn owner(&self, path: &Path) -> Option<usize> {
        if path.starts_with(&self.target_dir) {
            return None;
        }
        self.packages
            .iter()
            .enumerate()
            .filter(|(_, p)| path.starts_with(&p.dir))
            .max_by_key(|(_, p)| p.dir.components().count())
            .map(|(i, _)| i)
    }

    /// A crate and every local crate it builds with, transitively.
    pub fn closure(&self, package: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![package];
        while let Some(p) = todo.pop() {
            if seen.insert(p) {
                todo.extend(&self.packages[p].deps);
            }
        }
        seen
    }

    /// The directories to watch, with everything below them: every local
    /// crate's, without those inside another. (The workspace root itself is
    /// watched for its own `Cargo.toml` and `Cargo.lock` only.)
    pub fn watch_roots(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<&PathBuf> = self.packages.iter().map(|p| &p.dir).collect();
        dirs.sort();
        let mut roots: Vec<PathBuf> = Vec::new();
        for dir in dirs {
            if !roots.iter().any(|r| dir.starts_with(r)) {
                roots.push(dir.clone());
            }
        }
        roots
    }
}

/// What a process is built from and watches, for working out what a
/// change affects.
#[derive(Debug, Clone)]
pub struct Watched {
    pub name: String,
    pub package: usize,
    /// Extra files or directories (absolute) whose changes restart it.
    pub extra: Vec<PathBuf>,
}

/// The processes a set of changed files affects, in name order. A change to
/// the workspace's own `Cargo.toml` or to `Cargo.lock` affects them all.
pub fn affected(graph: &Graph, processes: &[Watched], changed: &[PathBuf]) -> Vec<String> {
    let whole = changed.iter().any(|path| {
        path.file_name().is_some_and(|n| n == "Cargo.lock")
            || (path.parent() == Some(graph.root.as_path())
                && path.file_name().is_some_and(|n| n == "Cargo.toml")
                && graph.owner(path).is_none())
    });
    let owners: BTreeSet<usize> = changed.iter().filter_map(|p| graph.owner(p)).collect();
    let mut names: Vec<String> = processes
        .iter()
        .filter(|process| {
            whole
                || !graph.closure(process.package).is_disjoint(&owners)
                || changed
                    .iter()
                    .any(|path| process.extra.iter().any(|e| path.starts_with(e)))
        })
        .map(|p| p.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/ws` with a virtual manifest: `shared` (lib), `api` and `worker`
    /// (bins using shared), `tools` (bin, standalone), and `testkit`, only a
    /// dev-dependency of `api` (so not in its closure).
    fn graph() -> Graph {
        let pkg = |name: &str, deps: Vec<usize>| LocalPackage {
            name: name.into(),
            dir: PathBuf::from(format!("/ws/{name}")),
            bins: vec![name.into()],
            deps,
        };
        Graph {
            root: "/ws".into(),
            target_dir: "/ws/target".into(),
            packages: vec![
                pkg("shared", vec![]),
                pkg("api", vec![0]),
                pkg("worker", vec![0]),
                pkg("tools", vec![]),
                pkg("testkit", vec![]),
            ],
        }
    }

    fn processes() -> Vec<Watched> {
        vec![
            Watched {
                name: "api".into(),
                package: 1,
                extra: vec!["/ws/etc/api.yaml".into()],
            },
            Watched {
                name: "worker".into(),
                package: 2,
                extra: vec![],
            },
            Watched {
                name: "tools".into(),
                package: 3,
                extra: vec![],
            },
        ]
    }

    fn changed(paths: &[&str]) -> Vec<String> {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        affected(&graph(), &processes(), &paths)
    }

    #[test]
    fn an_edit_restarts_exactly_the_processes_built_from_it() {
        assert_eq!(changed(&["/ws/shared/src/lib.rs"]), ["api", "worker"]);
        assert_eq!(changed(&["/ws/api/src/main.rs"]), ["api"]);
        assert_eq!(changed(&["/ws/tools/src/main.rs"]), ["tools"]);
        assert_eq!(
            changed(&["/ws/api/src/main.rs", "/ws/tools/Cargo.toml"]),
            ["api", "tools"]
        );
        assert!(changed(&["/ws/testkit/src/lib.rs"]).is_empty());
    }

    #[test]
    fn extra_watch_paths_and_workspace_files() {
        assert_eq!(changed(&["/ws/etc/api.yaml"]), ["api"]);
        assert!(changed(&["/ws/README.md", "/ws/target/debug/api"]).is_empty());
        assert_eq!(changed(&["/ws/Cargo.lock"]), ["api", "tools", "worker"]);
        assert_eq!(changed(&["/ws/Cargo.toml"]), ["api", "tools", "worker"]);
    }

    #[test]
    fn nested_crates_belong_to_the_deepest_directory() {
        let mut g = graph();
        g.packages.push(LocalPackage {
            name: "inner".into(),
            dir: "/ws/shared/inner".into(),
            bins: vec![],
            deps: vec![],
        });
        assert_eq!(g.owner(Path::new("/ws/shared/inner/src/lib.rs")), Some(5));
        assert_eq!(g.owner(Path::new("/ws/shared/src/lib.rs")), Some(0));
        assert_eq!(g.owner(Path::new("/ws/target/x.rs")), None);
        assert_eq!(
            g.watch_roots(),
            [
                "/ws/api",
                "/ws/shared",
                "/ws/testkit",
                "/ws/tools",
                "/ws/worker"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn closure_follows_dependencies_transitively() {
        let mut g = graph();
        g.packages[0].deps.push(3);
        assert_eq!(g.closure(1), BTreeSet::from([0, 1, 3]));
    }
}
