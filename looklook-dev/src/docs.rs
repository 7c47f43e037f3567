//! The API reference of `looklook dev`'s dashboard, under `/reference/`:
//! the OpenAPI documents that `looklook gen` wrote to the manifest's
//! `[clients] openapi` directory, browsable in Swagger UI (vendored in
//! `assets/`, no CDN), with its "try it" form per route. The documents are
//! read on every request, so a regeneration shows at the next reload.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

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

/// The reference's routes, under `/reference/`.
pub fn router(dir: PathBuf) -> Router {
    Router::new()
        .route("/reference/", get(index))
        .route("/reference/openapi/{file}", get(document))
        .route("/reference/assets/{file}", get(asset))
        .with_state(dir)
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

async fn index(State(dir): State<PathBuf>) -> Html<String> {
    let urls: Vec<serde_json::Value> = documents(&dir)
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
    Html(format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API reference</title>
<link rel="stylesheet" href="/reference/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/reference/assets/swagger-ui-bundle.js"></script>
<script src="/reference/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  urls: {urls},
  dom_id: "#reference",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
}});
</script>
</body>
</html>
"##
    ))
}

async fn document(State(dir): State<PathBuf>, UrlPath(file): UrlPath<String>) -> Response {
    if !plain_name(&file) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(dir.join(&file)).await {
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
}
