//! Broadcom TRX containers (magic `HDR0`): a header with up to three (version 1) or four
//! (version 2) partition offsets; each partition becomes a file `part<N>`.

use super::stream::{clip, le16, le32};
use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Tree};

pub static FORMAT: Format = Format {
    id: "trx",
    description: "Broadcom TRX firmware container",
    magics: &[b"HDR0"],
    magic_offset: 0,
    probe,
    unpack,
};

/// Largest TRX length accepted as plausible.
const MAX_LENGTH: u32 = 256 << 20;

fn probe(data: &[u8]) -> bool {
    let (Some(length), Some(version), Some(first)) =
        (le32(data, 4), le16(data, 14), le32(data, 16))
    else {
        return false;
    };
    (28..=MAX_LENGTH).contains(&length) && matches!(version, 1 | 2) && first < length
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    if !probe(data) {
        return Err(UnpackError::new("trx: implausible header"));
    }
    let length = le32(data, 4).unwrap_or(0) as usize;
    let stored_crc = le32(data, 8).unwrap_or(0);
    let version = le16(data, 14).unwrap_or(1);
    if length > data.len() {
        ctx.diagnostic(format!(
            "trx: image is cut off ({} of {length} bytes present)",
            data.len()
        ));
    } else if crc32fast::hash(clip(data, 12, length - 12)) ^ 0xffff_ffff != stored_crc
        && crc32fast::hash(clip(data, 12, length - 12)) != stored_crc
    {
        ctx.diagnostic("trx: CRC does not match");
    }
    let slots = if version == 2 { 4 } else { 3 };
    let header_size = 16 + 4 * slots;
    let mut offsets: Vec<usize> = (0..slots)
        .filter_map(|slot| le32(data, 16 + 4 * slot))
        .map(|offset| offset as usize)
        .filter(|&offset| offset != 0)
        .collect();
    offsets.retain(|&offset| offset >= header_size.min(28) && offset < length);
    offsets.sort_unstable();
    offsets.dedup();
    let mut tree = Tree::new();
    for (index, &start) in offsets.iter().enumerate() {
        let end = offsets.get(index + 1).copied().unwrap_or(length);
        let part = clip(data, start, end - start);
        ctx.add_file(
            &mut tree,
            &format!("part{index}"),
            FileEntry::new(part.to_vec()),
        );
    }
    if offsets.is_empty() {
        ctx.diagnostic("trx: no partition offsets");
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: length.min(data.len()) as u64,
    })
}
