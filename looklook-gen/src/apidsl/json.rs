//! The checked definition as JSON: what `looklook api json` prints and what
//! a plugin reads on its standard input. It is a contract with code outside
//! this repository, so it is its own set of types rather than [`Spec`]'s
//! serialisation: the generators' model may change, this may not. A change
//! that could break a reader bumps [`VERSION`]; docs/PLUGINS.md describes
//! every field.

use std::collections::BTreeMap;

use serde::Serialize;

use super::spec::{self, Source, Spec, Ty};

/// The schema's version, the document's `version` field.
pub const VERSION: u32 = 1;

/// The document, borrowed from a checked [`Spec`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<'a> {
    pub version: u32,
    /// The service name without `-api`.
    pub service: &'a str,
    /// The `info (...)` block.
    pub info: BTreeMap<&'a str, &'a str>,
    /// Every type, sorted by name.
    pub types: Vec<TypeDef<'a>>,
    /// Every `@server` group with its routes.
    pub groups: Vec<Group<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeDef<'a> {
    pub name: &'a str,
    pub doc: &'a [String],
    pub fields: Vec<Field<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field<'a> {
    /// As written in the `.api` file (`UserId`).
    pub name: &'a str,
    #[serde(rename = "type")]
    pub ty: Type<'a>,
    /// An embedded struct: its fields belong to this one.
    pub embedded: bool,
    /// `json`, `form`, `path` or `header`: where a request reads it.
    pub source: &'static str,
    /// Its name there (`userId`, `X-Token`).
    pub key: &'a str,
    pub optional: bool,
    pub omitempty: bool,
    pub default: Option<&'a str>,
    /// `options=a|b`: the allowed values.
    pub options: &'a [String],
    pub range: Option<Range>,
    pub doc: &'a [String],
}

/// `range=[1:10)`: an absent bound is open.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    pub min: Option<f64>,
    pub min_inclusive: bool,
    pub max: Option<f64>,
    pub max_inclusive: bool,
}

/// A field's type as a tree, tagged by `kind`.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Type<'a> {
    Bool,
    Int {
        bits: u8,
        signed: bool,
    },
    Float {
        bits: u8,
    },
    String,
    /// `interface{}`: any JSON value.
    Any,
    /// A type of the document's `types`.
    Named {
        name: &'a str,
    },
    Pointer {
        elem: Box<Type<'a>>,
    },
    Slice {
        elem: Box<Type<'a>>,
    },
    Array {
        len: u64,
        elem: Box<Type<'a>>,
    },
    Map {
        key: Box<Type<'a>>,
        value: Box<Type<'a>>,
    },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group<'a> {
    /// `group: admin/user`: the handler directory, empty for none.
    pub group: String,
    /// `prefix: /v1`, empty for none.
    pub prefix: &'a str,
    /// The config section of the JWT secret; `null` for public routes.
    pub jwt: Option<&'a str>,
    pub middleware: &'a [String],
    pub timeout_ms: Option<u128>,
    pub max_bytes: Option<u64>,
    pub routes: Vec<Route<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route<'a> {
    pub handler: &'a str,
    /// Lower-case, as written: `get`, `post`.
    pub method: &'a str,
    /// As written, with `:name` parameters, without the group's prefix.
    pub path: &'a str,
    pub request: Option<&'a str>,
    pub response: Option<Response<'a>>,
    pub doc: &'a [String],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response<'a> {
    pub name: &'a str,
    /// `[]Name`: a list of them.
    pub slice: bool,
}

impl<'a> Document<'a> {
    pub fn new(spec: &'a Spec) -> Self {
        Document {
            version: VERSION,
            service: &spec.name,
            info: spec
                .info
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            types: spec.types.iter().map(type_def).collect(),
            groups: spec.groups.iter().map(group).collect(),
        }
    }

    /// Pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        // Every field is a plain string, number or list: nothing can fail.
        let mut out = serde_json::to_string_pretty(self).expect("the document serialises");
        out.push('\n');
        out
    }
}

fn type_def(t: &spec::TypeDef) -> TypeDef<'_> {
    TypeDef {
        name: &t.name,
        doc: &t.doc,
        fields: t.fields.iter().map(field).collect(),
    }
}

fn field(f: &spec::FieldDef) -> Field<'_> {
    Field {
        name: &f.name,
        ty: ty(&f.ty),
        embedded: f.embedded,
        source: match f.source {
            Source::Json => "json",
            Source::Form => "form",
            Source::Path => "path",
            Source::Header => "header",
        },
        key: &f.key,
        optional: f.opts.optional,
        omitempty: f.opts.omitempty,
        default: f.opts.default.as_deref(),
        options: &f.opts.options,
        range: f.opts.range.map(|r| Range {
            min: r.min,
            min_inclusive: r.min_inclusive,
            max: r.max,
            max_inclusive: r.max_inclusive,
        }),
        doc: &f.doc,
    }
}

fn ty(t: &Ty) -> Type<'_> {
    let boxed = |t| Box::new(ty(t));
    match t {
        Ty::Bool => Type::Bool,
        Ty::Int { bits, signed } => Type::Int {
            bits: *bits,
            signed: *signed,
        },
        Ty::Float { bits } => Type::Float { bits: *bits },
        Ty::String => Type::String,
        Ty::Json => Type::Any,
        Ty::Named(name) => Type::Named { name },
        Ty::Pointer(elem) => Type::Pointer { elem: boxed(elem) },
        Ty::Slice(elem) => Type::Slice { elem: boxed(elem) },
        Ty::Array(len, elem) => Type::Array {
            len: *len,
            elem: boxed(elem),
        },
        Ty::Map(key, value) => Type::Map {
            key: boxed(key),
            value: boxed(value),
        },
    }
}

fn group(g: &spec::Group) -> Group<'_> {
    Group {
        group: g.dir.join("/"),
        prefix: &g.prefix,
        jwt: g.jwt.as_deref(),
        middleware: &g.middleware,
        timeout_ms: g.timeout.map(|t| t.as_millis()),
        max_bytes: g.max_bytes,
        routes: g
            .routes
            .iter()
            .map(|r| Route {
                handler: &r.handler,
                method: &r.method,
                path: &r.path,
                request: r.request.as_deref(),
                response: r.response.as_ref().map(|r| Response {
                    name: &r.name,
                    slice: r.slice,
                }),
                doc: &r.doc,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_carries_every_part_of_the_definition() {
        let spec = crate::apidsl::spec_of(
            r#"syntax = "v1"
info (title: "shop")
type Base { Id int64 `path:"id"` }
type Req {
    Base
    // How many.
    Count *uint8 `form:"count,optional,range=[1:10)"`
    Tags map[string][]int `json:"tags"`
}
type Resp { Ok bool `json:"ok"` }
@server (prefix: /v1 group: shop/items jwt: Auth timeout: 2s)
service shop-api {
    @doc "Read an item."
    @handler itemRead
    get /item/:id (Req) returns ([]Resp)
}"#,
        );
        let json: serde_json::Value =
            serde_json::from_str(&Document::new(&spec).to_json()).unwrap();
        assert_eq!(json["version"], VERSION);
        assert_eq!(json["service"], "shop");
        assert_eq!(json["info"]["title"], "shop");
        let req = &json["types"][1];
        assert_eq!(req["name"], "Req");
        assert_eq!(req["fields"][0]["embedded"], true);
        let count = &req["fields"][1];
        assert_eq!(count["source"], "form");
        assert_eq!(count["optional"], true);
        assert_eq!(count["doc"][0], "How many.");
        assert_eq!(
            count["type"],
            serde_json::json!({"kind": "pointer", "elem": {"kind": "int", "bits": 8, "signed": false}})
        );
        assert_eq!(
            count["range"],
            serde_json::json!({"min": 1.0, "minInclusive": true, "max": 10.0, "maxInclusive": false})
        );
        assert_eq!(req["fields"][2]["type"]["value"]["elem"]["kind"], "int");
        let group = &json["groups"][0];
        assert_eq!(group["group"], "shop/items");
        assert_eq!(group["prefix"], "/v1");
        assert_eq!(group["jwt"], "Auth");
        assert_eq!(group["timeoutMs"], 2000);
        let route = &group["routes"][0];
        assert_eq!(route["handler"], "itemRead");
        assert_eq!(route["path"], "/item/:id");
        assert_eq!(
            route["response"],
            serde_json::json!({"name": "Resp", "slice": true})
        );
        assert_eq!(route["doc"][0], "Read an item.");
    }
}
