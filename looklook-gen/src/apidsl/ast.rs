//! The syntax tree of one `.api` file, as written: nothing is resolved or
//! checked here (see `check`). Spans point into the file's source; comments
//! are attached to the nodes they belong to so the formatter can keep them.

use looklook_diagnostics::Span;

/// A name or value with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

pub type Ident = Spanned<String>;

/// Comments around a node: the ones on the lines above it, and the one that
/// ends its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments {
    pub leading: Vec<String>,
    pub trailing: Option<String>,
    /// A blank line separated this node from the previous one.
    pub blank_before: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ApiFile {
    pub syntax: Option<Syntax>,
    pub info: Option<Info>,
    pub imports: Vec<Import>,
    pub types: Vec<TypeDecl>,
    pub services: Vec<ServiceBlock>,
    /// Every top-level statement in source order, for the formatter.
    pub order: Vec<Stmt>,
    /// Comments after the last statement.
    pub tail_comments: Vec<String>,
}

/// Which statement, by index into its list in [`ApiFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stmt {
    Syntax,
    Info,
    /// Index of the first import of an `import` statement, and how many it holds.
    Import {
        first: usize,
        count: usize,
        grouped: bool,
    },
    /// Index of the first type of a `type` statement, and how many it holds.
    Type {
        first: usize,
        count: usize,
        grouped: bool,
    },
    Service(usize),
}

#[derive(Debug, Clone)]
pub struct Syntax {
    pub version: Spanned<String>,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub struct Info {
    pub pairs: Vec<KeyValue>,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub struct KeyValue {
    pub key: Ident,
    /// The value as written (quotes included for strings).
    pub raw: Spanned<String>,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub struct Import {
    /// The path without quotes.
    pub path: Spanned<String>,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub struct TypeDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    /// A builtin or a declared type, by name.
    Named(String),
    /// `interface{}`
    Interface,
    Pointer(Box<TypeExpr>),
    Slice(Box<TypeExpr>),
    /// `[N]T`; `None` for `[...]T`, which is rejected by the checker.
    Array(Option<u64>, Box<TypeExpr>),
    Map(Box<TypeExpr>, Box<TypeExpr>),
    Struct(StructBody),
}

#[derive(Debug, Clone, Default)]
pub struct StructBody {
    pub fields: Vec<Field>,
    /// Comments before the closing brace.
    pub tail: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub kind: FieldKind,
    /// The tag as written, backquotes included.
    pub tag: Option<Spanned<String>>,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    /// `A, B Type`
    Named { names: Vec<Ident>, ty: TypeExpr },
    /// `Base` or `*Base`
    Embedded { name: Ident, pointer: bool },
}

#[derive(Debug, Clone)]
pub struct ServiceBlock {
    pub server: Option<ServerAnnotation>,
    /// The name as written, `-api` suffix included.
    pub name: Ident,
    pub routes: Vec<Route>,
    pub comments: Comments,
    /// Comments before the closing brace.
    pub inner_tail: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ServerAnnotation {
    pub pairs: Vec<ServerPair>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ServerPair {
    pub key: Ident,
    /// The value's tokens, as written, joined without the spaces between
    /// glued tokens (`/v1/user-info`, `A, B`, `3s`).
    pub value: Spanned<String>,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub doc: Option<Doc>,
    /// `None` when `@handler` is missing (an error the parser reports).
    pub handler: Option<Ident>,
    pub method: Ident,
    pub path: Spanned<String>,
    pub request: Option<BodyType>,
    pub response: Option<BodyType>,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Debug, Clone)]
pub enum Doc {
    /// `@doc "text"`
    Text(Spanned<String>),
    /// `@doc ( key: "value" ... )`
    Pairs(Vec<KeyValue>),
}

/// A request or response type in a route: `T`, `*T`, `[]T` or `[]*T`.
#[derive(Debug, Clone)]
pub struct BodyType {
    pub name: Ident,
    pub slice: bool,
    pub pointer: bool,
    pub span: Span,
}

impl BodyType {
    pub fn text(&self) -> String {
        format!(
            "{}{}{}",
            if self.slice { "[]" } else { "" },
            if self.pointer { "*" } else { "" },
            self.name.value
        )
    }
}

impl TypeExpr {
    /// The type as it would be written in an `.api` file.
    pub fn text(&self) -> String {
        match &self.kind {
            TypeKind::Named(n) => n.clone(),
            TypeKind::Interface => "interface{}".into(),
            TypeKind::Pointer(t) => format!("*{}", t.text()),
            TypeKind::Slice(t) => format!("[]{}", t.text()),
            TypeKind::Array(Some(n), t) => format!("[{n}]{}", t.text()),
            TypeKind::Array(None, t) => format!("[...]{}", t.text()),
            TypeKind::Map(k, v) => format!("map[{}]{}", k.text(), v.text()),
            TypeKind::Struct(_) => "struct".into(),
        }
    }
}
