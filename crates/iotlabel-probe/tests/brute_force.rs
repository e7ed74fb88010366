//! Brute-force resistance: a telnet-like login of the test's own that locks after N failures
//! and one that never does are told apart.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use iotlabel_core::report::CheckOutcome;
use support::*;

fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end().to_owned()),
    }
}

fn session(stream: TcpStream, failures: &AtomicUsize, lock_after: Option<usize>) -> Option<()> {
    let mut writer = stream.try_clone().ok()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"\r\ncam login: ").ok()?;
    let user = read_line(&mut reader)?;
    writer.write_all(b"Password: ").ok()?;
    let password = read_line(&mut reader)?;
    let locked = lock_after.is_some_and(|limit| failures.load(Ordering::SeqCst) >= limit);
    if locked || user != "admin" || password != "admin" {
        failures.fetch_add(1, Ordering::SeqCst);
        writer.write_all(b"\r\nLogin incorrect\r\n").ok()?;
        return Some(());
    }
    writer
        .write_all(b"\r\nBusyBox v1.0 built-in shell\r\n# ")
        .ok()?;
    loop {
        let line = read_line(&mut reader)?;
        if let Some(argument) = line.strip_prefix("echo ") {
            // What a shell prints for `echo A""B`.
            let printed = argument.replace('"', "");
            writer
                .write_all(format!("{line}\r\n{printed}\r\n# ").as_bytes())
                .ok()?;
        } else if line == "exit" {
            return Some(());
        } else {
            writer.write_all(b"# ").ok()?;
        }
    }
}

fn start(lock_after: Option<usize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let failures = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let failures = failures.clone();
            std::thread::spawn(move || session(stream, &failures, lock_after));
        }
    });
    port
}

fn brute_options() -> Option<iotlabel_probe::ProbeOptions> {
    let list = mirai_for(&["admin"])?;
    let mut options = options(list);
    options.concurrency = 1;
    options.brute_force_attempts = 6;
    options.services = Vec::new();
    Some(options)
}

#[test]
fn a_login_that_locks_is_told_apart_from_one_that_never_does() {
    let Some(mut options) = brute_options() else {
        return;
    };

    let locking = start(Some(5));
    options.services = vec![(locking, iotlabel_probe::ServiceKind::Telnet)];
    let report = run(locking, &options);
    assert_eq!(
        findings(&report, "credentials.default-password").len(),
        1,
        "{}",
        dump(&report)
    );
    assert!(
        findings(&report, "credentials.brute-force-resistance").is_empty(),
        "{}",
        dump(&report)
    );
    let check = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.brute-force-resistance")
        .unwrap();
    assert_eq!(check.outcome, CheckOutcome::Clean);
    assert!(
        check.coverage.as_deref().unwrap().contains("locked"),
        "{check:?}"
    );

    let open = start(None);
    options.services = vec![(open, iotlabel_probe::ServiceKind::Telnet)];
    let report = run(open, &options);
    let found = findings(&report, "credentials.brute-force-resistance");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["failures"], 6);
    assert_eq!(found[0].evidence["still_accepts_known_login"], true);
    assert_eq!(
        outcome(&report, "credentials.brute-force-resistance"),
        Some(CheckOutcome::Findings)
    );
}
