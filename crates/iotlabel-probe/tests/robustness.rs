//! Dropped connections, silent services and UDP exposure: a telnet-like login that drops every
//! other connection, a port that accepts and never speaks, and an SSDP responder.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use iotlabel_core::report::CheckOutcome;
use iotlabel_probe::ServiceKind;
use support::*;

/// admin:admin logs in; every second connection is closed at once.
fn flaky_login() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if connections.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
                drop(stream);
                continue;
            }
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                writer.write_all(b"login: ").unwrap();
                reader.read_line(&mut line).unwrap();
                let user = line.trim().to_owned();
                line.clear();
                writer.write_all(b"Password: ").unwrap();
                reader.read_line(&mut line).unwrap();
                if user != "admin" || line.trim() != "admin" {
                    let _ = writer.write_all(b"\r\nLogin incorrect\r\n");
                    return;
                }
                let _ = writer.write_all(b"\r\n$ ");
                line.clear();
                if reader.read_line(&mut line).is_ok() {
                    let printed = line.trim().trim_start_matches("echo ").replace('"', "");
                    let _ = writer.write_all(format!("{printed}\r\n$ ").as_bytes());
                }
            });
        }
    });
    port
}

#[test]
fn dropped_connections_are_retried_and_counted() {
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let port = flaky_login();
    let mut options = options(list.clone());
    options.services = vec![(port, ServiceKind::Telnet)];
    let report = run(port, &options);
    assert_eq!(
        findings(&report, "credentials.default-password").len(),
        1,
        "{}",
        dump(&report)
    );
    let check = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.default-password")
        .unwrap();
    let coverage = check.coverage.as_deref().unwrap();
    assert!(!coverage.contains("; 0 dropped connections"), "{coverage}");
    assert!(coverage.contains("dropped connections"), "{coverage}");
}

#[test]
fn a_silent_service_times_out_and_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let mut options = options(list);
    options.timeout = Duration::from_millis(300);
    options.login_retries = 1;
    options.backoff = Duration::from_millis(10);
    options.services = vec![(port, ServiceKind::Telnet)];
    let report = run(port, &options);
    let control = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.negative-control")
        .unwrap();
    assert_eq!(control.outcome, CheckOutcome::Error, "{}", dump(&report));
    assert!(
        control
            .reason
            .as_deref()
            .unwrap()
            .contains("no login prompt"),
        "{control:?}"
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Error)
    );
}

#[test]
fn an_ssdp_responder_is_reported_as_upnp_exposure() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1024];
        while let Ok((_, from)) = socket.recv_from(&mut buffer) {
            let _ = socket.send_to(
                b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nLOCATION: http://127.0.0.1:49152/desc.xml\r\n\r\n",
                from,
            );
        }
    });
    let mut options = options(Default::default());
    options.ssdp_ports = vec![port];
    let report = run(free_port(), &options);
    let found = findings(&report, "network.upnp-exposure");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("upnp:rootdevice")
    );

    // Nothing listening on the SSDP port: a clean "nothing listening".
    options.ssdp_ports = vec![free_udp_port()];
    let report = run(free_port(), &options);
    assert_eq!(
        outcome(&report, "network.upnp-exposure"),
        Some(CheckOutcome::Clean)
    );
    assert!(report.findings.is_empty());
}
