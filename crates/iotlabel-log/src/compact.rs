//! An append-only RFC 6962 tree that keeps only the hashes of its perfect subtrees on the right
//! border (a "compact range" over `[0, size)`), so appending and taking the root stay cheap
//! however many leaves the log holds.
//!
//! A tree of `size` leaves is the concatenation of perfect subtrees, one per set bit of `size`,
//! largest (leftmost) first. [`CompactTree`] stores exactly those `size.count_ones()` hashes:
//! - [`CompactTree::append`] merges equal-sized subtrees like a binary counter: `O(1)` node
//!   hashes amortised, `O(log n)` at worst;
//! - [`CompactTree::root`] folds the border from the right: `O(log n)` node hashes;
//! - memory is `O(log n)`: at most 64 hashes.
//!
//! The registry can persist [`CompactTree::border`] next to the size and rebuild the tree with
//! [`CompactTree::from_parts`] instead of reading every leaf back.

use crate::merkle::{Hash, empty_root, leaf_hash, node_hash};

/// The right border of an RFC 6962 tree: enough to append and compute the root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactTree {
    size: u64,
    /// One hash per set bit of `size`, for the subtree of that many leaves; the largest first.
    border: Vec<Hash>,
}

/// A stored border that cannot belong to a tree of the stored size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tree of {size} leaves has {expected} border hashes, not {actual}")]
pub struct BorderError {
    pub size: u64,
    pub expected: u32,
    pub actual: usize,
}

/// Appending to a tree that already holds `u64::MAX` leaves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tree is full: it cannot hold more than u64::MAX leaves")]
pub struct TreeFull;

impl CompactTree {
    /// The empty tree.
    pub fn new() -> CompactTree {
        CompactTree::default()
    }

    /// Rebuilds a tree from its size and border hashes (as returned by [`CompactTree::border`]).
    pub fn from_parts(size: u64, border: Vec<Hash>) -> Result<CompactTree, BorderError> {
        let expected = size.count_ones();
        if usize::try_from(expected).ok() != Some(border.len()) {
            return Err(BorderError {
                size,
                expected,
                actual: border.len(),
            });
        }
        Ok(CompactTree { size, border })
    }

    /// Builds the tree of the given leaf hashes: `O(n)` node hashes.
    pub fn from_leaf_hashes(leaf_hashes: &[Hash]) -> Result<CompactTree, TreeFull> {
        let mut tree = CompactTree::new();
        for leaf in leaf_hashes {
            tree.append(*leaf)?;
        }
        Ok(tree)
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The border hashes, largest subtree first: what to persist with the size.
    pub fn border(&self) -> &[Hash] {
        &self.border
    }

    /// Appends a leaf given its leaf hash ([`leaf_hash`] of the entry) and returns its index.
    pub fn append(&mut self, leaf: Hash) -> Result<u64, TreeFull> {
        let index = self.size;
        let new_size = index.checked_add(1).ok_or(TreeFull)?;
        let mut merged = leaf;
        // Each trailing one bit of the old size is a subtree of the same size as the one being
        // carried: merge them, as a binary counter carries.
        let mut carry = index;
        while carry & 1 == 1 {
            match self.border.pop() {
                Some(left) => merged = node_hash(&left, &merged),
                None => break,
            }
            carry >>= 1;
        }
        self.border.push(merged);
        self.size = new_size;
        Ok(index)
    }

    /// Appends an entry (hashing it as a leaf) and returns its index.
    pub fn append_entry(&mut self, entry: &[u8]) -> Result<u64, TreeFull> {
        self.append(leaf_hash(entry))
    }

    /// The RFC 6962 root of the tree; the empty-tree hash for no leaves.
    pub fn root(&self) -> Hash {
        let mut hashes = self.border.iter().rev();
        let Some(smallest) = hashes.next() else {
            return empty_root();
        };
        hashes.fold(*smallest, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::root;

    #[test]
    fn root_after_each_append_matches_the_slice_root() {
        let leaves: Vec<Hash> = (0u16..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = CompactTree::new();
        assert_eq!(tree.root(), empty_root());
        for (index, leaf) in leaves.iter().enumerate() {
            assert_eq!(tree.append(*leaf).unwrap(), index as u64);
            assert_eq!(tree.root(), root(&leaves[..=index]), "size {}", index + 1);
            assert_eq!(tree.border().len(), tree.size().count_ones() as usize);
        }
    }

    #[test]
    fn from_parts_round_trips_and_rejects_a_wrong_border() {
        let leaves: Vec<Hash> = (0u8..13).map(|i| leaf_hash(&[i])).collect();
        let tree = CompactTree::from_leaf_hashes(&leaves).unwrap();
        let rebuilt = CompactTree::from_parts(tree.size(), tree.border().to_vec()).unwrap();
        assert_eq!(rebuilt, tree);
        assert_eq!(
            CompactTree::from_parts(16, tree.border().to_vec()),
            Err(BorderError {
                size: 16,
                expected: 1,
                actual: 3
            })
        );
    }

    #[test]
    fn a_full_tree_refuses_to_grow() {
        let mut tree = CompactTree::from_parts(u64::MAX, vec![[0u8; 32]; 64]).unwrap();
        assert_eq!(tree.append([1u8; 32]), Err(TreeFull));
    }
}
