//! The `http` init step: one HTTP request to a service that is ready, such
//! as Kibana's API creating the data view of the log index. Sent from the
//! host through the service's published port, so no tool is needed in its
//! image, and the same for both engines.
//!
//! A single HTTP/1.0 request and its status line is all this needs; it is
//! written here, as the readiness probes are, rather than pulling an HTTP
//! client into the stack crate.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use std::collections::BTreeMap;

use crate::ServiceDef;

/// Send the step's request; what to report (`POST 5601/api/x: 200`), or
/// why it failed: nothing listening, an unreadable body file, or an answer
/// other than 2xx (with the answer's first lines).
pub fn send(
    base: &Path,
    def: &ServiceDef,
    http: &str,
    headers: &BTreeMap<String, String>,
    body: Option<&str>,
) -> Result<String, String> {
    let (method, target) = http
        .split_once(' ')
        .ok_or_else(|| format!("`{http}` is not `METHOD PORT/PATH`"))?;
    let (port, path) = target.split_once('/').unwrap_or((target, ""));
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{http}`: `{port}` is not a container port"))?;
    let host_port = def
        .host_port(port)
        .ok_or_else(|| format!("`{http}`: container port {port} is not published"))?;
    let body = match body {
        Some(file) => std::fs::read(base.join(file)).map_err(|e| format!("{file}: {e}"))?,
        None => Vec::new(),
    };
    let mut request = format!(
        "{method} /{path} HTTP/1.0\r\nHost: 127.0.0.1:{host_port}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let answer = exchange(host_port, request.as_bytes(), &body)
        .map_err(|e| format!("{http} (127.0.0.1:{host_port}): {e}"))?;
    let status = answer
        .get(9..12)
        .filter(|_| answer.starts_with("HTTP/"))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("{http}: not an HTTP answer"))?;
    if !(200..300).contains(&status) {
        let shown: Vec<&str> = answer.lines().take(12).collect();
        return Err(format!("{http} answered {status}:\n{}", shown.join("\n")));
    }
    Ok(format!("{http}: {status}"))
}

/// Write the request, read the whole answer (the server closes an HTTP/1.0
/// connection after it).
fn exchange(port: u16, head: &[u8], body: &[u8]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(head)?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    use super::*;

    /// A one-request server on a free port answering `status`; the
    /// request it read (head and body).
    fn server(status: &'static str) -> (u16, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut seen = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.trim().parse().unwrap();
                }
                seen.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.push_str(&String::from_utf8(body).unwrap());
            let mut stream = reader.into_inner();
            write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\n{{}}").unwrap();
            seen
        });
        (port, served)
    }

    fn service(text: &str) -> ServiceDef {
        toml::from_str(text).unwrap()
    }

    /// `send` for the service's first init step, an http one.
    fn send_first(base: &Path, def: &ServiceDef) -> Result<String, String> {
        let crate::InitStep::Http {
            http,
            headers,
            body,
        } = &def.init[0]
        else {
            panic!("not an http step: {:?}", def.init[0])
        };
        send(base, def, http, headers, body.as_deref())
    }

    #[test]
    fn the_request_reaches_the_published_port_with_its_headers_and_body() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("view.json"), r#"{"data_view":{}}"#).unwrap();
        let (port, served) = server("200 OK");
        let def = service(&format!(
            r#"image = "kibana"
ports = ["127.0.0.1:{port}:5601"]
init = [{{ http = "POST 5601/api/data_views/data_view", headers = {{ "kbn-xsrf" = "true" }}, body = "view.json" }}]
"#
        ));
        let said = send_first(dir.path(), &def).unwrap();
        assert_eq!(said, "POST 5601/api/data_views/data_view: 200");
        let seen = served.join().unwrap();
        assert!(
            seen.starts_with("POST /api/data_views/data_view HTTP/1.0\r\n"),
            "{seen}"
        );
        assert!(seen.contains("kbn-xsrf: true\r\n"), "{seen}");
        assert!(
            seen.contains("Content-Type: application/json\r\n"),
            "{seen}"
        );
        assert!(seen.ends_with("\r\n\r\n{\"data_view\":{}}"), "{seen}");
    }

    #[test]
    fn an_answer_other_than_2xx_is_an_error_that_shows_it() {
        let dir = tempfile::tempdir().unwrap();
        let (port, served) = server("400 Bad Request");
        let def = service(&format!(
            r#"image = "kibana"
ports = ["127.0.0.1:{port}:5601"]
init = [{{ http = "POST 5601/api/x" }}]
"#
        ));
        let e = send_first(dir.path(), &def).unwrap_err();
        assert!(
            e.starts_with("POST 5601/api/x answered 400:\nHTTP/1.1 400 Bad Request"),
            "{e}"
        );
        served.join().unwrap();
    }

    #[test]
    fn nothing_listening_a_missing_body_or_an_unpublished_port_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let free = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let def = service(&format!(
            "image = \"k\"\nports = [\"127.0.0.1:{free}:5601\"]\ninit = [{{ http = \"GET 5601/\" }}]\n"
        ));
        let e = send_first(dir.path(), &def).unwrap_err();
        assert!(
            e.starts_with(&format!("GET 5601/ (127.0.0.1:{free}): ")),
            "{e}"
        );
        let def = service(&format!(
            "image = \"k\"\nports = [\"127.0.0.1:{free}:5601\"]\ninit = [{{ http = \"PUT 5601/x\", body = \"gone.json\" }}]\n"
        ));
        let e = send_first(dir.path(), &def).unwrap_err();
        assert!(e.starts_with("gone.json: "), "{e}");
        let def = service("image = \"k\"\ninit = [{ http = \"GET 5601/\" }]\n");
        let e = send_first(dir.path(), &def).unwrap_err();
        assert_eq!(e, "`GET 5601/`: container port 5601 is not published");
    }
}
