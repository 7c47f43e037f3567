//! Request binding, driven by a table the generator writes for each request
//! type: each field says where it comes from (path, query or form, header,
//! JSON body), how to read it, and what to check.
//!
//! Path, query and header values are text; they are converted to the
//! field's kind, defaults are filled in, `options=` and `range=` are checked,
//! and the result is deserialized into the request type. Any failure is a
//! 100002 "bad parameter" error that says which field and why.
//!
//! No string in a request may be longer than `MaxStringBytes` (4 KiB unless
//! configured): a megabyte "phone number" would otherwise travel on into
//! queries, cache keys and logs.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header::CONTENT_TYPE;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};

use crate::Error;

/// The default of `MaxStringBytes`.
pub const DEFAULT_MAX_STRING_BYTES: usize = 4096;

/// The longest string a request may carry; 0: no limit. One service a
/// process, so one setting: the server sets it from its config.
static MAX_STRING_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_STRING_BYTES);

pub(crate) fn set_max_string_bytes(max: usize) {
    MAX_STRING_BYTES.store(max, Ordering::Relaxed);
}

/// Refuse a JSON body with a string longer than the limit. A body no longer
/// than the limit cannot hold one: the common case costs one comparison.
fn check_string_lengths(body: &[u8]) -> Result<(), Error> {
    let max = MAX_STRING_BYTES.load(Ordering::Relaxed);
    if max == 0 || body.len() <= max {
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    LongStrings(max)
        .deserialize(&mut de)
        .map_err(Error::bad_param)
}

/// Refuse one text value (query, form, path, header) over the limit.
fn check_text_length(key: &str, raw: &str) -> Result<(), Error> {
    let max = MAX_STRING_BYTES.load(Ordering::Relaxed);
    if max != 0 && raw.len() > max {
        return Err(Error::bad_param(format!(
            "`{key}` is longer than {max} bytes"
        )));
    }
    Ok(())
}

/// Walks any JSON value and fails on the first string (value or key)
/// longer than its limit.
#[derive(Clone, Copy)]
struct LongStrings(usize);

impl<'de> DeserializeSeed<'de> for LongStrings {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LongStrings {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        if v.len() > self.0 {
            return Err(E::custom(format!(
                "a string is longer than {} bytes",
                self.0
            )));
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// Where a field is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Json,
    /// The query string, or a form-encoded body.
    Form,
    Path,
    Header,
}

/// How a field's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Uint,
    Float,
    String,
    /// A nested struct, list, map or any JSON value: passed to serde as is.
    Any,
}

/// Numeric bounds: `Range::new().ge(1.0).lt(100.0)` is `[1:100)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    min: Option<(f64, bool)>,
    max: Option<(f64, bool)>,
}

impl Range {
    pub const fn new() -> Self {
        Range {
            min: None,
            max: None,
        }
    }
    pub const fn ge(mut self, v: f64) -> Self {
        self.min = Some((v, true));
        self
    }
    pub const fn gt(mut self, v: f64) -> Self {
        self.min = Some((v, false));
        self
    }
    pub const fn le(mut self, v: f64) -> Self {
        self.max = Some((v, true));
        self
    }
    pub const fn lt(mut self, v: f64) -> Self {
        self.max = Some((v, false));
        self
    }

    fn contains(&self, v: f64) -> bool {
        let above = match self.min {
            Some((m, true)) => v >= m,
            Some((m, false)) => v > m,
            None => true,
        };
        let below = match self.max {
            Some((m, true)) => v <= m,
            Some((m, false)) => v < m,
            None => true,
        };
        above && below
    }
}

impl Default for Range {
    fn default() -> Self {
        Range::new()
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (open, lo) = match self.min {
            Some((v, true)) => ('[', v.to_string()),
            Some((v, false)) => ('(', v.to_string()),
            None => ('(', String::new()),
        };
        let (close, hi) = match self.max {
            Some((v, true)) => (']', v.to_string()),
            Some((v, false)) => (')', v.to_string()),
            None => (')', String::new()),
        };
        write!(f, "{open}{lo}:{hi}{close}")
    }
}

/// One field of a request type, as the binder sees it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub source: Source,
    pub kind: Kind,
    pub optional: bool,
    pub default: Option<&'static str>,
    pub options: &'static [&'static str],
    pub range: Option<Range>,
}

impl Field {
    const fn new(key: &'static str, source: Source, kind: Kind) -> Self {
        Field {
            key,
            source,
            kind,
            optional: false,
            default: None,
            options: &[],
            range: None,
        }
    }
    pub const fn json(key: &'static str, kind: Kind) -> Self {
        Field::new(key, Source::Json, kind)
    }
    pub const fn form(key: &'static str, kind: Kind) -> Self {
        Field::new(key, Source::Form, kind)
    }
    pub const fn path(key: &'static str, kind: Kind) -> Self {
        Field::new(key, Source::Path, kind)
    }
    pub const fn header(key: &'static str, kind: Kind) -> Self {
        Field::new(key, Source::Header, kind)
    }
    pub const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub const fn default(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }
    pub const fn options(mut self, v: &'static [&'static str]) -> Self {
        self.options = v;
        self
    }
    pub const fn range(mut self, r: Range) -> Self {
        self.range = Some(r);
        self
    }

    /// Nothing to do but what serde does already.
    const fn plain_json(&self) -> bool {
        matches!(self.source, Source::Json)
            && self.default.is_none()
            && self.options.is_empty()
            && self.range.is_none()
    }
}

/// The binding table of a request type; the generator writes it.
pub trait BindFields {
    const FIELDS: &'static [Field];

    /// The `options=` and `range=` rules of the JSON fields, on the parsed
    /// request: a body that is only JSON is parsed once, into the type, and
    /// its rules are checked on the typed values. The generator writes it
    /// for types with such rules.
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// A parsed field's value as its rules read it; the generated
/// [`BindFields::check`] hands each rule field's value to [`Field::check`].
pub trait RuleValue {
    /// None: nothing to check (an optional field that is absent).
    fn rule_value(&self) -> Option<Rule<'_>>;
}

/// A value under `options=` and `range=`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule<'a> {
    Number(f64),
    Text(&'a str),
    Bool(bool),
    /// A JSON value as it came (a number read as JSON writes it, a list).
    Json(&'a Value),
}

macro_rules! number_rule {
    ($($t:ty),*) => {$(
        impl RuleValue for $t {
            fn rule_value(&self) -> Option<Rule<'_>> {
                // Ranges are written as decimals; every bound fits an f64.
                Some(Rule::Number(*self as f64))
            }
        }
    )*};
}
number_rule!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl RuleValue for String {
    fn rule_value(&self) -> Option<Rule<'_>> {
        Some(Rule::Text(self))
    }
}

impl RuleValue for bool {
    fn rule_value(&self) -> Option<Rule<'_>> {
        Some(Rule::Bool(*self))
    }
}

impl RuleValue for Value {
    fn rule_value(&self) -> Option<Rule<'_>> {
        match self {
            Value::Null => None,
            Value::String(s) => Some(Rule::Text(s)),
            Value::Bool(b) => Some(Rule::Bool(*b)),
            other => Some(Rule::Json(other)),
        }
    }
}

impl<T: RuleValue> RuleValue for Option<T> {
    fn rule_value(&self) -> Option<Rule<'_>> {
        self.as_ref().and_then(RuleValue::rule_value)
    }
}

impl Field {
    /// Check a parsed value against this field's `options=` and `range=`,
    /// with the messages the JSON value check gives.
    pub fn check<V: RuleValue + ?Sized>(&self, v: &V) -> Result<(), Error> {
        let Some(rule) = v.rule_value() else {
            return Ok(());
        };
        if !self.options.is_empty() {
            let text = match rule {
                Rule::Text(s) => std::borrow::Cow::Borrowed(s),
                Rule::Number(n) => std::borrow::Cow::Owned(n.to_string()),
                Rule::Bool(b) => std::borrow::Cow::Owned(b.to_string()),
                Rule::Json(v) => std::borrow::Cow::Owned(v.to_string()),
            };
            if !self.options.contains(&text.as_ref()) {
                return Err(Error::bad_param(format!(
                    "`{}` must be one of {}, got `{text}`",
                    self.key,
                    self.options.join(", ")
                )));
            }
        }
        if let Some(r) = self.range {
            let number = match rule {
                Rule::Number(n) => Some(n),
                Rule::Json(v) => v.as_f64(),
                _ => None,
            };
            let Some(n) = number else {
                return Err(Error::bad_param(format!("`{}` must be a number", self.key)));
            };
            if !r.contains(n) {
                return Err(Error::bad_param(format!(
                    "`{}` must be in {r}, got {n}",
                    self.key
                )));
            }
        }
        Ok(())
    }
}

/// An extractor that binds a request type from every part of the request.
pub struct Bind<T>(pub T);

impl<S, T> FromRequest<S> for Bind<T>
where
    S: Send + Sync,
    T: BindFields + DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let form_body = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        // Fast path: a JSON body and nothing to fill in. Check the fields
        // that have rules on a shallow, borrowed parse, then let serde build
        // the type straight from the bytes.
        if !form_body
            && T::FIELDS
                .iter()
                .all(|f| f.source == Source::Json && f.default.is_none())
        {
            let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|e| Error::bad_param(e.body_text()))?;
            let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &bytes
            };
            check_string_lengths(body)?;
            check_json_rules::<T>(body)?;
            let value: T = serde_json::from_slice(body).map_err(Error::bad_param)?;
            value.check()?;
            return Ok(Bind(value));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|e| Error::bad_param(e.body_text()))?;

        let mut json = Map::new();
        let mut form: Vec<(String, String)> = Vec::new();
        if let Some(q) = parts.uri.query() {
            form = serde_urlencoded::from_str(q).map_err(Error::bad_param)?;
        }
        if form_body {
            let more: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(Error::bad_param)?;
            form.extend(more);
        } else if T::FIELDS.iter().any(|f| f.source == Source::Json)
            && !bytes.iter().all(u8::is_ascii_whitespace)
        {
            check_string_lengths(&bytes)?;
            match serde_json::from_slice(&bytes).map_err(Error::bad_param)? {
                Value::Object(map) => json = map,
                _ => return Err(Error::bad_param("the body must be a JSON object")),
            }
        }
        let path: Vec<(String, String)> = if T::FIELDS.iter().any(|f| f.source == Source::Path) {
            RawPathParams::from_request_parts(&mut parts, state)
                .await
                .map_err(|e| Error::bad_param(e.body_text()))?
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        } else {
            Vec::new()
        };

        // Fill and check the fields in the parsed body itself; what is not a
        // field of the type is left for serde to ignore.
        for f in T::FIELDS {
            let value = match f.source {
                Source::Json => json.remove(f.key).filter(|v| !v.is_null()),
                Source::Form => text(
                    f,
                    form.iter()
                        .find(|(k, _)| k == f.key)
                        .map(|(_, v)| v.as_str()),
                )?,
                Source::Path => text(
                    f,
                    path.iter()
                        .find(|(k, _)| k == f.key)
                        .map(|(_, v)| v.as_str()),
                )?,
                Source::Header => {
                    let v = parts.headers.get(f.key).map(|v| {
                        v.to_str().map_err(|_| {
                            Error::bad_param(format!("header `{}` is not text", f.key))
                        })
                    });
                    text(f, v.transpose()?)?
                }
            };
            let value = match (value, f.default) {
                (Some(v), _) => v,
                (None, Some(d)) => parse_text(f, d)?,
                (None, None) if f.optional => continue,
                (None, None) => return Err(Error::bad_param(format!("`{}` is required", f.key))),
            };
            f.check(&value)?;
            json.insert(f.key.to_string(), value);
        }
        serde_json::from_value(Value::Object(json))
            .map(Bind)
            .map_err(Error::bad_param)
    }
}

/// `options=` and `range=` on a nested value (a list, a struct), which the
/// typed [`BindFields::check`] does not reach: checked in a pass over the
/// body that keeps only those fields and skips the rest.
fn check_json_rules<T: BindFields>(body: &[u8]) -> Result<(), Error> {
    if T::FIELDS
        .iter()
        .all(|f| f.plain_json() || f.kind != Kind::Any)
    {
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    // Not an object, or broken JSON: serde says what is wrong.
    let found = RuleFields(T::FIELDS)
        .deserialize(&mut de)
        .map_err(Error::bad_param)?;
    for f in T::FIELDS.iter().filter(|f| !f.plain_json()) {
        match found.iter().find(|(k, _)| *k == f.key) {
            Some((_, v)) if !v.is_null() => f.check(v)?,
            _ if f.optional => {}
            _ => return Err(Error::bad_param(format!("`{}` is required", f.key))),
        }
    }
    Ok(())
}

/// Visits a JSON object and returns the values of the fields that have rules.
struct RuleFields(&'static [Field]);

impl<'de> DeserializeSeed<'de> for RuleFields {
    type Value = Vec<(&'static str, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RuleFields {
    type Value = Vec<(&'static str, Value)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key_seed(RuleKey(self.0))? {
            match key {
                Some(key) => out.push((key, map.next_value()?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A key of the body, as the rule field it names (if any), without copying it.
struct RuleKey(&'static [Field]);

impl<'de> DeserializeSeed<'de> for RuleKey {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RuleKey {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .iter()
            .find(|f| f.key == v && !f.plain_json())
            .map(|f| f.key))
    }
}

/// A text value (query, path, header) read as the field's kind.
fn text(f: &Field, raw: Option<&str>) -> Result<Option<Value>, Error> {
    raw.map(|r| {
        check_text_length(f.key, r)?;
        parse_text(f, r)
    })
    .transpose()
}

fn parse_text(f: &Field, raw: &str) -> Result<Value, Error> {
    let bad = |what: &str| Error::bad_param(format!("`{}` must be {what}, got `{raw}`", f.key));
    Ok(match f.kind {
        Kind::Bool => match raw {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Int => raw.parse::<i64>().map_err(|_| bad("an integer"))?.into(),
        Kind::Uint => raw
            .parse::<u64>()
            .map_err(|_| bad("a non-negative integer"))?
            .into(),
        Kind::Float => {
            let v = raw.parse::<f64>().map_err(|_| bad("a number"))?;
            serde_json::Number::from_f64(v)
                .map(Value::Number)
                .ok_or_else(|| bad("a finite number"))?
        }
        Kind::String => Value::String(raw.to_string()),
        Kind::Any => serde_json::from_str(raw).map_err(|_| bad("JSON"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_bracket_rules() {
        let r = Range::new().ge(1.0).lt(10.0);
        assert!(r.contains(1.0) && r.contains(9.9));
        assert!(!r.contains(0.9) && !r.contains(10.0));
        assert_eq!(r.to_string(), "[1:10)");
        assert!(Range::new().gt(0.0).contains(1e9));
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Login {
        mobile: String,
        remember: bool,
        page: i64,
    }

    impl BindFields for Login {
        const FIELDS: &'static [Field] = &[
            Field::form("mobile", Kind::String),
            Field::form("remember", Kind::Bool).default("false"),
            Field::form("page", Kind::Int).range(Range::new().ge(1.0)),
        ];
    }

    fn form_request(uri: &str, body: &'static str) -> Request {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn form_bodies_and_queries_bind_together() {
        let Bind(v) = Bind::<Login>::from_request(
            form_request("/login?page=2", "mobile=138%2000&remember=1"),
            &(),
        )
        .await
        .unwrap();
        assert_eq!(
            v,
            Login {
                mobile: "138 00".into(),
                remember: true,
                page: 2
            }
        );

        let Bind(v) = Bind::<Login>::from_request(form_request("/login", "mobile=1&page=3"), &())
            .await
            .unwrap();
        assert!(!v.remember, "the default fills a missing field");

        let e = Bind::<Login>::from_request(form_request("/login", "mobile=1&page=0"), &())
            .await
            .err()
            .unwrap();
        assert_eq!(e.message(), "bad parameter: `page` must be in [1:), got 0");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Profile {
        mobile: String,
        tags: Vec<String>,
    }

    impl BindFields for Profile {
        const FIELDS: &'static [Field] = &[
            Field::json("mobile", Kind::String),
            Field::json("tags", Kind::Any),
        ];
    }

    fn json_request(body: String) -> Request {
        Request::builder()
            .method("POST")
            .uri("/profile")
            .header(CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap()
    }

    /// The attack: a megabyte "mobile" that would become a megabyte cache
    /// key and placeholder. Any string over the limit, at any depth and in
    /// any source, is a bad parameter; strings up to it pass.
    #[tokio::test]
    async fn strings_longer_than_the_limit_are_refused() {
        let max = DEFAULT_MAX_STRING_BYTES;
        let body = |mobile: usize, tag: usize| {
            format!(
                r#"{{"mobile":"{}","tags":["a","{}"]}}"#,
                "1".repeat(mobile),
                "t".repeat(tag)
            )
        };
        let bind = |body| Bind::<Profile>::from_request(json_request(body), &());
        assert!(bind(body(max, max)).await.is_ok());
        for (mobile, tag) in [(100_000, 1), (1, max + 1)] {
            let e = bind(body(mobile, tag)).await.err().unwrap();
            assert_eq!(e.code_value(), crate::codes::REQUEST_PARAM_ERROR);
            assert!(
                e.message().contains("longer than 4096 bytes"),
                "{}",
                e.message()
            );
        }
        let long = format!("mobile={}&page=1", "1".repeat(max + 1));
        let e = Bind::<Login>::from_request(form_request("/login", long.leak()), &())
            .await
            .err()
            .unwrap();
        assert_eq!(
            e.message(),
            "bad parameter: `mobile` is longer than 4096 bytes"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        kind: String,
        count: i64,
        nights: Option<u32>,
    }

    /// What the generator writes for this type.
    impl BindFields for Order {
        const FIELDS: &'static [Field] = &[
            Field::json("kind", Kind::String).options(&["day", "night"]),
            Field::json("count", Kind::Int).range(Range::new().ge(0.0).le(1000.0)),
            Field::json("nights", Kind::Uint)
                .optional()
                .range(Range::new().gt(0.0)),
        ];

        fn check(&self) -> Result<(), Error> {
            Self::FIELDS[0].check(&self.kind)?;
            Self::FIELDS[1].check(&self.count)?;
            Self::FIELDS[2].check(&self.nights)?;
            Ok(())
        }
    }

    /// A JSON body is parsed once; its rules are checked on the typed
    /// values, with the messages the JSON value check gives.
    #[tokio::test]
    async fn json_rules_are_checked_on_the_parsed_request() {
        let bind = |body: &str| Bind::<Order>::from_request(json_request(body.to_string()), &());
        let Bind(order) = bind(r#"{"kind":"day","count":1000}"#).await.unwrap();
        assert_eq!((order.count, order.nights), (1000, None));
        assert!(
            bind(r#"{"kind":"night","count":0,"nights":2}"#)
                .await
                .is_ok()
        );
        for (body, field, value) in [
            (r#"{"kind":"noon","count":1}"#, 0, Value::from("noon")),
            (r#"{"kind":"day","count":1500}"#, 1, Value::from(1500)),
            (r#"{"kind":"day","count":-1}"#, 1, Value::from(-1)),
            (r#"{"kind":"day","count":1,"nights":0}"#, 2, Value::from(0)),
        ] {
            let e = bind(body).await.err().unwrap();
            let by_value = Order::FIELDS[field].check(&value).unwrap_err();
            assert_eq!(e.message(), by_value.message(), "{body}");
        }
        let e = bind(r#"{"kind":"day"}"#).await.err().unwrap();
        assert!(
            e.message().contains("missing field `count`"),
            "{}",
            e.message()
        );
        // A number under `options=` reads as JSON writes it.
        let f = Field::json("n", Kind::Int).options(&["1", "2"]);
        assert!(f.check(&2_i64).is_ok() && f.check(&3_u8).is_err());
    }

    #[test]
    fn text_values_take_the_field_kind() {
        let f = Field::form("n", Kind::Int);
        assert_eq!(parse_text(&f, "42").unwrap(), Value::from(42));
        let e = parse_text(&f, "x").unwrap_err();
        assert_eq!(
            e.message(),
            "bad parameter: `n` must be an integer, got `x`"
        );
        let f = Field::form("s", Kind::String).options(&["a", "b"]);
        assert!(f.check(&Value::from("a")).is_ok());
        assert!(f.check(&Value::from("c")).is_err());
    }
}
