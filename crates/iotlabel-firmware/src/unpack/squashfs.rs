//! Squashfs: identification and unpacking of 4.0 (gzip, lzma, lzo, xz, lz4, zstd; both byte
//! orders, the big-endian one being AVM's) and of the legacy 3.x and 2.x layouts (both byte
//! orders, zlib and the vendor LZMA variants) into the virtual tree.
//!
//! Our own reader, not the `backhand` crate: backhand reads every inode, directory and
//! fragment table into memory up front, sizing its allocations from the superblock's counts,
//! and has no LZMA-in-2.x/3.x support at all, so it could not be bounded by our budget nor
//! cover the legacy layouts; one reader for all versions shares the metadata cache, the
//! bounded block decompression and the cycle-safe tree walk. Format facts follow the squashfs
//! on-disk layout documentation; no code is taken from other projects.
//!
//! Hostile input: every offset and length is checked against the image before use, each
//! metadata block inflates to at most 8 KiB and each data block to at most the block size,
//! the metadata decompressed in total is capped, a directory is expanded at most once (so
//! reference cycles end), paths nest at most [`MAX_DEPTH`] deep, and every produced file or
//! node goes through [`UnpackContext`] (budget and path sanitising). A damaged image yields
//! whatever could be read plus diagnostics.
//!
//! Speed: the walk reads metadata only and stages each file; data blocks and fragments are
//! then decoded on every core straight into the files' buffers (`data.rs`), with the same
//! tree, diagnostics and limits as a block-after-block read.

mod codec;
mod data;
mod legacy;
mod v4;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub use codec::Compression;

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{Node, Tree};

/// Squashfs 4.0 (Linux 2.6.29 and later), little-endian or AVM's big-endian variant.
pub const SQUASHFS_V4: Format = Format {
    id: "squashfs",
    description: "squashfs 4.0 file system (gzip, lzma, lzo, xz, lz4, zstd)",
    magics: &[b"hsqs", b"sqsh"],
    magic_offset: 0,
    probe: probe_v4,
    unpack,
};

/// Squashfs 3.x, either byte order, zlib or LZMA.
pub const SQUASHFS_V3: Format = Format {
    id: "squashfs-v3",
    description: "squashfs 3.x file system (zlib or LZMA)",
    magics: &[b"hsqs", b"sqsh"],
    magic_offset: 0,
    probe: probe_v3,
    unpack,
};

/// Squashfs 2.x, either byte order, zlib or LZMA.
pub const SQUASHFS_V2: Format = Format {
    id: "squashfs-v2",
    description: "squashfs 2.x file system (zlib or LZMA)",
    magics: &[b"hsqs", b"sqsh"],
    magic_offset: 0,
    probe: probe_v2,
    unpack,
};

/// Size of a decompressed metadata block.
const METADATA_BLOCK_SIZE: usize = 8192;
/// Most metadata (inodes, directories, tables) one image may inflate to, in total.
const MAX_METADATA_BYTES: u64 = 64 << 20;
/// Output any image may produce whatever its size (the ratio limit applies beyond).
const MIN_OUTPUT_ALLOWANCE: u64 = 1 << 20;
/// Deepest directory nesting followed.
pub const MAX_DEPTH: usize = 256;
/// Data block size bit meaning "stored uncompressed" (all versions).
const BLOCK_UNCOMPRESSED: u32 = 1 << 24;
/// Fragment index meaning "no fragment".
const NO_FRAGMENT: u32 = 0xffff_ffff;
/// mksquashfs pads images to a multiple of this.
const PADDING: u64 = 4096;

/// Byte order of an image (squashfs images are written in the byte order of the host that
/// made them; 4.0 is little-endian except AVM's big-endian variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

/// What the superblock says about an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquashfsInfo {
    pub major: u16,
    pub minor: u16,
    pub byte_order: ByteOrder,
    pub compression: Compression,
    pub inode_count: u32,
    pub block_size: u32,
    /// Bytes of the image proper, before padding.
    pub bytes_used: u64,
}

/// Reads and sanity-checks the superblock of a squashfs image of any supported version.
pub fn superblock_info(data: &[u8]) -> Result<SquashfsInfo, UnpackError> {
    parse_superblock(data).map(|superblock| superblock.info)
}

fn probe_v4(data: &[u8]) -> bool {
    matches!(parse_superblock(data), Ok(superblock) if superblock.info.major == 4)
}

fn probe_v3(data: &[u8]) -> bool {
    matches!(parse_superblock(data), Ok(superblock) if superblock.info.major == 3)
}

fn probe_v2(data: &[u8]) -> bool {
    matches!(parse_superblock(data), Ok(superblock) if superblock.info.major == 2)
}

/// The version-independent view of a superblock.
#[derive(Debug, Clone)]
struct Superblock {
    info: SquashfsInfo,
    root_inode: u64,
    inode_table: u64,
    directory_table: u64,
    fragment_table: u64,
    fragment_count: u32,
    /// 4.0: the id table (index of metadata blocks). Legacy: the plain uid array.
    id_table: u64,
    id_count: u32,
    /// Legacy only: the plain gid array.
    gid_table: u64,
    gid_count: u32,
    /// Legacy images made with the "check" option carry a marker byte after each metadata
    /// block header.
    check_marker: bool,
}

fn parse_superblock(data: &[u8]) -> Result<Superblock, UnpackError> {
    let order = match data.get(..4) {
        Some(b"hsqs") => ByteOrder::Little,
        Some(b"sqsh") => ByteOrder::Big,
        _ => return Err(UnpackError::new("not a squashfs image (no magic)")),
    };
    let major = read_u16(data, 28, order)
        .ok_or_else(|| UnpackError::new("squashfs superblock truncated"))?;
    let superblock = match major {
        4 => v4::parse_superblock(data, order)?,
        2 | 3 => legacy::parse_superblock(data, order, major)?,
        other => {
            return Err(UnpackError::new(format!(
                "squashfs version {other} is not supported"
            )));
        }
    };
    check_superblock(&superblock, data.len())?;
    Ok(superblock)
}

/// Checks shared by all versions, so carving does not accept random bytes after a magic.
fn check_superblock(superblock: &Superblock, data_len: usize) -> Result<(), UnpackError> {
    let info = &superblock.info;
    let fail = |why: &str| {
        Err(UnpackError::new(format!(
            "implausible squashfs superblock: {why}"
        )))
    };
    if !info.block_size.is_power_of_two() || !(4096..=1 << 20).contains(&info.block_size) {
        return fail("block size is not a power of two between 4 KiB and 1 MiB");
    }
    if info.inode_count == 0 || u64::from(info.inode_count) > info.bytes_used {
        return fail("inode count does not fit the image size");
    }
    if superblock.inode_table >= superblock.directory_table
        || superblock.directory_table >= info.bytes_used
    {
        return fail("inode and directory tables out of order or past the end");
    }
    if superblock.inode_table >= data_len as u64 {
        return fail("inode table lies past the end of the data");
    }
    let root_block = superblock.root_inode >> 16;
    if superblock.inode_table.saturating_add(root_block) >= superblock.directory_table {
        return fail("root inode lies outside the inode table");
    }
    Ok(())
}

/// Unpacks a squashfs image of any supported version.
pub fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let superblock = parse_superblock(data)?;
    let info = superblock.info.clone();
    let end = usize::try_from(info.bytes_used)
        .unwrap_or(usize::MAX)
        .min(data.len());
    if (end as u64) < info.bytes_used {
        ctx.diagnostic(format!(
            "squashfs image truncated: superblock says {} bytes, {} present",
            info.bytes_used,
            data.len()
        ));
    }
    let image = data.get(..end).unwrap_or(data);
    let mut reader = Reader::new(image, &superblock, ctx.budget.limits().max_ratio);
    reader.load_ids(&superblock, ctx);
    let mut tree = Tree::new();
    let root_read = reader.walk(superblock.root_inode, ctx, &mut tree);
    let problems = reader.take_problems();
    if !root_read {
        // Not even the root directory: nothing usable, most likely not a real image.
        let reason = problems.first().cloned().unwrap_or_default();
        for message in problems {
            ctx.diagnostic(message);
        }
        return Err(UnpackError::new(format!("squashfs unreadable: {reason}")));
    }
    for message in problems {
        ctx.diagnostic(message);
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed_length(data, info.bytes_used),
    })
}

/// `bytes_used`, extended over the zero padding mksquashfs adds up to the next 4 KiB, so the
/// padding is not handed back as trailing data (but data right after an unpadded image is).
fn consumed_length(data: &[u8], bytes_used: u64) -> u64 {
    let len = data.len() as u64;
    let end = bytes_used.min(len);
    let padded = end.div_ceil(PADDING).saturating_mul(PADDING).min(len);
    let start = usize::try_from(end).unwrap_or(usize::MAX);
    let stop = usize::try_from(padded).unwrap_or(usize::MAX);
    match data.get(start..stop) {
        Some(padding) if padding.iter().all(|byte| *byte == 0) => padded,
        _ => end,
    }
}

pub(crate) fn read_u16(data: &[u8], at: usize, order: ByteOrder) -> Option<u16> {
    let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(match order {
        ByteOrder::Little => u16::from_le_bytes(bytes),
        ByteOrder::Big => u16::from_be_bytes(bytes),
    })
}

pub(crate) fn read_u32(data: &[u8], at: usize, order: ByteOrder) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(match order {
        ByteOrder::Little => u32::from_le_bytes(bytes),
        ByteOrder::Big => u32::from_be_bytes(bytes),
    })
}

pub(crate) fn read_u64(data: &[u8], at: usize, order: ByteOrder) -> Option<u64> {
    let bytes: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(match order {
        ByteOrder::Little => u64::from_le_bytes(bytes),
        ByteOrder::Big => u64::from_be_bytes(bytes),
    })
}

/// One decompressed metadata block and where the next one starts.
#[derive(Debug)]
struct MetadataBlock {
    data: Vec<u8>,
    next: u64,
}

/// A position in a metadata table: absolute offset of a block header, offset in its
/// decompressed contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MetaCursor {
    block: u64,
    offset: usize,
}

/// What an inode is.
#[derive(Debug)]
enum InodeKind {
    Dir {
        /// Relative to the directory table.
        start_block: u64,
        offset: usize,
        /// Bytes of directory listing.
        listing_size: u64,
    },
    File(FileInode),
    Symlink {
        target: Vec<u8>,
    },
    /// Device, FIFO or socket: the S_IFMT bits.
    Special {
        type_bits: u32,
    },
}

#[derive(Debug)]
struct FileInode {
    /// Absolute offset of the first data block.
    blocks_start: u64,
    size: u64,
    /// Fragment index and offset inside the fragment block.
    fragment: Option<(u32, u32)>,
    /// Where the block list starts in the inode table (read only when the file is read).
    block_list: MetaCursor,
    block_count: u64,
}

#[derive(Debug)]
struct Inode {
    kind: InodeKind,
    permissions: u32,
    uid_index: u32,
    /// `None`: same as the uid (legacy images).
    gid_index: Option<u32>,
}

/// One directory entry: its name and inode reference (block relative to the inode table,
/// offset in the decompressed block).
#[derive(Debug)]
struct DirEntry {
    name: Vec<u8>,
    inode_block: u64,
    inode_offset: usize,
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;
const S_IFIFO: u32 = 0o010000;
const S_IFSOCK: u32 = 0o140000;

/// Reads one image: the layout-independent parts (metadata blocks, file data, the walk).
#[derive(Debug)]
struct Reader<'a> {
    data: &'a [u8],
    order: ByteOrder,
    major: u16,
    compression: Compression,
    block_size: u32,
    inode_table: u64,
    directory_table: u64,
    fragment_table: u64,
    fragment_count: u32,
    check_marker: bool,
    metadata: HashMap<u64, Rc<MetadataBlock>>,
    metadata_bytes: u64,
    fragment_blocks: HashMap<u64, Rc<Vec<u8>>>,
    uids: Vec<u32>,
    gids: Vec<u32>,
    /// File bytes this image may still produce (input size times the ratio limit).
    output_left: u64,
    problems: Vec<String>,
    /// What the walk met since the last settle, in walk order (see `data`).
    staged: Vec<data::Staged>,
    /// Sizes of the staged files, reserved against the budget and `output_left`.
    reserved: u64,
    /// Fragment blocks decoded ahead by a settle, by start offset, not yet charged.
    predecoded: HashMap<u64, Result<Vec<u8>, String>>,
}

/// Most problems reported for one image (a badly damaged image repeats itself).
const MAX_PROBLEMS: usize = 64;

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], superblock: &Superblock, max_ratio: u64) -> Reader<'a> {
        Reader {
            data,
            order: superblock.info.byte_order,
            major: superblock.info.major,
            compression: superblock.info.compression,
            block_size: superblock.info.block_size,
            inode_table: superblock.inode_table,
            directory_table: superblock.directory_table,
            fragment_table: superblock.fragment_table,
            fragment_count: superblock.fragment_count,
            check_marker: superblock.check_marker,
            metadata: HashMap::new(),
            metadata_bytes: 0,
            fragment_blocks: HashMap::new(),
            uids: Vec::new(),
            gids: Vec::new(),
            output_left: (data.len() as u64)
                .saturating_mul(max_ratio)
                .max(MIN_OUTPUT_ALLOWANCE),
            problems: Vec::new(),
            staged: Vec::new(),
            reserved: 0,
            predecoded: HashMap::new(),
        }
    }

    fn problem(&mut self, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(message);
        } else if self.problems.len() == MAX_PROBLEMS {
            self.problems
                .push("further squashfs problems not reported".to_owned());
        }
    }

    fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    fn load_ids(&mut self, superblock: &Superblock, ctx: &mut UnpackContext<'_>) {
        let result = if self.major == 4 {
            v4::read_id_table(self, superblock.id_table, superblock.id_count).map(|ids| {
                self.uids = ids;
            })
        } else {
            legacy::read_plain_ids(self, superblock.id_table, superblock.id_count)
                .and_then(|uids| {
                    self.uids = uids;
                    legacy::read_plain_ids(self, superblock.gid_table, superblock.gid_count)
                })
                .map(|gids| {
                    self.gids = gids;
                })
        };
        if let Err(message) = result {
            ctx.diagnostic(format!(
                "squashfs id table unreadable ({message}): ids set to 0"
            ));
        }
    }

    fn slice(&self, start: u64, len: u64) -> Result<&'a [u8], String> {
        data::slice_of(self.data, start, len)
    }

    /// The decompressed metadata block whose header sits at absolute offset `at`.
    fn metadata_block(&mut self, at: u64) -> Result<Rc<MetadataBlock>, String> {
        if let Some(block) = self.metadata.get(&at) {
            return Ok(Rc::clone(block));
        }
        let header_at = usize::try_from(at).map_err(|_| "metadata offset too large".to_owned())?;
        // 4.0 metadata block headers are little-endian even in AVM's big-endian images.
        let header_order = if self.major == 4 {
            ByteOrder::Little
        } else {
            self.order
        };
        let header = read_u16(self.data, header_at, header_order)
            .ok_or_else(|| format!("metadata block header at {at} lies outside the image"))?;
        let stored = header & 0x8000 != 0;
        let size = u64::from(header & 0x7fff);
        let body_start = at.saturating_add(2 + u64::from(self.check_marker));
        if size == 0 {
            return Err(format!("empty metadata block at {at}"));
        }
        let body = self.slice(body_start, size)?;
        let data = if stored {
            body.to_vec()
        } else {
            let mut out = Vec::new();
            codec::decompress(self.compression, body, METADATA_BLOCK_SIZE, None, &mut out)
                .map_err(|error| format!("metadata block at {at}: {error}"))?;
            out
        };
        self.metadata_bytes = self.metadata_bytes.saturating_add(data.len() as u64);
        if self.metadata_bytes > MAX_METADATA_BYTES {
            return Err(format!(
                "metadata inflates past {MAX_METADATA_BYTES} bytes: image refused as a bomb"
            ));
        }
        let block = Rc::new(MetadataBlock {
            data,
            next: body_start.saturating_add(size),
        });
        self.metadata.insert(at, Rc::clone(&block));
        Ok(block)
    }

    /// Reads `len` bytes of metadata at `cursor`, advancing it across block boundaries.
    fn read_metadata(&mut self, cursor: &mut MetaCursor, len: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(len.min(METADATA_BLOCK_SIZE));
        while out.len() < len {
            let block = self.metadata_block(cursor.block)?;
            let available = block.data.len().saturating_sub(cursor.offset);
            if available == 0 {
                if cursor.offset > block.data.len() {
                    return Err(format!(
                        "metadata offset {} past the end of the block at {}",
                        cursor.offset, cursor.block
                    ));
                }
                cursor.block = block.next;
                cursor.offset = 0;
                continue;
            }
            let take = available.min(len - out.len());
            let start = cursor.offset;
            if let Some(chunk) = block.data.get(start..start + take) {
                out.extend_from_slice(chunk);
            }
            cursor.offset += take;
        }
        Ok(out)
    }

    fn read_inode(&mut self, block: u64, offset: usize) -> Result<Inode, String> {
        let mut cursor = MetaCursor {
            block: self
                .inode_table
                .checked_add(block)
                .ok_or("inode reference overflows")?,
            offset,
        };
        if self.major == 4 {
            v4::read_inode(self, &mut cursor)
        } else {
            legacy::read_inode(self, &mut cursor)
        }
    }

    fn read_directory(
        &mut self,
        start_block: u64,
        offset: usize,
        listing_size: u64,
    ) -> Result<Vec<DirEntry>, String> {
        let mut cursor = MetaCursor {
            block: self
                .directory_table
                .checked_add(start_block)
                .ok_or("directory reference overflows")?,
            offset,
        };
        if self.major == 4 {
            v4::read_directory(self, &mut cursor, listing_size)
        } else {
            legacy::read_directory(self, &mut cursor, listing_size)
        }
    }

    /// Absolute start and size word of fragment block `index`.
    fn fragment_entry(&mut self, index: u32) -> Result<(u64, u32), String> {
        if index >= self.fragment_count {
            return Err(format!(
                "fragment {index} out of range ({} fragments)",
                self.fragment_count
            ));
        }
        if self.major == 4 {
            v4::fragment_entry(self, index)
        } else {
            legacy::fragment_entry(self, index)
        }
    }

    fn uid(&self, index: u32) -> u32 {
        usize::try_from(index)
            .ok()
            .and_then(|index| self.uids.get(index))
            .copied()
            .unwrap_or(0)
    }

    fn gid(&self, inode: &Inode) -> u32 {
        match inode.gid_index {
            None => self.uid(inode.uid_index),
            Some(index) => {
                let table = if self.major == 4 {
                    &self.uids
                } else {
                    &self.gids
                };
                usize::try_from(index)
                    .ok()
                    .and_then(|index| table.get(index))
                    .copied()
                    .unwrap_or(0)
            }
        }
    }

    fn fragment_block(&mut self, index: u32) -> Result<Rc<Vec<u8>>, String> {
        let (start, word) = self.fragment_entry(index)?;
        if let Some(block) = self.fragment_blocks.get(&start) {
            return Ok(Rc::clone(block));
        }
        let data = match self.predecoded.remove(&start) {
            Some(decoded) => decoded?,
            None => data::decode_fragment(
                self.data,
                self.compression,
                self.block_size as usize,
                start,
                word,
            )?,
        };
        self.metadata_bytes = self.metadata_bytes.saturating_add(data.len() as u64);
        if self.metadata_bytes > MAX_METADATA_BYTES {
            return Err("fragments inflate past the metadata limit".to_owned());
        }
        let block = Rc::new(data);
        self.fragment_blocks.insert(start, Rc::clone(&block));
        Ok(block)
    }

    /// Walks the tree from the root directory, adding every entry to `tree`. False when the
    /// root directory itself could not be read.
    fn walk(&mut self, root_inode: u64, ctx: &mut UnpackContext<'_>, tree: &mut Tree) -> bool {
        let root_block = root_inode >> 16;
        let root_offset = (root_inode & 0xffff) as usize;
        let root = match self.read_inode(root_block, root_offset) {
            Ok(inode) => inode,
            Err(error) => {
                self.problem(format!("root inode unreadable: {error}"));
                return false;
            }
        };
        let InodeKind::Dir {
            start_block,
            offset,
            listing_size,
        } = root.kind
        else {
            self.problem("root inode is not a directory".to_owned());
            return false;
        };
        self.walk_directories(
            (root_block, root_offset),
            (start_block, offset, listing_size),
            ctx,
            tree,
        );
        // Whatever the walk staged is decoded and added, also when it stopped at a limit.
        self.settle(ctx, tree);
        true
    }

    /// The walk below the root directory: stages every entry (see `data`).
    fn walk_directories(
        &mut self,
        (root_block, root_offset): (u64, usize),
        (start_block, offset, listing_size): (u64, usize, u64),
        ctx: &mut UnpackContext<'_>,
        tree: &mut Tree,
    ) {
        let max_entries = ctx.budget.limits().max_files.saturating_mul(2);
        let mut visited_entries = 0u64;
        let mut expanded: HashSet<(u64, usize)> = HashSet::new();
        expanded.insert((root_block, root_offset));
        let mut pending: Vec<(String, u64, usize, u64, usize)> =
            vec![(String::new(), start_block, offset, listing_size, 0)];
        while let Some((path, start_block, offset, listing_size, depth)) = pending.pop() {
            let entries = match self.read_directory(start_block, offset, listing_size) {
                Ok(entries) => entries,
                Err(error) => {
                    let shown = if path.is_empty() { "/" } else { path.as_str() };
                    self.note(format!("directory {shown}: {error}"));
                    continue;
                }
            };
            for entry in entries {
                // Directory entries can share listings and inodes, so a hostile image could
                // make the walk repeat work without producing anything: stop once the file
                // limit is reached, or after twice that many entries were looked at.
                visited_entries += 1;
                if visited_entries > max_entries {
                    self.note(format!(
                        "walk stopped after {max_entries} directory entries"
                    ));
                    return;
                }
                if ctx.budget.files_used() >= ctx.budget.limits().max_files {
                    ctx.limit_hit(LimitHit::Files(ctx.budget.limits().max_files));
                    return;
                }
                let name = String::from_utf8_lossy(&entry.name).into_owned();
                if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                    self.note(format!("entry with invalid name {name:?} skipped"));
                    continue;
                }
                let child = if path.is_empty() {
                    name
                } else {
                    format!("{path}/{name}")
                };
                let inode = match self.read_inode(entry.inode_block, entry.inode_offset) {
                    Ok(inode) => inode,
                    Err(error) => {
                        self.note(format!("{child}: inode unreadable: {error}"));
                        continue;
                    }
                };
                let uid = self.uid(inode.uid_index);
                let gid = self.gid(&inode);
                let permissions = inode.permissions & 0o7777;
                match inode.kind {
                    InodeKind::Dir {
                        start_block,
                        offset,
                        listing_size,
                    } => {
                        if !expanded.insert((entry.inode_block, entry.inode_offset)) {
                            self.note(format!(
                                "{child}: directory already visited (reference cycle), skipped"
                            ));
                            continue;
                        }
                        if depth + 1 >= MAX_DEPTH {
                            self.note(format!("{child}: nesting deeper than {MAX_DEPTH}"));
                            continue;
                        }
                        let mode = S_IFDIR | permissions;
                        if self.stage_node(ctx, &child, Node::Dir { mode }) {
                            pending.push((child, start_block, offset, listing_size, depth + 1));
                        }
                    }
                    InodeKind::File(file) => {
                        let owner = (S_IFREG | permissions, uid, gid);
                        match self.stage_file(&file, &child, owner, ctx, tree) {
                            Ok(()) => {}
                            Err(LimitOrError::Limit(hit)) => ctx.limit_hit(hit),
                            Err(LimitOrError::Error(error)) => {
                                self.note(format!("{child}: {error}"));
                            }
                        }
                    }
                    InodeKind::Symlink { target } => {
                        let target = String::from_utf8_lossy(&target).into_owned();
                        self.stage_node(ctx, &child, Node::Symlink { target });
                    }
                    InodeKind::Special { type_bits } => {
                        let mode = type_bits | permissions;
                        self.stage_node(ctx, &child, Node::Special { mode });
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
enum LimitOrError {
    Limit(LimitHit),
    Error(String),
}

/// Number of data blocks a file of `size` bytes has: whole blocks, plus the tail when it is
/// not stored in a fragment.
fn block_count(size: u64, block_size: u32, has_fragment: bool) -> u64 {
    let block_size = u64::from(block_size.max(1));
    if has_fragment {
        size / block_size
    } else {
        size.div_ceil(block_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_consumed_only_when_zero() {
        let mut data = vec![0u8; 8192];
        assert_eq!(consumed_length(&data, 100), 4096);
        data[200] = 1;
        assert_eq!(consumed_length(&data, 100), 100);
        assert_eq!(consumed_length(&data[..150], 100), 150);
        assert_eq!(consumed_length(&data[..50], 100), 50);
    }

    #[test]
    fn block_counts() {
        assert_eq!(block_count(0, 4096, false), 0);
        assert_eq!(block_count(4097, 4096, false), 2);
        assert_eq!(block_count(4097, 4096, true), 1);
    }

    #[test]
    fn random_bytes_after_a_magic_are_refused() {
        let mut data = b"hsqs".to_vec();
        data.extend((0..200u32).map(|i| (i * 37 % 251) as u8));
        assert!(superblock_info(&data).is_err());
        assert!(superblock_info(b"sqsh").is_err());
        assert!(superblock_info(b"").is_err());
    }
}
