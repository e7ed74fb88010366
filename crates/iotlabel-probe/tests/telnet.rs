//! Default credentials over telnet against busybox telnetd with busybox login (in a private
//! mount namespace with a test passwd), and against a login that accepts anything.
#![allow(clippy::unwrap_used)]

mod support;

use iotlabel_core::report::CheckOutcome;
use support::*;

const BUSYBOX: &str = "/bin/busybox";

fn busybox_has_telnetd() -> bool {
    if !have(BUSYBOX, "busybox-static") {
        return false;
    }
    let list = std::process::Command::new(BUSYBOX).arg("--list").output();
    let ok = list
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line == "telnetd")
        })
        .unwrap_or(false);
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "busybox-static with telnetd is required"
        );
        eprintln!("skipping: busybox-static not installed (this busybox has no telnetd)");
    }
    ok
}

fn start_telnetd(dir: &std::path::Path, password: &str) -> (Daemon, u16) {
    let (passwd, shadow) = passwd_files(dir, "admin", password);
    let login = dir.join("login");
    std::os::unix::fs::symlink(BUSYBOX, &login).unwrap();
    let port = free_port();
    let command = format!(
        "{BUSYBOX} telnetd -F -b 127.0.0.1 -p {port} -l {}",
        login.display()
    );
    let daemon = Daemon::spawn(
        "busybox telnetd",
        &mut in_private_passwd(&passwd, &shadow, &command),
    );
    (daemon.wait_tcp(port), port)
}

#[test]
fn busybox_telnetd_with_a_mirai_default_is_reported_with_proof() {
    if !busybox_has_telnetd() || !have_mount_namespace() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_telnetd(dir.path(), "smcadmin");
    let report = run(port, &options(list));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    let finding = found[0];
    assert_eq!(finding.evidence["user"], "admin");
    assert_eq!(finding.evidence["password"], "smcadmin");
    let proof = finding.evidence["proof"].as_str().unwrap();
    assert!(proof.contains("IOTLABEL"), "{proof}");
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Clean)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Findings)
    );
    assert_eq!(findings(&report, "transport.plaintext-admin").len(), 1);
    let service = findings(&report, "network.open-service");
    assert_eq!(service[0].location, report.findings[0].location.clone());
}

#[test]
fn busybox_telnetd_with_a_unique_password_is_clean() {
    if !busybox_has_telnetd() || !have_mount_namespace() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_telnetd(dir.path(), "Q7-unique-pass-9x");
    let report = run(port, &options(list.clone()));
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
    let coverage = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.default-password")
        .and_then(|run| run.coverage.clone())
        .unwrap();
    assert!(
        coverage.starts_with(&format!("{} of {}", list.pairs.len(), list.pairs.len())),
        "{coverage}"
    );
}

#[test]
fn a_telnet_login_that_accepts_anything_is_indeterminate() {
    if !busybox_has_telnetd() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("any-login");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'cam login: '\nread user\nprintf 'Password: '\nread pass\nexec /bin/sh -i\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("755")
        .arg(&script)
        .status()
        .unwrap();
    let port = free_port();
    let _daemon = Daemon::spawn(
        "busybox telnetd",
        std::process::Command::new(BUSYBOX).args([
            "telnetd",
            "-F",
            "-b",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-l",
            script.to_str().unwrap(),
        ]),
    )
    .wait_tcp(port);
    let report = run(port, &options(list));
    assert!(
        findings(&report, "credentials.default-password").is_empty(),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Indeterminate),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Indeterminate)
    );
}

#[test]
fn a_closed_port_is_nothing_listening() {
    let (_held, port) = closed_port();
    let report = run(port, &options(Default::default()));
    let scan = report
        .checks
        .iter()
        .find(|run| run.check == "network.port-scan")
        .unwrap();
    assert_eq!(scan.outcome, CheckOutcome::Clean);
    assert_eq!(
        scan.reason.as_deref(),
        Some("nothing listening on the scanned ports")
    );
    assert!(report.findings.is_empty());
    assert!(report.diagnostics.is_empty());
}
