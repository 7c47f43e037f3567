//! `.proto` files: compiled with protox (a protobuf compiler in Rust, so no
//! `protoc` is needed), then read into a service model for the generators.
//! Errors carry the file, line and column and the offending line.

use std::path::{Path, PathBuf};

use miette::Diagnostic as _;
use prost_types::{FileDescriptorSet, SourceCodeInfo};

use crate::apidsl::{Diagnostic, Diagnostics, SourceFile, Span};
use crate::naming::{ToSnakeCase, ToUpperCamelCase};

/// A compiled `.proto` file with everything it imports.
#[derive(Debug, Clone)]
pub struct Proto {
    /// Every file, imports (well-known types included) first.
    pub fds: FileDescriptorSet,
    /// The services of the file that was compiled, in declaration order.
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// As declared: `OrderService`.
    pub name: String,
    /// `shop.v1`; empty without a `package` line.
    pub package: String,
    pub methods: Vec<Method>,
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// As declared: `CreateOrder`.
    pub name: String,
    /// Fully qualified: `.shop.v1.CreateOrderReq`.
    pub input: String,
    pub output: String,
    pub client_streaming: bool,
    pub server_streaming: bool,
    pub doc: Vec<String>,
}

/// Names as prost and tonic spell them in the code they generate.
impl Service {
    /// The trait and server type name: `OrderService`.
    pub fn rust_name(&self) -> String {
        self.name.to_upper_camel_case()
    }

    /// `order_service`: its logic directory when a file has several services.
    pub fn snake_name(&self) -> String {
        self.name.to_snake_case()
    }

    /// The module tonic generates the server in: `order_service_server`.
    pub fn server_module(&self) -> String {
        format!("{}_server", self.snake_name())
    }

    /// The module tonic generates the client in: `order_service_client`.
    pub fn client_module(&self) -> String {
        format!("{}_client", self.snake_name())
    }
}

impl Method {
    /// The Rust method name tonic gives it: `create_order`.
    pub fn function(&self) -> String {
        self.name.to_snake_case()
    }
}

/// Compile `file`. Imports are looked up in the file's own directory, then
/// in `includes`; the well-known types (`google/protobuf/*.proto`) are built
/// in.
pub fn compile(file: &Path, includes: &[PathBuf]) -> Result<Proto, Diagnostics> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut roots = vec![dir.to_path_buf()];
    roots.extend(includes.iter().cloned());
    let name = file.file_name().map(PathBuf::from).unwrap_or_default();

    let mut compiler = protox::Compiler::new(&roots).map_err(|e| convert(&e, &roots, file))?;
    compiler.include_imports(true).include_source_info(true);
    compiler
        .open_file(&name)
        .map_err(|e| convert(&e, &roots, file))?;
    let fds = compiler.file_descriptor_set();

    let main = fds
        .file
        .iter()
        .find(|f| Path::new(f.name()) == name)
        .ok_or_else(|| {
            Diagnostics(vec![Diagnostic::file(
                file,
                "the compiler did not return this file",
            )])
        })?;
    let info = main.source_code_info.as_ref();
    let services = main
        .service
        .iter()
        .enumerate()
        .map(|(si, s)| Service {
            name: s.name().to_string(),
            package: main.package().to_string(),
            doc: comments(info, &[6, si as i32]),
            methods: s
                .method
                .iter()
                .enumerate()
                .map(|(mi, m)| Method {
                    name: m.name().to_string(),
                    input: m.input_type().to_string(),
                    output: m.output_type().to_string(),
                    client_streaming: m.client_streaming(),
                    server_streaming: m.server_streaming(),
                    doc: comments(info, &[6, si as i32, 2, mi as i32]),
                })
                .collect(),
        })
        .collect();
    Ok(Proto { fds, services })
}

/// The comments above a declaration, by its descriptor path (6 = service,
/// 2 = method, as numbered in `descriptor.proto`).
fn comments(info: Option<&SourceCodeInfo>, path: &[i32]) -> Vec<String> {
    info.into_iter()
        .flat_map(|i| &i.location)
        .find(|l| l.path == path)
        .and_then(|l| l.leading_comments.as_deref())
        .map(|c| {
            c.lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A protox error as our diagnostics, each located in its file.
fn convert(e: &protox::Error, roots: &[PathBuf], main: &Path) -> Diagnostics {
    let related: Vec<&dyn miette::Diagnostic> =
        e.related().map(|r| r.collect()).unwrap_or_default();
    let file = e
        .file()
        .and_then(|f| roots.iter().map(|r| r.join(f)).find(|p| p.is_file()));
    let path = file.unwrap_or_else(|| main.to_path_buf());
    let text = std::fs::read_to_string(&path).ok();
    let one = |d: &dyn miette::Diagnostic| -> Diagnostic {
        let span = d
            .labels()
            .and_then(|mut l| l.next())
            .map(|l| Span::new(l.offset(), l.offset() + l.len()));
        match (&text, span) {
            (Some(t), Some(span)) => SourceFile::new(&path, t.as_str()).error(span, d.to_string()),
            _ => Diagnostic::file(&path, d.to_string()),
        }
    };
    if related.is_empty() {
        Diagnostics(vec![one(e)])
    } else {
        Diagnostics(related.into_iter().map(one).collect()).sorted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sample/proto/shop.proto")
    }

    #[test]
    fn reads_services_methods_and_streaming() {
        let p = compile(&sample(), &[]).unwrap();
        let names: Vec<_> = p.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["OrderService", "HealthProbe"]);
        let s = &p.services[0];
        assert_eq!(s.package, "shop.v1");
        assert_eq!(
            s.doc,
            ["Orders: create, read, list, and watch them change."]
        );
        assert_eq!(s.server_module(), "order_service_server");
        let flags: Vec<_> = s
            .methods
            .iter()
            .map(|m| (m.function(), m.client_streaming, m.server_streaming))
            .collect();
        assert_eq!(
            flags,
            [
                ("create_order".to_string(), false, false),
                ("get_order".to_string(), false, false),
                ("list_orders".to_string(), false, true),
                ("upload_lines".to_string(), true, false),
                ("watch".to_string(), true, true),
            ]
        );
        assert_eq!(s.methods[3].input, ".shop.v1.Order.Line");
        assert_eq!(p.services[1].methods[0].input, ".google.protobuf.Empty");
        // Imports and well-known types come along.
        let files: Vec<_> = p.fds.file.iter().map(|f| f.name()).collect();
        assert!(
            files.contains(&"common/money.proto")
                && files.contains(&"google/protobuf/timestamp.proto"),
            "{files:?}"
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.proto");
        std::fs::write(
            &f,
            "syntax = \"proto3\";\n\nmessage A {\n  string name = 1\n}\n",
        )
        .unwrap();
        let e = compile(&f, &[]).unwrap_err();
        let d = e.iter().next().unwrap();
        assert_eq!((d.line, d.column), (5, 1), "{d}");
        assert!(d.path.ends_with("bad.proto"));
        assert_eq!(d.line_text, "}");

        std::fs::write(&f, "syntax = \"proto3\";\nimport \"missing.proto\";\n").unwrap();
        let e = compile(&f, &[]).unwrap_err();
        let d = e.iter().next().unwrap();
        assert!(d.message.contains("missing.proto"), "{d}");
        assert_eq!(d.line, 2, "{d}");

        std::fs::write(&f, "syntax = \"proto3\";\nmessage A { Nope x = 1; }\n").unwrap();
        let d = compile(&f, &[]).unwrap_err();
        let d = d.iter().next().unwrap();
        assert!(d.message.contains("Nope"), "{d}");
        assert_eq!((d.line, d.column), (2, 13), "{d}");
    }
}
