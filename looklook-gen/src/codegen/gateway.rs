//! The gateway's nginx config, from the project manifest and the API
//! services' `.api` prefixes: one entry point in front of every API
//! service, so clients know one address.
//!
//! What it does beyond routing, each for a reason:
//! - the caller's `X-Request-Id` is passed on (one is made when absent),
//!   so the gateway's log line and every service's carry the same id;
//! - one JSON object per request in the access log, ready for shipping;
//! - per-address rate limits on the routes the manifest names (login and
//!   sign-up: what password guessing and sign-up floods hit);
//! - a body size limit before anything reaches a service;
//! - nginx's own refusals (no route, too large, too many, service down)
//!   answered in the services' `{code,msg}` shape, never nginx's HTML. Their
//!   `code` is the HTTP status, which no business code (six digits) can be.

use std::fmt::Write;

use looklook_manifest::GatewayDef;

use super::api::axum_path;
use super::{FilePlan, GENERATED_HEADER_HASH, Owner};
use crate::apidsl::spec::Spec;

/// The port nginx listens on in its container; the stack file publishes it.
pub const CONTAINER_PORT: u16 = 8080;

/// One API service behind the gateway.
pub struct Upstream<'a> {
    pub spec: &'a Spec,
    /// Where the service answers, as nginx reaches it: `host:port`.
    pub address: String,
}

/// The config file the manifest's `[gateway]` table names.
pub fn plan(def: &GatewayDef, upstreams: &[Upstream]) -> FilePlan {
    let mut plan = FilePlan::default();
    plan.add(&def.config, Owner::Generated, nginx(def, upstreams));
    plan
}

/// The config: `http`-level directives and one `server`, as a file of
/// nginx's `conf.d/`.
pub fn nginx(def: &GatewayDef, upstreams: &[Upstream]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{GENERATED_HEADER_HASH}");
    out.push_str(
        "# The gateway: one entry point in front of the API services, from\n\
         # looklook.toml ([gateway], the processes' ports) and the services' .api\n\
         # prefixes. `looklook gen` rewrites it.\n\n",
    );
    out.push_str(
        "# One JSON object per request, with the request id the services log too.\n\
         log_format looklook_json escape=json\n  \
         '{\"time\":\"$time_iso8601\",\"client\":\"$remote_addr\",'\n  \
         '\"method\":\"$request_method\",\"uri\":\"$request_uri\",\"status\":$status,'\n  \
         '\"bytes\":$body_bytes_sent,\"duration\":$request_time,'\n  \
         '\"upstream\":\"$upstream_addr\",\"upstream_duration\":\"$upstream_response_time\",'\n  \
         '\"request_id\":\"$looklook_request_id\"}';\n\n",
    );
    out.push_str(
        "# The caller's X-Request-Id when it sent one, else one made here.\n\
         map $http_x_request_id $looklook_request_id {\n    \
         default $http_x_request_id;\n    \
         \"\"      $request_id;\n}\n\n",
    );
    let limited = limited_paths(def, upstreams);
    if !limited.is_empty() {
        let _ = writeln!(
            out,
            "# The rate-limited routes, per client address: {} (excess refused with 429).",
            def.rate
        );
        let _ = writeln!(
            out,
            "limit_req_zone $binary_remote_addr zone=looklook_limited:10m rate={};\n",
            def.rate
        );
    }
    for up in upstreams {
        let _ = writeln!(
            out,
            "upstream {} {{\n    server {};\n    # Connections kept open to the service.\n    keepalive 16;\n}}\n",
            upstream_name(up.spec),
            up.address
        );
    }
    let _ = writeln!(out, "server {{\n    listen {CONTAINER_PORT};");
    out.push_str("    access_log /dev/stdout looklook_json;\n");
    let _ = writeln!(out, "    client_max_body_size {};", def.max_body);
    out.push_str(
        "    limit_req_status 429;\n\n\
         \x20   proxy_http_version 1.1;\n\
         \x20   proxy_set_header Connection \"\";\n\
         \x20   proxy_set_header Host $host;\n\
         \x20   proxy_set_header X-Real-IP $remote_addr;\n\
         \x20   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         \x20   proxy_set_header X-Request-Id $looklook_request_id;\n\
         \x20   add_header X-Request-Id $looklook_request_id always;\n\n\
         \x20   # nginx's own refusals in the services' {code,msg} shape.\n\
         \x20   error_page 404 = @not_found;\n\
         \x20   error_page 413 = @too_large;\n\
         \x20   error_page 429 = @too_many;\n\
         \x20   error_page 502 503 504 = @unavailable;\n\n\
         \x20   location = /healthz {\n\
         \x20       default_type text/plain;\n\
         \x20       return 200 \"ok\";\n\
         \x20   }\n",
    );
    for (path, upstream) in &limited {
        let _ = writeln!(
            out,
            "\n    location {path} {{\n        limit_req zone=looklook_limited burst={} nodelay;\n        proxy_pass http://{upstream};\n    }}",
            def.burst
        );
    }
    // A limited route already has a location of its own.
    let own: Vec<&String> = limited.iter().map(|(location, _)| location).collect();
    for up in upstreams {
        for location in locations(up.spec).iter().filter(|l| !own.contains(l)) {
            let _ = writeln!(
                out,
                "\n    location {location} {{\n        proxy_pass http://{};\n    }}",
                upstream_name(up.spec)
            );
        }
    }
    out.push_str(
        "\n    # No service owns any other path.\n\
         \x20   location / {\n\
         \x20       return 404;\n\
         \x20   }\n",
    );
    for (name, status, msg) in [
        ("not_found", 404, "no service has this route"),
        ("too_large", 413, "the request body is too large"),
        ("too_many", 429, "too many requests, try again later"),
        (
            "unavailable",
            502,
            "the service is unavailable, try again later",
        ),
    ] {
        let _ = writeln!(
            out,
            "\n    location @{name} {{\n        default_type application/json;\n        return {status} '{{\"code\":{status},\"msg\":\"{msg}\"}}';\n    }}"
        );
    }
    out.push_str("}\n");
    out
}

/// `usercenter_api`: the upstream block of a service.
fn upstream_name(spec: &Spec) -> String {
    format!("{}_api", spec.name.replace('-', "_"))
}

/// The `location` matches of a service: a prefix per `@server` prefix, and
/// each route of a group without one, exactly (a regex when it has path
/// parameters).
fn locations(spec: &Spec) -> Vec<String> {
    let mut out = Vec::new();
    for group in &spec.groups {
        if group.prefix.is_empty() {
            for route in &group.routes {
                out.push(exact(&axum_path("", &route.path)));
            }
        } else {
            out.push(format!("{}/", group.prefix));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `= /ping`, or `~ ^/books/[^/]+$` for a path with parameters.
fn exact(path: &str) -> String {
    if !path.contains('{') {
        return format!("= {path}");
    }
    let pattern: Vec<String> = path
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "[^/]+".to_string()
            } else {
                seg.replace('.', "\\.")
            }
        })
        .collect();
    format!("~ ^{}$", pattern.join("/"))
}

/// The full paths of the routes `[gateway] limit` names
/// (`service/handler`), with their upstreams.
fn limited_paths(def: &GatewayDef, upstreams: &[Upstream]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for up in upstreams {
        for (group, route) in up.spec.routes() {
            let name = format!("{}/{}", up.spec.name, route.handler);
            if def.limit.contains(&name) {
                out.push((
                    exact(&axum_path(&group.prefix, &route.path)),
                    upstream_name(up.spec),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The names in `[gateway] limit` that match no route, for an error.
pub fn unknown_limits(def: &GatewayDef, specs: &[&Spec]) -> Vec<String> {
    def.limit
        .iter()
        .filter(|name| {
            !specs.iter().any(|spec| {
                spec.routes()
                    .any(|(_, r)| format!("{}/{}", spec.name, r.handler) == **name)
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::apidsl::spec_of as spec;

    fn def(limit: &[&str]) -> GatewayDef {
        let text = format!("[gateway]\nconfig = \"gw.conf\"\nlimit = {limit:?}\n");
        let file = crate::apidsl::SourceFile::new("looklook.toml", text);
        looklook_manifest::parse(&file).unwrap().gateway.unwrap()
    }

    #[test]
    fn prefixes_go_to_their_service_and_named_routes_are_limited() {
        let users = spec(
            "@server(prefix: users/v1)\nservice users-api {\n @handler login\n post /login\n @handler get\n get /user/:id\n}\n\
             service users-api {\n @handler ping\n get /ping\n @handler item\n get /item/:id\n}\n",
        );
        let conf = nginx(
            &def(&["users/login"]),
            &[Upstream {
                spec: &users,
                address: "host.docker.internal:7001".into(),
            }],
        );
        assert!(conf.starts_with(GENERATED_HEADER_HASH), "{conf}");
        for want in [
            "upstream users_api {\n    server host.docker.internal:7001;",
            "location = /users/v1/login {\n        limit_req zone=looklook_limited burst=10 nodelay;\n        proxy_pass http://users_api;",
            "location /users/v1/ {\n        proxy_pass http://users_api;",
            "location = /ping {",
            "location ~ ^/item/[^/]+$ {",
            "limit_req_zone $binary_remote_addr zone=looklook_limited:10m rate=5r/s;",
            "return 404 '{\"code\":404,\"msg\":\"no service has this route\"}';",
        ] {
            assert!(conf.contains(want), "{want:?} not in\n{conf}");
        }
    }

    #[test]
    fn a_limit_that_names_no_route_is_reported() {
        let users = spec("service users-api {\n @handler login\n post /login\n}\n");
        assert_eq!(
            unknown_limits(&def(&["users/login", "users/logout"]), &[&users]),
            ["users/logout"]
        );
    }
}
