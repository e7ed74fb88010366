//! Default credentials over HTTP Basic and Digest against lighttpd, the plaintext-login
//! finding, and a server of the test's own that lets any Authorization header in.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;

use iotlabel_core::report::CheckOutcome;
use support::*;

fn start_lighttpd(dir: &std::path::Path, method: &str, password: &str) -> (Daemon, u16) {
    let port = free_port();
    let root = dir.join("www");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("index.html"), "<html>camera settings</html>\n").unwrap();
    let users = dir.join("users");
    std::fs::write(&users, format!("admin:{password}\n")).unwrap();
    let config = dir.join("lighttpd.conf");
    std::fs::write(
        &config,
        format!(
            "server.document-root = \"{}\"\nserver.port = {port}\nserver.bind = \"127.0.0.1\"\n\
             server.modules = (\"mod_auth\", \"mod_authn_file\")\nindex-file.names = (\"index.html\")\n\
             auth.backend = \"plain\"\nauth.backend.plain.userfile = \"{}\"\n\
             auth.require = ( \"/\" => ( \"method\" => \"{method}\", \"realm\" => \"camera\", \"require\" => \"valid-user\" ) )\n",
            root.display(),
            users.display()
        ),
    )
    .unwrap();
    let daemon = Daemon::spawn(
        "lighttpd",
        std::process::Command::new("/usr/sbin/lighttpd").args([
            "-D",
            "-f",
            config.to_str().unwrap(),
        ]),
    );
    (daemon.wait_tcp(port), port)
}

fn lighttpd_case(method: &str, password: &str) -> Option<iotlabel_core::Report> {
    if !have("/usr/sbin/lighttpd", "lighttpd") {
        return None;
    }
    let list = mirai_for(&["admin"])?;
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_lighttpd(dir.path(), method, password);
    Some(run(port, &options(list)))
}

#[test]
fn lighttpd_basic_with_a_default_is_reported_with_proof() {
    let Some(report) = lighttpd_case("basic", "1234") else {
        return;
    };
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "1234");
    assert_eq!(found[0].location_service(), Some("http-basic"));
    let proof = found[0].evidence["proof"].as_str().unwrap();
    assert!(
        proof.contains("200")
            && proof.contains("camera settings")
            && proof.contains("unauthenticated: HTTP/1.0 401"),
        "{proof}"
    );
    assert_eq!(findings(&report, "transport.plaintext-admin").len(), 1);
}

#[test]
fn lighttpd_digest_with_a_default_is_reported_with_proof() {
    let Some(report) = lighttpd_case("digest", "admin") else {
        return;
    };
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "admin");
    assert_eq!(found[0].location_service(), Some("http-digest"));
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Clean)
    );
}

#[test]
fn lighttpd_with_unique_passwords_is_clean() {
    for method in ["basic", "digest"] {
        let Some(report) = lighttpd_case(method, "Q7-unique-pass-9x") else {
            return;
        };
        assert!(
            findings(&report, "credentials.default-password").is_empty(),
            "{}",
            dump(&report)
        );
        assert_eq!(
            outcome(&report, "credentials.default-password"),
            Some(CheckOutcome::Clean),
            "{method}: {}",
            dump(&report)
        );
    }
}

/// 401 without Authorization, 200 with any.
fn accept_anything_http() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(count) => request.extend_from_slice(&buffer[..count]),
                }
            }
            let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
            let reply = if text.contains("authorization:") {
                "HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nwelcome"
            } else {
                "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\"\r\nContent-Length: 6\r\n\r\ndenied"
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

#[test]
fn an_http_login_accepting_anything_is_indeterminate() {
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let port = accept_anything_http();
    let report = run(port, &options(list));
    assert!(
        findings(&report, "credentials.default-password").is_empty(),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Indeterminate)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Indeterminate)
    );
}

trait ServiceName {
    fn location_service(&self) -> Option<&str>;
}

impl ServiceName for iotlabel_core::Finding {
    fn location_service(&self) -> Option<&str> {
        match &self.location {
            iotlabel_core::report::Location::Device(device) => device.service.as_deref(),
            _ => None,
        }
    }
}
