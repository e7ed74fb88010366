//! Squashfs file data on every core. The walk stages, in walk order, each regular file (limits
//! checked, block list read, file counted), each other entry and each problem; [`Reader::settle`]
//! then decodes every staged data block straight into its file's buffer and every fragment
//! block the files need, spread over the cores, and applies the staged entries, problems and
//! byte charges in walk order. The tree, the diagnostics and every limit come out as a
//! one-block-after-the-other read would give them.
//!
//! Limits stay exact: a staged file reserves its full size against the byte budget and the
//! image's ratio allowance; when a file would not fit beside the reservations, the staged files
//! are settled first (damaged ones may need less than they reserved) and the check is made
//! again on exact figures.

use std::collections::{HashMap, HashSet};

use super::{BLOCK_UNCOMPRESSED, FileInode, LimitOrError, MAX_METADATA_BYTES, Reader, codec};
use crate::limits::LimitHit;
use crate::unpack::{UnpackContext, parallel};
use crate::vfs::{FileEntry, Node, Tree, sanitize_path};

/// Something the walk met, kept in walk order until [`Reader::settle`].
#[derive(Debug)]
pub(super) enum Staged {
    Problem(String),
    /// A directory, symlink or special node (already counted; path already sanitised).
    Node {
        path: String,
        node: Node,
    },
    File(StagedFile),
}

/// A regular file whose data is not decoded yet.
#[derive(Debug)]
pub(super) struct StagedFile {
    /// The entry's path as met, for problems.
    child: String,
    /// The sanitised path; `None` when it was refused (reported already): the data is still
    /// decoded and charged, as for any file.
    path: Option<String>,
    mode: u32,
    uid: u32,
    gid: u32,
    size: usize,
    blocks: Vec<BlockRef>,
    fragment: Option<(u32, u32)>,
}

/// One data block of a staged file.
#[derive(Debug, Clone, Copy)]
struct BlockRef {
    /// Absolute offset of its stored bytes.
    start: u64,
    /// Its size word (size and the "stored uncompressed" bit; size 0 is a sparse block).
    word: u32,
    /// Bytes it contributes to the file.
    expected: usize,
}

/// How decoding one data block went.
#[derive(Debug)]
enum Outcome {
    Pending,
    /// Nothing stored: zeros.
    Sparse,
    /// Decoded; this many bytes of its place in the file were filled (the rest is zeros).
    Filled(usize),
    Failed(String),
}

/// A data block to decode and its place in its file's buffer.
struct BlockWork<'b> {
    start: u64,
    word: u32,
    slot: &'b mut [u8],
    outcome: Outcome,
}

/// A fragment block to decode ahead of the files that need it.
struct FragmentWork {
    start: u64,
    word: u32,
    result: Option<Result<Vec<u8>, String>>,
}

/// `len` bytes of `data` at `start`, or the error naming the range.
pub(super) fn slice_of(data: &[u8], start: u64, len: u64) -> Result<&[u8], String> {
    usize::try_from(start)
        .ok()
        .zip(usize::try_from(len).ok())
        .and_then(|(start, len)| data.get(start..start.checked_add(len)?))
        .ok_or_else(|| {
            format!(
                "range {start}+{len} lies outside the image ({} bytes)",
                data.len()
            )
        })
}

/// Decodes one data block into its slot (at most one block size of output).
fn decode_block(
    data: &[u8],
    compression: codec::Compression,
    block_size: usize,
    work: &mut BlockWork<'_>,
    scratch: &mut Vec<u8>,
) -> Outcome {
    let start = work.start;
    let size = u64::from(work.word & !BLOCK_UNCOMPRESSED);
    if size == 0 {
        return Outcome::Sparse;
    }
    let body = match slice_of(data, start, size) {
        Ok(body) => body,
        Err(error) => return Outcome::Failed(error),
    };
    if work.word & BLOCK_UNCOMPRESSED != 0 {
        if body.len() > block_size {
            return Outcome::Failed(format!(
                "stored block at {start} larger than the block size"
            ));
        }
        let take = body.len().min(work.slot.len());
        if let (Some(target), Some(source)) = (work.slot.get_mut(..take), body.get(..take)) {
            target.copy_from_slice(source);
        }
        return Outcome::Filled(take);
    }
    match codec::decompress_into(compression, body, block_size, work.slot, scratch) {
        Ok(filled) => Outcome::Filled(filled),
        Err(error) => Outcome::Failed(format!("data block at {start}: {error}")),
    }
}

/// Decodes the fragment block at `start` with size word `word`.
pub(super) fn decode_fragment(
    data: &[u8],
    compression: codec::Compression,
    block_size: usize,
    start: u64,
    word: u32,
) -> Result<Vec<u8>, String> {
    let size = u64::from(word & !BLOCK_UNCOMPRESSED);
    let body = slice_of(data, start, size)?;
    if word & BLOCK_UNCOMPRESSED != 0 {
        return Ok(body
            .get(..block_size.min(body.len()))
            .unwrap_or(body)
            .to_vec());
    }
    let mut out = Vec::new();
    codec::decompress(compression, body, block_size, None, &mut out)
        .map_err(|error| format!("fragment block at {start}: {error}"))?;
    Ok(out)
}

impl Reader<'_> {
    /// Records a problem in walk order.
    pub(super) fn note(&mut self, message: String) {
        self.staged.push(Staged::Problem(message));
    }

    /// Counts a directory, symlink or special node and stages it, as
    /// [`UnpackContext::add_node`] would add it. False when refused (limit or unsafe name).
    pub(super) fn stage_node(
        &mut self,
        ctx: &mut UnpackContext<'_>,
        raw_path: &str,
        node: Node,
    ) -> bool {
        if let Err(hit) = ctx.budget.charge_file() {
            ctx.limit_hit(hit);
            return false;
        }
        match sanitize_path(raw_path) {
            Ok(path) => {
                self.staged.push(Staged::Node { path, node });
                true
            }
            Err(error) => {
                ctx.diagnostic(format!("entry skipped: {error}"));
                false
            }
        }
    }

    /// Checks a regular file against the limits, reads its block list and stages it.
    pub(super) fn stage_file(
        &mut self,
        file: &FileInode,
        child: &str,
        (mode, uid, gid): (u32, u32, u32),
        ctx: &mut UnpackContext<'_>,
        tree: &mut Tree,
    ) -> Result<(), LimitOrError> {
        let fits = |reader: &Reader<'_>, ctx: &UnpackContext<'_>| {
            file.size <= ctx.budget.bytes_left().saturating_sub(reader.reserved)
                && file.size <= reader.output_left.saturating_sub(reader.reserved)
        };
        if self.reserved > 0 && !fits(self, ctx) {
            // Staged files may turn out shorter than they reserved: settle them and decide on
            // exact figures.
            self.settle(ctx, tree);
        }
        if file.size > ctx.budget.bytes_left().saturating_sub(self.reserved) {
            return Err(LimitOrError::Limit(LimitHit::TotalBytes(
                ctx.budget.limits().max_total_bytes,
            )));
        }
        // Sparse blocks and repeated block references cost no input: cap the image's output
        // by the budget's compression ratio too, so a small image cannot expand to the whole
        // budget.
        if file.size > self.output_left.saturating_sub(self.reserved) {
            return Err(LimitOrError::Limit(LimitHit::Ratio(
                ctx.budget.limits().max_ratio,
            )));
        }
        let size = usize::try_from(file.size)
            .map_err(|_| LimitOrError::Error("file too large".to_owned()))?;
        let mut list_cursor = file.block_list;
        let list = self
            .read_metadata(
                &mut list_cursor,
                usize::try_from(file.block_count.saturating_mul(4)).unwrap_or(usize::MAX),
            )
            .map_err(LimitOrError::Error)?;
        let block_size = self.block_size as usize;
        let mut blocks = Vec::with_capacity(list.len() / 4);
        let mut position = file.blocks_start;
        let mut produced = 0usize;
        for chunk in list.chunks_exact(4) {
            let word = super::read_u32(chunk, 0, self.order).unwrap_or(0);
            let expected = block_size.min(size.saturating_sub(produced));
            blocks.push(BlockRef {
                start: position,
                word,
                expected,
            });
            produced = produced.saturating_add(expected);
            position = position.saturating_add(u64::from(word & !BLOCK_UNCOMPRESSED));
        }
        if let Err(hit) = ctx.budget.charge_file() {
            ctx.limit_hit(hit);
            return Ok(());
        }
        let path = match sanitize_path(child) {
            Ok(path) => Some(path),
            Err(error) => {
                ctx.diagnostic(format!("entry skipped: {error}"));
                None
            }
        };
        self.reserved = self.reserved.saturating_add(file.size);
        self.staged.push(Staged::File(StagedFile {
            child: child.to_owned(),
            path,
            mode,
            uid,
            gid,
            size,
            blocks,
            fragment: file.fragment,
        }));
        Ok(())
    }

    /// Decodes everything staged (data blocks and the fragments they need, on every core) and
    /// applies the staged entries, problems and charges in walk order.
    pub(super) fn settle(&mut self, ctx: &mut UnpackContext<'_>, tree: &mut Tree) {
        let staged = std::mem::take(&mut self.staged);
        if staged.is_empty() {
            return;
        }
        self.predecode_fragments(&staged);
        // Each file's buffer is allocated zeroed at its full size: blocks decode into their
        // places, the fragment tail is copied after them, and damage only shortens it.
        let mut buffers: Vec<Vec<u8>> = staged
            .iter()
            .map(|item| match item {
                Staged::File(file) => vec![0u8; file.size],
                _ => Vec::new(),
            })
            .collect();
        let outcomes = self.decode_blocks(&staged, &mut buffers);
        let mut outcomes = outcomes.into_iter();
        for (item, buffer) in staged.into_iter().zip(buffers) {
            match item {
                Staged::Problem(message) => self.problem(message),
                Staged::Node { path, node } => {
                    if let Err(error) = tree.insert(&path, node) {
                        ctx.diagnostic(format!("entry skipped: {error}"));
                    }
                }
                Staged::File(file) => {
                    let file_outcomes: Vec<Outcome> =
                        outcomes.by_ref().take(file.blocks.len()).collect();
                    self.finish_file(file, buffer, file_outcomes, ctx, tree);
                }
            }
        }
        self.predecoded.clear();
        self.reserved = 0;
    }

    /// Decodes every data block of the staged files into `buffers`; one outcome per block, in
    /// file and block order.
    fn decode_blocks(&self, staged: &[Staged], buffers: &mut [Vec<u8>]) -> Vec<Outcome> {
        let mut work: Vec<BlockWork<'_>> = Vec::new();
        let mut stored_bytes = 0u64;
        for (item, buffer) in staged.iter().zip(buffers.iter_mut()) {
            let Staged::File(file) = item else {
                continue;
            };
            let mut rest: &mut [u8] = buffer.as_mut_slice();
            for block in &file.blocks {
                let mid = block.expected.min(rest.len());
                let (slot, after) = std::mem::take(&mut rest).split_at_mut(mid);
                rest = after;
                stored_bytes =
                    stored_bytes.saturating_add(u64::from(block.word & !BLOCK_UNCOMPRESSED));
                work.push(BlockWork {
                    start: block.start,
                    word: block.word,
                    slot,
                    outcome: Outcome::Pending,
                });
            }
        }
        let data = self.data;
        let compression = self.compression;
        let block_size = self.block_size as usize;
        parallel::for_each(
            &mut work,
            parallel::threads_for(stored_bytes),
            Vec::new,
            |scratch, block| {
                block.outcome = decode_block(data, compression, block_size, block, scratch);
            },
        );
        work.into_iter().map(|block| block.outcome).collect()
    }

    /// Decodes, on every core, the fragment blocks the staged files will read that are not
    /// cached yet, within what the metadata allowance could still hold. They are charged and
    /// cached only when a file reads them, in walk order ([`Reader::fragment_block`]).
    fn predecode_fragments(&mut self, staged: &[Staged]) {
        let block_size = self.block_size as usize;
        let mut allowance = MAX_METADATA_BYTES.saturating_sub(self.metadata_bytes);
        let mut indexes = HashSet::new();
        let mut starts = HashSet::new();
        let mut work = Vec::new();
        let mut stored_bytes = 0u64;
        for item in staged {
            let Staged::File(file) = item else {
                continue;
            };
            let Some((index, _)) = file.fragment else {
                continue;
            };
            let in_blocks: usize = file.blocks.iter().map(|block| block.expected).sum();
            if in_blocks >= file.size || !indexes.insert(index) {
                continue;
            }
            let Ok((start, word)) = self.fragment_entry(index) else {
                continue;
            };
            if self.fragment_blocks.contains_key(&start) || !starts.insert(start) {
                continue;
            }
            let Some(left) = allowance.checked_sub(block_size as u64) else {
                break;
            };
            allowance = left;
            stored_bytes = stored_bytes.saturating_add(u64::from(word & !BLOCK_UNCOMPRESSED));
            work.push(FragmentWork {
                start,
                word,
                result: None,
            });
        }
        let data = self.data;
        let compression = self.compression;
        parallel::for_each(
            &mut work,
            parallel::threads_for(stored_bytes),
            || (),
            |_, fragment| {
                fragment.result = Some(decode_fragment(
                    data,
                    compression,
                    block_size,
                    fragment.start,
                    fragment.word,
                ));
            },
        );
        self.predecoded = work
            .into_iter()
            .filter_map(|fragment| Some((fragment.start, fragment.result?)))
            .collect::<HashMap<_, _>>();
    }

    /// Puts one staged file together from its decoded blocks and fragment, reports its first
    /// problem, charges it and adds it to the tree.
    fn finish_file(
        &mut self,
        file: StagedFile,
        mut buffer: Vec<u8>,
        outcomes: Vec<Outcome>,
        ctx: &mut UnpackContext<'_>,
        tree: &mut Tree,
    ) {
        let mut problem: Option<String> = None;
        let mut damaged = false;
        let mut length = 0usize;
        for (block, outcome) in file.blocks.iter().zip(outcomes) {
            match outcome {
                Outcome::Filled(filled) if filled < block.expected => {
                    problem.get_or_insert_with(|| {
                        format!("data block at {} is {filled} bytes short", block.start)
                    });
                }
                Outcome::Filled(_) | Outcome::Sparse => {}
                Outcome::Failed(error) => {
                    // The rest of the file is kept short rather than zero-filled: a damaged
                    // block list should not turn into output.
                    problem.get_or_insert(error);
                    damaged = true;
                    break;
                }
                Outcome::Pending => {
                    problem.get_or_insert_with(|| "data block not decoded".to_owned());
                    damaged = true;
                    break;
                }
            }
            length += block.expected;
        }
        if let Some((index, offset)) = file.fragment.filter(|_| !damaged) {
            let tail = file.size.saturating_sub(length);
            if tail > 0 {
                match self.fragment_block(index) {
                    Ok(block) => {
                        let start = offset as usize;
                        let source = block.get(start..start.saturating_add(tail));
                        let target = buffer.get_mut(length..length.saturating_add(tail));
                        match (source, target) {
                            (Some(source), Some(target)) => {
                                target.copy_from_slice(source);
                                length += tail;
                            }
                            _ => {
                                problem.get_or_insert_with(|| {
                                    format!("fragment {index} too short for offset {offset}+{tail}")
                                });
                            }
                        }
                    }
                    Err(error) => {
                        problem.get_or_insert(error);
                    }
                }
            }
        }
        if length < file.size {
            problem.get_or_insert_with(|| "file data incomplete".to_owned());
        }
        buffer.truncate(length.min(file.size));
        self.reserved = self.reserved.saturating_sub(file.size as u64);
        self.output_left = self.output_left.saturating_sub(buffer.len() as u64);
        if let Some(problem) = problem {
            self.problem(format!("{}: {problem}", file.child));
        }
        if let Err(hit) = ctx.budget.charge_bytes(buffer.len() as u64) {
            ctx.limit_hit(hit);
            return;
        }
        if let Some(path) = file.path {
            let entry = FileEntry {
                data: buffer,
                mode: file.mode,
                uid: file.uid,
                gid: file.gid,
            };
            if let Err(error) = tree.insert(&path, Node::File(entry)) {
                ctx.diagnostic(format!("entry skipped: {error}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(image: &[u8], start: u64, word: u32, slot_len: usize) -> (Outcome, Vec<u8>) {
        let mut slot = vec![0u8; slot_len];
        let mut work = BlockWork {
            start,
            word,
            slot: &mut slot,
            outcome: Outcome::Pending,
        };
        let outcome = decode_block(
            image,
            codec::Compression::Gzip,
            8,
            &mut work,
            &mut Vec::new(),
        );
        (outcome, slot)
    }

    #[test]
    fn blocks_decode_into_their_slots() {
        let image = b"0123456789abcdefghij";
        // Sparse: nothing read, the slot stays zero.
        assert!(matches!(decode(image, 4, 0, 8), (Outcome::Sparse, slot) if slot == [0; 8]));
        // Stored: copied; a stored block shorter than its slot leaves zeros after it.
        let (outcome, slot) = decode(image, 2, BLOCK_UNCOMPRESSED | 8, 8);
        assert!(matches!(outcome, Outcome::Filled(8)));
        assert_eq!(slot, b"23456789");
        let (outcome, slot) = decode(image, 2, BLOCK_UNCOMPRESSED | 3, 8);
        assert!(matches!(outcome, Outcome::Filled(3)));
        assert_eq!(slot, b"234\0\0\0\0\0");
        // A stored block larger than the block size, or outside the image, is damage.
        let (outcome, _) = decode(image, 0, BLOCK_UNCOMPRESSED | 9, 8);
        assert!(
            matches!(outcome, Outcome::Failed(message) if message.contains("larger than the block size"))
        );
        let (outcome, _) = decode(image, 15, BLOCK_UNCOMPRESSED | 8, 8);
        assert!(
            matches!(outcome, Outcome::Failed(message) if message.contains("outside the image"))
        );
        // A compressed block that does not decode names its offset.
        let (outcome, _) = decode(image, 0, 6, 8);
        assert!(
            matches!(outcome, Outcome::Failed(message) if message.starts_with("data block at 0:"))
        );
    }

    #[test]
    fn fragments_decode_or_say_why_not() {
        let image = b"0123456789";
        assert_eq!(
            decode_fragment(
                image,
                codec::Compression::Gzip,
                4,
                1,
                BLOCK_UNCOMPRESSED | 6
            ),
            Ok(b"1234".to_vec())
        );
        assert!(
            decode_fragment(
                image,
                codec::Compression::Gzip,
                4,
                8,
                BLOCK_UNCOMPRESSED | 6
            )
            .is_err_and(|message| message.contains("outside the image"))
        );
        assert!(
            decode_fragment(image, codec::Compression::Gzip, 4, 0, 6)
                .is_err_and(|message| message.starts_with("fragment block at 0:"))
        );
    }
}
