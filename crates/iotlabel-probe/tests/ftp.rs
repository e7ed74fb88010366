//! Default credentials over FTP against vsftpd (a local user in a private mount namespace with
//! a test passwd), and against a small FTP server of the test's own that accepts anything.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

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
