//! Acceptance test for the credential, secret, certificate, service and disclosure checks: a
//! self-built image with planted weaknesses (default passwords of every hash type in
//! shadow/passwd/htpasswd/Mosquitto files, an embedded private key, telnetd in inittab, ...)
//! where each is found with the right provision and path, and a clean image where no check
//! reports a weakness (only `info` inventory) and every clean outcome states its coverage.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// CheckOptions gains fields from other checks; `..Default` keeps the tests independent of them.
#![allow(clippy::needless_update)]
#![allow(deprecated)] // pwhash marks the old crypt schemes deprecated; the test plants them on purpose.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use iotlabel_core::report::{CheckOutcome, CheckRun, Finding, Location, Severity};
use iotlabel_firmware::checks::{
    Check, CheckInput, CheckOptions, Filesystem, certificates, credentials, disclosure, run_checks,
    secrets, services,
};
use iotlabel_firmware::vfs::{FileEntry, Tree};
use sha2::{Digest, Sha512};

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

/// A leaf certificate: RSA 1024, SHA-1, signed by the CA below, valid 2026-11-28 to 2026-11-29 (made with openssl).
const WEAK_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBeDCCAR8CFEieEN0TU4iofJLA5FptuIPR0HAMMAkGByqGSM49BAEwGjEYMBYG
A1UEAwwPRXhhbXBsZSBSb290IENBMB4XDTI2MTEyODA3Mzc0N1oXDTI2MTEyOTA3
Mzc0N1owHjEcMBoGA1UEAwwTd2Vhay5kZXZpY2UuZXhhbXBsZTCBnzANBgkqhkiG
9w0BAQEFAAOBjQAwgYkCgYEAzl3eioyd0OXONRCK/mJcVaxGFCGXeJJuOeR3w97s
5jqQnxmR4ydzze+qhIlglhs2XZbcklv2m17e9KdHbLHQFACW6ItnTVQdYCLNmz0a
Osnlgt/7dR+fnikMxBPr6PzOs2Yr/NEe44KBrB2toxCkOXvqpdCjAIrjXS8FY54D
qk0CAwEAATAJBgcqhkjOPQQBA0gAMEUCIQCVEKJdNqHhd3TbfuTo0Gq5k6aREiTq
WNNdOA7teKsTOQIgHeXyaXZ533Oax64OHE7jBuCGRhrxF4NwwUEBmWNfYyA=
-----END CERTIFICATE-----
";

/// A self-signed device certificate: EC P-256, SHA-256, CA:FALSE, valid until 2036.
const GOOD_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBhTCCASqgAwIBAgIUNwqd94Jant+oUJB8IhR97sBfvYUwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZGV2aWNlLmV4YW1wbGUwHhcNMjYxMTI4MDczNzQzWhcNMzYx
MTI1MDczNzQzWjAZMRcwFQYDVQQDDA5kZXZpY2UuZXhhbXBsZTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABOtb39hAtnl5J3jdqMuomf9SsV0yunTbaVPMNmyEJFmd
RtjOsrDg96WqC6928fahThHzp3/nkxQCVZet2AL+W4ujUDBOMB0GA1UdDgQWBBSJ
zheGLMT7D05X62YVt4OGpDi47zAfBgNVHSMEGDAWgBSJzheGLMT7D05X62YVt4OG
pDi47zAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0kAMEYCIQDc+ecEbY6XbQVT
gzCsXBIgdcJUmve8GN7/YolblYhWFQIhALSDXajOEpgAEMvCpSW0Q830qZJoJFB2
g5+li+2RRGnZ
-----END CERTIFICATE-----
";

/// A self-issued root: EC P-256, CA:TRUE, valid until 2036.
const CA_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBiDCCAS+gAwIBAgIUE9qS7locN46kIvFxlCQLYg1J/VswCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPRXhhbXBsZSBSb290IENBMB4XDTI2MTEyODA3Mzc0NloXDTM2
MTEyNTA3Mzc0NlowGjEYMBYGA1UEAwwPRXhhbXBsZSBSb290IENBMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE2mbOXVZjhKF/Sk6WnMaowHM2GLAoZewSFFESen08
7DA7LniBbyKtPbQz47mvGo/dOOWOlo8xA7du8sOt/yntKKNTMFEwHQYDVR0OBBYE
FDgmTBZjWak4MNiCBEK7GRGq1xV+MB8GA1UdIwQYMBaAFDgmTBZjWak4MNiCBEK7
GRGq1xV+MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgVkMf8FYo
w1py+QtX+q8tIz6J0x5GyntO3SC0PzyBAaUCIETaUPE+bLogEKH5NlH6XFHR/idL
GzilFbHo3HeuZqDp
-----END CERTIFICATE-----
";

fn sec1_ec_key_der() -> Vec<u8> {
    // ECPrivateKey { version 1, privateKey OCTET STRING (32), [0] prime256v1, [1] public key }
    let mut der = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
    der.extend((0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    der.extend([
        0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03,
        0x42, 0x00, 0x04,
    ]);
    der.extend((0..64u8).map(|i| i.wrapping_mul(53).wrapping_add(7)));
    der
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = BASE64.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn mosquitto_hash(password: &str) -> String {
    let salt = [9u8, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2];
    let mut digest = Sha512::new();
    digest.update(password.as_bytes());
    digest.update(salt);
    format!(
        "$6${}${}",
        BASE64.encode(salt),
        BASE64.encode(digest.finalize())
    )
}

fn add(tree: &mut Tree, path: &str, data: impl Into<Vec<u8>>) {
    tree.add_file(path, FileEntry::new(data.into())).unwrap();
}

fn run(tree: &Tree, budget: Duration) -> (Vec<Finding>, Vec<CheckRun>) {
    let options = CheckOptions {
        crack_budget_per_hash: budget,
        now: time::macros::datetime!(2026-11-28 0:00 UTC),
        ..CheckOptions::default()
    };
    let filesystems = [Filesystem {
        containers: vec!["image.bin".into(), "rootfs.squashfs".into()],
        tree,
    }];
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    run_checks(MY_CHECKS, &input)
}

fn path_of(finding: &Finding) -> &str {
    match &finding.location {
        Location::Firmware(firmware) => &firmware.path,
        Location::Device(_) => "",
    }
}

/// The finding of `check` at `path` (with `user` in its evidence when given), asserting its
/// provision.
fn expect<'a>(
    findings: &'a [Finding],
    check: &str,
    path: &str,
    provision: &str,
    user: Option<&str>,
) -> &'a Finding {
    let found = findings.iter().find(|f| {
        f.check == check
            && path_of(f) == path
            && user.is_none_or(|u| f.evidence.get("user").and_then(|v| v.as_str()) == Some(u))
    });
    let Some(found) = found else {
        panic!("no {check} at {path} for {user:?}; findings: {findings:#?}");
    };
    assert!(
        found.provisions.iter().any(|p| p.to_string() == provision),
        "{check} at {path} lacks provision {provision}"
    );
    if let Location::Firmware(firmware) = &found.location {
        assert_eq!(firmware.containers, ["image.bin", "rootfs.squashfs"]);
    }
    found
}

fn planted_image() -> Tree {
    let md5 = pwhash::md5_crypt::hash_with("$1$plant01$", "admin").unwrap();
    let sha512 =
        pwhash::sha512_crypt::hash_with("$6$rounds=1000$plantedsalt$", "password").unwrap();
    let sha256 =
        pwhash::sha256_crypt::hash_with("$5$rounds=1000$plantedsalt$", "operator").unwrap();
    let des = pwhash::unix_crypt::hash_with("sp", "support").unwrap();
    let bcrypt = pwhash::bcrypt::hash_with(
        pwhash::bcrypt::BcryptSetup {
            salt: Some("bvIG6Nmid91Mu9RcmmWZfO"),
            cost: Some(4),
            variant: Some(pwhash::bcrypt::BcryptVariant::V2b),
        },
        "toor",
    )
    .unwrap();
    let mut tree = Tree::new();
    add(
        &mut tree,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\n\
         daemon:*:1:1:daemon:/usr/sbin:/bin/false\n\
         admin:x:1000:1000::/home/admin:/bin/sh\n\
         support:x:1001:1001::/home/support:/bin/sh\n\
         operator:x:1002:1002::/home/operator:/bin/sh\n\
         guest:x:1003:1003::/home/guest:/bin/sh\n\
         toor:x:0:0:backdoor:/root:/bin/sh\n\
         nobody:x:65534:65534::/:/bin/false\n",
    );
    add(
        &mut tree,
        "etc/shadow",
        format!(
            "root:{md5}:19000:0:99999:7:::\n\
             daemon:*:19000:0:99999:7:::\n\
             admin:{sha512}:19000:0:99999:7:::\n\
             support:{des}:19000:0:99999:7:::\n\
             operator:{sha256}:19000:0:99999:7:::\n\
             guest::19000:0:99999:7:::\n\
             toor:{bcrypt}:19000:0:99999:7:::\n\
             nobody:!:19000:0:99999:7:::\n"
        ),
    );
    add(
        &mut tree,
        "www/.htpasswd",
        "webadmin:$apr1$nMebU24m$Y8oY1YtYZ/BHxNc47mYzz/\n",
    );
    add(
        &mut tree,
        "etc/mosquitto/passwd",
        format!("sensor:{}\n", mosquitto_hash("12345")),
    );
    // A private key in a PEM file, and the same kind of key embedded in a binary.
    add(
        &mut tree,
        "etc/ssl/private/device.key",
        pem("EC PRIVATE KEY", &sec1_ec_key_der()),
    );
    let mut binary = b"\x7fELF\x02\x01\x01\0garbage\0\0".to_vec();
    let mut embedded = sec1_ec_key_der();
    if let Some(byte) = embedded.get_mut(10) {
        *byte ^= 0xff; // a different key
    }
    binary.extend(&embedded);
    binary.extend(b"\0\0more code\0");
    add(&mut tree, "usr/bin/cloudd", binary);
    add(
        &mut tree,
        "etc/inittab",
        "::sysinit:/etc/init.d/rcS\n\
         ttyS0::respawn:-/bin/sh\n\
         ::respawn:/usr/sbin/telnetd -F -l /bin/sh\n\
         ::shutdown:/bin/umount -a -r\n",
    );
    add(
        &mut tree,
        "etc/init.d/rcS",
        "#!/bin/sh\n\
         mount -a\n\
         /usr/sbin/tcpsvd -vE 0.0.0.0 21 ftpd -w /srv &\n\
         gdbserver :1234 /usr/bin/app &\n\
         /usr/sbin/inetd\n",
    );
    add(
        &mut tree,
        "etc/inetd.conf",
        "tftp dgram udp wait root /usr/sbin/tftpd tftpd -s /srv/tftp\n",
    );
    add(
        &mut tree,
        "etc/ssh/sshd_config",
        "Port 22\nPermitRootLogin yes\n#PasswordAuthentication no\n",
    );
    add(
        &mut tree,
        "etc/hostapd.conf",
        "interface=wlan0\nssid=Camera-Setup\nwpa=2\nwpa_passphrase=Camera2024!\n",
    );
    add(
        &mut tree,
        "etc/app.conf",
        "admin_user=admin\nadmin_password=admin\n",
    );
    add(
        &mut tree,
        "etc/snmp/snmpd.conf",
        "rocommunity public default\nrwcommunity private 10.0.0.0/8\n",
    );
    add(
        &mut tree,
        "etc/cloud.json",
        r#"{"region": "ap-southeast-1", "aws_access_key_id": "AKIAQWERTYUIOPASDFGH"}"#,
    );
    add(&mut tree, "etc/ssl/certs/device.pem", certificate("weak"));
    add(&mut tree, "www/index.html", "<html>camera</html>");
    add(
        &mut tree,
        "www/.well-known/security.txt",
        "Contact: mailto:security@example.com\n",
    );
    add(
        &mut tree,
        "www/support.html",
        "<p>Security updates until 2025-06-30.</p>",
    );
    tree
}

fn clean_image() -> Tree {
    let strong = pwhash::md5_crypt::hash_with("$1$clean001$", "Zq8#vT!m2pLw-unique").unwrap();
    let mut tree = Tree::new();
    add(
        &mut tree,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\n\
         daemon:*:1:1:daemon:/usr/sbin:/bin/false\n\
         app:x:1000:1000::/home/app:/bin/sh\n\
         operator:x:0:0:locked:/root:/bin/false\n",
    );
    add(
        &mut tree,
        "etc/shadow",
        format!(
            "root:!:19000:0:99999:7:::\n\
             daemon:*:19000:0:99999:7:::\n\
             app:{strong}:19000:0:99999:7:::\n\
             operator:!!:19000:0:99999:7:::\n"
        ),
    );
    add(
        &mut tree,
        "etc/inittab",
        "::sysinit:/etc/init.d/rcS\n\
         ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n\
         ::askconsole:/bin/login\n",
    );
    add(
        &mut tree,
        "etc/init.d/rcS",
        "#!/bin/sh\n\
         # telnetd -l /bin/sh   (debug builds only)\n\
         killall telnetd 2>/dev/null\n\
         [ -x /usr/sbin/tftpd ] && echo tftpd present\n\
         echo starting ftpd is disabled\n\
         /usr/sbin/dropbear -s -g -p 22\n",
    );
    add(
        &mut tree,
        "etc/ssh/sshd_config",
        "PermitRootLogin prohibit-password\nPasswordAuthentication yes\n",
    );
    add(
        &mut tree,
        "etc/hostapd.conf",
        "interface=wlan0\nwpa=2\nwpa_passphrase=$WIFI_PASSPHRASE\nwpa_psk_file=/tmp/psk\n",
    );
    add(
        &mut tree,
        "etc/app.conf",
        "admin_password=${ADMIN_PASSWORD}\nmin_password_length=12\npassword_policy=strong\n",
    );
    add(
        &mut tree,
        "etc/cloud.json",
        r#"{"region": "ap-southeast-1", "api_key": "", "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE"}"#,
    );
    add(&mut tree, "etc/ssl/certs/device.pem", certificate("good"));
    add(&mut tree, "etc/ssl/certs/root-ca.pem", certificate("ca"));
    add(
        &mut tree,
        "etc/ssl/device.pub",
        pem("PUBLIC KEY", &[0x30, 0x03, 0x02, 0x01, 0x00]),
    );
    add(&mut tree, "www/index.html", "<html>camera</html>");
    add(
        &mut tree,
        "www/.well-known/security.txt",
        "Contact: mailto:security@example.com\nContact: https://example.com/vdp\nExpires: 2030-01-01T00:00:00Z\nPolicy: https://example.com/policy\n",
    );
    add(
        &mut tree,
        "www/support.html",
        "<p>This camera receives security updates until 2031-12-31 (defined support period).</p>",
    );
    add(
        &mut tree,
        "etc/device_info",
        "DEVICE_MANUFACTURER='Example'\nDEVICE_PRODUCT='Cam 200'\nDEVICE_REVISION='v1.4.2'\n",
    );
    tree
}

fn certificate(which: &str) -> Vec<u8> {
    match which {
        "weak" => WEAK_CERT_PEM.as_bytes().to_vec(),
        "good" => GOOD_CERT_PEM.as_bytes().to_vec(),
        _ => CA_CERT_PEM.as_bytes().to_vec(),
    }
}

#[test]
fn planted_weaknesses_are_each_found_with_provision_and_path() {
    let (findings, runs) = run(&planted_image(), Duration::from_secs(20));
    for finding in &findings {
        eprintln!(
            "{} [{}] {} {}",
            finding.check,
            finding.severity.as_str(),
            path_of(finding),
            finding.message
        );
    }
    // Default passwords, one finding per account, every hash type.
    for (user, path, scheme) in [
        ("root", "etc/shadow", "md5crypt"),
        ("admin", "etc/shadow", "sha512crypt"),
        ("support", "etc/shadow", "des-crypt"),
        ("operator", "etc/shadow", "sha256crypt"),
        ("toor", "etc/shadow", "bcrypt"),
        ("webadmin", "www/.htpasswd", "apr1"),
        ("sensor", "etc/mosquitto/passwd", "mosquitto-sha512"),
    ] {
        let finding = expect(
            &findings,
            "credentials.default-password",
            path,
            "5.1-1",
            Some(user),
        );
        assert_eq!(finding.evidence["hash_scheme"], scheme, "{user}");
        assert_eq!(finding.severity, Severity::Critical);
        assert!(finding.evidence.contains_key("password") && finding.evidence.contains_key("list"));
    }
    let root = expect(
        &findings,
        "credentials.default-password",
        "etc/shadow",
        "5.1-2",
        Some("root"),
    );
    assert_eq!(root.evidence["password"], "admin");
    assert_eq!(root.evidence["list"], "mirai");
    // Locked accounts are never findings.
    for finding in &findings {
        let user = finding.evidence.get("user").and_then(|u| u.as_str());
        assert!(!matches!(user, Some("daemon" | "nobody")), "{finding:#?}");
    }
    expect(
        &findings,
        "credentials.empty-password",
        "etc/shadow",
        "5.1-1",
        Some("guest"),
    );
    expect(
        &findings,
        "credentials.extra-root-account",
        "etc/passwd",
        "5.1-1",
        Some("toor"),
    );
    let fixed = expect(
        &findings,
        "credentials.fixed-config-password",
        "etc/app.conf",
        "5.1-1",
        None,
    );
    assert_eq!(fixed.evidence["password"], "admin");
    let snmp: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.check == "credentials.fixed-config-password" && path_of(f) == "etc/snmp/snmpd.conf"
        })
        .collect();
    assert_eq!(snmp.len(), 2, "one finding per community");
    expect(
        &findings,
        "credentials.wifi-key",
        "etc/hostapd.conf",
        "5.1-1",
        None,
    );

    let key = expect(
        &findings,
        "secrets.private-key",
        "etc/ssl/private/device.key",
        "5.4-3",
        None,
    );
    assert_eq!(key.evidence["key_type"], "ec");
    let embedded = expect(
        &findings,
        "secrets.private-key",
        "usr/bin/cloudd",
        "5.4-3",
        None,
    );
    assert_eq!(embedded.evidence["embedded"], true);
    expect(
        &findings,
        "secrets.api-token",
        "etc/cloud.json",
        "5.4-3",
        None,
    );
    let weak = expect(
        &findings,
        "secrets.certificate",
        "etc/ssl/certs/device.pem",
        "5.4-3",
        None,
    );
    assert_eq!(weak.severity, Severity::Medium);
    let weaknesses = weak.evidence["weaknesses"].to_string().to_ascii_lowercase();
    assert!(
        weaknesses.contains("1024") && weaknesses.contains("sha1"),
        "{weaknesses}"
    );

    let telnet = expect(&findings, "services.telnet", "etc/inittab", "5.6-5", None);
    assert_eq!(telnet.severity, Severity::Critical, "telnetd -l /bin/sh");
    expect(
        &findings,
        "services.serial-shell",
        "etc/inittab",
        "5.6-4A",
        None,
    );
    expect(&findings, "services.ftp", "etc/init.d/rcS", "5.6-5", None);
    expect(&findings, "services.tftp", "etc/inetd.conf", "5.6-5", None);
    expect(
        &findings,
        "services.debug-daemon",
        "etc/init.d/rcS",
        "5.6-4A",
        None,
    );
    expect(
        &findings,
        "services.ssh-root-password",
        "etc/ssh/sshd_config",
        "5.6-5",
        None,
    );

    let security_txt = expect(
        &findings,
        "disclosure.security-txt",
        "www/.well-known/security.txt",
        "5.2-1",
        None,
    );
    assert!(
        security_txt.evidence["problems"]
            .to_string()
            .contains("no Expires")
    );
    let support = expect(
        &findings,
        "disclosure.support-period",
        "www/support.html",
        "5.3-13",
        None,
    );
    assert_eq!(
        support.severity,
        Severity::Medium,
        "the stated period has ended"
    );
    expect(&findings, "disclosure.model-metadata", "", "5.3-16", None);

    // Every check ran and none crashed.
    assert_eq!(runs.len(), MY_CHECKS.len());
    assert!(
        runs.iter().all(|r| r.outcome == CheckOutcome::Findings),
        "{runs:#?}"
    );
    // One finding per weakness instance: fingerprints are unique.
    let mut prints: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), findings.len());
}

#[test]
fn clean_image_gives_no_weakness_and_states_coverage() {
    let (findings, runs) = run(&clean_image(), Duration::from_millis(300));
    let weaknesses: Vec<&Finding> = findings.iter().filter(|f| f.is_weakness()).collect();
    assert!(weaknesses.is_empty(), "{weaknesses:#?}");
    // Inventory only: the device and CA certificates, the support statement, the model.
    let inventory: Vec<&str> = findings.iter().map(|f| f.check.as_str()).collect();
    assert!(inventory.contains(&"secrets.certificate"));
    assert!(inventory.contains(&"disclosure.support-period"));
    assert!(inventory.contains(&"disclosure.model-metadata"));
    let model = findings
        .iter()
        .find(|f| f.check == "disclosure.model-metadata")
        .unwrap();
    assert_eq!(model.evidence["model"], "Cam 200");
    assert_eq!(model.evidence["version"], "v1.4.2");
    for run in &runs {
        assert_ne!(run.outcome, CheckOutcome::Error, "{run:#?}");
        assert!(run.coverage.is_some(), "{} has no coverage", run.check);
    }
    let cracking = runs
        .iter()
        .find(|r| r.check == "credentials.default-password")
        .unwrap();
    assert_eq!(cracking.outcome, CheckOutcome::Clean);
    let coverage = cracking.coverage.as_deref().unwrap();
    assert!(
        coverage.contains("1 hashes") && coverage.contains("candidates"),
        "{coverage}"
    );
}
