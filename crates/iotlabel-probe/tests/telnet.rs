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

/// A scripted device login under busybox telnetd: `tries` logins per connection (then it
/// closes), `admin:password` opens a shell; every connection and every try is logged.
fn start_scripted_login(
    dir: &std::path::Path,
    tries: u32,
    password: &str,
) -> (Daemon, u16, std::path::PathBuf) {
    let log = dir.join("tries.log");
    let script = dir.join("login");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             echo connection >> {log}\n\
             i=0\n\
             while [ $i -lt {tries} ]; do\n\
               printf 'cam login: '\n\
               read -r user || exit 0\n\
               printf 'Password: '\n\
               read -r pass || exit 0\n\
               user=$(printf %s \"$user\" | tr -d '\\r')\n\
               pass=$(printf %s \"$pass\" | tr -d '\\r')\n\
               echo \"try $user:$pass\" >> {log}\n\
               if [ \"$user\" = admin ] && [ \"$pass\" = '{password}' ]; then exec /bin/sh -i; fi\n\
               printf '\\r\\nLogin incorrect\\r\\n'\n\
               i=$((i+1))\n\
             done\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("755")
        .arg(&script)
        .status()
        .unwrap();
    let port = free_port();
    let daemon = Daemon::spawn(
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
    (daemon, port, log)
}

/// The connections opened and the `user:password` pairs tried, from the script's log.
fn tries_logged(log: &std::path::Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let connections = text.lines().filter(|line| *line == "connection").count();
    let tries = text
        .lines()
        .filter_map(|line| line.strip_prefix("try "))
        .map(str::to_owned)
        .collect();
    (connections, tries)
}

#[test]
fn a_login_allowing_three_tries_per_connection_gets_every_pair_on_fewer_connections() {
    if !busybox_has_telnetd() {
        return;
    }
    let Some(list) = mirai_for(&["admin", "root"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port, log) = start_scripted_login(dir.path(), 3, "Q7-unique-pass-9x");
    let report = run(port, &options(list.clone()));
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Clean),
        "{}",
        dump(&report)
    );
    let (connections, tries) = tries_logged(&log);
    for pair in &list.pairs {
        let label = format!("{}:{}", pair.user, pair.password);
        assert!(tries.contains(&label), "{label} not tried: {tries:?}");
    }
    // Every pair and the negative control, each once.
    assert_eq!(tries.len(), list.pairs.len() + 1, "{tries:?}");
    assert!(
        tries
            .iter()
            .any(|pair| pair.starts_with("admin:iotlabel-") || pair.starts_with("root:iotlabel-")),
        "{tries:?}"
    );
    // Connections were kept: three tries each, so about a third of the attempts.
    assert!(
        connections * 2 < tries.len(),
        "{connections} connections for {} tries",
        tries.len()
    );
}

#[test]
fn a_login_allowing_three_tries_per_connection_still_yields_the_default_with_proof() {
    if !busybox_has_telnetd() {
        return;
    }
    let Some(list) = mirai_for(&["admin", "root"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port, log) = start_scripted_login(dir.path(), 3, "smcadmin");
    let report = run(port, &options(list));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["user"], "admin");
    assert_eq!(found[0].evidence["password"], "smcadmin");
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("IOTLABEL")
    );
    let (_, tries) = tries_logged(&log);
    assert!(tries.contains(&"admin:smcadmin".to_owned()), "{tries:?}");
}

#[test]
fn a_login_that_closes_after_one_failure_is_still_judged_exactly() {
    if !busybox_has_telnetd() {
        return;
    }
    let Some(list) = mirai_for(&["admin", "root"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port, log) = start_scripted_login(dir.path(), 1, "Q7-unique-pass-9x");
    let report = run(port, &options(list.clone()));
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Clean),
        "{}",
        dump(&report)
    );
    let (connections, tries) = tries_logged(&log);
    assert_eq!(tries.len(), list.pairs.len() + 1, "{tries:?}");
    // One try per connection (the port scan and the identification open a few more).
    assert!(connections >= tries.len(), "{connections} connections");
    let coverage = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.default-password")
        .and_then(|run| run.coverage.clone())
        .unwrap();
    assert!(coverage.contains("0 dropped connections"), "{coverage}");

    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port, _) = start_scripted_login(dir.path(), 1, "smcadmin");
    let report = run(port, &options(list));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "smcadmin");
}
