//! Loading (imports) and semantic checks: from parsed files to a [`Spec`].
//!
//! Every check reports with the file, line and column of the offending
//! text, and checking goes on after an error so one run shows them all.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::ast::{self, ApiFile, FieldKind, StructBody, TypeExpr, TypeKind};
use super::parser::{GO_KEYWORDS, parse};
use super::spec::*;
use crate::naming::{snake_case, strip_handler_suffix};
use looklook_diagnostics::{Diagnostic, Diagnostics, SourceFile, Span};

/// A parsed file together with its source.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub source: SourceFile,
    pub tree: ApiFile,
}

/// Read `path` and every file it imports, parse them all, and report every
/// syntax error in any of them. `read` does the file I/O.
pub fn load(
    path: &Path,
    read: &dyn Fn(&Path) -> io::Result<String>,
) -> Result<Vec<Parsed>, Diagnostics> {
    let text = read(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::file(
            path,
            format!("cannot read the file: {e}"),
        )])
    })?;
    let mut loader = Loader {
        read,
        out: Vec::new(),
        errors: Vec::new(),
        seen: HashSet::new(),
        stack: Vec::new(),
    };
    let main = normalize(path);
    loader.seen.insert(main.clone());
    loader.visit(SourceFile::new(main, text));
    if loader.errors.is_empty() {
        Ok(loader.out)
    } else {
        Err(Diagnostics(loader.errors).sorted())
    }
}

struct Loader<'r> {
    read: &'r dyn Fn(&Path) -> io::Result<String>,
    out: Vec<Parsed>,
    errors: Vec<Diagnostic>,
    seen: HashSet<PathBuf>,
    stack: Vec<PathBuf>,
}

impl Loader<'_> {
    fn visit(&mut self, source: SourceFile) {
        let (tree, errors) = parse(&source);
        self.errors.extend(errors);
        self.stack.push(source.path.clone());
        let dir = source.path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut written = HashSet::new();
        let imports: Vec<_> = tree.imports.iter().map(|i| i.path.clone()).collect();
        self.out.push(Parsed {
            source: source.clone(),
            tree,
        });
        for import in imports {
            if !written.insert(import.value.clone()) {
                self.errors.push(
                    source.error(import.span, format!("`{}` is imported twice", import.value)),
                );
                continue;
            }
            let target = normalize(&dir.join(&import.value));
            if let Some(at) = self.stack.iter().position(|p| *p == target) {
                let chain: Vec<_> = self.stack[at..]
                    .iter()
                    .chain(std::iter::once(&target))
                    .map(|p| p.display().to_string())
                    .collect();
                self.errors.push(
                    source
                        .error(import.span, "import cycle")
                        .with_help(format!("the chain is {}", chain.join(" → "))),
                );
                continue;
            }
            // Diamond imports: a file already loaded is loaded once.
            if !self.seen.insert(target.clone()) {
                continue;
            }
            match (self.read)(&target) {
                Ok(text) => self.visit(SourceFile::new(target, text)),
                Err(e) => self.errors.push(source.error(
                    import.span,
                    format!("cannot read imported file `{}`: {e}", target.display()),
                )),
            }
        }
        self.stack.pop();
    }
}

/// Resolve `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Check the loaded files (the first is the main one) and build the model.
pub fn check(files: &[Parsed]) -> Result<Spec, Diagnostics> {
    let mut c = Checker {
        files,
        errors: Vec::new(),
        declared: HashMap::new(),
        types: Vec::new(),
    };
    let spec = c.run();
    if c.errors.is_empty() {
        Ok(spec)
    } else {
        Err(Diagnostics(c.errors).sorted())
    }
}

struct Checker<'a> {
    files: &'a [Parsed],
    errors: Vec<Diagnostic>,
    /// Declared type name → (file index, span of its name).
    declared: HashMap<String, (usize, Span)>,
    types: Vec<TypeDef>,
}

const BUILTINS: [&str; 17] = [
    "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32",
    "uint64", "float32", "float64", "string", "byte", "rune", "any",
];

impl<'a> Checker<'a> {
    fn err(&mut self, file: usize, span: Span, msg: impl Into<String>) {
        let d = self.files[file].source.error(span, msg);
        self.errors.push(d);
    }

    fn err_help(
        &mut self,
        file: usize,
        span: Span,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = self.files[file].source.error(span, msg).with_help(help);
        self.errors.push(d);
    }

    fn at(&self, file: usize, span: Span) -> String {
        let f = &self.files[file].source;
        let (line, col) = f.line_col(span.start);
        format!("{}:{line}:{col}", f.path.display())
    }

    fn run(&mut self) -> Spec {
        let files = self.files;
        for (fi, f) in files.iter().enumerate() {
            if let Some(s) = &f.tree.syntax
                && s.version.value != "v1"
            {
                self.err_help(
                    fi,
                    s.version.span,
                    format!("unsupported syntax version \"{}\"", s.version.value),
                    "looklook reads the \"v1\" API language: write `syntax = \"v1\"`",
                );
            }
        }

        // Declarations first, so references can be resolved in any order.
        for (fi, f) in files.iter().enumerate() {
            for decl in &f.tree.types {
                let name = &decl.name;
                if BUILTINS.contains(&name.value.as_str()) {
                    self.err(
                        fi,
                        name.span,
                        format!(
                            "`{}` is a builtin type and cannot be redeclared",
                            name.value
                        ),
                    );
                    continue;
                }
                if let Some(&(pf, ps)) = self.declared.get(&name.value) {
                    let first = self.at(pf, ps);
                    self.err_help(
                        fi,
                        name.span,
                        format!("duplicate type `{}`", name.value),
                        format!("it is first declared at {first}"),
                    );
                    continue;
                }
                self.declared.insert(name.value.clone(), (fi, name.span));
            }
        }
        for (fi, f) in files.iter().enumerate() {
            for decl in &f.tree.types {
                // Only the declaration that was registered (not a duplicate).
                if self.declared.get(&decl.name.value) != Some(&(fi, decl.name.span)) {
                    continue;
                }
                match &decl.ty.kind {
                    TypeKind::Struct(body) => {
                        let fields = self.fields(&decl.name.value, body, fi);
                        self.types.push(TypeDef {
                            name: decl.name.value.clone(),
                            doc: doc_lines(&decl.comments),
                            fields,
                        });
                    }
                    _ => self.err_help(
                        fi,
                        decl.ty.span,
                        format!(
                            "type `{}` must be a struct, found `{}`",
                            decl.name.value,
                            decl.ty.text()
                        ),
                        "declare it as `type Name { Field Type }`",
                    ),
                }
            }
        }
        self.types.sort_by(|a, b| a.name.cmp(&b.name));
        self.check_recursion();

        let (name, groups) = self.services();
        let info = files[0]
            .tree
            .info
            .iter()
            .flat_map(|i| &i.pairs)
            .map(|kv| {
                let v = &kv.raw.value;
                let v = v
                    .strip_prefix(['"', '`'])
                    .and_then(|v| v.strip_suffix(['"', '`']))
                    .unwrap_or(v);
                (kv.key.value.clone(), v.to_string())
            })
            .collect();
        Spec {
            name,
            info,
            types: std::mem::take(&mut self.types),
            groups,
        }
    }

    // ---- types ------------------------------------------------------------

    fn fields(&mut self, owner: &str, body: &StructBody, fi: usize) -> Vec<FieldDef> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for field in &body.fields {
            let tags = match &field.tag {
                Some(tag) => match parse_tags(&tag.value) {
                    Ok(t) => t,
                    Err(msg) => {
                        self.err_help(
                            fi,
                            tag.span,
                            format!("malformed tag: {msg}"),
                            "tags look like `json:\"name,optional\" form:\"name\"`",
                        );
                        continue;
                    }
                },
                None => Vec::new(),
            };
            let doc = doc_lines(&field.comments);
            match &field.kind {
                FieldKind::Embedded { name, pointer } => {
                    if !self.declared.contains_key(&name.value) {
                        self.unresolved(fi, name.span, &name.value);
                        continue;
                    }
                    let mut ty = Ty::Named(name.value.clone());
                    if *pointer {
                        ty = Ty::Pointer(Box::new(ty));
                    }
                    out.push(FieldDef {
                        name: name.value.clone(),
                        ty,
                        embedded: true,
                        source: Source::Json,
                        key: name.value.clone(),
                        opts: TagOpts::default(),
                        doc,
                    });
                }
                FieldKind::Named { names, ty } => {
                    for n in names {
                        if let Some(prev) = seen.insert(n.value.clone(), n.span) {
                            let first = self.at(fi, prev);
                            self.err_help(
                                fi,
                                n.span,
                                format!("duplicate field `{}` in `{owner}`", n.value),
                                format!("it is first declared at {first}"),
                            );
                            continue;
                        }
                        let hoisted = format!("{owner}{}", upper_first(&n.value));
                        let Some(ty) = self.ty(ty, fi, &hoisted, true) else {
                            continue;
                        };
                        let tag_span = field.tag.as_ref().map_or(n.span, |t| t.span);
                        let Some((source, key, opts)) =
                            self.binding(&tags, &n.value, &ty, fi, tag_span)
                        else {
                            continue;
                        };
                        out.push(FieldDef {
                            name: n.value.clone(),
                            ty,
                            embedded: false,
                            source,
                            key,
                            opts,
                            doc: doc.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    fn unresolved(&mut self, fi: usize, span: Span, name: &str) {
        // The closest declared name, if it is close enough to be a typo.
        let near = self
            .declared
            .keys()
            .map(|k| {
                (
                    strsim::damerau_levenshtein(&k.to_lowercase(), &name.to_lowercase()),
                    k,
                )
            })
            .filter(|(d, k)| *d <= 2.max(k.len() / 4))
            .min()
            .map(|(_, k)| k.clone());
        match near {
            Some(n) => self.err_help(
                fi,
                span,
                format!("unresolved type `{name}`"),
                format!("did you mean `{n}`?"),
            ),
            None => self.err_help(
                fi,
                span,
                format!("unresolved type `{name}`"),
                "declare it with `type`, or import the file that declares it",
            ),
        }
    }

    /// Resolve a field type. `hoist` names an anonymous struct met here.
    fn ty(&mut self, e: &TypeExpr, fi: usize, hoist: &str, struct_ok: bool) -> Option<Ty> {
        Some(match &e.kind {
            TypeKind::Named(n) => match n.as_str() {
                "bool" => Ty::Bool,
                "int" | "int64" => Ty::Int {
                    bits: 64,
                    signed: true,
                },
                "int8" => Ty::Int {
                    bits: 8,
                    signed: true,
                },
                "int16" => Ty::Int {
                    bits: 16,
                    signed: true,
                },
                "int32" | "rune" => Ty::Int {
                    bits: 32,
                    signed: true,
                },
                "uint" | "uint64" => Ty::Int {
                    bits: 64,
                    signed: false,
                },
                "uint8" | "byte" => Ty::Int {
                    bits: 8,
                    signed: false,
                },
                "uint16" => Ty::Int {
                    bits: 16,
                    signed: false,
                },
                "uint32" => Ty::Int {
                    bits: 32,
                    signed: false,
                },
                "float32" => Ty::Float { bits: 32 },
                "float64" => Ty::Float { bits: 64 },
                "string" => Ty::String,
                "any" => {
                    self.err_help(
                        fi,
                        e.span,
                        "`any` is not supported as a field type",
                        "use `interface{}` for any JSON value",
                    );
                    return None;
                }
                "complex64" | "complex128" | "uintptr" => {
                    self.err(
                        fi,
                        e.span,
                        format!("`{n}` has no JSON form and is not supported"),
                    );
                    return None;
                }
                _ if self.declared.contains_key(n) => Ty::Named(n.clone()),
                _ => {
                    self.unresolved(fi, e.span, n);
                    return None;
                }
            },
            TypeKind::Interface => Ty::Json,
            TypeKind::Pointer(inner) => {
                Ty::Pointer(Box::new(self.ty(inner, fi, hoist, struct_ok)?))
            }
            TypeKind::Slice(inner) => Ty::Slice(Box::new(self.elem(inner, fi, hoist)?)),
            TypeKind::Array(None, _) => {
                self.err_help(
                    fi,
                    e.span,
                    "`[...]` arrays are not supported",
                    "write the length, like `[4]int`, or use a slice `[]int`",
                );
                return None;
            }
            TypeKind::Array(Some(n), inner) => {
                if *n == 0 || *n > 32 {
                    self.err_help(
                        fi,
                        e.span,
                        format!("array length {n} is not supported"),
                        "arrays hold 1 to 32 elements; use a slice `[]T` for more",
                    );
                    return None;
                }
                Ty::Array(*n, Box::new(self.elem(inner, fi, hoist)?))
            }
            TypeKind::Map(k, v) => {
                let key = self.ty(k, fi, hoist, false)?;
                if !matches!(key, Ty::String | Ty::Int { .. } | Ty::Bool) {
                    self.err(
                        fi,
                        k.span,
                        format!("map key `{}` must be a string, integer or bool", k.text()),
                    );
                    return None;
                }
                Ty::Map(Box::new(key), Box::new(self.elem(v, fi, hoist)?))
            }
            TypeKind::Struct(body) => {
                if !struct_ok {
                    self.err_help(
                        fi,
                        e.span,
                        "anonymous structs are not allowed here",
                        "declare the struct as a named type and use its name",
                    );
                    return None;
                }
                if body.fields.is_empty() {
                    self.err(fi, e.span, "empty anonymous struct");
                    return None;
                }
                let mut name = hoist.to_string();
                while self.declared.contains_key(&name) || self.types.iter().any(|t| t.name == name)
                {
                    name.push('_');
                }
                self.declared.insert(name.clone(), (fi, e.span));
                let fields = self.fields(&name, body, fi);
                self.types.push(TypeDef {
                    name: name.clone(),
                    doc: Vec::new(),
                    fields,
                });
                Ty::Named(name)
            }
        })
    }

    /// Elements of slices, arrays and maps: anything but an anonymous struct.
    fn elem(&mut self, e: &TypeExpr, fi: usize, hoist: &str) -> Option<Ty> {
        self.ty(e, fi, hoist, false)
    }

    /// Where a field binds from, under what name, with which options.
    fn binding(
        &mut self,
        tags: &[(String, String)],
        field: &str,
        ty: &Ty,
        fi: usize,
        span: Span,
    ) -> Option<(Source, String, TagOpts)> {
        const ORDER: [(&str, Source); 4] = [
            ("path", Source::Path),
            ("form", Source::Form),
            ("header", Source::Header),
            ("json", Source::Json),
        ];
        let found = ORDER.iter().find_map(|(k, s)| {
            tags.iter()
                .find(|(tk, _)| tk == k)
                .map(|(_, v)| (*s, v.as_str()))
        });
        let Some((source, value)) = found else {
            return Some((Source::Json, field.to_string(), TagOpts::default()));
        };
        let mut parts = split_options(value).into_iter();
        let name = parts.next().unwrap_or_default();
        let key = if name.is_empty() {
            field.to_string()
        } else {
            name
        };
        let mut opts = TagOpts::default();
        let scalar = ty.scalar();
        for opt in parts {
            let (k, v) = opt
                .split_once('=')
                .map_or((opt.as_str(), None), |(k, v)| (k, Some(v)));
            match (k, v) {
                ("optional", None) => opts.optional = true,
                ("omitempty", None) => opts.omitempty = true,
                ("default", Some(v)) => {
                    let ok = match scalar {
                        Some(Scalar::Bool) => v.parse::<bool>().is_ok(),
                        Some(Scalar::Int) => v.parse::<i64>().is_ok(),
                        Some(Scalar::Uint) => v.parse::<u64>().is_ok(),
                        Some(Scalar::Float) => v.parse::<f64>().is_ok(),
                        Some(Scalar::String) => true,
                        None => {
                            self.err(
                                fi,
                                span,
                                format!("`default=` needs a scalar field; `{field}` is not one"),
                            );
                            return None;
                        }
                    };
                    if !ok {
                        self.err(
                            fi,
                            span,
                            format!("default `{v}` does not fit the type of `{field}`"),
                        );
                        return None;
                    }
                    opts.default = Some(v.to_string());
                }
                ("options", Some(v)) => {
                    let list = v.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
                    opts.options = match list {
                        Some(l) => l.split(',').map(|s| s.trim().to_string()).collect(),
                        None => v.split('|').map(|s| s.trim().to_string()).collect(),
                    };
                    if scalar.is_none() || opts.options.iter().any(String::is_empty) {
                        self.err_help(fi, span, format!("bad `options=` on `{field}`"), "options need a scalar field and look like `options=a|b` or `options=[a,b]`");
                        return None;
                    }
                }
                ("range", Some(v)) => {
                    if !matches!(scalar, Some(Scalar::Int | Scalar::Uint | Scalar::Float)) {
                        self.err(
                            fi,
                            span,
                            format!("`range=` needs a numeric field; `{field}` is not one"),
                        );
                        return None;
                    }
                    match parse_range(v) {
                        Some(r) => opts.range = Some(r),
                        None => {
                            self.err_help(fi, span, format!("malformed range `{v}`"), "ranges look like `[1:10]`, `(0:1)`, `[1:]`: brackets include the bound, parentheses exclude it");
                            return None;
                        }
                    }
                }
                _ => {
                    self.err_help(
                        fi,
                        span,
                        format!("unknown tag option `{opt}`"),
                        "the options are optional, omitempty, default=, options= and range=",
                    );
                    return None;
                }
            }
        }
        if source != Source::Json && scalar.is_none() {
            let tag = match source {
                Source::Form => "form",
                Source::Path => "path",
                _ => "header",
            };
            self.err_help(fi, span, format!("`{field}` is bound from a {tag} value but is not a scalar"), "query, path and header values are text: use bool, a number or string, or move the field to `json`");
            return None;
        }
        Some((source, key, opts))
    }

    /// A struct that contains itself (not through a slice or map) has no
    /// finite size in Rust.
    fn check_recursion(&mut self) {
        fn direct<'t>(ty: &'t Ty, out: &mut Vec<&'t str>) {
            match ty {
                Ty::Named(n) => out.push(n),
                Ty::Pointer(t) | Ty::Array(_, t) => direct(t, out),
                _ => {}
            }
        }
        let edges: HashMap<&str, Vec<&str>> = self
            .types
            .iter()
            .map(|t| {
                let mut out = Vec::new();
                for f in &t.fields {
                    direct(&f.ty, &mut out);
                }
                (t.name.as_str(), out)
            })
            .collect();
        let mut bad = Vec::new();
        for start in edges.keys() {
            let mut stack = vec![*start];
            let mut seen = HashSet::new();
            while let Some(n) = stack.pop() {
                for next in edges.get(n).into_iter().flatten() {
                    if next == start {
                        bad.push(start.to_string());
                    } else if seen.insert(*next) {
                        stack.push(next);
                    }
                }
            }
        }
        bad.sort();
        bad.dedup();
        for name in bad {
            if let Some(&(fi, span)) = self.declared.get(&name) {
                self.err_help(
                    fi,
                    span,
                    format!("type `{name}` contains itself"),
                    "hold the inner value in a slice (`[]T`) instead",
                );
            }
        }
    }

    // ---- services ---------------------------------------------------------

    fn services(&mut self) -> (String, Vec<Group>) {
        let files = self.files;
        let mut name: Option<(String, usize, Span)> = None;
        let mut groups = Vec::new();
        let mut handlers: HashMap<(Vec<String>, String), (usize, Span)> = HashMap::new();
        let mut routes: HashMap<String, (usize, Span)> = HashMap::new();
        for (fi, f) in files.iter().enumerate() {
            for block in &f.tree.services {
                match &name {
                    None => name = Some((block.name.value.clone(), fi, block.name.span)),
                    Some((n, pf, ps)) if *n != block.name.value => {
                        let first = self.at(*pf, *ps);
                        self.err_help(
                            fi,
                            block.name.span,
                            format!("several service names: `{n}` and `{}`", block.name.value),
                            format!("every service block must use one name; `{n}` is at {first}"),
                        );
                    }
                    Some(_) => {}
                }
                let mut group = self.group(block, fi);
                for route in &block.routes {
                    let Some(handler) = &route.handler else {
                        continue;
                    };
                    let stripped = strip_handler_suffix(&handler.value);
                    if stripped.is_empty() || GO_KEYWORDS.contains(&stripped) {
                        self.err(
                            fi,
                            handler.span,
                            format!("`{}` cannot name a handler", handler.value),
                        );
                        continue;
                    }
                    let hkey = (group.dir.clone(), snake_case(stripped));
                    if let Some(&(pf, ps)) = handlers.get(&hkey) {
                        let first = self.at(pf, ps);
                        let g = if group.dir.is_empty() {
                            "the service".to_string()
                        } else {
                            format!("group `{}`", group.dir.join("/"))
                        };
                        self.err_help(
                            fi,
                            handler.span,
                            format!("duplicate handler `{}` in {g}", handler.value),
                            format!("it is first used at {first}"),
                        );
                        continue;
                    }
                    handlers.insert(hkey, (fi, handler.span));
                    let full = format!(
                        "{}{}",
                        group.prefix,
                        if route.path.value == "/" && !group.prefix.is_empty() {
                            ""
                        } else {
                            &route.path.value
                        }
                    );
                    let shape: String = full
                        .split('/')
                        .map(|s| if s.starts_with(':') { ":" } else { s })
                        .collect::<Vec<_>>()
                        .join("/");
                    let rkey = format!("{} {shape}", route.method.value);
                    if let Some(&(pf, ps)) = routes.get(&rkey) {
                        let first = self.at(pf, ps);
                        self.err_help(
                            fi,
                            route.path.span,
                            format!(
                                "duplicate route `{} {full}`",
                                route.method.value.to_uppercase()
                            ),
                            format!("the same method and path are first declared at {first}"),
                        );
                        continue;
                    }
                    routes.insert(rkey, (fi, route.path.span));
                    if let Some(def) = self.route(route, handler, fi) {
                        group.routes.push(def);
                    }
                }
                group
                    .routes
                    .sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
                groups.push(group);
            }
        }
        // A file of types only is fine to check; generating needs a service.
        let name = name.map(|(n, ..)| n).unwrap_or_default();
        groups.sort_by(|a: &Group, b: &Group| (&a.dir, &a.prefix).cmp(&(&b.dir, &b.prefix)));
        (name.trim_end_matches("-api").to_string(), groups)
    }

    /// The group of a service block; bad `@server` values are reported and
    /// left out, so the block's routes are still checked.
    fn group(&mut self, block: &ast::ServiceBlock, fi: usize) -> Group {
        let mut g = Group {
            dir: Vec::new(),
            prefix: String::new(),
            jwt: None,
            middleware: Vec::new(),
            timeout: None,
            max_bytes: None,
            routes: Vec::new(),
        };
        let pairs = block.server.iter().flat_map(|s| &s.pairs);
        let mut seen = HashSet::new();
        for pair in pairs {
            let (key, v, span) = (
                pair.key.value.as_str(),
                pair.value.value.as_str(),
                pair.value.span,
            );
            if !seen.insert(key) {
                self.err(
                    fi,
                    pair.key.span,
                    format!("`{key}` is set twice in this @server"),
                );
                continue;
            }
            let bad = |this: &mut Self, what: &str| {
                this.err_help(
                    fi,
                    span,
                    format!("bad value `{v}` for `{key}`"),
                    what.to_string(),
                );
            };
            match key {
                "jwt" if is_ident(v) => {
                    g.jwt = Some(v.to_string());
                }
                "jwt" => bad(
                    self,
                    "name the config section that holds the secret, like `jwt: Auth`",
                ),
                "group"
                    if !v.is_empty()
                        && v.split('/').all(|s| {
                            is_ident(&s.replace('-', "_")) && !GO_KEYWORDS.contains(&s)
                        }) =>
                {
                    g.dir = v.split('/').map(snake_case).collect();
                }
                "group" => bad(
                    self,
                    "a group is a name or a path of names, like `user` or `admin/user`",
                ),
                "prefix" => match clean_prefix(v) {
                    Some(p) => {
                        g.prefix = p;
                    }
                    None => bad(self, "a prefix is a path like `/v1` or `/api/v2`"),
                },
                "middleware" => {
                    let names: Vec<_> = v.split(',').map(str::trim).collect();
                    if names.iter().all(|n| is_ident(n)) {
                        g.middleware = names.into_iter().map(String::from).collect();
                    } else {
                        bad(
                            self,
                            "list middleware names separated by commas, like `middleware: Auth, Log`",
                        )
                    }
                }
                "timeout" => match parse_duration(v) {
                    Some(d) => {
                        g.timeout = Some(d);
                    }
                    None => bad(
                        self,
                        "a timeout is a duration like `3s`, `500ms` or `1m30s`",
                    ),
                },
                "maxBytes" => match v.parse::<u64>() {
                    Ok(n) => {
                        g.max_bytes = Some(n);
                    }
                    Err(_) => bad(self, "maxBytes is a number of bytes, like `1048576`"),
                },
                "jwtTransition" | "signature" | "sse" => {
                    self.err(
                        fi,
                        pair.key.span,
                        format!("`{key}` is not supported by looklook"),
                    );
                }
                // Free-form keys (summary, tags, ...) are documentation only.
                _ => {}
            }
        }
        g
    }

    fn route(&mut self, route: &ast::Route, handler: &ast::Ident, fi: usize) -> Option<RouteDef> {
        let mut ok = true;
        let request = match &route.request {
            Some(b) => {
                if b.slice {
                    self.err_help(
                        fi,
                        b.span,
                        "the request body must be a struct, not an array",
                        "wrap the list in a struct: `type Req { Items []T `json:\"items\"` }`",
                    );
                    ok = false;
                }
                if !self.declared.contains_key(&b.name.value) {
                    self.unresolved(fi, b.name.span, &b.name.value);
                    ok = false;
                }
                Some(b.name.value.clone())
            }
            None => None,
        };
        let response = match &route.response {
            Some(b) if !self.declared.contains_key(&b.name.value) => {
                self.unresolved(fi, b.name.span, &b.name.value);
                ok = false;
                None
            }
            Some(b) => Some(ResponseType {
                name: b.name.value.clone(),
                slice: b.slice,
            }),
            None => None,
        };
        if !ok {
            return None;
        }
        // Every path field of the request needs its `:param` in the route.
        if let Some(req) = &request {
            let params: Vec<&str> = route
                .path
                .value
                .split('/')
                .filter_map(|s| s.strip_prefix(':'))
                .collect();
            let missing: Vec<String> = self
                .path_keys(req)
                .into_iter()
                .filter(|k| !params.contains(&k.as_str()))
                .collect();
            for key in missing {
                self.err_help(
                    fi,
                    route.path.span,
                    format!("`{req}` binds path parameter `{key}`, but this path has no `:{key}`"),
                    format!("add `/:{key}` to the path, or bind the field from `form` or `json`"),
                );
                ok = false;
            }
        }
        let mut doc: Vec<String> = doc_lines(&route.comments);
        match &route.doc {
            // A doc is text for comments: one entry a line, so no line
            // break of a raw string can end a comment and start code.
            Some(ast::Doc::Text(t)) => doc.extend(text_lines(&t.value)),
            Some(ast::Doc::Pairs(kvs)) => doc.extend(
                kvs.iter()
                    .filter(|kv| kv.key.value == "summary")
                    .flat_map(|kv| text_lines(kv.raw.value.trim_matches(['"', '`']))),
            ),
            None => {}
        }
        ok.then(|| RouteDef {
            handler: handler.value.clone(),
            method: route.method.value.clone(),
            path: route.path.value.clone(),
            request,
            response,
            doc,
        })
    }

    /// The `path:` keys of a declared type, embedded structs included.
    fn path_keys(&self, ty: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![ty.to_string()];
        let mut seen = HashSet::new();
        while let Some(t) = stack.pop() {
            if !seen.insert(t.clone()) {
                continue;
            }
            for def in self.types.iter().filter(|d| d.name == t) {
                for f in &def.fields {
                    if f.embedded {
                        let inner = match &f.ty {
                            Ty::Pointer(b) => b.as_ref(),
                            other => other,
                        };
                        if let Ty::Named(n) = inner {
                            stack.push(n.clone());
                        }
                    } else if f.source == Source::Path {
                        out.push(f.key.clone());
                    }
                }
            }
        }
        out
    }
}

/// The non-blank lines of `text`, trimmed; `\r` breaks a line too.
fn text_lines(text: &str) -> Vec<String> {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn doc_lines(c: &ast::Comments) -> Vec<String> {
    c.leading
        .iter()
        .chain(&c.trailing)
        .flat_map(|text| {
            let body = text
                .strip_prefix("//")
                .or_else(|| text.strip_prefix("/*").and_then(|t| t.strip_suffix("*/")))
                .unwrap_or(text);
            body.lines()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Go struct tags: `json:"name,optional" form:"q"`.
fn parse_tags(raw: &str) -> Result<Vec<(String, String)>, String> {
    let s = raw.trim_matches('`');
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let colon = rest
            .find(':')
            .ok_or_else(|| format!("`{rest}` has no `key:\"value\"` form"))?;
        let key = &rest[..colon];
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("bad tag key `{key}`"));
        }
        let after = rest[colon + 1..]
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of `{key}` must be in double quotes"))?;
        let end = after
            .find('"')
            .ok_or_else(|| format!("the value of `{key}` is not closed"))?;
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("`{key}` appears twice"));
        }
        out.push((key.to_string(), after[..end].to_string()));
        rest = after[end + 1..].trim_start();
    }
    Ok(out)
}

/// Split tag options on commas that are not inside brackets.
fn split_options(v: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0i32;
    for c in v.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().expect("never empty").push(c);
    }
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

fn parse_range(v: &str) -> Option<RangeSpec> {
    let min_inclusive = match v.chars().next()? {
        '[' => true,
        '(' => false,
        _ => return None,
    };
    let max_inclusive = match v.chars().last()? {
        ']' => true,
        ')' => false,
        _ => return None,
    };
    let inner = &v[1..v.len() - 1];
    let (lo, hi) = inner.split_once(':')?;
    let num = |s: &str| -> Option<Option<f64>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else {
            s.parse::<f64>().ok().map(Some)
        }
    };
    let (min, max) = (num(lo)?, num(hi)?);
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return None;
    }
    Some(RangeSpec {
        min,
        min_inclusive,
        max,
        max_inclusive,
    })
}

/// Go duration syntax: `300ms`, `1.5h`, `1m30s`, `500µs`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&n| n > 0)?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * nanos;
        rest = &rest[u..];
    }
    Some(Duration::from_nanos(total as u64))
}

/// A route prefix, cleaned as goctl does (`path.Join("/", v)`): the
/// leading `/` is optional, repeated slashes collapse.
fn clean_prefix(v: &str) -> Option<String> {
    let v = v.trim();
    let segs: Vec<&str> = v.split('/').filter(|s| !s.is_empty()).collect();
    let ok = segs.iter().all(|s| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    });
    ok.then(|| {
        if segs.is_empty() {
            String::new()
        } else {
            format!("/{}", segs.join("/"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_cleaned_like_goctl() {
        assert_eq!(clean_prefix("/v1").as_deref(), Some("/v1"));
        assert_eq!(
            clean_prefix("usercenter/v1").as_deref(),
            Some("/usercenter/v1")
        );
        assert_eq!(clean_prefix("//api//v2/").as_deref(), Some("/api/v2"));
        assert_eq!(clean_prefix("/").as_deref(), Some(""));
        assert_eq!(clean_prefix("/a b"), None);
    }

    fn files(list: &[(&str, &str)]) -> impl Fn(&Path) -> io::Result<String> {
        let map: HashMap<PathBuf, String> = list
            .iter()
            .map(|(p, s)| (PathBuf::from(p), s.to_string()))
            .collect();
        move |p: &Path| {
            map.get(p)
                .cloned()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
        }
    }

    fn spec(list: &[(&str, &str)]) -> Result<Spec, Vec<String>> {
        let read = files(list);
        let loaded = load(Path::new(list[0].0), &read)
            .map_err(|d| d.iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
        check(&loaded).map_err(|d| d.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn names_and_durations() {
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("3x"), None);
        assert_eq!(
            split_options("n,options=[a,b],range=[1:2)"),
            ["n", "options=[a,b]", "range=[1:2)"]
        );
        let r = parse_range("(0:10]").unwrap();
        assert!(!r.min_inclusive && r.max_inclusive && r.max == Some(10.0));
        assert!(parse_range("[5:1]").is_none());
    }

    #[test]
    fn diamond_imports_load_once_and_cycles_are_rejected() {
        let s = spec(&[
            ("a/main.api", "import (\"b.api\"\n\"c.api\")\nservice s-api {\n@handler h\nget /x (B) returns (C)\n}"),
            ("a/b.api", "import \"d.api\"\ntype B { D }"),
            ("a/c.api", "import \"d.api\"\ntype C { D }"),
            ("a/d.api", "type D { Id int `json:\"id\"` }"),
        ])
        .unwrap();
        assert_eq!(s.name, "s");
        assert_eq!(
            s.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["B", "C", "D"]
        );

        let e = spec(&[("m.api", "import \"n.api\""), ("n.api", "import \"m.api\"")]).unwrap_err();
        assert_eq!(e, ["n.api:1:8: import cycle"]);
    }

    #[test]
    fn semantic_errors_are_all_reported() {
        let e = spec(&[(
            "x.api",
            r#"type A { B Missing `json:"b"` }
type A { C int }
type Q { Id int `path:"id"` }
@server ( timeout: soon )
service one-api {
  @handler h
  get /a ([]A)
}
service two-api {
  @handler k
  get /q/:key (Q)
}
"#,
        )])
        .unwrap_err();
        assert_eq!(
            e,
            [
                "x.api:1:12: unresolved type `Missing`",
                "x.api:2:6: duplicate type `A`",
                "x.api:4:20: bad value `soon` for `timeout`",
                "x.api:7:10: the request body must be a struct, not an array",
                "x.api:9:9: several service names: `one-api` and `two-api`",
                "x.api:11:7: `Q` binds path parameter `id`, but this path has no `:id`",
            ]
        );
    }

    #[test]
    fn tags_become_bindings() {
        let s = spec(&[(
            "t.api",
            r#"type R {
  Page int `form:"page,default=1,range=[1:100]"`
  Kind string `json:"kind,optional,options=a|b"`
  Id int64 `path:"id"`
  Token string `header:"X-Token,optional"`
  Plain bool
}
service t { @handler h
  get /r/:id (R) }"#,
        )])
        .unwrap();
        let f = &s.types[0].fields;
        assert_eq!(
            (f[0].source, f[0].key.as_str(), f[0].opts.default.as_deref()),
            (Source::Form, "page", Some("1"))
        );
        assert_eq!(f[1].opts.options, ["a", "b"]);
        assert!(f[1].opts.optional);
        assert_eq!(
            (f[2].source, f[3].source, f[4].source),
            (Source::Path, Source::Header, Source::Json)
        );
        assert_eq!(f[4].key, "Plain");
    }
}
