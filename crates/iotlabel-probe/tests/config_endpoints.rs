//! Unauthenticated configuration endpoints: a web server of the test's own that hands out
//! /config.xml with a password, one that answers every path the same way (negative control),
//! and one that serves nothing.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;

use iotlabel_core::report::CheckOutcome;
use support::*;

/// `answer(path)` gives (status line, body).
fn serve(answer: fn(&str) -> (&'static str, &'static str)) -> u16 {
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
            let text = String::from_utf8_lossy(&request).into_owned();
            let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
            let (status, body) = answer(&path);
            let _ = stream.write_all(
                format!(
                    "HTTP/1.0 {status}\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    port
}

fn report_for(port: u16) -> iotlabel_core::Report {
    run(port, &options(Default::default()))
}

#[test]
fn an_exposed_config_file_is_reported_with_proof() {
    let port = serve(|path| match path {
        "/config.xml" => (
            "200 OK",
            "<config><admin_password>1234</admin_password></config>",
        ),
        "/" => ("200 OK", "<html>welcome</html>"),
        _ => ("404 Not Found", "no"),
    });
    let report = report_for(port);
    let found = findings(&report, "exposure.unauthenticated-config");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["path"], "/config.xml");
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("admin_password")
    );
    assert_eq!(found[0].provisions[0].as_str(), "5.5-5");
}

#[test]
fn a_server_answering_every_path_is_indeterminate() {
    let port = serve(|_| ("200 OK", "<html>password: <input type=password></html>"));
    let report = report_for(port);
    assert!(findings(&report, "exposure.unauthenticated-config").is_empty());
    assert_eq!(
        outcome(&report, "exposure.unauthenticated-config"),
        Some(CheckOutcome::Indeterminate)
    );
}

#[test]
fn a_server_without_config_paths_is_clean() {
    let port = serve(|path| match path {
        "/" => ("200 OK", "<html>welcome</html>"),
        _ => ("404 Not Found", "no"),
    });
    let report = report_for(port);
    assert!(findings(&report, "exposure.unauthenticated-config").is_empty());
    assert_eq!(
        outcome(&report, "exposure.unauthenticated-config"),
        Some(CheckOutcome::Clean)
    );
}
