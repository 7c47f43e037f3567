//! The `.api` scanner: turns source text into tokens and comments.
//!
//! It never stops at the first problem: a bad character or an unterminated
//! string is reported and scanning goes on, so one run shows every lexical
//! error in a file.

use looklook_diagnostics::{Diagnostic, SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// Letters, digits and `_`, starting with a letter or `_`.
    Ident,
    /// Digits, possibly glued to letters: `42`, `3s`, `1m30s`, `2fa`.
    Number,
    /// `"..."`
    Str,
    /// `` `...` ``
    RawStr,
    AtDoc,
    AtHandler,
    AtServer,
    /// A misspelt annotation (already reported); the parser reads it as the
    /// annotation the context expects, so one typo makes one error.
    AtUnknown,
    /// The exact sequence `interface{}`.
    Interface,
    /// `...`
    Ellipsis,
    /// One punctuation character: `- * / = ( ) [ ] { } , . ; :`.
    Punct(char),
    Eof,
}

impl Tok {
    pub fn describe(self) -> String {
        match self {
            Tok::Ident => "a name".into(),
            Tok::Number => "a number".into(),
            Tok::Str => "a string".into(),
            Tok::RawStr => "a raw string".into(),
            Tok::AtDoc => "`@doc`".into(),
            Tok::AtHandler => "`@handler`".into(),
            Tok::AtServer => "`@server`".into(),
            Tok::AtUnknown => "an annotation".into(),
            Tok::Interface => "`interface{}`".into(),
            Tok::Ellipsis => "`...`".into(),
            Tok::Punct(c) => format!("`{c}`"),
            Tok::Eof => "end of file".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    pub span: Span,
    /// 1-based line of the token's first character.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    /// The comment as written, `//` or `/* */` included.
    pub text: String,
    pub line: usize,
    pub end_line: usize,
}

#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Comment>,
    pub errors: Vec<Diagnostic>,
}

const PUNCT: &str = "-*/=()[]{},.;:";

pub fn lex(file: &SourceFile) -> Lexed {
    let src: &str = &file.text;
    let bytes = src.as_bytes();
    let mut out = Lexed::default();
    let mut line = 1;
    let mut i = 0;

    // Advance over `s[from..to]`, counting line breaks.
    let count_lines = |from: usize, to: usize| src[from..to].matches('\n').count();

    while i < bytes.len() {
        let c = src[i..].chars().next().expect("in bounds");
        let start = i;
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            ' ' | '\t' | '\r' | '\x0b' | '\x0c' => i += 1,
            '/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
                out.comments.push(Comment {
                    span: Span::new(start, end),
                    text: src[start..end].trim_end().to_string(),
                    line,
                    end_line: line,
                });
                i = end;
            }
            '/' if bytes.get(i + 1) == Some(&b'*') => {
                i = block_comment(file, start, line, &mut out);
                line += count_lines(start, i);
            }
            '"' | '`' => {
                i = string(file, start, c, line, &mut out);
                line += count_lines(start, i);
            }
            '@' => i = annotation(file, start, line, &mut out),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = i + ident_len(&src[i..]);
                let kind = if &src[i..end] == "interface" && src[end..].starts_with("{}") {
                    i = end + 2;
                    Tok::Interface
                } else {
                    i = end;
                    Tok::Ident
                };
                out.tokens.push(Token {
                    kind,
                    span: Span::new(start, i),
                    line,
                });
            }
            c if c.is_ascii_digit() => {
                // Digits and the letters glued to them: a duration (`1m30s`,
                // `500µs`) or a path segment (`2fa`). The parser decides.
                let end = i + src[i..]
                    .char_indices()
                    .find(|&(_, ch)| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == 'µ'))
                    .map_or(src.len() - i, |(n, _)| n);
                out.tokens.push(Token {
                    kind: Tok::Number,
                    span: Span::new(start, end),
                    line,
                });
                i = end;
            }
            '.' if src[i..].starts_with("...") => {
                out.tokens.push(Token {
                    kind: Tok::Ellipsis,
                    span: Span::new(start, i + 3),
                    line,
                });
                i += 3;
            }
            c if PUNCT.contains(c) => {
                out.tokens.push(Token {
                    kind: Tok::Punct(c),
                    span: Span::new(start, i + 1),
                    line,
                });
                i += 1;
            }
            other => {
                let len = other.len_utf8();
                out.errors.push(file.error(
                    Span::new(start, start + len),
                    format!("unexpected character `{}`", other.escape_debug()),
                ));
                i += len;
            }
        }
    }
    out.tokens.push(Token {
        kind: Tok::Eof,
        span: Span::new(src.len(), src.len()),
        line,
    });
    out
}

/// The `/* ... */` comment at `start`; where it ends (the end of the file
/// when it is not closed, which is an error).
fn block_comment(file: &SourceFile, start: usize, line: usize, out: &mut Lexed) -> usize {
    let src = &file.text;
    match src[start + 2..].find("*/") {
        Some(n) => {
            let end = start + 2 + n + 2;
            out.comments.push(Comment {
                span: Span::new(start, end),
                text: src[start..end].to_string(),
                line,
                end_line: line + src[start..end].matches('\n').count(),
            });
            end
        }
        None => {
            out.errors.push(
                file.error(Span::new(start, start + 2), "unterminated block comment")
                    .with_help("close it with `*/`"),
            );
            src.len()
        }
    }
}

/// The string at `start`, opened by `close` (`"` or a backquote); where it
/// ends.
fn string(file: &SourceFile, start: usize, close: char, line: usize, out: &mut Lexed) -> usize {
    let src = &file.text;
    let kind = if close == '"' { Tok::Str } else { Tok::RawStr };
    let body = &src[start + 1..];
    // A plain string ends at the line break; a raw string may span lines.
    let stop = body
        .find(|ch: char| ch == close || (close == '"' && ch == '\n'))
        .unwrap_or(body.len());
    let terminated = body[stop..].starts_with(close);
    let end = start + 1 + stop + usize::from(terminated);
    if !terminated {
        let help = match close {
            '"' => "close it with \" on the same line",
            _ => "close it with `",
        };
        out.errors.push(
            file.error(Span::new(start, start + 1), "unterminated string")
                .with_help(help),
        );
    }
    // Unterminated, it is still a string: the parser goes on without a
    // second error.
    out.tokens.push(Token {
        kind,
        span: Span::new(start, end),
        line,
    });
    end
}

/// The `@doc`, `@handler` or `@server` at `start` (anything else is an
/// error); where it ends.
fn annotation(file: &SourceFile, start: usize, line: usize, out: &mut Lexed) -> usize {
    let src = &file.text;
    let end = start + 1 + ident_len(&src[start + 1..]);
    let kind = match &src[start + 1..end] {
        "doc" => Some(Tok::AtDoc),
        "handler" => Some(Tok::AtHandler),
        "server" => Some(Tok::AtServer),
        _ => None,
    };
    out.tokens.push(Token {
        kind: kind.unwrap_or(Tok::AtUnknown),
        span: Span::new(start, end),
        line,
    });
    if kind.is_none() {
        out.errors.push(
            file.error(
                Span::new(start, end.max(start + 1)),
                format!("unknown annotation `{}`", &src[start..end]),
            )
            .with_help("the annotations are `@doc`, `@handler` and `@server`"),
        );
    }
    end
}

fn ident_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(s.len(), |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        let f = SourceFile::new("t.api", src);
        let l = lex(&f);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        l.tokens.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokens_of_a_route() {
        use Tok::*;
        assert_eq!(
            kinds("@handler login\npost /user/:id (Req) returns (Resp)"),
            vec![
                AtHandler,
                Ident,
                Ident,
                Punct('/'),
                Ident,
                Punct('/'),
                Punct(':'),
                Ident,
                Punct('('),
                Ident,
                Punct(')'),
                Ident,
                Punct('('),
                Ident,
                Punct(')'),
                Eof
            ]
        );
    }

    #[test]
    fn interface_durations_and_raw_strings() {
        use Tok::*;
        assert_eq!(
            kinds("interface{} 1m30s `json:\"a\"` ..."),
            vec![Interface, Number, RawStr, Ellipsis, Eof]
        );
    }

    #[test]
    fn comments_are_kept_with_lines() {
        let f = SourceFile::new("t.api", "// a\ntype /* b\n c */ X");
        let l = lex(&f);
        assert_eq!(l.comments.len(), 2);
        assert_eq!(l.comments[1].line, 2);
        assert_eq!(l.comments[1].end_line, 3);
        assert_eq!(l.tokens[1].line, 3);
    }

    #[test]
    fn every_lexical_error_is_reported() {
        let f = SourceFile::new("t.api", "type A { # }\n@foo\n\"open\n/* never closed");
        let l = lex(&f);
        let msgs: Vec<_> = l.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.api:1:10: unexpected character `#`",
                "t.api:2:1: unknown annotation `@foo`",
                "t.api:3:1: unterminated string",
                "t.api:4:1: unterminated block comment",
            ]
        );
    }
}
