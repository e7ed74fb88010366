//! C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures: parsing, signing and
//! verifying notes, and the key strings used to publish and store keys.
//!
//! A note is a text ending in a newline, a blank line, then one or more signature lines
//! `— <key name> <base64(4-byte key id || signature)>`. The key id of an Ed25519 key is the first
//! four bytes of SHA-256(name || 0x0A || 0x01 || public key). Keys are published as verifier key
//! strings `<name>+<8 hex digits key id>+<base64(0x01 || public key)>` and stored as
//! `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte seed)>`, the forms
//! golang.org/x/mod/sumdb/note uses too.
//!
//! Written here rather than taken from a crate: the Rust note crates are young or tied to other
//! log formats; the format is small and we want typed, strict errors for hostile input.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The largest note accepted by [`SignedNote::parse`], in bytes. A checkpoint with a few
/// signatures is well under 1 KiB; this leaves room for many post-quantum cosignatures.
pub const MAX_NOTE_BYTES: usize = 256 * 1024;

/// The most signature lines accepted in one note (the spec asks verifiers to accept at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature type byte of Ed25519 in signed notes.
const ED25519_TYPE: u8 = 0x01;

/// Every signature line starts with an em dash (U+2014) and a space.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// The first two fields of a private key string.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// A key name, key string or key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key name {name:?} is not valid: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("a {kind} key string has {expected} '+'-separated fields, this one has {actual}")]
    WrongFieldCount {
        kind: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("a private key string starts with \"PRIVATE+KEY+\"")]
    MissingPrivateKeyPrefix,
    #[error("key id {0:?} is not 8 lowercase hexadecimal digits")]
    InvalidKeyId(String),
    #[error("the key is not valid base64 (standard alphabet, with padding)")]
    InvalidBase64,
    #[error("the key is empty")]
    EmptyKey,
    #[error("signature type 0x{0:02x} is not supported: only Ed25519 (0x01) is")]
    UnsupportedAlgorithm(u8),
    #[error("an Ed25519 key has 32 bytes, this one has {0}")]
    WrongKeyLength(usize),
    #[error("the bytes are not a valid Ed25519 public key")]
    InvalidPublicKey,
    #[error("the key string says key id {stated:08x}, but the name and key give {computed:08x}")]
    KeyIdMismatch { stated: u32, computed: u32 },
}

/// A note that is malformed, too large, or whose signatures do not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note has {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    #[error("the note is not valid UTF-8 (at byte {offset})")]
    InvalidUtf8 { offset: usize },
    #[error(
        "the note contains control character 0x{byte:02x} at byte {offset}: only newlines are allowed"
    )]
    ControlCharacter { offset: usize, byte: u8 },
    #[error("the note text is empty")]
    EmptyText,
    #[error("the note does not end with a newline")]
    MissingFinalNewline,
    #[error("the note has no blank line separating the text from the signatures")]
    MissingSeparator,
    #[error("the note has no signature lines")]
    NoSignatures,
    #[error("the note has more than {max} signature lines")]
    TooManySignatures { max: usize },
    #[error("line {line}: a signature line starts with an em dash and a space (\"\u{2014} \")")]
    SignatureLinePrefix { line: usize },
    #[error("line {line}: a signature line is \"\u{2014} <key name> <base64 signature>\"")]
    SignatureLineFields { line: usize },
    #[error("line {line}: {source}")]
    InvalidKeyName { line: usize, source: KeyError },
    #[error("line {line}: the signature is not valid base64 (standard alphabet, with padding)")]
    InvalidSignatureBase64 { line: usize },
    #[error(
        "line {line}: the signature has {length} bytes; it needs a 4-byte key id and a signature"
    )]
    SignatureTooShort { line: usize, length: usize },
    #[error("the signature by key {key_name}+{key_id:08x} does not verify")]
    BadSignature { key_name: String, key_id: u32 },
    #[error("two different trusted keys are named {key_name}+{key_id:08x}")]
    AmbiguousKey { key_name: String, key_id: u32 },
    #[error("no signature on the note is by a trusted key")]
    NoTrustedSignature,
}

/// The key id of an Ed25519 key: the first four bytes, big-endian, of
/// SHA-256(name || 0x0A || 0x01 || public key).
pub fn key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519_TYPE]);
    hasher.update(public_key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Checks a key name: non-empty, no Unicode white space, no '+', no ASCII control characters.
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.chars().any(char::is_whitespace) {
        Some("it contains white space")
    } else if name.contains('+') {
        Some("it contains '+'")
    } else if name.chars().any(|c| c < ' ') {
        Some("it contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(KeyError::InvalidName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

fn parse_key_id(text: &str) -> Result<u32, KeyError> {
    let well_formed = text.len() == 8
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if !well_formed {
        return Err(KeyError::InvalidKeyId(text.to_owned()));
    }
    u32::from_str_radix(text, 16).map_err(|_| KeyError::InvalidKeyId(text.to_owned()))
}

/// Decodes base64(0x01 || 32 bytes) into the 32 bytes.
fn decode_typed_key(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = BASE64.decode(text).map_err(|_| KeyError::InvalidBase64)?;
    let (kind, key) = bytes.split_first().ok_or(KeyError::EmptyKey)?;
    if *kind != ED25519_TYPE {
        return Err(KeyError::UnsupportedAlgorithm(*kind));
    }
    <[u8; 32]>::try_from(key).map_err(|_| KeyError::WrongKeyLength(key.len()))
}

fn encode_typed_key(key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(ED25519_TYPE);
    bytes.extend_from_slice(key);
    BASE64.encode(bytes)
}

/// A trusted public key: its name, key id and Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    public_key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier for `public_key` under `name`.
    pub fn new(name: &str, public_key: VerifyingKey) -> Result<NoteVerifier, KeyError> {
        check_key_name(name)?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, &public_key),
            public_key,
        })
    }

    /// Parses a verifier key string `<name>+<key id>+<base64(0x01 || public key)>`.
    pub fn parse(verifier_key: &str) -> Result<NoteVerifier, KeyError> {
        // The base64 key may itself contain '+': split off the name and id only.
        let fields: Vec<&str> = verifier_key.splitn(3, '+').collect();
        let [name, id, key] = fields.as_slice() else {
            return Err(KeyError::WrongFieldCount {
                kind: "verifier",
                expected: 3,
                actual: fields.len(),
            });
        };
        check_key_name(name)?;
        let stated = parse_key_id(id)?;
        let bytes = decode_typed_key(key)?;
        let public_key =
            VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        let verifier = NoteVerifier::new(name, public_key)?;
        if verifier.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: verifier.key_id,
            });
        }
        Ok(verifier)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn public_key(&self) -> &VerifyingKey {
        &self.public_key
    }

    /// Whether `signature` over `message` is a valid Ed25519 signature by this key.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature)
            .map(|signature| self.public_key.verify_strict(message, &signature).is_ok())
            .unwrap_or(false)
    }
}

/// The verifier key string, the form to publish.
impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_typed_key(self.public_key.as_bytes())
        )
    }
}

impl FromStr for NoteVerifier {
    type Err = KeyError;

    fn from_str(verifier_key: &str) -> Result<NoteVerifier, KeyError> {
        NoteVerifier::parse(verifier_key)
    }
}

/// A signing key with its name: signs notes.
#[derive(Debug, Clone)]
pub struct NoteSigner {
    name: String,
    key_id: u32,
    signing_key: SigningKey,
}

impl NoteSigner {
    /// A signer for `signing_key` under `name` (for a log, its origin).
    pub fn new(name: &str, signing_key: SigningKey) -> Result<NoteSigner, KeyError> {
        check_key_name(name)?;
        Ok(NoteSigner {
            name: name.to_owned(),
            key_id: key_id(name, &signing_key.verifying_key()),
            signing_key,
        })
    }

    /// Parses a private key string `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`.
    pub fn parse_private_key(private_key: &str) -> Result<NoteSigner, KeyError> {
        let rest = private_key
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(KeyError::MissingPrivateKeyPrefix)?;
        let fields: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, id, key] = fields.as_slice() else {
            return Err(KeyError::WrongFieldCount {
                kind: "private",
                expected: 5,
                actual: fields.len() + 2,
            });
        };
        check_key_name(name)?;
        let stated = parse_key_id(id)?;
        let seed = decode_typed_key(key)?;
        let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
        if signer.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The private key string, the form to store (keep it secret).
    pub fn to_private_key_string(&self) -> String {
        format!(
            "{PRIVATE_KEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_typed_key(self.signing_key.as_bytes())
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching verifier, whose `Display` is the verifier key string to publish.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.signing_key.verifying_key(),
        }
    }

    /// This key's signature line over `text` (without checking the text).
    fn signature(&self, text: &str) -> NoteSignature {
        NoteSignature {
            key_name: self.name.clone(),
            key_id: self.key_id,
            signature: self.signing_key.sign(text.as_bytes()).to_bytes().to_vec(),
        }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub key_name: String,
    pub key_id: u32,
    /// The signature bytes after the key id (64 for Ed25519).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    fn line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_LINE_PREFIX}{} {}\n",
            self.key_name,
            BASE64.encode(bytes)
        )
    }
}

/// A parsed note: its text and signature lines, none of them verified yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// A note with at least one signature by a trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The note text, final newline included.
    pub text: String,
    /// The names of the trusted keys whose signatures verified, in note order.
    pub verified_by: Vec<String>,
}

/// Checks the text of a note about to be signed: non-empty, within the size limit, ending in a
/// newline, no control characters but newlines.
fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    if text.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: text.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    check_control_characters(text.as_bytes())?;
    if !text.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }
    Ok(())
}

fn check_control_characters(bytes: &[u8]) -> Result<(), NoteError> {
    match bytes.iter().position(|byte| *byte < 0x20 && *byte != b'\n') {
        Some(offset) => Err(NoteError::ControlCharacter {
            offset,
            byte: bytes[offset],
        }),
        None => Ok(()),
    }
}

/// Signs `text` with each signer and returns the note: text, blank line, signature lines.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    if signers.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures {
            max: MAX_SIGNATURES,
        });
    }
    let note = SignedNote {
        text: text.to_owned(),
        signatures: signers
            .iter()
            .map(|signer| signer.signature(text))
            .collect(),
    };
    Ok(note.to_string())
}

/// Parses `note` and checks it has a valid signature by one of `verifiers` (see
/// [`SignedNote::verify`]).
pub fn open(note: &[u8], verifiers: &[NoteVerifier]) -> Result<VerifiedNote, NoteError> {
    SignedNote::parse(note)?.verify(verifiers)
}

impl SignedNote {
    /// Parses a note strictly: size limit, UTF-8, no control characters but newlines, a final
    /// newline, the last blank line separating text from signatures, well-formed signature
    /// lines. Verifies nothing: see [`SignedNote::verify`].
    pub fn parse(note: &[u8]) -> Result<SignedNote, NoteError> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge {
                size: note.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        let note = std::str::from_utf8(note).map_err(|error| NoteError::InvalidUtf8 {
            offset: error.valid_up_to(),
        })?;
        check_control_characters(note.as_bytes())?;
        if !note.ends_with('\n') {
            return Err(NoteError::MissingFinalNewline);
        }
        let separator = note.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let (text, rest) = note.split_at(separator + 1);
        let signature_block = rest.get(1..).unwrap_or_default();
        if signature_block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let lines: Vec<&str> = signature_block
            .strip_suffix('\n')
            .unwrap_or(signature_block)
            .split('\n')
            .collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            });
        }
        // Line numbers in errors count from 1 over the whole note: the text, the blank line,
        // then the signatures.
        let first_signature_line = text.matches('\n').count() + 2;
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(position, line)| parse_signature_line(line, first_signature_line + position))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignedNote {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note text, final newline included. Not to be trusted before [`SignedNote::verify`].
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Verifies the signatures made by trusted keys (same name and key id as a verifier);
    /// signatures by other keys are ignored, as the spec requires. Fails if a trusted key's
    /// signature does not verify, or if none does.
    pub fn verify(&self, verifiers: &[NoteVerifier]) -> Result<VerifiedNote, NoteError> {
        let mut verified_by = Vec::new();
        for signature in &self.signatures {
            let mut matching = verifiers.iter().filter(|verifier| {
                verifier.name == signature.key_name && verifier.key_id == signature.key_id
            });
            let Some(verifier) = matching.next() else {
                continue;
            };
            if matching.any(|other| other.public_key != verifier.public_key) {
                return Err(NoteError::AmbiguousKey {
                    key_name: signature.key_name.clone(),
                    key_id: signature.key_id,
                });
            }
            if !verifier.verifies(self.text.as_bytes(), &signature.signature) {
                return Err(NoteError::BadSignature {
                    key_name: signature.key_name.clone(),
                    key_id: signature.key_id,
                });
            }
            if !verified_by.contains(&verifier.name) {
                verified_by.push(verifier.name.clone());
            }
        }
        if verified_by.is_empty() {
            return Err(NoteError::NoTrustedSignature);
        }
        Ok(VerifiedNote {
            text: self.text.clone(),
            verified_by,
        })
    }
}

/// The note as text: the text, a blank line, one line per signature.
impl fmt::Display for SignedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for signature in &self.signatures {
            f.write_str(&signature.line())?;
        }
        Ok(())
    }
}

fn parse_signature_line(line: &str, line_number: usize) -> Result<NoteSignature, NoteError> {
    let fields = line
        .strip_prefix(SIGNATURE_LINE_PREFIX)
        .ok_or(NoteError::SignatureLinePrefix { line: line_number })?;
    let (key_name, encoded) = fields
        .split_once(' ')
        .ok_or(NoteError::SignatureLineFields { line: line_number })?;
    check_key_name(key_name).map_err(|source| NoteError::InvalidKeyName {
        line: line_number,
        source,
    })?;
    let bytes = BASE64
        .decode(encoded)
        .map_err(|_| NoteError::InvalidSignatureBase64 { line: line_number })?;
    match bytes.as_slice() {
        [a, b, c, d, signature @ ..] if !signature.is_empty() => Ok(NoteSignature {
            key_name: key_name.to_owned(),
            key_id: u32::from_be_bytes([*a, *b, *c, *d]),
            signature: signature.to_vec(),
        }),
        _ => Err(NoteError::SignatureTooShort {
            line: line_number,
            length: bytes.len(),
        }),
    }
}
