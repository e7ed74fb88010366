//! ext2/ext3/ext4 reader: superblock, block group descriptors (32- and 64-byte, meta_bg), inodes,
//! indirect block maps and extent trees, linear directories (htree directories read as
//! linear, as their index blocks look like empty entries), fast and slow symlinks, inline
//! data, device nodes. Hard links become copies. The journal is not replayed.
//!
//! Why our own reader rather than the `ext4-view` crate: `ext4-view` is well kept, but it
//! takes its source as an owned `Box<dyn Ext4Read>` (a second copy of the image instead of a
//! borrowed slice), reports a damaged image as one error instead of a partial tree, and gives
//! no hook to check a file's size against the scan budget before it allocates the contents.
//! Firmware uses a small subset of ext features, and reading that subset directly from the
//! slice lets every offset be checked and every allocation be capped.

use std::collections::HashSet;

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree};

/// ext2/3/4: magic 0xEF53 at byte 1080 (offset 56 of the superblock at 1024).
pub const FORMAT: Format = Format {
    id: "ext",
    description: "ext2/ext3/ext4 file system",
    magics: &[&[0x53, 0xef]],
    magic_offset: 1080,
    probe,
    unpack,
};

const SUPERBLOCK_OFFSET: usize = 1024;
const ROOT_INODE: u32 = 2;
const MAX_DEPTH: usize = 256;
/// Longest symlink target kept (the kernel's PATH_MAX).
const MAX_LINK_TARGET: usize = 4096;
/// Extent trees are at most 5 levels deep in ext4; more is damage.
const MAX_EXTENT_DEPTH: u16 = 5;

const INCOMPAT_COMPRESSION: u32 = 0x1;
const INCOMPAT_FILETYPE: u32 = 0x2;
const INCOMPAT_RECOVER: u32 = 0x4;
const INCOMPAT_META_BG: u32 = 0x10;
const INCOMPAT_64BIT: u32 = 0x80;
const INCOMPAT_ENCRYPT: u32 = 0x10000;
const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
const RO_COMPAT_LARGE_FILE: u32 = 0x2;

const INODE_FLAG_EXTENTS: u32 = 0x0008_0000;
const INODE_FLAG_INLINE_DATA: u32 = 0x1000_0000;

const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

fn le16(data: &[u8], offset: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(offset..offset.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(bytes))
}

fn le32(data: &[u8], offset: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

#[derive(Debug, Clone, Copy)]
struct Superblock {
    inodes_count: u32,
    blocks_count: u64,
    first_data_block: u32,
    block_size: usize,
    blocks_per_group: u32,
    inodes_per_group: u32,
    first_meta_bg: u32,
    inode_size: usize,
    desc_size: usize,
    incompat: u32,
    ro_compat: u32,
}

fn read_superblock(data: &[u8]) -> Result<Superblock, String> {
    let sb = data
        .get(SUPERBLOCK_OFFSET..SUPERBLOCK_OFFSET + 1024)
        .ok_or("ext superblock truncated")?;
    let field = |offset: usize| le32(sb, offset).unwrap_or(0);
    if le16(sb, 56) != Some(0xef53) {
        return Err("no ext magic".to_owned());
    }
    let inodes_count = field(0);
    let first_data_block = field(20);
    let log_block_size = field(24);
    let blocks_per_group = field(32);
    let inodes_per_group = field(40);
    let rev_level = field(76);
    let incompat = field(96);
    let ro_compat = field(100);
    if log_block_size > 6 {
        return Err(format!(
            "ext block size exponent {log_block_size} out of range"
        ));
    }
    let block_size = 1024usize << log_block_size;
    let mut blocks_count = u64::from(field(4));
    let desc_size = if incompat & INCOMPAT_64BIT != 0 {
        blocks_count |= u64::from(field(0x150)) << 32;
        usize::from(le16(sb, 254).unwrap_or(0)).max(32)
    } else {
        32
    };
    let inode_size = if rev_level == 0 {
        128
    } else {
        usize::from(le16(sb, 88).unwrap_or(0))
    };
    let max_per_group = (block_size as u32) * 8;
    if rev_level > 1
        || inodes_count == 0
        || blocks_count == 0
        || blocks_per_group == 0
        || blocks_per_group > max_per_group
        || inodes_per_group == 0
        || inodes_per_group > max_per_group
        || first_data_block > 1
        || !(128..=block_size).contains(&inode_size)
        || !inode_size.is_power_of_two()
        || desc_size > block_size
        || !desc_size.is_power_of_two()
    {
        return Err("ext superblock fails sanity checks".to_owned());
    }
    let groups = (blocks_count - u64::from(first_data_block)).div_ceil(u64::from(blocks_per_group));
    if u64::from(inodes_count) > groups.saturating_mul(u64::from(inodes_per_group)) {
        return Err("ext inode count exceeds its groups".to_owned());
    }
    Ok(Superblock {
        inodes_count,
        blocks_count,
        first_data_block,
        block_size,
        blocks_per_group,
        inodes_per_group,
        first_meta_bg: field(260),
        inode_size,
        desc_size,
        incompat,
        ro_compat,
    })
}

/// Magic plus sane block size, group geometry, inode size and counts.
fn probe(data: &[u8]) -> bool {
    read_superblock(data).is_ok()
}

#[derive(Debug, Clone)]
struct Inode {
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    flags: u32,
    blocks_lo: u32,
    file_acl: u32,
    /// The 60-byte i_block area: block map, extent root, fast symlink or inline data.
    block_area: [u8; 60],
    /// The inode's own bytes, for in-inode extended attributes (inline data).
    raw: Vec<u8>,
}

struct Reader<'a> {
    data: &'a [u8],
    sb: Superblock,
}

impl Reader<'_> {
    fn block(&self, number: u64) -> Option<&[u8]> {
        let start = usize::try_from(number)
            .ok()?
            .checked_mul(self.sb.block_size)?;
        self.data.get(start..start.checked_add(self.sb.block_size)?)
    }

    /// Whether `group` holds a copy of the superblock (and so of the descriptors).
    fn has_super(&self, group: u32) -> bool {
        if self.sb.ro_compat & RO_COMPAT_SPARSE_SUPER == 0 || group <= 1 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&base| {
            let mut power = base;
            while power < group {
                power = power.saturating_mul(base);
            }
            power == group
        })
    }

    /// Byte offset of a group's descriptor: one table after the superblock, or with
    /// meta_bg, one descriptor block at the start of each meta group.
    fn descriptor_offset(&self, group: u32) -> Option<usize> {
        let per_block = (self.sb.block_size / self.sb.desc_size) as u32;
        let meta_group = group / per_block;
        let (block, index) =
            if self.sb.incompat & INCOMPAT_META_BG != 0 && meta_group >= self.sb.first_meta_bg {
                let first_group = meta_group.checked_mul(per_block)?;
                let block = u64::from(self.sb.first_data_block)
                    + u64::from(first_group) * u64::from(self.sb.blocks_per_group)
                    + u64::from(self.has_super(first_group));
                (block, group % per_block)
            } else {
                (u64::from(self.sb.first_data_block) + 1, group)
            };
        usize::try_from(block)
            .ok()?
            .checked_mul(self.sb.block_size)?
            .checked_add((index as usize).checked_mul(self.sb.desc_size)?)
    }

    fn inode_table(&self, group: u32) -> Option<u64> {
        let offset = self.descriptor_offset(group)?;
        let low = u64::from(le32(self.data, offset.checked_add(8)?)?);
        let high = if self.sb.desc_size >= 64 {
            u64::from(le32(self.data, offset.checked_add(0x28)?)?)
        } else {
            0
        };
        Some(low | (high << 32))
    }

    fn inode(&self, number: u32) -> Result<Inode, String> {
        if number == 0 || number > self.sb.inodes_count {
            return Err(format!("inode {number} out of range"));
        }
        let group = (number - 1) / self.sb.inodes_per_group;
        let index = (number - 1) % self.sb.inodes_per_group;
        let table = self
            .inode_table(group)
            .ok_or_else(|| format!("group descriptor {group} unreadable"))?;
        let offset = usize::try_from(table)
            .ok()
            .and_then(|t| t.checked_mul(self.sb.block_size))
            .and_then(|t| t.checked_add(index as usize * self.sb.inode_size))
            .ok_or_else(|| format!("inode {number} offset overflows"))?;
        let raw = self
            .data
            .get(offset..offset.saturating_add(self.sb.inode_size))
            .ok_or_else(|| format!("inode {number} lies outside the image"))?;
        let field32 = |at: usize| le32(raw, at).unwrap_or(0);
        let field16 = |at: usize| u32::from(le16(raw, at).unwrap_or(0));
        let mode = field16(0);
        let mut size = u64::from(field32(4));
        let is_dir = mode & S_IFMT == S_IFDIR;
        if !is_dir || self.sb.ro_compat & RO_COMPAT_LARGE_FILE != 0 {
            size |= u64::from(field32(108)) << 32;
        }
        let mut block_area = [0u8; 60];
        if let Some(bytes) = raw.get(40..100) {
            block_area.copy_from_slice(bytes);
        }
        Ok(Inode {
            mode,
            uid: field16(2) | (field16(120) << 16),
            gid: field16(24) | (field16(122) << 16),
            size,
            flags: field32(32),
            blocks_lo: field32(28),
            file_acl: field32(104),
            block_area,
            raw: raw.to_vec(),
        })
    }

    /// The contents of a file, directory or slow symlink; holes read as zeros. The caller
    /// has checked `inode.size` against the budget. On damage: what was read, and why not more.
    fn contents(&self, inode: &Inode) -> Result<Vec<u8>, (Vec<u8>, String)> {
        let size =
            usize::try_from(inode.size).map_err(|_| (Vec::new(), "size overflows".to_owned()))?;
        if inode.flags & INODE_FLAG_INLINE_DATA != 0 {
            return Ok(self.inline_data(inode, size));
        }
        let mut output = vec![0u8; size];
        let block_count = size.div_ceil(self.sb.block_size) as u64;
        let mut copier = Copier {
            output: &mut output,
            block_size: self.sb.block_size,
            // Overlapping extents could make us copy the same range again and again; two
            // full passes over the file is more than any sound image needs.
            work_left: (size as u64)
                .saturating_mul(2)
                .saturating_add(self.sb.block_size as u64),
            steps_left: block_count.saturating_mul(2).saturating_add(1024),
            problem: None,
        };
        if inode.flags & INODE_FLAG_EXTENTS != 0 {
            self.walk_extents(&inode.block_area, MAX_EXTENT_DEPTH, &mut copier);
        } else {
            let mut logical = 0u64;
            for index in 0..12 {
                if logical >= block_count {
                    break;
                }
                let pointer = le32(&inode.block_area, index * 4).unwrap_or(0);
                copier.copy_block(self, logical, u64::from(pointer));
                logical += 1;
            }
            for (index, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
                if logical >= block_count {
                    break;
                }
                let pointer = le32(&inode.block_area, index * 4).unwrap_or(0);
                self.walk_indirect(
                    u64::from(pointer),
                    level,
                    &mut logical,
                    block_count,
                    &mut copier,
                );
            }
        }
        match copier.problem {
            None => Ok(output),
            Some(problem) => Err((output, problem)),
        }
    }

    fn walk_indirect(
        &self,
        pointer: u64,
        level: u32,
        logical: &mut u64,
        block_count: u64,
        copier: &mut Copier<'_>,
    ) {
        let per_block = (self.sb.block_size / 4) as u64;
        let span = per_block.saturating_pow(level - 1);
        if pointer == 0 {
            // A hole covering everything this pointer block would map.
            *logical = logical.saturating_add(span.saturating_mul(per_block));
            return;
        }
        let Some(block) = self.block(pointer) else {
            copier.fail(format!("indirect block {pointer} outside the image"));
            *logical = logical.saturating_add(span.saturating_mul(per_block));
            return;
        };
        for index in 0..self.sb.block_size / 4 {
            if *logical >= block_count || copier.exhausted() {
                return;
            }
            let entry = u64::from(le32(block, index * 4).unwrap_or(0));
            if level == 1 {
                copier.copy_block(self, *logical, entry);
                *logical += 1;
            } else {
                self.walk_indirect(entry, level - 1, logical, block_count, copier);
            }
        }
    }

    /// Walks an extent tree node (the inode's i_block area or a whole index/leaf block).
    fn walk_extents(&self, node: &[u8], depth_left: u16, copier: &mut Copier<'_>) {
        if le16(node, 0) != Some(0xf30a) {
            copier.fail("extent header magic missing".to_owned());
            return;
        }
        let entries = usize::from(le16(node, 2).unwrap_or(0));
        let depth = le16(node, 6).unwrap_or(0);
        if depth >= depth_left {
            copier.fail("extent tree too deep (a loop?)".to_owned());
            return;
        }
        for index in 0..entries {
            if copier.exhausted() {
                return;
            }
            // Every entry visited costs a step, so index nodes that point at each other
            // many times over cannot make the walk explode.
            if copier.steps_left == 0 {
                copier.fail("extent tree visits too many nodes; stopped".to_owned());
                copier.work_left = 0;
                return;
            }
            copier.steps_left -= 1;
            let at = 12 + index * 12;
            let Some(entry) = node.get(at..at + 12) else {
                copier.fail("extent node truncated".to_owned());
                return;
            };
            let first_logical = u64::from(le32(entry, 0).unwrap_or(0));
            if depth == 0 {
                let raw_length = le16(entry, 4).unwrap_or(0);
                let start = u64::from(le32(entry, 8).unwrap_or(0))
                    | (u64::from(le16(entry, 6).unwrap_or(0)) << 32);
                if raw_length > 32768 {
                    // Uninitialised (preallocated) extent: reads as zeros.
                    continue;
                }
                // Only the part of the extent inside the file is copied.
                let end_logical = (first_logical + u64::from(raw_length)).min(copier.block_count());
                for logical in first_logical..end_logical {
                    if copier.exhausted() {
                        return;
                    }
                    copier.copy_block(self, logical, start + (logical - first_logical));
                }
            } else {
                let child = u64::from(le32(entry, 4).unwrap_or(0))
                    | (u64::from(le16(entry, 8).unwrap_or(0)) << 32);
                match self.block(child) {
                    Some(block) => self.walk_extents(block, depth, copier),
                    None => copier.fail(format!("extent block {child} outside the image")),
                }
            }
        }
    }

    /// Inline data: the first 60 bytes live in i_block, the rest in the in-inode extended
    /// attribute `system.data`.
    fn inline_data(&self, inode: &Inode, size: usize) -> Vec<u8> {
        let mut output: Vec<u8> = inode
            .block_area
            .get(..size.min(60))
            .unwrap_or_default()
            .to_vec();
        if size > 60
            && let Some(rest) = in_inode_xattr(&inode.raw, 7, b"data")
        {
            output.extend_from_slice(rest.get(..(size - 60).min(rest.len())).unwrap_or_default());
        }
        output
    }
}

/// The value of the in-inode extended attribute with this index and name.
fn in_inode_xattr<'a>(raw: &'a [u8], name_index: u8, name: &[u8]) -> Option<&'a [u8]> {
    let extra = usize::from(le16(raw, 128)?);
    let header = 128usize.checked_add(extra)?;
    if le32(raw, header)? != 0xea02_0000 {
        return None;
    }
    let first_entry = header + 4;
    let mut at = first_entry;
    loop {
        let name_len = usize::from(*raw.get(at)?);
        let index = *raw.get(at + 1)?;
        if name_len == 0 && index == 0 {
            return None;
        }
        let value_offset = usize::from(le16(raw, at + 2)?);
        let value_size = le32(raw, at + 8)? as usize;
        let entry_name = raw.get(at + 16..at + 16 + name_len)?;
        if index == name_index && entry_name == name {
            let start = first_entry.checked_add(value_offset)?;
            return raw.get(start..start.checked_add(value_size)?);
        }
        at = (at + 16 + name_len + 3) & !3;
    }
}

/// Copies image blocks into a file's contents, within a work allowance.
struct Copier<'a> {
    output: &'a mut Vec<u8>,
    block_size: usize,
    work_left: u64,
    /// Extent entries still allowed to be visited.
    steps_left: u64,
    problem: Option<String>,
}

impl Copier<'_> {
    /// Blocks the file spans.
    fn block_count(&self) -> u64 {
        self.output.len().div_ceil(self.block_size) as u64
    }

    fn exhausted(&self) -> bool {
        self.work_left == 0
    }

    fn fail(&mut self, problem: String) {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
    }

    fn copy_block(&mut self, reader: &Reader<'_>, logical: u64, physical: u64) {
        if physical == 0 {
            return;
        }
        let Some(start) = usize::try_from(logical)
            .ok()
            .and_then(|l| l.checked_mul(self.block_size))
        else {
            return;
        };
        if start >= self.output.len() {
            return;
        }
        let length = (self.output.len() - start).min(self.block_size);
        if self.work_left < length as u64 {
            self.work_left = 0;
            self.fail("block mapping copies the same data over and over; stopped".to_owned());
            return;
        }
        self.work_left -= length as u64;
        if physical >= reader.sb.blocks_count {
            self.fail(format!("block {physical} past the end of the file system"));
            return;
        }
        match reader.block(physical).and_then(|block| block.get(..length)) {
            Some(bytes) => {
                if let Some(target) = self.output.get_mut(start..start + length) {
                    target.copy_from_slice(bytes);
                }
            }
            None => self.fail(format!("block {physical} outside the image")),
        }
    }
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let sb = read_superblock(data).map_err(UnpackError::new)?;
    if sb.incompat & (INCOMPAT_COMPRESSION | INCOMPAT_ENCRYPT) != 0 {
        ctx.diagnostic(format!(
            "ext: incompatible features {:#x} (compression/encryption): contents may be unreadable",
            sb.incompat
        ));
    }
    if sb.incompat & INCOMPAT_RECOVER != 0 {
        ctx.diagnostic(
            "ext: journal needs recovery and is not replayed; recent changes may be missing",
        );
    }
    let image_size = sb.blocks_count.saturating_mul(sb.block_size as u64);
    let consumed = if image_size > data.len() as u64 {
        ctx.diagnostic(format!(
            "ext: image truncated: superblock says {image_size} bytes, {} present",
            data.len()
        ));
        data.len() as u64
    } else {
        image_size
    };
    let reader = Reader { data, sb };
    let root = reader.inode(ROOT_INODE).map_err(UnpackError::new)?;
    if root.mode & S_IFMT != S_IFDIR {
        return Err(UnpackError::new("ext root inode is not a directory"));
    }
    let mut tree = Tree::new();
    let mut visited_dirs: HashSet<u32> = HashSet::from([ROOT_INODE]);
    let mut pending: Vec<(Inode, String, usize)> = vec![(root, String::new(), 0)];
    // Directory bytes still allowed to be read. Each directory is read once and a sound
    // image keeps their blocks apart, so all of them together fit in the image; directories
    // sharing blocks could otherwise make us read the same bytes again and again.
    let mut directory_bytes_left = (data.len() as u64).saturating_mul(2);
    while let Some((dir, dir_path, depth)) = pending.pop() {
        if dir.size > directory_bytes_left {
            ctx.diagnostic(format!(
                "ext: /{dir_path}: directory of {} bytes exceeds what the image can hold; skipped",
                dir.size
            ));
            continue;
        }
        directory_bytes_left -= dir.size;
        let Some(listing) = read_file_checked(&reader, &dir, &dir_path, ctx) else {
            continue;
        };
        let entries = if dir.flags & INODE_FLAG_INLINE_DATA != 0 {
            // Inline directory: the parent's inode number, then entries in the rest of
            // i_block, then more entries in the `system.data` attribute.
            let mut entries =
                parse_directory(listing.get(4..60).unwrap_or_default(), 56, sb.incompat);
            let rest = listing.get(60..).unwrap_or_default();
            entries.extend(parse_directory(rest, rest.len().max(1), sb.incompat));
            entries
        } else {
            parse_directory(&listing, sb.block_size, sb.incompat)
        };
        for (number, name) in entries {
            if name == "." || name == ".." {
                continue;
            }
            let path = if dir_path.is_empty() {
                name.clone()
            } else {
                format!("{dir_path}/{name}")
            };
            let inode = match reader.inode(number) {
                Ok(inode) => inode,
                Err(problem) => {
                    ctx.diagnostic(format!("ext: /{path}: {problem}"));
                    continue;
                }
            };
            match inode.mode & S_IFMT {
                S_IFDIR => {
                    if !visited_dirs.insert(number) {
                        ctx.diagnostic(format!(
                            "ext: /{path}: directory inode {number} already read (a cycle); skipped"
                        ));
                        continue;
                    }
                    if depth + 1 >= MAX_DEPTH {
                        ctx.diagnostic(format!("ext: /{path} nests too deep"));
                        continue;
                    }
                    if ctx.add_node(&mut tree, &path, Node::Dir { mode: inode.mode }) {
                        pending.push((inode, path, depth + 1));
                    }
                }
                S_IFREG => {
                    if !budget_has_room(ctx, inode.size) {
                        continue;
                    }
                    let Some(contents) = read_file_checked(&reader, &inode, &path, ctx) else {
                        continue;
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
                S_IFLNK => {
                    let target = symlink_target(&reader, &inode, &path, ctx);
                    ctx.add_node(&mut tree, &path, Node::Symlink { target });
                }
                _ => {
                    ctx.add_node(&mut tree, &path, Node::Special { mode: inode.mode });
                }
            }
        }
    }
    Ok(Unpacked::Tree { tree, consumed })
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

/// Reads a file or directory after checking its size against the budget and the image.
fn read_file_checked(
    reader: &Reader<'_>,
    inode: &Inode,
    path: &str,
    ctx: &mut UnpackContext<'_>,
) -> Option<Vec<u8>> {
    if inode.size > ctx.budget.bytes_left() {
        ctx.limit_hit(LimitHit::TotalBytes(ctx.budget.limits().max_total_bytes));
        return None;
    }
    // A file cannot hold more distinct data than the image; beyond that it is mostly holes
    // at best. Allow sparse files up to 16 times the image (or 64 MiB) before calling it damage.
    let plausible = (reader.data.len() as u64).saturating_mul(16).max(64 << 20);
    if inode.size > plausible {
        ctx.diagnostic(format!(
            "ext: /{path}: size {} is implausible for this image; skipped",
            inode.size
        ));
        return None;
    }
    match reader.contents(inode) {
        Ok(contents) => Some(contents),
        Err((partial, problem)) => {
            ctx.diagnostic(format!("ext: /{path}: {problem}"));
            Some(partial)
        }
    }
}

fn symlink_target(
    reader: &Reader<'_>,
    inode: &Inode,
    path: &str,
    ctx: &mut UnpackContext<'_>,
) -> String {
    let size = inode.size as usize;
    let acl_blocks = if inode.file_acl != 0 {
        (reader.sb.block_size / 512) as u32
    } else {
        0
    };
    let fast = inode.flags & (INODE_FLAG_EXTENTS | INODE_FLAG_INLINE_DATA) == 0
        && size < 60
        && inode.blocks_lo <= acl_blocks;
    let bytes = if fast {
        inode.block_area.get(..size).unwrap_or_default().to_vec()
    } else if size > MAX_LINK_TARGET {
        ctx.diagnostic(format!(
            "ext: /{path}: symlink target of {size} bytes; skipped"
        ));
        Vec::new()
    } else {
        read_file_checked(reader, inode, path, ctx).unwrap_or_default()
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The (inode, name) entries of a linear directory, block by block; a damaged record ends
/// its block, not the directory. Inline directories start with the parent's inode number.
fn parse_directory(listing: &[u8], block_size: usize, incompat: u32) -> Vec<(u32, String)> {
    let mut entries = Vec::new();
    let has_file_type = incompat & INCOMPAT_FILETYPE != 0;
    for block in listing.chunks(block_size) {
        let mut at = 0usize;
        while at + 8 <= block.len() {
            let number = le32(block, at).unwrap_or(0);
            let record_len = usize::from(le16(block, at + 4).unwrap_or(0));
            let name_len = if has_file_type {
                usize::from(block.get(at + 6).copied().unwrap_or(0))
            } else {
                usize::from(le16(block, at + 6).unwrap_or(0))
            };
            if record_len < 8 || record_len % 4 != 0 || name_len + 8 > record_len {
                break;
            }
            if number != 0
                && name_len > 0
                && let Some(name) = block.get(at + 8..at + 8 + name_len)
            {
                entries.push((number, String::from_utf8_lossy(name).into_owned()));
            }
            at += record_len;
        }
    }
    entries
}
