//! `.proto` → the message and service code of a gRPC crate.
//!
//! prost and tonic generate the code here, at generation time, from the
//! descriptor set protox compiled: the crate gets plain Rust files under
//! `src/pb/` and needs neither a build script nor `protoc`.

use std::collections::{BTreeMap, BTreeSet};

use crate::naming::{ToSnakeCase, ToUpperCamelCase};
use askama::Template;
use proc_macro2::TokenStream;
use prost::Message as _;
use quote::{format_ident, quote};

use super::layout::{ModIndex, ModTree, SvcRs, layout_fn, mod_path, render};
use super::{
    CrateOptions, FilePlan, GENERATED_HEADER, Owner, SCAFFOLDED_HEADER, Signature, ident,
    ident_text, rust_file,
};
use crate::proto::{Method, Proto, Service};
use crate::versions;

/// `.proto` → a gRPC service crate named `<name>-rpc`: a library (server,
/// typed clients, pb code) and the binary that serves it.
pub fn generate(proto: &Proto, name: &str, opts: &CrateOptions) -> std::io::Result<FilePlan> {
    let mut plan = pb_plan(proto)?;
    let crate_name = format!("{name}-rpc");
    let lib = crate_name.replace('-', "_");
    let config_file = format!("etc/{name}.yaml");
    let v = Versions {
        anyhow: versions::ANYHOW,
        serde: versions::SERDE,
        tokio: versions::TOKIO,
        tracing: versions::TRACING,
        prost: versions::PROST,
        tonic: versions::TONIC,
    };
    let runtime = opts.runtime.toml(&["rpc"]);
    plan.add(
        "Cargo.toml",
        Owner::Scaffolded,
        render(&CargoToml {
            crate_name: &crate_name,
            runtime: &runtime,
            v,
        }),
    );
    plan.add(
        &config_file,
        Owner::Scaffolded,
        render(&ConfigYaml {
            crate_name: &crate_name,
        }),
    );
    plan.add(
        "src/main.rs",
        Owner::Scaffolded,
        render(&MainRs {
            header: SCAFFOLDED_HEADER,
            crate_name: &crate_name,
            lib: &lib,
            config_file: &config_file,
        }),
    );
    plan.add(
        "src/config.rs",
        Owner::Scaffolded,
        render(&ConfigRs {
            header: SCAFFOLDED_HEADER,
        }),
    );
    plan.add(
        "src/svc.rs",
        Owner::Scaffolded,
        render(&SvcRs {
            header: SCAFFOLDED_HEADER,
        }),
    );
    let lib_mods: Vec<String> = ["client", "config", "logic", "pb", "server", "svc"]
        .map(String::from)
        .to_vec();
    let lib_doc = format!(
        "{crate_name}: the gRPC server of the `.proto` services, and the typed clients other services use to call them."
    );
    plan.add(
        "src/lib.rs",
        Owner::ModIndex {
            mods: lib_mods.clone(),
        },
        render(&ModIndex {
            header: SCAFFOLDED_HEADER,
            doc: &lib_doc,
            mods: lib_mods,
        }),
    );

    let types = TypeMap::new(proto);
    plan.add("src/server.rs", Owner::Generated, server_rs(proto, &types));
    plan.add("src/client.rs", Owner::Generated, client_rs(proto, &types));

    // One service: `logic/<method>.rs`; several: `logic/<service>/<method>.rs`.
    let nested = proto.services.len() > 1;
    let mut tree = ModTree::default();
    for service in &proto.services {
        let dir = if nested {
            vec![service.snake_name()]
        } else {
            Vec::new()
        };
        for method in &service.methods {
            let function = method.function();
            tree.insert(&dir, &function);
            let mut path = dir.clone();
            path.push(format!("{function}.rs"));
            let (contents, signature) = logic_rs(service, method, &types);
            plan.add(
                format!("src/logic/{}", path.join("/")),
                Owner::Scaffolded,
                contents,
            );
            plan.files.last_mut().expect("just added").signature = Some(signature);
        }
    }
    for (dir, mods) in &tree.0 {
        let doc = match dir.as_slice() {
            [] => "The business logic: one function per RPC method, called by `server.rs`."
                .to_string(),
            [service] => format!("Logic of the `{}` service.", service.to_upper_camel_case()),
            _ => unreachable!("logic is at most one directory deep"),
        };
        let mods: Vec<String> = mods.iter().map(|m| ident_text(m)).collect();
        plan.add(
            mod_path("src/logic", dir),
            Owner::ModIndex { mods: mods.clone() },
            render(&ModIndex {
                header: SCAFFOLDED_HEADER,
                doc: &doc,
                mods,
            }),
        );
    }
    Ok(plan.finish())
}

struct Versions {
    anyhow: &'static str,
    serde: &'static str,
    tokio: &'static str,
    tracing: &'static str,
    prost: &'static str,
    tonic: &'static str,
}

#[derive(Template)]
#[template(path = "rpc/Cargo.toml.askama", escape = "none")]
struct CargoToml<'a> {
    crate_name: &'a str,
    runtime: &'a str,
    v: Versions,
}

#[derive(Template)]
#[template(path = "rpc/config.yaml.askama", escape = "none")]
struct ConfigYaml<'a> {
    crate_name: &'a str,
}

#[derive(Template)]
#[template(path = "rpc/main.rs.askama", escape = "none")]
struct MainRs<'a> {
    header: &'a str,
    crate_name: &'a str,
    lib: &'a str,
    config_file: &'a str,
}

#[derive(Template)]
#[template(path = "rpc/config.rs.askama", escape = "none")]
struct ConfigRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "rpc/logic.rs.askama", escape = "none")]
struct LogicRs<'a> {
    header: &'a str,
    rpc: String,
    doc: &'a [String],
    imports: Vec<String>,
    signature: String,
    uses: String,
    stub: String,
}

/// A protobuf message as Rust, where prost puts it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RustType {
    /// `google.protobuf.Empty` is `()`.
    Unit,
    /// Other well-known types: `::prost_types::Timestamp`.
    Extern(String),
    /// Under `crate::pb`: module path and name (`["shop", "v1", "order"]`, `Line`).
    Local(Vec<String>, String),
}

impl RustType {
    fn text(&self) -> String {
        match self {
            RustType::Unit => "()".into(),
            RustType::Extern(p) => p.clone(),
            RustType::Local(m, n) => format!("{}::{n}", pb_path(m)),
        }
    }

    fn tokens(&self) -> TokenStream {
        self.text().parse().expect("a Rust path")
    }

    /// The short name a file that imports it uses.
    fn short(&self) -> String {
        match self {
            RustType::Local(_, n) => n.clone(),
            other => other.text(),
        }
    }

    fn import(&self) -> Option<(String, String)> {
        match self {
            RustType::Local(m, n) => Some((pb_path(m), n.clone())),
            _ => None,
        }
    }

    fn default_value(&self) -> String {
        match self {
            RustType::Unit => "()".into(),
            other => format!("{}::default()", other.short()),
        }
    }
}

/// `crate::pb` and the module path `m` under it.
fn pb_path(m: &[String]) -> String {
    std::iter::once("crate::pb")
        .chain(m.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("::")
}

/// The protobuf packages of the compiled files, less the well-known types
/// (which are `prost-types`'), longest first.
fn own_packages(proto: &Proto) -> Vec<String> {
    let mut packages: Vec<String> = proto
        .fds
        .file
        .iter()
        .map(|f| f.package().to_string())
        .filter(|p| p != "google.protobuf")
        .collect();
    packages.sort_by_key(|p| std::cmp::Reverse(p.len()));
    packages.dedup();
    packages
}

/// The Rust module of protobuf `package` under `crate::pb`. When the files
/// have one package, as most services' do, its code is `crate::pb` itself:
/// `crate::pb::User`, not `crate::pb::pb::User`.
fn package_module(package: &str, flat: bool) -> Vec<String> {
    if flat {
        return Vec::new();
    }
    prost_build::Module::from_protobuf_package_name(package)
        .parts()
        .map(String::from)
        .collect()
}

/// Resolves fully qualified protobuf names against the compiled packages.
struct TypeMap {
    packages: Vec<String>,
    /// One package: its code is `crate::pb` itself.
    flat: bool,
}

impl TypeMap {
    fn new(proto: &Proto) -> Self {
        let packages = own_packages(proto);
        let flat = packages.len() == 1;
        TypeMap { packages, flat }
    }

    fn get(&self, full: &str) -> RustType {
        if full == ".google.protobuf.Empty" {
            return RustType::Unit;
        }
        if let Some(rest) = full.strip_prefix(".google.protobuf.") {
            return RustType::Extern(format!("::prost_types::{}", rest.to_upper_camel_case()));
        }
        let package = self
            .packages
            .iter()
            .find(|p| p.is_empty() || full.starts_with(&format!(".{p}.")))
            .cloned()
            .unwrap_or_default();
        let rest = &full[if package.is_empty() {
            1
        } else {
            package.len() + 2
        }..];
        let mut module = package_module(&package, self.flat && self.packages.contains(&package));
        let mut names: Vec<&str> = rest.split('.').collect();
        let name = names.pop().unwrap_or_default().to_upper_camel_case();
        // Nested messages live in a module named after their parent.
        module.extend(names.iter().map(|n| n.to_snake_case()));
        RustType::Local(module, name)
    }
}

/// The module path of a service's tonic code: `crate::pb::shop::v1`, or
/// `crate::pb` when the files have one package.
fn service_module(service: &Service, types: &TypeMap) -> TokenStream {
    let parts = package_module(&service.package, types.flat)
        .iter()
        .map(|p| ident(p))
        .collect::<Vec<_>>();
    quote!(crate::pb #(::#parts)*)
}

fn full_name(service: &Service) -> String {
    if service.package.is_empty() {
        service.name.clone()
    } else {
        format!("{}.{}", service.package, service.name)
    }
}

fn logic_path(proto: &Proto, service: &Service, method: &Method) -> TokenStream {
    let function = ident(&method.function());
    if proto.services.len() > 1 {
        let dir = ident(&service.snake_name());
        quote!(crate::logic::#dir::#function::#function)
    } else {
        quote!(crate::logic::#function::#function)
    }
}

fn server_rs(proto: &Proto, types: &TypeMap) -> String {
    let names: Vec<String> = proto.services.iter().map(full_name).collect();
    let mut services = proto.services.iter().map(|s| {
        let module = service_module(s, types);
        let server_mod = format_ident!("{}", s.server_module());
        let server = format_ident!("{}Server", s.rust_name());
        let name = format_ident!("{}", s.rust_name());
        quote!(#module::#server_mod::#server::new(#name { svc: svc.clone() }))
    });
    let first = services.next();
    let routes = quote!(Routes::new(#first) #(.add_service(#services))*);
    let impls = proto.services.iter().map(|s| {
        let module = service_module(s, types);
        let server_mod = format_ident!("{}", s.server_module());
        let name = format_ident!("{}", s.rust_name());
        let doc = format!(" `{}`: each call goes to its logic function.", full_name(s));
        let methods = s.methods.iter().map(|m| {
            let function = ident(&m.function());
            let input = types.get(&m.input).tokens();
            let output = types.get(&m.output).tokens();
            let input = if m.client_streaming { quote!(Streaming<#input>) } else { input };
            let logic = logic_path(proto, s, m);
            // An empty request (`google.protobuf.Empty`) is not passed on.
            let req = (m.client_streaming || types.get(&m.input) != RustType::Unit).then(|| quote!(, request.into_inner()));
            let call = quote! {
                let ctx = rpc::ctx(&request);
                #logic(&self.svc, &ctx #req)
                    .await
                    .map(Response::new)
                    .map_err(Status::from)
            };
            if m.server_streaming {
                let stream = format_ident!("{}Stream", m.name);
                quote! {
                    type #stream = BoxStream<#output>;
                    async fn #function(&self, request: Request<#input>) -> Result<Response<Self::#stream>, Status> { #call }
                }
            } else {
                quote! {
                    async fn #function(&self, request: Request<#input>) -> Result<Response<#output>, Status> { #call }
                }
            }
        });
        quote! {
            #[doc = #doc]
            pub struct #name {
                svc: ServiceContext,
            }

            #[tonic::async_trait]
            impl #module::#server_mod::#name for #name {
                #(#methods)*
            }
        }
    });
    let streaming = proto
        .services
        .iter()
        .flat_map(|s| &s.methods)
        .any(|m| m.server_streaming);
    let client_streaming = proto
        .services
        .iter()
        .flat_map(|s| &s.methods)
        .any(|m| m.client_streaming);
    let rpc_use = if streaming {
        quote!(
            use looklook_runtime::rpc::{self, BoxStream};
        )
    } else {
        quote!(
            use looklook_runtime::rpc;
        )
    };
    let tonic_use = if client_streaming {
        quote!(
            use tonic::{Request, Response, Status, Streaming};
        )
    } else {
        quote!(
            use tonic::{Request, Response, Status};
        )
    };
    rust_file(quote! {
        #![doc = " The gRPC servers: every method hands its request to its logic function"]
        #![doc = " and turns a business error into a status that keeps its code."]

        #rpc_use
        #tonic_use
        use tonic::service::Routes;

        use crate::svc::ServiceContext;

        /// The services this crate serves, as health checks name them.
        pub const SERVICES: &[&str] = &[#(#names),*];

        /// Every service of this crate, sharing one [`ServiceContext`].
        pub fn routes(svc: ServiceContext) -> Routes {
            #routes
        }

        /// Serve every service on a listener that is already bound until
        /// `shutdown` resolves: `main` without the signals, for tests and for
        /// running the service inside another program.
        pub async fn serve_on(
            svc: ServiceContext,
            listener: tokio::net::TcpListener,
            shutdown: impl std::future::Future<Output = ()> + Send,
        ) -> anyhow::Result<()> {
            let conf = svc.config.rpc.clone();
            rpc::serve_with_shutdown(
                &conf,
                listener,
                routes(svc),
                SERVICES,
                crate::pb::FILE_DESCRIPTOR_SET,
                shutdown,
            )
            .await
        }

        #(#impls)*
    })
}

fn client_rs(proto: &Proto, types: &TypeMap) -> String {
    let clients = proto.services.iter().map(|s| {
        let module = service_module(s, types);
        let client_mod = format_ident!("{}", s.client_module());
        let client = format_ident!("{}Client", s.rust_name());
        let doc = format!(" A client of `{}`; cheap to clone, safe to share.", full_name(s));
        let methods = s.methods.iter().filter(|m| !m.client_streaming && !m.server_streaming).map(|m| {
            let function = ident(&m.function());
            let input = types.get(&m.input).tokens();
            let output = types.get(&m.output).tokens();
            let doc = m.doc.iter().map(|d| format!(" {d}"));
            quote! {
                #(#[doc = #doc])*
                pub async fn #function(&self, ctx: &RequestCtx, req: #input) -> Result<#output> {
                    self.inner
                        .clone()
                        .#function(rpc::request(ctx, req))
                        .await
                        .map(Response::into_inner)
                        .map_err(Error::from_status)
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[derive(Clone)]
            pub struct #client {
                inner: #module::#client_mod::#client<rpc::Client>,
            }

            impl #client {
                /// Connects lazily, on the first call: a service may start
                /// before the services it calls. Every call carries the
                /// service's caller key from `conf`.
                pub fn new(conf: &RpcClientConf) -> Result<Self> {
                    Ok(#client {
                        inner: #module::#client_mod::#client::new(rpc::client(conf)?),
                    })
                }

                /// The tonic client underneath, for streaming calls.
                pub fn raw(&self) -> #module::#client_mod::#client<rpc::Client> {
                    self.inner.clone()
                }

                #(#methods)*
            }
        }
    });
    rust_file(quote! {
        #![doc = " Typed clients for other services: endpoints and deadline from config,"]
        #![doc = " calls balanced over several endpoints, business errors returned as the"]
        #![doc = " same `looklook_runtime::Error` the server raised."]

        use looklook_runtime::ctx::RequestCtx;
        use looklook_runtime::rpc::{self, RpcClientConf};
        use looklook_runtime::{Error, Result};
        use tonic::Response;

        #(#clients)*
    })
}

fn logic_rs(service: &Service, method: &Method, types: &TypeMap) -> (String, Signature) {
    let input = types.get(&method.input);
    let output = types.get(&method.output);
    let mut runtime = vec![
        "looklook_runtime::Result".to_string(),
        "looklook_runtime::ctx::RequestCtx".to_string(),
    ];
    let mut streaming: Vec<&str> = Vec::new();
    if method.server_streaming {
        streaming.push("BoxStream");
    }
    if method.client_streaming {
        streaming.push("Streaming");
    }
    match streaming.as_slice() {
        [] => {}
        [one] => runtime.push(format!("looklook_runtime::rpc::{one}")),
        many => runtime.push(format!("looklook_runtime::rpc::{{{}}}", many.join(", "))),
    }
    // `use` lines grouped by module, in rustfmt's order.
    let mut by_module: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in [&input, &output] {
        if let Some((m, n)) = t.import() {
            by_module.entry(m).or_default().insert(n);
        }
    }
    let mut local: Vec<String> = by_module
        .into_iter()
        .map(|(m, names)| match names.len() {
            1 => format!("{m}::{}", names.into_iter().next().expect("one")),
            _ => format!(
                "{m}::{{{}}}",
                names.into_iter().collect::<Vec<_>>().join(", ")
            ),
        })
        .collect();
    local.push("crate::svc::ServiceContext".to_string());
    local.sort();
    let mut imports = runtime;
    imports.push(String::new());
    imports.extend(local);

    let input_ty = if method.client_streaming {
        format!("Streaming<{}>", input.short())
    } else {
        input.short()
    };
    let out = if method.server_streaming {
        format!("BoxStream<{}>", output.short())
    } else {
        output.short()
    };
    let stub = if method.server_streaming {
        "looklook_runtime::rpc::empty_stream()".to_string()
    } else {
        output.default_value()
    };
    let function = ident_text(&method.function());
    let takes_req = method.client_streaming || input != RustType::Unit;
    let mut params = vec![
        "svc: &ServiceContext".to_string(),
        "ctx: &RequestCtx".to_string(),
    ];
    let mut inputs = vec!["&ServiceContext".to_string(), "&RequestCtx".to_string()];
    if takes_req {
        params.push(format!("req: {input_ty}"));
        inputs.push(input_ty.clone());
    }
    let signature = layout_fn(
        &format!("pub async fn {function}"),
        &params,
        &format!("Result<{out}>"),
    );
    let contents = render(&LogicRs {
        header: SCAFFOLDED_HEADER,
        rpc: format!("{}/{}", full_name(service), method.name),
        doc: &method.doc,
        imports,
        signature,
        uses: if takes_req {
            "let _ = (svc, ctx, req);"
        } else {
            "let _ = (svc, ctx);"
        }
        .to_string(),
        stub,
    });
    let sig = Signature {
        function: function.clone(),
        inputs,
        output: format!("Result<{out}>"),
    };
    (contents, sig)
}

/// `src/pb/mod.rs` and one `src/pb/<package>.rs` per protobuf package. The
/// well-known types come from `prost-types`, as prost expects.
pub fn pb_plan(proto: &Proto) -> std::io::Result<FilePlan> {
    let mut config = prost_build::Config::new();
    config.service_generator(
        tonic_prost_build::configure()
            .build_transport(true)
            .service_generator(),
    );
    // prost needs every message (to see which can derive `Eq`, say), the
    // well-known types too, but their code is `prost-types`', not ours.
    let requests = proto
        .fds
        .file
        .iter()
        .map(|f| {
            (
                prost_build::Module::from_protobuf_package_name(f.package()),
                f.clone(),
            )
        })
        .collect();
    let mut modules = config.generate(requests)?;
    modules.retain(|m, _| m.parts().collect::<Vec<_>>() != ["google", "protobuf"]);
    let flat = modules.len() == 1;

    let mut plan = FilePlan::default();
    let mut tree = ModNode::default();
    for (module, code) in modules {
        let parts: Vec<String> = module.parts().map(String::from).collect();
        let file = format!(
            "{}.rs",
            if parts.is_empty() {
                "_".to_string()
            } else {
                parts.join(".")
            }
        );
        // One package: its code is `crate::pb` itself.
        tree.insert(if flat { &[] } else { &parts }, &file);
        plan.add(
            format!("src/pb/{file}"),
            Owner::Generated,
            format!("{GENERATED_HEADER}\n{code}"),
        );
    }
    let descriptor = proc_macro2::Literal::byte_string(&proto.fds.encode_to_vec());
    let modules = tree.tokens();
    plan.add(
        "src/pb/mod.rs",
        Owner::Generated,
        rust_file(quote! {
            #![doc = " Messages, clients and servers generated by prost and tonic from the `.proto` files:"]
            #![doc = " here when they have one protobuf package, else one module per package."]
            #![allow(clippy::all, clippy::pedantic)]

            #modules

            /// Every file compiled, encoded: gRPC server reflection serves it.
            pub const FILE_DESCRIPTOR_SET: &[u8] = #descriptor;
        }),
    );
    Ok(plan.finish())
}

/// Package modules nest: `shop.v1` is `pub mod shop { pub mod v1 { ... } }`.
#[derive(Default)]
struct ModNode {
    file: Option<String>,
    children: BTreeMap<String, ModNode>,
}

impl ModNode {
    fn insert(&mut self, parts: &[String], file: &str) {
        match parts.split_first() {
            None => self.file = Some(file.to_string()),
            Some((first, rest)) => self
                .children
                .entry(first.clone())
                .or_default()
                .insert(rest, file),
        }
    }

    fn tokens(&self) -> proc_macro2::TokenStream {
        let include = self.file.as_ref().map(|f| quote!(include!(#f);));
        let children = self.children.iter().map(|(name, node)| {
            let name = ident(name);
            let inner = node.tokens();
            quote!(pub mod #name { #inner })
        });
        quote!(#include #(#children)*)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_package_is_pb_itself() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/looklook/order/order.proto");
        let proto = crate::proto::compile(&path, &[]).unwrap();
        let plan = pb_plan(&proto).unwrap();
        let mod_rs = &plan.get("src/pb/mod.rs").unwrap().contents;
        assert!(mod_rs.contains("\ninclude!(\"pb.rs\");"), "{mod_rs}");
        assert!(!mod_rs.contains("pub mod pb"), "{mod_rs}");
        let types = TypeMap::new(&proto);
        assert_eq!(
            types.get(".pb.HomestayOrder").text(),
            "crate::pb::HomestayOrder"
        );
        let server = server_rs(&proto, &types);
        assert!(
            server.contains("crate::pb::order_server::OrderServer::new"),
            "{server}"
        );
        assert!(!server.contains("pb::pb"), "{server}");
    }

    #[test]
    fn one_file_per_package_nested_in_pb() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/sample/proto/shop.proto");
        let proto = crate::proto::compile(&path, &[]).unwrap();
        let plan = pb_plan(&proto).unwrap();
        let paths: Vec<_> = plan
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            ["src/pb/common.rs", "src/pb/mod.rs", "src/pb/shop.v1.rs"]
        );
        let mod_rs = &plan.get("src/pb/mod.rs").unwrap().contents;
        assert!(
            mod_rs.contains("pub mod shop {\n    pub mod v1 {\n        include!(\"shop.v1.rs\");"),
            "{mod_rs}"
        );
        let shop = &plan.get("src/pb/shop.v1.rs").unwrap().contents;
        for needle in [
            "pub mod order_service_server",
            "pub mod order_service_client",
            "pub mod health_probe_server",
            "::prost_types::Timestamp",
            "pub enum Payment",
            "super::super::common::Money",
        ] {
            assert!(shop.contains(needle), "{needle} in the generated code");
        }
    }
}
