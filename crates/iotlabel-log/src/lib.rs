//! iotlabel-log: the registry's tamper-evident log. RFC 6962 Merkle tree hashing with inclusion
//! and consistency proofs ([`merkle`]), an append-only compact tree for the current root
//! ([`compact`]), and checkpoints ([`checkpoint`]) signed as C2SP signed notes ([`note`]) with
//! Ed25519.
//!
//! Nothing here stores anything or performs I/O: the registry keeps the leaf hashes (and, if it
//! likes, the compact tree's border) in its database and calls these functions with them.
//!
//! A typical use:
//! ```
//! use iotlabel_log::{Checkpoint, CompactTree, NoteSigner, leaf_hash, inclusion_proof, verify_inclusion};
//!
//! let signer = NoteSigner::new("registry.example/log", ed25519_dalek::SigningKey::from_bytes(&[7; 32]))?;
//! let entries: Vec<&[u8]> = vec![b"label CSA/311228/000123 issued", b"label CSA/311228/000123 suspended"];
//! let leaves: Vec<_> = entries.iter().map(|entry| leaf_hash(entry)).collect();
//! let tree = CompactTree::from_leaf_hashes(&leaves)?;
//! let checkpoint = Checkpoint {
//!     origin: "registry.example/log".to_owned(),
//!     size: tree.size(),
//!     root_hash: tree.root(),
//!     extensions: vec![],
//! };
//! let signed = checkpoint.sign(&signer)?;
//! // A client holding the published verifier key checks the checkpoint and an entry.
//! let verifier = signer.verifier().to_string().parse()?;
//! let opened = Checkpoint::open(signed.as_bytes(), "registry.example/log", &[verifier])?;
//! let proof = inclusion_proof(&leaves, 1)?;
//! verify_inclusion(&leaf_hash(entries[1]), 1, opened.size, &proof, &opened.root_hash)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod checkpoint;
pub mod compact;
pub mod merkle;
pub mod note;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use compact::{BorderError, CompactTree, TreeFull};
pub use merkle::{
    Hash, ProofError, consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
pub use note::{
    KeyError, NoteError, NoteSignature, NoteSigner, NoteVerifier, SignedNote, VerifiedNote,
};
