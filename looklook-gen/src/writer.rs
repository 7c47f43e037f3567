//! Applying a [`FilePlan`] to an output directory, keeping the ownership
//! contract:
//!
//! - generated files are rewritten (unless the user removed their header,
//!   which makes them the user's);
//! - scaffolded files are created once and never touched again; if the code
//!   that calls them changed shape, the report says so;
//! - module files get the `pub mod` lines they lack, edited with `syn`;
//! - nothing is written unless everything could be prepared, and the files
//!   are moved into place from a temporary directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use quote::ToTokens;

use crate::codegen::{
    FilePlan, GENERATED_HEADER, GENERATED_HEADER_HASH, Owner, PlannedFile, Signature,
};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// What a run did, file by file.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// New files.
    pub created: Vec<PathBuf>,
    /// Generated files whose contents changed.
    pub updated: Vec<PathBuf>,
    /// Module files that received new `pub mod` lines.
    pub modules_extended: Vec<PathBuf>,
    /// Files already as they should be, or the user's to keep.
    pub unchanged: Vec<PathBuf>,
    /// Things the user should look at.
    pub attention: Vec<Attention>,
    /// Remarks about the run as a whole.
    pub notes: Vec<String>,
    /// What the definitions say that may not be what the user meant;
    /// nothing stopped for them.
    pub warnings: Vec<looklook_diagnostics::Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (word, paths) in [
            ("created", &self.created),
            ("updated", &self.updated),
            ("extended", &self.modules_extended),
        ] {
            for p in paths {
                writeln!(f, "{word:>9} {}", p.display())?;
            }
        }
        for a in &self.attention {
            writeln!(f, "attention {}: {}", a.path.display(), a.message)?;
        }
        for n in &self.notes {
            writeln!(f, "     note {n}")?;
        }
        writeln!(
            f,
            "Done: {} created, {} updated, {} extended, {} unchanged.",
            self.created.len(),
            self.updated.len(),
            self.modules_extended.len(),
            self.unchanged.len()
        )
    }
}

/// Decide what every file needs, then write them all or none.
/// Replace the file at `path` with `contents` all at once: written beside
/// it, then renamed over it, so a crash or a full disk leaves the old file
/// whole, never half of the new one.
pub fn replace_file(path: &Path, contents: &str) -> Result<(), WriteError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let werr = |source| WriteError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(werr)?;
    io::Write::write_all(&mut tmp, contents.as_bytes()).map_err(werr)?;
    tmp.as_file().sync_all().map_err(werr)?;
    if let Ok(meta) = fs::metadata(path) {
        fs::set_permissions(tmp.path(), meta.permissions()).map_err(werr)?;
    }
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
}

pub fn apply(plan: &FilePlan, out_dir: &Path) -> Result<Report, WriteError> {
    let mut report = Report::default();
    let mut writes: Vec<(PathBuf, String)> = Vec::new();
    for file in &plan.files {
        let target = out_dir.join(&file.path);
        let existing = match fs::read_to_string(&target) {
            Ok(s) => Some(s),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(WriteError::Read {
                    path: target,
                    source,
                });
            }
        };
        match decide(file, existing.as_deref(), &mut report) {
            Some(contents) => writes.push((file.path.clone(), contents)),
            None => report.unchanged.push(file.path.clone()),
        }
    }
    commit(out_dir, &writes)?;
    Ok(report)
}

/// The header that marks `path` as looklook's: a Rust comment, or a `#`
/// comment in the TOML and YAML files looklook owns.
fn generated_header(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs" | "ts") => GENERATED_HEADER,
        _ => GENERATED_HEADER_HASH,
    }
}

/// Whether `existing` still carries looklook's mark. JSON has no comments:
/// a generated JSON document says so in its `x-generated-by` field, the
/// first of the object.
fn is_generated(path: &Path, existing: &str) -> bool {
    if path.extension().is_some_and(|e| e == "json") {
        let mark = format!(
            "\"x-generated-by\": \"{}\",",
            crate::codegen::openapi::JSON_MARK
        );
        return existing.lines().nth(1).map(str::trim) == Some(mark.as_str());
    }
    existing.lines().next() == Some(generated_header(path))
}

/// The new contents of one file, or `None` to leave it.
fn decide(file: &PlannedFile, existing: Option<&str>, report: &mut Report) -> Option<String> {
    let Some(existing) = existing else {
        report.created.push(file.path.clone());
        return Some(file.contents.clone());
    };
    match &file.owner {
        Owner::Generated if existing == file.contents => None,
        Owner::Generated if !is_generated(&file.path, existing) => {
            report.attention.push(Attention {
                path: file.path.clone(),
                message: "has no `DO NOT EDIT` header, so it is yours now and was left alone; delete it to have it generated again".into(),
            });
            None
        }
        Owner::Generated => {
            report.updated.push(file.path.clone());
            Some(file.contents.clone())
        }
        Owner::Scaffolded => {
            if let Some(sig) = &file.signature
                && let Some(problem) = signature_problem(existing, sig)
            {
                report.attention.push(Attention {
                    path: file.path.clone(),
                    message: problem,
                });
            }
            None
        }
        Owner::ModIndex { mods } => match add_mods(existing, mods) {
            Ok(None) => None,
            Ok(Some(text)) => {
                report.modules_extended.push(file.path.clone());
                Some(text)
            }
            Err(e) => {
                report.attention.push(Attention {
                    path: file.path.clone(),
                    message: format!(
                        "does not parse ({e}); add `pub mod {};` yourself",
                        mods.join(";`, `pub mod ")
                    ),
                });
                None
            }
        },
    }
}

/// Add the `pub mod` lines a module file lacks, after its last `mod` item,
/// leaving every other byte as the user wrote it.
fn add_mods(existing: &str, mods: &[String]) -> Result<Option<String>, syn::Error> {
    let file = syn::parse_file(existing)?;
    let declared: Vec<&syn::ItemMod> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m),
            _ => None,
        })
        .collect();
    let missing: Vec<&String> = mods
        .iter()
        .filter(|m| !declared.iter().any(|d| d.ident == m))
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    // As the file declares its own: `pub mod` in a library's module files,
    // `mod` in a binary's main.rs.
    let private = !declared.is_empty()
        && declared
            .iter()
            .all(|m| matches!(m.vis, syn::Visibility::Inherited));
    let keyword = if private { "mod" } else { "pub mod" };
    let last_mod_line = declared
        .iter()
        .map(|m| syn::spanned::Spanned::span(m).end().line)
        .max();
    let lines: Vec<&str> = existing.lines().collect();
    let at = last_mod_line.unwrap_or(lines.len()).min(lines.len());
    let mut out: Vec<String> = lines[..at].iter().map(|s| s.to_string()).collect();
    out.extend(missing.iter().map(|m| format!("{keyword} {m};")));
    out.extend(lines[at..].iter().map(|s| s.to_string()));
    let mut text = out.join("\n");
    text.push('\n');
    Ok(Some(text))
}

/// Why a user-owned function no longer fits the generated code that calls it.
fn signature_problem(existing: &str, sig: &Signature) -> Option<String> {
    let expected = format!(
        "fn {}({}) -> {}",
        sig.function,
        sig.inputs.join(", "),
        sig.output
    );
    let file = match syn::parse_file(existing) {
        Ok(f) => f,
        Err(e) => {
            return Some(format!(
                "does not parse ({e}); it should define `{expected}`"
            ));
        }
    };
    let found = file.items.iter().find_map(|i| match i {
        syn::Item::Fn(f) if f.sig.ident == sig.function => Some(&f.sig),
        _ => None,
    });
    let Some(found) = found else {
        return Some(format!(
            "no longer defines `{}`; the handler calls `{expected}`",
            sig.function
        ));
    };
    let norm = |s: &str| s.split_whitespace().collect::<String>();
    let inputs: Vec<String> = found
        .inputs
        .iter()
        .map(|a| match a {
            syn::FnArg::Typed(t) => t.ty.to_token_stream().to_string(),
            syn::FnArg::Receiver(r) => r.to_token_stream().to_string(),
        })
        .collect();
    let output = match &found.output {
        syn::ReturnType::Default => "()".to_string(),
        syn::ReturnType::Type(_, t) => t.to_token_stream().to_string(),
    };
    let same = inputs.len() == sig.inputs.len()
        && inputs
            .iter()
            .zip(&sig.inputs)
            .all(|(a, b)| norm(a) == norm(b))
        && norm(&output) == norm(&sig.output);
    (!same).then(|| format!("the API changed: update the signature to `{expected}`"))
}

/// Stage every file in a temporary directory inside `out_dir`, then move
/// each into place; if a move fails, put back what was there.
fn commit(out_dir: &Path, writes: &[(PathBuf, String)]) -> Result<(), WriteError> {
    if writes.is_empty() {
        return Ok(());
    }
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Write { path, source }
    };
    fs::create_dir_all(out_dir).map_err(werr(out_dir))?;
    let staging = tempfile::Builder::new()
        .prefix(".looklook-staging-")
        .tempdir_in(out_dir)
        .map_err(werr(out_dir))?;
    for (i, (_, contents)) in writes.iter().enumerate() {
        let p = staging.path().join(format!("new-{i}"));
        fs::write(&p, contents).map_err(werr(&p))?;
    }
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for (i, (rel, _)) in writes.iter().enumerate() {
        let target = out_dir.join(rel);
        let result = (|| {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            let backup = if target.exists() {
                let b = staging.path().join(format!("old-{i}"));
                fs::rename(&target, &b)?;
                Some(b)
            } else {
                None
            };
            done.push((target.clone(), backup));
            fs::rename(staging.path().join(format!("new-{i}")), &target)
        })();
        if let Err(source) = result {
            for (t, backup) in done.into_iter().rev() {
                let _ = fs::remove_file(&t);
                if let Some(b) = backup {
                    let _ = fs::rename(b, &t);
                }
            }
            return Err(WriteError::Write {
                path: target,
                source,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_lines_are_added_after_the_last_mod() {
        let src = "//! docs\n\npub mod a; // mine\nmod b;\n\nfn helper() {}\n";
        let out = add_mods(src, &["a".into(), "c".into()]).unwrap().unwrap();
        assert_eq!(
            out,
            "//! docs\n\npub mod a; // mine\nmod b;\npub mod c;\n\nfn helper() {}\n"
        );
        assert_eq!(add_mods(&out, &["c".into()]).unwrap(), None);
        // A binary's main.rs declares its modules private: so is the new one.
        let main = "mod config;\nmod routes;\n\nfn main() {}\n";
        let out = add_mods(main, &["middleware".into()]).unwrap().unwrap();
        assert_eq!(
            out,
            "mod config;\nmod routes;\nmod middleware;\n\nfn main() {}\n"
        );
    }

    #[test]
    fn changed_signatures_are_reported() {
        let sig = Signature {
            function: "login".into(),
            inputs: vec!["&ServiceContext".into(), "LoginReq".into()],
            output: "Result<LoginResp>".into(),
        };
        let ok = "pub async fn login(svc: &ServiceContext, req: LoginReq) -> Result<LoginResp> { todo!() }";
        assert_eq!(signature_problem(ok, &sig), None);
        let old = "pub async fn login(svc: &ServiceContext, req: OldReq) -> Result<LoginResp> { todo!() }";
        assert!(signature_problem(old, &sig).unwrap().contains("LoginReq"));
        assert!(
            signature_problem("fn other() {}", &sig)
                .unwrap()
                .contains("no longer defines")
        );
    }

    #[test]
    fn a_failed_move_puts_everything_back() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.rs"), "old\n").unwrap();
        // `sub` is a file, so `sub/b.rs` cannot be created after `a.rs` moved.
        fs::write(dir.path().join("sub"), "").unwrap();
        let writes = vec![
            (PathBuf::from("a.rs"), "new\n".to_string()),
            (PathBuf::from("sub/b.rs"), "new\n".to_string()),
        ];
        let err = commit(dir.path(), &writes).unwrap_err();
        assert!(err.to_string().contains("sub/b.rs"), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join("a.rs")).unwrap(),
            "old\n"
        );
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a.rs", "sub"], "no staging directory is left behind");
    }

    #[test]
    fn a_replaced_file_is_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.api");
        fs::write(&file, "old\n").unwrap();
        replace_file(&file, "new\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.api"]);
        // A directory that cannot take the new file: the old one is intact.
        let missing = dir.path().join("nope/a.api");
        assert!(replace_file(&missing, "x").is_err());
    }
}
