//! jffs2 (Journalling Flash File System version 2) images, in either byte order: scans every
//! node, keeps the latest version of each directory entry and inode, rebuilds file contents
//! from data nodes (none, zero, zlib, rtime, LZO and LZMA compressed) and fills a [`Tree`].
//!
//! Our own reader: no maintained crate reads jffs2 images (both byte orders, every
//! compressor, hostile input), so this follows the on-flash format as the Linux kernel defines
//! it (`include/uapi/linux/jffs2.h`, `fs/jffs2/scan.c`): node headers are 4-byte aligned,
//! CRCs are the kernel's `crc32(0, ...)`, and a node whose header CRC is wrong is skipped 4
//! bytes at a time, as the kernel's scan does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked, parallel, ubifs_lzo};
use crate::vfs::{FileEntry, Node, Tree};

/// The jffs2 format: magic 0x1985 in either byte order, with a valid node header CRC.
pub const FORMAT: Format = Format {
    id: "jffs2",
    description: "jffs2 flash file system (little- or big-endian)",
    magics: &[&[0x85, 0x19], &[0x19, 0x85]],
    magic_offset: 0,
    probe,
    unpack,
};

const MAGIC: u16 = 0x1985;
const NODE_ACCURATE: u16 = 0x2000;
const NODETYPE_DIRENT: u16 = 0xE001;
const NODETYPE_INODE: u16 = 0xE002;
const NODETYPE_CLEANMARKER: u16 = 0x2003;
const NODETYPE_PADDING: u16 = 0x2004;
const NODETYPE_SUMMARY: u16 = 0x2006;
const NODETYPE_XATTR: u16 = 0xE008;
const NODETYPE_XREF: u16 = 0xE009;
/// The top two bits of a node type say what a reader that does not know it must do.
const FEATURE_MASK: u16 = 0xC000;
const FEATURE_INCOMPAT: u16 = 0xC000;

const HEADER_LEN: usize = 12;
const DIRENT_LEN: usize = 40;
const INODE_LEN: usize = 68;

const COMPR_NONE: u8 = 0x00;
const COMPR_ZERO: u8 = 0x01;
const COMPR_RTIME: u8 = 0x02;
const COMPR_RUBINMIPS: u8 = 0x03;
const COMPR_COPY: u8 = 0x04;
const COMPR_DYNRUBIN: u8 = 0x05;
const COMPR_ZLIB: u8 = 0x06;
const COMPR_LZO: u8 = 0x07;
const COMPR_LZMA: u8 = 0x08;

/// The root directory's inode number.
const ROOT_INO: u32 = 1;
/// The most one data node may decompress to. The kernel writes at most one page per node (4 KiB,
/// 64 KiB on the largest-page architectures); hole ("zero") nodes need no buffer.
const MAX_NODE_DATA: usize = 64 * 1024;
/// The deepest directory nesting followed.
const MAX_DIR_DEPTH: usize = 256;
/// After this many bytes with neither a node nor erased flash (0xFF), the file system has ended
/// and something else follows.
const MAX_GAP: usize = 1 << 20;

/// jffs2 LZMA parameters, fixed by the kernel's LZMA compressor: lc=0, lp=0, pb=0, 8 KiB
/// dictionary (properties byte 0 followed by the little-endian dictionary size).
const LZMA_PROPERTIES: [u8; 5] = [0x00, 0x00, 0x20, 0x00, 0x00];

const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
/// Directory entry types (`DT_*`), used when an entry's inode has no node of its own.
const DT_DIR: u8 = 4;
const DT_REG: u8 = 8;
const DT_LNK: u8 = 10;

/// Byte order of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16_at(self, data: &[u8], at: usize) -> Option<u16> {
        let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(bytes),
            Endian::Big => u16::from_be_bytes(bytes),
        })
    }

    fn u32_at(self, data: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(bytes),
            Endian::Big => u32::from_be_bytes(bytes),
        })
    }
}

/// The kernel's `crc32(0, data, len)`: the reflected CRC-32 polynomial with a zero seed and
/// no final inversion (so not the usual zlib CRC-32 value).
pub fn jffs2_crc(data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(u32::MAX);
    hasher.update(data);
    !hasher.finalize()
}

/// Why a data node could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Jffs2DataError {
    #[error("compression type {0:#04x} ({1}) is not supported")]
    Unsupported(u8, &'static str),
    #[error("zlib data is corrupt: {0}")]
    Zlib(String),
    #[error("LZMA data is corrupt: {0}")]
    Lzma(String),
    #[error("LZO data is corrupt: {0}")]
    Lzo(#[from] ubifs_lzo::LzoError),
    #[error("rtime data is corrupt")]
    Rtime,
    #[error("data decompressed to {got} bytes, the node says {expected}")]
    Size { got: usize, expected: usize },
}

/// Whether `data` starts with a jffs2 node header (either byte order) whose CRC is valid.
pub fn probe(data: &[u8]) -> bool {
    header_endian(data, 0).is_some()
}

/// The byte order in which a valid node header sits at `at`, if any.
fn header_endian(data: &[u8], at: usize) -> Option<Endian> {
    [Endian::Little, Endian::Big]
        .into_iter()
        .find(|&endian| valid_header(data, at, endian).is_some())
}

/// A node header at `at` in `endian` byte order whose CRC is valid: (node type, total length).
fn valid_header(data: &[u8], at: usize, endian: Endian) -> Option<(u16, u32)> {
    if endian.u16_at(data, at)? != MAGIC {
        return None;
    }
    let nodetype = endian.u16_at(data, at + 2)?;
    let totlen = endian.u32_at(data, at + 4)?;
    let stored_crc = endian.u32_at(data, at + 8)?;
    // The kernel computes the header CRC with the "accurate" bit set, so a node later marked
    // obsolete (bit cleared in place) still checks.
    let mut header = data.get(at..at + 8)?.to_vec();
    let accurate = nodetype | NODE_ACCURATE;
    let type_bytes = match endian {
        Endian::Little => accurate.to_le_bytes(),
        Endian::Big => accurate.to_be_bytes(),
    };
    header.get_mut(2..4)?.copy_from_slice(&type_bytes);
    if jffs2_crc(&header) != stored_crc || (totlen as usize) < HEADER_LEN {
        return None;
    }
    Some((nodetype, totlen))
}

/// One inode node: metadata plus a byte range of the file.
#[derive(Debug, Clone)]
struct InodeNode {
    version: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    isize: u32,
    offset: u32,
    dsize: u32,
    compr: u8,
    /// Where the (compressed) data sits in the image, and its length.
    data_start: usize,
    data_len: usize,
}

/// The latest directory entry for one name in one directory.
#[derive(Debug, Clone)]
struct Dirent {
    version: u32,
    ino: u32,
    kind: u8,
}

/// What a scan found.
#[derive(Debug, Default)]
struct Scan {
    inodes: HashMap<u32, Vec<InodeNode>>,
    /// (parent inode, name) -> latest entry; ino 0 records a deletion.
    dirents: HashMap<(u32, Vec<u8>), Dirent>,
    valid_nodes: u64,
    bad_header_crcs: u64,
    bad_node_crcs: u64,
    bad_data_crcs: u64,
    truncated_nodes: u64,
    obsolete_nodes: u64,
    unknown_nodes: u64,
    other_order_nodes: u64,
    /// End of the last valid node.
    end: usize,
}

fn align4(value: usize) -> usize {
    value.saturating_add(3) & !3
}

fn scan(data: &[u8], endian: Endian) -> Scan {
    let other = match endian {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    };
    let mut found = Scan::default();
    let mut pos = 0usize;
    let mut last_progress = 0usize;
    while pos.saturating_add(HEADER_LEN) <= data.len() {
        if pos.saturating_sub(last_progress) > MAX_GAP && found.valid_nodes > 0 {
            break;
        }
        let word = data.get(pos..pos + 4).unwrap_or_default();
        if word == [0xFF; 4] {
            // Erased flash.
            last_progress = pos;
            pos += 4;
            continue;
        }
        let Some((nodetype, totlen)) = valid_header(data, pos, endian) else {
            if endian.u16_at(data, pos) == Some(MAGIC) {
                found.bad_header_crcs += 1;
            } else if valid_header(data, pos, other).is_some() {
                found.other_order_nodes += 1;
            }
            pos += 4;
            continue;
        };
        let totlen = totlen as usize;
        let Some(node) = data.get(pos..pos.saturating_add(totlen)) else {
            found.truncated_nodes += 1;
            pos += 4;
            continue;
        };
        last_progress = pos;
        found.end = pos + totlen;
        if nodetype & NODE_ACCURATE == 0 {
            found.obsolete_nodes += 1;
        } else {
            match nodetype {
                NODETYPE_INODE => read_inode(node, pos, endian, &mut found),
                NODETYPE_DIRENT => read_dirent(node, endian, &mut found),
                NODETYPE_CLEANMARKER | NODETYPE_PADDING | NODETYPE_SUMMARY | NODETYPE_XATTR
                | NODETYPE_XREF => found.valid_nodes += 1,
                other_type => {
                    found.valid_nodes += 1;
                    if other_type & FEATURE_MASK == FEATURE_INCOMPAT {
                        found.unknown_nodes += 1;
                    }
                }
            }
        }
        pos = align4(pos + totlen);
    }
    found
}

fn read_inode(node: &[u8], node_start: usize, endian: Endian, found: &mut Scan) {
    let field = |at: usize| endian.u32_at(node, at);
    let (Some(ino), Some(version), Some(mode), Some(node_crc)) =
        (field(12), field(16), field(20), field(64))
    else {
        found.truncated_nodes += 1;
        return;
    };
    let Some(header) = node.get(..60) else {
        found.truncated_nodes += 1;
        return;
    };
    if jffs2_crc(header) != node_crc {
        found.bad_node_crcs += 1;
        return;
    }
    let uid = endian.u16_at(node, 24).unwrap_or(0);
    let gid = endian.u16_at(node, 26).unwrap_or(0);
    let isize = field(28).unwrap_or(0);
    let offset = field(44).unwrap_or(0);
    let csize = field(48).unwrap_or(0) as usize;
    let dsize = field(52).unwrap_or(0);
    let compr = node.get(56).copied().unwrap_or(0);
    let data_crc = field(60).unwrap_or(0);
    let Some(payload) = node.get(INODE_LEN..INODE_LEN.saturating_add(csize)) else {
        found.truncated_nodes += 1;
        return;
    };
    if jffs2_crc(payload) != data_crc {
        found.bad_data_crcs += 1;
        return;
    }
    found.valid_nodes += 1;
    found.inodes.entry(ino).or_default().push(InodeNode {
        version,
        mode,
        uid: u32::from(uid),
        gid: u32::from(gid),
        isize,
        offset,
        dsize,
        compr,
        data_start: node_start + INODE_LEN,
        data_len: csize,
    });
}

fn read_dirent(node: &[u8], endian: Endian, found: &mut Scan) {
    let field = |at: usize| endian.u32_at(node, at);
    let (Some(pino), Some(version), Some(ino), Some(node_crc), Some(name_crc)) =
        (field(12), field(16), field(20), field(32), field(36))
    else {
        found.truncated_nodes += 1;
        return;
    };
    let Some(header) = node.get(..32) else {
        found.truncated_nodes += 1;
        return;
    };
    if jffs2_crc(header) != node_crc {
        found.bad_node_crcs += 1;
        return;
    }
    let name_len = usize::from(node.get(28).copied().unwrap_or(0));
    let kind = node.get(29).copied().unwrap_or(0);
    let Some(name) = node.get(DIRENT_LEN..DIRENT_LEN + name_len) else {
        found.truncated_nodes += 1;
        return;
    };
    if jffs2_crc(name) != name_crc {
        found.bad_data_crcs += 1;
        return;
    }
    found.valid_nodes += 1;
    let entry = Dirent { version, ino, kind };
    match found.dirents.entry((pino, name.to_vec())) {
        std::collections::hash_map::Entry::Occupied(mut slot) => {
            if slot.get().version <= version {
                slot.insert(entry);
            }
        }
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(entry);
        }
    }
}

/// Decompresses one data node's payload to exactly `dsize` bytes.
pub fn decompress_node(compr: u8, payload: &[u8], dsize: usize) -> Result<Vec<u8>, Jffs2DataError> {
    let output = match compr {
        COMPR_NONE | COMPR_COPY => payload.get(..dsize).unwrap_or(payload).to_vec(),
        COMPR_ZERO => vec![0; dsize],
        COMPR_RTIME => rtime_decompress(payload, dsize)?,
        COMPR_ZLIB => {
            let mut output = Vec::with_capacity(dsize);
            flate2::read::ZlibDecoder::new(payload)
                .take(dsize as u64)
                .read_to_end(&mut output)
                .map_err(|error| Jffs2DataError::Zlib(error.to_string()))?;
            output
        }
        COMPR_LZO => ubifs_lzo::decompress(payload, dsize)?,
        COMPR_LZMA => lzma_decompress(payload, dsize)?,
        COMPR_RUBINMIPS => return Err(Jffs2DataError::Unsupported(compr, "rubinmips")),
        COMPR_DYNRUBIN => return Err(Jffs2DataError::Unsupported(compr, "dynrubin")),
        other => return Err(Jffs2DataError::Unsupported(other, "unknown")),
    };
    if output.len() != dsize {
        return Err(Jffs2DataError::Size {
            got: output.len(),
            expected: dsize,
        });
    }
    Ok(output)
}

/// jffs2's "rtime" run-length coding: each byte is followed by a count of bytes to copy from
/// just after that byte value's previous occurrence.
pub fn rtime_decompress(input: &[u8], dsize: usize) -> Result<Vec<u8>, Jffs2DataError> {
    let mut output: Vec<u8> = Vec::with_capacity(dsize);
    let mut positions = [0usize; 256];
    let mut bytes = input.iter().copied();
    while output.len() < dsize {
        let value = bytes.next().ok_or(Jffs2DataError::Rtime)?;
        output.push(value);
        let repeat = usize::from(bytes.next().ok_or(Jffs2DataError::Rtime)?);
        let back = positions[usize::from(value)];
        positions[usize::from(value)] = output.len();
        if output.len() + repeat > dsize {
            return Err(Jffs2DataError::Rtime);
        }
        for index in back..back + repeat {
            let byte = output.get(index).copied().ok_or(Jffs2DataError::Rtime)?;
            output.push(byte);
        }
    }
    Ok(output)
}

/// jffs2 LZMA: a raw LZMA stream with the kernel's fixed properties and no header.
fn lzma_decompress(payload: &[u8], dsize: usize) -> Result<Vec<u8>, Jffs2DataError> {
    let mut input = LZMA_PROPERTIES.to_vec();
    input.extend_from_slice(payload);
    let options = lzma_rs::decompress::Options {
        unpacked_size: lzma_rs::decompress::UnpackedSize::UseProvided(Some(dsize as u64)),
        memlimit: Some(1 << 20),
        allow_incomplete: false,
    };
    let mut output = Vec::with_capacity(dsize);
    lzma_rs::lzma_decompress_with_options(&mut input.as_slice(), &mut output, &options)
        .map_err(|error| Jffs2DataError::Lzma(error.to_string()))?;
    Ok(output)
}

/// The byte ranges of one file written so far, as the kernel's fragment tree keeps them: no
/// two fragments overlap, and a gap between fragments is a hole (zeros). Building the file
/// this way costs time in proportion to the data actually written, however often a hostile
/// image truncates and re-extends it.
#[derive(Debug, Default)]
struct Fragments {
    by_start: BTreeMap<usize, Vec<u8>>,
}

impl Fragments {
    /// Removes whatever lies in `start..end`, keeping the parts of fragments outside it.
    fn punch(&mut self, start: usize, end: usize) {
        let overlapping: Vec<usize> = self
            .by_start
            .range(..end)
            .rev()
            .take_while(|(first, bytes)| **first + bytes.len() > start)
            .map(|(first, _)| *first)
            .collect();
        for first in overlapping {
            let Some(mut bytes) = self.by_start.remove(&first) else {
                continue;
            };
            let last = first + bytes.len();
            if last > end {
                let tail = bytes.split_off(end - first);
                self.by_start.insert(end, tail);
            }
            if first < start {
                bytes.truncate(start - first);
                self.by_start.insert(first, bytes);
            }
        }
    }

    fn write(&mut self, offset: usize, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        self.punch(offset, offset + bytes.len());
        self.by_start.insert(offset, bytes);
    }

    fn truncate(&mut self, size: usize) {
        self.punch(size, usize::MAX);
    }

    fn into_contents(self, size: usize) -> Vec<u8> {
        let mut contents = vec![0u8; size];
        for (first, bytes) in self.by_start {
            let end = (first + bytes.len()).min(size);
            if let (Some(target), Some(source)) = (
                contents.get_mut(first.min(end)..end),
                bytes.get(..end.saturating_sub(first)),
            ) {
                target.copy_from_slice(source);
            }
        }
        contents
    }
}

/// Data nodes decompressed ahead of use, by where their payload starts (unique per node).
type Decoded = HashMap<usize, Result<Vec<u8>, Jffs2DataError>>;

/// Node output decompressed ahead at a time, at most (bounds what waits in [`Decoded`]).
const DECODE_AHEAD_BYTES: u64 = 32 << 20;

/// The payload of a data node as stored.
fn payload<'d>(data: &'d [u8], node: &InodeNode) -> &'d [u8] {
    data.get(node.data_start..node.data_start.saturating_add(node.data_len))
        .unwrap_or_default()
}

/// Whether [`build_contents`] decompresses `node` (given room for it under the cap).
fn holds_data(node: &InodeNode) -> bool {
    node.dsize > 0 && node.compr != COMPR_ZERO && node.dsize as usize <= MAX_NODE_DATA
}

/// One data node to decompress ahead.
struct NodeWork<'d> {
    data_start: usize,
    compr: u8,
    payload: &'d [u8],
    dsize: usize,
    result: Option<Result<Vec<u8>, Jffs2DataError>>,
}

/// Decompresses, on every core, the data nodes of the regular files among `entries[first..]`
/// not built yet, about [`DECODE_AHEAD_BYTES`] of output at a time, into `decoded`; returns
/// the index of the first entry not considered. [`build_contents`] takes them from there, in
/// its own order, so the result is that of decompressing node by node.
fn decode_ahead(
    data: &[u8],
    found: &Scan,
    entries: &[(Vec<u8>, Dirent)],
    first: usize,
    built: &HashMap<u32, Vec<u8>>,
    decoded: &mut Decoded,
) -> usize {
    let mut work: Vec<NodeWork<'_>> = Vec::new();
    let mut inodes = HashSet::new();
    let mut bytes = 0u64;
    let mut next = first;
    while let Some((_, entry)) = entries.get(next) {
        if bytes >= DECODE_AHEAD_BYTES {
            break;
        }
        next += 1;
        let Some(nodes) = found.inodes.get(&entry.ino) else {
            continue;
        };
        let regular = nodes
            .last()
            .is_some_and(|node| node.mode & S_IFMT == S_IFREG);
        if !regular || built.contains_key(&entry.ino) || !inodes.insert(entry.ino) {
            continue;
        }
        for node in nodes.iter().filter(|node| holds_data(node)) {
            if decoded.contains_key(&node.data_start) {
                continue;
            }
            bytes = bytes.saturating_add(u64::from(node.dsize));
            work.push(NodeWork {
                data_start: node.data_start,
                compr: node.compr,
                payload: payload(data, node),
                dsize: node.dsize as usize,
                result: None,
            });
        }
    }
    let stored: u64 = work.iter().map(|node| node.payload.len() as u64).sum();
    parallel::for_each(
        &mut work,
        parallel::threads_for(stored),
        || (),
        |_, node| node.result = Some(decompress_node(node.compr, node.payload, node.dsize)),
    );
    for node in work {
        if let Some(result) = node.result {
            decoded.insert(node.data_start, result);
        }
    }
    next
}

/// Rebuilds one regular file from its nodes (sorted by version), at most `cap` bytes long,
/// taking nodes decompressed ahead from `decoded`. Returns the contents and whether the cap
/// cut them.
fn build_contents(
    data: &[u8],
    nodes: &[InodeNode],
    cap: usize,
    errors: &mut BTreeMap<String, u64>,
    decoded: &mut Decoded,
) -> (Vec<u8>, bool) {
    let mut fragments = Fragments::default();
    let mut capped = false;
    let mut size = 0usize;
    for node in nodes {
        let offset = node.offset as usize;
        let dsize = node.dsize as usize;
        let end = offset.saturating_add(dsize);
        if end > cap {
            capped = true;
        }
        if dsize == 0 {
            // A metadata-only node (a truncation or attribute change).
        } else if node.compr == COMPR_ZERO {
            // A hole: whatever was written there before reads as zeros now.
            fragments.punch(offset.min(cap), end.min(cap));
        } else if dsize > MAX_NODE_DATA {
            *errors
                .entry(format!("data node claims {dsize} bytes"))
                .or_default() += 1;
        } else if offset < cap {
            let result = decoded
                .remove(&node.data_start)
                .unwrap_or_else(|| decompress_node(node.compr, payload(data, node), dsize));
            match result {
                Ok(mut bytes) => {
                    bytes.truncate(cap - offset);
                    fragments.write(offset, bytes);
                }
                Err(error) => *errors.entry(error.to_string()).or_default() += 1,
            }
        }
        // Every node records the file's size when it was written; a smaller size than before
        // is a truncation (a later extension reads as a hole).
        size = node.isize as usize;
        fragments.truncate(size.min(cap));
    }
    if size > cap {
        capped = true;
    }
    (fragments.into_contents(size.min(cap)), capped)
}

/// Unpacks a jffs2 image into a tree.
pub fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let endian = (0..data.len().saturating_sub(HEADER_LEN))
        .step_by(4)
        .find_map(|at| header_endian(data, at))
        .ok_or_else(|| UnpackError::new("no jffs2 node with a valid header"))?;
    let mut found = scan(data, endian);
    if found.valid_nodes == 0 {
        return Err(UnpackError::new("no valid jffs2 node"));
    }
    report_scan(&found, ctx);

    // Versions in order, so later nodes override earlier ones.
    for nodes in found.inodes.values_mut() {
        nodes.sort_by_key(|node| node.version);
    }
    let mut children: BTreeMap<u32, Vec<(Vec<u8>, Dirent)>> = BTreeMap::new();
    for ((parent, name), entry) in &found.dirents {
        if entry.ino != 0 {
            children
                .entry(*parent)
                .or_default()
                .push((name.clone(), entry.clone()));
        }
    }

    // Name order, so the output (and which file a limit cuts) does not depend on hashing.
    for entries in children.values_mut() {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
    }

    let mut tree = Tree::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut visited: HashSet<u32> = HashSet::from([ROOT_INO]);
    let mut contents_cache: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut decoded: Decoded = HashMap::new();
    let mut pending: Vec<(u32, String, usize)> = vec![(ROOT_INO, String::new(), 0)];
    while let Some((dir_ino, prefix, depth)) = pending.pop() {
        let Some(entries) = children.get(&dir_ino) else {
            continue;
        };
        // Nodes decoded ahead for another directory's files are not needed any more.
        decoded.clear();
        let mut decoded_up_to = 0usize;
        for (index, (name, entry)) in entries.iter().enumerate() {
            let name = String::from_utf8_lossy(name);
            if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
                ctx.diagnostic(format!("jffs2: entry with unusable name {name:?} skipped"));
                continue;
            }
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let nodes = found
                .inodes
                .get(&entry.ino)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let latest = nodes.last();
            let mode = match latest {
                Some(node) => node.mode,
                None => match entry.kind {
                    DT_DIR => S_IFDIR | 0o755,
                    DT_LNK => S_IFLNK | 0o777,
                    DT_REG => S_IFREG | 0o644,
                    _ => 0,
                },
            };
            match mode & S_IFMT {
                S_IFDIR => {
                    if !visited.insert(entry.ino) {
                        ctx.diagnostic(format!(
                            "jffs2: directory {path} repeats inode {}; not followed again",
                            entry.ino
                        ));
                        continue;
                    }
                    if !ctx.add_node(&mut tree, &path, Node::Dir { mode }) {
                        continue;
                    }
                    if depth + 1 >= MAX_DIR_DEPTH {
                        ctx.diagnostic(format!(
                            "jffs2: directories nested deeper than {MAX_DIR_DEPTH} at {path}"
                        ));
                    } else {
                        pending.push((entry.ino, path, depth + 1));
                    }
                }
                S_IFLNK => {
                    let target = match latest {
                        Some(node) => {
                            let payload = data
                                .get(node.data_start..node.data_start.saturating_add(node.data_len))
                                .unwrap_or_default();
                            let dsize = (node.dsize as usize).min(MAX_NODE_DATA);
                            match decompress_node(node.compr, payload, dsize) {
                                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                                Err(error) => {
                                    *errors.entry(error.to_string()).or_default() += 1;
                                    continue;
                                }
                            }
                        }
                        None => {
                            ctx.diagnostic(format!("jffs2: symlink {path} has no inode node"));
                            continue;
                        }
                    };
                    ctx.add_node(&mut tree, &path, Node::Symlink { target });
                }
                S_IFREG => {
                    let contents = if let Some(cached) = contents_cache.get(&entry.ino) {
                        cached.clone()
                    } else {
                        if index >= decoded_up_to {
                            decoded_up_to = decode_ahead(
                                data,
                                &found,
                                entries,
                                index,
                                &contents_cache,
                                &mut decoded,
                            );
                        }
                        let cap = usize::try_from(ctx.budget.bytes_left()).unwrap_or(usize::MAX);
                        let (contents, capped) =
                            build_contents(data, nodes, cap, &mut errors, &mut decoded);
                        if capped {
                            ctx.limit_hit(LimitHit::TotalBytes(
                                ctx.budget.limits().max_total_bytes,
                            ));
                        }
                        contents_cache.insert(entry.ino, contents.clone());
                        contents
                    };
                    let (uid, gid) = latest.map(|node| (node.uid, node.gid)).unwrap_or((0, 0));
                    ctx.add_file(
                        &mut tree,
                        &path,
                        FileEntry {
                            data: contents,
                            mode,
                            uid,
                            gid,
                        },
                    );
                }
                _ => {
                    ctx.add_node(&mut tree, &path, Node::Special { mode });
                }
            }
        }
    }
    let orphans = children.keys().filter(|ino| !visited.contains(ino)).count();
    if orphans > 0 {
        ctx.diagnostic(format!(
            "jffs2: {orphans} directories hold entries but are not reachable from the root"
        ));
    }
    for (error, count) in errors {
        ctx.diagnostic(format!("jffs2: {count} data nodes unreadable: {error}"));
    }

    // Erased flash after the last node belongs to the file system too.
    let mut consumed = align4(found.end).min(data.len());
    while data.get(consumed) == Some(&0xFF) {
        consumed += 1;
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}

fn report_scan(found: &Scan, ctx: &mut UnpackContext<'_>) {
    let counts = [
        (found.bad_header_crcs, "node headers with a bad CRC skipped"),
        (found.bad_node_crcs, "nodes with a bad node CRC skipped"),
        (
            found.bad_data_crcs,
            "nodes with a bad data or name CRC skipped",
        ),
        (
            found.truncated_nodes,
            "nodes cut short by the end of the image skipped",
        ),
        (
            found.unknown_nodes,
            "nodes of an unknown incompatible type ignored",
        ),
        (
            found.other_order_nodes,
            "nodes in the other byte order ignored",
        ),
    ];
    for (count, what) in counts {
        if count > 0 {
            ctx.diagnostic(format!("jffs2: {count} {what}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_kernel_convention() {
        // crc32(0, "123456789") without inversions, as the kernel's crc32_le computes it.
        assert_eq!(jffs2_crc(b""), 0);
        assert_eq!(jffs2_crc(b"123456789"), 0x2DFD_2D88);
    }

    #[test]
    fn rtime_round_trip_by_hand() {
        // "ab" then "ab" again: 'a' 0, 'b' 0, 'a' repeat 1 ('b' from after the first 'a').
        assert_eq!(
            rtime_decompress(&[b'a', 0, b'b', 0, b'a', 1], 4).unwrap(),
            b"abab"
        );
        assert!(rtime_decompress(&[b'a', 200], 4).is_err());
        assert!(rtime_decompress(b"a", 4).is_err());
    }

    #[test]
    fn fragments_overlap_punch_and_truncate() {
        let mut fragments = Fragments::default();
        fragments.write(0, b"aaaaaaaaaa".to_vec());
        fragments.write(3, b"bbb".to_vec());
        fragments.write(8, b"cccc".to_vec());
        fragments.punch(1, 2);
        assert_eq!(fragments.by_start.len(), 5);
        fragments.truncate(10);
        fragments.write(20, b"d".to_vec());
        fragments.truncate(21);
        assert_eq!(
            fragments.into_contents(22),
            b"a\0abbbaacc\0\0\0\0\0\0\0\0\0\0d\0"
        );
    }

    #[test]
    fn junk_is_not_jffs2() {
        assert!(!probe(&[0x85, 0x19, 0x02, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!probe(&[0x85, 0x19]));
        let budget = crate::limits::Budget::new(crate::limits::Limits::default());
        let mut ctx = UnpackContext::new(&budget);
        assert!(unpack(&[0xFF; 64], &mut ctx).is_err());
    }
}
