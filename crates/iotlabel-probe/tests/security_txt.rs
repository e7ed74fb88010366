//! security.txt variants (valid, expired, missing Contact, unsigned, absent) served by a small
//! HTTP server of the test's own.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;

use iotlabel_core::report::CheckOutcome;
use support::*;

/// Serves `body` at /.well-known/security.txt (404 elsewhere, or everywhere if `None`).
fn serve(body: Option<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buffer = [0u8; 2048];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(count) => request.extend_from_slice(&buffer[..count]),
                }
            }
            let wanted =
                String::from_utf8_lossy(&request).starts_with("GET /.well-known/security.txt ");
            let reply = match (&body, wanted) {
                (Some(body), true) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .into(),
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

fn probe_url(body: Option<&str>) -> (iotlabel_core::Report, String) {
    let port = serve(body.map(str::to_owned));
    let url = format!("http://127.0.0.1:{port}/.well-known/security.txt");
    let mut options = options(Default::default());
    options.security_txt_url = Some(url.clone());
    options.now = Some(time::macros::datetime!(2026-06-01 00:00 UTC));
    // Port list: a closed port only; the security.txt check does not depend on the scan.
    (run(free_port(), &options), url)
}

fn kinds(report: &iotlabel_core::Report) -> Vec<String> {
    findings(report, "disclosure.security-txt")
        .iter()
        .map(|finding| finding.evidence["issue"].as_str().unwrap().to_owned())
        .collect()
}

const SIGNED_VALID: &str = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:psirt@example.com\nExpires: 2026-12-31T00:00:00Z\nPolicy: https://example.com/disclosure\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n";

#[test]
fn a_valid_signed_file_only_notes_plain_http() {
    let (report, _) = probe_url(Some(SIGNED_VALID));
    assert_eq!(kinds(&report), vec!["not-https"], "{}", dump(&report));
}

#[test]
fn an_expired_file_is_reported() {
    let (report, _) = probe_url(Some(
        "Contact: mailto:psirt@example.com\nExpires: 2025-01-01T00:00:00Z\n",
    ));
    assert_eq!(
        kinds(&report),
        vec!["expired", "unsigned", "not-https"],
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "disclosure.security-txt"),
        Some(CheckOutcome::Findings)
    );
}

#[test]
fn a_file_without_contact_is_reported() {
    let (report, _) = probe_url(Some(
        "Expires: 2026-12-31T00:00:00Z\nPolicy: https://example.com/\n",
    ));
    assert_eq!(
        kinds(&report),
        vec!["no-contact", "unsigned", "not-https"],
        "{}",
        dump(&report)
    );
}

#[test]
fn an_unsigned_file_is_noted_and_canonical_checked() {
    let port_placeholder = "Contact: https://example.com/report\nExpires: 2026-12-31T00:00:00Z\nCanonical: https://example.com/.well-known/security.txt\n";
    let (report, _) = probe_url(Some(port_placeholder));
    assert_eq!(
        kinds(&report),
        vec!["canonical-mismatch", "unsigned", "not-https"],
        "{}",
        dump(&report)
    );
}

#[test]
fn a_missing_file_is_reported() {
    let (report, url) = probe_url(None);
    assert_eq!(kinds(&report), vec!["missing"], "{}", dump(&report));
    let finding = findings(&report, "disclosure.security-txt")[0];
    assert!(
        finding.evidence["proof"]
            .as_str()
            .unwrap()
            .contains(&format!("GET {url} -> HTTP/1.1 404"))
    );
}
