//! End to end: `iotlabel scan` on firmware the test builds, `iotlabel probe` on a loopback
//! server the test runs, and both reports fed to `iotlabel assess` as dossier evidence.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iotlabel_core::{Assessment, Report};

/// md5crypt of "admin" with salt "abcdefgh" (openssl passwd -1 -salt abcdefgh admin).
const ROOT_HASH_ADMIN: &str = "$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/";

fn iotlabel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iotlabel"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A gzipped tar root file system with `files` (path, contents).
fn firmware(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let path = dir.join(name);
    let gzip = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    let mut archive = tar::Builder::new(gzip);
    for (file, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive
            .append_data(&mut header, file, contents.as_bytes())
            .unwrap();
    }
    archive.into_inner().unwrap().finish().unwrap();
    path
}

fn weak_firmware(dir: &Path) -> PathBuf {
    let shadow =
        format!("root:{ROOT_HASH_ADMIN}:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n");
    firmware(
        dir,
        "camera.tar.gz",
        &[
            (
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
            ),
            ("etc/shadow", &shadow),
            (
                "etc/inittab",
                "::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/telnetd -F -l /bin/sh\n",
            ),
        ],
    )
}

#[test]
fn scan_finds_planted_weaknesses_with_provision_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let image = weak_firmware(dir.path());
    let out = dir.path().join("scan.json");
    let output = iotlabel(&[
        "scan",
        image.to_str().unwrap(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = Report::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let default = report
        .findings
        .iter()
        .find(|f| f.check == "credentials.default-password")
        .expect("default password found");
    assert!(default.provisions.iter().any(|p| p.as_str() == "5.1-1"));
    let location = serde_json::to_value(&default.location).unwrap();
    assert_eq!(location["path"], "etc/shadow");
    assert_eq!(location["containers"][0], "camera.tar.gz");
    assert_eq!(default.evidence["password"], "admin");
    let telnet = report
        .findings
        .iter()
        .find(|f| f.check == "services.telnet")
        .expect("telnetd at boot found");
    assert!(telnet.provisions.iter().any(|p| p.as_str() == "5.6-1"));
    // Locked accounts are not findings.
    assert!(!report.findings.iter().any(|f| f.message.contains("nobody")));
    // Every check is listed as run.
    assert!(report.checks.len() >= 15);
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let weak = weak_firmware(dir.path());
    let output = iotlabel(&[
        "scan",
        weak.to_str().unwrap(),
        "--fail-on",
        "critical",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let clean = firmware(
        dir.path(),
        "clean.tar.gz",
        &[
            ("etc/passwd", "root:x:0:0:root:/root:/bin/false\n"),
            ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
        ],
    );
    let output = iotlabel(&[
        "scan",
        clean.to_str().unwrap(),
        "--fail-on",
        "high",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let output = iotlabel(&["scan", dir.path().join("missing.bin").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read firmware image"));
}

#[test]
fn scan_text_groups_findings_by_provision() {
    let dir = tempfile::tempdir().unwrap();
    let image = weak_firmware(dir.path());
    let output = iotlabel(&["scan", image.to_str().unwrap(), "--quiet"]);
    let report = text(&output.stdout);
    let provision = report.find("\n5.1-1 ").expect("a 5.1-1 section");
    let finding = report.find("credentials.default-password").unwrap();
    assert!(provision < finding, "{report}");
    assert!(report.contains("Checks run"));
}

#[test]
fn sarif_and_cyclonedx_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let image = weak_firmware(dir.path());
    let sarif = iotlabel(&[
        "scan",
        image.to_str().unwrap(),
        "--format",
        "sarif",
        "--quiet",
    ]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "credentials.default-password")
    );
    let bom = iotlabel(&[
        "scan",
        image.to_str().unwrap(),
        "--format",
        "cyclonedx",
        "--quiet",
    ]);
    let bom: serde_json::Value = serde_json::from_slice(&bom.stdout).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
}

/// A dossier for a camera declaring 5.1-1 supported, with the report as evidence.
fn dossier_with(dir: &Path, kind: &str, report: &str) -> PathBuf {
    let dossier = format!(
        r#"schema_version = 1
assessed_on = 2026-03-01
[product]
manufacturer = "Example"
name = "Cam"
model = "C1"
category = "ip-camera"
support_period_end = 2029-01-01
[target]
scheme = "cls-iot"
level = 1
[[declarations]]
provision = "5.1-1"
status = "supported"
evidence = ["report"]
[[evidence]]
id = "report"
kind = "{kind}"
file = "{report}"
"#
    );
    let path = dir.join("dossier.toml");
    std::fs::write(&path, dossier).unwrap();
    path
}

#[test]
fn assess_reads_a_scan_report_and_the_finding_fails_the_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let image = weak_firmware(dir.path());
    let out = dir.path().join("scan.json");
    assert!(
        iotlabel(&[
            "scan",
            image.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
            "--quiet"
        ])
        .status
        .success()
    );
    let dossier = dossier_with(dir.path(), "scan-report", "scan.json");
    let output = iotlabel(&["assess", dossier.to_str().unwrap(), "--format", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let assessment: Assessment = serde_json::from_slice(&output.stdout).unwrap();
    let verdict = assessment
        .provisions
        .iter()
        .find(|p| p.id.as_str() == "5.1-1")
        .unwrap();
    assert_eq!(verdict.verdict.as_str(), "fail");
    assert!(
        verdict.reasons[0].contains("credentials.default-password"),
        "{:?}",
        verdict.reasons
    );
    assert!(verdict.reasons[0].contains("etc/shadow"));
}

/// A one-thread HTTP server on a free loopback port that answers every request with `body`.
fn http_server(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let response = format!(
                "HTTP/1.1 200 OK\r\nServer: test-device\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

#[test]
fn probe_reports_a_loopback_service_and_assess_reads_it() {
    let port = http_server("<html>camera</html>");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probe.json");
    let port_text = port.to_string();
    let output = iotlabel(&[
        "probe",
        "127.0.0.1",
        "--ports",
        &port_text,
        "--timeout",
        "2",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = Report::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let service = report
        .findings
        .iter()
        .find(|f| f.check == "network.open-service")
        .expect("the open port is reported");
    let location = serde_json::to_value(&service.location).unwrap();
    assert_eq!(location["port"], port);
    assert!(report.checks.iter().any(|c| c.check == "network.port-scan"));
    let dossier = dossier_with(dir.path(), "probe-report", "probe.json");
    let output = iotlabel(&["assess", dossier.to_str().unwrap(), "--format", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // An open HTTP service is inventory: 5.1-1 stays as declared.
    let assessment: Assessment = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        assessment
            .provisions
            .iter()
            .find(|p| p.id.as_str() == "5.1-1")
            .unwrap()
            .verdict
            .as_str(),
        "pass"
    );
}

#[test]
fn probe_refuses_bad_targets_clearly() {
    let output = iotlabel(&["probe", "not a host!"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot use the targets"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn admin_create_user_and_log_verify_on_a_fresh_registry() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.sqlite").display()
    );
    let data_dir = dir.path().to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iotlabel"))
        .args([
            "admin",
            "create-user",
            "--email",
            "registrar@example.org",
            "--name",
            "Registrar",
            "--role",
            "registrar",
        ])
        .args(["--database-url", &database, "--data-dir", data_dir])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough passphrase\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("created registrar@example.org"));
    let output = iotlabel(&[
        "log",
        "verify",
        "--database-url",
        &database,
        "--data-dir",
        data_dir,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("log verified:"));
    // The signing key was created private.
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".key"))
        .unwrap();
    assert_eq!(key.metadata().unwrap().permissions().mode() & 0o777, 0o600);
}
