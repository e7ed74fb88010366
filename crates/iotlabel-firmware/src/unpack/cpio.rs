//! cpio archives: "new" ASCII (070701) and its CRC variant (070702), portable ASCII "odc"
//! (070707), and the old binary format in either byte order. Parsed here (the format is a
//! header, a name and data, repeated): no maintained crate reads all four.

use super::stream::clip;
use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree};

pub static FORMAT: Format = Format {
    id: "cpio",
    description: "cpio archive (newc, crc, odc, binary)",
    magics: &[
        b"070701",
        b"070702",
        b"070707",
        &[0xc7, 0x71],
        &[0x71, 0xc7],
    ],
    magic_offset: 0,
    probe,
    unpack,
};

const TRAILER: &str = "TRAILER!!!";
/// Longest entry name accepted (PATH_MAX).
const MAX_NAME: usize = 4096;
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// Which of the header layouts an entry uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 070701 / 070702: hex fields, 4-byte alignment.
    New,
    /// 070707: octal fields, no alignment.
    Portable,
    /// 16-bit binary fields, 2-byte alignment.
    Binary { little_endian: bool },
}

/// One header, decoded.
#[derive(Debug)]
struct Header {
    mode: u32,
    uid: u32,
    gid: u32,
    name_size: usize,
    file_size: usize,
    header_size: usize,
}

fn kind_of(data: &[u8]) -> Option<Kind> {
    match data.get(..6)? {
        b"070701" | b"070702" => Some(Kind::New),
        b"070707" => Some(Kind::Portable),
        _ => match data.get(..2)? {
            [0xc7, 0x71] => Some(Kind::Binary {
                little_endian: true,
            }),
            [0x71, 0xc7] => Some(Kind::Binary {
                little_endian: false,
            }),
            _ => None,
        },
    }
}

fn number(field: &[u8], radix: u32) -> Option<usize> {
    let text = std::str::from_utf8(field).ok()?;
    usize::from_str_radix(text, radix).ok()
}

fn parse_header(data: &[u8], kind: Kind) -> Option<Header> {
    match kind {
        Kind::New => {
            let field = |index: usize| number(data.get(6 + index * 8..14 + index * 8)?, 16);
            Some(Header {
                mode: field(1)? as u32,
                uid: field(2)? as u32,
                gid: field(3)? as u32,
                file_size: field(6)?,
                name_size: field(11)?,
                header_size: 110,
            })
        }
        Kind::Portable => {
            let field = |start: usize, length: usize| number(data.get(start..start + length)?, 8);
            Some(Header {
                mode: field(18, 6)? as u32,
                uid: field(24, 6)? as u32,
                gid: field(30, 6)? as u32,
                name_size: field(59, 6)?,
                file_size: field(65, 11)?,
                header_size: 76,
            })
        }
        Kind::Binary { little_endian } => {
            let word = |index: usize| -> Option<usize> {
                let bytes: [u8; 2] = data.get(index * 2..index * 2 + 2)?.try_into().ok()?;
                Some(usize::from(if little_endian {
                    u16::from_le_bytes(bytes)
                } else {
                    u16::from_be_bytes(bytes)
                }))
            };
            Some(Header {
                mode: word(3)? as u32,
                uid: word(4)? as u32,
                gid: word(5)? as u32,
                name_size: word(10)?,
                file_size: (word(11)? << 16) | word(12)?,
                header_size: 26,
            })
        }
    }
}

fn align(value: usize, kind: Kind) -> usize {
    let to = match kind {
        Kind::New => 4,
        Kind::Portable => 1,
        Kind::Binary { .. } => 2,
    };
    value.saturating_add(to - 1) / to * to
}

/// The first header decodes, with a name that fits and ends in NUL.
fn probe(data: &[u8]) -> bool {
    let Some(kind) = kind_of(data) else {
        return false;
    };
    let Some(header) = parse_header(data, kind) else {
        return false;
    };
    header.name_size > 0
        && header.name_size <= MAX_NAME
        && data.get(header.header_size + header.name_size - 1) == Some(&0)
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let mut tree = Tree::new();
    let mut at = 0usize;
    let mut count = 0usize;
    let mut ended = false;
    while at < data.len() {
        let entry = data.get(at..).unwrap_or(&[]);
        let Some(kind) = kind_of(entry) else {
            ctx.diagnostic(format!(
                "cpio: no header at {at:#x}; the archive ends without a trailer"
            ));
            break;
        };
        let Some(header) = parse_header(entry, kind) else {
            ctx.diagnostic(format!("cpio: damaged or cut-off header at {at:#x}"));
            break;
        };
        if header.name_size == 0 || header.name_size > MAX_NAME {
            ctx.diagnostic(format!(
                "cpio: implausible name length {} at {at:#x}",
                header.name_size
            ));
            break;
        }
        let name_bytes = clip(entry, header.header_size, header.name_size - 1);
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        let data_start = align(header.header_size + header.name_size, kind);
        let contents = clip(entry, data_start, header.file_size);
        let next = align(data_start.saturating_add(header.file_size), kind);
        at = at.saturating_add(next);
        if name == TRAILER {
            ended = true;
            break;
        }
        count += 1;
        if contents.len() < header.file_size {
            ctx.diagnostic(format!(
                "cpio: {name:?} is cut off ({} of {} bytes present)",
                contents.len(),
                header.file_size
            ));
        }
        if name == "." {
            continue;
        }
        let mode = header.mode;
        match mode & S_IFMT {
            S_IFREG => {
                let file = FileEntry {
                    data: contents.to_vec(),
                    mode,
                    uid: header.uid,
                    gid: header.gid,
                };
                ctx.add_file(&mut tree, &name, file);
            }
            S_IFDIR => {
                ctx.add_node(&mut tree, &name, Node::Dir { mode });
            }
            S_IFLNK => {
                let target = String::from_utf8_lossy(contents).into_owned();
                ctx.add_node(&mut tree, &name, Node::Symlink { target });
            }
            _ => {
                ctx.add_node(&mut tree, &name, Node::Special { mode });
            }
        }
        if contents.len() < header.file_size {
            break;
        }
    }
    if count == 0 && !ended {
        return Err(UnpackError::new("cpio: no readable entry"));
    }
    if !ended && at >= data.len() {
        ctx.diagnostic("cpio: the archive ends without a TRAILER!!! entry");
    }
    super::tar::report_escaping_links(&tree, ctx);
    // cpio pads the archive with zeros to a 512-byte block; the padding belongs to it.
    if ended {
        let padded = at.saturating_add(511) / 512 * 512;
        if data
            .get(at..padded)
            .is_some_and(|padding| padding.iter().all(|&byte| byte == 0))
        {
            at = padded;
        }
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: at.min(data.len()) as u64,
    })
}
