//! TLS versions and certificates against a small TLS responder of the test's own: it answers
//! a ClientHello with a ServerHello for the versions it is configured with, then (TLS ≤ 1.2)
//! its Certificate and ServerHelloDone. Certificates are made by the test with openssl.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;

use iotlabel_core::report::CheckOutcome;
use support::*;

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn der(dir: &Path, pem: &str) -> Vec<u8> {
    let out = format!("{pem}.der");
    openssl(dir, &["x509", "-in", pem, "-outform", "der", "-out", &out]);
    std::fs::read(dir.join(out)).unwrap()
}

/// Test certificates: a CA-signed modern one, an expired one, a weak-key one, a self-signed
/// one and one for another name.
struct Certificates {
    modern: Vec<u8>,
    expired: Vec<u8>,
    weak: Vec<u8>,
    self_signed: Vec<u8>,
    other_name: Vec<u8>,
}

fn make_certificates(dir: &Path) -> Certificates {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=test-ca",
                "-days",
                "30",
            ],
        ]
        .concat(),
    );
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n[any]\ncommonName = supplied\n",
    )
    .unwrap();
    let sign = |name: &str, key: &[&str], san: &str, dates: &[&str]| {
        let key_file = format!("{name}.key");
        let csr = format!("{name}.csr");
        let subject = format!("/CN={name}");
        let extension = format!("subjectAltName={san}");
        openssl(
            dir,
            &[
                &["req"][..],
                key,
                &[
                    "-keyout", &key_file, "-out", &csr, "-subj", &subject, "-addext", &extension,
                ],
            ]
            .concat(),
        );
        let pem = format!("{name}.pem");
        openssl(
            dir,
            &[
                &[
                    "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
                    "-in", &csr, "-out", &pem, "-notext",
                ][..],
                dates,
            ]
            .concat(),
        );
        der(dir, &pem)
    };
    let modern = sign("modern", &ec, "IP:127.0.0.1", &["-days", "30"]);
    let expired = sign(
        "expired",
        &ec,
        "IP:127.0.0.1",
        &[
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
        ],
    );
    let weak = sign(
        "weak",
        &["-newkey", "rsa:1024", "-nodes"],
        "IP:127.0.0.1",
        &["-days", "30"],
    );
    let other_name = sign("other", &ec, "DNS:camera.example", &["-days", "30"]);
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "self.key",
                "-out",
                "self.pem",
                "-subj",
                "/CN=camera",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-days",
                "30",
            ],
        ]
        .concat(),
    );
    let self_signed = der(dir, "self.pem");
    Certificates {
        modern,
        expired,
        weak,
        self_signed,
        other_name,
    }
}

fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *bytes.get(offset)?,
        *bytes.get(offset + 1)?,
    ]))
}

/// The versions a ClientHello offers: its legacy version, or its supported_versions list.
fn offered_versions(hello: &[u8]) -> Vec<u16> {
    // hello = handshake header (4) + body
    let body = &hello[4..];
    let legacy = u16_at(body, 0).unwrap_or(0);
    let mut offset = 34;
    offset += 1 + usize::from(body[offset]);
    offset += 2 + usize::from(u16_at(body, offset).unwrap_or(0));
    offset += 1 + usize::from(body[offset]);
    let end = offset + 2 + usize::from(u16_at(body, offset).unwrap_or(0));
    offset += 2;
    while offset + 4 <= end.min(body.len()) {
        let kind = u16_at(body, offset).unwrap();
        let length = usize::from(u16_at(body, offset + 2).unwrap());
        if kind == 0x002b {
            let list = &body[offset + 5..offset + 4 + length];
            return list
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
        }
        offset += 4 + length;
    }
    vec![legacy]
}

fn record(kind: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

fn respond(mut stream: TcpStream, versions: &[u16], certificate: &[u8]) {
    let mut header = [0u8; 5];
    if stream.read_exact(&mut header).is_err() || header[0] != 0x16 {
        return;
    }
    let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut hello = vec![0u8; length];
    if stream.read_exact(&mut hello).is_err() {
        return;
    }
    let offered = offered_versions(&hello);
    // Pick the highest version both sides have; legacy hellos offer everything up to theirs.
    let chosen = versions
        .iter()
        .copied()
        .filter(|version| {
            if offered.len() == 1 && offered[0] <= 0x0303 {
                *version <= offered[0]
            } else {
                offered.contains(version)
            }
        })
        .max();
    let Some(version) = chosen else {
        let _ = stream.write_all(&record(0x15, 0x0301, &[2, 70]));
        return;
    };
    let mut server_hello = Vec::new();
    server_hello.extend_from_slice(&version.min(0x0303).to_be_bytes());
    server_hello.extend_from_slice(&[7u8; 32]);
    server_hello.push(0);
    server_hello.extend_from_slice(
        &(if version == 0x0304 {
            0x1301u16
        } else {
            0x002fu16
        })
        .to_be_bytes(),
    );
    server_hello.push(0);
    if version == 0x0304 {
        server_hello.extend_from_slice(&[0, 6, 0x00, 0x2b, 0, 2, 0x03, 0x04]);
    }
    let mut flight = handshake(2, &server_hello);
    if version <= 0x0303 {
        let mut list = Vec::new();
        list.extend_from_slice(&(certificate.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(certificate);
        let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        body.extend_from_slice(&list);
        flight.extend_from_slice(&handshake(11, &body));
        flight.extend_from_slice(&handshake(14, &[]));
    }
    let _ = stream.write_all(&record(0x16, version.min(0x0303), &flight));
    let mut sink = [0u8; 64];
    let _ = stream.read(&mut sink);
}

fn start(versions: Vec<u16>, certificate: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let versions = versions.clone();
            let certificate = certificate.clone();
            std::thread::spawn(move || respond(stream, &versions, &certificate));
        }
    });
    port
}

fn certificates() -> Option<(tempfile::TempDir, Certificates)> {
    if !have("openssl", "openssl") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let certificates = make_certificates(dir.path());
    Some((dir, certificates))
}

fn issues(report: &iotlabel_core::Report) -> Vec<String> {
    findings(report, "transport.tls-certificate")
        .iter()
        .map(|finding| finding.evidence["issue"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_tls_1_0_server_is_reported() {
    let Some((_dir, certs)) = certificates() else {
        return;
    };
    let port = start(vec![0x0301], certs.modern);
    let report = run(port, &options(Default::default()));
    let found = findings(&report, "transport.tls-version");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["version"], "TLS 1.0");
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("ServerHello TLS 1.0")
    );
    assert!(issues(&report).is_empty(), "{}", dump(&report));
}

#[test]
fn a_modern_server_is_not_reported() {
    let Some((_dir, certs)) = certificates() else {
        return;
    };
    let port = start(vec![0x0303, 0x0304], certs.modern);
    let report = run(port, &options(Default::default()));
    assert!(
        findings(&report, "transport.tls-version").is_empty(),
        "{}",
        dump(&report)
    );
    assert!(issues(&report).is_empty(), "{}", dump(&report));
    assert_eq!(
        outcome(&report, "transport.tls-version"),
        Some(CheckOutcome::Clean)
    );
    assert_eq!(
        outcome(&report, "transport.tls-certificate"),
        Some(CheckOutcome::Clean)
    );
    let coverage = report
        .checks
        .iter()
        .find(|run| run.check == "transport.tls-version")
        .unwrap()
        .coverage
        .clone()
        .unwrap();
    assert!(
        coverage.contains("ClientHello TLS 1.3 -> ServerHello TLS 1.3"),
        "{coverage}"
    );
    assert!(
        coverage.contains("ClientHello TLS 1.1 -> alert 70"),
        "{coverage}"
    );
}

#[test]
fn bad_certificates_are_reported() {
    let Some((_dir, certs)) = certificates() else {
        return;
    };
    for (certificate, expected) in [
        (certs.self_signed, "self-signed"),
        (certs.expired, "expired"),
        (certs.weak, "weak-key"),
        (certs.other_name, "name-mismatch"),
    ] {
        let port = start(vec![0x0303], certificate);
        let report = run(port, &options(Default::default()));
        assert_eq!(
            issues(&report),
            vec![expected.to_owned()],
            "{}",
            dump(&report)
        );
        assert_eq!(
            outcome(&report, "transport.tls-certificate"),
            Some(CheckOutcome::Findings)
        );
    }
}

#[test]
fn openssl_s_server_offering_tls_1_0_is_reported() {
    let Some((dir, _certificates)) = certificates() else {
        return;
    };
    let port = free_port();
    let _server = Daemon::spawn(
        "openssl s_server",
        Command::new("openssl").current_dir(dir.path()).args([
            "s_server",
            "-quiet",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            "modern.pem",
            "-key",
            "modern.key",
            "-tls1",
            "-cipher",
            "ALL:@SECLEVEL=0",
        ]),
    )
    .wait_tcp(port);
    let report = run(port, &options(Default::default()));
    let versions: Vec<&str> = findings(&report, "transport.tls-version")
        .iter()
        .map(|finding| finding.evidence["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["TLS 1.0"], "{}", dump(&report));
    assert!(issues(&report).is_empty(), "{}", dump(&report));
}
