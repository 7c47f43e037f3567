//! A one-route HTTP server both binaries use: `GET /` answers with the
//! binary's name, this crate's version, the binary's note and its pid;
//! `GET /crash` makes the process exit with status 3.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

pub const VERSION: &str = "v1";

pub fn serve(name: &str, note: &str) {
    let port = std::env::var("PORT").expect("PORT");
    let listener = TcpListener::bind(("127.0.0.1", port.parse::<u16>().expect("a port")))
        .expect("the port is free");
    println!("{name} listening on {port}");
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut request = String::new();
        let _ = BufReader::new(&stream).read_line(&mut request);
        if request.starts_with("GET /crash") {
            std::process::exit(3);
        }
        let body = format!("{name} {VERSION} {note} pid={}", std::process::id());
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}
