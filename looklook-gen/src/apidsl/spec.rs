//! The checked model of an API: every name resolved, every tag parsed,
//! everything sorted. Generators read only this.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The service name without its `-api` suffix: `user` for `user-api`.
    pub name: String,
    pub info: Vec<(String, String)>,
    /// Sorted by name; anonymous nested structs are given names of their own.
    pub types: Vec<TypeDef>,
    /// Sorted by group directory, then prefix.
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    pub name: String,
    pub doc: Vec<String>,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The name as written in the `.api` file (`UserId`).
    pub name: String,
    pub ty: Ty,
    /// `Base` or `*Base`: its fields are flattened into this struct.
    pub embedded: bool,
    /// Where a request binds this field from.
    pub source: Source,
    /// The field's name in that source (`userId`, `X-Token`, `id`).
    pub key: String,
    pub opts: TagOpts,
    pub doc: Vec<String>,
}

impl FieldDef {
    /// Whether the field is a Rust `Option`: a pointer, or optional with no
    /// default (absent is `None`). Every generator reads this one rule.
    pub fn is_option(&self) -> bool {
        matches!(self.ty, Ty::Pointer(_)) || (self.opts.optional && self.opts.default.is_none())
    }

    /// Whether the field is sent as `null` when empty: an `Option` that is
    /// not skipped (`omitempty`).
    pub fn sends_null(&self) -> bool {
        self.is_option() && !self.opts.omitempty
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Json,
    Form,
    Path,
    Header,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagOpts {
    pub optional: bool,
    pub omitempty: bool,
    pub default: Option<String>,
    pub options: Vec<String>,
    pub range: Option<RangeSpec>,
}

/// `range=[1:10)`: square brackets include the bound, parentheses exclude it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RangeSpec {
    pub min: Option<f64>,
    pub min_inclusive: bool,
    pub max: Option<f64>,
    pub max_inclusive: bool,
}

/// A field type, in the API language's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
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
    Json,
    Named(String),
    Pointer(Box<Ty>),
    Slice(Box<Ty>),
    Array(u64, Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
}

/// How a scalar is read from text (query, path, header) and validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Bool,
    Int,
    Uint,
    Float,
    String,
}

impl Ty {
    /// The scalar kind of this type, seeing through one pointer.
    pub fn scalar(&self) -> Option<Scalar> {
        match self {
            Ty::Bool => Some(Scalar::Bool),
            Ty::Int { signed: true, .. } => Some(Scalar::Int),
            Ty::Int { signed: false, .. } => Some(Scalar::Uint),
            Ty::Float { .. } => Some(Scalar::Float),
            Ty::String => Some(Scalar::String),
            Ty::Pointer(inner) => inner.scalar(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// `group: admin/user` → `["admin", "user"]`; empty for no group.
    pub dir: Vec<String>,
    /// `prefix: /v1`, cleaned; empty for none.
    pub prefix: String,
    /// The config section holding the JWT secret (`jwt: Auth`).
    pub jwt: Option<String>,
    pub middleware: Vec<String>,
    pub timeout: Option<Duration>,
    pub max_bytes: Option<u64>,
    /// Sorted by path, then method.
    pub routes: Vec<RouteDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteDef {
    pub handler: String,
    pub method: String,
    /// As written: `/user/:id`.
    pub path: String,
    pub request: Option<String>,
    pub response: Option<ResponseType>,
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseType {
    pub name: String,
    pub slice: bool,
}

impl Spec {
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.types[i])
    }

    /// A type's fields with embedded structs flattened, as a request binds them.
    pub fn flat_fields<'a>(&'a self, ty: &'a TypeDef) -> Vec<&'a FieldDef> {
        let mut out = Vec::new();
        for f in &ty.fields {
            match (&f.embedded, self.embedded_def(&f.ty)) {
                (true, Some(inner)) => out.extend(self.flat_fields(inner)),
                _ => out.push(f),
            }
        }
        out
    }

    pub fn embedded_def(&self, ty: &Ty) -> Option<&TypeDef> {
        match ty {
            Ty::Named(n) => self.type_def(n),
            Ty::Pointer(inner) => self.embedded_def(inner),
            _ => None,
        }
    }

    /// A route's request fields, embedded structs flattened; none without
    /// a request type.
    pub fn request_fields<'a>(&'a self, route: &RouteDef) -> Vec<&'a FieldDef> {
        route
            .request
            .as_deref()
            .and_then(|r| self.type_def(r))
            .map(|t| self.flat_fields(t))
            .unwrap_or_default()
    }

    /// Every route with its group, in output order.
    pub fn routes(&self) -> impl Iterator<Item = (&Group, &RouteDef)> {
        self.groups
            .iter()
            .flat_map(|g| g.routes.iter().map(move |r| (g, r)))
    }
}
