//! Tests of component identification, the offline vulnerability database (OSV and CVE JSON 5
//! records written here), end-of-life findings and ELF hardening (on binaries compiled here and
//! a system binary), through the public API and the check registry.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use iotlabel_core::report::{CheckOutcome, Confidence, Severity};
use iotlabel_firmware::checks::components::{
    END_OF_LIFE, NO_DATABASE_REASON, VULNERABLE, identify_components,
};
use iotlabel_firmware::checks::hardening::{ElfKind, HARDENING, Relro, analyse_elf};
use iotlabel_firmware::checks::vulndb::{ImportError, VulnDb, import, import_paths};
use iotlabel_firmware::checks::{CheckInput, CheckOptions, Filesystem, run_checks};
use iotlabel_firmware::vfs::{FileEntry, Tree};
use serde_json::json;

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Prints the skip reason, or fails under CI=true.
fn skip(reason: &str) {
    assert!(!in_ci(), "CI=true but {reason}");
    eprintln!("skipping: {reason}");
}

fn device_tree() -> Tree {
    let mut tree = Tree::new();
    let files: &[(&str, &[u8])] = &[
        (
            "usr/lib/libssl.so.1.0.0",
            b"\x7fELF\0\0SSLv3 part of OpenSSL 1.0.2u  20 Dec 2019\0TLSv1\0",
        ),
        (
            "usr/lib/libcrypto.so.1.0.0",
            b"\x7fELF\0OpenSSL 1.0.2u  20 Dec 2019\0",
        ),
        (
            "bin/busybox",
            b"\x7fELF\0BusyBox v1.24.1 (2017-03-01 12:00:00 CST) multi-call binary.\0",
        ),
        ("usr/sbin/dropbear", b"\x7fELF\0SSH-2.0-dropbear_2019.78\0"),
        (
            "usr/lib/libz.so.1",
            b"\0 deflate 1.2.11 Copyright 1995-2017 Jean-loup Gailly and Mark Adler \0",
        ),
        (
            "lib/modules/4.14.90/kernel/drivers/net/tun.ko",
            b"\0vermagic=4.14.90 SMP mod_unload MIPS32_R2 32BIT \0",
        ),
    ];
    for (path, data) in files {
        assert!(tree.add_file(path, FileEntry::new(data.to_vec())).is_ok());
    }
    assert!(tree.add_symlink("bin/sh", "busybox").is_ok());
    tree
}

fn cve5(
    id: &str,
    vendor: &str,
    product: &str,
    versions: serde_json::Value,
    score: Option<f64>,
) -> String {
    let metrics = match score {
        Some(score) => {
            json!([{"cvssV3_1": {"version": "3.1", "baseScore": score, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseSeverity": "HIGH"}}])
        }
        None => json!([]),
    };
    json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": id, "assignerOrgId": "00000000-0000-4000-8000-000000000000", "state": "PUBLISHED"},
        "containers": {"cna": {
            "providerMetadata": {"orgId": "00000000-0000-4000-8000-000000000000"},
            "descriptions": [{"lang": "en", "value": format!("Test vulnerability {id}.")}],
            "affected": [{"vendor": vendor, "product": product, "versions": versions, "defaultStatus": "unaffected"}],
            "metrics": metrics,
            "references": [{"url": "https://example.invalid/advisory"}]
        }}
    })
    .to_string()
}

/// The fixture database: CVE JSON 5 and OSV records, some that must match and some that must not.
fn fixture_files() -> Vec<(String, String)> {
    vec![
        (
            // 1.0.2 ≤ v < 1.0.2zd: matches 1.0.2u.
            "cves/CVE-2022-2068.json".into(),
            cve5(
                "CVE-2022-2068",
                "OpenSSL",
                "OpenSSL",
                json!([{"version": "1.0.2", "lessThan": "1.0.2zf", "status": "affected", "versionType": "custom"},
                       {"version": "1.1.1", "lessThan": "1.1.1p", "status": "affected", "versionType": "custom"}]),
                Some(9.8),
            ),
        ),
        (
            "cves/CVE-2023-0286.json".into(),
            cve5(
                "CVE-2023-0286",
                "OpenSSL",
                "OpenSSL",
                json!([{"version": "1.0.2", "lessThan": "1.0.2zd", "status": "affected", "versionType": "custom"}]),
                Some(7.4),
            ),
        ),
        (
            // Must not match 1.0.2u: only the 1.1.1 series.
            "cves/CVE-2023-0464.json".into(),
            cve5(
                "CVE-2023-0464",
                "OpenSSL",
                "OpenSSL",
                json!([{"version": "1.1.1", "lessThan": "1.1.1u", "status": "affected", "versionType": "custom"},
                       {"version": "1.0.2", "status": "unaffected"}]),
                Some(7.5),
            ),
        ),
        (
            // Inclusive upper bound from the beginning, matched through the CPE vendor/product.
            "cves/CVE-2021-42377.json".into(),
            cve5(
                "CVE-2021-42377",
                "busybox",
                "busybox",
                json!([{"version": "0", "lessThanOrEqual": "1.33.1", "status": "affected", "versionType": "custom"}]),
                Some(9.8),
            ),
        ),
        (
            // Exact version only: 1.24.2 is not 1.24.1.
            "cves/CVE-2099-0001.json".into(),
            cve5("CVE-2099-0001", "busybox", "busybox", json!([{"version": "1.24.2", "status": "affected"}]), None),
        ),
        (
            // About nothing we know.
            "cves/CVE-2099-0002.json".into(),
            cve5("CVE-2099-0002", "n/a", "n/a", json!([{"version": "n/a", "status": "affected"}]), None),
        ),
        (
            // The Linux kernel CNA's style: affected by default, with unaffected exceptions.
            "cves/CVE-2024-26581.json".into(),
            cve5(
                "CVE-2024-26581",
                "Linux",
                "Linux",
                json!([{"version": "2.6.29", "status": "affected"},
                       {"version": "0", "lessThan": "2.6.29", "status": "unaffected", "versionType": "semver"},
                       {"version": "5.15.149", "lessThanOrEqual": "5.15.*", "status": "unaffected", "versionType": "semver"},
                       {"version": "6.1.79", "lessThanOrEqual": "6.1.*", "status": "unaffected", "versionType": "semver"},
                       {"version": "6.8", "lessThanOrEqual": "*", "status": "unaffected", "versionType": "original_commit_for_fix"},
                       {"version": "1da177e4c3f4", "lessThan": "60a2ff0c7b67", "status": "affected", "versionType": "git"}]),
                Some(5.5),
            )
            .replace("\"defaultStatus\":\"unaffected\"", "\"defaultStatus\":\"affected\""),
        ),
        (
            "cves/CVE-2099-0003.json".into(),
            json!({"dataType": "CVE_RECORD", "cveMetadata": {"cveId": "CVE-2099-0003", "state": "REJECTED"}, "containers": {"cna": {"rejectedReasons": []}}}).to_string(),
        ),
        (
            // OSV, same CVE as above through its alias: one finding entry, not two.
            "osv/OSV-2022-TEST-1.json".into(),
            json!({
                "schema_version": "1.6.0",
                "id": "OSV-2022-TEST-1",
                "modified": "2024-01-01T00:00:00Z",
                "aliases": ["CVE-2023-0286"],
                "summary": "X.400 address type confusion",
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H"}],
                "affected": [{"package": {"ecosystem": "ConanCenter", "name": "openssl"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.2"}, {"fixed": "1.0.2zg"}]}]}]
            })
            .to_string(),
        ),
        (
            // OSV by purl with exact versions, scored from its CVSS vector.
            "osv/OSV-2020-TEST-2.json".into(),
            json!({
                "id": "OSV-2020-TEST-2",
                "modified": "2024-01-01T00:00:00Z",
                "aliases": ["CVE-2020-36254"],
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                "affected": [{"package": {"ecosystem": "GIT", "name": "mkj/dropbear", "purl": "pkg:github/mkj/dropbear"},
                              "ranges": [{"type": "GIT", "repo": "https://github.com/mkj/dropbear", "events": [{"introduced": "0"}, {"fixed": "abc123"}]}],
                              "versions": ["2019.77", "2019.78", "2020.79"]}]
            })
            .to_string(),
        ),
        (
            // A distribution's versions say nothing about upstream builds: must not match.
            "osv/DSA-TEST-3.json".into(),
            json!({
                "id": "DSA-TEST-3",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "Debian:11", "name": "zlib"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.11.dfsg-2+deb11u2"}]}]}]
            })
            .to_string(),
        ),
        (
            // Fixed before the version found: must not match zlib 1.2.11, while last_affected does.
            "osv/OSV-TEST-4.json".into(),
            json!([{
                "id": "OSV-TEST-4",
                "modified": "2024-01-01T00:00:00Z",
                "database_specific": {"severity": "LOW"},
                "affected": [{"package": {"ecosystem": "ConanCenter", "name": "zlib"},
                              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.9"}]}]}]
            }, {
                "id": "OSV-TEST-5",
                "modified": "2024-01-01T00:00:00Z",
                "database_specific": {"severity": "LOW"},
                "affected": [{"package": {"ecosystem": "ConanCenter", "name": "zlib"},
                              "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.2.10"}, {"last_affected": "1.2.11"}]}]}]
            }])
            .to_string(),
        ),
        (
            "osv/OSV-TEST-6.json".into(),
            json!({"id": "OSV-TEST-6", "modified": "2024-01-01T00:00:00Z", "withdrawn": "2024-02-01T00:00:00Z",
                   "affected": [{"package": {"ecosystem": "ConanCenter", "name": "zlib"}, "versions": ["1.2.11"]}]})
            .to_string(),
        ),
        ("cves/deltaLog.json".into(), json!([{"fetchTime": "2024-01-01T00:00:00Z"}]).to_string()),
    ]
}

fn fixture_db() -> VulnDb {
    match import(&fixture_files()) {
        Ok(db) => db,
        Err(error) => panic!("the fixture records import: {error}"),
    }
}

#[test]
fn import_maps_and_counts_records() {
    let db = fixture_db();
    let summary = db.summary();
    assert_eq!(summary.files, 14);
    assert_eq!(summary.records, 14);
    assert_eq!(summary.withdrawn, 2);
    // CVE-2099-0002 (n/a) and DSA-TEST-3 (distribution ecosystem) map to nothing usable.
    assert_eq!(summary.unmapped, 2);
    assert_eq!(summary.kept, 10);
    assert_eq!(summary.other_files, 1);
    assert_eq!(db.len(), 10);

    let ids = |component: &str, version: &str| -> Vec<String> {
        db.matching(component, version)
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        ids("openssl", "1.0.2u"),
        vec!["CVE-2022-2068", "CVE-2023-0286"]
    );
    // 1.0.2zd is fixed for CVE-2023-0286 in the CVE record but not in the OSV one (< 1.0.2zg).
    assert_eq!(
        ids("openssl", "1.0.2zd"),
        vec!["CVE-2022-2068", "CVE-2023-0286"]
    );
    assert_eq!(ids("openssl", "1.0.2zg"), Vec::<String>::new());
    assert_eq!(ids("openssl", "1.0.1u"), Vec::<String>::new());
    assert_eq!(
        ids("openssl", "1.1.1o"),
        vec!["CVE-2022-2068", "CVE-2023-0464"]
    );
    assert_eq!(ids("openssl", "1.1.1w"), Vec::<String>::new());
    assert_eq!(ids("busybox", "1.24.1"), vec!["CVE-2021-42377"]);
    assert_eq!(ids("busybox", "1.33.1"), vec!["CVE-2021-42377"]);
    assert_eq!(ids("busybox", "1.33.2"), Vec::<String>::new());
    assert_eq!(
        ids("busybox", "1.24.2"),
        vec!["CVE-2021-42377", "CVE-2099-0001"]
    );
    assert_eq!(ids("dropbear", "2019.78"), vec!["CVE-2020-36254"]);
    assert_eq!(ids("dropbear", "2020.81"), Vec::<String>::new());
    assert_eq!(ids("zlib", "1.2.11"), vec!["OSV-TEST-5"]);
    assert_eq!(ids("zlib", "1.2.8"), vec!["OSV-TEST-4"]);
    assert_eq!(ids("linux", "4.14.90"), vec!["CVE-2024-26581"]);
    assert_eq!(ids("linux", "5.15.148"), vec!["CVE-2024-26581"]);
    assert_eq!(ids("linux", "5.15.149"), Vec::<String>::new());
    assert_eq!(ids("linux", "5.15.200"), Vec::<String>::new());
    assert_eq!(ids("linux", "6.1.79"), Vec::<String>::new());
    assert_eq!(ids("linux", "6.6.20"), vec!["CVE-2024-26581"]);
    assert_eq!(ids("linux", "6.8"), Vec::<String>::new());
    assert_eq!(ids("linux", "2.6.28"), Vec::<String>::new());

    // The CVE record and the OSV record (scored 7.4 from its vector) of CVE-2023-0286 count once.
    let openssl = db.matching("openssl", "1.0.2u");
    assert_eq!(openssl[1].cvss, Some(7.4));
    assert_eq!(db.matching("dropbear", "2019.78")[0].cvss, Some(9.8));
    assert_eq!(db.matching("zlib", "1.2.11")[0].severity(), Severity::Low);
}

#[test]
fn import_paths_walks_directories_for_json_files() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in fixture_files() {
        let target = dir.path().join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    std::fs::write(dir.path().join("README.md"), "not a record").unwrap();
    let from_directory = import_paths(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(from_directory.summary(), fixture_db().summary());
    assert_eq!(from_directory.len(), 10);
    let one_file = import_paths(&[dir.path().join("cves/CVE-2023-0286.json")]).unwrap();
    assert_eq!(one_file.len(), 1);
    let missing = import_paths(&[dir.path().join("absent")]).unwrap_err();
    assert!(matches!(missing, ImportError::Io { .. }));
}

#[test]
fn import_refuses_text_that_is_not_json_naming_the_file() {
    let error = import(&[("broken/CVE-1.json".into(), "{ not json".into())]).unwrap_err();
    assert!(matches!(&error, ImportError::Json { path, .. } if path == "broken/CVE-1.json"));
    assert!(
        error
            .to_string()
            .starts_with("broken/CVE-1.json: not valid JSON")
    );
}

#[test]
fn the_database_round_trips_through_one_json_file() {
    let db = fixture_db();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vulndb.json");
    db.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains('\n'), "compact");
    let loaded = VulnDb::load(&path).unwrap();
    assert_eq!(loaded.records(), db.records());
    assert_eq!(loaded.summary(), db.summary());
    assert_eq!(
        loaded.matching("openssl", "1.0.2u").len(),
        db.matching("openssl", "1.0.2u").len()
    );
    let wrong = VulnDb::from_json(
        "x.json",
        r#"{"format":"other","format_version":1,"summary":{"files":0,"records":0,"kept":0,"unmapped":0,"withdrawn":0,"other_files":0},"records":[]}"#,
    );
    assert!(wrong.is_err());
    assert!(VulnDb::load(Path::new("/nonexistent/vulndb.json")).is_err());
}

#[test]
fn components_are_listed_once_per_instance() {
    let tree = device_tree();
    let filesystems = [Filesystem {
        containers: vec!["fw.bin".into(), "rootfs".into()],
        tree: &tree,
    }];
    let components = identify_components(&filesystems);
    let listed: Vec<(&str, &str, &str)> = components
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.version.as_str(),
                c.location.path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("busybox", "1.24.1", "bin/busybox"),
            ("dropbear", "2019.78", "usr/sbin/dropbear"),
            (
                "linux",
                "4.14.90",
                "lib/modules/4.14.90/kernel/drivers/net/tun.ko"
            ),
            ("openssl", "1.0.2u", "usr/lib/libcrypto.so.1.0.0"),
            ("zlib", "1.2.11", "usr/lib/libz.so.1"),
        ]
    );
    assert_eq!(
        components[2].cpe.as_deref(),
        Some("cpe:2.3:o:linux:linux_kernel:4.14.90:*:*:*:*:*:*:*")
    );
}

#[test]
fn the_vulnerability_check_finds_one_finding_per_vulnerable_instance() {
    let tree = device_tree();
    let filesystems = [Filesystem {
        containers: vec!["fw.bin".into(), "rootfs".into()],
        tree: &tree,
    }];
    let options = CheckOptions {
        vulndb: Some(Arc::new(fixture_db())),
        ..CheckOptions::default()
    };
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (findings, runs) = run_checks(&[&VULNERABLE], &input);
    assert_eq!(runs[0].outcome, CheckOutcome::Findings);
    assert!(
        runs[0]
            .coverage
            .as_deref()
            .unwrap()
            .starts_with("5 components identified")
    );
    assert!(
        runs[0]
            .coverage
            .as_deref()
            .unwrap()
            .ends_with("10 vulnerability records")
    );
    let summary: Vec<(String, Severity, Vec<String>)> = findings
        .iter()
        .map(|f| {
            (
                format!(
                    "{} {}",
                    f.evidence["component"].as_str().unwrap(),
                    f.evidence["version"].as_str().unwrap()
                ),
                f.severity,
                f.provisions.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "busybox 1.24.1".to_owned(),
                Severity::Critical,
                vec!["5.3-8".to_owned()]
            ),
            (
                "dropbear 2019.78".to_owned(),
                Severity::Critical,
                vec!["5.3-8".to_owned()]
            ),
            (
                "linux 4.14.90".to_owned(),
                Severity::Medium,
                vec!["5.3-8".to_owned()]
            ),
            (
                "openssl 1.0.2u".to_owned(),
                Severity::Critical,
                vec!["5.3-8".to_owned(), "5.5-1".to_owned()]
            ),
            (
                "zlib 1.2.11".to_owned(),
                Severity::Low,
                vec!["5.3-8".to_owned()]
            ),
        ]
    );
    let openssl = &findings[3];
    assert_eq!(
        openssl.evidence["cve_ids"],
        json!(["CVE-2022-2068", "CVE-2023-0286"])
    );
    assert_eq!(
        openssl.evidence["paths"],
        json!(["usr/lib/libcrypto.so.1.0.0", "usr/lib/libssl.so.1.0.0"])
    );
    assert_eq!(openssl.confidence, Confidence::Likely);
    assert!(
        openssl.message.starts_with(
            "openssl 1.0.2u has 2 known vulnerabilities (CVE-2022-2068, CVE-2023-0286)"
        )
    );
    // Stable across runs, distinct per instance.
    let (again, _) = run_checks(&[&VULNERABLE], &input);
    assert_eq!(again[3].fingerprint, openssl.fingerprint);
    assert_ne!(findings[0].fingerprint, openssl.fingerprint);
}

#[test]
fn without_a_database_the_vulnerability_check_is_skipped() {
    let tree = device_tree();
    let filesystems = [Filesystem {
        containers: vec![],
        tree: &tree,
    }];
    let options = CheckOptions::default();
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (findings, runs) = run_checks(&[&VULNERABLE, &END_OF_LIFE], &input);
    assert!(findings.is_empty());
    assert_eq!(runs[0].outcome, CheckOutcome::Skipped);
    assert_eq!(runs[0].reason.as_deref(), Some(NO_DATABASE_REASON));
    // No clock given: end of life cannot be judged.
    assert_eq!(runs[1].outcome, CheckOutcome::Indeterminate);
}

#[test]
fn end_of_life_versions_are_findings_on_their_own() {
    let tree = device_tree();
    let filesystems = [Filesystem {
        containers: vec!["fw.bin".into()],
        tree: &tree,
    }];
    let options = CheckOptions {
        now: time::macros::datetime!(2026-11-28 00:00 UTC),
        ..CheckOptions::default()
    };
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (findings, runs) = run_checks(&[&END_OF_LIFE], &input);
    assert_eq!(runs[0].outcome, CheckOutcome::Findings);
    let found: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f.evidence["component"].as_str().unwrap(),
                f.evidence["series"].as_str().unwrap(),
                f.evidence["end_of_life"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("linux", "4", "2024-12-05"),
            ("openssl", "1.0.2", "2019-12-31")
        ]
    );
    assert_eq!(findings[1].severity, Severity::Medium);
    let provisions: Vec<String> = findings[1]
        .provisions
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(provisions, vec!["5.3-8", "5.3-13", "5.5-1"]);
    assert!(
        findings[1]
            .message
            .contains("reached end of life on 2019-12-31")
    );
}

// ---- ELF hardening -------------------------------------------------------------------------

const PROGRAM: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    char buffer[64];
    strcpy(buffer, argc > 1 ? argv[1] : "x");
    char out[128];
    sprintf(out, "%s-%d", buffer, argc);
    memcpy(buffer, out, argc);
    puts(out);
    if (argc > 5) return system(out);
    return 0;
}
"#;

/// Compiles `PROGRAM` with `flags` into `dir/name`; `None` (after the skip message) without `cc`.
fn compile(dir: &Path, name: &str, flags: &[&str]) -> Option<PathBuf> {
    let source = dir.join("program.c");
    if let Err(error) = std::fs::write(&source, PROGRAM) {
        panic!("cannot write {}: {error}", source.display());
    }
    let output = dir.join(name);
    let result = Command::new("cc")
        .args(flags)
        .arg(&source)
        .arg("-o")
        .arg(&output)
        .output();
    match result {
        Ok(result) if result.status.success() => Some(output),
        Ok(result) => {
            skip(&format!(
                "cc {flags:?} failed: {}",
                String::from_utf8_lossy(&result.stderr)
            ));
            None
        }
        Err(error) => {
            skip(&format!("no C compiler (cc): {error}"));
            None
        }
    }
}

#[test]
fn hardening_properties_of_compiled_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let Some(hardened) = compile(
        dir.path(),
        "hardened",
        &[
            "-O2",
            "-D_FORTIFY_SOURCE=2",
            "-fstack-protector-all",
            "-fPIE",
            "-pie",
            "-Wl,-z,relro,-z,now",
        ],
    ) else {
        return;
    };
    let Some(weak) = compile(
        dir.path(),
        "weak",
        &[
            "-O0",
            "-U_FORTIFY_SOURCE",
            "-fno-stack-protector",
            "-no-pie",
            "-z",
            "execstack",
            "-Wl,-z,norelro",
            "-Wl,-z,lazy",
        ],
    ) else {
        return;
    };
    let Some(library) = compile(
        dir.path(),
        "libdemo.so",
        &[
            "-O2",
            "-fPIC",
            "-shared",
            "-fstack-protector-all",
            "-Wl,-z,relro",
            "-Wl,-z,lazy",
            "-s",
        ],
    ) else {
        return;
    };

    let hardened_data = std::fs::read(&hardened).unwrap();
    let h = analyse_elf(&hardened_data).unwrap();
    assert_eq!(h.kind, ElfKind::Executable);
    assert!(h.nx);
    assert_eq!(h.pie, Some(true));
    assert_eq!(h.relro, Relro::Full);
    assert_eq!(h.canary, Some(true));
    assert_eq!(h.fortify, Some(true));
    assert!(!h.stripped);
    assert!(h.dangerous_imports.contains(&"system".to_owned()));

    let weak_data = std::fs::read(&weak).unwrap();
    let w = analyse_elf(&weak_data).unwrap();
    assert_eq!(w.kind, ElfKind::Executable);
    assert!(!w.nx);
    assert_eq!(w.pie, Some(false));
    assert_eq!(w.relro, Relro::None);
    assert_eq!(w.canary, Some(false));
    assert_eq!(w.fortify, Some(false));
    assert_eq!(w.dangerous_imports, vec!["sprintf", "strcpy", "system"]);

    let library_data = std::fs::read(&library).unwrap();
    let l = analyse_elf(&library_data).unwrap();
    assert_eq!(l.kind, ElfKind::SharedLibrary);
    assert_eq!(l.pie, None);
    assert_eq!(l.relro, Relro::Partial);
    assert!(l.stripped);
    assert_eq!(l.canary, Some(true));

    // Through the check: one summary per file system, one finding per missing property.
    let mut tree = Tree::new();
    tree.add_file("usr/bin/hardened", FileEntry::new(hardened_data))
        .unwrap();
    tree.add_file("usr/bin/weak", FileEntry::new(weak_data))
        .unwrap();
    tree.add_file("usr/lib/libdemo.so", FileEntry::new(library_data))
        .unwrap();
    tree.add_file("etc/motd", FileEntry::new(b"hello".to_vec()))
        .unwrap();
    let filesystems = [Filesystem {
        containers: vec!["fw.bin".into()],
        tree: &tree,
    }];
    let options = CheckOptions::default();
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (findings, runs) = run_checks(&[&HARDENING], &input);
    assert_eq!(runs[0].coverage.as_deref(), Some("3 ELF files"));
    assert_eq!(findings[0].severity, Severity::Info);
    assert_eq!(findings[0].evidence["elf_files"], 3);
    assert_eq!(findings[0].evidence["executables"], 2);
    let properties: Vec<(&str, serde_json::Value)> = findings[1..]
        .iter()
        .map(|f| {
            (
                f.evidence["property"].as_str().unwrap(),
                f.evidence["binaries"].clone(),
            )
        })
        .collect();
    assert_eq!(
        properties,
        vec![
            ("nx", json!(["usr/bin/weak"])),
            ("pie", json!(["usr/bin/weak"])),
            ("relro", json!(["usr/bin/weak"])),
            ("canary", json!(["usr/bin/weak"])),
            // The library is built without FORTIFY from the same source.
            ("fortify", json!(["usr/bin/weak", "usr/lib/libdemo.so"])),
            (
                "dangerous-functions",
                json!([
                    // FORTIFY replaced strcpy and sprintf with their checked variants.
                    {"path": "usr/bin/hardened", "functions": ["system"]},
                    {"path": "usr/bin/weak", "functions": ["sprintf", "strcpy", "system"]},
                    {"path": "usr/lib/libdemo.so", "functions": ["sprintf", "strcpy", "system"]}
                ])
            ),
        ]
    );
    assert!(findings[1..].iter().all(|f| f.severity == Severity::Low));
}

#[test]
fn hardening_of_a_system_binary() {
    let Ok(data) = std::fs::read("/bin/ls") else {
        skip("/bin/ls is missing");
        return;
    };
    let ls = analyse_elf(&data).expect("/bin/ls is an ELF executable");
    assert_eq!(ls.kind, ElfKind::Executable);
    // Every current distribution builds ls with NX and a canary, dynamically linked.
    assert!(ls.nx);
    assert_eq!(ls.canary, Some(true));
    assert_ne!(ls.relro, Relro::None);
}

#[test]
fn hostile_elf_headers_do_not_panic() {
    let Ok(data) = std::fs::read("/bin/ls") else {
        skip("/bin/ls is missing");
        return;
    };
    // Truncations and corrupted header fields: parse or refuse, never panic.
    for cut in [16, 52, 64, 100, 1000, data.len() / 2] {
        let _ = analyse_elf(data.get(..cut).unwrap_or(&data));
    }
    for offset in (16..64).step_by(2) {
        let mut corrupted = data.clone();
        corrupted[offset] = 0xff;
        corrupted[offset + 1] = 0x7f;
        let _ = analyse_elf(&corrupted);
    }
}

// ---- the corpus ----------------------------------------------------------------------------

/// The file systems of a corpus sample, extracted; `None` (after the skip message) if absent.
fn corpus_extraction(relative: &str) -> Option<iotlabel_firmware::extract::Extraction> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/firmware")
        .join(relative);
    let Ok(data) = std::fs::read(&path) else {
        skip(&format!("corpus sample {} is missing", path.display()));
        return None;
    };
    Some(iotlabel_firmware::extract::extract(
        "image.bin",
        &data,
        &iotlabel_firmware::extract::ExtractOptions::default(),
        &mut |_| {},
    ))
}

fn filesystems_of(extraction: &iotlabel_firmware::extract::Extraction) -> Vec<Filesystem<'_>> {
    extraction
        .filesystems
        .iter()
        .map(|fs| Filesystem {
            containers: fs.containers.clone(),
            tree: &fs.tree,
        })
        .collect()
}

#[test]
fn components_end_of_life_and_hardening_of_the_real_router_image() {
    let Some(extraction) = corpus_extraction("real/broadcom-adsl-router-squashfs2-be-lzma.bin")
    else {
        return;
    };
    let filesystems = filesystems_of(&extraction);
    let components = identify_components(&filesystems);
    let found: Vec<String> = components
        .iter()
        .map(|c| format!("{} {} {}", c.name, c.version, c.location.path))
        .collect();
    assert_eq!(
        found,
        vec![
            "busybox 1.00 bin/busybox",
            "ipsec-tools 0.5.1 bin/racoon",
            "linux 2.6.8.1 lib/modules/2.6.8.1/extra/adsldd.ko",
            "openssl 0.9.7f lib/libcrypto.so.0.9.7",
        ]
    );
    let options = CheckOptions {
        now: time::macros::datetime!(2026-11-28 00:00 UTC),
        ..CheckOptions::default()
    };
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (findings, runs) = run_checks(&[&END_OF_LIFE, &HARDENING], &input);
    let end_of_life: Vec<&str> = findings
        .iter()
        .filter(|f| f.check == "components.end-of-life")
        .map(|f| f.evidence["component"].as_str().unwrap())
        .collect();
    assert_eq!(end_of_life, vec!["linux", "openssl"]);
    let hardening: Vec<&str> = findings
        .iter()
        .filter(|f| f.check == "hardening.elf")
        .map(|f| f.message.as_str())
        .collect();
    eprintln!("hardening coverage: {:?}", runs[1].coverage);
    for message in &hardening {
        eprintln!("  {message}");
    }
    // MIPS binaries of 2009: no PT_GNU_STACK (executable stack), no PIE, no RELRO, no canaries.
    assert!(hardening[0].contains("ELF files"));
    assert!(
        hardening
            .iter()
            .any(|m| m.contains("40 of 40 ELF files have an executable stack (no NX)"))
    );
    assert!(
        hardening
            .iter()
            .any(|m| m.contains("executables are not position-independent"))
    );
}

#[test]
fn vxworks_in_the_tp_link_image() {
    let Some(extraction) = corpus_extraction("formats/tpl-wr.fw") else {
        return;
    };
    let filesystems = filesystems_of(&extraction);
    let components = identify_components(&filesystems);
    let found: Vec<String> = components
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c.name,
                c.version,
                c.location.containers.join(" > ")
            )
        })
        .collect();
    // The boot loader and the system image are both VxWorks 5.5.1 (separate instances).
    assert!(
        found.iter().all(|c| c.starts_with("vxworks 5.5.1 ")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|c| c.ends_with("0x40114.lzma")),
        "{found:?}"
    );
}
