//! The credential, secret, service and disclosure checks over the real images of the shared
//! corpus (a 2009 Broadcom ADSL router root file system, a TP-Link firmware), extracted with
//! the crate's own extractor: every check runs without error, states its coverage, and the
//! findings are the ones a person confirms by reading the files. Skips with a message when the
//! corpus is absent, fails when CI is "true".

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::needless_update)]

use std::path::Path;
use std::time::Duration;

use iotlabel_core::report::{CheckOutcome, CheckRun, Confidence, Finding, Location, Severity};
use iotlabel_firmware::checks::{
    Check, CheckInput, CheckOptions, Filesystem, certificates, credentials, disclosure, run_checks,
    secrets, services,
};

const MY_CHECKS: &[&Check] = &[
    &credentials::DEFAULT_PASSWORD,
    &credentials::EMPTY_PASSWORD,
    &credentials::EXTRA_ROOT_ACCOUNT,
    &credentials::FIXED_CONFIG_PASSWORD,
    &credentials::WIFI_KEY,
    &secrets::PRIVATE_KEY,
    &secrets::API_TOKEN,
    &certificates::CERTIFICATE,
    &services::TELNET,
    &services::FTP,
    &services::TFTP,
    &services::SERIAL_SHELL,
    &services::DEBUG_DAEMON,
    &services::SSH_ROOT_PASSWORD,
    &disclosure::SECURITY_TXT,
    &disclosure::SUPPORT_PERIOD,
    &disclosure::MODEL_METADATA,
];

fn scan(relative: &str) -> Option<(Vec<Finding>, Vec<CheckRun>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/firmware")
        .join(relative);
    let Ok(data) = std::fs::read(&path) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("corpus sample {} is missing and CI is true", path.display());
        }
        eprintln!("skipping: corpus sample {} is missing", path.display());
        return None;
    };
    let extraction = iotlabel_firmware::extract::extract(
        "image.bin",
        &data,
        &iotlabel_firmware::extract::ExtractOptions::default(),
        &mut |_| {},
    );
    let filesystems: Vec<Filesystem<'_>> = extraction
        .filesystems
        .iter()
        .map(|fs| Filesystem {
            containers: fs.containers.clone(),
            tree: &fs.tree,
        })
        .collect();
    let options = CheckOptions {
        crack_budget_per_hash: Duration::from_secs(3),
        now: time::macros::datetime!(2026-11-28 0:00 UTC),
        ..CheckOptions::default()
    };
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (findings, runs) = run_checks(MY_CHECKS, &input);
    for finding in &findings {
        let path = match &finding.location {
            Location::Firmware(firmware) => firmware.path.as_str(),
            Location::Device(_) => "",
        };
        eprintln!(
            "{} [{}] {path}: {} {:?}",
            finding.check,
            finding.severity.as_str(),
            finding.message,
            finding.evidence
        );
    }
    for run in &runs {
        eprintln!(
            "{} {:?}: {:?} {:?}",
            run.check, run.outcome, run.coverage, run.reason
        );
        assert_ne!(run.outcome, CheckOutcome::Error, "{run:#?}");
        assert!(run.coverage.is_some(), "{run:#?}");
    }
    Some((findings, runs))
}

fn found<'a>(findings: &'a [Finding], check: &str, path: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| {
            f.check == check
                && matches!(&f.location, Location::Firmware(firmware) if firmware.path == path)
        })
        .collect()
}

#[test]
fn real_broadcom_router() {
    let Some((findings, _runs)) = scan("real/broadcom-adsl-router-squashfs2-be-lzma.bin") else {
        return;
    };
    // inetd.conf starts telnetd and ftpd, but rcS has `#/sbin/inetd` commented out: possible.
    let telnet = found(&findings, "services.telnet", "etc/inetd.conf");
    assert_eq!(telnet.len(), 1);
    assert_eq!(telnet[0].confidence, Confidence::Possible);
    assert_eq!(found(&findings, "services.ftp", "etc/inetd.conf").len(), 1);
    // `::respawn:-/bin/sh` and `tty2::askfirst:-/bin/sh`: one finding per console.
    assert_eq!(
        found(&findings, "services.serial-shell", "etc/inittab").len(),
        2
    );
    // The Dropbear host key shipped in the image.
    let key = found(&findings, "secrets.private-key", "etc/rsa_host_key");
    assert_eq!(key.len(), 1);
    assert_eq!(key[0].evidence["format"], "dropbear");
    // PPP secrets test/test, and the SNMP communities of default.cfg (SNMP disabled: low).
    for path in ["etc/ppp/pap-secrets", "etc/ppp/chap-secrets"] {
        let ppp = found(&findings, "credentials.fixed-config-password", path);
        assert_eq!(ppp.len(), 1, "{path}");
        assert_eq!(ppp[0].evidence["password"], "test");
    }
    let config = found(
        &findings,
        "credentials.fixed-config-password",
        "etc/default.cfg",
    );
    assert_eq!(config.len(), 2, "{config:#?}");
    assert!(config.iter().all(|f| f.severity == Severity::Low));
    // etc/passwd is a link into /var (made at run time): no account to crack.
    assert!(
        findings
            .iter()
            .all(|f| !f.check.starts_with("credentials.default"))
    );
}

#[test]
fn real_tplink_firmware() {
    // Whatever the extractor recovers, every check runs and states its coverage (asserted in
    // `scan`).
    let Some((_findings, runs)) = scan("formats/tpl-wr.fw") else {
        return;
    };
    assert_eq!(runs.len(), MY_CHECKS.len());
}
