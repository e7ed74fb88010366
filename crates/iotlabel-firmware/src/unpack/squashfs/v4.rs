//! Squashfs 4.0 layout: superblock, inodes, directory listings, fragment and id tables.
//! All fields are byte-aligned integers in the image's byte order (little-endian, or
//! big-endian for AVM's variant).

use super::{
    ByteOrder, Compression, DirEntry, FileInode, Inode, InodeKind, MetaCursor, NO_FRAGMENT, Reader,
    S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK, SquashfsInfo, Superblock, block_count, read_u16, read_u32,
    read_u64,
};
use crate::unpack::UnpackError;

const SUPERBLOCK_SIZE: usize = 96;
/// Table offset meaning "no such table".
const NO_TABLE: u64 = u64::MAX;
/// Fragment entries per metadata block (16 bytes each).
const FRAGMENTS_PER_BLOCK: u32 = 512;
/// Ids per metadata block (4 bytes each).
const IDS_PER_BLOCK: u32 = 2048;

pub(super) fn parse_superblock(data: &[u8], order: ByteOrder) -> Result<Superblock, UnpackError> {
    if data.len() < SUPERBLOCK_SIZE {
        return Err(UnpackError::new("squashfs 4.0 superblock truncated"));
    }
    let missing = || UnpackError::new("squashfs 4.0 superblock truncated");
    let u16_at = |at| read_u16(data, at, order).ok_or_else(missing);
    let u32_at = |at| read_u32(data, at, order).ok_or_else(missing);
    let u64_at = |at| read_u64(data, at, order).ok_or_else(missing);
    let inode_count = u32_at(4)?;
    let block_size = u32_at(12)?;
    let fragment_count = u32_at(16)?;
    let compressor = u16_at(20)?;
    let block_log = u16_at(22)?;
    let id_count = u16_at(26)?;
    let minor = u16_at(30)?;
    let root_inode = u64_at(32)?;
    let bytes_used = u64_at(40)?;
    let id_table = u64_at(48)?;
    let inode_table = u64_at(64)?;
    let directory_table = u64_at(72)?;
    let fragment_table = u64_at(80)?;
    let compression = Compression::from_v4_id(compressor).ok_or_else(|| {
        UnpackError::new(format!("squashfs 4.0: unknown compressor id {compressor}"))
    })?;
    if 1u64.checked_shl(u32::from(block_log)) != Some(u64::from(block_size)) {
        return Err(UnpackError::new(
            "squashfs 4.0: block size and block log disagree",
        ));
    }
    if inode_table < SUPERBLOCK_SIZE as u64 || id_table >= bytes_used || id_count == 0 {
        return Err(UnpackError::new("squashfs 4.0: table offsets implausible"));
    }
    if fragment_count > 0 && (fragment_table == NO_TABLE || fragment_table >= bytes_used) {
        return Err(UnpackError::new(
            "squashfs 4.0: fragment table past the end",
        ));
    }
    Ok(Superblock {
        info: SquashfsInfo {
            major: 4,
            minor,
            byte_order: order,
            compression,
            inode_count,
            block_size,
            bytes_used,
        },
        root_inode,
        inode_table,
        directory_table,
        fragment_table,
        fragment_count,
        id_table,
        id_count: u32::from(id_count),
        gid_table: 0,
        gid_count: 0,
        check_marker: false,
    })
}

/// Reads the uid/gid table: an array of u64 pointers to metadata blocks of u32 ids.
pub(super) fn read_id_table(
    reader: &mut Reader<'_>,
    table: u64,
    count: u32,
) -> Result<Vec<u32>, String> {
    let mut ids = Vec::new();
    let blocks = count.div_ceil(IDS_PER_BLOCK);
    for block in 0..blocks {
        let pointer_at = table.saturating_add(u64::from(block) * 8);
        let pointer = reader.slice(pointer_at, 8)?;
        let start = read_u64(pointer, 0, reader.order).unwrap_or(u64::MAX);
        let in_block = (count - block * IDS_PER_BLOCK).min(IDS_PER_BLOCK);
        let mut cursor = MetaCursor {
            block: start,
            offset: 0,
        };
        let bytes = reader.read_metadata(&mut cursor, in_block as usize * 4)?;
        ids.extend(
            bytes
                .chunks_exact(4)
                .filter_map(|chunk| read_u32(chunk, 0, reader.order)),
        );
    }
    Ok(ids)
}

pub(super) fn fragment_entry(reader: &mut Reader<'_>, index: u32) -> Result<(u64, u32), String> {
    let block = index / FRAGMENTS_PER_BLOCK;
    let pointer_at = reader.fragment_table.saturating_add(u64::from(block) * 8);
    let pointer = reader.slice(pointer_at, 8)?;
    let start = read_u64(pointer, 0, reader.order).unwrap_or(u64::MAX);
    let mut cursor = MetaCursor {
        block: start,
        offset: (index % FRAGMENTS_PER_BLOCK) as usize * 16,
    };
    let entry = reader.read_metadata(&mut cursor, 16)?;
    let start = read_u64(&entry, 0, reader.order).unwrap_or(u64::MAX);
    let size = read_u32(&entry, 8, reader.order).unwrap_or(0);
    Ok((start, size))
}

pub(super) fn read_inode(
    reader: &mut Reader<'_>,
    cursor: &mut MetaCursor,
) -> Result<Inode, String> {
    let order = reader.order;
    let header = reader.read_metadata(cursor, 16)?;
    let field16 = |bytes: &[u8], at| read_u16(bytes, at, order).unwrap_or(0);
    let field32 = |bytes: &[u8], at| read_u32(bytes, at, order).unwrap_or(0);
    let field64 = |bytes: &[u8], at| read_u64(bytes, at, order).unwrap_or(0);
    let inode_type = field16(&header, 0);
    let permissions = u32::from(field16(&header, 2));
    let uid_index = u32::from(field16(&header, 4));
    let gid_index = u32::from(field16(&header, 6));
    let kind = match inode_type {
        1 => {
            let body = reader.read_metadata(cursor, 16)?;
            directory_kind(
                u64::from(field32(&body, 0)),
                field16(&body, 10),
                u64::from(field16(&body, 8)),
            )
        }
        8 => {
            let body = reader.read_metadata(cursor, 24)?;
            directory_kind(
                u64::from(field32(&body, 8)),
                field16(&body, 18),
                u64::from(field32(&body, 4)),
            )
        }
        2 => {
            let body = reader.read_metadata(cursor, 16)?;
            let fragment = field32(&body, 4);
            file_kind(
                reader,
                *cursor,
                u64::from(field32(&body, 0)),
                u64::from(field32(&body, 12)),
                fragment,
                field32(&body, 8),
            )
        }
        9 => {
            let body = reader.read_metadata(cursor, 40)?;
            file_kind(
                reader,
                *cursor,
                field64(&body, 0),
                field64(&body, 8),
                field32(&body, 28),
                field32(&body, 32),
            )
        }
        3 | 10 => {
            let body = reader.read_metadata(cursor, 8)?;
            let length = field32(&body, 4);
            if length > 65_535 {
                return Err(format!("symlink target of {length} bytes"));
            }
            let target = reader.read_metadata(cursor, length as usize)?;
            InodeKind::Symlink { target }
        }
        4 | 11 => InodeKind::Special { type_bits: S_IFBLK },
        5 | 12 => InodeKind::Special { type_bits: S_IFCHR },
        6 | 13 => InodeKind::Special { type_bits: S_IFIFO },
        7 | 14 => InodeKind::Special {
            type_bits: S_IFSOCK,
        },
        other => return Err(format!("unknown inode type {other}")),
    };
    Ok(Inode {
        kind,
        permissions,
        uid_index,
        gid_index: Some(gid_index),
    })
}

/// A directory inode; the stored size counts 3 bytes more than the listing (for "." and "..").
fn directory_kind(start_block: u64, offset: u16, stored_size: u64) -> InodeKind {
    InodeKind::Dir {
        start_block,
        offset: usize::from(offset),
        listing_size: stored_size.saturating_sub(3),
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

/// Reads a directory listing of `listing_size` bytes: headers of up to 256 entries each.
pub(super) fn read_directory(
    reader: &mut Reader<'_>,
    cursor: &mut MetaCursor,
    listing_size: u64,
) -> Result<Vec<DirEntry>, String> {
    let order = reader.order;
    let mut entries = Vec::new();
    let mut remaining = listing_size;
    while remaining >= 12 {
        let header = reader.read_metadata(cursor, 12)?;
        remaining -= 12;
        let count = u64::from(read_u32(&header, 0, order).unwrap_or(0)) + 1;
        let inode_block = u64::from(read_u32(&header, 4, order).unwrap_or(0));
        if count > 256 {
            return Err(format!(
                "directory header claims {count} entries (at most 256)"
            ));
        }
        for _ in 0..count {
            if remaining < 8 {
                return Err("directory entry runs past the listing".to_owned());
            }
            let entry = reader.read_metadata(cursor, 8)?;
            let offset = read_u16(&entry, 0, order).unwrap_or(0);
            let name_length = u64::from(read_u16(&entry, 6, order).unwrap_or(0)) + 1;
            remaining -= 8;
            if name_length > remaining || name_length > 256 {
                return Err("directory entry name runs past the listing".to_owned());
            }
            let name = reader.read_metadata(cursor, name_length as usize)?;
            remaining -= name_length;
            entries.push(DirEntry {
                name,
                inode_block,
                inode_offset: usize::from(offset),
            });
        }
    }
    Ok(entries)
}
