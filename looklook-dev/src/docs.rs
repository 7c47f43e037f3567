//! The API reference of `looklook dev`'s dashboard, under `/reference/`:
//! the OpenAPI documents that `looklook gen` wrote to the manifest's
//! `[clients] openapi` directory, browsable in Swagger UI (vendored in
//! `assets/`, no CDN), with its "try it" form per route. The documents are
//! read on every request, so a regeneration shows at the next reload.
//!
//! "Try it" calls leave the page for `/reference/try/…`, and the dashboard
//! forwards them: through the gateway when the project has one, else to the
//! process the document names. The browser thus calls its own origin, and
//! no service needs to answer cross-origin requests.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};

use crate::board::Board;

/// The files of Swagger UI, by the name the page asks for.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "swagger-ui-bundle.js",
        "text/javascript",
        include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui-standalone-preset.js",
        "text/javascript",
        include_bytes!("../assets/swagger-ui/swagger-ui-standalone-preset.js"),
    ),
    (
        "swagger-ui.css",
        "text/css",
        include_bytes!("../assets/swagger-ui/swagger-ui.css"),
    ),
];

/// The document of them all, listed first.
const MERGED: &str = "openapi.yaml";

/// The header the page puts on a "try it" call: the server the document
/// named for it (`127.0.0.1:8080`, say). A page of another site cannot set it
/// without the browser asking first, which nothing here answers.
const UPSTREAM: &str = "x-looklook-upstream";

/// Where "try it" calls go.
#[derive(Clone)]
pub struct TryIt {
    /// The gateway's address (`127.0.0.1:8888`): every call goes through it.
    gateway: Option<String>,
    /// Without a gateway, a call may go to these processes' own ports.
    board: Arc<Mutex<Board>>,
    client: reqwest::Client,
}

impl TryIt {
    pub fn new(gateway: Option<String>, board: Arc<Mutex<Board>>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        TryIt {
            gateway,
            board,
            client,
        }
    }

    /// The address a call named for `upstream` is sent to, or why not.
    fn target(&self, upstream: &str) -> Result<String, &'static str> {
        if let Some(gateway) = &self.gateway {
            return Ok(gateway.clone());
        }
        let port = upstream
            .strip_prefix("127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or("the reference sends only to this machine's processes")?;
        let board = self.board.lock().unwrap_or_else(|e| e.into_inner());
        if board.serves_on(port) {
            Ok(upstream.to_string())
        } else {
            Err("no process of this project listens there")
        }
    }
}

#[derive(Clone)]
struct Reference {
    dir: PathBuf,
    try_it: TryIt,
}

/// The reference's routes, under `/reference/`.
pub fn router(dir: PathBuf, try_it: TryIt) -> Router {
    Router::new()
        .route("/reference/", get(index))
        .route("/reference/openapi/{file}", get(document))
        .route("/reference/assets/{file}", get(asset))
        .route("/reference/try/", any(forward))
        .route("/reference/try/{*path}", any(forward))
        .with_state(Reference { dir, try_it })
}

/// The documents to offer: the merged one, then one per service.
fn documents(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| plain_name(n))
        .collect();
    names.sort_by_key(|n| (n != MERGED, n.clone()));
    names
}

/// Only the `.yaml` files of the directory itself: no path, no `..`.
fn plain_name(name: &str) -> bool {
    name.ends_with(".yaml")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

async fn index(State(reference): State<Reference>) -> Html<String> {
    let urls: Vec<serde_json::Value> = documents(&reference.dir)
        .into_iter()
        .map(|n| {
            let name = n.trim_end_matches(".yaml").trim_end_matches(".openapi");
            let name = if n == MERGED { "all services" } else { name };
            serde_json::json!({ "url": format!("/reference/openapi/{n}"), "name": name })
        })
        .collect();
    // JSON inside a <script>: `<` escaped so no value can close the tag.
    let urls = serde_json::to_string(&urls)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c");
    let via = match &reference.try_it.gateway {
        Some(gateway) => format!("through the gateway at {gateway}"),
        None => "to each service's own port".to_string(),
    };
    Html(format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API reference</title>
<link rel="stylesheet" href="/reference/assets/swagger-ui.css">
</head>
<body>
<p class="via" style="font-family:sans-serif;margin:8px 20px">"Try it out" sends {via}.</p>
<div id="reference"></div>
<script src="/reference/assets/swagger-ui-bundle.js"></script>
<script src="/reference/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  urls: {urls},
  dom_id: "#reference",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  // A call to a server of the document goes to this page's own origin,
  // which forwards it (see /reference/try).
  requestInterceptor: (req) => {{
    const url = new URL(req.url, location.href);
    if (req.loadSpec || url.origin === location.origin) return req;
    req.headers["{UPSTREAM}"] = url.host;
    req.url = "/reference/try" + url.pathname + url.search;
    return req;
  }},
}});
</script>
</body>
</html>
"##
    ))
}

async fn document(State(reference): State<Reference>, UrlPath(file): UrlPath<String>) -> Response {
    if !plain_name(&file) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(reference.dir.join(&file)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/yaml")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn asset(UrlPath(file): UrlPath<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, bytes)) => ([(header::CONTENT_TYPE, *kind)], *bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The headers of a call that are passed on, both ways.
const PASSED: &[header::HeaderName] =
    &[header::ACCEPT, header::AUTHORIZATION, header::CONTENT_TYPE];

/// Forward a "try it" call and hand back what it answered.
async fn forward(
    State(reference): State<Reference>,
    method: Method,
    path: Option<UrlPath<String>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let refuse = |why: &str| (StatusCode::FORBIDDEN, why.to_string()).into_response();
    let Some(upstream) = headers.get(UPSTREAM).and_then(|v| v.to_str().ok()) else {
        return refuse("a call from the reference page names its server");
    };
    let target = match reference.try_it.target(upstream) {
        Ok(target) => target,
        Err(why) => return refuse(why),
    };
    let path = path.map(|UrlPath(p)| p).unwrap_or_default();
    let mut url = format!("http://{target}/{path}");
    if let Some(query) = query {
        url = format!("{url}?{query}");
    }
    let mut call = reference.try_it.client.request(method, &url).body(body);
    for name in PASSED {
        if let Some(value) = headers.get(name) {
            call = call.header(name, value);
        }
    }
    match call.send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut passed = HeaderMap::new();
            for name in PASSED {
                if let Some(value) = answer.headers().get(name) {
                    passed.insert(name, value.clone());
                }
            }
            match answer.bytes().await {
                Ok(body) => (status, passed, body).into_response(),
                Err(e) => unreachable_at(&target, &e),
            }
        }
        Err(e) => unreachable_at(&target, &e),
    }
}

/// A 502 saying which address did not answer, in the services' shape.
fn unreachable_at(target: &str, error: &reqwest::Error) -> Response {
    let msg = format!("{target} did not answer ({error}); is it up (looklook up, looklook dev)?");
    (
        StatusCode::BAD_GATEWAY,
        axum::Json(serde_json::json!({ "code": 502, "msg": msg })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_yaml_names_are_served() {
        assert!(plain_name("openapi.yaml"));
        assert!(plain_name("order.openapi.yaml"));
        for bad in [
            "../secret.yaml",
            "a/b.yaml",
            ".hidden.yaml",
            "x.toml",
            "..%2fx.yaml",
        ] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    /// A server on 127.0.0.1 that answers with what it was sent.
    async fn echo() -> u16 {
        let app = Router::new().fallback(
            |method: Method, uri: axum::http::Uri, headers: HeaderMap, body: String| async move {
                let auth = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                axum::Json(serde_json::json!({
                    "method": method.as_str(), "uri": uri.to_string(),
                    "authorization": auth, "body": body,
                }))
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    /// A reference over an empty directory, whose board has one process
    /// on `port`.
    fn reference(gateway: Option<String>, port: u16) -> Router {
        let board = Board::new([("travel-api".to_string(), Some(port), None)]);
        let try_it = TryIt::new(gateway, Arc::new(Mutex::new(board)));
        router(std::env::temp_dir(), try_it)
    }

    async fn call(router: Router, upstream: Option<&str>) -> (StatusCode, String) {
        use tower::ServiceExt;
        let mut request = axum::http::Request::post("/reference/try/travel/v1/list?page=2")
            .header(header::AUTHORIZATION, "Bearer t0k3n")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(upstream) = upstream {
            request = request.header(UPSTREAM, upstream);
        }
        let request = request
            .body(axum::body::Body::from(r#"{"pageSize":5}"#))
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// A call goes through the gateway with its method, path, query,
    /// token and body, whatever server the document named.
    #[tokio::test]
    async fn a_call_goes_through_the_gateway() {
        let gateway = echo().await;
        let router = reference(Some(format!("127.0.0.1:{gateway}")), 1);
        let (status, body) = call(router, Some("127.0.0.1:9")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(sent["method"], "POST");
        assert_eq!(sent["uri"], "/travel/v1/list?page=2");
        assert_eq!(sent["authorization"], "Bearer t0k3n");
        assert_eq!(sent["body"], r#"{"pageSize":5}"#);
    }

    /// Without a gateway, a call reaches the process the document named,
    /// and nothing else on this machine or off it.
    #[tokio::test]
    async fn without_a_gateway_only_the_projects_processes_are_reached() {
        let service = echo().await;
        let other = echo().await;
        let (status, body) = call(
            reference(None, service),
            Some(&format!("127.0.0.1:{service}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("/travel/v1/list?page=2"), "{body}");
        for upstream in [format!("127.0.0.1:{other}"), "example.com:80".to_string()] {
            let (status, body) = call(reference(None, service), Some(&upstream)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{upstream}: {body}");
        }
    }

    /// A form another site posts here (no header it cannot set) is
    /// refused; a gateway that is down is named in a 502.
    #[tokio::test]
    async fn a_foreign_form_is_refused_and_a_down_gateway_is_named() {
        let gateway = echo().await;
        let (status, _) = call(reference(Some(format!("127.0.0.1:{gateway}")), 1), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let down = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let (status, body) = call(reference(Some(down.to_string()), 1), Some("127.0.0.1:9")).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert!(body.contains(&down.to_string()), "{body}");
    }
}
