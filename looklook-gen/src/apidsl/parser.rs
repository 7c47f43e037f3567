//! A recursive-descent parser for the go-zero API language ("v1").
//!
//! On a syntax error it records a diagnostic and skips ahead to the next
//! field, route or statement, so one run reports every error in the file.

use super::ast::*;
use super::lexer::{Comment, Tok, Token, lex};
use looklook_diagnostics::{Diagnostic, SourceFile, Span};

/// Go's keywords: goctl rejects them as type and field names, and so do we.
pub const GO_KEYWORDS: [&str; 25] = [
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

pub const METHODS: [&str; 7] = ["get", "head", "post", "put", "patch", "delete", "options"];

/// Parse one file. Returns the tree (possibly partial) and every error found.
pub fn parse(file: &SourceFile) -> (ApiFile, Vec<Diagnostic>) {
    let lexed = lex(file);
    let mut p = Parser {
        file,
        toks: lexed.tokens,
        pos: 0,
        comments: lexed.comments,
        next_comment: 0,
        last_end: 0,
        errors: lexed.errors,
        depth: 0,
    };
    let tree = p.file();
    (tree, p.errors)
}

/// The error was recorded; the caller should recover.
struct Stop;

type PResult<T> = Result<T, Stop>;

struct Parser<'a> {
    file: &'a SourceFile,
    toks: Vec<Token>,
    pos: usize,
    comments: Vec<Comment>,
    next_comment: usize,
    /// End of the last token or comment consumed.
    last_end: usize,
    errors: Vec<Diagnostic>,
    /// How many types the parser is inside: `*[]map[string]T` is four.
    depth: usize,
}

/// How deeply types may nest: far beyond any real API, and well within
/// the stack of every pass that walks a type (a `type A ****…int` of a
/// hundred thousand stars is an error, not a stack overflow).
const MAX_TYPE_DEPTH: usize = 32;

impl<'a> Parser<'a> {
    // ---- token helpers ----------------------------------------------------

    fn peek(&self) -> Token {
        self.toks[self.pos]
    }

    fn peek_at(&self, n: usize) -> Token {
        self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }

    fn text(&self, t: Token) -> &'a str {
        let file: &'a SourceFile = self.file;
        &file.text[t.span.range()]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != Tok::Eof {
            self.pos += 1;
            self.last_end = self.last_end.max(t.span.end);
        }
        t
    }

    fn at(&self, kind: Tok) -> bool {
        self.peek().kind == kind
    }

    fn at_word(&self, word: &str) -> bool {
        let t = self.peek();
        t.kind == Tok::Ident && self.text(t) == word
    }

    fn eat(&mut self, kind: Tok) -> Option<Token> {
        self.at(kind).then(|| self.bump())
    }

    /// The first token of its line (nothing but blanks before it).
    fn starts_line(&self, t: Token) -> bool {
        self.pos == 0
            || self.toks[..self.pos]
                .iter()
                .rev()
                .find(|p| p.span.end <= t.span.start)
                .is_none_or(|p| p.line < t.line)
    }

    fn found(&self, t: Token) -> String {
        match t.kind {
            Tok::Eof => "end of file".into(),
            Tok::Ident | Tok::Number => format!("`{}`", self.text(t)),
            Tok::Str | Tok::RawStr => format!("string {}", self.text(t)),
            other => other.describe(),
        }
    }

    fn error_at(&mut self, span: Span, msg: impl Into<String>) -> Stop {
        let d = self.file.error(span, msg);
        self.errors.push(d);
        Stop
    }

    fn error_help(&mut self, span: Span, msg: impl Into<String>, help: impl Into<String>) -> Stop {
        let d = self.file.error(span, msg).with_help(help);
        self.errors.push(d);
        Stop
    }

    fn expected(&mut self, what: &str) -> Stop {
        let t = self.peek();
        // At the end of the file, point just after the last token.
        let span = if t.kind == Tok::Eof {
            let end = self.last_end;
            Span::new(end.saturating_sub(1), end)
        } else {
            t.span
        };
        let msg = format!("expected {what}, found {}", self.found(t));
        self.error_at(span, msg)
    }

    fn expect(&mut self, kind: Tok) -> PResult<Token> {
        match self.eat(kind) {
            Some(t) => Ok(t),
            None => Err(self.expected(&kind.describe())),
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.eat(Tok::Ident) {
            Some(t) => Ok(Spanned {
                value: self.text(t).to_string(),
                span: t.span,
            }),
            None => Err(self.expected(what)),
        }
    }

    /// A type or field name: Go keywords are not allowed.
    fn name(&mut self, what: &str) -> PResult<Ident> {
        let id = self.ident(what)?;
        if GO_KEYWORDS.contains(&id.value.as_str()) {
            return Err(self.error_help(
                id.span,
                format!("`{}` is a keyword and cannot be used as {what}", id.value),
                "pick another name",
            ));
        }
        Ok(id)
    }

    fn string(&mut self, what: &str) -> PResult<Spanned<String>> {
        match self.eat(Tok::Str) {
            Some(t) => Ok(Spanned {
                value: unquote(self.text(t)),
                span: t.span,
            }),
            None => Err(self.expected(what)),
        }
    }

    // ---- comments ---------------------------------------------------------

    /// Comments before the next token, and whether a blank line precedes them.
    fn leading(&mut self) -> Comments {
        let start = self.peek().span.start;
        let mut out = Comments::default();
        let first_start = self
            .comments
            .get(self.next_comment)
            .filter(|c| c.span.end <= start)
            .map_or(start, |c| c.span.start);
        let gap = &self.file.text[self.last_end.min(first_start)..first_start];
        out.blank_before = gap.matches('\n').count() >= 2;
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.end > start {
                break;
            }
            out.leading.push(c.text.clone());
            self.last_end = self.last_end.max(c.span.end);
            self.next_comment += 1;
        }
        out
    }

    /// The comment that ends the line of the last consumed token, if any.
    fn trailing(&mut self, comments: &mut Comments) {
        let line = self.file.line_col(self.last_end.saturating_sub(1)).0;
        if let Some(c) = self.comments.get(self.next_comment)
            && c.line == line
            && c.span.start >= self.last_end
            && c.span.end <= self.peek().span.start.max(c.span.end)
        {
            comments.trailing = Some(c.text.clone());
            self.last_end = c.span.end;
            self.next_comment += 1;
        }
    }

    // ---- recovery ---------------------------------------------------------

    fn is_stmt_start(&self, t: Token) -> bool {
        match t.kind {
            Tok::AtServer | Tok::Eof => true,
            Tok::Ident => {
                matches!(
                    self.text(t),
                    "syntax" | "info" | "import" | "type" | "service"
                ) && self.starts_line(t)
            }
            _ => false,
        }
    }

    fn skip_to_stmt(&mut self) {
        self.bump();
        while !self.is_stmt_start(self.peek()) {
            self.bump();
        }
    }

    /// Skip to the start of the next line, stopping at `close`.
    fn skip_line(&mut self, close: char) {
        let line = self.peek().line;
        while !self.at(Tok::Eof) && !self.at(Tok::Punct(close)) && self.peek().line == line {
            self.bump();
        }
    }

    // ---- statements -------------------------------------------------------

    fn file(&mut self) -> ApiFile {
        let mut f = ApiFile::default();
        while !self.at(Tok::Eof) {
            let comments = self.leading();
            if self.stmt(&mut f, comments).is_err() {
                self.skip_to_stmt();
            }
        }
        f.tail_comments = self.leading().leading;
        f
    }

    fn stmt(&mut self, f: &mut ApiFile, comments: Comments) -> PResult<()> {
        let t = self.peek();
        match (t.kind, self.text(t)) {
            (Tok::Ident, "syntax") => {
                self.bump();
                self.expect(Tok::Punct('='))?;
                let version = self.string("the syntax version, such as \"v1\"")?;
                let mut s = Syntax { version, comments };
                self.trailing(&mut s.comments);
                if f.syntax.is_some() {
                    return Err(self.error_at(t.span, "duplicate `syntax` statement"));
                }
                f.syntax = Some(s);
                f.order.push(Stmt::Syntax);
            }
            (Tok::Ident, "info") => {
                self.bump();
                self.expect(Tok::Punct('('))?;
                let mut comments = comments;
                let pairs = self.key_values()?;
                let close = self.expect(Tok::Punct(')'))?;
                self.trailing(&mut comments);
                if f.info.is_some() {
                    return Err(self.error_at(t.span, "duplicate `info` statement"));
                }
                f.info = Some(Info {
                    pairs,
                    span: t.span.to(close.span),
                    comments,
                });
                f.order.push(Stmt::Info);
            }
            (Tok::Ident, "import") => {
                self.bump();
                let first = f.imports.len();
                let grouped = self.eat(Tok::Punct('(')).is_some();
                if grouped {
                    let outer = comments;
                    while !self.at(Tok::Punct(')')) {
                        let mut c = self.leading();
                        if f.imports.len() == first {
                            let mut all = outer.leading.clone();
                            all.append(&mut c.leading);
                            c.leading = all;
                        }
                        let path = self.string("an import path in quotes")?;
                        self.trailing(&mut c);
                        f.imports.push(Import { path, comments: c });
                    }
                    self.bump();
                } else {
                    let path = self.string("an import path in quotes")?;
                    let mut c = comments;
                    self.trailing(&mut c);
                    f.imports.push(Import { path, comments: c });
                }
                f.order.push(Stmt::Import {
                    first,
                    count: f.imports.len() - first,
                    grouped,
                });
            }
            (Tok::Ident, "type") => {
                self.bump();
                let first = f.types.len();
                let grouped = self.eat(Tok::Punct('(')).is_some();
                if grouped {
                    let outer = comments;
                    while !self.at(Tok::Punct(')')) && !self.at(Tok::Eof) {
                        let mut c = self.leading();
                        if f.types.len() == first {
                            let mut all = outer.leading.clone();
                            all.append(&mut c.leading);
                            c.leading = all;
                        }
                        match self.type_decl(c) {
                            Ok(decl) => f.types.push(decl),
                            Err(Stop) => self.skip_line(')'),
                        }
                    }
                    self.expect(Tok::Punct(')'))?;
                } else {
                    let decl = self.type_decl(comments)?;
                    f.types.push(decl);
                }
                f.order.push(Stmt::Type {
                    first,
                    count: f.types.len() - first,
                    grouped,
                });
            }
            (Tok::Ident, "service") | (Tok::AtServer | Tok::AtUnknown, _) => {
                let block = self.service(comments)?;
                f.services.push(block);
                f.order.push(Stmt::Service(f.services.len() - 1));
            }
            _ => {
                return Err(
                    self.expected("`syntax`, `info`, `import`, `type`, `@server` or `service`")
                );
            }
        }
        Ok(())
    }

    /// `key: value` pairs up to a closing parenthesis.
    fn key_values(&mut self) -> PResult<Vec<KeyValue>> {
        let mut pairs = Vec::new();
        while !self.at(Tok::Punct(')')) && !self.at(Tok::Eof) {
            let comments = self.leading();
            let key = self.ident("a key")?;
            self.expect(Tok::Punct(':'))?;
            let t = self.peek();
            if !matches!(t.kind, Tok::Str | Tok::RawStr | Tok::Ident | Tok::Number) {
                return Err(self.expected("a value"));
            }
            self.bump();
            let mut kv = KeyValue {
                key,
                raw: Spanned {
                    value: self.text(t).to_string(),
                    span: t.span,
                },
                comments,
            };
            self.trailing(&mut kv.comments);
            pairs.push(kv);
        }
        Ok(pairs)
    }

    // ---- types ------------------------------------------------------------

    fn type_decl(&mut self, comments: Comments) -> PResult<TypeDecl> {
        let name = self.name("a type name")?;
        self.eat(Tok::Punct('='));
        // Older files write `type X struct {`; accept it.
        if self.at_word("struct") && self.peek_at(1).kind == Tok::Punct('{') {
            self.bump();
        }
        let ty = self.data_type()?;
        let mut comments = comments;
        self.trailing(&mut comments);
        Ok(TypeDecl { name, ty, comments })
    }

    fn data_type(&mut self) -> PResult<TypeExpr> {
        if self.depth == MAX_TYPE_DEPTH {
            let span = self.peek().span;
            return Err(self.error_help(
                span,
                format!("this type nests more than {MAX_TYPE_DEPTH} levels deep"),
                "name the inner types and refer to them by name",
            ));
        }
        self.depth += 1;
        let ty = self.nested_type();
        self.depth -= 1;
        ty
    }

    fn nested_type(&mut self) -> PResult<TypeExpr> {
        let t = self.peek();
        let kind = match t.kind {
            Tok::Punct('*') => {
                self.bump();
                TypeKind::Pointer(Box::new(self.data_type()?))
            }
            Tok::Punct('[') => {
                self.bump();
                let len = match self.peek().kind {
                    Tok::Punct(']') => None,
                    Tok::Ellipsis => {
                        self.bump();
                        Some(None)
                    }
                    Tok::Number => {
                        let n = self.bump();
                        match self.text(n).parse::<u64>() {
                            Ok(v) => Some(Some(v)),
                            Err(_) => {
                                return Err(
                                    self.error_at(n.span, "array length must be a whole number")
                                );
                            }
                        }
                    }
                    _ => return Err(self.expected("`]`, an array length or `...`")),
                };
                self.expect(Tok::Punct(']'))?;
                let elem = Box::new(self.data_type()?);
                match len {
                    None => TypeKind::Slice(elem),
                    Some(n) => TypeKind::Array(n, elem),
                }
            }
            Tok::Punct('{') => TypeKind::Struct(self.struct_body()?),
            Tok::Interface => {
                self.bump();
                TypeKind::Interface
            }
            Tok::Ident if self.text(t) == "map" && self.peek_at(1).kind == Tok::Punct('[') => {
                self.bump();
                self.bump();
                let key = self.data_type()?;
                self.expect(Tok::Punct(']'))?;
                let value = self.data_type()?;
                TypeKind::Map(Box::new(key), Box::new(value))
            }
            Tok::Ident if self.text(t) == "struct" && self.peek_at(1).kind == Tok::Punct('{') => {
                self.bump();
                TypeKind::Struct(self.struct_body()?)
            }
            Tok::Ident => TypeKind::Named(self.name("a type")?.value),
            _ => return Err(self.expected("a type")),
        };
        Ok(TypeExpr {
            kind,
            span: t.span.to(Span::new(t.span.start, self.last_end)),
        })
    }

    /// `{ fields }`; each field error is reported and its line skipped.
    fn struct_body(&mut self) -> PResult<StructBody> {
        self.expect(Tok::Punct('{'))?;
        let mut body = StructBody::default();
        loop {
            if self.at(Tok::Eof) || (self.is_stmt_start(self.peek()) && !self.at_word("type")) {
                return Err(self.expected("`}`"));
            }
            let comments = self.leading();
            if self.at(Tok::Punct('}')) {
                // Comments before the closing brace stay inside the struct.
                body.tail = comments.leading;
                break;
            }
            match self.field(comments) {
                Ok(f) => body.fields.push(f),
                Err(Stop) => self.skip_line('}'),
            }
        }
        self.bump();
        Ok(body)
    }

    fn field(&mut self, comments: Comments) -> PResult<Field> {
        let start = self.peek();
        let kind = if self.eat(Tok::Punct('*')).is_some() {
            let name = self.name("an embedded type name")?;
            FieldKind::Embedded {
                name,
                pointer: true,
            }
        } else {
            let first = self.name("a field name")?;
            let next = self.peek();
            let embedded = next.line != start.line
                || matches!(next.kind, Tok::RawStr | Tok::Punct('}') | Tok::Eof);
            if embedded {
                FieldKind::Embedded {
                    name: first,
                    pointer: false,
                }
            } else {
                let mut names = vec![first];
                while self.eat(Tok::Punct(',')).is_some() {
                    names.push(self.name("a field name")?);
                }
                let ty = self.data_type()?;
                FieldKind::Named { names, ty }
            }
        };
        let tag = self.eat(Tok::RawStr).map(|t| Spanned {
            value: self.text(t).to_string(),
            span: t.span,
        });
        let span = start.span.to(Span::new(start.span.start, self.last_end));
        if !self.at(Tok::Punct('}'))
            && self.peek().line == self.file.line_col(self.last_end.saturating_sub(1)).0
        {
            return Err(self.expected("a line break after the field"));
        }
        let mut field = Field {
            kind,
            tag,
            span,
            comments,
        };
        self.trailing(&mut field.comments);
        Ok(field)
    }

    // ---- services ---------------------------------------------------------

    fn service(&mut self, comments: Comments) -> PResult<ServiceBlock> {
        let start = self.peek().span;
        let server = if let Some(at) = self.eat(Tok::AtServer).or_else(|| self.eat(Tok::AtUnknown))
        {
            Some(self.server_annotation(at)?)
        } else {
            None
        };
        if !self.at_word("service") {
            return Err(self.expected("`service`"));
        }
        self.bump();
        let name_tok = self.ident("the service name")?;
        let mut name = name_tok.clone();
        // `user-api`: the only suffix goctl allows is `-api`.
        if self.at(Tok::Punct('-')) && self.peek().span.start == name.span.end {
            self.bump();
            let suffix = self.ident("`api`")?;
            if suffix.value != "api" {
                return Err(self.error_help(
                    suffix.span,
                    format!(
                        "a service name may only end in `-api`, not `-{}`",
                        suffix.value
                    ),
                    "write `name` or `name-api`",
                ));
            }
            name = Spanned {
                value: format!("{}-api", name.value),
                span: name.span.to(suffix.span),
            };
        }
        self.expect(Tok::Punct('{'))?;
        let mut routes = Vec::new();
        let inner_tail;
        loop {
            if self.at(Tok::Eof) || (self.is_stmt_start(self.peek()) && !self.at_word("type")) {
                return Err(self.expected("`}` closing the service"));
            }
            let c = self.leading();
            if self.at(Tok::Punct('}')) {
                inner_tail = c.leading;
                break;
            }
            match self.route(c) {
                Ok(r) => routes.push(r),
                Err(Stop) => self.skip_route(),
            }
        }
        let close = self.bump();
        let mut block = ServiceBlock {
            server,
            name,
            routes,
            comments,
            inner_tail,
            span: start.to(close.span),
        };
        self.trailing(&mut block.comments);
        Ok(block)
    }

    fn skip_route(&mut self) {
        self.bump();
        loop {
            let t = self.peek();
            let method_at_line_start =
                t.kind == Tok::Ident && METHODS.contains(&self.text(t)) && self.starts_line(t);
            if matches!(
                t.kind,
                Tok::AtDoc | Tok::AtHandler | Tok::Punct('}') | Tok::Eof
            ) || method_at_line_start
                || self.is_stmt_start(t)
            {
                return;
            }
            self.bump();
        }
    }

    fn server_annotation(&mut self, at: Token) -> PResult<ServerAnnotation> {
        self.expect(Tok::Punct('('))?;
        let mut pairs = Vec::new();
        while !self.at(Tok::Punct(')')) {
            if self.at(Tok::Eof) {
                return Err(self.expected("`)`"));
            }
            let comments = self.leading();
            let key = self.ident("an @server key such as `group` or `prefix`")?;
            self.expect(Tok::Punct(':'))?;
            // The value runs until the next `key:` or the closing parenthesis.
            let first = self.peek();
            let mut last = first;
            while !self.at(Tok::Punct(')')) && !self.at(Tok::Eof) {
                let t = self.peek();
                if t.kind == Tok::Ident && self.peek_at(1).kind == Tok::Punct(':') && t != first {
                    break;
                }
                last = self.bump();
            }
            if last == first && (first.kind == Tok::Punct(')') || first.kind == Tok::Eof) {
                return Err(self.error_at(key.span, format!("`{}` has no value", key.value)));
            }
            let span = first.span.to(last.span);
            let raw = self.file.slice(span);
            let value = if first.kind == Tok::Str && first == last {
                unquote(raw)
            } else {
                raw.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            let mut pair = ServerPair {
                key,
                value: Spanned { value, span },
                comments,
            };
            self.trailing(&mut pair.comments);
            pairs.push(pair);
        }
        let close = self.bump();
        Ok(ServerAnnotation {
            pairs,
            span: at.span.to(close.span),
        })
    }

    fn route(&mut self, comments: Comments) -> PResult<Route> {
        let start = self.peek().span;
        // A misspelt annotation stands for the one its shape fits.
        let typo_doc =
            self.at(Tok::AtUnknown) && matches!(self.peek_at(1).kind, Tok::Str | Tok::Punct('('));
        let doc =
            if self.eat(Tok::AtDoc).is_some() || (typo_doc && self.eat(Tok::AtUnknown).is_some()) {
                Some(if self.eat(Tok::Punct('(')).is_some() {
                    let pairs = self.key_values()?;
                    self.expect(Tok::Punct(')'))?;
                    Doc::Pairs(pairs)
                } else {
                    Doc::Text(self.string("a documentation string or `(`")?)
                })
            } else {
                None
            };
        let handler = match self
            .eat(Tok::AtHandler)
            .or_else(|| self.eat(Tok::AtUnknown))
        {
            Some(_) => Some(self.ident("the handler name")?),
            None => None,
        };
        let method_tok = self.peek();
        let method = self.ident("an HTTP method")?;
        if handler.is_none() {
            self.error_help(
                method_tok.span,
                "missing `@handler` before this route",
                "every route needs a handler name: `@handler getUser` on the line above",
            );
        }
        if !METHODS.contains(&method.value.as_str()) {
            return Err(self.error_help(
                method.span,
                format!("unknown HTTP method `{}`", method.value),
                format!("use one of: {}", METHODS.join(", ")),
            ));
        }
        let path = self.path()?;
        let request = if self.at(Tok::Punct('(')) {
            self.body()?
        } else {
            None
        };
        let response = if self.at_word("returns") {
            self.bump();
            if !self.at(Tok::Punct('(')) {
                return Err(self.expected("`(` after `returns`"));
            }
            self.body()?
        } else {
            None
        };
        self.eat(Tok::Punct(';'));
        let mut route = Route {
            doc,
            handler,
            method,
            path,
            request,
            response,
            span: start.to(Span::new(start.start, self.last_end)),
            comments,
        };
        self.trailing(&mut route.comments);
        Ok(route)
    }

    /// A path is the run of glued tokens starting with `/`: `/user/:id/info-v2`.
    fn path(&mut self) -> PResult<Spanned<String>> {
        let first = self.peek();
        if first.kind != Tok::Punct('/') {
            return Err(self.expected("a path starting with `/`"));
        }
        let mut end = first.span.end;
        self.bump();
        loop {
            let t = self.peek();
            let glued = t.span.start == end;
            let part = matches!(
                t.kind,
                Tok::Ident | Tok::Number | Tok::Punct('/' | ':' | '-' | '.')
            );
            if !(glued && part) {
                break;
            }
            end = t.span.end;
            self.bump();
        }
        let span = Span::new(first.span.start, end);
        let text = self.file.slice(span).to_string();
        if text != "/" {
            for seg in text[1..].split('/') {
                let name = seg.strip_prefix(':').unwrap_or(seg);
                let ok = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    && !(seg.starts_with(':') && name.contains(['-', '.']));
                if !ok {
                    return Err(self.error_help(
                        span,
                        format!("malformed path `{text}`"),
                        "segments are names like `user-info`, and `:name` marks a path parameter",
                    ));
                }
            }
        }
        Ok(Spanned { value: text, span })
    }

    /// `(T)`, `(*T)`, `([]T)`, `([]*T)` or `()`.
    fn body(&mut self) -> PResult<Option<BodyType>> {
        let open = self.expect(Tok::Punct('('))?;
        if let Some(close) = self.eat(Tok::Punct(')')) {
            let _ = close;
            return Ok(None);
        }
        let slice = if self.eat(Tok::Punct('[')).is_some() {
            self.expect(Tok::Punct(']'))?;
            true
        } else {
            false
        };
        let pointer = self.eat(Tok::Punct('*')).is_some();
        let name = self.name("a type name")?;
        let close = self.expect(Tok::Punct(')'))?;
        Ok(Some(BodyType {
            name,
            slice,
            pointer,
            span: open.span.to(close.span),
        }))
    }
}

fn unquote(s: &str) -> String {
    s.get(1..s.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> ApiFile {
        let f = SourceFile::new("t.api", src);
        let (tree, errors) = parse(&f);
        assert!(errors.is_empty(), "{errors:#?}");
        tree
    }

    fn errs(src: &str) -> Vec<String> {
        let f = SourceFile::new("t.api", src);
        parse(&f).1.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn parses_types_of_every_shape() {
        let t = ok(r#"
type Base { Id int64 `json:"id"` }
type (
    Req {
        Base
        *Other
        A, B string `json:"a"`
        C []*Item
        D [4]byte
        E map[string][]int
        F interface{}
        G { Inner bool }
    }
    Other = { X int }
)
"#);
        assert_eq!(t.types.len(), 3);
        let TypeKind::Struct(body) = &t.types[1].ty.kind else {
            panic!()
        };
        let fields = &body.fields;
        assert_eq!(fields.len(), 8);
        assert!(matches!(
            &fields[0].kind,
            FieldKind::Embedded { pointer: false, .. }
        ));
        assert!(matches!(
            &fields[1].kind,
            FieldKind::Embedded { pointer: true, .. }
        ));
        let FieldKind::Named { names, ty } = &fields[2].kind else {
            panic!()
        };
        assert_eq!(names.len(), 2);
        assert_eq!(ty.text(), "string");
        let types: Vec<_> = fields[3..7]
            .iter()
            .map(|f| match &f.kind {
                FieldKind::Named { ty, .. } => ty.text(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            types,
            ["[]*Item", "[4]byte", "map[string][]int", "interface{}"]
        );
    }

    #[test]
    fn parses_services() {
        let t = ok(r#"
@server (
    jwt: Auth
    group: admin/user
    prefix: /v1/user-info
    middleware: A, B
    timeout: 3s
    maxBytes: 1024
)
service user-api {
    @doc "get one"
    @handler get
    get /user/:id (Req) returns (Resp)

    @doc ( summary: "list" )
    @handler list
    post /users returns ([]*Resp);
    @handler ping
    head /
}
"#);
        let s = &t.services[0];
        assert_eq!(s.name.value, "user-api");
        let pairs: Vec<_> = s
            .server
            .as_ref()
            .unwrap()
            .pairs
            .iter()
            .map(|p| (p.key.value.as_str(), p.value.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("jwt", "Auth"),
                ("group", "admin/user"),
                ("prefix", "/v1/user-info"),
                ("middleware", "A, B"),
                ("timeout", "3s"),
                ("maxBytes", "1024")
            ]
        );
        assert_eq!(s.routes.len(), 3);
        assert_eq!(s.routes[0].path.value, "/user/:id");
        assert_eq!(s.routes[1].response.as_ref().unwrap().text(), "[]*Resp");
        assert!(s.routes[1].request.is_none());
        assert!(s.routes[1].comments.blank_before);
        assert_eq!(s.routes[2].path.value, "/");
    }

    #[test]
    fn reports_every_error_and_recovers() {
        let e = errs(
            "type A {\n  B\n  func int\n  C string\n}\nservice x {\n  get /a\n  @handler b\n  fetch /b\n}\nbogus\n",
        );
        assert_eq!(
            e,
            [
                "t.api:3:3: `func` is a keyword and cannot be used as a field name",
                "t.api:7:3: missing `@handler` before this route",
                "t.api:9:3: unknown HTTP method `fetch`",
                "t.api:11:1: expected `syntax`, `info`, `import`, `type`, `@server` or `service`, found `bogus`",
            ]
        );
    }

    #[test]
    fn comments_attach_to_nodes() {
        let t =
            ok("// about A\ntype A { // opens\n  // the id\n  Id int // trailing\n}\n// the end\n");
        assert_eq!(t.types[0].comments.leading, ["// about A"]);
        let TypeKind::Struct(body) = &t.types[0].ty.kind else {
            panic!()
        };
        assert_eq!(
            body.fields[0].comments.trailing.as_deref(),
            Some("// trailing")
        );
        assert_eq!(t.tail_comments, ["// the end"]);
    }
}
