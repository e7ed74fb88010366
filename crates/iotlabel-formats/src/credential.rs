//! The signed label credential: a W3C Verifiable Credential 2.0 stating a product's CLS(IoT)
//! label, secured with a Data Integrity proof of the `eddsa-jcs-2022` cryptosuite (JCS, RFC 8785
//! canonicalisation; SHA-256; Ed25519; base58btc multibase proof value; `Multikey` public keys).
//!
//! The format is documented in `docs/contracts/label-credential.md`. Nothing here fetches
//! anything: the JSON-LD contexts are fixed strings compared as such, never loaded (the JCS
//! cryptosuite signs the JSON itself, not an RDF view of it).
//!
//! The proof follows "Data Integrity EdDSA Cryptosuites v1.0" (W3C Recommendation), §3.3:
//! - proof configuration: the proof options (`type`, `cryptosuite`, `created`,
//!   `verificationMethod`, `proofPurpose`) plus the document's `@context`, canonicalised;
//! - transformation: the document without `proof`, canonicalised;
//! - hashing: SHA-256(canonical proof configuration) || SHA-256(canonical document), 64 bytes;
//! - signature: Ed25519 over those 64 bytes, `proofValue` = `z` + base58btc(signature).
//!
//! JCS is written here rather than taken from a crate because our documents hold only strings,
//! integers, booleans, arrays and objects: the whole of RFC 8785 for those is key ordering by
//! UTF-16 code units and the ECMAScript string escaping, a few dozen lines we can test directly.
//! Numbers that are not integers of at most 2^53 in magnitude are refused rather than printed
//! in a form another implementation might not reproduce.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use iotlabel_core::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// The base context of every VC 2.0 credential.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The iotlabel context naming the label terms. A fixed identifier compared as a string; it is
/// never fetched. (`example.invalid` until the project has its own domain: see the contract.)
pub const LABEL_CONTEXT: &str = "https://example.invalid/iotlabel/ns/label-credential/v1";
/// The credential type, after `VerifiableCredential`.
pub const CREDENTIAL_TYPE: &str = "IoTSecurityLabelCredential";
/// The type of the credential subject.
pub const SUBJECT_TYPE: &str = "IoTSecurityLabel";
/// The type of the `credentialStatus` entry: its `id` is the URL of the label's live status.
pub const STATUS_TYPE: &str = "IoTLabelStatusLookup";
/// The Data Integrity proof type.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The cryptosuite.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// The proof purpose of a label credential's proof.
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// The multicodec prefix of an Ed25519 public key (0xed as an unsigned varint).
const ED25519_PUBLIC_KEY_CODEC: [u8; 2] = [0xed, 0x01];
/// The multibase prefix of base58btc.
const BASE58BTC_PREFIX: char = 'z';
/// Longest accepted multibase strings, checked before decoding (base58 decoding is quadratic):
/// 64 bytes take at most 88 base58 characters, 34 bytes at most 47.
const MAX_PROOF_VALUE_CHARS: usize = 100;
const MAX_PUBLIC_KEY_MULTIBASE_CHARS: usize = 60;
/// The deepest nesting canonicalised (serde_json's own parser stops at 128 as well).
const MAX_DEPTH: usize = 128;
/// The largest integer magnitude every JSON implementation represents exactly (2^53).
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Why a credential could not be issued or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("the document already has a proof")]
    ProofAlreadyPresent,
    #[error("the document has no proof")]
    MissingProof,
    #[error("the document has a set of proofs; a label credential carries exactly one")]
    UnsupportedProofSet,
    #[error("the proof has no {0}")]
    MissingProofField(&'static str),
    #[error("the proof's {0} is not a string")]
    ProofFieldNotAString(&'static str),
    #[error("the proof has the field {0:?}, which this verifier does not support")]
    UnsupportedProofField(String),
    #[error("the proof type is {0:?}, not \"DataIntegrityProof\"")]
    WrongProofType(String),
    #[error("the cryptosuite is {0:?}, not \"eddsa-jcs-2022\"")]
    WrongCryptosuite(String),
    #[error("the proof purpose is {0:?}, not \"assertionMethod\"")]
    WrongProofPurpose(String),
    #[error("the proof's created time {0:?} is not an RFC 3339 date-time")]
    InvalidCreated(String),
    #[error("the document's @context does not start with the proof's @context")]
    ContextMismatch,
    #[error("the proof value is not valid: {0}")]
    InvalidProofValue(&'static str),
    #[error("the signature does not verify with the given public key")]
    SignatureInvalid,
    #[error("the number {0} cannot be canonicalised: only integers up to 2^53 are supported")]
    UnsupportedNumber(String),
    #[error("the document nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the public key multibase is not valid: {0}")]
    InvalidPublicKeyMultibase(&'static str),
    #[error("the time {0} cannot be written as an RFC 3339 date-time")]
    InvalidTime(String),
    #[error("the claim {field} is not valid: {reason}")]
    InvalidClaim { field: &'static str, reason: String },
    #[error("this is not an iotlabel label credential: {0}")]
    NotALabelCredential(String),
}

/// A product as the label names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelProduct {
    pub manufacturer: String,
    pub name: String,
    pub model: String,
    /// A category id from data/categories.toml.
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
}

/// What a label credential states: the label, who issued it and where to check it live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelClaims {
    /// The registry's id, an absolute URL such as `https://registry.example`: the `issuer`.
    pub issuer: String,
    /// The registration id, e.g. `CSA/311228/000123`.
    pub registration_id: String,
    /// The scheme id, e.g. `cls-iot`.
    pub scheme: String,
    /// The level granted, 1 to 4.
    pub level: u8,
    pub product: LabelProduct,
    /// The label's first day of validity; the credential's `validFrom` is its start (UTC).
    pub valid_from: Date,
    /// The label's last day of validity; the credential's `validUntil` is its end (UTC).
    pub valid_until: Date,
    /// The last day of the product's security-update support period.
    pub support_period_end: Option<Date>,
    /// Recognitions granted, e.g. "deemed compliant with UK PSTI".
    pub recognitions: Vec<String>,
    /// The public product page (what the label's QR code opens).
    pub product_page: String,
    /// Where the label's live status (valid, suspended, revoked, expired) is served.
    pub status_url: String,
}

/// A label credential whose proof verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLabel {
    pub claims: LabelClaims,
    /// The credential's `validFrom`. Whether it holds now is the caller's business.
    pub valid_from: OffsetDateTime,
    /// The credential's `validUntil`. Whether it holds now is the caller's business.
    pub valid_until: OffsetDateTime,
    /// The proof's `verificationMethod`.
    pub verification_method: String,
    /// The proof's `created` time.
    pub created: OffsetDateTime,
}

/// The facts of a Data Integrity proof that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    pub verification_method: String,
    pub proof_purpose: String,
    pub created: Option<OffsetDateTime>,
    /// The document without its proof, with `@context` as the proof covered it.
    pub document: Value,
}

// ---------------------------------------------------------------------------------------------
// JCS (RFC 8785)

/// The JCS canonical form of `value`: object members sorted by the UTF-16 code units of their
/// names, no white space, strings escaped as ECMAScript's JSON.stringify does. Numbers must be
/// integers of magnitude at most 2^53.
pub fn canonical_json(value: &Value) -> Result<String, CredentialError> {
    let mut out = String::new();
    write_canonical(value, &mut out, 0)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String, depth: usize) -> Result<(), CredentialError> {
    if depth > MAX_DEPTH {
        return Err(CredentialError::TooDeep);
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&canonical_integer(number)?),
        Value::String(text) => write_canonical_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_canonical(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (position, (name, member)) in sorted.into_iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_canonical_string(name, out);
                out.push(':');
                write_canonical(member, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// An integer in the form ECMAScript prints it; anything else is refused.
fn canonical_integer(number: &serde_json::Number) -> Result<String, CredentialError> {
    let unsupported = || CredentialError::UnsupportedNumber(number.to_string());
    if let Some(integer) = number.as_i64() {
        return if integer.unsigned_abs() <= MAX_EXACT_INTEGER {
            Ok(integer.to_string())
        } else {
            Err(unsupported())
        };
    }
    if let Some(integer) = number.as_u64() {
        return if integer <= MAX_EXACT_INTEGER {
            Ok(integer.to_string())
        } else {
            Err(unsupported())
        };
    }
    match number.as_f64() {
        // An integral double in range prints as the integer (and -0 as 0); the cast is exact
        // because the magnitude is at most 2^53.
        Some(float)
            if float.is_finite()
                && float.fract() == 0.0
                && float.abs() <= MAX_EXACT_INTEGER as f64 =>
        {
            Ok((float as i64).to_string())
        }
        _ => Err(unsupported()),
    }
}

/// A string escaped as RFC 8785 §3.2.2.2 (ECMAScript's QuoteJSONString) requires.
fn write_canonical_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Multibase keys

/// The `publicKeyMultibase` of an Ed25519 key: `z` + base58btc(0xed 0x01 || key), `z6Mk...`.
pub fn encode_public_key_multibase(public_key: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUBLIC_KEY_CODEC.to_vec();
    bytes.extend_from_slice(public_key.as_bytes());
    format!("{BASE58BTC_PREFIX}{}", bs58::encode(bytes).into_string())
}

/// The Ed25519 key of a `publicKeyMultibase` value.
pub fn decode_public_key_multibase(multibase: &str) -> Result<VerifyingKey, CredentialError> {
    let invalid = CredentialError::InvalidPublicKeyMultibase;
    if multibase.len() > MAX_PUBLIC_KEY_MULTIBASE_CHARS {
        return Err(invalid("too long for an Ed25519 key"));
    }
    let encoded = multibase
        .strip_prefix(BASE58BTC_PREFIX)
        .ok_or(invalid("it does not start with 'z' (base58btc)"))?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| invalid("it is not base58btc"))?;
    let key = bytes
        .strip_prefix(&ED25519_PUBLIC_KEY_CODEC)
        .ok_or(invalid(
            "it is not an Ed25519 public key (multicodec 0xed01)",
        ))?;
    let key = <[u8; 32]>::try_from(key).map_err(|_| invalid("an Ed25519 key has 32 bytes"))?;
    VerifyingKey::from_bytes(&key).map_err(|_| invalid("the bytes are not an Ed25519 point"))
}

// ---------------------------------------------------------------------------------------------
// Data Integrity proofs

/// The time as the proof writes it: UTC, whole seconds, `Z`.
fn format_timestamp(moment: OffsetDateTime) -> Result<String, CredentialError> {
    let invalid = || CredentialError::InvalidTime(moment.to_string());
    moment
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .map_err(|_| invalid())?
        .format(&Rfc3339)
        .map_err(|_| invalid())
}

/// SHA-256(canonical proof configuration) || SHA-256(canonical document).
fn hash_data(proof_config: &Value, document: &Value) -> Result<[u8; 64], CredentialError> {
    let config_hash = Sha256::digest(canonical_json(proof_config)?.as_bytes());
    let document_hash = Sha256::digest(canonical_json(document)?.as_bytes());
    let mut combined = [0u8; 64];
    combined[..32].copy_from_slice(&config_hash);
    combined[32..].copy_from_slice(&document_hash);
    Ok(combined)
}

/// Secures `document` with an `eddsa-jcs-2022` Data Integrity proof (purpose
/// `assertionMethod`) and returns the secured document.
pub fn add_proof(
    document: &Value,
    signing_key: &SigningKey,
    verification_method: &str,
    created: OffsetDateTime,
) -> Result<Value, CredentialError> {
    let unsecured = document.as_object().ok_or(CredentialError::NotAnObject)?;
    if unsecured.contains_key("proof") {
        return Err(CredentialError::ProofAlreadyPresent);
    }
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("created".into(), format_timestamp(created)?.into());
    proof.insert("verificationMethod".into(), verification_method.into());
    proof.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let proof_config = Value::Object(proof.clone());
    let signature = signing_key.sign(&hash_data(&proof_config, document)?);
    let proof_value = format!(
        "{BASE58BTC_PREFIX}{}",
        bs58::encode(signature.to_bytes()).into_string()
    );
    proof.insert("proofValue".into(), proof_value.into());
    let mut secured = unsecured.clone();
    secured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// The proof fields this verifier understands; any other field is refused rather than ignored,
/// since ignoring e.g. an `expires` would accept what its signer meant to limit.
const KNOWN_PROOF_FIELDS: [&str; 8] = [
    "id",
    "type",
    "cryptosuite",
    "created",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
    "@context",
];

fn proof_string<'a>(
    proof: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, CredentialError> {
    proof
        .get(field)
        .ok_or(CredentialError::MissingProofField(field))?
        .as_str()
        .ok_or(CredentialError::ProofFieldNotAString(field))
}

/// A context value as a list (a single context may be written as a plain string).
fn context_list(context: &Value) -> Vec<Value> {
    match context {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    }
}

/// Verifies the `eddsa-jcs-2022` Data Integrity proof of `secured` with `public_key`
/// (RFC §3.3.2 "Verify Proof"): proof type and cryptosuite, `created`, the `@context` prefix
/// rule, and the signature over the canonical proof configuration and document.
pub fn verify_proof(
    secured: &Value,
    public_key: &VerifyingKey,
) -> Result<VerifiedProof, CredentialError> {
    let secured = secured.as_object().ok_or(CredentialError::NotAnObject)?;
    let proof = match secured.get("proof") {
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(_)) => return Err(CredentialError::UnsupportedProofSet),
        Some(_) | None => return Err(CredentialError::MissingProof),
    };
    if let Some(unknown) = proof
        .keys()
        .find(|field| !KNOWN_PROOF_FIELDS.contains(&field.as_str()))
    {
        return Err(CredentialError::UnsupportedProofField(unknown.clone()));
    }
    let proof_type = proof_string(proof, "type")?;
    if proof_type != PROOF_TYPE {
        return Err(CredentialError::WrongProofType(proof_type.to_owned()));
    }
    let cryptosuite = proof_string(proof, "cryptosuite")?;
    if cryptosuite != CRYPTOSUITE {
        return Err(CredentialError::WrongCryptosuite(cryptosuite.to_owned()));
    }
    let verification_method = proof_string(proof, "verificationMethod")?;
    let proof_purpose = proof_string(proof, "proofPurpose")?;
    let created = match proof.get("created") {
        None => None,
        Some(Value::String(text)) => Some(
            OffsetDateTime::parse(text, &Rfc3339)
                .map_err(|_| CredentialError::InvalidCreated(text.clone()))?,
        ),
        Some(_) => return Err(CredentialError::ProofFieldNotAString("created")),
    };
    let signature = decode_proof_value(proof_string(proof, "proofValue")?)?;

    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    let mut proof_config = proof.clone();
    proof_config.remove("proofValue");
    if let Some(proof_context) = proof.get("@context") {
        let document_context = unsecured
            .get("@context")
            .map(context_list)
            .ok_or(CredentialError::ContextMismatch)?;
        if !document_context.starts_with(&context_list(proof_context)) {
            return Err(CredentialError::ContextMismatch);
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    if let Some(context) = unsecured.get("@context") {
        proof_config.insert("@context".into(), context.clone());
    }
    let unsecured = Value::Object(unsecured);
    let message = hash_data(&Value::Object(proof_config), &unsecured)?;
    public_key
        .verify_strict(&message, &signature)
        .map_err(|_| CredentialError::SignatureInvalid)?;
    Ok(VerifiedProof {
        verification_method: verification_method.to_owned(),
        proof_purpose: proof_purpose.to_owned(),
        created,
        document: unsecured,
    })
}

fn decode_proof_value(proof_value: &str) -> Result<Signature, CredentialError> {
    let invalid = CredentialError::InvalidProofValue;
    if proof_value.len() > MAX_PROOF_VALUE_CHARS {
        return Err(invalid("too long for an Ed25519 signature"));
    }
    let encoded = proof_value
        .strip_prefix(BASE58BTC_PREFIX)
        .ok_or(invalid("it does not start with 'z' (base58btc)"))?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| invalid("it is not base58btc"))?;
    let bytes =
        <[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| invalid("a signature has 64 bytes"))?;
    Ok(Signature::from_bytes(&bytes))
}

// ---------------------------------------------------------------------------------------------
// The label credential

/// The credential subject as written in the credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubjectJson {
    #[serde(rename = "type")]
    subject_type: String,
    registration_id: String,
    scheme: String,
    level: u8,
    product: LabelProduct,
    label_valid_from: Date,
    label_valid_until: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    support_period_end: Option<Date>,
    recognitions: Vec<String>,
    product_page: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusJson {
    id: String,
    #[serde(rename = "type")]
    status_type: String,
}

/// The whole credential without its proof, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CredentialJson {
    #[serde(rename = "@context")]
    context: Vec<String>,
    #[serde(rename = "type")]
    credential_type: Vec<String>,
    issuer: String,
    valid_from: String,
    valid_until: String,
    credential_subject: SubjectJson,
    credential_status: StatusJson,
}

/// The credential's `validFrom` for a label valid from `day`: its first second, UTC.
fn start_of_day(day: Date) -> OffsetDateTime {
    day.as_time().midnight().assume_utc()
}

/// The credential's `validUntil` for a label valid until `day`: its last second, UTC.
fn end_of_day(day: Date) -> Result<OffsetDateTime, CredentialError> {
    day.as_time()
        .with_hms(23, 59, 59)
        .map(|moment| moment.assume_utc())
        .map_err(|_| CredentialError::InvalidTime(day.to_string()))
}

/// An absolute URI: a scheme (a letter, then letters, digits, '+', '-', '.'), a colon, and a
/// non-empty rest without white space or control characters.
fn is_absolute_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    scheme_chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_claims(claims: &LabelClaims) -> Result<(), CredentialError> {
    let invalid = |field, reason: &str| CredentialError::InvalidClaim {
        field,
        reason: reason.to_owned(),
    };
    for (field, value) in [
        ("issuer", &claims.issuer),
        ("product_page", &claims.product_page),
        ("status_url", &claims.status_url),
    ] {
        if !is_absolute_uri(value) {
            return Err(invalid(field, "it must be an absolute URL"));
        }
    }
    for (field, value) in [
        ("registration_id", &claims.registration_id),
        ("scheme", &claims.scheme),
        ("product.manufacturer", &claims.product.manufacturer),
        ("product.name", &claims.product.name),
        ("product.model", &claims.product.model),
        ("product.category", &claims.product.category),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(field, "it must not be empty"));
        }
    }
    if !(1..=4).contains(&claims.level) {
        return Err(invalid("level", "a CLS(IoT) level is 1 to 4"));
    }
    if claims.valid_until < claims.valid_from {
        return Err(invalid("valid_until", "it is before valid_from"));
    }
    if claims.recognitions.iter().any(|r| r.trim().is_empty()) {
        return Err(invalid("recognitions", "a recognition must not be empty"));
    }
    Ok(())
}

/// The unsigned credential stating `claims`.
fn credential_document(claims: &LabelClaims) -> Result<Value, CredentialError> {
    let format = |moment: OffsetDateTime| {
        moment
            .format(&Rfc3339)
            .map_err(|_| CredentialError::InvalidTime(moment.to_string()))
    };
    let credential = CredentialJson {
        context: vec![VC_CONTEXT.to_owned(), LABEL_CONTEXT.to_owned()],
        credential_type: vec![
            "VerifiableCredential".to_owned(),
            CREDENTIAL_TYPE.to_owned(),
        ],
        issuer: claims.issuer.clone(),
        valid_from: format(start_of_day(claims.valid_from))?,
        valid_until: format(end_of_day(claims.valid_until)?)?,
        credential_subject: SubjectJson {
            subject_type: SUBJECT_TYPE.to_owned(),
            registration_id: claims.registration_id.clone(),
            scheme: claims.scheme.clone(),
            level: claims.level,
            product: claims.product.clone(),
            label_valid_from: claims.valid_from,
            label_valid_until: claims.valid_until,
            support_period_end: claims.support_period_end,
            recognitions: claims.recognitions.clone(),
            product_page: claims.product_page.clone(),
        },
        credential_status: StatusJson {
            id: claims.status_url.clone(),
            status_type: STATUS_TYPE.to_owned(),
        },
    };
    serde_json::to_value(credential).map_err(|error| CredentialError::InvalidClaim {
        field: "credential",
        reason: error.to_string(),
    })
}

/// Issues the label credential for `claims`, signed with `signing_key`. `verification_method`
/// is the URL (or DID URL) under which the matching `Multikey` is published, e.g.
/// `https://registry.example/keys/2026#z6Mk...`; `created` is the registry's clock.
pub fn issue(
    claims: &LabelClaims,
    signing_key: &SigningKey,
    verification_method: &str,
    created: OffsetDateTime,
) -> Result<Value, CredentialError> {
    check_claims(claims)?;
    if !is_absolute_uri(verification_method) {
        return Err(CredentialError::InvalidClaim {
            field: "verification_method",
            reason: "it must be an absolute URL".to_owned(),
        });
    }
    add_proof(
        &credential_document(claims)?,
        signing_key,
        verification_method,
        created,
    )
}

/// Verifies a label credential with the issuer's `public_key`: the proof (type, cryptosuite,
/// purpose, signature), then the credential's shape (contexts, types, status entry, fields),
/// and returns the claims. Time validity is left to the caller: compare `valid_from` and
/// `valid_until` with your clock, and ask `status_url` for the live status.
pub fn verify(
    credential: &Value,
    public_key: &VerifyingKey,
) -> Result<VerifiedLabel, CredentialError> {
    let proof = verify_proof(credential, public_key)?;
    if proof.proof_purpose != PROOF_PURPOSE {
        return Err(CredentialError::WrongProofPurpose(proof.proof_purpose));
    }
    let created = proof
        .created
        .ok_or(CredentialError::MissingProofField("created"))?;
    let not_label = |reason: String| CredentialError::NotALabelCredential(reason);
    let document: CredentialJson =
        serde_json::from_value(proof.document).map_err(|error| not_label(error.to_string()))?;
    if document.context != [VC_CONTEXT, LABEL_CONTEXT] {
        return Err(not_label(format!(
            "@context must be [{VC_CONTEXT:?}, {LABEL_CONTEXT:?}]"
        )));
    }
    if document.credential_type != ["VerifiableCredential", CREDENTIAL_TYPE] {
        return Err(not_label(format!(
            "type must be [\"VerifiableCredential\", {CREDENTIAL_TYPE:?}]"
        )));
    }
    let subject = document.credential_subject;
    if subject.subject_type != SUBJECT_TYPE {
        return Err(not_label(format!(
            "credentialSubject.type must be {SUBJECT_TYPE:?}"
        )));
    }
    if document.credential_status.status_type != STATUS_TYPE {
        return Err(not_label(format!(
            "credentialStatus.type must be {STATUS_TYPE:?}"
        )));
    }
    let valid_from = OffsetDateTime::parse(&document.valid_from, &Rfc3339)
        .map_err(|_| not_label("validFrom is not an RFC 3339 date-time".to_owned()))?;
    let valid_until = OffsetDateTime::parse(&document.valid_until, &Rfc3339)
        .map_err(|_| not_label("validUntil is not an RFC 3339 date-time".to_owned()))?;
    if valid_from != start_of_day(subject.label_valid_from)
        || valid_until != end_of_day(subject.label_valid_until)?
    {
        return Err(not_label(
            "validFrom and validUntil must span the label's validity days (UTC)".to_owned(),
        ));
    }
    let claims = LabelClaims {
        issuer: document.issuer,
        registration_id: subject.registration_id,
        scheme: subject.scheme,
        level: subject.level,
        product: subject.product,
        valid_from: subject.label_valid_from,
        valid_until: subject.label_valid_until,
        support_period_end: subject.support_period_end,
        recognitions: subject.recognitions,
        product_page: subject.product_page,
        status_url: document.credential_status.id,
    };
    check_claims(&claims)?;
    Ok(VerifiedLabel {
        claims,
        valid_from,
        valid_until,
        verification_method: proof.verification_method,
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn test_key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn verification_method(key: &SigningKey) -> String {
        format!(
            "https://registry.example/keys/2026#{}",
            encode_public_key_multibase(&key.verifying_key())
        )
    }

    fn claims() -> LabelClaims {
        LabelClaims {
            issuer: "https://registry.example".to_owned(),
            registration_id: "CSA/311228/000123".to_owned(),
            scheme: "cls-iot".to_owned(),
            level: 2,
            product: LabelProduct {
                manufacturer: "Example Devices Pte Ltd".to_owned(),
                name: "HomeCam".to_owned(),
                model: "HC-200".to_owned(),
                category: "ip-camera".to_owned(),
                hardware_version: Some("rev B".to_owned()),
                firmware_version: Some("2.4.1".to_owned()),
            },
            valid_from: date("2025-12-31"),
            valid_until: date("2028-12-30"),
            support_period_end: Some(date("2030-12-31")),
            recognitions: vec!["deemed compliant with UK PSTI".to_owned()],
            product_page: "https://registry.example/l/CSA-311228-000123".to_owned(),
            status_url: "https://registry.example/api/labels/CSA-311228-000123/status".to_owned(),
        }
    }

    fn issued() -> Value {
        let key = test_key();
        issue(
            &claims(),
            &key,
            &verification_method(&key),
            datetime!(2025-12-31 09:30:00.123 +08:00),
        )
        .unwrap()
    }

    // -- JCS ---------------------------------------------------------------------------------

    #[test]
    fn jcs_sorts_member_names_by_utf16_code_units() {
        // The example of RFC 8785 §3.2.3: U+1F600 (a surrogate pair D83D DE00) sorts before
        // U+FB33, unlike in code point order.
        let value = json!({
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1f600}": "Emoji: Grinning Face",
            "\u{80}": "Control",
            "\u{f6}": "Latin Small Letter O With Diaeresis"
        });
        let canonical = canonical_json(&value).unwrap();
        let order: Vec<&str> = canonical
            .split("\":\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
    }

    #[test]
    fn jcs_escapes_strings_like_ecmascript() {
        let value = json!({"b": [true, false, null], "a": "\u{0}\u{8}\t\n\u{c}\r\u{1f}\"\\/\u{7f}\u{2028}é€😀"});
        assert_eq!(
            canonical_json(&value).unwrap(),
            "{\"a\":\"\\u0000\\b\\t\\n\\f\\r\\u001f\\\"\\\\/\u{7f}\u{2028}é€😀\",\"b\":[true,false,null]}"
        );
    }

    #[test]
    fn jcs_prints_integers_and_refuses_other_numbers() {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        assert_eq!(
            canonical_json(&parse("[0,-1,42,9007199254740992,-9007199254740992]")).unwrap(),
            "[0,-1,42,9007199254740992,-9007199254740992]"
        );
        assert_eq!(
            canonical_json(&parse("[1.0,-0.0,1e2]")).unwrap(),
            "[1,0,100]"
        );
        for refused in [
            "9007199254740993",
            "-9007199254740993",
            "1.5",
            "1e300",
            "18446744073709551615",
        ] {
            assert_eq!(
                canonical_json(&parse(refused)),
                Err(CredentialError::UnsupportedNumber(
                    parse(refused).to_string()
                )),
                "{refused}"
            );
        }
    }

    #[test]
    fn jcs_refuses_absurd_nesting() {
        let mut value = json!(1);
        for _ in 0..=MAX_DEPTH {
            value = json!([value]);
        }
        assert_eq!(canonical_json(&value), Err(CredentialError::TooDeep));
    }

    // -- The W3C test vector -------------------------------------------------------------------

    /// The eddsa-jcs-2022 test vector of the W3C "Data Integrity EdDSA Cryptosuites v1.0"
    /// repository (TestVectors/eddsa-jcs-2022: keyPair.json, signedJCS.json, canonDocJCS.txt).
    const W3C_PRIVATE_KEY_MULTIBASE: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
    const W3C_PUBLIC_KEY_MULTIBASE: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const W3C_SIGNED: &str = r#"{
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
      "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
      "type": ["VerifiableCredential", "AlumniCredential"],
      "name": "Alumni Credential",
      "description": "A minimum viable example of an Alumni Credential.",
      "issuer": "https://vc.example/issuers/5678",
      "validFrom": "2023-01-01T00:00:00Z",
      "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
      "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
      }
    }"#;
    const W3C_CANONICAL_DOCUMENT: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}"#;

    fn w3c_signing_key() -> SigningKey {
        let bytes = bs58::decode(&W3C_PRIVATE_KEY_MULTIBASE[1..])
            .into_vec()
            .unwrap();
        // Multicodec ed25519-priv (0x1300) as a varint: 0x80 0x26, then the 32-byte seed.
        assert_eq!(bytes[..2], [0x80, 0x26]);
        SigningKey::from_bytes(&bytes[2..].try_into().unwrap())
    }

    #[test]
    fn the_w3c_test_vector_is_reproduced_byte_for_byte() {
        let key = w3c_signing_key();
        assert_eq!(
            encode_public_key_multibase(&key.verifying_key()),
            W3C_PUBLIC_KEY_MULTIBASE
        );
        let signed: Value = serde_json::from_str(W3C_SIGNED).unwrap();
        let mut unsecured = signed.clone();
        let proof = unsecured.as_object_mut().unwrap().remove("proof").unwrap();
        assert_eq!(canonical_json(&unsecured).unwrap(), W3C_CANONICAL_DOCUMENT);

        let ours = add_proof(
            &unsecured,
            &key,
            proof["verificationMethod"].as_str().unwrap(),
            datetime!(2023-02-24 23:36:38 UTC),
        )
        .unwrap();
        assert_eq!(ours["proof"], proof, "the whole proof, proofValue included");
    }

    #[test]
    fn the_w3c_test_vector_verifies_and_a_changed_copy_does_not() {
        let signed: Value = serde_json::from_str(W3C_SIGNED).unwrap();
        let public_key = decode_public_key_multibase(W3C_PUBLIC_KEY_MULTIBASE).unwrap();
        let verified = verify_proof(&signed, &public_key).unwrap();
        assert_eq!(verified.created, Some(datetime!(2023-02-24 23:36:38 UTC)));
        assert_eq!(verified.proof_purpose, "assertionMethod");
        let mut changed = signed.clone();
        changed["credentialSubject"]["alumniOf"] = json!("The School of Counterfeits");
        assert_eq!(
            verify_proof(&changed, &public_key),
            Err(CredentialError::SignatureInvalid)
        );
        // Not a label credential, however well signed.
        assert!(matches!(
            verify(&signed, &public_key),
            Err(CredentialError::NotALabelCredential(_))
        ));
    }

    // -- Label credentials ---------------------------------------------------------------------

    #[test]
    fn issue_then_verify_returns_the_claims() {
        let credential = issued();
        let verified = verify(&credential, &test_key().verifying_key()).unwrap();
        assert_eq!(verified.claims, claims());
        assert_eq!(verified.valid_from, datetime!(2025-12-31 00:00:00 UTC));
        assert_eq!(verified.valid_until, datetime!(2028-12-30 23:59:59 UTC));
        assert_eq!(verified.created, datetime!(2025-12-31 01:30:00 UTC));
        assert_eq!(
            verified.verification_method,
            verification_method(&test_key())
        );
        assert_eq!(credential["proof"]["created"], "2025-12-31T01:30:00Z");

        // Optional fields left out round-trip as well.
        let mut minimal = claims();
        minimal.product.hardware_version = None;
        minimal.product.firmware_version = None;
        minimal.support_period_end = None;
        minimal.recognitions = vec![];
        let key = test_key();
        let credential = issue(
            &minimal,
            &key,
            &verification_method(&key),
            datetime!(2026-01-01 0:00 UTC),
        )
        .unwrap();
        assert!(
            credential["credentialSubject"]
                .get("supportPeriodEnd")
                .is_none()
        );
        assert_eq!(
            verify(&credential, &key.verifying_key()).unwrap().claims,
            minimal
        );
    }

    #[test]
    fn a_wrong_key_fails() {
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert_eq!(
            verify(&issued(), &other),
            Err(CredentialError::SignatureInvalid)
        );
    }

    #[test]
    fn the_issued_credential_matches_the_golden_snapshot() {
        insta::assert_json_snapshot!(issued());
    }

    /// Byte ranges of the values of some fields in the compact serialisation.
    fn value_range(serialised: &str, field: &str) -> std::ops::Range<usize> {
        let marker = format!("\"{field}\":");
        let start = serialised.find(&marker).unwrap() + marker.len();
        let rest = &serialised[start..];
        let length = if let Some(string) = rest.strip_prefix('"') {
            string.find('"').unwrap() + 2
        } else {
            rest.find([',', '}']).unwrap()
        };
        start..start + length
    }

    #[test]
    fn changing_any_single_byte_fails_to_parse_or_to_verify() {
        let public_key = test_key().verifying_key();
        let serialised = serde_json::to_string(&issued()).unwrap();
        // Every byte of the fields that matter most, every few bytes of the others, and a
        // stride over everything else (names, punctuation, contexts, types). Each verification
        // costs milliseconds in an unoptimised build, hence not literally every byte.
        let mut positions: Vec<usize> = Vec::new();
        for (field, step) in [
            ("registrationId", 1),
            ("level", 1),
            ("labelValidUntil", 1),
            ("proofValue", 2),
            ("model", 3),
            ("validUntil", 3),
            ("issuer", 5),
            ("verificationMethod", 7),
            ("created", 5),
            ("cryptosuite", 5),
        ] {
            positions.extend(value_range(&serialised, field).step_by(step));
        }
        positions.extend((0..serialised.len()).step_by(50));
        positions.sort_unstable();
        positions.dedup();
        let mut signature_failures = 0;
        for position in positions {
            let mut bytes = serialised.clone().into_bytes();
            bytes[position] = match bytes[position] {
                b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => bytes[position] + 1,
                b'9' => b'0',
                b'z' => b'a',
                b'Z' => b'A',
                other => other ^ 0x01,
            };
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let Ok(changed) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let result = verify(&changed, &public_key);
            assert!(
                result.is_err(),
                "byte {position} changed still verifies: {text}"
            );
            if result == Err(CredentialError::SignatureInvalid) {
                signature_failures += 1;
            }
        }
        // Most changes keep the JSON well formed and are caught by the signature itself.
        assert!(
            signature_failures > 80,
            "only {signature_failures} signature failures"
        );
    }

    #[test]
    fn proofs_other_than_ours_are_refused() {
        let public_key = test_key().verifying_key();
        let credential = issued();
        let with_proof = |change: &dyn Fn(&mut Value)| {
            let mut changed = credential.clone();
            change(&mut changed["proof"]);
            verify(&changed, &public_key)
        };
        assert_eq!(
            with_proof(&|proof| proof["cryptosuite"] = json!("eddsa-rdfc-2022")),
            Err(CredentialError::WrongCryptosuite(
                "eddsa-rdfc-2022".to_owned()
            ))
        );
        assert_eq!(
            with_proof(&|proof| proof["type"] = json!("Ed25519Signature2020")),
            Err(CredentialError::WrongProofType(
                "Ed25519Signature2020".to_owned()
            ))
        );
        assert_eq!(
            with_proof(&|proof| proof["expires"] = json!("2020-01-01T00:00:00Z")),
            Err(CredentialError::UnsupportedProofField("expires".to_owned()))
        );
        assert_eq!(
            with_proof(&|proof| proof["proofValue"] = json!("u1234")),
            Err(CredentialError::InvalidProofValue(
                "it does not start with 'z' (base58btc)"
            ))
        );
        assert_eq!(
            with_proof(&|proof| proof["proofValue"] = json!("z0OIl")),
            Err(CredentialError::InvalidProofValue("it is not base58btc"))
        );
        assert_eq!(
            with_proof(&|proof| proof["proofValue"] = json!("z2222")),
            Err(CredentialError::InvalidProofValue(
                "a signature has 64 bytes"
            ))
        );
        assert_eq!(
            with_proof(&|proof| proof["proofValue"] = json!(format!("z{}", "2".repeat(200)))),
            Err(CredentialError::InvalidProofValue(
                "too long for an Ed25519 signature"
            ))
        );
        assert_eq!(
            with_proof(&|proof| proof["created"] = json!("yesterday")),
            Err(CredentialError::InvalidCreated("yesterday".to_owned()))
        );
        assert_eq!(
            with_proof(&|proof| proof["@context"] =
                json!(["https://www.w3.org/ns/credentials/examples/v2"])),
            Err(CredentialError::ContextMismatch)
        );
        assert_eq!(
            with_proof(&|proof| {
                proof.as_object_mut().unwrap().remove("verificationMethod");
            }),
            Err(CredentialError::MissingProofField("verificationMethod"))
        );
        assert_eq!(
            with_proof(&|proof| *proof = json!([proof.clone()])),
            Err(CredentialError::UnsupportedProofSet)
        );
        let mut unsigned = credential.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        assert_eq!(
            verify(&unsigned, &public_key),
            Err(CredentialError::MissingProof)
        );
        assert_eq!(
            verify(&json!("text"), &public_key),
            Err(CredentialError::NotAnObject)
        );
        assert_eq!(
            add_proof(
                &credential,
                &test_key(),
                "https://registry.example/k",
                datetime!(2026-01-01 0:00 UTC)
            ),
            Err(CredentialError::ProofAlreadyPresent)
        );
    }

    #[test]
    fn well_signed_documents_that_are_not_our_label_are_refused() {
        let key = test_key();
        let vm = verification_method(&key);
        let created = datetime!(2026-01-01 0:00 UTC);
        let resign = |change: &dyn Fn(&mut Value)| {
            let mut document = issued();
            document.as_object_mut().unwrap().remove("proof");
            change(&mut document);
            let secured = add_proof(&document, &key, &vm, created).unwrap();
            verify(&secured, &key.verifying_key())
        };
        let not_label = |result: Result<VerifiedLabel, CredentialError>| {
            matches!(result, Err(CredentialError::NotALabelCredential(_)))
        };
        assert!(not_label(resign(
            &|doc| doc["type"] = json!(["VerifiableCredential"])
        )));
        assert!(not_label(resign(
            &|doc| doc["@context"] = json!([VC_CONTEXT])
        )));
        assert!(not_label(resign(
            &|doc| doc["credentialSubject"]["extra"] = json!(1)
        )));
        assert!(not_label(resign(
            &|doc| doc["credentialStatus"]["type"] = json!("BitstringStatusListEntry")
        )));
        assert!(not_label(resign(
            &|doc| doc["validUntil"] = json!("2099-01-01T00:00:00Z")
        )));
        assert!(not_label(resign(
            &|doc| doc["credentialSubject"]["level"] = json!(-1)
        )));
        assert_eq!(
            resign(&|doc| doc["credentialSubject"]["level"] = json!(7)),
            Err(CredentialError::InvalidClaim {
                field: "level",
                reason: "a CLS(IoT) level is 1 to 4".to_owned()
            })
        );
        // A different proof purpose, validly signed.
        let mut document = issued();
        let proof = document.as_object_mut().unwrap().remove("proof").unwrap();
        let mut proof = proof.as_object().unwrap().clone();
        proof.remove("proofValue");
        proof.insert("proofPurpose".into(), json!("authentication"));
        let signature = key.sign(&hash_data(&Value::Object(proof.clone()), &document).unwrap());
        proof.insert(
            "proofValue".into(),
            json!(format!(
                "z{}",
                bs58::encode(signature.to_bytes()).into_string()
            )),
        );
        document["proof"] = Value::Object(proof);
        assert_eq!(
            verify(&document, &key.verifying_key()),
            Err(CredentialError::WrongProofPurpose(
                "authentication".to_owned()
            ))
        );
    }

    #[test]
    fn invalid_claims_are_not_issued() {
        let key = test_key();
        let vm = verification_method(&key);
        let created = datetime!(2026-01-01 0:00 UTC);
        let field_of = |change: &dyn Fn(&mut LabelClaims)| {
            let mut changed = claims();
            change(&mut changed);
            match issue(&changed, &key, &vm, created) {
                Err(CredentialError::InvalidClaim { field, .. }) => field,
                other => panic!("expected an invalid claim, got {other:?}"),
            }
        };
        assert_eq!(field_of(&|c| c.level = 0), "level");
        assert_eq!(field_of(&|c| c.level = 5), "level");
        assert_eq!(
            field_of(&|c| c.issuer = "registry.example".to_owned()),
            "issuer"
        );
        assert_eq!(
            field_of(&|c| c.status_url = "https://a b".to_owned()),
            "status_url"
        );
        assert_eq!(
            field_of(&|c| c.product.model = " ".to_owned()),
            "product.model"
        );
        assert_eq!(
            field_of(&|c| c.valid_until = date("2025-12-30")),
            "valid_until"
        );
        assert_eq!(
            field_of(&|c| c.recognitions = vec![String::new()]),
            "recognitions"
        );
        assert!(matches!(
            issue(&claims(), &key, "not a url", created),
            Err(CredentialError::InvalidClaim {
                field: "verification_method",
                ..
            })
        ));
    }

    #[test]
    fn public_key_multibase_round_trips_and_rejects_garbage() {
        let public_key = test_key().verifying_key();
        let encoded = encode_public_key_multibase(&public_key);
        assert!(encoded.starts_with("z6Mk"), "{encoded}");
        assert_eq!(decode_public_key_multibase(&encoded).unwrap(), public_key);
        let invalid = CredentialError::InvalidPublicKeyMultibase;
        assert_eq!(
            decode_public_key_multibase(&encoded[1..]),
            Err(invalid("it does not start with 'z' (base58btc)"))
        );
        assert_eq!(
            decode_public_key_multibase("z0OIl"),
            Err(invalid("it is not base58btc"))
        );
        assert_eq!(
            decode_public_key_multibase("z2222"),
            Err(invalid(
                "it is not an Ed25519 public key (multicodec 0xed01)"
            ))
        );
        let mut short = ED25519_PUBLIC_KEY_CODEC.to_vec();
        short.extend_from_slice(&[1; 31]);
        assert_eq!(
            decode_public_key_multibase(&format!("z{}", bs58::encode(short).into_string())),
            Err(invalid("an Ed25519 key has 32 bytes"))
        );
        assert_eq!(
            decode_public_key_multibase(&"z".repeat(61)),
            Err(invalid("too long for an Ed25519 key"))
        );
    }
}
