//! The credential and key-material checks against the real samples of the shared corpus
//! (`../shared/fixtures/firmware/credentials/`, from FACT_core's plugin tests): the positive
//! samples give the expected findings, the false-positive samples (`*_FP_*`, `*_fp*`) none.
//! Skips with a message when the corpus is absent, fails when CI is "true".

#![allow(clippy::unwrap_used, clippy::expect_used)]
// CheckOptions gains fields from other checks; `..Default` keeps the tests independent of them.
#![allow(clippy::needless_update)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use iotlabel_core::report::{Finding, Location, Severity};
use iotlabel_firmware::checks::{
    CheckInput, CheckOptions, Filesystem, certificates, credentials, run_checks, secrets,
};
use iotlabel_firmware::vfs::{FileEntry, Tree};

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/firmware/credentials");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the corpus {} is missing and CI is true", dir.display());
    }
    eprintln!("skipping: the corpus {} is absent", dir.display());
    None
}

fn sample(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn tree_of(files: &[(&str, Vec<u8>)]) -> Tree {
    let mut tree = Tree::new();
    for (path, data) in files {
        tree.add_file(path, FileEntry::new(data.clone())).unwrap();
    }
    tree
}

fn run(tree: &Tree, checks: &[&iotlabel_firmware::checks::Check]) -> Vec<Finding> {
    let options = CheckOptions {
        crack_budget_per_hash: Duration::from_secs(5),
        now: time::macros::datetime!(2026-11-28 0:00 UTC),
        ..CheckOptions::default()
    };
    let filesystems = [Filesystem {
        containers: vec!["corpus".into()],
        tree,
    }];
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    run_checks(checks, &input).0
}

fn path_of(finding: &Finding) -> &str {
    match &finding.location {
        Location::Firmware(firmware) => &firmware.path,
        Location::Device(_) => "",
    }
}

fn users(findings: &[Finding]) -> Vec<String> {
    let mut users: Vec<String> = findings
        .iter()
        .filter_map(|f| {
            f.evidence
                .get("user")
                .and_then(|u| u.as_str())
                .map(str::to_owned)
        })
        .collect();
    users.sort();
    users
}

#[test]
fn shadow_sample_cracks_known_defaults_and_skips_locked_accounts() {
    let Some(dir) = corpus_dir() else { return };
    let tree = tree_of(&[(
        "etc/shadow",
        sample(&dir, "users_and_passwords-passwd_test"),
    )]);
    let findings = run(
        &tree,
        &[&credentials::DEFAULT_PASSWORD, &credentials::EMPTY_PASSWORD],
    );
    for finding in &findings {
        eprintln!(
            "{} {} {:?}",
            finding.check, finding.message, finding.evidence
        );
    }
    // Locked (`!`, `*`) accounts never appear.
    for locked in ["vboxadd", "mongodb", "clamav", "pulse"] {
        assert!(!users(&findings).contains(&locked.to_owned()), "{locked}");
    }
    let cracked = users(&findings);
    // Each cracked password is a real default of the lists, checked by re-verifying.
    assert!(!cracked.is_empty(), "no default password cracked");
    for finding in &findings {
        assert_eq!(finding.check, "credentials.default-password");
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(path_of(finding), "etc/shadow");
        assert!(finding.evidence.contains_key("hash_scheme"));
        assert!(finding.evidence.contains_key("list"));
    }
}

#[test]
fn account_lines_embedded_in_a_binary_are_found() {
    let Some(dir) = corpus_dir() else { return };
    let tree = tree_of(&[(
        "usr/bin/blob",
        sample(&dir, "users_and_passwords-passwd.bin"),
    )]);
    let options = CheckOptions::default();
    let filesystems = [Filesystem {
        containers: vec![],
        tree: &tree,
    }];
    let accounts = credentials::collect_accounts(&filesystems[0]);
    let names: Vec<&str> = accounts.iter().map(|a| a.user.as_str()).collect();
    assert_eq!(names, ["johndoe", "max"]);
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let (_, runs) = run_checks(&[&credentials::DEFAULT_PASSWORD], &input);
    let coverage = runs[0].coverage.as_deref().unwrap();
    assert!(coverage.contains("2 hashes"), "{coverage}");
}

#[test]
fn false_positive_password_sample_gives_nothing() {
    let Some(dir) = corpus_dir() else { return };
    let data = sample(&dir, "users_and_passwords-passwd_FP_test");
    let tree = tree_of(&[
        ("etc/passwd", data.clone()),
        ("www/js/app.js", data.clone()),
        ("etc/app.conf", data),
    ]);
    let findings = run(
        &tree,
        &[
            &credentials::DEFAULT_PASSWORD,
            &credentials::EMPTY_PASSWORD,
            &credentials::EXTRA_ROOT_ACCOUNT,
            &credentials::FIXED_CONFIG_PASSWORD,
            &credentials::WIFI_KEY,
        ],
    );
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn key_material_samples() {
    let Some(dir) = corpus_dir() else { return };
    let names = [
        "crypto_material-id_rsa",
        "crypto_material-id_rsa_encrypted",
        "crypto_material-pkcs",
        "crypto_material-pkcs12",
        "crypto_material-ssl.key",
        "crypto_material-error.der",
    ];
    for name in names {
        let keys = secrets::private_keys(&sample(&dir, name));
        eprintln!("{name}: {keys:?}");
    }
    let one = |name: &str| {
        let keys = secrets::private_keys(&sample(&dir, name));
        assert_eq!(keys.len(), 1, "{name}: {keys:?}");
        keys.into_iter().next().unwrap().2
    };
    let id_rsa = one("crypto_material-id_rsa");
    assert_eq!((id_rsa.key_type.as_str(), id_rsa.bits), ("rsa", Some(8192)));
    let encrypted = one("crypto_material-id_rsa_encrypted");
    assert!(encrypted.encrypted);
    let pkcs1_der = one("crypto_material-pkcs");
    assert_eq!((pkcs1_der.format, pkcs1_der.bits), ("pkcs1", Some(1024)));
    assert_eq!(one("crypto_material-pkcs12").format, "pkcs12");
    let pkcs8 = one("crypto_material-ssl.key");
    assert_eq!((pkcs8.format, pkcs8.key_type.as_str()), ("pkcs8", "rsa"));

    // Public material and false-positive samples are not private keys.
    for name in [
        "crypto_material-FP_test",
        "crypto_material-pkcs_fp.file",
        "crypto_material-ssl_fp.file",
        "crypto_material-id_rsa.pub",
        "crypto_material-generic_public_key",
        "crypto_material-0x6C2DF2C5-pub.asc",
        "crypto_material-ssl.crt",
    ] {
        assert!(
            secrets::private_keys(&sample(&dir, name)).is_empty(),
            "{name}"
        );
    }
}

#[test]
fn key_material_findings_per_key_and_no_findings_for_fp_samples() {
    let Some(dir) = corpus_dir() else { return };
    let tree = tree_of(&[
        ("etc/ssh/id_rsa", sample(&dir, "crypto_material-id_rsa")),
        (
            "etc/ssl/private/server.key",
            sample(&dir, "crypto_material-ssl.key"),
        ),
        (
            "etc/ssl/server.crt",
            sample(&dir, "crypto_material-ssl.crt"),
        ),
    ]);
    let findings = run(&tree, &[&secrets::PRIVATE_KEY, &certificates::CERTIFICATE]);
    let keys: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check == "secrets.private-key")
        .collect();
    assert_eq!(keys.len(), 2, "{findings:#?}");
    assert!(
        keys.iter()
            .all(|f| f.provisions.iter().any(|p| p.to_string() == "5.4-3"))
    );
    let certs: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check == "secrets.certificate")
        .collect();
    assert_eq!(certs.len(), 1, "{certs:#?}");
    assert_eq!(path_of(certs[0]), "etc/ssl/server.crt");

    let fp = tree_of(&[
        ("etc/a", sample(&dir, "crypto_material-FP_test")),
        ("etc/b", sample(&dir, "crypto_material-pkcs_fp.file")),
        ("etc/c", sample(&dir, "crypto_material-ssl_fp.file")),
    ]);
    let findings = run(
        &fp,
        &[
            &secrets::PRIVATE_KEY,
            &secrets::API_TOKEN,
            &certificates::CERTIFICATE,
        ],
    );
    assert!(findings.is_empty(), "{findings:#?}");
}
