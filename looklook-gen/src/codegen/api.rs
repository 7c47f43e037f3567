//! `.api` spec → an axum service crate.
//!
//! Generated (rewritten every run): `src/types.rs`, `src/routes.rs`,
//! `src/handler/**`. Scaffolded (the user's): `Cargo.toml`, `etc/*.yaml`,
//! `src/{main,config,svc}.rs`, `src/logic/**`, `src/middleware/**`.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::layout::{ModIndex, ModTree, SvcRs, layout_fn, mod_path, render};
use super::{
    CrateOptions, FilePlan, Owner, SCAFFOLDED_HEADER, Signature, ident, ident_text, rust_file,
};
use crate::apidsl::spec::{FieldDef, Group, RouteDef, Scalar, Source, Spec, Ty, TypeDef};
use crate::naming::{snake_case, strip_handler_suffix};
use crate::versions;

/// The names one route's files and functions use.
struct RouteNames {
    /// `get_user`
    function: String,
    /// `["admin", "user"]`
    dir: Vec<String>,
}

impl RouteNames {
    fn of(group: &Group, route: &RouteDef) -> Self {
        RouteNames {
            function: snake_case(strip_handler_suffix(&route.handler)),
            dir: group.dir.clone(),
        }
    }

    /// `admin/user/get_user.rs`
    fn file(&self) -> String {
        let mut parts = self.dir.clone();
        parts.push(format!("{}.rs", self.function));
        parts.join("/")
    }

    /// `<root>::admin::user::get_user::get_user`: the function in its module.
    fn function_path(&self, root: TokenStream) -> TokenStream {
        let segs = self
            .dir
            .iter()
            .chain([&self.function, &self.function])
            .map(|s| ident(s));
        quote!(#root #(::#segs)*)
    }
}

pub fn generate(spec: &Spec, opts: &CrateOptions) -> FilePlan {
    let mut plan = FilePlan::default();
    let crate_name = format!("{}-api", spec.name);
    let jwt_sections: BTreeSet<&str> = spec
        .groups
        .iter()
        .filter_map(|g| g.jwt.as_deref())
        .collect();
    let middleware: BTreeSet<&str> = spec
        .groups
        .iter()
        .flat_map(|g| g.middleware.iter().map(String::as_str))
        .collect();

    // Scaffolded once.
    let config_file = format!("etc/{}.yaml", spec.name);
    let runtime = opts.runtime.toml(&[]);
    plan.add(
        "Cargo.toml",
        Owner::Scaffolded,
        render(&CargoToml {
            crate_name: &crate_name,
            runtime: &runtime,
            v: Versions::current(),
        }),
    );
    plan.add(
        &config_file,
        Owner::Scaffolded,
        render(&ConfigYaml {
            crate_name: &crate_name,
            jwt: jwt_sections.iter().copied().collect(),
        }),
    );
    // Yours, but a middleware named later needs its module declared: the
    // writer adds the `mod` lines main.rs lacks.
    let main_mods = [
        "config",
        "handler",
        "logic",
        "middleware",
        "routes",
        "svc",
        "types",
    ]
    .into_iter()
    .filter(|m| *m != "middleware" || !middleware.is_empty())
    .map(String::from)
    .collect();
    plan.add(
        "src/main.rs",
        Owner::ModIndex { mods: main_mods },
        render(&MainRs {
            header: SCAFFOLDED_HEADER,
            crate_name: &crate_name,
            config_file: &config_file,
            has_middleware: !middleware.is_empty(),
        }),
    );
    plan.add(
        "src/config.rs",
        Owner::Scaffolded,
        render(&ConfigRs {
            header: SCAFFOLDED_HEADER,
            jwt: jwt_sections
                .iter()
                .map(|s| (snake_case(s), s.to_string()))
                .collect(),
        }),
    );
    plan.add(
        "src/svc.rs",
        Owner::Scaffolded,
        render(&SvcRs {
            header: SCAFFOLDED_HEADER,
        }),
    );

    // Generated every run.
    plan.add("src/types.rs", Owner::Generated, types_rs(spec));
    plan.add("src/routes.rs", Owner::Generated, routes_rs(spec));

    let mut handler_tree = ModTree::default();
    let mut logic_tree = ModTree::default();
    for (group, route) in spec.routes() {
        let names = RouteNames::of(group, route);
        handler_tree.insert(&names.dir, &names.function);
        logic_tree.insert(&names.dir, &names.function);
        plan.add(
            format!("src/handler/{}", names.file()),
            Owner::Generated,
            handler_rs(route, &names),
        );
        let (contents, signature) = logic_rs(route, &names);
        let path = format!("src/logic/{}", names.file());
        plan.add(&path, Owner::Scaffolded, contents);
        plan.files.last_mut().expect("just added").signature = Some(signature);
    }
    for (dir, mods) in &handler_tree.0 {
        let path = mod_path("src/handler", dir);
        plan.add(path, Owner::Generated, handler_mod_rs(dir, mods));
    }
    for (dir, mods) in &logic_tree.0 {
        let doc = if dir.is_empty() {
            "The business logic: one function per route, called by its handler.".to_string()
        } else {
            format!("Logic of the `{}` group.", dir.join("/"))
        };
        let mods: Vec<String> = mods.iter().cloned().collect();
        let contents = render(&ModIndex {
            header: SCAFFOLDED_HEADER,
            doc: &doc,
            mods: mods.iter().map(|m| ident_text(m)).collect(),
        });
        plan.add(
            mod_path("src/logic", dir),
            Owner::ModIndex {
                mods: mods.iter().map(|m| ident_text(m)).collect(),
            },
            contents,
        );
    }
    if !middleware.is_empty() {
        let mods: Vec<String> = middleware
            .iter()
            .map(|m| ident_text(&snake_case(m)))
            .collect();
        let doc = "Middleware named by `@server(middleware: ...)`, one file each.";
        plan.add(
            "src/middleware/mod.rs",
            Owner::ModIndex { mods: mods.clone() },
            render(&ModIndex {
                header: SCAFFOLDED_HEADER,
                doc,
                mods,
            }),
        );
        for m in &middleware {
            let f = snake_case(m);
            plan.add(
                format!("src/middleware/{f}.rs"),
                Owner::Scaffolded,
                render(&MiddlewareRs {
                    header: SCAFFOLDED_HEADER,
                    name: m,
                    signature: layout_fn(
                        &format!("pub async fn {}", ident_text(&f)),
                        &[
                            "State(svc): State<ServiceContext>".into(),
                            "req: Request".into(),
                            "next: Next".into(),
                        ],
                        "Response",
                    ),
                }),
            );
        }
    }
    plan.finish()
}

// ---- templates ------------------------------------------------------------

struct Versions {
    axum: &'static str,
    serde: &'static str,
    serde_json: &'static str,
    tokio: &'static str,
    tower_http: &'static str,
    tracing: &'static str,
    anyhow: &'static str,
}

impl Versions {
    fn current() -> Self {
        Versions {
            axum: versions::AXUM,
            serde: versions::SERDE,
            serde_json: versions::SERDE_JSON,
            tokio: versions::TOKIO,
            tower_http: versions::TOWER_HTTP,
            tracing: versions::TRACING,
            anyhow: versions::ANYHOW,
        }
    }
}

#[derive(Template)]
#[template(path = "api/Cargo.toml.askama", escape = "none")]
struct CargoToml<'a> {
    crate_name: &'a str,
    runtime: &'a str,
    v: Versions,
}

#[derive(Template)]
#[template(path = "api/config.yaml.askama", escape = "none")]
struct ConfigYaml<'a> {
    crate_name: &'a str,
    jwt: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "api/main.rs.askama", escape = "none")]
struct MainRs<'a> {
    header: &'a str,
    crate_name: &'a str,
    config_file: &'a str,
    has_middleware: bool,
}

#[derive(Template)]
#[template(path = "api/config.rs.askama", escape = "none")]
struct ConfigRs<'a> {
    header: &'a str,
    /// (field, YAML section)
    jwt: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api/middleware.rs.askama", escape = "none")]
struct MiddlewareRs<'a> {
    header: &'a str,
    name: &'a str,
    signature: String,
}

#[derive(Template)]
#[template(path = "api/logic.rs.askama", escape = "none")]
struct LogicRs<'a> {
    header: &'a str,
    method: String,
    path: &'a str,
    doc: Vec<String>,
    imports: Vec<String>,
    signature: String,
    stub: String,
    uses: String,
}

// ---- types.rs -------------------------------------------------------------

fn types_rs(spec: &Spec) -> String {
    let requests: BTreeSet<&str> = spec
        .routes()
        .filter_map(|(_, r)| r.request.as_deref())
        .collect();
    let items = spec.types.iter().map(|t| {
        let def = struct_def(t);
        let bind = requests
            .contains(t.name.as_str())
            .then(|| bind_impl(spec, t));
        quote!(#def #bind)
    });
    let uses_map = spec
        .types
        .iter()
        .flat_map(|t| &t.fields)
        .any(|f| mentions_map(&f.ty));
    let map_use = uses_map.then(|| {
        quote!(
            use std::collections::BTreeMap;
        )
    });
    // `Range` only where some request field is range-checked: an unused
    // import would fail clippy in the generated crate.
    let uses_range = spec
        .types
        .iter()
        .filter(|t| requests.contains(t.name.as_str()))
        .flat_map(|t| spec.flat_fields(t))
        .any(|f| f.opts.range.is_some());
    let range_use = uses_range.then(|| quote!(, Range));
    let bind_use = (!requests.is_empty()).then(|| {
        quote!(
            use looklook_runtime::http::{BindFields, Field, Kind #range_use};
        )
    });
    let tokens = quote! {
        #![doc = " Request and response types, from the `type` declarations of the `.api` file."]
        #![doc = ""]
        #![doc = " Request types also carry their binding table: where each field comes"]
        #![doc = " from (path, query, header, JSON body) and what is checked on the way in."]
        #![allow(clippy::derive_partial_eq_without_eq)]

        #map_use
        #bind_use
        use serde::{Deserialize, Serialize};

        #(#items)*
    };
    rust_file(tokens)
}

fn mentions_map(ty: &Ty) -> bool {
    match ty {
        Ty::Map(..) => true,
        Ty::Pointer(t) | Ty::Slice(t) | Ty::Array(_, t) => mentions_map(t),
        _ => false,
    }
}

fn struct_def(t: &TypeDef) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let docs = t.doc.iter().map(|d| {
        let d = format!(" {d}");
        quote!(#[doc = #d])
    });
    let fields = t.fields.iter().map(field_def);
    quote! {
        #(#docs)*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct #name {
            #(#fields)*
        }
    }
}

fn field_def(f: &FieldDef) -> TokenStream {
    let rust_name = snake_case(&f.name);
    let id = ident(&rust_name);
    let docs = f.doc.iter().map(|d| {
        let d = format!(" {d}");
        quote!(#[doc = #d])
    });
    if f.embedded {
        let ty = rust_type(&f.ty);
        return quote! {
            #(#docs)*
            #[serde(flatten)]
            pub #id: #ty,
        };
    }
    // Optional without a default: absent is `None`. A pointer is optional too.
    let is_option = f.is_option();
    let base = rust_type(&f.ty);
    let ty = if is_option && !matches!(f.ty, Ty::Pointer(_)) {
        quote!(Option<#base>)
    } else {
        base
    };
    let mut attrs = Vec::new();
    if f.key != rust_name.trim_start_matches("r#")
        || id.to_string().starts_with('_')
        || id.to_string().ends_with('_')
    {
        let key = &f.key;
        attrs.push(quote!(rename = #key));
    }
    if f.opts.omitempty {
        let skip = if is_option {
            "Option::is_none"
        } else {
            match &f.ty {
                Ty::Slice(_) => "Vec::is_empty",
                Ty::String => "String::is_empty",
                Ty::Map(..) => "BTreeMap::is_empty",
                _ => "looklook_runtime::is_default",
            }
        };
        attrs.push(quote!(skip_serializing_if = #skip));
    }
    let serde = (!attrs.is_empty()).then(|| quote!(#[serde(#(#attrs),*)]));
    quote! {
        #(#docs)*
        #serde
        pub #id: #ty,
    }
}

fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::Bool => quote!(bool),
        Ty::Int { bits, signed } => {
            let t = format_ident!("{}{bits}", if *signed { "i" } else { "u" });
            quote!(#t)
        }
        Ty::Float { bits } => {
            let t = format_ident!("f{bits}");
            quote!(#t)
        }
        Ty::String => quote!(String),
        Ty::Json => quote!(serde_json::Value),
        Ty::Named(n) => {
            let t = format_ident!("{n}");
            quote!(#t)
        }
        Ty::Pointer(t) => {
            let t = rust_type(t);
            quote!(Option<#t>)
        }
        Ty::Slice(t) => {
            let t = rust_type(t);
            quote!(Vec<#t>)
        }
        Ty::Array(n, t) => {
            let t = rust_type(t);
            let n = proc_macro2::Literal::u64_unsuffixed(*n);
            quote!([#t; #n])
        }
        Ty::Map(k, v) => {
            let (k, v) = (rust_type(k), rust_type(v));
            quote!(BTreeMap<#k, #v>)
        }
    }
}

fn bind_impl(spec: &Spec, t: &TypeDef) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let fields = spec.flat_fields(t).into_iter().map(|f| {
        let key = &f.key;
        let ctor = format_ident!(
            "{}",
            match f.source {
                Source::Json => "json",
                Source::Form => "form",
                Source::Path => "path",
                Source::Header => "header",
            }
        );
        let kind = format_ident!(
            "{}",
            match f.ty.scalar() {
                Some(Scalar::Bool) => "Bool",
                Some(Scalar::Int) => "Int",
                Some(Scalar::Uint) => "Uint",
                Some(Scalar::Float) => "Float",
                Some(Scalar::String) => "String",
                None => "Any",
            }
        );
        let mut chain = quote!(Field::#ctor(#key, Kind::#kind));
        if f.opts.optional || matches!(f.ty, Ty::Pointer(_)) {
            chain = quote!(#chain.optional());
        }
        if let Some(d) = &f.opts.default {
            chain = quote!(#chain.default(#d));
        }
        if !f.opts.options.is_empty() {
            let o = &f.opts.options;
            chain = quote!(#chain.options(&[#(#o),*]));
        }
        if let Some(r) = &f.opts.range {
            let mut range = quote!(Range::new());
            if let Some(min) = r.min {
                let min = proc_macro2::Literal::f64_unsuffixed(min);
                let m = format_ident!("{}", if r.min_inclusive { "ge" } else { "gt" });
                range = quote!(#range.#m(#min));
            }
            if let Some(max) = r.max {
                let max = proc_macro2::Literal::f64_unsuffixed(max);
                let m = format_ident!("{}", if r.max_inclusive { "le" } else { "lt" });
                range = quote!(#range.#m(#max));
            }
            chain = quote!(#chain.range(#range));
        }
        chain
    });
    let mut checks = Vec::new();
    rule_checks(spec, t, &quote!(self), &mut 0, &mut checks);
    let check = (!checks.is_empty()).then(|| {
        quote! {
            fn check(&self) -> looklook_runtime::Result<()> {
                #(#checks)*
                Ok(())
            }
        }
    });
    quote! {
        impl BindFields for #name {
            const FIELDS: &'static [Field] = &[#(#fields),*];

            #check
        }
    }
}

/// One `Self::FIELDS[i].check(&value)?;` per JSON field of `t` with
/// `options=` or `range=` on a scalar, `i` counting as `flat_fields` does;
/// fields of an embedded pointer are checked when it is there.
fn rule_checks(
    spec: &Spec,
    t: &TypeDef,
    base: &TokenStream,
    index: &mut usize,
    out: &mut Vec<TokenStream>,
) {
    for f in &t.fields {
        let id = ident(&snake_case(&f.name));
        if let (true, Some(inner)) = (f.embedded, spec.embedded_def(&f.ty)) {
            if matches!(f.ty, Ty::Pointer(_)) {
                let mut inner_checks = Vec::new();
                rule_checks(spec, inner, &quote!(embedded), index, &mut inner_checks);
                if !inner_checks.is_empty() {
                    out.push(quote!(if let Some(embedded) = &#base.#id { #(#inner_checks)* }));
                }
            } else {
                rule_checks(spec, inner, &quote!(#base.#id), index, out);
            }
            continue;
        }
        let ruled = !f.opts.options.is_empty() || f.opts.range.is_some();
        if ruled && f.source == Source::Json && f.ty.scalar().is_some() {
            let i = proc_macro2::Literal::usize_unsuffixed(*index);
            out.push(quote!(Self::FIELDS[#i].check(&#base.#id)?;));
        }
        *index += 1;
    }
}

// ---- routes.rs ------------------------------------------------------------

fn routes_rs(spec: &Spec) -> String {
    let mut fn_names: Vec<String> = Vec::new();
    let mut group_fns = Vec::new();
    let mut needs = Needs::default();
    for group in &spec.groups {
        if group.routes.is_empty() {
            continue;
        }
        let mut name = if group.dir.is_empty() {
            "routes".to_string()
        } else {
            group.dir.join("_")
        };
        while fn_names.contains(&name) {
            name.push_str("_more");
        }
        fn_names.push(name.clone());
        group_fns.push(group_fn(&name, group, &mut needs));
    }
    let merges = fn_names.iter().map(|n| {
        let f = ident(n);
        quote!(.merge(#f(&svc)))
    });
    let methods: Vec<_> = needs.methods.iter().map(|m| format_ident!("{m}")).collect();
    let mut uses = vec![
        quote!(
            use axum::Router;
        ),
        quote!(use axum::routing::{#(#methods),*};),
    ];
    if needs.middleware || needs.jwt {
        uses.push(quote!(
            use axum::middleware::from_fn_with_state;
        ));
    }
    if needs.body_limit {
        uses.push(quote!(
            use axum::extract::DefaultBodyLimit;
        ));
    }
    if needs.timeout {
        uses.push(quote!(
            use axum::http::StatusCode;
        ));
        uses.push(quote!(
            use std::time::Duration;
        ));
        uses.push(quote!(
            use tower_http::timeout::TimeoutLayer;
        ));
    }
    if needs.jwt {
        uses.push(quote!(
            use looklook_runtime::http::jwt::{self, JwtKey};
        ));
    }
    let doc = format!(
        " The routes of {}-api, one function per `@server` block.",
        spec.name
    );
    let tokens = quote! {
        #![doc = #doc]
        #(#uses)*

        use crate::handler;
        use crate::svc::ServiceContext;

        /// Every route of the service, sharing one [`ServiceContext`].
        pub fn router(svc: ServiceContext) -> Router {
            Router::new()
                #(#merges)*
                .with_state(svc)
        }

        #(#group_fns)*
    };
    rust_file(tokens)
}

#[derive(Default)]
struct Needs {
    methods: BTreeSet<String>,
    middleware: bool,
    jwt: bool,
    body_limit: bool,
    timeout: bool,
}

fn group_fn(name: &str, group: &Group, needs: &mut Needs) -> TokenStream {
    // Routes that share a path share one method router.
    let mut by_path: BTreeMap<String, Vec<TokenStream>> = BTreeMap::new();
    for route in &group.routes {
        let names = RouteNames::of(group, route);
        let handler = names.function_path(quote!(handler));
        let method = format_ident!("{}", route.method);
        let methods = by_path
            .entry(axum_path(&group.prefix, &route.path))
            .or_default();
        if methods.is_empty() {
            // The first method is a free function (`get(...)`), the rest chain.
            needs.methods.insert(route.method.clone());
        }
        methods.push(quote!(#method(#handler)));
    }
    let routes = by_path.into_iter().map(|(path, methods)| {
        let mut it = methods.into_iter();
        let first = it.next().expect("one method at least");
        quote!(.route(#path, #first #(.#it)*))
    });
    let mut layers = Vec::new();
    let mut doc = vec![match group.dir.is_empty() {
        true => " Routes without a group.".to_string(),
        false => format!(" The `{}` group.", group.dir.join("/")),
    }];
    // The last layer added runs first: middleware in reverse, JWT outermost.
    for m in group.middleware.iter().rev() {
        needs.middleware = true;
        let f = ident(&snake_case(m));
        layers
            .push(quote!(.route_layer(from_fn_with_state(svc.clone(), crate::middleware::#f::#f))));
    }
    if let Some(section) = &group.jwt {
        needs.jwt = true;
        let field = ident(&snake_case(section));
        layers.push(quote!(.route_layer(from_fn_with_state(JwtKey::new(&svc.config.#field.access_secret), jwt::require))));
        doc.push(format!(
            " Behind JWT: the secret is `{section}.AccessSecret` in the config."
        ));
    }
    if let Some(t) = group.timeout {
        needs.timeout = true;
        let ms = t.as_millis() as u64;
        let ms_lit = proc_macro2::Literal::u64_unsuffixed(ms);
        layers.push(quote!(.layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_millis(#ms_lit)))));
        doc.push(format!(" Requests time out after {ms} ms."));
    }
    if let Some(n) = group.max_bytes {
        needs.body_limit = true;
        let lit = proc_macro2::Literal::u64_unsuffixed(n);
        layers.push(quote!(.layer(DefaultBodyLimit::max(#lit))));
        doc.push(format!(" Request bodies are limited to {n} bytes."));
    }
    let f = ident(name);
    let svc_param = if group.middleware.is_empty() && group.jwt.is_none() {
        quote!(_svc)
    } else {
        quote!(svc)
    };
    quote! {
        #(#[doc = #doc])*
        fn #f(#svc_param: &ServiceContext) -> Router<ServiceContext> {
            Router::new()
                #(#routes)*
                #(#layers)*
        }
    }
}

/// `/v1` + `/user/:id` → `/v1/user/{id}` (axum's syntax).
pub(crate) fn axum_path(prefix: &str, path: &str) -> String {
    let joined = if path == "/" && !prefix.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}{path}")
    };
    joined
        .split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(p) => format!("{{{p}}}"),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

// ---- handlers -------------------------------------------------------------

fn handler_rs(route: &RouteDef, names: &RouteNames) -> String {
    let function = ident(&names.function);
    let logic = names.function_path(quote!(crate::logic));
    let module_doc = format!(
        " `{} {}`: bind the request, run the logic, answer in the envelope.",
        route.method.to_uppercase(),
        route.path
    );
    let docs = route.doc.iter().map(|d| format!(" {d}"));
    let mut types: Vec<&str> = Vec::new();
    let mut params = vec![
        quote!(State(svc): State<ServiceContext>),
        quote!(ctx: RequestCtx),
    ];
    let mut args = vec![quote!(&svc), quote!(&ctx)];
    let mut runtime = vec![quote!(ApiResult), quote!(Envelope)];
    if let Some(req) = &route.request {
        types.push(req);
        let t = format_ident!("{req}");
        params.push(quote!(Bind(req): Bind<#t>));
        args.push(quote!(req));
        runtime.insert(1, quote!(Bind));
    }
    let out = match &route.response {
        Some(r) => {
            types.push(&r.name);
            let t = format_ident!("{}", r.name);
            if r.slice { quote!(Vec<#t>) } else { quote!(#t) }
        }
        None => quote!(()),
    };
    types.sort();
    types.dedup();
    let type_idents = types.iter().map(|t| format_ident!("{t}"));
    let type_use = match types.len() {
        0 => quote!(),
        _ => quote!(use crate::types::{#(#type_idents),*};),
    };
    let tokens = quote! {
        #![doc = #module_doc]
        use axum::extract::State;
        use looklook_runtime::ctx::RequestCtx;
        use looklook_runtime::http::{#(#runtime),*};

        use crate::svc::ServiceContext;
        #type_use

        #(#[doc = #docs])*
        pub async fn #function(#(#params),*) -> ApiResult<#out> {
            #logic(#(#args),*).await.map(Envelope)
        }
    };
    rust_file(tokens)
}

fn handler_mod_rs(dir: &[String], mods: &BTreeSet<String>) -> String {
    let doc = if dir.is_empty() {
        " HTTP handlers: each binds its request, calls its logic and writes the response."
            .to_string()
    } else {
        format!(" Handlers of the `{}` group.", dir.join("/"))
    };
    let mods = mods.iter().map(|m| ident(m));
    rust_file(quote! {
        #![doc = #doc]
        #(pub mod #mods;)*
    })
}

// ---- logic ----------------------------------------------------------------

fn logic_rs(route: &RouteDef, names: &RouteNames) -> (String, Signature) {
    let mut imports = vec![
        "looklook_runtime::Result".to_string(),
        "looklook_runtime::ctx::RequestCtx".to_string(),
        String::new(),
        "crate::svc::ServiceContext".to_string(),
    ];
    let mut params = vec![
        ("svc", "&ServiceContext".to_string()),
        ("ctx", "&RequestCtx".to_string()),
    ];
    let mut types: Vec<&str> = Vec::new();
    if let Some(req) = &route.request {
        types.push(req);
        params.push(("req", req.clone()));
    }
    let (out, stub) = match &route.response {
        Some(r) if r.slice => (format!("Vec<{}>", r.name), "Vec::new()".to_string()),
        Some(r) => (r.name.clone(), format!("{}::default()", r.name)),
        None => ("()".to_string(), "()".to_string()),
    };
    if let Some(r) = &route.response {
        types.push(&r.name);
    }
    types.sort();
    types.dedup();
    match types.as_slice() {
        [] => {}
        [one] => imports.push(format!("crate::types::{one}")),
        many => imports.push(format!("crate::types::{{{}}}", many.join(", "))),
    }
    let function = ident_text(&names.function);
    let signature = layout_fn(
        &format!("pub async fn {function}"),
        &params
            .iter()
            .map(|(n, t)| format!("{n}: {t}"))
            .collect::<Vec<_>>(),
        &format!("Result<{out}>"),
    );
    let uses = format!(
        "let _ = ({});",
        params
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let contents = render(&LogicRs {
        header: SCAFFOLDED_HEADER,
        method: route.method.to_uppercase(),
        path: &route.path,
        doc: route.doc.clone(),
        imports,
        signature,
        stub,
        uses,
    });
    let sig = Signature {
        function: names.function.clone(),
        inputs: params.iter().map(|(_, t)| t.clone()).collect(),
        output: format!("Result<{out}>"),
    };
    (contents, sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule checks follow `flat_fields`' numbering through embedded
    /// structs, and reach an embedded pointer's fields only when it is there.
    #[test]
    fn rule_checks_count_fields_through_embedded_structs() {
        let spec = crate::apidsl::spec_of(
            r#"syntax = "v1"
type Page {
	Page int64 `json:"page,range=[1:]"`
}
type Extra {
	Kind string `json:"kind,options=a|b"`
}
type Req {
	Page
	Name string `json:"name"`
	*Extra
	Count int64 `json:"count,range=[0:9]"`
	Tags []string `json:"tags,optional"`
}
service s-api {
	@handler h
	post /h (Req)
}
"#,
        );
        let t = spec.type_def("Req").unwrap();
        let mut checks = Vec::new();
        rule_checks(&spec, t, &quote!(self), &mut 0, &mut checks);
        let text: Vec<String> = checks.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            text,
            [
                "Self :: FIELDS [0] . check (& self . page . page) ? ;",
                "if let Some (embedded) = & self . extra { Self :: FIELDS [2] . check (& embedded . kind) ? ; }",
                "Self :: FIELDS [3] . check (& self . count) ? ;",
            ]
        );
        let keys: Vec<&str> = spec.flat_fields(t).iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["page", "name", "kind", "count", "tags"]);
    }

    #[test]
    fn paths_use_axum_syntax() {
        assert_eq!(axum_path("/v1", "/user/:id"), "/v1/user/{id}");
        assert_eq!(axum_path("/v1", "/"), "/v1");
        assert_eq!(axum_path("", "/"), "/");
    }
}
