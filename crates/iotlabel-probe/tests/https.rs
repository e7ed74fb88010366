//! HTTPS: Basic logins on a lighttpd admin page served over TLS 1.3 only (the certificate is
//! read through a full rustls handshake), and security.txt fetched over HTTPS with the test's
//! CA as an extra trust anchor.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use iotlabel_core::report::CheckOutcome;
use support::*;

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA and a leaf for 127.0.0.1 signed by it; returns the CA in DER.
fn make_ca_and_leaf(dir: &Path) -> Vec<u8> {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=test-ca",
                "-days",
                "30",
            ],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.pem",
                "-subj",
                "/CN=camera",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-days",
                "30",
            ],
        ]
        .concat(),
    );
    openssl(
        dir,
        &["x509", "-in", "ca.pem", "-outform", "der", "-out", "ca.der"],
    );
    std::fs::read(dir.join("ca.der")).unwrap()
}

fn start_lighttpd_tls(dir: &Path, password: &str, security_txt: Option<&str>) -> (Daemon, u16) {
    let port = free_port();
    let root = dir.join("www");
    std::fs::create_dir_all(root.join(".well-known")).unwrap();
    std::fs::write(root.join("index.html"), "<html>camera settings</html>\n").unwrap();
    if let Some(text) = security_txt {
        std::fs::write(root.join(".well-known/security.txt"), text).unwrap();
    }
    std::fs::write(dir.join("users"), format!("admin:{password}\n")).unwrap();
    let config = dir.join("lighttpd.conf");
    std::fs::write(
        &config,
        format!(
            "server.document-root = \"{root}\"\nserver.port = {port}\nserver.bind = \"127.0.0.1\"\n\
             server.modules = (\"mod_auth\", \"mod_authn_file\", \"mod_openssl\")\nindex-file.names = (\"index.html\")\n\
             ssl.engine = \"enable\"\nssl.pemfile = \"{dir}/leaf.pem\"\nssl.privkey = \"{dir}/leaf.key\"\n\
             ssl.openssl.ssl-conf-cmd = (\"MinProtocol\" => \"TLSv1.3\")\n\
             auth.backend = \"plain\"\nauth.backend.plain.userfile = \"{dir}/users\"\n\
             $HTTP[\"url\"] !~ \"^/\\.well-known/\" {{\n\
               auth.require = ( \"\" => ( \"method\" => \"basic\", \"realm\" => \"camera\", \"require\" => \"valid-user\" ) )\n\
             }}\n",
            root = root.display(),
            dir = dir.display()
        ),
    )
    .unwrap();
    let daemon = Daemon::spawn(
        "lighttpd",
        Command::new("/usr/sbin/lighttpd").args(["-D", "-f", config.to_str().unwrap()]),
    );
    (daemon.wait_tcp(port), port)
}

fn ready() -> bool {
    have("/usr/sbin/lighttpd", "lighttpd")
        && have("openssl", "openssl")
        && have("/usr/lib/lighttpd/mod_openssl.so", "lighttpd-mod-openssl")
}

#[test]
fn https_admin_login_with_a_default_is_reported_and_the_tls13_certificate_read() {
    if !ready() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    make_ca_and_leaf(dir.path());
    let (_daemon, port) = start_lighttpd_tls(dir.path(), "admin", None);
    let mut options = options(list);
    options.services = vec![(port, iotlabel_probe::ServiceKind::Https)];
    let report = run(port, &options);
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert!(
        serde_json::to_string(&found[0].location)
            .unwrap()
            .contains("https-basic")
    );
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("camera settings")
    );
    assert_eq!(
        outcome(&report, "transport.tls-version"),
        Some(CheckOutcome::Clean)
    );
    let certificate = report
        .checks
        .iter()
        .find(|run| run.check == "transport.tls-certificate")
        .unwrap();
    assert_eq!(
        certificate.outcome,
        CheckOutcome::Clean,
        "{}",
        dump(&report)
    );
    assert!(
        certificate
            .coverage
            .as_deref()
            .unwrap()
            .contains("a full TLS handshake")
    );
    assert!(findings(&report, "transport.plaintext-admin").is_empty());
}

#[test]
fn security_txt_over_https_is_validated_with_the_given_root() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = make_ca_and_leaf(dir.path());
    let (_daemon, port) = start_lighttpd_tls(
        dir.path(),
        "Q7-unique-pass-9x",
        Some("Contact: mailto:psirt@example.com\nExpires: 2099-01-01T00:00:00Z\n"),
    );
    let url = format!("https://127.0.0.1:{port}/.well-known/security.txt");
    let mut options = options(Default::default());
    options.security_txt_url = Some(url.clone());
    options.now = Some(time::macros::datetime!(2098-06-01 00:00 UTC));
    options.trusted_roots = vec![ca];
    let report = run(free_port(), &options);
    let kinds: Vec<&str> = findings(&report, "disclosure.security-txt")
        .iter()
        .map(|finding| finding.evidence["issue"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["unsigned"], "{}", dump(&report));

    // Without the test CA the certificate is not trusted: an error, not a pass.
    options.trusted_roots.clear();
    let report = run(free_port(), &options);
    let check = report
        .checks
        .iter()
        .find(|run| run.check == "disclosure.security-txt")
        .unwrap();
    assert_eq!(check.outcome, CheckOutcome::Error, "{}", dump(&report));
    assert!(
        check.reason.as_deref().unwrap().contains("TLS"),
        "{check:?}"
    );
}
