//! The canonical layout of an `.api` file: tabs, aligned columns, one blank
//! line between statements. Statements keep their order and every comment
//! is kept; formatting twice gives the same bytes as formatting once.

use std::fmt::Write;

use super::ast::*;
use super::parser::parse;
use looklook_diagnostics::{Diagnostics, SourceFile};

/// Format a file. A file with syntax errors is not formatted.
pub fn format(file: &SourceFile) -> Result<String, Diagnostics> {
    let (tree, errors) = parse(file);
    if !errors.is_empty() {
        return Err(Diagnostics(errors).sorted());
    }
    Ok(render(&tree))
}

pub fn render(f: &ApiFile) -> String {
    let mut out = Out::default();
    for (i, stmt) in f.order.iter().enumerate() {
        if i > 0 {
            out.blank();
        }
        match *stmt {
            Stmt::Syntax => {
                let s = f.syntax.as_ref().expect("recorded");
                out.comments(0, &s.comments.leading);
                out.line(
                    0,
                    &format!("syntax = \"{}\"", s.version.value),
                    &s.comments.trailing,
                );
            }
            Stmt::Info => {
                let info = f.info.as_ref().expect("recorded");
                out.comments(0, &info.comments.leading);
                out.line(0, "info (", &None);
                out.pairs(1, &info.pairs);
                out.line(0, ")", &info.comments.trailing);
            }
            Stmt::Import {
                first,
                count,
                grouped,
            } => {
                let imports = &f.imports[first..first + count];
                if grouped {
                    out.line(0, "import (", &None);
                    for imp in imports {
                        out.comments(1, &imp.comments.leading);
                        out.line(
                            1,
                            &format!("\"{}\"", imp.path.value),
                            &imp.comments.trailing,
                        );
                    }
                    out.line(0, ")", &None);
                } else {
                    for imp in imports {
                        out.comments(0, &imp.comments.leading);
                        out.line(
                            0,
                            &format!("import \"{}\"", imp.path.value),
                            &imp.comments.trailing,
                        );
                    }
                }
            }
            Stmt::Type {
                first,
                count,
                grouped,
            } => {
                let decls = &f.types[first..first + count];
                if grouped {
                    out.line(0, "type (", &None);
                    for (j, d) in decls.iter().enumerate() {
                        if j > 0 && d.comments.blank_before {
                            out.blank();
                        }
                        out.type_decl(1, d, "");
                    }
                    out.line(0, ")", &None);
                } else {
                    for d in decls {
                        out.type_decl(0, d, "type ");
                    }
                }
            }
            Stmt::Service(i) => out.service(&f.services[i]),
        }
    }
    if !f.tail_comments.is_empty() {
        if !f.order.is_empty() {
            out.blank();
        }
        out.comments(0, &f.tail_comments);
    }
    out.text
}

#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.text.push('\t');
        }
    }

    fn line(&mut self, level: usize, body: &str, trailing: &Option<String>) {
        self.indent(level);
        self.text.push_str(body);
        if let Some(c) = trailing {
            if !body.is_empty() {
                self.text.push(' ');
            }
            self.text.push_str(c);
        }
        self.text.push('\n');
    }

    fn blank(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
    }

    fn comments(&mut self, level: usize, comments: &[String]) {
        for c in comments {
            // A block comment keeps its own inner layout.
            self.line(level, c, &None);
        }
    }

    /// `key: value` lines with the values aligned.
    fn pairs(&mut self, level: usize, pairs: &[KeyValue]) {
        let width = pairs
            .iter()
            .map(|p| p.key.value.chars().count())
            .max()
            .unwrap_or(0);
        for p in pairs {
            self.comments(level, &p.comments.leading);
            let pad = " ".repeat(width - p.key.value.chars().count());
            self.line(
                level,
                &format!("{}:{pad} {}", p.key.value, p.raw.value),
                &p.comments.trailing,
            );
        }
    }

    fn type_decl(&mut self, level: usize, d: &TypeDecl, keyword: &str) {
        self.comments(level, &d.comments.leading);
        let head = format!("{keyword}{}", d.name.value);
        match &d.ty.kind {
            TypeKind::Struct(body) => {
                self.indent(level);
                let _ = write!(self.text, "{head} ");
                self.struct_body(level, body);
                self.finish_line(&d.comments.trailing);
            }
            _ => self.line(
                level,
                &format!("{head} {}", d.ty.text()),
                &d.comments.trailing,
            ),
        }
    }

    fn finish_line(&mut self, trailing: &Option<String>) {
        if let Some(c) = trailing {
            self.text.push(' ');
            self.text.push_str(c);
        }
        self.text.push('\n');
    }

    /// Writes `{ ... }` starting at the current position, without the final newline.
    fn struct_body(&mut self, level: usize, body: &StructBody) {
        if body.fields.is_empty() && body.tail.is_empty() {
            self.text.push_str("{}");
            return;
        }
        self.text.push_str("{\n");
        // Align the columns of runs of one-line fields, as gofmt does.
        let mut run: Vec<&Field> = Vec::new();
        for field in &body.fields {
            let multi = matches!(&field.kind, FieldKind::Named { ty, .. } if has_struct(ty));
            if multi || (field.comments.blank_before && !run.is_empty()) {
                self.field_run(level + 1, &run);
                run.clear();
            }
            if field.comments.blank_before && !self.text.ends_with("{\n") {
                self.blank();
            }
            if multi {
                self.comments(level + 1, &field.comments.leading);
                self.indent(level + 1);
                let FieldKind::Named { names, ty } = &field.kind else {
                    unreachable!()
                };
                let _ = write!(self.text, "{} ", names_text(names));
                self.type_text(level + 1, ty);
                if let Some(tag) = &field.tag {
                    let _ = write!(self.text, " {}", tag.value);
                }
                self.finish_line(&field.comments.trailing);
            } else {
                run.push(field);
            }
        }
        self.field_run(level + 1, &run);
        self.comments(level + 1, &body.tail);
        self.indent(level);
        self.text.push('}');
    }

    fn field_run(&mut self, level: usize, fields: &[&Field]) {
        let cols: Vec<(String, String, String)> = fields
            .iter()
            .map(|f| {
                let (name, ty) = match &f.kind {
                    FieldKind::Named { names, ty } => (names_text(names), ty.text()),
                    FieldKind::Embedded { name, pointer } => (
                        format!("{}{}", if *pointer { "*" } else { "" }, name.value),
                        String::new(),
                    ),
                };
                (
                    name,
                    ty,
                    f.tag.as_ref().map(|t| t.value.clone()).unwrap_or_default(),
                )
            })
            .collect();
        let w0 = cols
            .iter()
            .filter(|c| !c.1.is_empty())
            .map(|c| c.0.chars().count())
            .max()
            .unwrap_or(0);
        let w1 = cols.iter().map(|c| c.1.chars().count()).max().unwrap_or(0);
        for (f, (name, ty, tag)) in fields.iter().zip(&cols) {
            self.comments(level, &f.comments.leading);
            let mut line = name.clone();
            if !ty.is_empty() {
                line.push_str(&" ".repeat(w0 - name.chars().count() + 1));
                line.push_str(ty);
            }
            if !tag.is_empty() {
                let pad = if ty.is_empty() {
                    1
                } else {
                    w1 - ty.chars().count() + 1
                };
                line.push_str(&" ".repeat(pad));
                line.push_str(tag);
            }
            self.line(level, &line, &f.comments.trailing);
        }
    }

    fn type_text(&mut self, level: usize, ty: &TypeExpr) {
        match &ty.kind {
            TypeKind::Struct(body) => self.struct_body(level, body),
            TypeKind::Pointer(t) => {
                self.text.push('*');
                self.type_text(level, t);
            }
            _ => self.text.push_str(&ty.text()),
        }
    }

    fn service(&mut self, s: &ServiceBlock) {
        self.comments(0, &s.comments.leading);
        if let Some(server) = &s.server {
            self.line(0, "@server (", &None);
            let width = server
                .pairs
                .iter()
                .map(|p| p.key.value.chars().count())
                .max()
                .unwrap_or(0);
            for p in &server.pairs {
                self.comments(1, &p.comments.leading);
                let pad = " ".repeat(width - p.key.value.chars().count());
                self.line(
                    1,
                    &format!("{}:{pad} {}", p.key.value, server_value(&p.value.value)),
                    &p.comments.trailing,
                );
            }
            self.line(0, ")", &None);
        }
        self.line(0, &format!("service {} {{", s.name.value), &None);
        for (i, r) in s.routes.iter().enumerate() {
            if i > 0 && r.comments.blank_before {
                self.blank();
            }
            self.comments(1, &r.comments.leading);
            match &r.doc {
                Some(Doc::Text(t)) => self.line(1, &format!("@doc \"{}\"", t.value), &None),
                Some(Doc::Pairs(kvs)) => {
                    self.line(1, "@doc (", &None);
                    self.pairs(2, kvs);
                    self.line(1, ")", &None);
                }
                None => {}
            }
            if let Some(h) = &r.handler {
                self.line(1, &format!("@handler {}", h.value), &None);
            }
            let mut line = format!("{} {}", r.method.value, r.path.value);
            if let Some(req) = &r.request {
                let _ = write!(line, " ({})", req.text());
            }
            if let Some(resp) = &r.response {
                let _ = write!(line, " returns ({})", resp.text());
            }
            self.line(1, &line, &r.comments.trailing);
        }
        self.comments(1, &s.inner_tail);
        self.line(0, "}", &s.comments.trailing);
    }
}

/// Keep a quoted string quoted; tidy a middleware list to `A, B`.
fn server_value(v: &str) -> String {
    if v.contains(',') {
        v.split(',').map(str::trim).collect::<Vec<_>>().join(", ")
    } else if v.contains(char::is_whitespace) {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

fn names_text(names: &[Ident]) -> String {
    names
        .iter()
        .map(|n| n.value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn has_struct(ty: &TypeExpr) -> bool {
    match &ty.kind {
        TypeKind::Struct(_) => true,
        TypeKind::Pointer(t) => has_struct(t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        format(&SourceFile::new("t.api", src)).expect("parses")
    }

    #[test]
    fn canonical_layout_keeps_comments() {
        let src = "syntax=\"v1\"\n// the types\ntype Req {\n  Id int64 `path:\"id\"` // the id\n  LongName string `json:\"long\"`\n  Base\n  Inner { A int }\n  // last\n}\n@server(jwt:Auth\nmiddleware: A,B)\nservice u-api{\n@handler get\nget /u/:id (Req) returns (Req)\n}\n// bye\n";
        let want = "syntax = \"v1\"\n\n// the types\ntype Req {\n\tId       int64  `path:\"id\"` // the id\n\tLongName string `json:\"long\"`\n\tBase\n\tInner {\n\t\tA int\n\t}\n\t// last\n}\n\n@server (\n\tjwt:        Auth\n\tmiddleware: A, B\n)\nservice u-api {\n\t@handler get\n\tget /u/:id (Req) returns (Req)\n}\n\n// bye\n";
        let got = fmt(src);
        assert_eq!(got, want);
        assert_eq!(fmt(&got), got, "formatting is idempotent");
    }

    #[test]
    fn refuses_files_with_errors() {
        assert!(format(&SourceFile::new("t.api", "type {")).is_err());
    }
}
