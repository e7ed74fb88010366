//! RFC 6962 hashing and proofs: published known answers, a naive recursive reference written
//! straight from the RFC text, exhaustive small trees, proptest up to ~200 leaves, tampering.

#![allow(clippy::unwrap_used)]

use iotlabel_log::{
    CompactTree, Hash, ProofError, consistency_proof, empty_root, inclusion_proof, leaf_hash, root,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// The Certificate Transparency reference entries (used by every RFC 6962 implementation).
fn reference_entries() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|entry| hex::decode(entry).unwrap())
    .collect()
}

/// The published roots of the trees of the first 1..=8 reference entries.
const REFERENCE_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn unhex(text: &str) -> Hash {
    hex::decode(text).unwrap().try_into().unwrap()
}

// ---------------------------------------------------------------------------------------------
// The naive reference: the RFC 6962 §2.1 definitions over the entries themselves, with its own
// SHA-256 calls, recursion on vectors and the split found by scanning powers of two.

fn naive_split(n: usize) -> usize {
    (0..usize::BITS)
        .map(|bit| 1usize << bit)
        .take_while(|power| *power < n)
        .last()
        .unwrap()
}

fn naive_mth(entries: &[Vec<u8>]) -> Hash {
    match entries.len() {
        0 => Sha256::digest(b"").into(),
        1 => Sha256::digest([&[0u8][..], &entries[0]].concat()).into(),
        n => {
            let k = naive_split(n);
            let left = naive_mth(&entries[..k]);
            let right = naive_mth(&entries[k..]);
            Sha256::digest([&[1u8][..], &left, &right].concat()).into()
        }
    }
}

fn naive_path(m: usize, entries: &[Vec<u8>]) -> Vec<Hash> {
    let n = entries.len();
    if n <= 1 {
        return vec![];
    }
    let k = naive_split(n);
    if m < k {
        let mut path = naive_path(m, &entries[..k]);
        path.push(naive_mth(&entries[k..]));
        path
    } else {
        let mut path = naive_path(m - k, &entries[k..]);
        path.push(naive_mth(&entries[..k]));
        path
    }
}

fn naive_subproof(m: usize, entries: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = entries.len();
    if m == n {
        return if b { vec![] } else { vec![naive_mth(entries)] };
    }
    let k = naive_split(n);
    if m <= k {
        let mut proof = naive_subproof(m, &entries[..k], b);
        proof.push(naive_mth(&entries[k..]));
        proof
    } else {
        let mut proof = naive_subproof(m - k, &entries[k..], false);
        proof.push(naive_mth(&entries[..k]));
        proof
    }
}

fn naive_consistency(m: usize, entries: &[Vec<u8>]) -> Vec<Hash> {
    if m == 0 || m == entries.len() {
        vec![]
    } else {
        naive_subproof(m, entries, true)
    }
}

fn entries_of(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("entry {i}").into_bytes())
        .collect()
}

fn leaves_of(entries: &[Vec<u8>]) -> Vec<Hash> {
    entries.iter().map(|entry| leaf_hash(entry)).collect()
}

fn flip(hash: &Hash, byte: usize, bit: u8) -> Hash {
    let mut changed = *hash;
    changed[byte] ^= 1 << bit;
    changed
}

// ---------------------------------------------------------------------------------------------

#[test]
fn hashes_follow_the_rfc_prefixes() {
    let expected_leaf: Hash = Sha256::digest([0x00, 0xab]).into();
    assert_eq!(leaf_hash(&[0xab]), expected_leaf);
    let (a, b) = ([1u8; 32], [2u8; 32]);
    let expected_node: Hash = Sha256::digest([&[0x01][..], &a, &b].concat()).into();
    assert_eq!(iotlabel_log::node_hash(&a, &b), expected_node);
    assert_eq!(
        empty_root(),
        unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(root(&[]), empty_root());
}

#[test]
fn roots_match_the_published_values_and_the_naive_reference() {
    let entries = reference_entries();
    let leaves = leaves_of(&entries);
    let mut tree = CompactTree::new();
    for size in 1..=8 {
        let expected = unhex(REFERENCE_ROOTS[size - 1]);
        assert_eq!(root(&leaves[..size]), expected, "size {size}");
        assert_eq!(naive_mth(&entries[..size]), expected, "naive, size {size}");
        tree.append(leaves[size - 1]).unwrap();
        assert_eq!(tree.root(), expected, "compact tree, size {size}");
    }
}

#[test]
fn proofs_match_the_published_values() {
    let leaves = leaves_of(&reference_entries());
    assert_eq!(
        inclusion_proof(&leaves, 0).unwrap(),
        vec![
            unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ]
    );
    assert_eq!(
        inclusion_proof(&leaves, 5).unwrap(),
        vec![
            unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ]
    );
    assert_eq!(
        consistency_proof(&leaves, 2).unwrap(),
        vec![
            unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ]
    );
    assert_eq!(
        consistency_proof(&leaves[..5], 2).unwrap(),
        vec![
            unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ]
    );
}

/// Every index and every old size of every tree up to 33 leaves: the proofs equal the naive
/// ones, verify, and every single-bit change of a proof hash, the leaf or a root fails.
#[test]
fn exhaustive_small_trees_verify_and_reject_tampering() {
    let entries = entries_of(33);
    let leaves = leaves_of(&entries);
    for size in 1..=entries.len() {
        let tree_root = root(&leaves[..size]);
        for index in 0..size {
            let proof = inclusion_proof(&leaves[..size], index as u64).unwrap();
            assert_eq!(
                proof,
                naive_path(index, &entries[..size]),
                "{index} in {size}"
            );
            let verify = |leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash| {
                verify_inclusion(leaf, index, size, proof, root)
            };
            verify(
                &leaves[index],
                index as u64,
                size as u64,
                &proof,
                &tree_root,
            )
            .unwrap();
            assert!(
                verify(
                    &flip(&leaves[index], 0, 0),
                    index as u64,
                    size as u64,
                    &proof,
                    &tree_root
                )
                .is_err()
            );
            assert!(
                verify(
                    &leaves[index],
                    index as u64,
                    size as u64,
                    &proof,
                    &flip(&tree_root, 31, 7)
                )
                .is_err()
            );
            for position in 0..proof.len() {
                let mut tampered = proof.clone();
                tampered[position] = flip(&tampered[position], position % 32, (position % 8) as u8);
                assert!(
                    verify(
                        &leaves[index],
                        index as u64,
                        size as u64,
                        &tampered,
                        &tree_root
                    )
                    .is_err()
                );
            }
            if size > 1 {
                let other = (index + 1) % size;
                assert!(
                    verify(
                        &leaves[index],
                        other as u64,
                        size as u64,
                        &proof,
                        &tree_root
                    )
                    .is_err()
                );
            }
            // The proof for this size does not prove the leaf in the next tree (whose root
            // differs); the root is what a signed checkpoint binds to its size.
            if size < leaves.len() {
                let next_root = root(&leaves[..=size]);
                assert!(
                    verify(
                        &leaves[index],
                        index as u64,
                        size as u64 + 1,
                        &proof,
                        &next_root
                    )
                    .is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(tree_root);
            assert!(
                verify(
                    &leaves[index],
                    index as u64,
                    size as u64,
                    &longer,
                    &tree_root
                )
                .is_err()
            );
        }
        for old_size in 0..=size {
            let proof = consistency_proof(&leaves[..size], old_size as u64).unwrap();
            assert_eq!(
                proof,
                naive_consistency(old_size, &entries[..size]),
                "{old_size} to {size}"
            );
            let old_root = root(&leaves[..old_size]);
            verify_consistency(old_size as u64, size as u64, &old_root, &tree_root, &proof)
                .unwrap();
            assert!(
                verify_consistency(
                    old_size as u64,
                    size as u64,
                    &flip(&old_root, 3, 1),
                    &tree_root,
                    &proof
                )
                .is_err()
            );
            // Every tree extends the empty tree, so only a non-empty old tree pins the new root.
            if old_size > 0 {
                assert!(
                    verify_consistency(
                        old_size as u64,
                        size as u64,
                        &old_root,
                        &flip(&tree_root, 5, 2),
                        &proof
                    )
                    .is_err()
                );
            }
            for position in 0..proof.len() {
                let mut tampered = proof.clone();
                tampered[position] = flip(&tampered[position], 17, 4);
                assert!(
                    verify_consistency(
                        old_size as u64,
                        size as u64,
                        &old_root,
                        &tree_root,
                        &tampered
                    )
                    .is_err(),
                    "tampered hash {position} of {old_size} to {size}"
                );
            }
            if !proof.is_empty() {
                assert!(
                    verify_consistency(
                        old_size as u64,
                        size as u64,
                        &old_root,
                        &tree_root,
                        &proof[..proof.len() - 1]
                    )
                    .is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(tree_root);
            assert!(
                verify_consistency(old_size as u64, size as u64, &old_root, &tree_root, &longer)
                    .is_err()
            );
        }
    }
}

#[test]
fn out_of_range_requests_are_errors() {
    let leaves = leaves_of(&entries_of(5));
    assert_eq!(
        inclusion_proof(&leaves, 5),
        Err(ProofError::IndexOutOfRange {
            index: 5,
            tree_size: 5
        })
    );
    assert_eq!(
        inclusion_proof(&[], 0),
        Err(ProofError::IndexOutOfRange {
            index: 0,
            tree_size: 0
        })
    );
    assert_eq!(
        consistency_proof(&leaves, 6),
        Err(ProofError::OldSizeTooLarge {
            old_size: 6,
            new_size: 5
        })
    );
    let tree_root = root(&leaves);
    assert_eq!(
        verify_inclusion(&leaves[0], 5, 5, &[], &tree_root),
        Err(ProofError::IndexOutOfRange {
            index: 5,
            tree_size: 5
        })
    );
    assert_eq!(
        verify_consistency(6, 5, &tree_root, &tree_root, &[]),
        Err(ProofError::OldSizeTooLarge {
            old_size: 6,
            new_size: 5
        })
    );
    assert_eq!(
        verify_consistency(3, 5, &root(&leaves[..3]), &tree_root, &[]),
        Err(ProofError::EmptyConsistencyProof)
    );
    // Huge sizes with short proofs fail without looping or panicking.
    assert!(
        verify_inclusion(
            &leaves[0],
            u64::MAX - 1,
            u64::MAX,
            &[tree_root; 3],
            &tree_root
        )
        .is_err()
    );
    assert!(
        verify_consistency(
            u64::MAX - 1,
            u64::MAX,
            &tree_root,
            &tree_root,
            &[tree_root; 3]
        )
        .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_agree_with_the_naive_reference(size in 1usize..=200, index_seed: u64, old_seed: u64) {
        let entries = entries_of(size);
        let leaves = leaves_of(&entries);
        let tree_root = root(&leaves);
        prop_assert_eq!(tree_root, naive_mth(&entries));
        prop_assert_eq!(CompactTree::from_leaf_hashes(&leaves).unwrap().root(), tree_root);

        let index = (index_seed % size as u64) as usize;
        let proof = inclusion_proof(&leaves, index as u64).unwrap();
        prop_assert_eq!(&proof, &naive_path(index, &entries));
        prop_assert!(verify_inclusion(&leaves[index], index as u64, size as u64, &proof, &tree_root).is_ok());

        let old_size = (old_seed % (size as u64 + 1)) as usize;
        let consistency = consistency_proof(&leaves, old_size as u64).unwrap();
        prop_assert_eq!(&consistency, &naive_consistency(old_size, &entries));
        let old_root = root(&leaves[..old_size]);
        prop_assert!(verify_consistency(old_size as u64, size as u64, &old_root, &tree_root, &consistency).is_ok());
    }

    #[test]
    fn a_changed_leaf_breaks_inclusion_and_consistency(size in 2usize..=200, changed_seed: u64, index_seed: u64) {
        let entries = entries_of(size);
        let leaves = leaves_of(&entries);
        let changed = (changed_seed % size as u64) as usize;
        let mut forged = leaves.clone();
        forged[changed] = leaf_hash(b"forged entry");
        let honest_root = root(&leaves);
        let forged_root = root(&forged);
        prop_assert_ne!(honest_root, forged_root);

        // A proof made from the forged tree never verifies against the honest root.
        let index = (index_seed % size as u64) as usize;
        let proof = inclusion_proof(&forged, index as u64).unwrap();
        prop_assert!(verify_inclusion(&forged[index], index as u64, size as u64, &proof, &honest_root).is_err());

        // A log that rewrote leaf `changed` cannot prove it extends any old tree holding it.
        let old_size = changed + 1;
        let old_root = root(&leaves[..old_size]);
        let consistency = consistency_proof(&forged, old_size as u64).unwrap();
        prop_assert!(verify_consistency(old_size as u64, size as u64, &old_root, &forged_root, &consistency).is_err());
    }
}
