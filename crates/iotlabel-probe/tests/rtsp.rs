//! RTSP Basic and Digest logins against a small RTSP server of the test's own (positive,
//! unique password, and accept-anything).
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use base64::Engine;
use iotlabel_core::report::CheckOutcome;
use md5::{Digest, Md5};
use support::*;

#[derive(Clone, Copy)]
enum Mode {
    Basic,
    Digest,
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

fn param<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(',').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        let key = key.trim().trim_start_matches("Digest ").trim();
        (key == name).then(|| value.trim().trim_matches('"'))
    })
}

fn authorised(mode: Mode, header: Option<&str>, method: &str, password: Option<&str>) -> bool {
    let Some(header) = header else { return false };
    let Some(password) = password else {
        return true;
    };
    match mode {
        Mode::Basic => {
            let Some(encoded) = header.strip_prefix("Basic ") else {
                return false;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_default();
            decoded == format!("admin:{password}").into_bytes()
        }
        Mode::Digest => {
            let (Some(user), Some(uri), Some(nonce), Some(response)) = (
                param(header, "username"),
                param(header, "uri"),
                param(header, "nonce"),
                param(header, "response"),
            ) else {
                return false;
            };
            let ha1 = md5_hex(&format!("{user}:ipcam:{password}"));
            let ha2 = md5_hex(&format!("{method}:{uri}"));
            user == "admin"
                && nonce == "n0nce42"
                && response == md5_hex(&format!("{ha1}:{nonce}:{ha2}"))
        }
    }
}

fn serve(mut stream: TcpStream, mode: Mode, password: Option<&'static str>) {
    let mut pending = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        while !pending.windows(4).any(|window| window == b"\r\n\r\n") {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(count) => pending.extend_from_slice(&buffer[..count]),
            }
        }
        let end = pending
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .unwrap()
            + 4;
        let request = String::from_utf8_lossy(&pending[..end]).into_owned();
        pending.drain(..end);
        let method = request.split(' ').next().unwrap_or_default().to_owned();
        let header = |name: &str| {
            request.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let cseq = header("CSeq").unwrap_or_else(|| "0".into());
        let reply = if authorised(mode, header("Authorization").as_deref(), &method, password) {
            let sdp = "v=0\r\ns=camera stream\r\n";
            format!(
                "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            )
        } else {
            let challenge = match mode {
                Mode::Basic => "Basic realm=\"ipcam\"".to_owned(),
                Mode::Digest => "Digest realm=\"ipcam\", nonce=\"n0nce42\"".to_owned(),
            };
            format!(
                "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: {challenge}\r\n\r\n"
            )
        };
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// `password` None accepts any Authorization.
fn start(mode: Mode, password: Option<&'static str>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, mode, password));
        }
    });
    port
}

#[test]
fn rtsp_basic_and_digest_defaults_are_reported_with_proof() {
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    for (mode, service) in [(Mode::Basic, "rtsp-basic"), (Mode::Digest, "rtsp-digest")] {
        let port = start(mode, Some("4321"));
        let report = run(port, &options(list.clone()));
        let found = findings(&report, "credentials.default-password");
        assert_eq!(found.len(), 1, "{}", dump(&report));
        assert_eq!(found[0].evidence["password"], "4321");
        let proof = found[0].evidence["proof"].as_str().unwrap();
        assert!(
            proof.contains("DESCRIBE rtsp://127.0.0.1")
                && proof.contains("RTSP/1.0 200")
                && proof.contains("camera stream"),
            "{proof}"
        );
        assert!(
            serde_json::to_string(&found[0].location)
                .unwrap()
                .contains(service)
        );
    }
}

#[test]
fn rtsp_with_a_unique_password_is_clean() {
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    for mode in [Mode::Basic, Mode::Digest] {
        let port = start(mode, Some("Q7-unique-pass-9x"));
        let report = run(port, &options(list.clone()));
        assert!(
            findings(&report, "credentials.default-password").is_empty(),
            "{}",
            dump(&report)
        );
        assert_eq!(
            outcome(&report, "credentials.default-password"),
            Some(CheckOutcome::Clean)
        );
    }
}

#[test]
fn rtsp_accepting_anything_is_indeterminate() {
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let port = start(Mode::Digest, None);
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
}
