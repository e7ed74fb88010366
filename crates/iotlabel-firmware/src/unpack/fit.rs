//! U-Boot FIT images: a flattened device tree (magic 0xd00dfeed) whose `/images/<name>` nodes
//! carry the kernel, ramdisk, device trees and file systems. The tree is walked here (the
//! structure block is a simple token stream, no crate needed); each image's `data` (or external
//! `data-offset`/`data-position` with `data-size`) becomes a file named after its node.

use super::stream::{be32, clip};
use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Tree};

pub static FORMAT: Format = Format {
    id: "fit",
    description: "U-Boot FIT image (flattened device tree)",
    magics: &[&[0xd0, 0x0d, 0xfe, 0xed]],
    magic_offset: 0,
    probe,
    unpack,
};

const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROPERTY: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;
/// Deepest node nesting accepted.
const MAX_NESTING: usize = 64;
/// How far into the structure block the probe looks for an `images` node.
const PROBE_WINDOW: usize = 64 * 1024;

/// The header fields the walk needs.
#[derive(Debug)]
struct Header {
    total_size: usize,
    structure: usize,
    strings: usize,
    strings_size: usize,
    structure_size: usize,
}

fn header(data: &[u8]) -> Option<Header> {
    if be32(data, 0)? != 0xd00d_feed {
        return None;
    }
    let total_size = be32(data, 4)? as usize;
    let structure = be32(data, 8)? as usize;
    let strings = be32(data, 12)? as usize;
    let version = be32(data, 20)?;
    let strings_size = be32(data, 32)? as usize;
    let structure_size = if version >= 17 {
        be32(data, 36)? as usize
    } else {
        total_size.saturating_sub(structure)
    };
    (total_size >= 40 && structure < total_size && strings < total_size && version >= 16).then_some(
        Header {
            total_size,
            structure,
            strings,
            strings_size,
            structure_size,
        },
    )
}

/// A sane header and an `images` node name near the start of the structure block: a plain
/// device tree (no images) is not a FIT image.
fn probe(data: &[u8]) -> bool {
    let Some(header) = header(data) else {
        return false;
    };
    let block = clip(
        data,
        header.structure,
        header.structure_size.min(PROBE_WINDOW),
    );
    block.windows(7).any(|window| window == b"images\0")
}

fn align4(value: usize) -> usize {
    value.saturating_add(3) / 4 * 4
}

/// One image node's interesting properties.
#[derive(Debug, Default)]
struct Image {
    name: String,
    data: Option<(usize, usize)>,
    external_offset: Option<usize>,
    external_position: Option<usize>,
    external_size: Option<usize>,
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let header = header(data).ok_or_else(|| UnpackError::new("fit: not a device tree header"))?;
    if header.total_size > data.len() {
        ctx.diagnostic(format!(
            "fit: image is cut off ({} of {} bytes present)",
            data.len(),
            header.total_size
        ));
    }
    let strings = clip(data, header.strings, header.strings_size);
    let structure_end = header
        .structure
        .saturating_add(header.structure_size)
        .min(data.len());
    let mut path: Vec<String> = Vec::new();
    let mut images: Vec<Image> = Vec::new();
    let mut at = header.structure;
    let mut finished = false;
    while at + 4 <= structure_end {
        let Some(token) = be32(data, at) else { break };
        at += 4;
        match token {
            BEGIN_NODE => {
                let rest = data.get(at..structure_end).unwrap_or(&[]);
                let Some(length) = rest.iter().position(|&byte| byte == 0) else {
                    break;
                };
                let name = String::from_utf8_lossy(rest.get(..length).unwrap_or(&[])).into_owned();
                at = align4(at + length + 1);
                if path.len() >= MAX_NESTING {
                    ctx.diagnostic("fit: nodes nest too deeply; walk stopped");
                    break;
                }
                path.push(name.clone());
                // Root is "", so an image node sits at ["", "images", name].
                if path.len() == 3 && path.get(1).map(String::as_str) == Some("images") {
                    images.push(Image {
                        name,
                        ..Image::default()
                    });
                }
            }
            END_NODE => {
                path.pop();
            }
            PROPERTY => {
                let (Some(length), Some(name_offset)) = (be32(data, at), be32(data, at + 4)) else {
                    break;
                };
                let length = length as usize;
                let value_start = at + 8;
                at = align4(value_start.saturating_add(length));
                if path.len() != 3 || path.get(1).map(String::as_str) != Some("images") {
                    continue;
                }
                let name_bytes = strings.get(name_offset as usize..).unwrap_or(&[]);
                let name_length = name_bytes.iter().position(|&byte| byte == 0).unwrap_or(0);
                let name = name_bytes.get(..name_length).unwrap_or(&[]);
                let Some(image) = images.last_mut() else {
                    continue;
                };
                let value = be32(data, value_start).map(|value| value as usize);
                match name {
                    b"data" => image.data = Some((value_start, length)),
                    b"data-offset" => image.external_offset = value,
                    b"data-position" => image.external_position = value,
                    b"data-size" => image.external_size = value,
                    _ => {}
                }
            }
            NOP => {}
            END => {
                finished = true;
                break;
            }
            other => {
                ctx.diagnostic(format!(
                    "fit: unknown structure token {other:#x} at {:#x}; walk stopped",
                    at - 4
                ));
                break;
            }
        }
    }
    if !finished {
        ctx.diagnostic("fit: the device tree structure ends early");
    }
    let mut tree = Tree::new();
    let mut consumed = header.total_size.min(data.len());
    // External data sits after the tree, at offsets counted from its 4-byte aligned end.
    let external_base = align4(header.total_size);
    for image in &images {
        let (start, length) = match (
            image.data,
            image.external_position,
            image.external_offset,
            image.external_size,
        ) {
            (Some(inline), _, _, _) => inline,
            (None, Some(position), _, Some(size)) => (position, size),
            (None, None, Some(offset), Some(size)) => (external_base.saturating_add(offset), size),
            _ => {
                ctx.diagnostic(format!("fit: image {:?} has no data", image.name));
                continue;
            }
        };
        let contents = clip(data, start, length);
        if contents.len() < length {
            ctx.diagnostic(format!(
                "fit: image {:?} is cut off ({} of {length} bytes present)",
                image.name,
                contents.len()
            ));
        }
        consumed = consumed.max(start.saturating_add(contents.len()).min(data.len()));
        ctx.add_file(&mut tree, &image.name, FileEntry::new(contents.to_vec()));
    }
    if images.is_empty() {
        return Err(UnpackError::new("fit: the device tree has no /images node"));
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}
