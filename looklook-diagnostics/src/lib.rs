//! Located errors for every file looklook reads: `.api`, `.proto`, SQL,
//! `looklook.toml` and the stack file. A [`Diagnostic`] names its file,
//! line and column and carries the offending source line, so the binary can
//! render it (through miette) with a caret under the exact place. Every
//! other looklook crate reports bad input through this one; it depends on
//! none of them.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};

/// A byte range inside one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// One loaded source file. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user should see it.
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Byte offset of the start of each line.
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (columns count characters, a tab counts as one).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        // An offset inside a multi-byte character counts as that character.
        let offset = self.text.floor_char_boundary(offset);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.range()]
    }

    /// Build an error located at `span`.
    pub fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self, span, message.into(), None)
    }
}

/// One problem in a definition file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.headline())]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The whole line the error is on, as written.
    pub line_text: String,
    pub help: Option<String>,
    /// A warning: worth reading, but nothing stops.
    pub warning: bool,
    /// `None` when the file itself could not be read.
    src: Option<NamedSource<Arc<str>>>,
    span: SourceSpan,
}

fn display_path(path: &Path) -> String {
    path.display().to_string()
}

impl Diagnostic {
    fn new(file: &SourceFile, span: Span, message: String, help: Option<String>) -> Self {
        // A span from a byte-level scan may cut a multi-byte character:
        // widen it to whole characters before anyone slices the text.
        let start = file.text.floor_char_boundary(span.start);
        let end = file.text.ceil_char_boundary(span.end.max(start));
        let (line, column) = file.line_col(start);
        let len = end - start;
        Diagnostic {
            path: file.path.clone(),
            line,
            column,
            line_text: file.line_text(line).to_string(),
            message,
            help,
            warning: false,
            src: Some(NamedSource::new(
                display_path(&file.path),
                file.text.clone(),
            )),
            span: SourceSpan::new(start.into(), len),
        }
    }

    /// A problem with a file as a whole, such as one that cannot be read.
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            line_text: String::new(),
            help: None,
            warning: false,
            src: None,
            span: SourceSpan::new(0.into(), 0),
        }
    }

    fn headline(&self) -> String {
        match self.line {
            0 => format!("{}: {}", display_path(&self.path), self.message),
            _ => format!(
                "{}:{}:{}: {}",
                display_path(&self.path),
                self.line,
                self.column,
                self.message
            ),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same, reported as a warning rather than an error.
    pub fn as_warning(mut self) -> Self {
        self.warning = true;
        self
    }
}

impl miette::Diagnostic for Diagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.warning {
            miette::Severity::Warning
        } else {
            miette::Severity::Error
        })
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.src.as_ref()?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some("here".into()), self.span),
        )))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// Every problem found in a set of definition files, in file order.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", summary(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

fn summary(all: &[Diagnostic]) -> String {
    match all {
        [one] => one.to_string(),
        many => format!("{} errors in the definition files", many.len()),
    }
}

impl Diagnostics {
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sort by position so reports read top to bottom.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        self.0.dedup_by(|a, b| {
            a.path == b.path && a.line == b.line && a.column == b.column && a.message == b.message
        });
        self
    }
}

impl miette::Diagnostic for Diagnostics {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.0.len() == 1 {
            return None;
        }
        Some(Box::new(
            self.0.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        match self.0.as_slice() {
            [one] => one.source_code(),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        match self.0.as_slice() {
            [one] => one.labels(),
            _ => None,
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self.0.as_slice() {
            [one] => one.help(),
            _ => None,
        }
    }
}

/// Deserialize a TOML file; a syntax error, an unknown key or a bad value is
/// reported at its place in the file.
pub fn from_toml<T: serde::de::DeserializeOwned>(file: &SourceFile) -> Result<T, Diagnostics> {
    toml::from_str(&file.text).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::default(), |r| Span::new(r.start, r.end));
        Diagnostics(vec![file.error(span, e.message().trim().to_string())])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let f = SourceFile::new("a.api", "ab\n\tµx y\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // tab and µ count as one column each.
        let y = f.text.find('y').unwrap();
        assert_eq!(f.line_col(y), (2, 5));
        assert_eq!(f.line_text(2), "\tµx y");
    }

    #[test]
    fn spans_inside_a_character_widen_to_it() {
        let f = SourceFile::new("a.api", "x \"🩰\" y\n");
        let inside = f.text.find('🩰').unwrap() + 1;
        assert_eq!(f.line_col(inside), (1, 4));
        let d = f.error(Span::new(inside, inside + 1), "bad");
        assert_eq!((d.line, d.column), (1, 4));
        assert_eq!(d.to_string(), "a.api:1:4: bad");
    }

    #[test]
    fn error_carries_position_and_line() {
        let f = SourceFile::new("dir/a.api", "type A {\n  B Foo\n}\n");
        let at = f.text.find("Foo").unwrap();
        let d = f.error(Span::new(at, at + 3), "unresolved type `Foo`");
        assert_eq!(d.to_string(), "dir/a.api:2:5: unresolved type `Foo`");
        assert_eq!(d.line_text, "  B Foo");
    }
}
