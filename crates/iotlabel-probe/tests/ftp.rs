//! Default credentials over FTP against vsftpd (a local user in a private mount namespace with
//! a test passwd), and against a small FTP server of the test's own that accepts anything.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use iotlabel_core::report::CheckOutcome;
use support::*;

fn start_vsftpd(dir: &std::path::Path, password: &str) -> (Daemon, u16) {
    let (passwd, shadow) = passwd_files(dir, "admin", password);
    let port = free_port();
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let config = dir.join("vsftpd.conf");
    std::fs::write(
        &config,
        format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
             anonymous_enable=NO\nlocal_enable=YES\npam_service_name=vsftpd\nseccomp_sandbox=NO\n\
             secure_chroot_dir={}\ndelay_failed_login=0\nmax_login_fails=1\nxferlog_enable=NO\n",
            empty.display()
        ),
    )
    .unwrap();
    let command = format!("/usr/sbin/vsftpd {}", config.display());
    let daemon = Daemon::spawn("vsftpd", &mut in_private_passwd(&passwd, &shadow, &command));
    (daemon.wait_tcp(port), port)
}

#[test]
fn vsftpd_with_a_mirai_default_is_reported_with_proof() {
    if !have("/usr/sbin/vsftpd", "vsftpd") || !have_mount_namespace() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_vsftpd(dir.path(), "admin1234");
    let report = run(port, &options(list));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "admin1234");
    let proof = found[0].evidence["proof"].as_str().unwrap();
    assert!(proof.contains("230") && proof.contains("257"), "{proof}");
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Clean)
    );
}

#[test]
fn vsftpd_with_a_unique_password_is_clean() {
    if !have("/usr/sbin/vsftpd", "vsftpd") || !have_mount_namespace() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_vsftpd(dir.path(), "Q7-unique-pass-9x");
    let report = run(port, &options(list));
    assert!(
        findings(&report, "credentials.default-password").is_empty(),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Clean),
        "{}",
        dump(&report)
    );
}

/// An FTP server that answers 230 to any password (and PWD with 257).
fn accept_anything_ftp() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let _ = writer.write_all(b"220 cam FTP ready\r\n");
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let reply: &[u8] = match line.split(' ').next().unwrap_or_default() {
                        "USER" => b"331 Password please\r\n",
                        "PASS" => b"230 Logged in\r\n",
                        "PWD" => b"257 \"/\"\r\n",
                        "QUIT" => b"221 Bye\r\n",
                        _ => b"500 ?\r\n",
                    };
                    if writer.write_all(reply).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn an_ftp_server_accepting_anything_is_indeterminate() {
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let port = accept_anything_ftp();
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

/// Connections accepted and `user:password` pairs tried.
type FtpLog = Arc<Mutex<(usize, Vec<String>)>>;

/// An FTP server of the test's own: `tries` USER/PASS per connection (then it closes),
/// `admin:<password>` logs in; connections and tries are counted.
fn counting_ftp(tries: usize, password: &'static str) -> (u16, FtpLog) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new((0usize, Vec::new())));
    let shared = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = shared.clone();
            log.lock().unwrap().0 += 1;
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let _ = writer.write_all(b"220 cam FTP ready\r\n");
                let mut user = String::new();
                let mut failures = 0;
                let mut logged_in = false;
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let (command, argument) = line.split_once(' ').unwrap_or((&line, ""));
                    let reply: &[u8] = match command {
                        "USER" => {
                            user = argument.to_owned();
                            b"331 Password please\r\n"
                        }
                        "PASS" => {
                            log.lock().unwrap().1.push(format!("{user}:{argument}"));
                            if user == "admin" && argument == password {
                                logged_in = true;
                                b"230 Logged in\r\n"
                            } else {
                                failures += 1;
                                b"530 Login incorrect\r\n"
                            }
                        }
                        "PWD" if logged_in => b"257 \"/\"\r\n",
                        "QUIT" => b"221 Bye\r\n",
                        _ => b"530 Please login\r\n",
                    };
                    if writer.write_all(reply).is_err() {
                        break;
                    }
                    if failures >= tries {
                        // As vsftpd does at max_login_fails: the 530, then close.
                        break;
                    }
                }
            });
        }
    });
    (port, log)
}

#[test]
fn a_server_taking_three_tries_per_connection_gets_every_pair_on_fewer_connections() {
    let Some(list) = mirai_for(&["admin", "root"]) else {
        return;
    };
    let (port, log) = counting_ftp(3, "Q7-unique-pass-9x");
    let report = run(port, &options(list.clone()));
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Clean),
        "{}",
        dump(&report)
    );
    let (connections, tries) = log.lock().unwrap().clone();
    for pair in &list.pairs {
        let label = format!("{}:{}", pair.user, pair.password);
        assert!(tries.contains(&label), "{label} not tried: {tries:?}");
    }
    assert_eq!(tries.len(), list.pairs.len() + 1, "{tries:?}");
    assert!(
        connections * 2 < tries.len(),
        "{connections} connections for {} tries",
        tries.len()
    );

    let (port, log) = counting_ftp(3, "meinsm");
    let report = run(port, &options(list));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "meinsm");
    assert!(log.lock().unwrap().1.contains(&"admin:meinsm".to_owned()));
}
