//! TLS without a TLS library: a hand-built ClientHello per protocol version (rustls cannot
//! speak TLS 1.0/1.1, and a version probe needs no key exchange), ServerHello and alert
//! parsing, the plaintext Certificate message of TLS ≤ 1.2, and certificate checks with
//! x509-parser (self-signed, expired, weak key, weak signature, name mismatch).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::net::{Conn, NetError};

pub const TLS1_0: u16 = 0x0301;
pub const TLS1_1: u16 = 0x0302;
pub const TLS1_2: u16 = 0x0303;
pub const TLS1_3: u16 = 0x0304;

pub fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".into(),
        TLS1_0 => "TLS 1.0".into(),
        TLS1_1 => "TLS 1.1".into(),
        TLS1_2 => "TLS 1.2".into(),
        TLS1_3 => "TLS 1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Cipher suites covering TLS 1.0 to 1.3 (old CBC and RC4/3DES suites included so that old
/// servers answer).
const CIPHER_SUITES: &[u16] = &[
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a,
    0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x0033, 0x0039, 0x000a, 0x0005, 0x0004,
];

fn push_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn push_u24(out: &mut Vec<u8>, value: usize) {
    let value = value.min(0xff_ffff) as u32;
    out.extend_from_slice(&value.to_be_bytes()[1..]);
}

fn push_extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    push_u16(out, kind);
    push_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = (index as u8).wrapping_mul(151).wrapping_add(7);
        }
    }
    bytes
}

/// A ClientHello offering exactly `version` (TLS 1.3 through supported_versions).
pub fn client_hello(version: u16, server_name: Option<&str>) -> Vec<u8> {
    let legacy_version = version.min(TLS1_2);
    let mut body = Vec::new();
    push_u16(&mut body, legacy_version);
    body.extend_from_slice(&random_bytes::<32>());
    if version == TLS1_3 {
        body.push(32);
        body.extend_from_slice(&random_bytes::<32>());
    } else {
        body.push(0);
    }
    let suites: Vec<u16> = CIPHER_SUITES
        .iter()
        .copied()
        .filter(|suite| (version == TLS1_3) == (*suite & 0xff00 == 0x1300))
        .collect();
    push_u16(&mut body, (suites.len() * 2) as u16);
    for suite in suites {
        push_u16(&mut body, suite);
    }
    body.extend_from_slice(&[1, 0]); // compression: null only
    let mut extensions = Vec::new();
    if let Some(name) =
        server_name.filter(|name| name.parse::<IpAddr>().is_err() && name.len() < 256)
    {
        let mut sni = Vec::new();
        push_u16(&mut sni, (name.len() + 3) as u16);
        sni.push(0);
        push_u16(&mut sni, name.len() as u16);
        sni.extend_from_slice(name.as_bytes());
        push_extension(&mut extensions, 0x0000, &sni);
    }
    push_extension(
        &mut extensions,
        0x000a,
        &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    );
    push_extension(&mut extensions, 0x000b, &[1, 0]);
    if version >= TLS1_2 {
        let algorithms: [u16; 10] = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201, 0x0203,
        ];
        let mut list = Vec::new();
        push_u16(&mut list, (algorithms.len() * 2) as u16);
        for algorithm in algorithms {
            push_u16(&mut list, algorithm);
        }
        push_extension(&mut extensions, 0x000d, &list);
    }
    push_extension(&mut extensions, 0xff01, &[0]);
    if version == TLS1_3 {
        push_extension(&mut extensions, 0x002b, &[2, 0x03, 0x04]);
        // Any 32 bytes are a valid X25519 public key; the probe never finishes the handshake.
        let mut share = Vec::new();
        push_u16(&mut share, 36);
        push_u16(&mut share, 0x001d);
        push_u16(&mut share, 32);
        share.extend_from_slice(&random_bytes::<32>());
        push_extension(&mut extensions, 0x0033, &share);
    }
    push_u16(&mut body, extensions.len() as u16);
    body.extend_from_slice(&extensions);

    let mut handshake = vec![0x01];
    push_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16];
    push_u16(&mut record, TLS1_0);
    push_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

/// What the server answered to one ClientHello.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelloAnswer {
    /// The version the ServerHello selected.
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    /// An alert description instead of a ServerHello.
    pub alert: Option<u8>,
    /// DER certificates of the Certificate message (TLS ≤ 1.2 only: 1.3 encrypts it).
    pub certificates: Vec<Vec<u8>>,
}

/// Parses handshake messages out of the records received so far. Returns the answer and
/// whether the server's first flight is complete (ServerHelloDone, an alert, or TLS 1.3).
pub fn parse_server_flight(bytes: &[u8]) -> (HelloAnswer, bool) {
    let mut answer = HelloAnswer::default();
    let mut handshake = Vec::new();
    let mut rest = bytes;
    let mut complete = false;
    while rest.len() >= 5 {
        let kind = rest.first().copied().unwrap_or_default();
        let length = usize::from(u16::from_be_bytes([
            rest.get(3).copied().unwrap_or_default(),
            rest.get(4).copied().unwrap_or_default(),
        ]));
        let Some(fragment) = rest.get(5..5 + length) else {
            break;
        };
        match kind {
            0x16 => handshake.extend_from_slice(fragment),
            0x15 => {
                answer.alert = fragment.get(1).copied();
                complete = true;
            }
            _ => {
                complete = true;
            }
        }
        rest = rest.get(5 + length..).unwrap_or_default();
    }
    let mut messages = handshake.as_slice();
    while messages.len() >= 4 {
        let kind = messages.first().copied().unwrap_or_default();
        let length = usize::from(messages.get(1).copied().unwrap_or_default()) << 16
            | usize::from(messages.get(2).copied().unwrap_or_default()) << 8
            | usize::from(messages.get(3).copied().unwrap_or_default());
        let Some(body) = messages.get(4..4 + length) else {
            break;
        };
        match kind {
            2 => {
                parse_server_hello(body, &mut answer);
                if answer.version == Some(TLS1_3) {
                    complete = true;
                }
            }
            11 => answer.certificates = parse_certificate_list(body),
            14 => complete = true,
            _ => {}
        }
        messages = messages.get(4 + length..).unwrap_or_default();
    }
    (answer, complete)
}

fn parse_server_hello(body: &[u8], answer: &mut HelloAnswer) {
    let read_u16 = |offset: usize| -> Option<u16> {
        Some(u16::from_be_bytes([
            *body.get(offset)?,
            *body.get(offset + 1)?,
        ]))
    };
    let Some(legacy) = read_u16(0) else {
        return;
    };
    answer.version = Some(legacy);
    let session_length = usize::from(body.get(34).copied().unwrap_or_default());
    let mut offset = 35 + session_length;
    answer.cipher_suite = read_u16(offset);
    offset += 3;
    let Some(extensions_length) = read_u16(offset) else {
        return;
    };
    offset += 2;
    let end = (offset + usize::from(extensions_length)).min(body.len());
    while offset + 4 <= end {
        let (Some(kind), Some(length)) = (read_u16(offset), read_u16(offset + 2)) else {
            return;
        };
        if let (0x002b, Some(selected)) = (kind, read_u16(offset + 4)) {
            answer.version = Some(selected);
        }
        offset += 4 + usize::from(length);
    }
}

fn parse_certificate_list(body: &[u8]) -> Vec<Vec<u8>> {
    let mut certificates = Vec::new();
    let mut rest = body.get(3..).unwrap_or_default();
    while rest.len() >= 3 && certificates.len() < 10 {
        let length = usize::from(rest.first().copied().unwrap_or_default()) << 16
            | usize::from(rest.get(1).copied().unwrap_or_default()) << 8
            | usize::from(rest.get(2).copied().unwrap_or_default());
        let Some(der) = rest.get(3..3 + length) else {
            break;
        };
        certificates.push(der.to_vec());
        rest = rest.get(3 + length..).unwrap_or_default();
    }
    certificates
}

/// Sends one ClientHello and reads the server's first flight.
pub fn hello(
    host: &str,
    addr: SocketAddr,
    timeout: Duration,
    version: u16,
) -> Result<HelloAnswer, NetError> {
    let mut conn = Conn::connect(addr, timeout)?;
    conn.write_all(&client_hello(version, Some(host)))?;
    let received = conn.read_until(96 * 1024, |bytes| parse_server_flight(bytes).1)?;
    if received.is_empty() {
        return Err(if conn.is_closed() {
            NetError::Dropped
        } else {
            NetError::Timeout(timeout)
        });
    }
    Ok(parse_server_flight(&received).0)
}

/// For identification: a one-line description if the port answers a TLS 1.2 ClientHello
/// like a TLS server (ServerHello or alert).
pub fn hello_answer(
    host: &str,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<Option<String>, NetError> {
    let answer = hello(host, addr, timeout, TLS1_2)?;
    Ok(match (answer.version, answer.alert) {
        (Some(version), _) => Some(format!("TLS ServerHello {}", version_name(version))),
        (None, Some(alert)) => Some(format!("TLS alert {alert}")),
        _ => None,
    })
}

/// Which versions a server accepts.
#[derive(Debug, Clone, Default)]
pub struct VersionScan {
    /// (version, accepted, what was seen).
    pub results: Vec<(u16, bool, String)>,
    /// Certificates from the first TLS ≤ 1.2 handshake that sent them.
    pub certificates: Vec<Vec<u8>>,
    pub errors: Vec<String>,
}

pub fn scan_versions(host: &str, addr: SocketAddr, timeout: Duration) -> VersionScan {
    let mut scan = VersionScan::default();
    for version in [TLS1_3, TLS1_2, TLS1_1, TLS1_0] {
        match hello(host, addr, timeout, version) {
            Ok(answer) => {
                let accepted = answer.version == Some(version);
                let seen = match (answer.version, answer.alert) {
                    (Some(selected), _) => format!(
                        "ClientHello {} -> ServerHello {} (cipher suite 0x{:04x})",
                        version_name(version),
                        version_name(selected),
                        answer.cipher_suite.unwrap_or_default()
                    ),
                    (None, Some(alert)) => {
                        format!("ClientHello {} -> alert {alert}", version_name(version))
                    }
                    (None, None) => {
                        format!("ClientHello {} -> no ServerHello", version_name(version))
                    }
                };
                if accepted && scan.certificates.is_empty() && !answer.certificates.is_empty() {
                    scan.certificates = answer.certificates.clone();
                }
                scan.results.push((version, accepted, seen));
            }
            Err(NetError::Dropped) => scan.results.push((
                version,
                false,
                format!("ClientHello {} -> connection closed", version_name(version)),
            )),
            Err(error) => scan
                .errors
                .push(format!("{}: {error}", version_name(version))),
        }
    }
    scan
}

/// A problem with the server certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIssue {
    /// `self-signed`, `expired`, `not-yet-valid`, `weak-key`, `weak-signature`, `name-mismatch`.
    pub kind: &'static str,
    pub detail: String,
}

/// Facts about the leaf certificate and its problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateReport {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
    pub key: String,
    pub sha256: String,
    pub issues: Vec<CertificateIssue>,
}

/// Checks a leaf certificate against the host name the user probed and the time `now`.
pub fn check_certificate(
    der: &[u8],
    host: &str,
    now_unix: i64,
) -> Result<CertificateReport, String> {
    use sha2::Digest;
    let (_, certificate) = X509Certificate::from_der(der)
        .map_err(|error| format!("unreadable certificate: {error}"))?;
    let mut issues = Vec::new();
    let subject = certificate.subject().to_string();
    let issuer = certificate.issuer().to_string();
    if certificate.subject().as_raw() == certificate.issuer().as_raw() {
        issues.push(CertificateIssue {
            kind: "self-signed",
            detail: format!("issuer equals subject ({subject})"),
        });
    }
    let validity = certificate.validity();
    if validity.not_after.timestamp() < now_unix {
        issues.push(CertificateIssue {
            kind: "expired",
            detail: format!("expired {}", validity.not_after),
        });
    }
    if validity.not_before.timestamp() > now_unix {
        issues.push(CertificateIssue {
            kind: "not-yet-valid",
            detail: format!("valid only from {}", validity.not_before),
        });
    }
    let key = match certificate.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if bits < 2048 {
                issues.push(CertificateIssue {
                    kind: "weak-key",
                    detail: format!("RSA key of {bits} bits (at least 2048 expected)"),
                });
            }
            format!("RSA {bits}")
        }
        Ok(PublicKey::EC(point)) => {
            let bits = point.key_size();
            if bits < 256 {
                issues.push(CertificateIssue {
                    kind: "weak-key",
                    detail: format!("EC key of {bits} bits (at least 256 expected)"),
                });
            }
            format!("EC {bits}")
        }
        Ok(PublicKey::DSA(_)) => {
            issues.push(CertificateIssue {
                kind: "weak-key",
                detail: "DSA key".into(),
            });
            "DSA".into()
        }
        Ok(_) => "other".into(),
        Err(error) => format!("unreadable key ({error})"),
    };
    let signature = certificate.signature_algorithm.algorithm.to_id_string();
    let weak_signature = match signature.as_str() {
        "1.2.840.113549.1.1.4" => Some("md5WithRSAEncryption"),
        "1.2.840.113549.1.1.5" => Some("sha1WithRSAEncryption"),
        "1.2.840.10045.4.1" => Some("ecdsa-with-SHA1"),
        "1.2.840.113549.1.1.2" => Some("md2WithRSAEncryption"),
        _ => None,
    };
    if let Some(name) = weak_signature {
        issues.push(CertificateIssue {
            kind: "weak-signature",
            detail: format!("signed with {name}"),
        });
    }
    let mut names = Vec::new();
    let mut matched = false;
    let host_ip = host.parse::<IpAddr>().ok();
    if let Ok(Some(san)) = certificate.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => {
                    names.push(format!("DNS:{dns}"));
                    matched |= host_ip.is_none() && dns_matches(dns, host);
                }
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        names.push(format!("IP:{ip}"));
                        matched |= host_ip == Some(ip);
                    }
                }
                _ => {}
            }
        }
    } else {
        // No SAN: fall back to the common name (as old clients do).
        for common_name in certificate.subject().iter_common_name() {
            if let Ok(text) = common_name.as_str() {
                names.push(format!("CN:{text}"));
                matched |= match host_ip {
                    Some(ip) => text.parse::<IpAddr>().ok() == Some(ip),
                    None => dns_matches(text, host),
                };
            }
        }
    }
    if !matched {
        issues.push(CertificateIssue {
            kind: "name-mismatch",
            detail: format!(
                "certificate names [{}] do not include {host}",
                names.join(", ")
            ),
        });
    }
    Ok(CertificateReport {
        subject,
        issuer,
        not_after: validity.not_after.to_string(),
        key,
        sha256: hex::encode(sha2::Sha256::digest(der)),
        issues,
    })
}

fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(suffix) = pattern.strip_prefix("*.") {
        return host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix);
    }
    pattern == host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_is_well_formed() {
        let hello = client_hello(TLS1_0, Some("cam.example"));
        assert_eq!(hello[0], 0x16);
        assert_eq!(
            usize::from(u16::from_be_bytes([hello[3], hello[4]])),
            hello.len() - 5
        );
        assert_eq!(hello[5], 1);
        assert_eq!(u16::from_be_bytes([hello[9], hello[10]]), TLS1_0);
        let modern = client_hello(TLS1_3, Some("127.0.0.1"));
        assert_eq!(u16::from_be_bytes([modern[9], modern[10]]), TLS1_2);
        assert!(
            modern
                .windows(5)
                .any(|w| w == [0x00, 0x2b, 0x00, 0x03, 0x02])
        );
    }

    #[test]
    fn parses_server_hello_and_alert() {
        // ServerHello TLS 1.0, empty session id, suite 0x002f, no extensions; ServerHelloDone.
        let mut body = vec![0x03, 0x01];
        body.extend_from_slice(&[0u8; 32]);
        body.extend_from_slice(&[0, 0x00, 0x2f, 0]);
        let mut flight = vec![
            0x16,
            3,
            1,
            0,
            (4 + body.len() + 4) as u8,
            2,
            0,
            0,
            body.len() as u8,
        ];
        flight.extend_from_slice(&body);
        flight.extend_from_slice(&[14, 0, 0, 0]);
        let (answer, complete) = parse_server_flight(&flight);
        assert!(complete);
        assert_eq!(answer.version, Some(TLS1_0));
        assert_eq!(answer.cipher_suite, Some(0x002f));
        let (alert, complete) = parse_server_flight(&[0x15, 3, 3, 0, 2, 2, 70]);
        assert!(complete);
        assert_eq!(alert.alert, Some(70));
        let (partial, complete) = parse_server_flight(&flight[..20]);
        assert!(!complete);
        assert_eq!(partial.version, None);
    }

    #[test]
    fn wildcards() {
        assert!(dns_matches("*.example.com", "cam.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(dns_matches("Cam.Example.com.", "cam.example.com"));
    }
}
