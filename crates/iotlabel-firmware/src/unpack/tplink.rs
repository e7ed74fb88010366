//! TP-Link firmware containers. Two layouts:
//! - the classic header (`mktplinkfw`, version 1, vendor "TP-LINK Technologies" at offset 4):
//!   kernel, root file system and optional boot loader offsets and lengths; parts become
//!   `kernel`, `rootfs` and `bootloader` (the root file system, usually squashfs, is then
//!   identified by the driver through the registry);
//! - the "IMG0" header of TP-Link's VxWorks-era images: total length at offset 4 and a table of
//!   (offset, length) pairs at 0x44, counted from the header; parts become `part<N>`.

use super::stream::{be32, clip};
use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Tree};

pub static FORMAT: Format = Format {
    id: "tplink",
    description: "TP-Link firmware container (classic header)",
    magics: &[b"TP-LINK Technologies"],
    magic_offset: 4,
    probe,
    unpack,
};

pub static FORMAT_IMG0: Format = Format {
    id: "tplink-img0",
    description: "TP-Link firmware container (IMG0 header)",
    magics: &[b"IMG0"],
    magic_offset: 0,
    probe: probe_img0,
    unpack: unpack_img0,
};

const CLASSIC_HEADER: usize = 0x200;
const IMG0_TABLE: usize = 0x44;
/// Most parts an IMG0 table may list.
const IMG0_MAX_PARTS: usize = 8;

/// Classic header: version 1 and a kernel that starts after the header's first fields.
fn probe(data: &[u8]) -> bool {
    let (Some(version), Some(kernel_offset)) = (be32(data, 0), be32(data, 0x80)) else {
        return false;
    };
    version == 1 && (kernel_offset as usize) >= 0x98
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    if !probe(data) {
        return Err(UnpackError::new("tplink: implausible header"));
    }
    let field = |at: usize| be32(data, at).unwrap_or(0) as usize;
    let length = field(0x7c);
    let parts = [
        ("kernel", field(0x80), field(0x84)),
        ("rootfs", field(0x88), field(0x8c)),
        ("bootloader", field(0x90), field(0x94)),
    ];
    let mut tree = Tree::new();
    let mut end = CLASSIC_HEADER.min(data.len());
    for (name, offset, size) in parts {
        if size == 0 {
            continue;
        }
        let contents = clip(data, offset, size);
        if contents.len() < size {
            ctx.diagnostic(format!(
                "tplink: {name} is cut off ({} of {size} bytes present)",
                contents.len()
            ));
        }
        if !contents.is_empty() {
            end = end.max(offset.saturating_add(contents.len()));
            ctx.add_file(&mut tree, name, FileEntry::new(contents.to_vec()));
        }
    }
    if tree.is_empty() {
        return Err(UnpackError::new("tplink: no readable part"));
    }
    let consumed = if length >= end && length <= data.len() {
        length
    } else {
        end
    };
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed.min(data.len()) as u64,
    })
}

/// The (offset, length) pairs of an IMG0 table that lie inside the declared length.
fn img0_parts(data: &[u8]) -> Option<(usize, Vec<(usize, usize)>)> {
    let total = be32(data, 4)? as usize;
    let mut parts = Vec::new();
    for index in 0..IMG0_MAX_PARTS {
        let at = IMG0_TABLE + index * 8;
        let (offset, length) = (be32(data, at)? as usize, be32(data, at + 4)? as usize);
        if offset == 0 && length == 0 {
            break;
        }
        if offset < IMG0_TABLE + 8 || offset >= total || length == 0 {
            return None;
        }
        parts.push((offset, length));
        if parts.first().is_some_and(|&(first, _)| at + 16 > first) {
            break;
        }
    }
    (!parts.is_empty()).then_some((total, parts))
}

fn probe_img0(data: &[u8]) -> bool {
    img0_parts(data).is_some()
}

fn unpack_img0(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (total, parts) =
        img0_parts(data).ok_or_else(|| UnpackError::new("tplink-img0: implausible header"))?;
    if total > data.len() {
        ctx.diagnostic(format!(
            "tplink-img0: image is cut off ({} of {total} bytes present)",
            data.len()
        ));
    }
    let mut tree = Tree::new();
    for (index, (offset, length)) in parts.into_iter().enumerate() {
        let contents = clip(data, offset, length);
        if contents.len() < length {
            ctx.diagnostic(format!(
                "tplink-img0: part {index} is cut off ({} of {length} bytes present)",
                contents.len()
            ));
        }
        ctx.add_file(
            &mut tree,
            &format!("part{index}"),
            FileEntry::new(contents.to_vec()),
        );
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: total.min(data.len()) as u64,
    })
}
