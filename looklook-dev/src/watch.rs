//! Watching the workspace's sources with notify, debounced, skipping the
//! target directory, `.git`, what `.gitignore` ignores and editors' scratch
//! files.
//!
//! Each source directory gets its own (non-recursive) watch instead of one
//! recursive watch on the workspace: a recursive watch would also cover
//! `target/`, thousands of directories that change on every build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ignore::gitignore::Gitignore;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
};

use super::graph::Graph;

pub struct Watch {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    target_dir: PathBuf,
    ignores: Vec<Gitignore>,
    watched: BTreeSet<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    pub path: PathBuf,
    pub source: notify::Error,
}

impl Watch {
    /// Watch the crates of `graph` and the `extra` paths; each debounced
    /// batch of events goes to `handler`.
    pub fn start(
        graph: &Graph,
        extra: &[PathBuf],
        debounce: Duration,
        handler: impl FnMut(DebounceEventResult) + Send + 'static,
    ) -> Result<Watch, WatchError> {
        let debouncer = new_debouncer(debounce, None, handler).map_err(|source| WatchError {
            path: graph.root.clone(),
            source,
        })?;
        let mut watch = Watch {
            debouncer,
            target_dir: graph.target_dir.clone(),
            ignores: Vec::new(),
            watched: BTreeSet::new(),
        };
        // The root only for its Cargo.toml and Cargo.lock; its .gitignore
        // applies to everything below.
        watch.add(&graph.root, RecursiveMode::NonRecursive)?;
        watch.add_gitignore(&graph.root);
        for root in graph.watch_roots() {
            watch.add_tree(&root)?;
        }
        for path in extra {
            match path.is_dir() {
                true => watch.add_tree(path)?,
                // A file's directory, so the watch survives editors that
                // save by replacing the file.
                false => match path.parent() {
                    Some(dir) if dir.is_dir() => watch.add(dir, RecursiveMode::NonRecursive)?,
                    _ => {}
                },
            }
        }
        Ok(watch)
    }

    /// Watch crates that are new in `graph`.
    pub fn add_roots(&mut self, graph: &Graph) -> Result<(), WatchError> {
        for root in graph.watch_roots() {
            if !self.watched.contains(&root) {
                self.add_tree(&root)?;
            }
        }
        Ok(())
    }

    /// How many directories are watched.
    pub fn len(&self) -> usize {
        self.watched.len()
    }

    pub fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    fn add(&mut self, dir: &Path, mode: RecursiveMode) -> Result<(), WatchError> {
        if self.watched.insert(dir.to_path_buf()) {
            self.debouncer
                .watch(dir, mode)
                .map_err(|source| WatchError {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Watch a directory and every directory below it that is not ignored.
    fn add_tree(&mut self, root: &Path) -> Result<(), WatchError> {
        let target = self.target_dir.clone();
        let walk = ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(false)
            .git_global(false)
            .require_git(false)
            .filter_entry(move |e| e.path() != target)
            .build();
        for entry in walk.flatten() {
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                self.add_gitignore(entry.path());
                self.add(entry.path(), RecursiveMode::NonRecursive)?;
            }
        }
        Ok(())
    }

    fn add_gitignore(&mut self, dir: &Path) {
        let file = dir.join(".gitignore");
        if file.is_file() && !self.ignores.iter().any(|gi| gi.path() == dir) {
            self.ignores.push(Gitignore::new(&file).0);
        }
    }

    /// The changed source files of a batch, in order and without repeats.
    /// New directories get watched on the way.
    pub fn changed(&mut self, events: &[DebouncedEvent]) -> Result<Vec<PathBuf>, WatchError> {
        let mut paths = BTreeSet::new();
        for event in events {
            if !matches!(
                event.event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) {
                continue;
            }
            for path in &event.event.paths {
                if self.ignored(path) {
                    continue;
                }
                if path.is_dir() {
                    if matches!(event.event.kind, EventKind::Create(_)) {
                        self.add_tree(path)?;
                    }
                    continue;
                }
                paths.insert(path.clone());
            }
        }
        Ok(paths.into_iter().collect())
    }

    fn ignored(&self, path: &Path) -> bool {
        if path.starts_with(&self.target_dir) || scratch(path) {
            return true;
        }
        let is_dir = path.is_dir();
        self.ignores.iter().any(|gi| {
            path.starts_with(gi.path()) && gi.matched_path_or_any_parents(path, is_dir).is_ignore()
        })
    }
}

/// Hidden files and editors' temporary files: vim's swap files and its
/// `4913` write test, backup files ending in `~`, `.git`.
fn scratch(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == ".git")
        || path.file_name().and_then(|n| n.to_str()).is_none_or(|n| {
            n.starts_with('.')
                || n.ends_with('~')
                || n.ends_with(".swp")
                || n.ends_with(".swx")
                || n == "4913"
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_files_are_not_sources() {
        for path in [
            "/ws/a/src/.main.rs.swp",
            "/ws/a/src/main.rs~",
            "/ws/a/src/4913",
            "/ws/.git/index",
            "/ws/a/.hidden",
        ] {
            assert!(scratch(Path::new(path)), "{path}");
        }
        for path in ["/ws/a/src/main.rs", "/ws/a/Cargo.toml", "/ws/etc/a.yaml"] {
            assert!(!scratch(Path::new(path)), "{path}");
        }
    }
}
