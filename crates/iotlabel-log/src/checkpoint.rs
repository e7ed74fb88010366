//! C2SP transparency log checkpoints (c2sp.org/tlog-checkpoint): the note text naming a log's
//! origin, tree size and RFC 6962 root hash, plus optional extension lines, signed as a C2SP
//! signed note ([`crate::note`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::merkle::{Hash, ProofError, verify_consistency};
use crate::note::{self, NoteError, NoteSigner, NoteVerifier};

/// The signed head of a log at some size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `registry.example/log`; our logs sign with a key of this name.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root of the tree of `size` leaves.
    pub root_hash: Hash,
    /// Opaque, non-empty lines after the root hash (discouraged by the spec; usually none).
    pub extensions: Vec<String>,
}

/// A checkpoint text or signed checkpoint that is malformed, or that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint text does not end with a newline")]
    MissingFinalNewline,
    #[error("the checkpoint text has {0} lines: it needs origin, tree size and root hash")]
    TooFewLines(usize),
    #[error("line {line} of the checkpoint text is empty")]
    EmptyLine { line: usize },
    #[error("the {field} contains a newline or another ASCII control character")]
    ControlCharacter { field: &'static str },
    #[error("the tree size {text:?} is not valid: {reason}")]
    InvalidTreeSize { text: String, reason: &'static str },
    #[error("the root hash {text:?} is not valid: {reason}")]
    InvalidRootHash { text: String, reason: &'static str },
    #[error("the checkpoint is for origin {actual:?}, not the expected {expected:?}")]
    OriginMismatch { expected: String, actual: String },
    #[error("the signed note: {0}")]
    Note(#[from] NoteError),
    #[error("the checkpoints are not consistent: {0}")]
    Inconsistent(#[from] ProofError),
}

impl Checkpoint {
    /// The note text: origin, size, base64 root hash and extension lines, each ending in a
    /// newline. Fails on an empty origin or extension line, or one holding a control character.
    pub fn to_note_text(&self) -> Result<String, CheckpointError> {
        check_line(&self.origin, "origin", 1)?;
        for (position, extension) in self.extensions.iter().enumerate() {
            check_line(extension, "extension line", position + 4)?;
        }
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root_hash)
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        Ok(text)
    }

    /// Parses a checkpoint note text strictly: at least three non-empty lines, a decimal tree
    /// size without leading zeros, a base64 root hash of 32 bytes, non-empty extension lines.
    pub fn parse_note_text(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingFinalNewline)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if let Some(position) = lines.iter().position(|line| line.is_empty()) {
            return Err(CheckpointError::EmptyLine { line: position + 1 });
        }
        let [origin, size, root_hash, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines(lines.len()));
        };
        for (position, line) in lines.iter().enumerate() {
            let field = match position {
                0 => "origin",
                1 => "tree size",
                2 => "root hash",
                _ => "extension line",
            };
            check_line(line, field, position + 1)?;
        }
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            size: parse_tree_size(size)?,
            root_hash: parse_root_hash(root_hash)?,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        })
    }

    /// The signed checkpoint: the note text signed by `signer` (whose name should be the
    /// origin).
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        Ok(note::sign(&self.to_note_text()?, &[signer])?)
    }

    /// Parses a signed checkpoint, checks it carries a valid signature by one of `verifiers`
    /// and that its origin is `expected_origin`, and returns the checkpoint.
    pub fn open(
        signed: &[u8],
        expected_origin: &str,
        verifiers: &[NoteVerifier],
    ) -> Result<Checkpoint, CheckpointError> {
        let verified = note::open(signed, verifiers)?;
        let checkpoint = Checkpoint::parse_note_text(&verified.text)?;
        if checkpoint.origin != expected_origin {
            return Err(CheckpointError::OriginMismatch {
                expected: expected_origin.to_owned(),
                actual: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }

    /// Checks that `newer` extends this checkpoint, with the consistency proof between their
    /// sizes; both must be of the same origin.
    pub fn verify_extended_by(
        &self,
        newer: &Checkpoint,
        proof: &[Hash],
    ) -> Result<(), CheckpointError> {
        if newer.origin != self.origin {
            return Err(CheckpointError::OriginMismatch {
                expected: self.origin.clone(),
                actual: newer.origin.clone(),
            });
        }
        verify_consistency(
            self.size,
            newer.size,
            &self.root_hash,
            &newer.root_hash,
            proof,
        )?;
        Ok(())
    }
}

fn check_line(line: &str, field: &'static str, line_number: usize) -> Result<(), CheckpointError> {
    if line.is_empty() {
        return Err(CheckpointError::EmptyLine { line: line_number });
    }
    // The signed-note rule: no ASCII control characters (a newline would split the line).
    if line.chars().any(|c| c < ' ') {
        return Err(CheckpointError::ControlCharacter { field });
    }
    Ok(())
}

fn parse_tree_size(text: &str) -> Result<u64, CheckpointError> {
    let invalid = |reason| CheckpointError::InvalidTreeSize {
        text: text.to_owned(),
        reason,
    };
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid("only the digits 0-9 are allowed"));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(invalid("leading zeros are not allowed"));
    }
    text.parse()
        .map_err(|_| invalid("it does not fit in 64 bits"))
}

fn parse_root_hash(text: &str) -> Result<Hash, CheckpointError> {
    let invalid = |reason| CheckpointError::InvalidRootHash {
        text: text.to_owned(),
        reason,
    };
    // 32 bytes are 44 base64 characters; refuse longer input before decoding it.
    if text.len() != 44 {
        return Err(invalid("a 32-byte hash is 44 base64 characters"));
    }
    let bytes = BASE64
        .decode(text)
        .map_err(|_| invalid("it is not base64 (standard alphabet, with padding)"))?;
    Hash::try_from(bytes.as_slice()).map_err(|_| invalid("it does not decode to 32 bytes"))
}
