//! `.api` spec → a TypeScript client with no dependencies.
//!
//! Two files: `looklook.ts`, the part every service shares (transports for
//! `fetch` and `wx.request`, the envelope unwrapped, [`ApiError`]), and
//! `<service>.ts`: an interface per type and a class with one method per
//! route. The shapes follow the OpenAPI document's exactly (optional where
//! a field may be left out, `| null` where the service sends `null`), and
//! `Routes` lists each route's body and data types so a test can hold them
//! against any other generator's reading of that document.

use std::fmt::Write;

use super::openapi::is_required;
use super::{FilePlan, GENERATED_HEADER, Owner};
use crate::apidsl::spec::{FieldDef, Group, RouteDef, Source, Spec, Ty, TypeDef};
use crate::naming::{ToLowerCamelCase, ToUpperCamelCase};

/// Lines longer than this are broken, as prettier would.
const MAX_WIDTH: usize = 100;

/// The shared part's file name.
pub const RUNTIME_FILE: &str = "looklook.ts";

/// The client of one service: `looklook.ts` and `<service>.ts`.
pub fn generate(spec: &Spec) -> FilePlan {
    let mut plan = FilePlan::default();
    plan.add(RUNTIME_FILE, Owner::Generated, runtime());
    plan.add(format!("{}.ts", spec.name), Owner::Generated, service(spec));
    plan.finish()
}

fn runtime() -> String {
    format!(
        "{GENERATED_HEADER}\n{}",
        include_str!("typescript/looklook.ts")
    )
}

fn service(spec: &Spec) -> String {
    let mut out = String::new();
    let class = format!("{}Client", spec.name.to_upper_camel_case());
    let title = spec
        .info
        .iter()
        .find(|(k, _)| k == "desc")
        .map(|(_, v)| format!(": {v}"))
        .unwrap_or_default();
    let _ = writeln!(out, "{GENERATED_HEADER}");
    let intro: Vec<String> = super::wrap(&format!("The client of {}{title}", spec.name), 76)
        .into_iter()
        .map(|l| l.trim_start().to_string())
        .collect();
    out.push_str(&doc(&intro, ""));
    let _ = writeln!(out, "import {{ BaseClient }} from './looklook.js';\n");
    for t in &spec.types {
        out.push_str(&interface(spec, t));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "/** Every route of {}: one method each, answering the envelope's `data`. */",
        spec.name
    );
    let _ = writeln!(out, "export class {class} extends BaseClient {{");
    let mut first = true;
    for (group, route) in spec.routes() {
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(&method(spec, group, route));
    }
    out.push_str("}\n\n");
    out.push_str(&routes(spec));
    out
}

fn interface(spec: &Spec, t: &TypeDef) -> String {
    let mut out = String::new();
    out.push_str(&doc(&t.doc, ""));
    let fields = spec.flat_fields(t);
    if fields.is_empty() {
        // `{}` would take any value; this takes only an empty object.
        let _ = writeln!(out, "export type {} = Record<string, never>;", t.name);
        return out;
    }
    let _ = writeln!(out, "export interface {} {{", t.name);
    for f in fields {
        out.push_str(&doc(&f.doc, "  "));
        let _ = writeln!(out, "  {};", member(f));
    }
    out.push_str("}\n");
    out
}

/// `name?: string | null`, as the OpenAPI document describes the field.
fn member(f: &FieldDef) -> String {
    let optional = if is_required(f) { "" } else { "?" };
    let mut ty = if f.opts.options.is_empty() {
        ts_type(&f.ty)
    } else {
        f.opts
            .options
            .iter()
            .map(|o| match f.ty.scalar() {
                Some(crate::apidsl::spec::Scalar::String) | None => format!("'{}'", escape(o)),
                _ => o.clone(),
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    if f.sends_null() {
        ty = format!("{ty} | null");
    }
    format!("{}{optional}: {ty}", property(&f.key))
}

fn ts_type(ty: &Ty) -> String {
    match ty {
        Ty::Bool => "boolean".into(),
        Ty::Int { .. } | Ty::Float { .. } => "number".into(),
        Ty::String => "string".into(),
        Ty::Json => "unknown".into(),
        Ty::Named(n) => n.clone(),
        Ty::Pointer(inner) => ts_type(inner),
        Ty::Slice(inner) | Ty::Array(_, inner) => match **inner {
            Ty::Pointer(_) | Ty::Map(..) => format!("({})[]", ts_type(inner)),
            _ => format!("{}[]", ts_type(inner)),
        },
        Ty::Map(_, v) => format!("Record<string, {}>", ts_type(v)),
    }
}

/// A property name, quoted unless it is a plain identifier.
fn property(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        key.to_string()
    } else {
        format!("'{}'", escape(key))
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

fn doc(lines: &[String], indent: &str) -> String {
    match lines {
        [] => String::new(),
        [one] => format!("{indent}/** {} */\n", one.replace("*/", "* /")),
        many => {
            let mut out = format!("{indent}/**\n");
            for l in many {
                let _ = writeln!(out, "{indent} * {}", l.replace("*/", "* /"));
            }
            let _ = writeln!(out, "{indent} */");
            out
        }
    }
}

/// The path with `${...}` for its parameters: `/user/:id` → `/user/${id}`.
fn path_template(group: &Group, route: &RouteDef) -> (String, bool) {
    let path = super::api::axum_path(&group.prefix, &route.path);
    let mut out = String::new();
    let mut templated = false;
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                templated = true;
                let _ = write!(
                    out,
                    "${{encodeURIComponent(String(req[{}]))}}",
                    quoted(name)
                );
            }
            None => out.push_str(seg),
        }
    }
    (out, templated)
}

fn quoted(s: &str) -> String {
    format!("'{}'", escape(s))
}

fn method(spec: &Spec, group: &Group, route: &RouteDef) -> String {
    let name = route.handler.to_lower_camel_case();
    let fields = spec.request_fields(route);
    let data = data_type(route);
    let mut out = String::new();
    let mut docs = route.doc.clone();
    docs.push(format!(
        "`{} {}`{}",
        route.method.to_uppercase(),
        super::api::axum_path(&group.prefix, &route.path),
        if group.jwt.is_some() {
            ": needs the token (`setToken`)"
        } else {
            ""
        }
    ));
    out.push_str(&doc(&docs, "  "));
    let param = match &route.request {
        Some(r) => format!("req: {r}"),
        None => String::new(),
    };
    let signature = format!("  {name}({param}): Promise<{data}> {{");
    if signature.len() <= MAX_WIDTH || param.is_empty() {
        let _ = writeln!(out, "{signature}");
    } else {
        let _ = writeln!(out, "  {name}(\n    {param},\n  ): Promise<{data}> {{");
    }
    let (path, templated) = path_template(group, route);
    let path = if templated {
        format!("`{path}`")
    } else {
        quoted(&path)
    };
    let pick = |source: Source| {
        let keys: Vec<String> = fields
            .iter()
            .filter(|f| f.source == source)
            .map(|f| format!("{}: req[{}]", property(&f.key), quoted(&f.key)))
            .collect();
        if keys.is_empty() {
            "{}".to_string()
        } else {
            format!("{{ {} }}", keys.join(", "))
        }
    };
    let body = match json_body(route, &fields) {
        Body::None => "undefined".to_string(),
        // Every field goes in the body: send the request as it is.
        Body::Whole(_) => "req".to_string(),
        Body::Fields(_) => pick(Source::Json),
    };
    let args = [
        format!("'{}'", route.method.to_uppercase()),
        path,
        pick(Source::Form),
        pick(Source::Header),
        body,
    ];
    let line = format!("    return this.call<{data}>({});", args.join(", "));
    if line.len() <= MAX_WIDTH {
        let _ = writeln!(out, "{line}");
    } else {
        // One argument a line, as prettier lays out a call too long for one.
        let _ = writeln!(out, "    return this.call<{data}>(");
        for arg in args {
            let _ = writeln!(out, "      {arg},");
        }
        out.push_str("    );\n");
    }
    out.push_str("  }\n");
    out
}

fn data_type(route: &RouteDef) -> String {
    match &route.response {
        Some(r) if r.slice => format!("{}[]", r.name),
        Some(r) => r.name.clone(),
        None => "null".into(),
    }
}

/// What a route sends as its JSON body.
enum Body<'a> {
    /// No request, or no `json` field in it.
    None,
    /// The whole request type: every field is a `json` one.
    Whole(&'a str),
    /// Some of its fields; the rest go in the path, query or headers.
    Fields(Vec<&'a FieldDef>),
}

fn json_body<'a>(route: &'a RouteDef, fields: &[&'a FieldDef]) -> Body<'a> {
    let json: Vec<&FieldDef> = fields
        .iter()
        .copied()
        .filter(|f| f.source == Source::Json)
        .collect();
    match &route.request {
        Some(name) if json.len() == fields.len() => Body::Whole(name),
        Some(_) if !json.is_empty() => Body::Fields(json),
        _ => Body::None,
    }
}

/// `Routes`: each route's method, OpenAPI path, JSON body and data types.
fn routes(spec: &Spec) -> String {
    let mut out = String::from(
        "/**\n * Each route's method and path as the OpenAPI document has them, its JSON\n * body and its data: what a test holds against other generators.\n */\nexport interface Routes {\n",
    );
    for (group, route) in spec.routes() {
        let fields = spec.request_fields(route);
        let body = match json_body(route, &fields) {
            Body::Whole(name) => name.to_string(),
            Body::Fields(json) => format!(
                "{{ {} }}",
                json.iter()
                    .map(|f| member(f))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Body::None => "never".into(),
        };
        let _ = writeln!(
            out,
            "  {}: {{\n    method: '{}';\n    path: {};\n    body: {body};\n    data: {};\n  }};",
            route.handler.to_lower_camel_case(),
            route.method.to_lowercase(),
            quoted(&super::api::axum_path(&group.prefix, &route.path)),
            data_type(route),
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_become_methods() {
        let spec = crate::apidsl::spec_of(
            "type Req { Id int64 `path:\"id\"`\n Page int64 `form:\"page,optional\"`\n Name string `json:\"name\"` }\n\
             type Resp { Kind string `json:\"kind,options=a|b\"`\n Note *string `json:\"note\"` }\n\
             service t-api {\n @handler getThing\n post /thing/:id (Req) returns (Resp)\n}\n",
        );
        let plan = generate(&spec);
        let ts = &plan.get("t.ts").unwrap().contents;
        assert!(ts.starts_with(GENERATED_HEADER));
        assert!(
            ts.contains("  kind: 'a' | 'b';\n  note?: string | null;\n"),
            "{ts}"
        );
        assert!(
            ts.contains(
                "    return this.call<Resp>(\n      'POST',\n      `/thing/${encodeURIComponent(String(req['id']))}`,\n      { page: req['page'] },\n      {},\n      { name: req['name'] },\n    );\n"
            ),
            "{ts}"
        );
        assert!(
            ts.contains(
                "  getThing: {\n    method: 'post';\n    path: '/thing/{id}';\n    body: { name: string };\n    data: Resp;\n  };"
            ),
            "{ts}"
        );
    }
}
