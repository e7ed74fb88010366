//! Hard-coded secret checks (EN 303 645 5.4-3, 5.4-4): private keys (PEM: PKCS#1 RSA, SEC1 EC,
//! DSA, PKCS#8, encrypted PKCS#8, OpenSSH, PGP; DER: PKCS#1, PKCS#8, SEC1, PKCS#12), found by
//! scanning the bytes of every file so keys embedded in binaries count too; and API tokens and
//! cloud credentials (AWS, Google, GitHub, Slack, Stripe, Azure, generic `api_key = ...`).
//!
//! Layered evidence: a PEM block must decode and parse as the structure its label names (an
//! empty `BEGIN RSA PRIVATE KEY` block in a script or a test string is not a key); a DER
//! candidate must parse completely within the file (a length field that runs past the end is
//! refused); public keys and certificates are not secrets (certificates are inventoried by
//! `secrets.certificate`). One finding per distinct key per file.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use iotlabel_core::report::{Confidence, Finding, Severity};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use x509_parser::der_parser::ber::{BerObject, BerObjectContent};
use x509_parser::der_parser::{parse_ber, parse_der};

use super::analysis::Analysis;
use super::credentials::{as_text, basename, masked, new_finding, value_digest};
use super::{Check, CheckInput, CheckMeta, CheckOutput, Filesystem};

/// Files larger than this are not scanned.
const MAX_SCAN_BYTES: usize = 64 * 1024 * 1024;
/// A PEM block whose body is longer than this is not decoded.
const MAX_PEM_BODY: usize = 1024 * 1024;
/// At most this many PEM blocks are read per file (a CA bundle holds about 150).
const MAX_PEM_BLOCKS: usize = 4096;
/// At most this many DER keys are reported per file.
const MAX_DER_CANDIDATES: usize = 100_000;
/// At most this many `0x30` positions are examined per file, so the scan of a hostile or huge
/// file is bounded.
const MAX_DER_ATTEMPTS: usize = 2_000_000;

// ---------------------------------------------------------------------------------------------
// PEM and DER scanning (shared with the certificate check).

/// One PEM block: `-----BEGIN <label>-----`, optional `Name: value` headers, base64 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    pub label: String,
    pub headers: Vec<(String, String)>,
    /// The decoded body; empty when the body was empty or not valid base64.
    pub der: Vec<u8>,
    pub offset: usize,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|at| at + from)
}

/// The label after a `-----BEGIN ` or `-----END ` marker at `label_start`: upper-case letters,
/// digits and spaces, at most 64 bytes, closed by `-----`. Returns the label and the offset
/// after the closing dashes.
fn marker_label(data: &[u8], label_start: usize) -> Option<(&[u8], usize)> {
    let window = data.get(label_start..data.len().min(label_start + 70))?;
    let close = find(window, b"-----", 0)?;
    let label = window.get(..close)?;
    let valid = !label.is_empty()
        && label.len() <= 64
        && label
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b' ' || b.is_ascii_digit());
    valid.then_some((label, label_start + close + 5))
}

const PEM_BEGIN: &[u8] = b"-----BEGIN ";
const PEM_END: &[u8] = b"-----END ";

/// Every PEM block in `data`, text or binary. One pass finds the END markers, so a file full
/// of unmatched BEGIN markers costs linear time, not a search to the end for each.
pub fn pem_blocks(data: &[u8]) -> Vec<PemBlock> {
    let begins: Vec<usize> = memchr::memmem::find_iter(data, PEM_BEGIN).collect();
    let ends: Vec<usize> = memchr::memmem::find_iter(data, PEM_END).collect();
    pem_blocks_at(data, &begins, &ends)
}

/// [`pem_blocks`] given the offsets of every `-----BEGIN ` and `-----END ` marker in `data`,
/// ascending (from the shared byte pass).
pub(crate) fn pem_blocks_at(data: &[u8], begins: &[usize], end_markers: &[usize]) -> Vec<PemBlock> {
    const BEGIN: &[u8] = PEM_BEGIN;
    const END: &[u8] = PEM_END;
    let mut ends: HashMap<&[u8], Vec<usize>> = HashMap::new();
    let mut cursor = 0;
    for &at in end_markers {
        if at < cursor {
            continue;
        }
        cursor = at + END.len();
        if let Some((label, _)) = marker_label(data, at + END.len()) {
            ends.entry(label).or_default().push(at);
        }
    }
    let mut out = Vec::new();
    let mut cursor = 0;
    while out.len() < MAX_PEM_BLOCKS {
        let Some(&start) = begins.get(begins.partition_point(|p| *p < cursor)) else {
            break;
        };
        cursor = start + BEGIN.len();
        let Some((label, body_start)) = marker_label(data, start + BEGIN.len()) else {
            continue;
        };
        cursor = body_start;
        let Some(end) = ends.get(label).and_then(|positions| {
            let index = positions.partition_point(|p| *p < body_start);
            positions.get(index).copied()
        }) else {
            continue;
        };
        let label = String::from_utf8_lossy(label).into_owned();
        let body = data.get(body_start..end).unwrap_or_default();
        cursor = end + END.len() + label.len() + 5;
        if body.len() > MAX_PEM_BODY {
            continue;
        }
        let body = String::from_utf8_lossy(body);
        let mut headers = Vec::new();
        let mut encoded = String::new();
        for line in body.lines() {
            let line = line.trim();
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            } else if line.starts_with('=') && line.len() <= 5 {
                // The CRC-24 line of OpenPGP armour, not part of the body.
            } else {
                encoded.push_str(line);
            }
        }
        let der = BASE64.decode(encoded.as_bytes()).unwrap_or_default();
        out.push(PemBlock {
            label,
            headers,
            der,
            offset: start,
        });
    }
    out
}

fn parse_der_or_ber(bytes: &[u8]) -> Option<(BerObject<'_>, usize)> {
    let parsed = parse_der(bytes).or_else(|_| parse_ber(bytes)).ok()?;
    let (rest, object) = parsed;
    Some((object, bytes.len() - rest.len()))
}

fn sequence<'a, 'b>(object: &'b BerObject<'a>) -> Option<&'b Vec<BerObject<'a>>> {
    object.as_sequence().ok()
}

fn integer_bytes<'a>(object: &BerObject<'a>) -> Option<&'a [u8]> {
    match object.content {
        BerObjectContent::Integer(bytes) => Some(bytes),
        _ => None,
    }
}

fn integer_bits(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(first) => bytes.get(first..).unwrap_or_default(),
        None => return 0,
    };
    let leading = bytes.first().map_or(0, |b| b.leading_zeros() as usize);
    bytes.len() * 8 - leading
}

fn small_integer(object: &BerObject<'_>) -> Option<u64> {
    object.as_u64().ok()
}

fn oid_string(object: &BerObject<'_>) -> Option<String> {
    object.as_oid().ok().map(|oid| oid.to_id_string())
}

/// What a private key structure turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `rsa`, `ec`, `dsa`, `ed25519`, `openssh`, `pkcs12`, `pgp`, or the algorithm OID.
    pub key_type: String,
    pub bits: Option<usize>,
    /// EC curve OID or OpenSSH key type, when known.
    pub detail: Option<String>,
    pub encrypted: bool,
    /// `pkcs1`, `sec1`, `pkcs8`, `pkcs8-encrypted`, `pem-encrypted`, `openssh`, `dropbear`,
    /// `pkcs12`, `pgp`, `dsa`.
    pub format: &'static str,
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_X25519: &str = "1.3.101.110";
const OID_PKCS7_DATA: &str = "1.2.840.113549.1.7.1";
const OID_PKCS7_SIGNED: &str = "1.2.840.113549.1.7.2";

/// PKCS#1 RSAPrivateKey: version 0 and eight integers.
fn parse_pkcs1(object: &BerObject<'_>) -> Option<KeyInfo> {
    let items = sequence(object)?;
    if items.len() < 9 || small_integer(items.first()?)? > 1 {
        return None;
    }
    let integers: Vec<&[u8]> = items.iter().take(9).filter_map(integer_bytes).collect();
    if integers.len() != 9 {
        return None;
    }
    let bits = integer_bits(integers.get(1)?);
    (bits >= 256).then_some(KeyInfo {
        key_type: "rsa".into(),
        bits: Some(bits),
        detail: None,
        encrypted: false,
        format: "pkcs1",
    })
}

/// SEC1 ECPrivateKey: version 1, OCTET STRING private key, optional [0] curve, [1] public key.
fn parse_sec1(object: &BerObject<'_>) -> Option<KeyInfo> {
    let items = sequence(object)?;
    if small_integer(items.first()?)? != 1 {
        return None;
    }
    let BerObjectContent::OctetString(key) = items.get(1)?.content else {
        return None;
    };
    if key.len() < 16 || key.len() > 80 {
        return None;
    }
    Some(KeyInfo {
        key_type: "ec".into(),
        bits: Some(key.len() * 8),
        detail: None,
        encrypted: false,
        format: "sec1",
    })
}

/// DSA private key (OpenSSL form): version 0 and five integers.
fn parse_dsa(object: &BerObject<'_>) -> Option<KeyInfo> {
    let items = sequence(object)?;
    if items.len() != 6 || small_integer(items.first()?)? != 0 {
        return None;
    }
    let integers: Vec<&[u8]> = items.iter().filter_map(integer_bytes).collect();
    (integers.len() == 6).then_some(KeyInfo {
        key_type: "dsa".into(),
        bits: integers.get(1).map(|p| integer_bits(p)),
        detail: None,
        encrypted: false,
        format: "dsa",
    })
}

/// PKCS#8 PrivateKeyInfo: version, AlgorithmIdentifier, OCTET STRING.
fn parse_pkcs8(object: &BerObject<'_>) -> Option<KeyInfo> {
    let items = sequence(object)?;
    if small_integer(items.first()?)? > 1 {
        return None;
    }
    let algorithm = sequence(items.get(1)?)?;
    let oid = oid_string(algorithm.first()?)?;
    let BerObjectContent::OctetString(inner) = items.get(2)?.content else {
        return None;
    };
    if inner.is_empty() {
        return None;
    }
    let parsed_inner = parse_der_or_ber(inner).map(|(object, _)| object);
    let (key_type, bits, detail) = match oid.as_str() {
        OID_RSA => (
            "rsa".to_owned(),
            parsed_inner
                .as_ref()
                .and_then(parse_pkcs1)
                .and_then(|k| k.bits),
            None,
        ),
        OID_EC => (
            "ec".to_owned(),
            parsed_inner
                .as_ref()
                .and_then(parse_sec1)
                .and_then(|k| k.bits),
            algorithm.get(1).and_then(oid_string),
        ),
        OID_DSA => ("dsa".to_owned(), None, None),
        OID_ED25519 => ("ed25519".to_owned(), Some(256), None),
        OID_X25519 => ("x25519".to_owned(), Some(256), None),
        other => (other.to_owned(), None, None),
    };
    Some(KeyInfo {
        key_type,
        bits,
        detail,
        encrypted: false,
        format: "pkcs8",
    })
}

/// EncryptedPrivateKeyInfo: AlgorithmIdentifier (an OID and parameters), OCTET STRING.
fn parse_pkcs8_encrypted(object: &BerObject<'_>) -> Option<KeyInfo> {
    let items = sequence(object)?;
    if items.len() != 2 {
        return None;
    }
    let algorithm = sequence(items.first()?)?;
    let oid = oid_string(algorithm.first()?)?;
    let BerObjectContent::OctetString(data) = items.get(1)?.content else {
        return None;
    };
    (data.len() >= 32).then_some(KeyInfo {
        key_type: "unknown".into(),
        bits: None,
        detail: Some(format!("encryption {oid}")),
        encrypted: true,
        format: "pkcs8-encrypted",
    })
}

/// PKCS#12 PFX: version 3, ContentInfo with a PKCS#7 data or signed-data OID.
fn parse_pkcs12(object: &BerObject<'_>) -> Option<KeyInfo> {
    let items = sequence(object)?;
    if small_integer(items.first()?)? != 3 {
        return None;
    }
    let content_info = sequence(items.get(1)?)?;
    let oid = oid_string(content_info.first()?)?;
    (oid == OID_PKCS7_DATA || oid == OID_PKCS7_SIGNED).then_some(KeyInfo {
        key_type: "pkcs12".into(),
        bits: None,
        detail: Some("PKCS#12 key store (its keys are usually password-protected)".into()),
        encrypted: true,
        format: "pkcs12",
    })
}

fn read_ssh_string<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let value = data.get(4..4usize.checked_add(length)?)?;
    *data = data.get(4 + length..)?;
    Some(value)
}

/// OpenSSH `openssh-key-v1` container: cipher, KDF, key count, then the public key blob.
fn parse_openssh(data: &[u8]) -> Option<KeyInfo> {
    let mut rest = data.strip_prefix(b"openssh-key-v1\0")?;
    let cipher = read_ssh_string(&mut rest)?;
    let _kdf = read_ssh_string(&mut rest)?;
    let _kdf_options = read_ssh_string(&mut rest)?;
    let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    rest = rest.get(4..)?;
    if count == 0 {
        return None;
    }
    let mut public = read_ssh_string(&mut rest)?;
    let key_type = String::from_utf8_lossy(read_ssh_string(&mut public)?).into_owned();
    let bits = if key_type == "ssh-rsa" {
        let _exponent = read_ssh_string(&mut public)?;
        Some(integer_bits(read_ssh_string(&mut public)?))
    } else if key_type == "ssh-ed25519" {
        Some(256)
    } else {
        None
    };
    let encrypted = cipher != b"none";
    Some(KeyInfo {
        key_type: match key_type.as_str() {
            "ssh-rsa" => "rsa".into(),
            "ssh-ed25519" => "ed25519".into(),
            "ssh-dss" => "dsa".into(),
            other if other.starts_with("ecdsa") => "ec".into(),
            other => other.to_owned(),
        },
        bits,
        detail: Some(key_type.clone()),
        encrypted,
        format: "openssh",
    })
}

/// Dropbear's own private key file (`dropbearkey` output, often `/etc/dropbear/*_host_key`):
/// the key type as an SSH string, then the private key's numbers as SSH strings (RSA: e, n, d,
/// p, q; DSS: p, q, g, y, x; ECDSA: curve, public point, private scalar; Ed25519: 64 bytes).
/// The whole file must be consumed, so a public key blob (type, e, n) never matches.
fn parse_dropbear(data: &[u8]) -> Option<KeyInfo> {
    let mut rest = data;
    let key_type = read_ssh_string(&mut rest)?;
    let (numbers, key_type_name) = match key_type {
        b"ssh-rsa" => (5, "rsa"),
        b"ssh-dss" => (5, "dsa"),
        b"ssh-ed25519" => (1, "ed25519"),
        t if t.starts_with(b"ecdsa-sha2-nistp") => (3, "ec"),
        _ => return None,
    };
    let mut parts = Vec::new();
    for _ in 0..numbers {
        parts.push(read_ssh_string(&mut rest)?);
    }
    if !rest.is_empty() {
        return None;
    }
    let bits = match key_type_name {
        "rsa" | "dsa" => parts
            .get(if key_type_name == "rsa" { 1 } else { 0 })
            .map(|n| integer_bits(n)),
        "ed25519" => (parts.first()?.len() == 64).then_some(256),
        _ => parts.get(2).map(|d| integer_bits(d)),
    };
    if bits.is_some_and(|b| b < 128) {
        return None;
    }
    Some(KeyInfo {
        key_type: key_type_name.into(),
        bits,
        detail: Some(String::from_utf8_lossy(key_type).into_owned()),
        encrypted: false,
        format: "dropbear",
    })
}

/// Interprets a PEM block as a private key; `None` for public material or an empty or
/// malformed body.
pub fn private_key_from_pem(block: &PemBlock) -> Option<KeyInfo> {
    let encrypted_header = block
        .headers
        .iter()
        .any(|(name, value)| name == "Proc-Type" && value.contains("ENCRYPTED"));
    let label = block.label.as_str();
    if !label.contains("PRIVATE KEY") {
        return None;
    }
    if label == "PGP PRIVATE KEY BLOCK" {
        // The first packet must be a Secret-Key packet (tag 5), old or new packet format.
        let first = block.der.first().copied().unwrap_or(0);
        let secret_key_packet = first == 0xc5 || (first & 0xc0 == 0x80 && (first >> 2) & 0x0f == 5);
        return (block.der.len() >= 64 && secret_key_packet).then_some(KeyInfo {
            key_type: "pgp".into(),
            bits: None,
            detail: None,
            encrypted: false,
            format: "pgp",
        });
    }
    if label == "OPENSSH PRIVATE KEY" {
        return parse_openssh(&block.der);
    }
    if encrypted_header {
        // Legacy OpenSSL encryption: the body is ciphertext and cannot be parsed, but it must
        // at least be a plausible amount of it.
        let cipher = block
            .headers
            .iter()
            .find(|(name, _)| name == "DEK-Info")
            .map(|(_, value)| value.split(',').next().unwrap_or_default().to_owned());
        return (block.der.len() >= 64).then(|| KeyInfo {
            key_type: match label {
                "RSA PRIVATE KEY" => "rsa".into(),
                "EC PRIVATE KEY" => "ec".into(),
                "DSA PRIVATE KEY" => "dsa".into(),
                _ => "unknown".into(),
            },
            bits: None,
            detail: cipher.map(|c| format!("encryption {c}")),
            encrypted: true,
            format: "pem-encrypted",
        });
    }
    let (object, used) = parse_der_or_ber(&block.der)?;
    if used != block.der.len() {
        return None;
    }
    match label {
        "RSA PRIVATE KEY" => parse_pkcs1(&object),
        "EC PRIVATE KEY" => parse_sec1(&object),
        "DSA PRIVATE KEY" => parse_dsa(&object),
        "PRIVATE KEY" => parse_pkcs8(&object),
        "ENCRYPTED PRIVATE KEY" => parse_pkcs8_encrypted(&object),
        _ => parse_pkcs8(&object)
            .or_else(|| parse_pkcs1(&object))
            .or_else(|| parse_sec1(&object)),
    }
}

/// A DER private key structure starting at `offset`, with its length.
fn der_key_at(data: &[u8], offset: usize) -> Option<(KeyInfo, usize)> {
    let slice = data.get(offset..)?;
    // Cheap prefilters on the first bytes before the full parse: SEQUENCE with a long-form or
    // short-form length, followed by a small INTEGER version.
    let header = slice.get(..8)?;
    let (first, second) = (header.first()?, header.get(1)?);
    if *first != 0x30 {
        return None;
    }
    let version_at = match second {
        0x82 => 4,
        0x81 => 3,
        0x20..=0x7f => 2,
        _ => return None,
    };
    let version = slice.get(version_at..version_at + 4)?;
    if version.first()? != &0x02 || version.get(1)? != &0x01 || version.get(2)? > &3 {
        return None;
    }
    // The element after the version: INTEGER (PKCS#1, DSA), SEQUENCE (PKCS#8, PKCS#12) or
    // OCTET STRING (SEC1).
    if !matches!(version.get(3)?, 0x02 | 0x30 | 0x04) {
        return None;
    }
    let (object, used) = parse_der_or_ber(slice)?;
    let info = match version.get(2)? {
        0 => parse_pkcs1(&object)
            .or_else(|| parse_pkcs8(&object))
            .or_else(|| parse_dsa(&object)),
        1 => parse_sec1(&object).or_else(|| parse_pkcs8(&object)),
        3 => parse_pkcs12(&object),
        _ => None,
    }?;
    Some((info, used))
}

/// Every private key in `data`: PEM blocks anywhere, and DER structures anywhere (whole-file
/// DER keys and keys embedded in binaries), and whole-file Dropbear keys. Returns (offset, key
/// bytes digest, info).
pub fn private_keys(data: &[u8]) -> Vec<(usize, String, KeyInfo)> {
    private_keys_with(data, &pem_blocks(data))
}

/// [`private_keys`] given the PEM blocks of `data` (from the shared byte pass).
pub(crate) fn private_keys_with(data: &[u8], blocks: &[PemBlock]) -> Vec<(usize, String, KeyInfo)> {
    let mut out = Vec::new();
    for block in blocks {
        if let Some(info) = private_key_from_pem(block) {
            let digest = hex::encode(Sha256::digest(&block.der));
            out.push((block.offset, digest, info));
        }
    }
    if let Some(info) = parse_dropbear(data) {
        out.push((0, hex::encode(Sha256::digest(data)), info));
        return out;
    }
    let mut candidates = 0;
    let mut attempts = 0;
    let mut offset = 0;
    while let Some(found) = data
        .get(offset..)
        .and_then(|rest| memchr::memchr(0x30, rest))
    {
        let at = offset + found;
        offset = at + 1;
        if attempts >= MAX_DER_ATTEMPTS {
            break;
        }
        if data
            .get(at + 1)
            .is_some_and(|b| matches!(b, 0x81 | 0x82 | 0x20..=0x7f))
        {
            attempts += 1;
        }
        if let Some((info, used)) = der_key_at(data, at) {
            candidates += 1;
            let bytes = data.get(at..at + used).unwrap_or_default();
            out.push((at, hex::encode(Sha256::digest(bytes)), info));
            // Skip the key's own bytes: its inner structures are not separate keys.
            offset = at + used.max(1);
        }
        if candidates >= MAX_DER_CANDIDATES {
            break;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// secrets.private-key

pub static PRIVATE_KEY: Check = Check {
    meta: CheckMeta {
        id: "secrets.private-key",
        provisions: &["5.4-3", "5.4-4"],
        severity: Severity::High,
        title: "Private key in the firmware",
        rationale: "A private key shipped in the image is the same on every device and can be \
                    extracted by anyone with the firmware, to impersonate or decrypt.",
    },
    run: run_private_key,
};

fn run_private_key(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    let meta = &PRIVATE_KEY.meta;
    let mut findings = Vec::new();
    let (mut files, mut bytes) = (0usize, 0usize);
    for (index, fs) in input.filesystems.iter().enumerate() {
        for (path, file, facts) in analysis.files(index) {
            if file.data.len() > MAX_SCAN_BYTES {
                continue;
            }
            files += 1;
            bytes += file.data.len();
            let mut seen = BTreeSet::new();
            for (offset, digest, info) in private_keys_with(&file.data, &facts.pem_blocks) {
                if !seen.insert(digest.clone()) {
                    continue;
                }
                findings.push(private_key_finding(
                    meta, fs, path, offset, &digest, &info, &file.data,
                ));
            }
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!(
            "{files} files ({bytes} bytes) scanned for PEM, OpenSSH, PKCS#8, PKCS#1, SEC1 and PKCS#12 keys"
        )),
        ..CheckOutput::default()
    }
}

fn private_key_finding(
    meta: &CheckMeta,
    fs: &Filesystem<'_>,
    path: &str,
    offset: usize,
    digest: &str,
    info: &KeyInfo,
    data: &[u8],
) -> Finding {
    let embedded = offset > 0 && as_text(data).is_none();
    let mut evidence = Map::new();
    evidence.insert("key_type".into(), json!(info.key_type));
    if let Some(bits) = info.bits {
        evidence.insert("key_bits".into(), json!(bits));
    }
    if let Some(detail) = &info.detail {
        evidence.insert("detail".into(), json!(detail));
    }
    evidence.insert("format".into(), json!(info.format));
    evidence.insert("encrypted".into(), json!(info.encrypted));
    evidence.insert("offset".into(), json!(offset));
    evidence.insert("key_sha256".into(), json!(digest));
    if embedded {
        evidence.insert("embedded".into(), Value::Bool(true));
    }
    let size = info.bits.map(|b| format!(" {b}-bit")).unwrap_or_default();
    let message = if info.encrypted {
        format!(
            "An encrypted{size} {} private key ({}) is hard-coded in {}; encryption does not make it unique per device, and its passphrase usually ships alongside.",
            info.key_type,
            info.format,
            basename(path)
        )
    } else {
        format!(
            "A{size} {} private key ({}) is hard-coded in {}{}.",
            info.key_type,
            info.format,
            basename(path),
            if embedded {
                ", embedded in a binary"
            } else {
                ""
            }
        )
    };
    new_finding(
        meta,
        fs,
        path,
        if info.encrypted {
            Severity::Medium
        } else {
            Severity::High
        },
        if info.encrypted {
            Confidence::Likely
        } else {
            Confidence::Confirmed
        },
        message,
        evidence,
        &[digest],
    )
}

// ---------------------------------------------------------------------------------------------
// secrets.api-token

pub static API_TOKEN: Check = Check {
    meta: CheckMeta {
        id: "secrets.api-token",
        provisions: &["5.4-3", "5.4-4"],
        severity: Severity::High,
        title: "API token or cloud credential in the firmware",
        rationale: "A service credential shipped in the image is shared by every device and \
                    gives anyone with the firmware access to the manufacturer's cloud account.",
    },
    run: run_api_token,
};

/// Token formats with a distinctive prefix: (kind, pattern, the literal prefixes every match
/// starts with). The prefixes are the anchors of the shared byte pass: the pattern is only
/// tried where one occurs. `(?i)` folds `s` to `ſ` (U+017F) too, hence its spellings.
const TOKEN_PATTERNS: &[(&str, &str, &[&str])] = &[
    (
        "aws-access-key-id",
        r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b",
        &["AKIA", "ASIA"],
    ),
    ("google-api-key", r"\b(AIza[0-9A-Za-z_\-]{35})", &["AIza"]),
    (
        "github-token",
        r"\b(gh[pousr]_[A-Za-z0-9]{36})\b",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    ),
    (
        "github-fine-grained-token",
        r"\b(github_pat_[A-Za-z0-9_]{82})\b",
        &["github_pat_"],
    ),
    (
        "slack-token",
        r"\b(xox[baprs]-[0-9A-Za-z\-]{10,72})",
        &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
    ),
    (
        "stripe-live-key",
        r"\b([sr]k_live_[0-9A-Za-z]{24,99})\b",
        &["sk_live_", "rk_live_"],
    ),
    (
        "azure-storage-account-key",
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        &["AccountKey="],
    ),
    (
        "aws-secret-access-key",
        r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})\b"#,
        &[
            "aws",
            "awS",
            "aWs",
            "aWS",
            "Aws",
            "AwS",
            "AWs",
            "AWS",
            "aw\u{17f}",
            "aW\u{17f}",
            "Aw\u{17f}",
            "AW\u{17f}",
        ],
    ),
];

/// Documentation examples that are not real credentials.
const EXAMPLE_TOKENS: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

/// The literal prefixes of each token kind, in the order of the kinds.
pub(crate) fn token_prefixes() -> &'static [&'static [&'static str]] {
    static PREFIXES: OnceLock<Vec<&'static [&'static str]>> = OnceLock::new();
    PREFIXES.get_or_init(|| {
        TOKEN_PATTERNS
            .iter()
            .map(|(_, _, prefixes)| *prefixes)
            .collect()
    })
}

/// The token patterns compiled as `regex::bytes::Regex` compiles them, for anchored searches
/// (the `regex` crate has none): same syntax and match settings, so the same matches.
fn token_regexes() -> &'static [Option<regex_automata::meta::Regex>] {
    static RE: OnceLock<Vec<Option<regex_automata::meta::Regex>>> = OnceLock::new();
    RE.get_or_init(|| {
        TOKEN_PATTERNS
            .iter()
            .map(|(_, pattern, _)| {
                regex_automata::meta::Builder::new()
                    .configure(
                        regex_automata::meta::Config::new()
                            .nfa_size_limit(Some(10 * (1 << 20)))
                            .hybrid_cache_capacity(2 * (1 << 20))
                            .match_kind(regex_automata::MatchKind::LeftmostFirst)
                            .utf8_empty(false),
                    )
                    .syntax(regex_automata::util::syntax::Config::new().utf8(false))
                    .build(pattern)
                    .ok()
            })
            .collect()
    })
}

/// Every token match in `data`: (kind index, byte range of the token value), kind by kind in
/// the patterns' order, each kind's matches in order; the same as searching the whole of
/// `data` with each pattern for its successive non-overlapping matches. `anchors` gives, per
/// kind, the ascending offsets of its prefixes: a match can only start at one of them, so the
/// pattern is tried there alone, anchored, with the rest of `data` around it for `\b`.
pub(crate) fn token_matches_at(data: &[u8], anchors: &[Vec<usize>]) -> Vec<(usize, Range<usize>)> {
    let mut out = Vec::new();
    for (kind, regex) in token_regexes().iter().enumerate() {
        let (Some(regex), Some(starts)) = (regex, anchors.get(kind)) else {
            continue;
        };
        let mut captures = regex.create_captures();
        let mut resume = 0;
        for &start in starts {
            if start < resume {
                continue;
            }
            let input = regex_automata::Input::new(data)
                .range(start..)
                .anchored(regex_automata::Anchored::Yes);
            regex.search_captures(&input, &mut captures);
            let Some(found) = captures.get_match() else {
                continue;
            };
            resume = found.end().max(start + 1);
            if let Some(value) = captures.get_group(1) {
                out.push((kind, value.range()));
            }
        }
    }
    out
}

fn generic_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['-', '.'], "_");
    [
        "api_key",
        "apikey",
        "api_secret",
        "access_token",
        "secret_key",
        "client_secret",
        "auth_token",
        "private_token",
        "app_secret",
        "appsecret",
        "access_key_secret",
        "accesskeysecret",
        "secretkey",
        "mqtt_token",
        "device_secret",
        "product_secret",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// Shannon entropy in bits per character: tokens are random, words and placeholders are not.
fn entropy(value: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in value.bytes() {
        if let Some(slot) = counts.get_mut(b as usize) {
            *slot += 1;
        }
    }
    let len = value.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

fn run_api_token(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    let meta = &API_TOKEN.meta;
    let mut findings = Vec::new();
    let (mut files, mut configs) = (0, 0);
    for (index, fs) in input.filesystems.iter().enumerate() {
        for (path, file, facts) in analysis.files(index) {
            if file.data.len() > MAX_SCAN_BYTES {
                continue;
            }
            files += 1;
            let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
            let mut report =
                |kind: &str, value: &str, confidence: Confidence, findings: &mut Vec<Finding>| {
                    if EXAMPLE_TOKENS.contains(&value) || value.contains("EXAMPLE") {
                        return;
                    }
                    let digest = value_digest(value);
                    if !seen.insert((kind.to_owned(), digest.clone())) {
                        return;
                    }
                    let mut evidence = Map::new();
                    evidence.insert("kind".into(), json!(kind));
                    evidence.insert("value".into(), json!(masked(value)));
                    evidence.insert("value_sha256_prefix".into(), json!(digest));
                    findings.push(new_finding(
                        meta,
                        fs,
                        path,
                        Severity::High,
                        confidence,
                        format!("A credential ({kind}) is hard-coded in {}.", basename(path)),
                        evidence,
                        &[kind, &digest],
                    ));
                };
            for (kind, range) in &facts.tokens {
                let (Some((kind, _, _)), Some(value)) = (
                    TOKEN_PATTERNS.get(*kind),
                    file.data
                        .get(range.clone())
                        .and_then(|bytes| std::str::from_utf8(bytes).ok()),
                ) else {
                    continue;
                };
                report(kind, value, Confidence::Likely, &mut findings);
            }
            if file.data.len() <= 2 * 1024 * 1024
                && super::credentials::is_config_path(path)
                && let Some(text) = as_text(&file.data)
            {
                configs += 1;
                for setting in super::credentials::parse_settings(&text) {
                    let value = setting.value.trim();
                    if generic_secret_key(&setting.key)
                        && value.len() >= 16
                        && value.len() <= 256
                        && !value.contains(char::is_whitespace)
                        && !super::credentials::is_placeholder(value)
                        && entropy(value) >= 3.5
                    {
                        report(
                            &format!("secret in '{}'", setting.key),
                            value,
                            Confidence::Possible,
                            &mut findings,
                        );
                    }
                }
            }
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!(
            "{files} files scanned for {} token formats, {configs} configuration files for secret settings",
            TOKEN_PATTERNS.len()
        )),
        ..CheckOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::checks::{CheckOptions, run_checks};
    use crate::vfs::{FileEntry, Tree};

    fn ssh_string(out: &mut Vec<u8>, value: &[u8]) {
        out.extend((value.len() as u32).to_be_bytes());
        out.extend(value);
    }

    fn openssh_key(cipher: &str) -> Vec<u8> {
        let mut public = Vec::new();
        ssh_string(&mut public, b"ssh-ed25519");
        ssh_string(&mut public, &[7u8; 32]);
        let mut blob = b"openssh-key-v1\0".to_vec();
        ssh_string(&mut blob, cipher.as_bytes());
        ssh_string(
            &mut blob,
            if cipher == "none" { b"none" } else { b"bcrypt" },
        );
        ssh_string(&mut blob, b"");
        blob.extend(1u32.to_be_bytes());
        ssh_string(&mut blob, &public);
        ssh_string(&mut blob, &[0u8; 64]);
        blob
    }

    fn pem(label: &str, der: &[u8]) -> Vec<u8> {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            BASE64.encode(der)
        )
        .into_bytes()
    }

    fn findings(files: &[(&str, Vec<u8>)], check: &Check) -> Vec<Finding> {
        let mut tree = Tree::new();
        for (path, data) in files {
            tree.add_file(path, FileEntry::new(data.clone())).unwrap();
        }
        let options = CheckOptions::default();
        let filesystems = [Filesystem {
            containers: vec![],
            tree: &tree,
        }];
        let input = CheckInput {
            filesystems: &filesystems,
            options: &options,
        };
        run_checks(&[check], &input).0
    }

    #[test]
    fn openssh_keys_plain_and_encrypted() {
        let plain = private_keys(&pem("OPENSSH PRIVATE KEY", &openssh_key("none")));
        assert_eq!(plain.len(), 1);
        assert_eq!(
            (plain[0].2.key_type.as_str(), plain[0].2.encrypted),
            ("ed25519", false)
        );
        let encrypted = private_keys(&pem("OPENSSH PRIVATE KEY", &openssh_key("aes256-ctr")));
        assert!(encrypted[0].2.encrypted);
        let found = findings(
            &[(
                "etc/dropbear/key",
                pem("OPENSSH PRIVATE KEY", &openssh_key("aes256-ctr")),
            )],
            &PRIVATE_KEY,
        );
        assert_eq!(found[0].severity, Severity::Medium);
        assert!(found[0].message.contains("encrypted"));
    }

    #[test]
    fn dropbear_keys_and_public_blobs() {
        let mut key = Vec::new();
        ssh_string(&mut key, b"ssh-rsa");
        ssh_string(&mut key, &[1, 0, 1]);
        let modulus = [0xc5u8; 128];
        ssh_string(&mut key, &modulus);
        let public_only = key.clone();
        for part in [[0x11u8; 128].as_slice(), &[0x13; 64], &[0x17; 64]] {
            ssh_string(&mut key, part);
        }
        let found = private_keys(&key);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].2.format, found[0].2.bits),
            ("dropbear", Some(1024))
        );
        assert!(private_keys(&public_only).is_empty());
    }

    #[test]
    fn pgp_secret_key_blocks() {
        let mut packet = vec![0x95, 0x01, 0x00];
        packet.extend([0x42; 120]);
        let armour = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: test\n\n{}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----\n",
            BASE64.encode(&packet)
        );
        let found = private_keys(armour.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].2.format, "pgp");
        // A public-key packet (tag 6) in a mislabelled block is not a secret key.
        packet[0] = 0x99;
        let public = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{}\n-----END PGP PRIVATE KEY BLOCK-----\n",
            BASE64.encode(&packet)
        );
        assert!(private_keys(public.as_bytes()).is_empty());
    }

    #[test]
    fn empty_or_public_blocks_are_not_keys() {
        let text = b"-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n";
        assert!(private_keys(text).is_empty());
        assert!(findings(&[("usr/bin/x", text.to_vec())], &PRIVATE_KEY).is_empty());
    }

    #[test]
    fn many_unmatched_begin_markers_take_linear_time() {
        let data = b"-----BEGIN RSA PRIVATE KEY-----\n".repeat(50_000);
        let start = std::time::Instant::now();
        assert!(pem_blocks(&data).is_empty());
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn der_length_past_the_end_is_refused() {
        let mut truncated = vec![
            0x30, 0x82, 0x04, 0x00, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01,
        ];
        truncated.extend([0x55; 40]);
        assert!(private_keys(&truncated).is_empty());
    }

    #[test]
    fn api_tokens_positive_and_negative() {
        let positive = findings(
            &[("etc/app.json", br#"{"maps_key": "AIzaSyD3x4mpl3k3yF0rT3st1ngOnlyABCDEFGH", "client_secret": "q8Zr2Lm9Tx4Vb7Nw1Ks6Jd3H"}"#.to_vec())],
            &API_TOKEN,
        );
        assert_eq!(positive.len(), 2, "{positive:#?}");
        assert!(positive.iter().all(|f| {
            !f.evidence["value"]
                .to_string()
                .contains("q8Zr2Lm9Tx4Vb7Nw1Ks6Jd3H")
        }));
        let negative = findings(
            &[("etc/app.json", br#"{"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "api_key": "${API_KEY}", "client_secret": "aaaaaaaaaaaaaaaaaaaa"}"#.to_vec())],
            &API_TOKEN,
        );
        assert!(negative.is_empty(), "{negative:#?}");
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(mut data in proptest::collection::vec(any::<u8>(), 0..4096), at in 0usize..4096) {
            // Plant key-like prefixes so the DER and PEM paths are exercised.
            let at = at.min(data.len());
            data.splice(at..at, [0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00]);
            data.extend(b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----");
            let _ = private_keys(&data);
            let _ = pem_blocks(&data);
        }

        #[test]
        fn anchored_token_search_equals_whole_file_search(parts in proptest::collection::vec(token_fragment(), 0..24)) {
            let data = parts.concat();
            let anchors = crate::checks::analysis::Anchors::scan(&data);
            let anchored: Vec<(usize, Vec<u8>)> = token_matches_at(&data, &anchors.tokens)
                .into_iter()
                .map(|(kind, range)| (kind, data[range].to_vec()))
                .collect();
            prop_assert_eq!(anchored, whole_file_tokens(&data));
        }

        #[test]
        fn pem_blocks_from_anchors_equal_the_marker_search(parts in proptest::collection::vec(prop_oneof![
            Just(b"-----BEGIN RSA PRIVATE KEY-----\n".to_vec()),
            Just(b"-----END RSA PRIVATE KEY-----\n".to_vec()),
            Just(b"-----BEGIN CERTIFICATE-----".to_vec()),
            Just(b"-----END CERTIFICATE-----".to_vec()),
            Just(b"------BEGIN X-----".to_vec()),
            Just(b"-----END ".to_vec()),
            Just(b"Proc-Type: 4,ENCRYPTED\n".to_vec()),
            Just(b"MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ], 0..16)) {
            let data = parts.concat();
            let anchors = crate::checks::analysis::Anchors::scan(&data);
            let from_anchors = pem_blocks_at(&data, &anchors.pem_begin, &anchors.pem_end);
            prop_assert_eq!(&from_anchors, &pem_blocks(&data));
            prop_assert_eq!(from_anchors, marker_search_pem_blocks(&data));
        }
    }

    /// Pieces of text that make token matches, near-misses and word-boundary edge cases.
    fn token_fragment() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"AKIA".to_vec()),
            Just(b"ASIA".to_vec()),
            Just(b"AKIAQWERTYUIOPASDFGH".to_vec()),
            Just(b"AIza".to_vec()),
            Just(b"AIzaSyD3x4mpl3k3yF0rT3st1ngOnlyABCDEFGH".to_vec()),
            Just(b"ghp_".to_vec()),
            Just(b"ghs_0123456789abcdefghijABCDEFGHIJklmnopqr".to_vec()),
            Just(b"github_pat_".to_vec()),
            Just(b"xoxb-".to_vec()),
            Just(b"xoxp-1234567890-abc".to_vec()),
            Just(b"sk_live_".to_vec()),
            Just(b"rk_live_0123456789abcdefghijklmnop".to_vec()),
            Just(b"AccountKey=".to_vec()),
            Just(b"AWS_SECRET_ACCESS_KEY".to_vec()),
            Just(b"aws_secret_access_key = ".to_vec()),
            Just("aw\u{17f}secretaccesskey:".as_bytes().to_vec()),
            Just(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE".to_vec()),
            Just(b"\"  \t".to_vec()),
            Just("\u{e9}".as_bytes().to_vec()),
            "[A-Za-z0-9+/]{1,90}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..4),
        ]
    }

    /// Each token pattern over the whole of `data`, as the check searched before the shared
    /// byte pass.
    fn whole_file_tokens(data: &[u8]) -> Vec<(usize, Vec<u8>)> {
        let mut out = Vec::new();
        for (kind, (_, pattern, _)) in TOKEN_PATTERNS.iter().enumerate() {
            let regex = regex::bytes::Regex::new(pattern).unwrap();
            for captures in regex.captures_iter(data) {
                out.push((kind, captures[1].to_vec()));
            }
        }
        out
    }

    /// PEM blocks found by searching for each marker from a cursor, as `pem_blocks` did before
    /// the marker offsets came from the shared byte pass.
    fn marker_search_pem_blocks(data: &[u8]) -> Vec<PemBlock> {
        let (begins, ends) = (b"-----BEGIN ", b"-----END ");
        let naive = |from: usize, needle: &[u8]| -> Option<usize> {
            data.get(from..)?
                .windows(needle.len())
                .position(|window| window == needle)
                .map(|at| at + from)
        };
        let mut begin_list = Vec::new();
        let mut cursor = 0;
        while let Some(at) = naive(cursor, begins) {
            begin_list.push(at);
            cursor = at + 1;
        }
        let mut end_list = Vec::new();
        let mut cursor = 0;
        while let Some(at) = naive(cursor, ends) {
            end_list.push(at);
            cursor = at + ends.len();
        }
        pem_blocks_at(data, &begin_list, &end_list)
    }

    #[test]
    fn every_token_pattern_starts_with_one_of_its_prefixes() {
        for (kind, pattern, prefixes) in TOKEN_PATTERNS {
            assert!(!prefixes.is_empty(), "{kind}");
            let regex = regex::bytes::Regex::new(pattern).unwrap();
            // A sample of each kind is found by the anchored search.
            let samples: &[&[u8]] = &[
                b"x AKIAQWERTYUIOPASDFGH y",
                b"AIzaSyD3x4mpl3k3yF0rT3st1ngOnlyABCDEFGH",
                b"ghs_0123456789abcdefghijABCDEFGHIJklmnopqr",
                b"xoxp-1234567890-abc",
                b"rk_live_0123456789abcdefghijklmnop",
                b"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE",
            ];
            for sample in samples {
                if let Some(found) = regex.find(sample) {
                    assert!(
                        prefixes
                            .iter()
                            .any(|p| sample[found.start()..].starts_with(p.as_bytes())),
                        "{kind}: a match in {sample:?} starts with none of its prefixes"
                    );
                    let anchors = crate::checks::analysis::Anchors::scan(sample);
                    assert_eq!(
                        token_matches_at(sample, &anchors.tokens).len(),
                        whole_file_tokens(sample).len()
                    );
                }
            }
        }
    }
}
