//! cramfs reader, both byte orders: superblock, inode tree, zlib-compressed blocks (4 KiB or
//! larger) with their block pointer table (including the "extended" direct/uncompressed
//! pointers and holes), and images made with a 512-byte boot pad.
//!
//! Written here rather than taken from a crate: no maintained crate reads cramfs from a byte
//! slice, handles big-endian images or can be bounded against hostile input.

use std::collections::HashSet;

use flate2::{Decompress, FlushDecompress, Status};

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree};

/// The cramfs format: magic 0x28cd3d45 in either byte order at offset 0.
pub const FORMAT: Format = Format {
    id: "cramfs",
    description: "cramfs compressed read-only file system (little- or big-endian)",
    magics: &[&[0x45, 0x3d, 0xcd, 0x28], &[0x28, 0xcd, 0x3d, 0x45]],
    magic_offset: 0,
    probe,
    unpack,
};

const MAGIC: u32 = 0x28cd_3d45;
const SIGNATURE: &[u8; 16] = b"Compressed ROMFS";
const SUPERBLOCK_LEN: usize = 64;
/// Room `mkcramfs -p` leaves for boot code before the superblock.
const BOOT_PAD: usize = 512;
const INODE_LEN: usize = 12;
/// Block sizes files may be cut into: one 4 KiB page by default, larger with `mkfs.cramfs -b`
/// (for kernels with bigger pages). The superblock does not say which; see `read_contents`.
const BLOCK_SIZES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
const DEFAULT_BLOCK_SIZE: usize = 4096;
/// Deeper directory nesting than this is treated as damage.
const MAX_DEPTH: usize = 256;
/// Longest symlink target kept (the kernel's PATH_MAX).
const MAX_LINK_TARGET: usize = 4096;

const FLAG_FSID_VERSION_2: u32 = 0x1;
const FLAG_HOLES: u32 = 0x100;
const FLAG_WRONG_SIGNATURE: u32 = 0x200;
const FLAG_SHIFTED_ROOT_OFFSET: u32 = 0x400;
const FLAG_EXT_BLOCK_POINTERS: u32 = 0x800;
const SUPPORTED_FLAGS: u32 =
    0xff | FLAG_HOLES | FLAG_WRONG_SIGNATURE | FLAG_SHIFTED_ROOT_OFFSET | FLAG_EXT_BLOCK_POINTERS;

const BLOCK_UNCOMPRESSED: u32 = 1 << 31;
const BLOCK_DIRECT: u32 = 1 << 30;
const BLOCK_ADDRESS_MASK: u32 = !(BLOCK_UNCOMPRESSED | BLOCK_DIRECT);

const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

#[derive(Debug, Clone, Copy)]
struct Layout {
    big_endian: bool,
}

impl Layout {
    fn u32_at(self, data: &[u8], offset: usize) -> Option<u32> {
        let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    }

    fn u16_at(self, data: &[u8], offset: usize) -> Option<u16> {
        let bytes: [u8; 2] = data.get(offset..offset.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        })
    }

    /// Decodes the 12-byte inode at `offset`. The on-disk struct is made of C bit fields, so
    /// a big-endian image packs each field from the most significant bit of its word.
    fn inode_at(self, data: &[u8], offset: usize) -> Option<Inode> {
        let word0 = self.u32_at(data, offset)?;
        let word1 = self.u32_at(data, offset.checked_add(4)?)?;
        let word2 = self.u32_at(data, offset.checked_add(8)?)?;
        Some(if self.big_endian {
            Inode {
                mode: word0 >> 16,
                uid: word0 & 0xffff,
                size: word1 >> 8,
                gid: word1 & 0xff,
                name_len: ((word2 >> 26) as usize) * 4,
                offset: ((word2 & 0x03ff_ffff) as usize) * 4,
            }
        } else {
            Inode {
                mode: word0 & 0xffff,
                uid: word0 >> 16,
                size: word1 & 0x00ff_ffff,
                gid: word1 >> 24,
                name_len: ((word2 & 0x3f) as usize) * 4,
                offset: ((word2 >> 6) as usize) * 4,
            }
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Inode {
    mode: u32,
    uid: u32,
    /// File size in bytes; a device number for device nodes.
    size: u32,
    gid: u32,
    /// Name length in bytes (a multiple of 4, NUL padded).
    name_len: usize,
    /// Byte offset of the directory entries or of the file's block pointer table.
    offset: usize,
}

#[derive(Debug, Clone, Copy)]
struct Superblock {
    layout: Layout,
    size: u32,
    flags: u32,
    root_offset: usize,
}

fn read_superblock(data: &[u8]) -> Result<Superblock, String> {
    let layout = match data.get(..4) {
        Some(magic) if magic == MAGIC.to_le_bytes() => Layout { big_endian: false },
        Some(magic) if magic == MAGIC.to_be_bytes() => Layout { big_endian: true },
        _ => return Err("no cramfs magic".to_owned()),
    };
    let size = layout.u32_at(data, 4).ok_or("superblock truncated")?;
    let flags = layout.u32_at(data, 8).ok_or("superblock truncated")?;
    let signature = data.get(16..32).ok_or("superblock truncated")?;
    if signature != SIGNATURE && flags & FLAG_WRONG_SIGNATURE == 0 {
        return Err("cramfs signature missing".to_owned());
    }
    if flags & !SUPPORTED_FLAGS != 0 {
        return Err(format!("unsupported cramfs flags {flags:#x}"));
    }
    if flags & FLAG_FSID_VERSION_2 != 0 && (size as usize) < SUPERBLOCK_LEN + INODE_LEN {
        return Err(format!("cramfs size {size} is smaller than its superblock"));
    }
    let root_offset = if flags & FLAG_SHIFTED_ROOT_OFFSET != 0 {
        512 + SUPERBLOCK_LEN
    } else {
        SUPERBLOCK_LEN
    };
    Ok(Superblock {
        layout,
        size,
        flags,
        root_offset,
    })
}

/// Magic, signature, known flags and a directory as root inode.
fn probe(data: &[u8]) -> bool {
    let Ok(superblock) = read_superblock(data) else {
        return false;
    };
    match superblock.layout.inode_at(data, superblock.root_offset) {
        Some(root) => root.mode & S_IFMT == S_IFDIR && (root.size == 0 || root.offset != 0),
        None => false,
    }
}

/// One directory still to read.
struct PendingDir {
    offset: usize,
    size: usize,
    path: String,
    depth: usize,
}

struct Reader<'a> {
    data: &'a [u8],
    superblock: Superblock,
    /// The furthest byte any structure we read reaches: the image's extent when the header
    /// does not say.
    extent: usize,
    /// Directory entries still allowed. A sound image stores each entry once in at least 12
    /// bytes; directories that overlap each other could otherwise make us read the same
    /// bytes again and again.
    entries_left: usize,
    /// The block size the image's files decoded with so far.
    block_size: usize,
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let superblock = read_superblock(data).map_err(UnpackError::new)?;
    let root = superblock
        .layout
        .inode_at(data, superblock.root_offset)
        .ok_or_else(|| UnpackError::new("cramfs root inode truncated"))?;
    if root.mode & S_IFMT != S_IFDIR {
        return Err(UnpackError::new("cramfs root inode is not a directory"));
    }
    // `mkcramfs -p` leaves 512 bytes for boot code in front of the superblock, and every
    // offset in the image counts from the start of that pad. Its root directory then sits
    // right after the superblock plus the pad. Found at the magic, such an image is read
    // with the pad put back (zeros; only up to the declared size is copied).
    if superblock.flags & FLAG_SHIFTED_ROOT_OFFSET == 0
        && root.offset == BOOT_PAD + SUPERBLOCK_LEN + INODE_LEN
    {
        let declared = (superblock.size as usize).saturating_sub(BOOT_PAD);
        let body = data.get(..declared.min(data.len())).unwrap_or(data);
        let mut padded = vec![0u8; BOOT_PAD];
        padded.extend_from_slice(body);
        let (tree, consumed) = unpack_image(&padded, superblock, root, BOOT_PAD, ctx);
        return Ok(Unpacked::Tree {
            tree,
            consumed: consumed.saturating_sub(BOOT_PAD as u64),
        });
    }
    let (tree, consumed) = unpack_image(data, superblock, root, 0, ctx);
    Ok(Unpacked::Tree { tree, consumed })
}

/// Reads the tree of an image whose superblock sits at `superblock_at`.
fn unpack_image(
    data: &[u8],
    superblock: Superblock,
    root: Inode,
    superblock_at: usize,
    ctx: &mut UnpackContext<'_>,
) -> (Tree, u64) {
    let mut reader = Reader {
        data,
        superblock,
        extent: superblock_at + superblock.root_offset + INODE_LEN,
        entries_left: data.len() / INODE_LEN + 16,
        block_size: DEFAULT_BLOCK_SIZE,
    };
    let mut tree = Tree::new();
    let mut visited: HashSet<usize> = HashSet::new();
    let mut pending = vec![PendingDir {
        offset: root.offset,
        size: root.size as usize,
        path: String::new(),
        depth: 0,
    }];
    while let Some(dir) = pending.pop() {
        if dir.size == 0 {
            continue;
        }
        if !visited.insert(dir.offset) {
            ctx.diagnostic(format!(
                "cramfs: directory /{} points back at an earlier directory (a cycle); skipped",
                dir.path
            ));
            continue;
        }
        if dir.depth >= MAX_DEPTH {
            ctx.diagnostic(format!("cramfs: directory /{} nests too deep", dir.path));
            continue;
        }
        reader.read_dir(&dir, &mut tree, &mut pending, ctx);
        if reader.entries_left == 0 {
            break;
        }
    }
    let consumed = if superblock.flags & FLAG_FSID_VERSION_2 != 0 {
        let declared = superblock.size as usize;
        if declared > data.len() {
            ctx.diagnostic(format!(
                "cramfs: image truncated: header says {declared} bytes, {} present",
                data.len()
            ));
            data.len()
        } else {
            declared
        }
    } else {
        reader.extent.min(data.len())
    };
    (tree, consumed as u64)
}

impl Reader<'_> {
    fn touch(&mut self, end: usize) {
        self.extent = self.extent.max(end);
    }

    fn read_dir(
        &mut self,
        dir: &PendingDir,
        tree: &mut Tree,
        pending: &mut Vec<PendingDir>,
        ctx: &mut UnpackContext<'_>,
    ) {
        let layout = self.superblock.layout;
        let end = dir.offset.saturating_add(dir.size);
        if end > self.data.len() {
            ctx.diagnostic(format!(
                "cramfs: directory /{} runs past the end of the image",
                dir.path
            ));
        }
        let mut position = dir.offset;
        while position.saturating_add(INODE_LEN) <= end {
            if self.entries_left == 0 {
                ctx.diagnostic(format!(
                    "cramfs: more directory entries than the image can hold; stopped at /{}",
                    dir.path
                ));
                return;
            }
            self.entries_left -= 1;
            let Some(inode) = layout.inode_at(self.data, position) else {
                ctx.diagnostic(format!("cramfs: directory /{} truncated", dir.path));
                return;
            };
            let name_start = position + INODE_LEN;
            let name_end = name_start.saturating_add(inode.name_len);
            position = name_end;
            let Some(raw_name) = self.data.get(name_start..name_end) else {
                ctx.diagnostic(format!("cramfs: entry name in /{} truncated", dir.path));
                return;
            };
            self.touch(name_end);
            let name_bytes = raw_name.split(|&b| b == 0).next().unwrap_or_default();
            let name = String::from_utf8_lossy(name_bytes);
            if name.is_empty() || name == "." || name == ".." {
                ctx.diagnostic(format!(
                    "cramfs: entry with bad name {name:?} in /{}",
                    dir.path
                ));
                continue;
            }
            let path = if dir.path.is_empty() {
                name.into_owned()
            } else {
                format!("{}/{name}", dir.path)
            };
            self.add_entry(inode, path, dir.depth, tree, pending, ctx);
        }
    }

    fn add_entry(
        &mut self,
        inode: Inode,
        path: String,
        depth: usize,
        tree: &mut Tree,
        pending: &mut Vec<PendingDir>,
        ctx: &mut UnpackContext<'_>,
    ) {
        match inode.mode & S_IFMT {
            S_IFDIR => {
                if ctx.add_node(tree, &path, Node::Dir { mode: inode.mode }) {
                    pending.push(PendingDir {
                        offset: inode.offset,
                        size: inode.size as usize,
                        path,
                        depth: depth + 1,
                    });
                }
            }
            S_IFREG => {
                if !budget_has_room(ctx, u64::from(inode.size)) {
                    return;
                }
                let data = match self.read_contents(inode) {
                    Ok(data) => data,
                    Err((partial, problem)) => {
                        ctx.diagnostic(format!("cramfs: /{path}: {problem}"));
                        partial
                    }
                };
                ctx.add_file(
                    tree,
                    &path,
                    FileEntry {
                        data,
                        mode: inode.mode,
                        uid: inode.uid,
                        gid: inode.gid,
                    },
                );
            }
            S_IFLNK => {
                if inode.size as usize > MAX_LINK_TARGET {
                    ctx.diagnostic(format!(
                        "cramfs: /{path}: symlink target of {} bytes; skipped",
                        inode.size
                    ));
                    return;
                }
                let target = match self.read_contents(inode) {
                    Ok(data) => data,
                    Err((partial, problem)) => {
                        ctx.diagnostic(format!("cramfs: /{path}: {problem}"));
                        partial
                    }
                };
                let target = String::from_utf8_lossy(&target).into_owned();
                ctx.add_node(tree, &path, Node::Symlink { target });
            }
            _ => {
                ctx.add_node(tree, &path, Node::Special { mode: inode.mode });
            }
        }
    }

    /// The contents of a file or symlink. On damage, the bytes read so far (holes and
    /// unreadable blocks as zeros up to the file size) and what went wrong.
    ///
    /// The block size is not recorded anywhere: a file that does not decode with the size
    /// used so far is tried with the others, and the one that works is kept for the files
    /// after it. (Files of one block decode the same with every size.)
    fn read_contents(&mut self, inode: Inode) -> Result<Vec<u8>, (Vec<u8>, String)> {
        let current = self.block_size;
        let result = self.read_contents_with(inode, current);
        if result.is_ok() || inode.size as usize <= DEFAULT_BLOCK_SIZE {
            return result;
        }
        for candidate in BLOCK_SIZES {
            if candidate == current {
                continue;
            }
            if let Ok(contents) = self.read_contents_with(inode, candidate) {
                self.block_size = candidate;
                return Ok(contents);
            }
        }
        result
    }

    fn read_contents_with(
        &mut self,
        inode: Inode,
        block_size: usize,
    ) -> Result<Vec<u8>, (Vec<u8>, String)> {
        let size = inode.size as usize;
        if size == 0 {
            return Ok(Vec::new());
        }
        let layout = self.superblock.layout;
        let extended = self.superblock.flags & FLAG_EXT_BLOCK_POINTERS != 0;
        let block_count = size.div_ceil(block_size);
        let table_start = inode.offset;
        let table_end = table_start.saturating_add(block_count * 4);
        if inode.offset == 0 || table_end > self.data.len() {
            return Err((
                Vec::new(),
                "block pointer table outside the image".to_owned(),
            ));
        }
        self.touch(table_end);
        let mut output = Vec::with_capacity(size);
        let mut previous_end = table_end;
        for index in 0..block_count {
            let expected = (size - index * block_size).min(block_size);
            let fail = |mut output: Vec<u8>, problem: String| {
                output.resize(size, 0);
                Err((output, format!("block {index}: {problem}")))
            };
            let Some(pointer) = layout.u32_at(self.data, table_start + index * 4) else {
                return fail(output, "pointer missing".to_owned());
            };
            let (stored, uncompressed, next_start) = if extended && pointer & BLOCK_DIRECT != 0 {
                let start = ((pointer & BLOCK_ADDRESS_MASK) as usize) << 2;
                if pointer & BLOCK_UNCOMPRESSED != 0 {
                    let end = start.saturating_add(expected);
                    match self.data.get(start..end) {
                        Some(bytes) => (bytes, true, end),
                        None => return fail(output, "direct block outside the image".to_owned()),
                    }
                } else {
                    let Some(length) = layout.u16_at(self.data, start) else {
                        return fail(output, "direct block outside the image".to_owned());
                    };
                    let end = start.saturating_add(2).saturating_add(length as usize);
                    match self.data.get(start + 2..end) {
                        Some(bytes) => (bytes, false, end),
                        None => return fail(output, "direct block outside the image".to_owned()),
                    }
                }
            } else {
                let (end, uncompressed) = if extended {
                    (
                        (pointer & BLOCK_ADDRESS_MASK) as usize,
                        pointer & BLOCK_UNCOMPRESSED != 0,
                    )
                } else {
                    (pointer as usize, false)
                };
                match self.data.get(previous_end..end) {
                    Some(bytes) => (bytes, uncompressed, end),
                    None => {
                        return fail(
                            output,
                            format!("block {previous_end:#x}..{end:#x} outside the image"),
                        );
                    }
                }
            };
            self.touch(next_start);
            previous_end = next_start;
            if stored.is_empty() {
                // A hole: the block reads as zeros.
                output.resize(output.len() + expected, 0);
            } else if uncompressed {
                output.extend_from_slice(stored.get(..expected).unwrap_or(stored));
                output.resize(index * block_size + expected, 0);
            } else {
                match inflate_block(stored, expected) {
                    Ok(block) => {
                        let short = block.len() < expected;
                        output.extend_from_slice(&block);
                        if short {
                            return fail(output, "block inflates short".to_owned());
                        }
                    }
                    Err(problem) => return fail(output, problem),
                }
            }
        }
        Ok(output)
    }
}

/// Whether the budget still has room for one more file of `size` bytes; records the limit
/// hit otherwise, so the caller skips the work of reading it.
fn budget_has_room(ctx: &mut UnpackContext<'_>, size: u64) -> bool {
    let limits = *ctx.budget.limits();
    if ctx.budget.files_used() >= limits.max_files {
        ctx.limit_hit(LimitHit::Files(limits.max_files));
        return false;
    }
    if size > ctx.budget.bytes_left() {
        ctx.limit_hit(LimitHit::TotalBytes(limits.max_total_bytes));
        return false;
    }
    true
}

/// Inflates one zlib block into at most `limit` bytes: a block that inflates to more is
/// damaged (or hostile) and is refused rather than grown.
fn inflate_block(input: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut inflater = Decompress::new(true);
    // One spare byte so that a block of exactly `limit` bytes can reach its end marker.
    let mut output = Vec::with_capacity(limit + 1);
    match inflater.decompress_vec(input, &mut output, FlushDecompress::Finish) {
        _ if output.len() > limit => Err("block inflates past its size".to_owned()),
        Ok(Status::StreamEnd) => Ok(output),
        Ok(_) => Err("compressed block truncated".to_owned()),
        Err(error) => Err(format!("zlib error: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflate_refuses_oversized_blocks() {
        use std::io::Write;
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&[7u8; 10_000]).unwrap();
        let compressed = encoder.finish().unwrap();
        assert!(inflate_block(&compressed, 4096).is_err());
        assert_eq!(inflate_block(&compressed, 10_000).unwrap().len(), 10_000);
    }
}
