//! zip archives (stored and deflate entries, data descriptors, zip64 sizes). Written here rather
//! than with the `zip` crate because that crate needs an intact central directory: firmware zips
//! are often cut off, and a truncated archive must still give every entry that can be read. The
//! archive is walked by its local headers; the central directory, when present, adds the Unix
//! modes (symlinks) and the end of the archive.

use std::collections::HashMap;

use super::stream::{self, End, le16, le32};
use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree};

pub static FORMAT: Format = Format {
    id: "zip",
    description: "zip archive",
    magics: &[b"PK\x03\x04"],
    magic_offset: 0,
    probe,
    unpack,
};

const LOCAL: &[u8] = b"PK\x03\x04";
const CENTRAL: &[u8] = b"PK\x01\x02";
const END: &[u8] = b"PK\x05\x06";
const DESCRIPTOR: &[u8] = b"PK\x07\x08";
const LOCAL_HEADER: usize = 30;
const FLAG_ENCRYPTED: u16 = 0x0001;
const FLAG_DESCRIPTOR: u16 = 0x0008;
const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;

/// Local header sanity: a known compression method and a name that fits.
fn probe(data: &[u8]) -> bool {
    let (Some(version), Some(method), Some(name_length)) =
        (le16(data, 4), le16(data, 8), le16(data, 26))
    else {
        return false;
    };
    version & 0xff < 100
        && matches!(method, 0 | 8 | 9 | 12 | 14 | 93 | 95 | 98 | 99)
        && name_length > 0
}

/// What the central directory says about the entry whose local header is at an offset.
#[derive(Debug, Clone, Copy)]
struct CentralInfo {
    unix_mode: Option<u32>,
    compressed_size: u64,
}

/// The end of central directory record: (its end, the entries by local header offset).
fn central_directory(data: &[u8]) -> Option<(usize, HashMap<usize, CentralInfo>)> {
    let search_from = data.len().saturating_sub(22 + 65_535);
    let tail = data.get(search_from..)?;
    let relative = tail.windows(4).rposition(|window| window == END)?;
    let eocd = search_from + relative;
    let entries = le16(data, eocd + 10)? as usize;
    let size = le32(data, eocd + 12)? as usize;
    let offset = le32(data, eocd + 16)? as usize;
    let comment = le16(data, eocd + 20)? as usize;
    let end = (eocd + 22 + comment).min(data.len());
    let mut info = HashMap::new();
    if offset.checked_add(size)? > eocd || data.get(offset..offset + 4) != Some(CENTRAL) {
        return Some((end, info));
    }
    let mut at = offset;
    for _ in 0..entries {
        if data.get(at..at + 4) != Some(CENTRAL) {
            break;
        }
        let made_by = le16(data, at + 4)?;
        let compressed_size = u64::from(le32(data, at + 20)?);
        let name_length = le16(data, at + 28)? as usize;
        let extra_length = le16(data, at + 30)? as usize;
        let comment_length = le16(data, at + 32)? as usize;
        let external = le32(data, at + 38)?;
        let local = le32(data, at + 42)? as usize;
        // Host 3 is Unix: the mode sits in the high half of the external attributes.
        let unix_mode = (made_by >> 8 == 3).then_some(external >> 16);
        info.insert(
            local,
            CentralInfo {
                unix_mode,
                compressed_size,
            },
        );
        at += 46 + name_length + extra_length + comment_length;
    }
    Some((end, info))
}

/// The zip64 extended information extra field: (uncompressed, compressed) sizes.
fn zip64_sizes(extra: &[u8]) -> Option<(u64, u64)> {
    let mut at = 0usize;
    while at + 4 <= extra.len() {
        let id = le16(extra, at)?;
        let length = le16(extra, at + 2)? as usize;
        if id == 0x0001 {
            let field = extra.get(at + 4..at + 4 + length)?;
            let read = |offset: usize| -> Option<u64> {
                Some(u64::from_le_bytes(
                    field.get(offset..offset + 8)?.try_into().ok()?,
                ))
            };
            return Some((read(0)?, read(8)?));
        }
        at += 4 + length;
    }
    None
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let directory = central_directory(data);
    if directory.is_none() {
        ctx.diagnostic("zip: no end of central directory record (archive cut off?); reading local headers only");
    }
    let central = directory
        .as_ref()
        .map(|(_, info)| info.clone())
        .unwrap_or_default();
    let mut tree = Tree::new();
    let mut at = 0usize;
    let mut count = 0usize;
    while data.get(at..at + 4) == Some(LOCAL) {
        let Some(header) = data.get(at..at + LOCAL_HEADER) else {
            ctx.diagnostic(format!("zip: local header at {at:#x} is cut off"));
            break;
        };
        let flags = le16(header, 6).unwrap_or(0);
        let method = le16(header, 8).unwrap_or(0);
        let crc = le32(header, 14).unwrap_or(0);
        let mut compressed = u64::from(le32(header, 18).unwrap_or(0));
        let name_length = le16(header, 26).unwrap_or(0) as usize;
        let extra_length = le16(header, 28).unwrap_or(0) as usize;
        let name_bytes = stream::clip(data, at + LOCAL_HEADER, name_length);
        let extra = stream::clip(data, at + LOCAL_HEADER + name_length, extra_length);
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        let body = at + LOCAL_HEADER + name_length + extra_length;
        if body > data.len() {
            ctx.diagnostic(format!("zip: entry {name:?} is cut off in its header"));
            break;
        }
        count += 1;
        if compressed == 0xffff_ffff
            && let Some((_, size)) = zip64_sizes(extra)
        {
            compressed = size;
        }
        let info = central.get(&at).copied();
        if flags & FLAG_DESCRIPTOR != 0
            && compressed == 0
            && let Some(info) = info
        {
            compressed = info.compressed_size;
        }
        let rest = data.get(body..).unwrap_or(&[]);
        let (cap, hit) = ctx.budget.stream_cap(
            rest.len()
                .min(usize::try_from(compressed).unwrap_or(usize::MAX))
                .max(1),
        );
        // The entry's contents and the input bytes its compressed data used.
        let (contents, used, end) = match method {
            0 => {
                let size = if flags & FLAG_DESCRIPTOR != 0 && compressed == 0 {
                    find_stored_end(rest).unwrap_or(rest.len())
                } else {
                    usize::try_from(compressed).unwrap_or(usize::MAX)
                };
                let present = stream::clip(rest, 0, size);
                let cap = usize::try_from(cap).unwrap_or(usize::MAX);
                let end = if present.len() < size {
                    End::Truncated
                } else if present.len() > cap {
                    End::Capped
                } else {
                    End::Complete
                };
                (
                    present
                        .get(..present.len().min(cap))
                        .unwrap_or(&[])
                        .to_vec(),
                    present.len(),
                    end,
                )
            }
            8 => {
                let limit = if flags & FLAG_DESCRIPTOR != 0 && compressed == 0 {
                    rest.len()
                } else {
                    usize::try_from(compressed).unwrap_or(usize::MAX)
                };
                let decoded = stream::inflate(stream::clip(rest, 0, limit), false, cap);
                let used = if flags & FLAG_DESCRIPTOR != 0 && compressed == 0 {
                    decoded.consumed
                } else {
                    limit.min(rest.len())
                };
                (decoded.data, used, decoded.end)
            }
            other => {
                ctx.diagnostic(format!("zip: entry {name:?} uses compression method {other}, which is not supported; skipped"));
                let used = usize::try_from(compressed)
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                (Vec::new(), used, End::Corrupt(String::new()))
            }
        };
        at = body + used;
        if flags & FLAG_DESCRIPTOR != 0 {
            at += if data.get(at..at + 4) == Some(DESCRIPTOR) {
                16
            } else {
                12
            };
        }
        if flags & FLAG_ENCRYPTED != 0 {
            ctx.diagnostic(format!("zip: entry {name:?} is encrypted; skipped"));
            continue;
        }
        let is_dir = name.ends_with('/') || name.ends_with('\\');
        match &end {
            End::Complete => {
                if !is_dir && crc32fast::hash(&contents) != crc && flags & FLAG_DESCRIPTOR == 0 {
                    ctx.diagnostic(format!("zip: entry {name:?} fails its CRC check"));
                }
            }
            End::Capped => ctx.limit_hit(hit),
            End::Truncated => {
                ctx.diagnostic(format!(
                    "zip: entry {name:?} is cut off ({} bytes readable)",
                    contents.len()
                ));
            }
            End::Corrupt(message) if message.is_empty() => continue,
            End::Corrupt(message) => {
                ctx.diagnostic(format!("zip: entry {name:?} is damaged ({message})"));
            }
        }
        let mode = info.and_then(|info| info.unix_mode).unwrap_or(0);
        if is_dir {
            ctx.add_node(&mut tree, &name, Node::Dir { mode: 0o040755 });
        } else if mode & S_IFMT == S_IFLNK {
            let target = String::from_utf8_lossy(&contents).into_owned();
            ctx.add_node(&mut tree, &name, Node::Symlink { target });
        } else {
            let mode = if mode == 0 { 0o100644 } else { mode };
            ctx.add_file(
                &mut tree,
                &name,
                FileEntry {
                    data: contents,
                    mode,
                    uid: 0,
                    gid: 0,
                },
            );
        }
        if at > data.len() {
            break;
        }
    }
    if count == 0 {
        return Err(UnpackError::new("zip: no readable local header"));
    }
    super::tar::report_escaping_links(&tree, ctx);
    let consumed = match directory {
        Some((end, _)) if end > at => end,
        _ => at.min(data.len()),
    };
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}

/// For a stored entry written with a data descriptor: the descriptor whose size field matches
/// its distance from the start of the data.
fn find_stored_end(rest: &[u8]) -> Option<usize> {
    let mut from = 0usize;
    while let Some(relative) = rest
        .get(from..)?
        .windows(4)
        .position(|window| window == DESCRIPTOR)
    {
        let candidate = from + relative;
        if le32(rest, candidate + 8).is_some_and(|size| size as usize == candidate) {
            return Some(candidate);
        }
        from = candidate + 1;
    }
    None
}
