//! What the generators of every crate kind share: rendering a template,
//! the module tree of a directory of files and its index files, the
//! scaffolded `svc.rs`, and function heads laid out as rustfmt would.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

/// A template's text, ending with a line break as every file does.
pub(super) fn render(t: &impl Template) -> String {
    // The templates are compiled in; rendering them only fails on a broken
    // `Display` impl, which plain strings do not have.
    let mut text = t.render().expect("rendering a compiled template");
    // askama drops the template's final line break; files end with one.
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The index file of module directory `dir` under `root`.
pub(super) fn mod_path(root: &str, dir: &[String]) -> String {
    if dir.is_empty() {
        format!("{root}/mod.rs")
    } else {
        format!("{root}/{}/mod.rs", dir.join("/"))
    }
}

/// Which modules each directory declares: `[] → {admin, login}`, `[admin] → {user}`.
#[derive(Default)]
pub(super) struct ModTree(pub(super) BTreeMap<Vec<String>, BTreeSet<String>>);

impl ModTree {
    pub(super) fn insert(&mut self, dir: &[String], leaf: &str) {
        for i in 0..dir.len() {
            self.0
                .entry(dir[..i].to_vec())
                .or_default()
                .insert(dir[i].clone());
        }
        self.0
            .entry(dir.to_vec())
            .or_default()
            .insert(leaf.to_string());
    }
}

#[derive(Template)]
#[template(path = "api/svc.rs.askama", escape = "none")]
/// The scaffolded `svc.rs`: the state every handler or method shares.
pub(super) struct SvcRs<'a> {
    pub(super) header: &'a str,
}

#[derive(Template)]
#[template(path = "mod_index.rs.askama", escape = "none")]
/// A scaffolded `mod.rs`/`lib.rs` that declares its modules.
pub(super) struct ModIndex<'a> {
    pub(super) header: &'a str,
    pub(super) doc: &'a str,
    pub(super) mods: Vec<String>,
}

/// A function head in rustfmt's layout: on one line when it fits in 100
/// columns, else one parameter a line. Scaffolded files are not run through
/// rustfmt, so they must come out this way.
pub(super) fn layout_fn(head: &str, params: &[String], ret: &str) -> String {
    let one_line = format!("{head}({}) -> {ret} {{", params.join(", "));
    if one_line.len() <= 100 {
        return one_line;
    }
    let mut s = format!("{head}(\n");
    for p in params {
        s.push_str(&format!("    {p},\n"));
    }
    s.push_str(&format!(") -> {ret} {{"));
    s
}
