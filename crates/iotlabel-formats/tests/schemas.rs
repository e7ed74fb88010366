//! SARIF and CycloneDX outputs validated against their official schemas: SARIF 2.1.0 against
//! the schema that ships inside the serde-sarif crate (and parsed into serde-sarif's types),
//! CycloneDX 1.6 with cyclonedx-python-lib's strict validator. The Python validators come from
//! the CI virtualenv (.ci/run); without them the test skips, except under CI=true.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use iotlabel_core::Report;
use iotlabel_core::report::{
    CheckOutcome, CheckRun, Component, Confidence, DeviceLocation, Diagnostic, Finding,
    FirmwareLocation, Location, Severity, Target, Tool, Transport,
};
use serde_json::json;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("IOTLABEL_PYTHON").map(PathBuf::from),
        Some(workspace().join(".ci/venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import jsonschema, cyclonedx"])
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

fn python_or_skip() -> Option<PathBuf> {
    let found = python();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the schema validators are missing: run .ci/run (it creates .ci/venv) or set IOTLABEL_PYTHON"
        );
        eprintln!(
            "skipping: no Python with jsonschema and cyclonedx-python-lib (set IOTLABEL_PYTHON or run .ci/run)"
        );
    }
    found
}

/// The SARIF schema inside the serde-sarif source cargo downloaded for this build.
fn sarif_schema() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registry = cargo_home.join("registry/src");
    for index in std::fs::read_dir(&registry).unwrap() {
        let candidate = index
            .unwrap()
            .path()
            .join("serde-sarif-0.8.0/src/schema.json");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "serde-sarif-0.8.0/src/schema.json not found under {}",
        registry.display()
    );
}

fn report() -> Report {
    let firmware = Location::Firmware(FirmwareLocation {
        containers: vec!["router.bin".into(), "0x40000.squashfs".into()],
        path: "etc/shadow".into(),
    });
    let device = Location::Device(DeviceLocation {
        host: "127.0.0.1".into(),
        port: Some(23),
        transport: Some(Transport::Tcp),
        service: Some("telnet".into()),
    });
    let library = FirmwareLocation {
        containers: vec!["router.bin".into()],
        path: "lib/libssl.so.1.0.0".into(),
    };
    Report {
        schema_version: 1,
        tool: Tool { name: "iotlabel".into(), version: "0.1.0".into() },
        target: Target::Firmware { name: "router.bin".into(), size: 4096, sha256: "ab".repeat(32) },
        started: time::macros::datetime!(2026-01-01 0:00 UTC),
        finished: time::macros::datetime!(2026-01-01 0:00:02 UTC),
        findings: vec![
            Finding {
                check: "credentials.default-password".into(),
                provisions: vec!["5.1-1".parse().unwrap()],
                severity: Severity::Critical,
                confidence: Confidence::Confirmed,
                fingerprint: Finding::fingerprint_for("credentials.default-password", &firmware, &["root"]),
                location: firmware,
                message: "root has the default password admin.".into(),
                evidence: json!({"user": "root", "hash_scheme": "md5crypt", "password": "admin", "list": "mirai"}).as_object().cloned().unwrap(),
            },
            Finding {
                check: "credentials.default-password".into(),
                provisions: vec!["5.1-1".parse().unwrap()],
                severity: Severity::Critical,
                confidence: Confidence::Confirmed,
                fingerprint: Finding::fingerprint_for("credentials.default-password", &device, &["admin"]),
                location: device,
                message: "telnet accepts admin:admin.".into(),
                evidence: json!({"user": "admin", "proof": "$ echo IOTLABEL123\nIOTLABEL123"}).as_object().cloned().unwrap(),
            },
            Finding {
                check: "components.vulnerable".into(),
                provisions: vec!["5.3-8".parse().unwrap(), "5.5-1".parse().unwrap()],
                severity: Severity::High,
                confidence: Confidence::Likely,
                fingerprint: "11".repeat(32),
                location: Location::Firmware(library.clone()),
                message: "openssl 1.0.2k has known vulnerabilities.".into(),
                evidence: json!({"component": "openssl", "version": "1.0.2k", "vulnerabilities": [{"id": "CVE-2016-2107", "cvss": 5.9, "summary": "AES-NI CBC padding oracle"}, {"id": "GHSA-xxxx-yyyy-zzzz"}]}).as_object().cloned().unwrap(),
            },
        ],
        checks: vec![
            CheckRun { check: "credentials.default-password".into(), provisions: vec!["5.1-1".parse().unwrap()], outcome: CheckOutcome::Findings, coverage: Some("2 accounts".into()), reason: None },
            CheckRun { check: "components.vulnerable".into(), provisions: vec!["5.3-8".parse().unwrap()], outcome: CheckOutcome::Findings, coverage: Some("4 components".into()), reason: None },
            CheckRun { check: "hardening.elf".into(), provisions: vec!["5.6-9".parse().unwrap()], outcome: CheckOutcome::Error, coverage: None, reason: Some("crashed".into()) },
        ],
        diagnostics: vec![Diagnostic { location: "router.bin".into(), message: "trailing data after the squashfs".into() }],
        components: vec![
            Component { name: "openssl".into(), version: "1.0.2k".into(), location: library, purl: Some("pkg:generic/openssl@1.0.2k".into()), cpe: Some("cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*".into()) },
            Component { name: "linux".into(), version: "4.14.90".into(), location: FirmwareLocation { containers: vec!["router.bin".into()], path: "lib/modules/4.14.90".into() }, purl: None, cpe: None },
        ],
        unpacked: None,
        stats: None,
    }
}

fn validate(python: &Path, args: &[&str]) {
    let output = Command::new(python)
        .arg(workspace().join(".ci/validate.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "schema validation failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn sarif_parses_into_the_schema_types() {
    let log =
        iotlabel_formats::sarif::sarif(&report(), "https://example.invalid/iotlabel/docs/checks");
    let typed: serde_sarif::sarif::Sarif = serde_json::from_value(log).unwrap();
    assert_eq!(typed.runs.len(), 1);
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.sarif");
    let log =
        iotlabel_formats::sarif::sarif(&report(), "https://example.invalid/iotlabel/docs/checks");
    std::fs::write(&path, serde_json::to_string(&log).unwrap()).unwrap();
    validate(
        &python,
        &[
            "sarif",
            sarif_schema().to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    // The validator is strict: a result without a message is refused.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    std::fs::write(&path, serde_json::to_string(&broken).unwrap()).unwrap();
    let output = Command::new(&python)
        .arg(workspace().join(".ci/validate.py"))
        .args([
            "sarif",
            sarif_schema().to_str().unwrap(),
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a SARIF result without a message must be refused"
    );
}

#[test]
fn cyclonedx_validates_against_the_official_schema() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.json");
    let bom = iotlabel_formats::cyclonedx::bom(&report());
    assert_eq!(bom["vulnerabilities"].as_array().unwrap().len(), 2);
    std::fs::write(&path, serde_json::to_string(&bom).unwrap()).unwrap();
    validate(&python, &["cyclonedx", path.to_str().unwrap()]);
    let mut broken = bom.clone();
    broken["components"][0]["type"] = json!("gadget");
    std::fs::write(&path, serde_json::to_string(&broken).unwrap()).unwrap();
    let output = Command::new(&python)
        .arg(workspace().join(".ci/validate.py"))
        .args(["cyclonedx", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "an unknown component type must be refused"
    );
}
