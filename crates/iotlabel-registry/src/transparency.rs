//! The registry's transparency log: every application decision and label event is appended
//! (in the transaction that makes it) to an RFC 6962 Merkle log; checkpoints are signed as
//! C2SP signed notes with the registry key; inclusion proofs and a full verification
//! (`iotlabel log verify`) are computed here with `iotlabel-log`.

use iotlabel_log::{
    Checkpoint, CompactTree, Hash, NoteSigner, NoteVerifier, inclusion_proof, leaf_hash, root,
    verify_inclusion,
};
use serde::Serialize;

use crate::service::{LabelSigner, Registry, RegistryError};
use crate::store::{CheckpointRecord, LogEntry, Store};

/// The most entries read per page when walking the whole log.
const PAGE: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("the registry has no signing key configured")]
    NoSigner,
    #[error("entry {index}: the stored leaf hash does not match the entry")]
    LeafMismatch { index: i64 },
    #[error("entries are not consecutive at {index}")]
    Gap { index: i64 },
    #[error("checkpoint of size {size}: {reason}")]
    BadCheckpoint { size: i64, reason: String },
    #[error("{0}")]
    Proof(String),
}

/// An inclusion proof as the API serves it (hex hashes).
#[derive(Debug, Clone, Serialize)]
pub struct InclusionProof {
    pub leaf_index: i64,
    pub tree_size: i64,
    pub leaf_hash: String,
    pub proof: Vec<String>,
}

/// What a full verification checked.
#[derive(Debug, Clone, Serialize)]
pub struct LogVerification {
    pub entries: i64,
    pub checkpoints: usize,
    pub root_hash: String,
}

/// The log's origin line, derived from the registry's base URL (`registry.example/log`).
pub fn log_origin(signer: &LabelSigner) -> String {
    let host = signer
        .base_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    format!("{host}/log")
}

fn note_signer(signer: &LabelSigner) -> Result<NoteSigner, LogError> {
    NoteSigner::new(&log_origin(signer), signer.signing_key.clone())
        .map_err(|error| LogError::Proof(error.to_string()))
}

/// The verifier key (C2SP vkey text) clients use to check checkpoints.
pub fn verifier_key(signer: &LabelSigner) -> Result<String, LogError> {
    Ok(note_signer(signer)?.verifier().to_string())
}

fn parse_hash(text: &str) -> Option<Hash> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| <Hash>::try_from(bytes).ok())
}

impl<S: Store> Registry<S> {
    async fn leaf_hashes(&self, size: i64) -> Result<Vec<Hash>, RegistryError> {
        let mut hashes = Vec::new();
        let mut start = 0;
        while start < size {
            let entries = self
                .store()
                .log_entries(start, PAGE.min(size - start))
                .await?;
            if entries.is_empty() {
                break;
            }
            for entry in &entries {
                if entry.leaf_index != start {
                    return Err(LogError::Gap { index: start }.into());
                }
                let hash = parse_hash(&entry.leaf_hash).ok_or(LogError::LeafMismatch {
                    index: entry.leaf_index,
                })?;
                hashes.push(hash);
                start += 1;
            }
        }
        Ok(hashes)
    }

    /// The latest signed checkpoint, signing a new one when the log has grown since.
    pub async fn checkpoint(&self) -> Result<CheckpointRecord, RegistryError> {
        let signer = self.signer().ok_or(LogError::NoSigner)?;
        let size = self.store().log_size().await?;
        if let Some(latest) = self.store().checkpoints().await?.pop()
            && latest.size == size
        {
            return Ok(latest);
        }
        let hashes = self.leaf_hashes(size).await?;
        let tree =
            CompactTree::from_leaf_hashes(&hashes).map_err(|e| LogError::Proof(e.to_string()))?;
        let checkpoint = Checkpoint {
            origin: log_origin(signer),
            size: tree.size(),
            root_hash: tree.root(),
            extensions: vec![],
        };
        let note = checkpoint
            .sign(&note_signer(signer)?)
            .map_err(|e| LogError::Proof(e.to_string()))?;
        let record = CheckpointRecord {
            size,
            root_hash: hex::encode(tree.root()),
            note,
            created_at: self.clock().now(),
        };
        self.store().insert_checkpoint(&record).await?;
        Ok(record)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(
        &self,
        index: i64,
        size: i64,
    ) -> Result<InclusionProof, RegistryError> {
        let current = self.store().log_size().await?;
        if index < 0 || size <= index || size > current {
            return Err(RegistryError::Invalid(format!(
                "need 0 <= index < size <= {current}"
            )));
        }
        let hashes = self.leaf_hashes(size).await?;
        let position = usize::try_from(index).map_err(|_| LogError::Gap { index })?;
        let leaf = *hashes.get(position).ok_or(LogError::Gap { index })?;
        let proof = inclusion_proof(&hashes, index.unsigned_abs())
            .map_err(|e| LogError::Proof(e.to_string()))?;
        Ok(InclusionProof {
            leaf_index: index,
            tree_size: size,
            leaf_hash: hex::encode(leaf),
            proof: proof.iter().map(hex::encode).collect(),
        })
    }

    /// Checks the whole log: every entry against its leaf hash, the indexes consecutive, and
    /// every stored checkpoint's signature (with `verifier`) and root over its prefix.
    pub async fn verify_log(
        &self,
        verifier: &NoteVerifier,
    ) -> Result<LogVerification, RegistryError> {
        let size = self.store().log_size().await?;
        let mut checker = LogChecker::default();
        while checker.size() < size {
            let start = checker.size();
            let entries = self
                .store()
                .log_entries(start, PAGE.min(size - start))
                .await?;
            if entries.is_empty() {
                return Err(LogError::Gap { index: start }.into());
            }
            checker.add_entries(&entries)?;
        }
        let checkpoints = self.store().checkpoints().await?;
        for checkpoint in &checkpoints {
            let opened = checker.check_checkpoint(&checkpoint.note, verifier)?;
            if parse_hash(&checkpoint.root_hash) != Some(opened.root_hash)
                || i64::try_from(opened.size).ok() != Some(checkpoint.size)
            {
                return Err(LogError::BadCheckpoint {
                    size: checkpoint.size,
                    reason: "the stored root differs from the signed one".into(),
                }
                .into());
            }
        }
        Ok(checker.finish(checkpoints.len()))
    }
}

/// Verifies a log read in order, from a database or page by page from `/api/log/entries`
/// (what `iotlabel log verify <url-or-db>` needs): every entry's leaf hash recomputed, the
/// indexes consecutive, and signed checkpoints checked against the entries they cover.
#[derive(Debug, Clone, Default)]
pub struct LogChecker {
    hashes: Vec<Hash>,
}

impl LogChecker {
    /// How many entries have been checked.
    pub fn size(&self) -> i64 {
        i64::try_from(self.hashes.len()).unwrap_or(i64::MAX)
    }

    /// Checks the next entries (they must continue at [`LogChecker::size`]).
    pub fn add_entries(&mut self, entries: &[LogEntry]) -> Result<(), LogError> {
        for entry in entries {
            if entry.leaf_index != self.size() {
                return Err(LogError::Gap { index: self.size() });
            }
            let computed = leaf_hash(entry.entry.as_bytes());
            if parse_hash(&entry.leaf_hash) != Some(computed) {
                return Err(LogError::LeafMismatch {
                    index: entry.leaf_index,
                });
            }
            self.hashes.push(computed);
        }
        Ok(())
    }

    /// Checks a signed checkpoint: its signature by `verifier` (whose name is the origin) and
    /// its root over the first `size` entries checked so far. Returns the opened checkpoint.
    pub fn check_checkpoint(
        &self,
        note: &str,
        verifier: &NoteVerifier,
    ) -> Result<Checkpoint, LogError> {
        let opened = Checkpoint::open(
            note.as_bytes(),
            verifier.name(),
            std::slice::from_ref(verifier),
        )
        .map_err(|e| LogError::BadCheckpoint {
            size: -1,
            reason: e.to_string(),
        })?;
        let size = i64::try_from(opened.size).unwrap_or(i64::MAX);
        let bad = |reason: &str| LogError::BadCheckpoint {
            size,
            reason: reason.to_owned(),
        };
        let prefix = usize::try_from(opened.size)
            .ok()
            .and_then(|size| self.hashes.get(..size))
            .ok_or_else(|| bad("it covers more entries than were checked"))?;
        if opened.root_hash != root(prefix) {
            return Err(bad("its root does not match the entries"));
        }
        // The newest entry it covers is provably included in the signed root.
        if let Some(last_hash) = prefix.last() {
            let last = opened.size.saturating_sub(1);
            let proof = inclusion_proof(prefix, last).map_err(|e| bad(&e.to_string()))?;
            verify_inclusion(last_hash, last, opened.size, &proof, &opened.root_hash)
                .map_err(|e| bad(&e.to_string()))?;
        }
        Ok(opened)
    }

    pub fn finish(&self, checkpoints: usize) -> LogVerification {
        LogVerification {
            entries: self.size(),
            checkpoints,
            root_hash: hex::encode(root(&self.hashes)),
        }
    }
}
