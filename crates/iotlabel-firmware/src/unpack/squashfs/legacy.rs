//! Squashfs 2.x and 3.x layouts: superblock, inodes, directory listings, fragment and uid/gid
//! tables.
//!
//! These versions wrote C structs with packed bit fields (e.g. a 4-bit inode type and a 12-bit
//! mode in one 16-bit word) in the byte order of the host that made the image. A compiler for
//! a little-endian host allocates bit fields from the least significant bit of a little-endian
//! stream; one for a big-endian host from the most significant bit of a big-endian stream.
//! [`Fields`] reads a struct as that stream of bits, so one description of each struct serves
//! both byte orders.

use super::{
    ByteOrder, Compression, DirEntry, FileInode, Inode, InodeKind, MetaCursor, NO_FRAGMENT, Reader,
    S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK, SquashfsInfo, Superblock, block_count, read_u16, read_u32,
    read_u64,
};
use crate::unpack::UnpackError;

/// The 2.x superblock ends after the 32-bit fragment table offset; 3.x adds 64-bit copies of
/// the table offsets.
const SUPERBLOCK_SIZE_V2: usize = 63;
const SUPERBLOCK_SIZE_V3: usize = 119;
/// Flag: a marker byte follows each metadata block header.
const FLAG_CHECK: u8 = 1 << 2;
/// gid index meaning "same as the uid".
const GID_SAME_AS_UID: u64 = 255;
/// At most this many ids in the uid and gid tables (8-bit indexes).
const MAX_IDS: u32 = 256;

/// Reads a packed struct's fields in order, as its bit fields were laid out by the compiler of
/// a host with the image's byte order.
struct Fields<'a> {
    bytes: &'a [u8],
    bit: usize,
    order: ByteOrder,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8], order: ByteOrder) -> Fields<'a> {
        Fields {
            bytes,
            bit: 0,
            order,
        }
    }

    /// The next `width` bits (at most 64) as an unsigned value; missing bits read as 0 (the
    /// callers read exactly the struct they fetched, so this only guards against bugs).
    fn take(&mut self, width: usize) -> u64 {
        let mut value = 0u64;
        for index in 0..width {
            let position = self.bit + index;
            let byte = self.bytes.get(position / 8).copied().unwrap_or(0);
            match self.order {
                ByteOrder::Little => {
                    let bit = (byte >> (position % 8)) & 1;
                    value |= u64::from(bit) << index;
                }
                ByteOrder::Big => {
                    let bit = (byte >> (7 - position % 8)) & 1;
                    value = (value << 1) | u64::from(bit);
                }
            }
        }
        self.bit += width;
        value
    }
}

pub(super) fn parse_superblock(
    data: &[u8],
    order: ByteOrder,
    major: u16,
) -> Result<Superblock, UnpackError> {
    let size = if major == 2 {
        SUPERBLOCK_SIZE_V2
    } else {
        SUPERBLOCK_SIZE_V3
    };
    let header = data
        .get(..size)
        .ok_or_else(|| UnpackError::new(format!("squashfs {major}.x superblock truncated")))?;
    let u32_at = |at| u64::from(read_u32(header, at, order).unwrap_or(0));
    let u64_at = |at| read_u64(header, at, order).unwrap_or(0);
    let minor = read_u16(header, 30, order).unwrap_or(0);
    let block_log = read_u16(header, 34, order).unwrap_or(0);
    let flags = header.get(36).copied().unwrap_or(0);
    let uid_count = u32::from(header.get(37).copied().unwrap_or(0));
    let gid_count = u32::from(header.get(38).copied().unwrap_or(0));
    let root_inode = u64_at(43);
    let block_size = read_u32(header, 51, order).unwrap_or(0);
    let fragment_count = read_u32(header, 55, order).unwrap_or(0);
    let inode_count = read_u32(header, 4, order).unwrap_or(0);
    let (bytes_used, uid_table, gid_table, inode_table, directory_table, fragment_table) =
        if major == 2 {
            (
                u32_at(8),
                u32_at(12),
                u32_at(16),
                u32_at(20),
                u32_at(24),
                u32_at(59),
            )
        } else {
            (
                u64_at(63),
                u64_at(71),
                u64_at(79),
                u64_at(87),
                u64_at(95),
                u64_at(103),
            )
        };
    if 1u64.checked_shl(u32::from(block_log)) != Some(u64::from(block_size)) {
        return Err(UnpackError::new(format!(
            "squashfs {major}.x: block size and block log disagree"
        )));
    }
    if inode_table < size as u64 || uid_table > bytes_used || gid_table > bytes_used {
        return Err(UnpackError::new(format!(
            "squashfs {major}.x: table offsets implausible"
        )));
    }
    if fragment_count > 0 && fragment_table >= bytes_used {
        return Err(UnpackError::new(format!(
            "squashfs {major}.x: fragment table past the end"
        )));
    }
    Ok(Superblock {
        info: SquashfsInfo {
            major,
            minor,
            byte_order: order,
            compression: Compression::ZlibOrLzma,
            inode_count,
            block_size,
            bytes_used,
        },
        root_inode,
        inode_table,
        directory_table,
        fragment_table,
        fragment_count,
        id_table: uid_table,
        id_count: uid_count.min(MAX_IDS),
        gid_table,
        gid_count: gid_count.min(MAX_IDS),
        check_marker: flags & FLAG_CHECK != 0,
    })
}

/// A plain array of u32 ids (not in metadata blocks).
pub(super) fn read_plain_ids(
    reader: &mut Reader<'_>,
    table: u64,
    count: u32,
) -> Result<Vec<u32>, String> {
    let bytes = reader.slice(table, u64::from(count) * 4)?;
    Ok(bytes
        .chunks_exact(4)
        .filter_map(|chunk| read_u32(chunk, 0, reader.order))
        .collect())
}

pub(super) fn fragment_entry(reader: &mut Reader<'_>, index: u32) -> Result<(u64, u32), String> {
    // 2.x: entries of 8 bytes (u32 start, u32 size), u32 block pointers;
    // 3.x: entries of 16 bytes (u64 start, u32 size, u32 unused), u64 block pointers.
    let (entry_size, pointer_size) = if reader.major == 2 { (8, 4) } else { (16, 8) };
    let per_block = 8192 / entry_size;
    let block = u64::from(index / per_block);
    let pointer_at = reader.fragment_table.saturating_add(block * pointer_size);
    let pointer = reader.slice(pointer_at, pointer_size)?;
    let start = if pointer_size == 4 {
        read_u32(pointer, 0, reader.order).map(u64::from)
    } else {
        read_u64(pointer, 0, reader.order)
    }
    .unwrap_or(u64::MAX);
    let mut cursor = MetaCursor {
        block: start,
        offset: ((index % per_block) * entry_size) as usize,
    };
    let entry = reader.read_metadata(&mut cursor, entry_size as usize)?;
    Ok(if reader.major == 2 {
        (
            u64::from(read_u32(&entry, 0, reader.order).unwrap_or(u32::MAX)),
            read_u32(&entry, 4, reader.order).unwrap_or(0),
        )
    } else {
        (
            read_u64(&entry, 0, reader.order).unwrap_or(u64::MAX),
            read_u32(&entry, 8, reader.order).unwrap_or(0),
        )
    })
}

pub(super) fn read_inode(
    reader: &mut Reader<'_>,
    cursor: &mut MetaCursor,
) -> Result<Inode, String> {
    let order = reader.order;
    let v3 = reader.major == 3;
    // Base header: type:4 mode:12 uid:8 guid:8, then (3.x) mtime and inode number.
    let base_size = if v3 { 12 } else { 4 };
    let base = reader.read_metadata(cursor, base_size)?;
    let mut fields = Fields::new(&base, order);
    let inode_type = fields.take(4);
    let permissions = fields.take(12) as u32;
    let uid_index = fields.take(8) as u32;
    let gid_raw = fields.take(8);
    let gid_index = (gid_raw != GID_SAME_AS_UID).then_some(gid_raw as u32);
    let kind = match (inode_type, v3) {
        // Directory: 3.x nlink:32 file_size:19 offset:13 start_block:32 parent:32;
        // 2.x file_size:19 offset:13 mtime:32 start_block:24.
        (1, true) => {
            let body = reader.read_metadata(cursor, 16)?;
            let mut fields = Fields::new(&body, order);
            fields.take(32);
            let size = fields.take(19);
            let offset = fields.take(13);
            let start = fields.take(32);
            directory_kind(v3, start, offset, size)
        }
        (1, false) => {
            let body = reader.read_metadata(cursor, 11)?;
            let mut fields = Fields::new(&body, order);
            let size = fields.take(19);
            let offset = fields.take(13);
            fields.take(32);
            let start = fields.take(24);
            directory_kind(v3, start, offset, size)
        }
        // Large directory: 3.x nlink:32 file_size:27 offset:13 start_block:32 i_count:16
        // parent:32; 2.x file_size:27 offset:13 mtime:32 start_block:24 i_count:16. The
        // index that follows is not needed to list the directory.
        (8, true) => {
            let body = reader.read_metadata(cursor, 19)?;
            let mut fields = Fields::new(&body, order);
            fields.take(32);
            let size = fields.take(27);
            let offset = fields.take(13);
            let start = fields.take(32);
            directory_kind(v3, start, offset, size)
        }
        (8, false) => {
            let body = reader.read_metadata(cursor, 14)?;
            let mut fields = Fields::new(&body, order);
            let size = fields.take(27);
            let offset = fields.take(13);
            fields.take(32);
            let start = fields.take(24);
            directory_kind(v3, start, offset, size)
        }
        // Regular file: 3.x start_block:64 fragment:32 offset:32 file_size:32;
        // 2.x mtime:32 start_block:32 fragment:32 offset:32 file_size:32. Then u32 block sizes.
        (2, true) => {
            let body = reader.read_metadata(cursor, 20)?;
            let mut fields = Fields::new(&body, order);
            let start = fields.take(64);
            let fragment = fields.take(32) as u32;
            let offset = fields.take(32) as u32;
            let size = fields.take(32);
            file_kind(reader, *cursor, start, size, fragment, offset)
        }
        (2, false) => {
            let body = reader.read_metadata(cursor, 20)?;
            let mut fields = Fields::new(&body, order);
            fields.take(32);
            let start = fields.take(32);
            let fragment = fields.take(32) as u32;
            let offset = fields.take(32) as u32;
            let size = fields.take(32);
            file_kind(reader, *cursor, start, size, fragment, offset)
        }
        // Large regular file (3.x only): nlink:32 start_block:64 fragment:32 offset:32
        // file_size:64.
        (9, true) => {
            let body = reader.read_metadata(cursor, 28)?;
            let mut fields = Fields::new(&body, order);
            fields.take(32);
            let start = fields.take(64);
            let fragment = fields.take(32) as u32;
            let offset = fields.take(32) as u32;
            let size = fields.take(64);
            file_kind(reader, *cursor, start, size, fragment, offset)
        }
        // Symlink: (3.x nlink:32) symlink_size:16, then the target.
        (3, _) => {
            let skip = if v3 { 4 } else { 0 };
            let body = reader.read_metadata(cursor, skip + 2)?;
            let length = read_u16(&body, skip, order).unwrap_or(0);
            let target = reader.read_metadata(cursor, usize::from(length))?;
            InodeKind::Symlink { target }
        }
        (4, _) => InodeKind::Special { type_bits: S_IFBLK },
        (5, _) => InodeKind::Special { type_bits: S_IFCHR },
        (6, _) => InodeKind::Special { type_bits: S_IFIFO },
        (7, _) => InodeKind::Special {
            type_bits: S_IFSOCK,
        },
        (other, _) => return Err(format!("unknown inode type {other}")),
    };
    Ok(Inode {
        kind,
        permissions,
        uid_index,
        gid_index,
    })
}

/// A directory inode. 3.x stores the listing size plus 3 (for "." and ".."); 2.x the exact
/// listing size.
fn directory_kind(v3: bool, start_block: u64, offset: u64, stored_size: u64) -> InodeKind {
    InodeKind::Dir {
        start_block,
        offset: offset as usize,
        listing_size: if v3 {
            stored_size.saturating_sub(3)
        } else {
            stored_size
        },
    }
}

fn file_kind(
    reader: &Reader<'_>,
    block_list: MetaCursor,
    blocks_start: u64,
    size: u64,
    fragment: u32,
    fragment_offset: u32,
) -> InodeKind {
    let fragment = (fragment != NO_FRAGMENT).then_some((fragment, fragment_offset));
    InodeKind::File(FileInode {
        blocks_start,
        size,
        fragment,
        block_list,
        block_count: block_count(size, reader.block_size, fragment.is_some()),
    })
}

/// Reads a directory listing. Header: count:8 (entries - 1), then 3.x start_block:32
/// inode_number:32, 2.x start_block:24. Entry: offset:13 type:3 size:8 (name length - 1),
/// 3.x inode_number:16, then the name.
pub(super) fn read_directory(
    reader: &mut Reader<'_>,
    cursor: &mut MetaCursor,
    listing_size: u64,
) -> Result<Vec<DirEntry>, String> {
    let order = reader.order;
    let v3 = reader.major == 3;
    let (header_size, entry_size) = if v3 { (9u64, 5u64) } else { (4, 3) };
    let mut entries = Vec::new();
    let mut remaining = listing_size;
    while remaining >= header_size {
        let header = reader.read_metadata(cursor, header_size as usize)?;
        remaining -= header_size;
        let mut fields = Fields::new(&header, order);
        let count = fields.take(8) + 1;
        let inode_block = fields.take(if v3 { 32 } else { 24 });
        for _ in 0..count {
            if remaining < entry_size {
                return Err("directory entry runs past the listing".to_owned());
            }
            let entry = reader.read_metadata(cursor, entry_size as usize)?;
            remaining -= entry_size;
            let mut fields = Fields::new(&entry, order);
            let offset = fields.take(13);
            fields.take(3);
            let name_length = fields.take(8) + 1;
            if name_length > remaining {
                return Err("directory entry name runs past the listing".to_owned());
            }
            let name = reader.read_metadata(cursor, name_length as usize)?;
            remaining -= name_length;
            entries.push(DirEntry {
                name,
                inode_block,
                inode_offset: offset as usize,
            });
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_fields_follow_the_host_byte_order() {
        // type:4 = 1, mode:12 = 0o755 written by a little-endian host: 0x1ed1 little-endian.
        let little = (0o755u16 << 4 | 1).to_le_bytes();
        let mut fields = Fields::new(&little, ByteOrder::Little);
        assert_eq!(fields.take(4), 1);
        assert_eq!(fields.take(12), 0o755);
        // The same struct from a big-endian host: type in the top nibble.
        let big = (1u16 << 12 | 0o755).to_be_bytes();
        let mut fields = Fields::new(&big, ByteOrder::Big);
        assert_eq!(fields.take(4), 1);
        assert_eq!(fields.take(12), 0o755);
    }
}
