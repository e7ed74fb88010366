//! Certificate check (`secrets.certificate`, EN 303 645 5.4-3, 5.5-1): X.509 certificates in
//! the image (PEM anywhere, DER files and DER certificates embedded in binaries), parsed with
//! `x509-parser`. Public material is inventory, not a secret: a CA trust store (a bundle of
//! many certificates, or CA:true self-issued roots) becomes one `info` finding per file system;
//! any other certificate is an `info` inventory finding, raised to a weakness when it has
//! expired (against `options.now`), has an RSA key under 2048 bits or an EC key under 224
//! bits, or is signed with MD5/MD2/SHA-1 by another party.

use std::collections::BTreeSet;

use iotlabel_core::report::{Confidence, Severity};
use serde_json::{Map, json};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::analysis::Analysis;
use super::credentials::{basename, new_finding};
use super::secrets::{PemBlock, pem_blocks};
use super::{Check, CheckInput, CheckMeta, CheckOutput};

const MAX_SCAN_BYTES: usize = 64 * 1024 * 1024;
/// At most this many DER certificates are parsed per file.
const MAX_DER_CERTIFICATES: usize = 10_000;
/// At most this many certificate-shaped positions are parsed per file (bounded work).
const MAX_DER_ATTEMPTS: usize = 50_000;
/// A file holding at least this many certificates is a trust bundle.
const BUNDLE_SIZE: usize = 3;

/// Signature algorithms that are weak: md2/md5/sha1 with RSA, DSA with SHA-1, ECDSA with
/// SHA-1, and the old OIW sha1WithRSA.
const WEAK_SIGNATURES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.10040.4.3", "dsa-with-sha1"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.3.14.3.2.29", "sha1WithRSASignature"),
];

/// What was read from one certificate.
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub key_type: String,
    pub key_bits: usize,
    pub signature_oid: String,
    pub is_ca: bool,
    pub self_issued: bool,
}

impl CertificateInfo {
    fn from_der(der: &[u8]) -> Option<(CertificateInfo, usize)> {
        let (rest, cert) = X509Certificate::from_der(der).ok()?;
        let used = der.len() - rest.len();
        let raw = der.get(..used)?;
        let (key_type, key_bits) = match cert.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => ("rsa".to_owned(), rsa.key_size()),
            Ok(PublicKey::EC(ec)) => ("ec".to_owned(), ec.key_size()),
            Ok(PublicKey::DSA(y)) => ("dsa".to_owned(), y.len() * 8),
            Ok(_) | Err(_) => (cert.public_key().algorithm.algorithm.to_id_string(), 0),
        };
        Some((
            CertificateInfo {
                sha256: hex::encode(Sha256::digest(raw)),
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_before: cert.validity().not_before.timestamp(),
                not_after: cert.validity().not_after.timestamp(),
                key_type,
                key_bits,
                signature_oid: cert.signature_algorithm.algorithm.to_id_string(),
                is_ca: cert.is_ca(),
                self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            },
            used,
        ))
    }

    /// The weaknesses of this certificate at `now` (Unix seconds; `None` skips expiry).
    pub fn weaknesses(&self, now: Option<i64>) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(now) = now
            && self.not_after < now
        {
            out.push(format!("expired on {}", format_date(self.not_after)));
        }
        if self.key_type == "rsa" && self.key_bits > 0 && self.key_bits < 2048 {
            out.push(format!("RSA key of {} bits (under 2048)", self.key_bits));
        }
        if self.key_type == "ec" && self.key_bits > 0 && self.key_bits < 224 {
            out.push(format!("EC key of {} bits (under 224)", self.key_bits));
        }
        if !self.self_issued
            && let Some((_, name)) = WEAK_SIGNATURES
                .iter()
                .find(|(oid, _)| *oid == self.signature_oid)
        {
            out.push(format!("signed with {name}"));
        }
        out
    }
}

fn format_date(timestamp: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(timestamp)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| timestamp.to_string())
}

/// Every certificate in `data`: PEM `CERTIFICATE` blocks, or DER certificates (a whole DER
/// file or DER embedded in a binary).
pub fn certificates(data: &[u8]) -> Vec<(usize, CertificateInfo)> {
    certificates_with(data, &pem_blocks(data))
}

/// [`certificates`] given the PEM blocks of `data` (from the shared byte pass).
pub(crate) fn certificates_with(data: &[u8], blocks: &[PemBlock]) -> Vec<(usize, CertificateInfo)> {
    let mut out = Vec::new();
    for block in blocks {
        if (block.label == "CERTIFICATE"
            || block.label == "TRUSTED CERTIFICATE"
            || block.label == "X509 CERTIFICATE")
            && let Some((info, _)) = CertificateInfo::from_der(&block.der)
        {
            out.push((block.offset, info));
        }
    }
    if !blocks.is_empty() {
        return out;
    }
    // DER: `30 82 LL LL 30 82 LL LL A0 03 02 01 0?` is a certificate with a v2/v3 TBS.
    let mut offset = 0;
    let mut attempts = 0;
    while out.len() < MAX_DER_CERTIFICATES {
        let Some(found) = data
            .get(offset..)
            .and_then(|rest| memchr::memmem::find(rest, &[0x30, 0x82]))
        else {
            break;
        };
        let at = offset + found;
        offset = at + 1;
        let looks_like = data.get(at + 4..at + 6) == Some(&[0x30, 0x82][..])
            && data.get(at + 8..at + 12) == Some(&[0xa0, 0x03, 0x02, 0x01][..]);
        if !looks_like {
            continue;
        }
        attempts += 1;
        if attempts > MAX_DER_ATTEMPTS {
            break;
        }
        if let Some((info, used)) = data.get(at..).and_then(CertificateInfo::from_der) {
            out.push((at, info));
            offset = at + used.max(1);
        }
    }
    out
}

fn is_trust_store_path(path: &str) -> bool {
    let name = basename(path).to_ascii_lowercase();
    name.contains("ca-certificates")
        || name.contains("ca-bundle")
        || name.contains("cacert")
        || name.contains("ca-root")
        || path.contains("share/ca-certificates/")
        || path.contains("etc/pki/ca-trust/")
}

pub static CERTIFICATE: Check = Check {
    meta: CheckMeta {
        id: "secrets.certificate",
        provisions: &["5.4-3", "5.5-1"],
        severity: Severity::Info,
        title: "Certificate inventory; expired or weak certificates",
        rationale: "Certificates are public, so they are inventory; one that has expired, has a \
                    short key or a broken signature hash gives communication no real protection.",
    },
    run: run_certificate,
};

fn run_certificate(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    let meta = &CERTIFICATE.meta;
    let now = input.options.now.unix_timestamp();
    // The default `now` (the Unix epoch) means no date was given: expiry is not judged.
    let now = (now > 0).then_some(now);
    let mut findings = Vec::new();
    let (mut files, mut total) = (0usize, 0usize);
    for (index, fs) in input.filesystems.iter().enumerate() {
        let mut trust_files: Vec<String> = Vec::new();
        let mut trust_count = 0usize;
        let mut trust_expired = 0usize;
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for (path, file, facts) in analysis.files(index) {
            if file.data.len() > MAX_SCAN_BYTES {
                continue;
            }
            files += 1;
            let found = certificates_with(&file.data, &facts.pem_blocks);
            if found.is_empty() {
                continue;
            }
            total += found.len();
            let bundle = found.len() >= BUNDLE_SIZE || is_trust_store_path(path);
            for (offset, info) in found {
                let root = info.is_ca && info.self_issued;
                if bundle || root {
                    trust_count += 1;
                    if now.is_some_and(|now| info.not_after < now) {
                        trust_expired += 1;
                    }
                    if !trust_files.iter().any(|p| p == path) {
                        trust_files.push(path.to_owned());
                    }
                    continue;
                }
                if !seen.insert((path.to_owned(), info.sha256.clone())) {
                    continue;
                }
                let weaknesses = info.weaknesses(now);
                let mut evidence = Map::new();
                evidence.insert("subject".into(), json!(info.subject));
                evidence.insert("issuer".into(), json!(info.issuer));
                evidence.insert("not_before".into(), json!(format_date(info.not_before)));
                evidence.insert("not_after".into(), json!(format_date(info.not_after)));
                evidence.insert("key_type".into(), json!(info.key_type));
                evidence.insert("key_bits".into(), json!(info.key_bits));
                evidence.insert("signature_algorithm".into(), json!(info.signature_oid));
                evidence.insert("self_issued".into(), json!(info.self_issued));
                evidence.insert("is_ca".into(), json!(info.is_ca));
                evidence.insert("certificate_sha256".into(), json!(info.sha256));
                evidence.insert("offset".into(), json!(offset));
                let (severity, confidence, message) = if weaknesses.is_empty() {
                    (
                        Severity::Info,
                        Confidence::Confirmed,
                        format!("Certificate for '{}' (inventory).", info.subject),
                    )
                } else {
                    evidence.insert("weaknesses".into(), json!(weaknesses));
                    (
                        Severity::Medium,
                        Confidence::Confirmed,
                        format!(
                            "Certificate for '{}' is weak: {}.",
                            info.subject,
                            weaknesses.join(", ")
                        ),
                    )
                };
                findings.push(new_finding(
                    meta,
                    fs,
                    path,
                    severity,
                    confidence,
                    message,
                    evidence,
                    &[&info.sha256],
                ));
            }
        }
        if trust_count > 0 {
            let first = trust_files.first().cloned().unwrap_or_default();
            let mut evidence = Map::new();
            evidence.insert("certificates".into(), json!(trust_count));
            evidence.insert(
                "files".into(),
                json!(trust_files.iter().take(50).collect::<Vec<_>>()),
            );
            evidence.insert("file_count".into(), json!(trust_files.len()));
            if now.is_some() {
                evidence.insert("expired".into(), json!(trust_expired));
            }
            findings.push(new_finding(
                meta,
                fs,
                &first,
                Severity::Info,
                Confidence::Confirmed,
                format!(
                    "Trust store: {trust_count} CA certificates in {} files (public material, inventory).",
                    trust_files.len()
                ),
                evidence,
                &["trust-store"],
            ));
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!(
            "{files} files scanned, {total} certificates parsed{}",
            if now.is_none() {
                "; expiry not judged (no date given)"
            } else {
                ""
            }
        )),
        ..CheckOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> CertificateInfo {
        CertificateInfo {
            sha256: "00".into(),
            subject: "CN=device".into(),
            issuer: "CN=Vendor CA".into(),
            not_before: 1_600_000_000,
            not_after: 1_700_000_000,
            key_type: "rsa".into(),
            key_bits: 2048,
            signature_oid: "1.2.840.113549.1.1.11".into(),
            is_ca: false,
            self_issued: false,
        }
    }

    #[test]
    fn weaknesses_positive_and_negative() {
        assert!(info().weaknesses(Some(1_650_000_000)).is_empty());
        assert!(info().weaknesses(None).is_empty());
        let expired = info().weaknesses(Some(1_800_000_000));
        assert_eq!(expired.len(), 1);
        assert!(expired[0].starts_with("expired on 2023-11-14"));
        let weak = CertificateInfo {
            key_bits: 1024,
            signature_oid: "1.2.840.113549.1.1.5".into(),
            ..info()
        };
        assert_eq!(weak.weaknesses(None).len(), 2);
        // A self-issued certificate's own signature is never verified: SHA-1 there is no weakness.
        let root = CertificateInfo {
            self_issued: true,
            signature_oid: "1.2.840.113549.1.1.5".into(),
            ..info()
        };
        assert!(root.weaknesses(None).is_empty());
    }

    #[test]
    fn garbage_and_fake_certificates_are_ignored() {
        let fake = b"-----BEGIN CERTIFICATE-----00000000000000000000000000000000\xff\xfe-----END CERTIFICATE-----";
        assert!(certificates(fake).is_empty());
        let der_lookalike = [
            0x30, 0x82, 0x01, 0x00, 0x30, 0x82, 0x00, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x00,
        ];
        assert!(certificates(&der_lookalike).is_empty());
    }
}
