//! Configuration files: YAML, with `${VAR}` / `${VAR:-default}` expanded from
//! the environment, then overridden by `LOOKLOOK_<KEY>__<SUBKEY>` variables.
//! Keys are PascalCase, as in go-zero configs.
//!
//! The file is parsed first and the environment goes into the parsed string
//! values: a value from the environment is text, never YAML, so a secret
//! with a `#` or a `~` arrives as it was set, and no variable can add keys.
//! A value that is one `${...}` and nothing else, and an override, become a
//! number or `true`/`false` when the text is one (so `Port: ${PORT}` is a
//! port); any other text stays a string.
//!
//! Errors name the file and the key (or line) that is wrong.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

/// The prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "LOOKLOOK_";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: environment variable `{var}` is not set (write `${{{var}:-default}}` to give a default)"
    )]
    MissingEnv {
        path: PathBuf,
        line: usize,
        var: String,
    },
    #[error("{path}: not valid YAML: {source}")]
    Yaml {
        path: PathBuf,
        source: serde_yaml_ng::Error,
    },
    #[error("{path}: bad value for `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error(
        "{path}: `{key}` {why}; outside `Mode: dev` a service only starts with secrets of its own (set it, at least {MIN_SECRET_BYTES} bytes), so that nobody who has read the code can forge what it signs"
    )]
    UnsafeSecret {
        path: PathBuf,
        key: String,
        why: &'static str,
    },
}

/// How much a service trusts its config, as go-zero's `Mode`: `dev` (a
/// developer's machine: `looklook dev` and `looklook demo` set it) lets the
/// committed development secrets and keys through and serves gRPC
/// reflection; `test` and `pro` refuse to start with a secret that is
/// missing, shorter than [`MIN_SECRET_BYTES`] or a known development value,
/// and with a key file from a `dev-keys` directory. `pro` is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Dev,
    Test,
    #[default]
    Pro,
}

/// The shortest secret a service accepts outside dev mode.
pub const MIN_SECRET_BYTES: usize = 32;

/// Secrets committed to this repository and to the files looklook
/// scaffolds, for development: never accepted outside dev mode.
pub const KNOWN_DEV_SECRETS: &[&str] = &[
    "looklook-dev-secret-change-me",
    "change-me-in-production",
    "sandbox-secret",
    "looklook-sandbox-apiv3-key-32byt",
    "looklook-dev-caller-key-change-me",
];

/// The config file named by `-f PATH` (or `-f=PATH`, `--config PATH`) on the
/// command line, else `default`.
pub fn path_from_args(default: &str) -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-f" || a == "--config" {
            if let Some(p) = args.next() {
                return PathBuf::from(p);
            }
        } else if let Some(p) = a
            .strip_prefix("-f=")
            .or_else(|| a.strip_prefix("--config="))
        {
            return PathBuf::from(p);
        }
    }
    PathBuf::from(default)
}

/// Load and deserialize a config file, applying the process environment.
pub fn load<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<T, ConfigError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_str(path, &text, |k| std::env::var(k).ok(), std::env::vars())
}

/// Parse config text. `env` looks variables up for `${...}`; `overrides` are
/// the environment's `(name, value)` pairs, of which those starting with
/// [`ENV_PREFIX`] override keys.
pub fn from_str<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    env: impl Fn(&str) -> Option<String>,
    overrides: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError> {
    let mut value: Value = serde_yaml_ng::from_str(text).map_err(|source| ConfigError::Yaml {
        path: path.to_path_buf(),
        source,
    })?;
    if value.is_null() {
        value = Value::Mapping(Default::default());
    }
    let mut typed_values = Typed::new();
    expand_values(&mut value, &env, &mut Vec::new(), &mut typed_values).map_err(|var| {
        ConfigError::MissingEnv {
            path: path.to_path_buf(),
            line: line_of(text, &var),
            var,
        }
    })?;
    let mut overrides: Vec<_> = overrides
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(ENV_PREFIX)?.to_string(), v)))
        .collect();
    overrides.sort();
    for (key, raw) in overrides {
        let new = typed(raw.clone());
        let at = set_path(&mut value, &key.split("__").collect::<Vec<_>>(), new);
        if let Some(at) = at {
            typed_values.push((at, raw));
        }
    }
    let mode: Mode = match value.get("Mode") {
        None => Mode::default(),
        Some(m) => serde_yaml_ng::from_value(m.clone()).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: "Mode".into(),
            message: e.to_string(),
        })?,
    };
    if mode != Mode::Dev {
        check_secrets(path, &value, "")?;
    }
    deserialize(path, value, typed_values)
}

/// Outside dev mode: every secret (a key named `...Secret`, `...Key` or
/// `...Password`) is set, long enough and not a committed development
/// value, and no private key file comes from a `dev-keys` directory.
fn check_secrets(path: &Path, value: &Value, at: &str) -> Result<(), ConfigError> {
    let Value::Mapping(map) = value else {
        return Ok(());
    };
    for (key, inner) in map {
        let Some(key) = key.as_str() else { continue };
        let full = if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        };
        let lower = key.to_ascii_lowercase();
        let unsafe_because = |why| ConfigError::UnsafeSecret {
            path: path.to_path_buf(),
            key: full.clone(),
            why,
        };
        if lower.ends_with("secret") || lower.ends_with("key") || lower.ends_with("password") {
            let text = match inner {
                Value::String(s) => s.as_str(),
                Value::Null => "",
                _ => continue,
            };
            if text.is_empty() {
                return Err(unsafe_because("is not set"));
            }
            if KNOWN_DEV_SECRETS.contains(&text) {
                return Err(unsafe_because(
                    "is a development value committed to the code",
                ));
            }
            if text.len() < MIN_SECRET_BYTES {
                return Err(unsafe_because("is too short"));
            }
        }
        if lower.ends_with("privatekeyfile")
            && let Value::String(file) = inner
            && Path::new(file)
                .components()
                .any(|c| c.as_os_str() == "dev-keys")
        {
            return Err(unsafe_because(
                "is a development key committed to the code (a dev-keys directory)",
            ));
        }
        check_secrets(path, inner, &full)?;
    }
    Ok(())
}

/// Values from the environment that were read as a number or a boolean:
/// where each is, and its text, in case the key wants a string after all.
type Typed = Vec<(Vec<String>, String)>;

/// Expand `${VAR}` and `${VAR:-default}` in every string of a parsed
/// config; the error is the variable that is not set and has no default.
fn expand_values(
    value: &mut Value,
    env: &impl Fn(&str) -> Option<String>,
    at: &mut Vec<String>,
    typed_values: &mut Typed,
) -> Result<(), String> {
    match value {
        Value::String(text) if text.contains("${") => {
            let expanded = expand(text, env)?;
            let whole = text.starts_with("${") && text.find('}') == Some(text.len() - 1);
            *value = if whole {
                typed(expanded.clone())
            } else {
                Value::String(expanded.clone())
            };
            if !value.is_string() && !value.is_null() {
                typed_values.push((at.clone(), expanded));
            }
        }
        Value::Mapping(map) => {
            for (key, inner) in map.iter_mut() {
                at.push(
                    key.as_str()
                        .map_or_else(|| format!("{key:?}"), str::to_string),
                );
                expand_values(inner, env, at, typed_values)?;
                at.pop();
            }
        }
        Value::Sequence(items) => {
            for (i, inner) in items.iter_mut().enumerate() {
                at.push(i.to_string());
                expand_values(inner, env, at, typed_values)?;
                at.pop();
            }
        }
        Value::Tagged(tagged) => expand_values(&mut tagged.value, env, at, typed_values)?,
        _ => {}
    }
    Ok(())
}

/// Deserialize, giving back their text to values from the environment
/// that were read as numbers or booleans where the key wants a string
/// (`MchId: "${WX_MCH_ID}"` with an all-digit id, say).
fn deserialize<T: DeserializeOwned>(
    path: &Path,
    mut value: Value,
    mut typed_values: Typed,
) -> Result<T, ConfigError> {
    loop {
        let e = match serde_path_to_error::deserialize(value.clone()) {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        let at: Vec<String> = e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                _ => None,
            })
            .collect();
        let Some(i) = typed_values.iter().position(|(p, _)| *p == at) else {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: e.path().to_string(),
                message: e.into_inner().to_string(),
            });
        };
        let (at, text) = typed_values.swap_remove(i);
        if let Some(slot) = at.iter().try_fold(&mut value, |v, key| match v {
            Value::Sequence(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            other => other.get_mut(key.as_str()),
        }) {
            *slot = Value::String(text);
        }
    }
}

/// One string with its `${...}` replaced.
fn expand(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        let (var, default) = match inner.split_once(":-") {
            Some((v, d)) => (v, Some(d)),
            None => (inner, None),
        };
        match (env(var), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(var.to_string()),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Text from the environment as a config value: an integer, a decimal
/// number, `true` or `false` when it is exactly one, nothing when empty
/// (as an empty YAML value), else the text as it is. Never YAML: `~`,
/// `[a]` and `a #b` stay strings.
fn typed(text: String) -> Value {
    let numeric = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    };
    if text.is_empty() {
        Value::Null
    } else if let Ok(n) = text.parse::<i64>() {
        Value::Number(n.into())
    } else if let Ok(n) = text.parse::<u64>() {
        Value::Number(n.into())
    } else if let (true, Ok(f)) = (numeric(&text), text.parse::<f64>()) {
        Value::Number(f.into())
    } else if text == "true" || text == "false" {
        Value::Bool(text == "true")
    } else {
        Value::String(text)
    }
}

/// The line (from 1) where `${var` is first used outside a comment, for
/// the error that names it.
fn line_of(text: &str, var: &str) -> usize {
    let needle = format!("${{{var}");
    text.lines()
        .position(|line| {
            line.find(&needle)
                .is_some_and(|at| at < comment_start(line))
        })
        .map_or(0, |n| n + 1)
}

/// Where a YAML comment starts on a line: a `#` at the start or after a
/// blank, outside quotes.
fn comment_start(line: &str) -> usize {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return i,
            _ => {}
        }
        prev = c;
    }
    line.len()
}

/// Set `path` in a mapping. `ACCESS_SECRET` matches an existing key
/// `AccessSecret` (case and underscores aside), or is added as `AccessSecret`.
/// The keys it was set under when `new` is a number or a boolean (see
/// [`deserialize`]).
fn set_path(value: &mut Value, path: &[&str], new: Value) -> Option<Vec<String>> {
    let Some((first, rest)) = path.split_first() else {
        let scalar = new.is_number() || new.is_bool();
        *value = new;
        return scalar.then(Vec::new);
    };
    if !value.is_mapping() {
        *value = Value::Mapping(Default::default());
    }
    let map = value.as_mapping_mut().expect("just made a mapping");
    let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let existing = map
        .keys()
        .find(|k| k.as_str().is_some_and(|s| squash(s) == squash(first)))
        .cloned();
    let key = existing.unwrap_or_else(|| Value::String(pascal_case(first)));
    let name = key.as_str().unwrap_or_default().to_string();
    let slot = map.entry(key).or_insert(Value::Null);
    let mut at = set_path(slot, rest, new)?;
    at.insert(0, name);
    Some(at)
}

fn pascal_case(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

/// The keys every process's config starts with, whatever it serves:
/// `Name`, `Log`, `Prometheus` (its metrics port) and `Telemetry` (where
/// traces go). HTTP and RPC servers and workers flatten it into theirs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceConf {
    pub name: String,
    /// `dev`, `test` or `pro` (the default): see [`Mode`].
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub log: LogConf,
    /// Where to serve Prometheus metrics; none when absent.
    #[serde(default)]
    pub prometheus: Option<PrometheusConf>,
    #[serde(default)]
    pub telemetry: TelemetryConf,
}

impl ServiceConf {
    /// A process called `name` with the defaults: plain logs, no metrics
    /// endpoint, no traces (for tests and embedded servers).
    pub fn new(name: impl Into<String>) -> ServiceConf {
        ServiceConf {
            name: name.into(),
            mode: Mode::default(),
            log: LogConf::default(),
            prometheus: None,
            telemetry: TelemetryConf::default(),
        }
    }

    /// What every process starts with: logging, tracing, and the metrics
    /// endpoint when there is one.
    pub async fn start(&self) -> anyhow::Result<()> {
        crate::telemetry::init_logging(&self.log);
        crate::trace::init(&self.name, &self.telemetry)?;
        if let Some(p) = &self.prometheus {
            crate::telemetry::serve_metrics(p).await?;
        }
        Ok(())
    }
}

/// What every HTTP service needs: the process keys and where to listen.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestConf {
    #[serde(flatten)]
    pub service: ServiceConf,
    #[serde(default = "default_host")]
    pub host: String,
    pub port: u16,
    /// What one request and one client may take: go-zero's keys and
    /// defaults, so a service is safe to expose as generated.
    #[serde(flatten)]
    pub limits: HttpLimits,
    /// The proxies (a gateway, an ingress) whose `X-Real-IP` and
    /// `X-Forwarded-For` are believed, as CIDRs: a rate limit per client
    /// address counts the address they forward. Anyone else's are ignored.
    /// Default: this machine only.
    #[serde(default = "crate::limit::loopback")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The limits of an HTTP server. Every key has go-zero's default (or, for
/// the two go-zero lacks, Go's usual choice); 0 turns a limit off.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpLimits {
    /// Milliseconds a request may take before it is answered 503.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// Requests in flight at once; more are answered 503 at once.
    #[serde(default = "default_max_conns")]
    pub max_conns: usize,
    /// The largest request body, in bytes; larger ones are refused (413).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// The longest string a request may carry, in bytes (query, form,
    /// path, header or anywhere in a JSON body); longer is a bad parameter.
    #[serde(default = "default_max_string_bytes")]
    pub max_string_bytes: usize,
    /// Milliseconds a client may take to send a request's headers: a
    /// client that trickles them (slowloris) is cut off.
    #[serde(default = "default_read_header_timeout")]
    pub read_header_timeout: u64,
    /// Milliseconds requests in flight get to finish after SIGTERM.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout: u64,
    /// CPU use, in permille, over which requests that would queue are
    /// shed (503) instead: adaptive load shedding. 0 turns it off.
    #[serde(default = "default_cpu_threshold")]
    pub cpu_threshold: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            timeout: default_timeout(),
            max_conns: default_max_conns(),
            max_bytes: default_max_bytes(),
            max_string_bytes: default_max_string_bytes(),
            read_header_timeout: default_read_header_timeout(),
            shutdown_timeout: default_shutdown_timeout(),
            cpu_threshold: default_cpu_threshold(),
        }
    }
}

/// go-zero's `CpuThreshold`: 90 %.
pub(crate) fn default_cpu_threshold() -> u64 {
    900
}

fn default_timeout() -> u64 {
    3000
}

fn default_max_conns() -> usize {
    10_000
}

fn default_max_bytes() -> usize {
    1 << 20
}

fn default_max_string_bytes() -> usize {
    crate::http::DEFAULT_MAX_STRING_BYTES
}

fn default_read_header_timeout() -> u64 {
    10_000
}

pub(crate) fn default_shutdown_timeout() -> u64 {
    5500
}

/// Where to send traces (see [`crate::trace`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TelemetryConf {
    /// An OTLP/gRPC collector, `http://127.0.0.1:4317` (Jaeger); absent or
    /// empty, the default, sends nothing (`Endpoint: ${OTLP_ENDPOINT:-}`
    /// expands to nothing, which YAML reads as null).
    /// `LOOKLOOK_TELEMETRY__ENDPOINT` sets it too.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The share of new traces kept, from 0 to 1; a trace the caller
    /// started follows the caller's choice.
    #[serde(default = "default_sampler")]
    pub sampler: f64,
}

impl Default for TelemetryConf {
    fn default() -> Self {
        TelemetryConf {
            endpoint: None,
            sampler: default_sampler(),
        }
    }
}

fn default_sampler() -> f64 {
    1.0
}

fn default_host() -> String {
    "0.0.0.0".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConf {
    /// `json` (one object a line, for the log pipeline) or `plain`.
    #[serde(default = "default_encoding")]
    pub encoding: String,
    /// A tracing filter: `info`, `debug`, `warn,my_crate=debug`.
    #[serde(default = "default_level")]
    pub level: String,
}

impl Default for LogConf {
    fn default() -> Self {
        LogConf {
            encoding: default_encoding(),
            level: default_level(),
        }
    }
}

fn default_encoding() -> String {
    "plain".into()
}

fn default_level() -> String {
    "info".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrometheusConf {
    #[serde(default = "default_host")]
    pub host: String,
    pub port: u16,
    #[serde(default = "default_metrics_path")]
    pub path: String,
}

fn default_metrics_path() -> String {
    "/metrics".into()
}

/// The JWT section named by `@server(jwt: Auth)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JwtAuth {
    pub access_secret: String,
    /// Token lifetime in seconds.
    #[serde(default = "default_expire")]
    pub access_expire: i64,
}

fn default_expire() -> i64 {
    86400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Conf {
        #[serde(flatten)]
        rest: RestConf,
        auth: JwtAuth,
    }

    fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Conf, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = vars.clone();
        from_str(
            Path::new("etc/a.yaml"),
            text,
            move |k| lookup.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            vars,
        )
    }

    #[test]
    fn expands_env_and_applies_overrides() {
        let c = parse(
            "# ${NOT_EXPANDED} in comments\nName: a # or ${THIS}\nMode: dev\nPort: ${PORT:-8080}\nAuth:\n  AccessSecret: ${SECRET}\nPrometheus:\n  Port: 9100\n",
            &[("SECRET", "s3"), ("LOOKLOOK_PROMETHEUS__PORT", "9200"), ("LOOKLOOK_LOG__ENCODING", "json"), ("LOOKLOOK_AUTH__ACCESS_EXPIRE", "60")],
        )
        .unwrap();
        assert_eq!(c.rest.port, 8080);
        assert_eq!(c.auth.access_secret, "s3");
        assert_eq!(c.auth.access_expire, 60);
        assert_eq!(c.rest.service.prometheus.unwrap().port, 9200);
        assert_eq!(c.rest.service.log.encoding, "json");
        assert_eq!(c.rest.host, "0.0.0.0");
    }

    #[test]
    fn errors_name_the_key_or_line() {
        let e = parse("Name: a\n\nPort: ${NOPE}\n", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "etc/a.yaml:3: environment variable `NOPE` is not set (write `${NOPE:-default}` to give a default)"
        );
        let e = parse(
            "Name: a\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: x\n  AccessExpire: soon\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "etc/a.yaml: bad value for `Auth.AccessExpire`: invalid type: string \"soon\", expected i64"
        );
    }

    /// The environment is text, never YAML: a secret with ` #` is not cut
    /// at the comment, `~` is not null, a variable cannot add keys, and an
    /// override is converted to the type its key has.
    #[test]
    fn values_from_the_environment_are_text() {
        let secret = "q8vJ2nX5rT1wY7zK #4mB9cF3hL6pD0sG2";
        let yaml = "Name: a\nPort: ${PORT}\nAuth:\n  AccessSecret: ${JWT_SECRET}\n";
        let c = parse(yaml, &[("PORT", "8081"), ("JWT_SECRET", secret)]).unwrap();
        assert_eq!(c.auth.access_secret, secret);
        assert_eq!(c.rest.port, 8081);
        // YAML in a variable stays a string: no new key (the service would
        // be in dev mode and take the short secret), no null.
        let e = parse(yaml, &[("PORT", "1"), ("JWT_SECRET", "x\nMode: dev")]).unwrap_err();
        assert!(e.to_string().contains("is too short"), "{e}");
        let e = parse(yaml, &[("PORT", "1"), ("JWT_SECRET", "~")]).unwrap_err();
        assert!(e.to_string().contains("is too short"), "{e}");
        let c = parse(
            "Name: a\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: x\n",
            &[
                ("LOOKLOOK_AUTH__ACCESS_SECRET", "~"),
                ("LOOKLOOK_PORT", "2"),
            ],
        )
        .unwrap();
        assert_eq!(c.auth.access_secret, "~");
        assert_eq!(c.rest.port, 2);
        // Digits for a key that wants a string stay the text they were,
        // leading zeros and all.
        let c = parse(
            "Name: a\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: ${S}\n",
            &[("S", "007")],
        )
        .unwrap();
        assert_eq!(c.auth.access_secret, "007");
        let c = parse(
            "Name: a\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: x\n",
            &[("LOOKLOOK_AUTH__ACCESS_SECRET", "0123")],
        )
        .unwrap();
        assert_eq!(c.auth.access_secret, "0123");
        // Part of a longer string: always text.
        let c = parse(
            "Name: ${N}-api\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: x\n",
            &[("N", "7")],
        )
        .unwrap();
        assert_eq!(c.rest.service.name, "7-api");
    }

    #[test]
    fn telemetry_is_off_until_an_endpoint_is_given() {
        let yaml = "Name: a\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: x\nTelemetry:\n  Endpoint: ${OTLP_ENDPOINT:-}\n";
        let off = parse(yaml, &[]).unwrap();
        assert_eq!(off.rest.service.telemetry.endpoint, None);
        assert_eq!(off.rest.service.telemetry.sampler, 1.0);
        let on = parse(yaml, &[("OTLP_ENDPOINT", "http://127.0.0.1:4317")]).unwrap();
        assert_eq!(
            on.rest.service.telemetry.endpoint.as_deref(),
            Some("http://127.0.0.1:4317")
        );
        let set = parse(
            "Name: a\nMode: dev\nPort: 1\nAuth:\n  AccessSecret: x\n",
            &[("LOOKLOOK_TELEMETRY__ENDPOINT", "http://jaeger:4317")],
        )
        .unwrap();
        assert_eq!(
            set.rest.service.telemetry.endpoint.as_deref(),
            Some("http://jaeger:4317")
        );
    }

    /// The attack: a service started with the secret everyone can read in
    /// the repository signs tokens anyone can forge. Outside dev mode it
    /// does not start, and says which key to set.
    #[test]
    fn outside_dev_mode_committed_or_weak_secrets_are_refused() {
        let yaml = |mode: &str, secret: &str| {
            format!("Name: a\n{mode}Port: 1\nAuth:\n  AccessSecret: {secret}\n")
        };
        for (mode, secret, why) in [
            ("", "looklook-dev-secret-change-me", "committed"),
            ("Mode: pro\n", "change-me-in-production", "committed"),
            ("Mode: test\n", "short", "too short"),
            ("", "\"\"", "not set"),
        ] {
            let e = parse(&yaml(mode, secret), &[]).unwrap_err().to_string();
            assert!(
                e.contains("`Auth.AccessSecret`") && e.contains(why),
                "{mode}{secret}: {e}"
            );
        }
        let strong = "q8vJ2nX5rT1wY7zK4mB9cF3hL6pD0sG2";
        assert!(parse(&yaml("", strong), &[]).is_ok());
        // The dev loop's override turns dev mode on; a bad mode is named.
        let dev = [("LOOKLOOK_MODE", "dev")];
        assert!(parse(&yaml("", "looklook-dev-secret-change-me"), &dev).is_ok());
        let e = parse(&yaml("Mode: staging\n", strong), &[]).unwrap_err();
        assert!(e.to_string().contains("bad value for `Mode`"), "{e}");
        // A private key from the repository's dev-keys is refused too.
        let key = format!(
            "Name: a\nPort: 1\nAuth:\n  AccessSecret: {strong}\nPay:\n  PrivateKeyFile: ../wechat/dev-keys/merchant.key\n"
        );
        let e = parse(&key, &[]).unwrap_err().to_string();
        assert!(e.contains("`Pay.PrivateKeyFile`"), "{e}");
    }
}
