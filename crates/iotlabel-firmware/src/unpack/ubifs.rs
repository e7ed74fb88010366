//! UBIFS file systems (as found in a UBI volume, or as a `mkfs.ubifs` image): reads the
//! superblock and the newest master node, walks the index B-tree (bounded depth, cycle
//! detection), replays the journal's buds on top of it, and rebuilds directories, files (LZO,
//! zlib and zstd compressed data nodes), symlinks, devices and hard links into a [`Tree`].
//!
//! Our own reader: no maintained crate reads UBIFS, so this follows the on-flash format of the
//! Linux kernel's `fs/ubifs/ubifs-media.h` (format facts only). All numbers are little-endian;
//! node CRCs are `crc32(0xFFFFFFFF, ...)` over the node after its first 8 bytes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked, parallel, ubifs_lzo};
use crate::vfs::{FileEntry, Node, Tree};

/// The UBIFS format: a superblock node (magic 0x06101831, type 6) with a valid CRC.
pub const FORMAT: Format = Format {
    id: "ubifs",
    description: "UBIFS file system image",
    magics: &[&[0x31, 0x18, 0x10, 0x06]],
    magic_offset: 0,
    probe,
    unpack,
};

const NODE_MAGIC: u32 = 0x0610_1831;
const COMMON_HEADER_LEN: usize = 24;
const INO_NODE: u8 = 0;
const DATA_NODE: u8 = 1;
const DENT_NODE: u8 = 2;
const TRUN_NODE: u8 = 4;
const SB_NODE: u8 = 6;
const MST_NODE: u8 = 7;
const REF_NODE: u8 = 8;
const IDX_NODE: u8 = 9;
const CS_NODE: u8 = 10;

const INO_NODE_LEN: usize = 160;
const DATA_NODE_LEN: usize = 48;
const DENT_NODE_LEN: usize = 56;
const SB_MIN_LEN: usize = 88;
const MST_MIN_LEN: usize = 60;

const KEY_INO: u32 = 0;
const KEY_DATA: u32 = 1;
const KEY_DENT: u32 = 2;
/// The "simple" key format: a 32-bit inode number and a 32-bit word of 3 type bits and 29
/// bits of name hash or block number.
const SIMPLE_KEY_LEN: usize = 8;
const INDEX_BRANCH_LEN: usize = 12;
/// Superblock flag: the file system is authenticated, so index branches carry a hash.
const FLAG_AUTHENTICATION: u32 = 0x20;
/// Digest sizes by the kernel's `hash_algo` numbers (`include/uapi/linux/hash_info.h`), which an
/// authenticated superblock names at offset 256: MD4, MD5, SHA-1, RIPEMD-160, SHA-256,
/// SHA-384, SHA-512, SHA-224, RIPEMD-128/256/320, Whirlpool-256/384/512, Tiger-128/160/192,
/// SM3, Streebog-256/512.
const HASH_LENGTHS: [usize; 20] = [
    16, 16, 20, 20, 32, 48, 64, 28, 16, 32, 40, 32, 48, 64, 16, 20, 24, 32, 32, 64,
];
const SB_HASH_ALGO_AT: usize = 256;
/// Inode flag: the file's contents and names are encrypted (fscrypt).
const INODE_FLAG_CRYPT: u32 = 0x40;

const COMPR_NONE: u16 = 0;
const COMPR_LZO: u16 = 1;
const COMPR_ZLIB: u16 = 2;
const COMPR_ZSTD: u16 = 3;

const ROOT_INO: u64 = 1;
const BLOCK_SIZE: usize = 4096;
const MASTER_LNUM: u32 = 1;
const LOG_LNUM: u32 = 3;
/// Deeper than any real index (the kernel's own limit is 512; real trees are a few levels).
const MAX_INDEX_DEPTH: usize = 64;
const MAX_DIR_DEPTH: usize = 256;
/// Nodes are 8-byte aligned.
const NODE_ALIGN: usize = 8;

const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

/// The CRC UBIFS uses: `crc32(0xFFFFFFFF, ...)` without final inversion.
fn ubifs_crc(data: &[u8]) -> u32 {
    !crc32fast::hash(data)
}

fn le16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        data.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn le32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        data.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// A node with a valid common header and CRC at byte `at`: (type, sequence number, node).
fn node_at(data: &[u8], at: usize) -> Option<(u8, u64, &[u8])> {
    if le32(data, at)? != NODE_MAGIC {
        return None;
    }
    let crc = le32(data, at + 4)?;
    let sqnum = le64(data, at + 8)?;
    let len = le32(data, at + 16)? as usize;
    let node_type = *data.get(at + 20)?;
    if len < COMMON_HEADER_LEN {
        return None;
    }
    let node = data.get(at..at.checked_add(len)?)?;
    if ubifs_crc(node.get(8..)?) != crc {
        return None;
    }
    Some((node_type, sqnum, node))
}

/// Why a data block could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UbifsDataError {
    #[error("compression type {0} is not supported")]
    Unsupported(u16),
    #[error("LZO data is corrupt: {0}")]
    Lzo(#[from] ubifs_lzo::LzoError),
    #[error("zlib data is corrupt: {0}")]
    Zlib(String),
    #[error("zstd data is corrupt: {0}")]
    Zstd(String),
    #[error("block decompressed to {got} bytes, the node says {expected}")]
    Size { got: usize, expected: usize },
}

/// Decompresses one data node's payload to exactly `size` bytes.
pub fn decompress_block(
    compr: u16,
    payload: &[u8],
    size: usize,
) -> Result<Vec<u8>, UbifsDataError> {
    let output = match compr {
        COMPR_NONE => payload.get(..size).unwrap_or(payload).to_vec(),
        COMPR_LZO => ubifs_lzo::decompress(payload, size)?,
        COMPR_ZLIB => {
            // UBIFS "zlib" is a raw deflate stream (no zlib header).
            let mut output = Vec::with_capacity(size);
            flate2::read::DeflateDecoder::new(payload)
                .take(size as u64)
                .read_to_end(&mut output)
                .map_err(|error| UbifsDataError::Zlib(error.to_string()))?;
            output
        }
        COMPR_ZSTD => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(payload)
                .map_err(|error| UbifsDataError::Zstd(error.to_string()))?;
            let mut output = Vec::with_capacity(size);
            decoder
                .take(size as u64)
                .read_to_end(&mut output)
                .map_err(|error| UbifsDataError::Zstd(error.to_string()))?;
            output
        }
        other => return Err(UbifsDataError::Unsupported(other)),
    };
    if output.len() != size {
        return Err(UbifsDataError::Size {
            got: output.len(),
            expected: size,
        });
    }
    Ok(output)
}

/// The superblock facts the reader needs.
#[derive(Debug, Clone, Copy)]
struct Superblock {
    leb_size: usize,
    leb_cnt: u32,
    log_lebs: u32,
    flags: u32,
    key_fmt: u8,
    /// Digest length carried by each index branch of an authenticated file system.
    hash_len: Option<usize>,
}

fn superblock(data: &[u8]) -> Option<Superblock> {
    let (node_type, _, node) = node_at(data, 0)?;
    if node_type != SB_NODE || node.len() < SB_MIN_LEN {
        return None;
    }
    let leb_size = le32(node, 36)? as usize;
    let min_io_size = le32(node, 32)? as usize;
    let leb_cnt = le32(node, 40)?;
    if leb_size < 4096 || min_io_size == 0 || !leb_size.is_multiple_of(min_io_size) || leb_cnt < 4 {
        return None;
    }
    Some(Superblock {
        leb_size,
        leb_cnt,
        log_lebs: le32(node, 56)?,
        flags: le32(node, 28)?,
        key_fmt: *node.get(27)?,
        hash_len: le16(node, SB_HASH_ALGO_AT)
            .and_then(|algo| HASH_LENGTHS.get(usize::from(algo)).copied()),
    })
}

/// Whether `data` starts with a valid UBIFS superblock node.
pub fn probe(data: &[u8]) -> bool {
    superblock(data).is_some()
}

/// An inode as the newest node describes it.
#[derive(Debug, Clone)]
struct Inode {
    sqnum: u64,
    size: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    flags: u32,
    /// Inline data (a symlink's target, a device number).
    data_start: usize,
    data_len: usize,
}

#[derive(Debug, Clone, Copy)]
struct Dent {
    sqnum: u64,
    /// 0 when the entry records a deletion (journal only).
    inum: u64,
    kind: u8,
}

#[derive(Debug, Clone, Copy)]
struct Block {
    sqnum: u64,
    node_start: usize,
    node_len: usize,
}

/// Everything read from the index and journal.
#[derive(Debug, Default)]
struct Found {
    inodes: HashMap<u64, Inode>,
    dents: HashMap<(u64, Vec<u8>), Dent>,
    blocks: HashMap<u64, BTreeMap<u32, Block>>,
    /// Truncations from the journal: inode -> (sqnum, new size).
    truncations: HashMap<u64, (u64, u64)>,
    bad_nodes: u64,
    leaf_nodes: u64,
}

impl Found {
    /// Records a leaf node unless a newer one for the same key is known.
    fn leaf(&mut self, node_type: u8, sqnum: u64, node: &[u8], node_start: usize) {
        let Some(inum) = le32(node, 24).map(u64::from) else {
            self.bad_nodes += 1;
            return;
        };
        let key_word = le32(node, 28).unwrap_or(0);
        match node_type {
            INO_NODE if node.len() >= INO_NODE_LEN && key_word >> 29 == KEY_INO => {
                if self.inodes.get(&inum).is_some_and(|old| old.sqnum > sqnum) {
                    return;
                }
                let data_len = le32(node, 112).unwrap_or(0) as usize;
                if INO_NODE_LEN.saturating_add(data_len) > node.len() {
                    self.bad_nodes += 1;
                    return;
                }
                self.leaf_nodes += 1;
                self.inodes.insert(
                    inum,
                    Inode {
                        sqnum,
                        size: le64(node, 48).unwrap_or(0),
                        uid: le32(node, 96).unwrap_or(0),
                        gid: le32(node, 100).unwrap_or(0),
                        mode: le32(node, 104).unwrap_or(0),
                        flags: le32(node, 108).unwrap_or(0),
                        data_start: node_start + INO_NODE_LEN,
                        data_len,
                    },
                );
            }
            DENT_NODE if node.len() >= DENT_NODE_LEN && key_word >> 29 == KEY_DENT => {
                let name_len = usize::from(le16(node, 50).unwrap_or(0));
                let Some(name) = node.get(DENT_NODE_LEN..DENT_NODE_LEN + name_len) else {
                    self.bad_nodes += 1;
                    return;
                };
                let key = (inum, name.to_vec());
                if self.dents.get(&key).is_some_and(|old| old.sqnum > sqnum) {
                    return;
                }
                self.leaf_nodes += 1;
                self.dents.insert(
                    key,
                    Dent {
                        sqnum,
                        inum: le64(node, 40).unwrap_or(0),
                        kind: node.get(49).copied().unwrap_or(0),
                    },
                );
            }
            DATA_NODE if node.len() >= DATA_NODE_LEN && key_word >> 29 == KEY_DATA => {
                let block = key_word & 0x1FFF_FFFF;
                let blocks = self.blocks.entry(inum).or_default();
                if blocks.get(&block).is_some_and(|old| old.sqnum > sqnum) {
                    return;
                }
                self.leaf_nodes += 1;
                blocks.insert(
                    block,
                    Block {
                        sqnum,
                        node_start,
                        node_len: node.len(),
                    },
                );
            }
            TRUN_NODE => {
                // Truncation node: inum at 24, old size at 40, new size at 48.
                let new_size = le64(node, 48).unwrap_or(0);
                if self.truncations.get(&inum).is_none_or(|old| old.0 < sqnum) {
                    self.truncations.insert(inum, (sqnum, new_size));
                }
            }
            INO_NODE | DENT_NODE | DATA_NODE => self.bad_nodes += 1,
            // Extended attribute entries and anything else carry no file data.
            _ => {}
        }
    }
}

/// Byte offset of (LEB, offset) in the volume.
fn position(sb: &Superblock, lnum: u32, offs: u32) -> Option<usize> {
    let offs = offs as usize;
    if offs >= sb.leb_size {
        return None;
    }
    (lnum as usize).checked_mul(sb.leb_size)?.checked_add(offs)
}

/// A valid node at byte `at` that stays inside its LEB (nodes never cross LEB boundaries).
fn leb_node<'a>(data: &'a [u8], sb: &Superblock, at: usize) -> Option<(u8, u64, &'a [u8])> {
    let leb_end = (at / sb.leb_size + 1).checked_mul(sb.leb_size)?;
    let len = le32(data, at.checked_add(16)?)? as usize;
    if at.checked_add(len)? > leb_end {
        return None;
    }
    node_at(data, at)
}

/// Visits the nodes written one after another in a LEB from `start` (a byte position). Empty
/// flash is stepped over; a node whose CRC is bad ends the walk, as the kernel treats the rest
/// of such a LEB as unwritten, so no byte is checked more than once.
fn scan_leb(
    data: &[u8],
    sb: &Superblock,
    start: usize,
    mut visit: impl FnMut(u8, u64, &[u8], usize),
) {
    let leb_end = (start / sb.leb_size + 1).saturating_mul(sb.leb_size);
    let mut at = start;
    while at < leb_end {
        match leb_node(data, sb, at) {
            Some((node_type, sqnum, node)) => {
                visit(node_type, sqnum, node, at);
                at += node.len().div_ceil(NODE_ALIGN) * NODE_ALIGN;
            }
            None if le32(data, at) == Some(NODE_MAGIC) => break,
            None if at >= data.len() => break,
            None => at += NODE_ALIGN,
        }
    }
}

/// The newest valid master node in LEBs 1 and 2: (root LEB, root offset).
fn master(data: &[u8], sb: &Superblock) -> Option<(u32, u32)> {
    let mut best: Option<(u64, u32, u32)> = None;
    for lnum in [MASTER_LNUM, MASTER_LNUM + 1] {
        let Some(start) = position(sb, lnum, 0) else {
            continue;
        };
        scan_leb(data, sb, start, |node_type, sqnum, node, _| {
            if node_type == MST_NODE
                && best.is_none_or(|(old, _, _)| sqnum > old)
                && let (Some(root_lnum), Some(root_offs)) = (le32(node, 48), le32(node, 52))
                && node.len() >= MST_MIN_LEN
            {
                best = Some((sqnum, root_lnum, root_offs));
            }
        });
    }
    best.map(|(_, lnum, offs)| (lnum, offs))
}

/// Walks the index from the root, collecting every leaf node.
fn walk_index(
    data: &[u8],
    sb: &Superblock,
    root: (u32, u32),
    found: &mut Found,
    ctx: &mut UnpackContext<'_>,
) {
    let mut branch_len = INDEX_BRANCH_LEN + SIMPLE_KEY_LEN;
    if sb.flags & FLAG_AUTHENTICATION != 0 {
        match sb.hash_len {
            Some(hash_len) => branch_len += hash_len,
            None => {
                ctx.diagnostic(
                    "ubifs: authenticated file system with an unknown hash; index unreadable",
                );
                return;
            }
        }
    }
    let mut visited: HashSet<(u32, u32)> = HashSet::new();
    let mut pending: Vec<(u32, u32, usize)> = vec![(root.0, root.1, 0)];
    let mut bad_index = 0u64;
    let mut cycles = 0u64;
    let mut too_deep = 0u64;
    let mut checked = 0usize;
    let check_limit = data.len().saturating_mul(2);
    while let Some((lnum, offs, depth)) = pending.pop() {
        if !visited.insert((lnum, offs)) {
            cycles += 1;
            continue;
        }
        let Some(at) = position(sb, lnum, offs) else {
            bad_index += 1;
            continue;
        };
        // A sound index reads each node once, so a walk that checks more bytes than twice the
        // image is following a hostile index that points into the middle of large nodes.
        checked = checked.saturating_add(le32(data, at.saturating_add(16)).unwrap_or(0) as usize);
        if checked > check_limit {
            ctx.diagnostic("ubifs: index walk stopped: it reads more than twice the image");
            break;
        }
        let Some((node_type, sqnum, node)) = leb_node(data, sb, at) else {
            bad_index += 1;
            continue;
        };
        if node_type != IDX_NODE {
            found.leaf(node_type, sqnum, node, at);
            continue;
        }
        if depth >= MAX_INDEX_DEPTH {
            too_deep += 1;
            continue;
        }
        let child_count = usize::from(le16(node, 24).unwrap_or(0));
        for index in 0..child_count {
            let start = 28 + index * branch_len;
            let (Some(child_lnum), Some(child_offs)) = (le32(node, start), le32(node, start + 4))
            else {
                bad_index += 1;
                break;
            };
            pending.push((child_lnum, child_offs, depth + 1));
        }
    }
    if bad_index > 0 {
        ctx.diagnostic(format!(
            "ubifs: {bad_index} index references to unreadable nodes skipped"
        ));
    }
    if cycles > 0 {
        ctx.diagnostic(format!(
            "ubifs: {cycles} index references repeat a node (cycle) skipped"
        ));
    }
    if too_deep > 0 {
        ctx.diagnostic(format!(
            "ubifs: index deeper than {MAX_INDEX_DEPTH} levels cut"
        ));
    }
}

/// Replays the journal: the buds that the log refers to after its newest commit-start node
/// hold nodes newer than the index (a clean `mkfs.ubifs` image has none; a dump of a live
/// device usually has some).
fn replay_journal(data: &[u8], sb: &Superblock, found: &mut Found) -> u64 {
    let mut refs: Vec<(u64, u32, u32)> = Vec::new();
    let mut commit_sqnum = 0u64;
    for lnum in LOG_LNUM..LOG_LNUM.saturating_add(sb.log_lebs.min(sb.leb_cnt)) {
        let Some(start) = position(sb, lnum, 0) else {
            break;
        };
        scan_leb(data, sb, start, |node_type, sqnum, node, _| {
            if node_type == CS_NODE {
                commit_sqnum = commit_sqnum.max(sqnum);
            } else if node_type == REF_NODE
                && let (Some(bud_lnum), Some(bud_offs)) = (le32(node, 24), le32(node, 28))
            {
                refs.push((sqnum, bud_lnum, bud_offs));
            }
        });
    }
    // One walk per bud LEB, from the earliest offset any reference gives for it.
    let mut buds: BTreeMap<u32, u32> = BTreeMap::new();
    for (sqnum, lnum, offs) in refs {
        if sqnum > commit_sqnum {
            let earliest = buds.entry(lnum).or_insert(offs);
            *earliest = (*earliest).min(offs);
        }
    }
    let mut replayed = 0u64;
    for (lnum, offs) in buds {
        let Some(start) = position(sb, lnum, offs) else {
            continue;
        };
        scan_leb(data, sb, start, |node_type, sqnum, node, at| {
            if sqnum > commit_sqnum && node_type != CS_NODE {
                found.leaf(node_type, sqnum, node, at);
                replayed += 1;
            }
        });
    }
    replayed
}

/// One data block of a file to decompress, and how that went.
struct BlockWork<'d> {
    offset: usize,
    compr: u16,
    payload: &'d [u8],
    block_size: usize,
    result: Option<Result<Vec<u8>, UbifsDataError>>,
}

/// Rebuilds a regular file of `size` bytes (at most `cap`) from its data blocks, decompressed
/// on every core and written in block order.
fn build_contents(
    data: &[u8],
    blocks: Option<&BTreeMap<u32, Block>>,
    size: usize,
    cap: usize,
    errors: &mut BTreeMap<String, u64>,
) -> Vec<u8> {
    let length = size.min(cap);
    let mut contents = vec![0u8; length];
    let Some(blocks) = blocks else {
        return contents;
    };
    let mut work: Vec<BlockWork<'_>> = Vec::new();
    for (&block, entry) in blocks {
        let offset = (block as usize).saturating_mul(BLOCK_SIZE);
        if offset >= length {
            break;
        }
        let Some(node) =
            data.get(entry.node_start..entry.node_start.saturating_add(entry.node_len))
        else {
            continue;
        };
        work.push(BlockWork {
            offset,
            compr: le16(node, 44).unwrap_or(u16::MAX),
            payload: node.get(DATA_NODE_LEN..).unwrap_or_default(),
            block_size: (le32(node, 40).unwrap_or(0) as usize).min(BLOCK_SIZE),
            result: None,
        });
    }
    let stored: u64 = work.iter().map(|block| block.payload.len() as u64).sum();
    parallel::for_each(
        &mut work,
        parallel::threads_for(stored),
        || (),
        |_, block| {
            block.result = Some(decompress_block(
                block.compr,
                block.payload,
                block.block_size,
            ));
        },
    );
    for block in work {
        match block.result {
            Some(Ok(bytes)) => {
                let offset = block.offset;
                let end = (offset + bytes.len()).min(length);
                if let (Some(target), Some(source)) =
                    (contents.get_mut(offset..end), bytes.get(..end - offset))
                {
                    target.copy_from_slice(source);
                }
            }
            Some(Err(error)) => *errors.entry(error.to_string()).or_default() += 1,
            None => *errors.entry("block not decoded".to_owned()).or_default() += 1,
        }
    }
    contents
}

/// Unpacks a UBIFS image (a flat volume: LEB n at byte n × LEB size) into a tree.
pub fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let sb = superblock(data).ok_or_else(|| UnpackError::new("no valid UBIFS superblock"))?;
    if sb.key_fmt != 0 {
        return Err(UnpackError::new(format!(
            "UBIFS key format {} is not supported",
            sb.key_fmt
        )));
    }
    let (root_lnum, root_offs) =
        master(data, &sb).ok_or_else(|| UnpackError::new("no valid UBIFS master node"))?;
    let mut found = Found::default();
    walk_index(data, &sb, (root_lnum, root_offs), &mut found, ctx);
    let replayed = replay_journal(data, &sb, &mut found);
    if replayed > 0 {
        ctx.diagnostic(format!(
            "ubifs: {replayed} journal nodes newer than the index replayed"
        ));
    }
    if found.bad_nodes > 0 {
        ctx.diagnostic(format!(
            "ubifs: {} malformed nodes skipped",
            found.bad_nodes
        ));
    }
    if found.leaf_nodes == 0 {
        return Err(UnpackError::new("UBIFS index holds no readable node"));
    }

    let mut children: BTreeMap<u64, Vec<(Vec<u8>, Dent)>> = BTreeMap::new();
    for ((parent, name), dent) in &found.dents {
        if dent.inum != 0 {
            children
                .entry(*parent)
                .or_default()
                .push((name.clone(), *dent));
        }
    }
    for entries in children.values_mut() {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
    }

    let mut tree = Tree::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut visited: HashSet<u64> = HashSet::from([ROOT_INO]);
    let mut contents_cache: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut encrypted = 0u64;
    let mut pending: Vec<(u64, String, usize)> = vec![(ROOT_INO, String::new(), 0)];
    while let Some((dir, prefix, depth)) = pending.pop() {
        let Some(entries) = children.get(&dir) else {
            continue;
        };
        for (name, dent) in entries {
            let name = String::from_utf8_lossy(name);
            if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
                ctx.diagnostic(format!("ubifs: entry with unusable name {name:?} skipped"));
                continue;
            }
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let Some(inode) = found.inodes.get(&dent.inum) else {
                ctx.diagnostic(format!(
                    "ubifs: {path} has no inode node (type {})",
                    dent.kind
                ));
                continue;
            };
            let inline = data
                .get(inode.data_start..inode.data_start.saturating_add(inode.data_len))
                .unwrap_or_default();
            match inode.mode & S_IFMT {
                S_IFDIR => {
                    if !visited.insert(dent.inum) {
                        ctx.diagnostic(format!(
                            "ubifs: directory {path} repeats inode {}; not followed again",
                            dent.inum
                        ));
                        continue;
                    }
                    if ctx.add_node(&mut tree, &path, Node::Dir { mode: inode.mode }) {
                        if depth + 1 >= MAX_DIR_DEPTH {
                            ctx.diagnostic(format!(
                                "ubifs: directories nested deeper than {MAX_DIR_DEPTH} at {path}"
                            ));
                        } else {
                            pending.push((dent.inum, path, depth + 1));
                        }
                    }
                }
                S_IFLNK => {
                    let target = String::from_utf8_lossy(inline).into_owned();
                    ctx.add_node(&mut tree, &path, Node::Symlink { target });
                }
                S_IFREG => {
                    if inode.flags & INODE_FLAG_CRYPT != 0 {
                        encrypted += 1;
                    }
                    // Hard links: every name of the inode gets the same contents.
                    let contents = if let Some(cached) = contents_cache.get(&dent.inum) {
                        cached.clone()
                    } else {
                        let mut size = inode.size;
                        if let Some((sqnum, new_size)) = found.truncations.get(&dent.inum)
                            && *sqnum > inode.sqnum
                        {
                            size = size.min(*new_size);
                        }
                        let cap = ctx.budget.bytes_left();
                        if size > cap {
                            ctx.limit_hit(LimitHit::TotalBytes(
                                ctx.budget.limits().max_total_bytes,
                            ));
                        }
                        let size = usize::try_from(size.min(cap)).unwrap_or(usize::MAX);
                        let contents = build_contents(
                            data,
                            found.blocks.get(&dent.inum),
                            size,
                            size,
                            &mut errors,
                        );
                        contents_cache.insert(dent.inum, contents.clone());
                        contents
                    };
                    ctx.add_file(
                        &mut tree,
                        &path,
                        FileEntry {
                            data: contents,
                            mode: inode.mode,
                            uid: inode.uid,
                            gid: inode.gid,
                        },
                    );
                }
                _ => {
                    ctx.add_node(&mut tree, &path, Node::Special { mode: inode.mode });
                }
            }
        }
    }
    for (error, count) in errors {
        ctx.diagnostic(format!("ubifs: {count} data blocks unreadable: {error}"));
    }
    if encrypted > 0 {
        ctx.diagnostic(format!(
            "ubifs: {encrypted} files are encrypted (fscrypt); their contents are ciphertext"
        ));
    }
    let consumed = (sb.leb_cnt as usize)
        .saturating_mul(sb.leb_size)
        .min(data.len());
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_junk() {
        assert!(!probe(&[0x31, 0x18, 0x10, 0x06]));
        assert!(!probe(&[0u8; 4096]));
        let budget = crate::limits::Budget::new(crate::limits::Limits::default());
        let mut ctx = UnpackContext::new(&budget);
        assert!(unpack(&[0x31, 0x18, 0x10, 0x06, 0, 0], &mut ctx).is_err());
    }

    #[test]
    fn blocks_decompress_or_fail_cleanly() {
        assert_eq!(decompress_block(COMPR_NONE, b"abc", 3).unwrap(), b"abc");
        assert!(decompress_block(COMPR_NONE, b"abc", 4).is_err());
        assert!(decompress_block(COMPR_ZLIB, b"\xff\xff\xff", 4).is_err());
        assert!(decompress_block(COMPR_ZSTD, b"\x28\xb5\x2f", 4).is_err());
        assert!(decompress_block(9, b"", 0).is_err());
    }
}
