//! romfs reader (`-rom1fs-`): the big-endian, uncompressed ROM file system of uClinux and
//! small bootloaders. Files, directories, hard links (as copies), symlinks and device nodes.
//!
//! Written here rather than taken from a crate: the format is a few fixed headers, and no
//! maintained crate reads it from a byte slice with the bounds hostile input needs.

use std::collections::HashSet;

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree};

/// The romfs format: `-rom1fs-` at offset 0.
pub const FORMAT: Format = Format {
    id: "romfs",
    description: "romfs read-only ROM file system",
    magics: &[b"-rom1fs-"],
    magic_offset: 0,
    probe,
    unpack,
};

const HEADER_LEN: usize = 16;
/// Names are NUL terminated; the kernel caps them at a page, real images are far shorter.
const MAX_NAME_LEN: usize = 4096;
const MAX_DEPTH: usize = 256;
/// Longest symlink target kept (the kernel's PATH_MAX).
const MAX_LINK_TARGET: usize = 4096;

const TYPE_HARD_LINK: u32 = 0;
const TYPE_DIRECTORY: u32 = 1;
const TYPE_FILE: u32 = 2;
const TYPE_SYMLINK: u32 = 3;
const TYPE_BLOCK_DEVICE: u32 = 4;
const TYPE_CHAR_DEVICE: u32 = 5;
const TYPE_SOCKET: u32 = 6;
const TYPE_FIFO: u32 = 7;
const EXECUTABLE_BIT: u32 = 8;

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

fn be32(data: &[u8], offset: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

fn align16(value: usize) -> usize {
    value.saturating_add(15) & !15
}

/// The NUL-terminated name at `offset` and where the padded name ends.
fn name_at(data: &[u8], offset: usize) -> Option<(&[u8], usize)> {
    let window = data.get(offset..)?;
    let window = window.get(..MAX_NAME_LEN.min(window.len()))?;
    let length = window.iter().position(|&b| b == 0)?;
    Some((window.get(..length)?, align16(offset + length + 1)))
}

/// One file header.
#[derive(Debug, Clone)]
struct Header {
    next: usize,
    kind: u32,
    executable: bool,
    info: u32,
    size: u32,
    name: String,
    data_offset: usize,
}

fn header_at(data: &[u8], offset: usize) -> Option<Header> {
    let next_word = be32(data, offset)?;
    let info = be32(data, offset.checked_add(4)?)?;
    let size = be32(data, offset.checked_add(8)?)?;
    let (name, data_offset) = name_at(data, offset.checked_add(HEADER_LEN)?)?;
    Some(Header {
        next: (next_word & !15) as usize,
        kind: next_word & 7,
        executable: next_word & EXECUTABLE_BIT != 0,
        info,
        size,
        name: String::from_utf8_lossy(name).into_owned(),
        data_offset,
    })
}

/// The declared size and the offset of the first file header.
fn read_volume(data: &[u8]) -> Result<(usize, usize), String> {
    if data.get(..8) != Some(b"-rom1fs-".as_slice()) {
        return Err("no romfs magic".to_owned());
    }
    let full_size = be32(data, 8).ok_or("romfs header truncated")? as usize;
    let (_, first) = name_at(data, 16).ok_or("romfs volume name unterminated")?;
    if full_size < first + HEADER_LEN {
        return Err(format!(
            "romfs size {full_size} is smaller than its headers"
        ));
    }
    Ok((full_size, first))
}

/// Magic, a size that covers the headers, and a readable first file header whose links
/// stay inside the declared size.
fn probe(data: &[u8]) -> bool {
    let Ok((full_size, first)) = read_volume(data) else {
        return false;
    };
    match header_at(data, first) {
        Some(header) => header.next < full_size && !header.name.is_empty(),
        None => false,
    }
}

struct Walker<'a> {
    data: &'a [u8],
    full_size: usize,
    visited_headers: HashSet<usize>,
    visited_dirs: HashSet<usize>,
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (full_size, first) = read_volume(data).map_err(UnpackError::new)?;
    if header_at(data, first).is_none() {
        return Err(UnpackError::new("romfs first file header unreadable"));
    }
    let consumed = if full_size > data.len() {
        ctx.diagnostic(format!(
            "romfs: image truncated: header says {full_size} bytes, {} present",
            data.len()
        ));
        data.len()
    } else {
        full_size
    };
    let mut walker = Walker {
        data,
        full_size,
        visited_headers: HashSet::new(),
        visited_dirs: HashSet::new(),
    };
    let mut tree = Tree::new();
    // (first header of a directory, its path, depth)
    let mut pending: Vec<(usize, String, usize)> = vec![(first, String::new(), 0)];
    walker.visited_dirs.insert(first);
    while let Some((start, path, depth)) = pending.pop() {
        walker.read_dir(start, &path, depth, &mut tree, &mut pending, ctx);
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}

impl Walker<'_> {
    fn read_dir(
        &mut self,
        start: usize,
        dir_path: &str,
        depth: usize,
        tree: &mut Tree,
        pending: &mut Vec<(usize, String, usize)>,
        ctx: &mut UnpackContext<'_>,
    ) {
        let mut offset = start;
        while offset != 0 {
            if !self.visited_headers.insert(offset) {
                ctx.diagnostic(format!(
                    "romfs: header chain of /{dir_path} loops at {offset:#x}; stopped"
                ));
                return;
            }
            if offset >= self.full_size {
                ctx.diagnostic(format!(
                    "romfs: header at {offset:#x} lies past the declared size"
                ));
                return;
            }
            let Some(header) = header_at(self.data, offset) else {
                ctx.diagnostic(format!("romfs: header at {offset:#x} truncated"));
                return;
            };
            offset = header.next;
            if header.name.is_empty() || header.name == "." || header.name == ".." {
                continue;
            }
            let path = if dir_path.is_empty() {
                header.name.clone()
            } else {
                format!("{dir_path}/{}", header.name)
            };
            self.add_entry(&header, path, depth, tree, pending, ctx);
        }
    }

    fn add_entry(
        &mut self,
        header: &Header,
        path: String,
        depth: usize,
        tree: &mut Tree,
        pending: &mut Vec<(usize, String, usize)>,
        ctx: &mut UnpackContext<'_>,
    ) {
        let mut header = header.clone();
        if header.kind == TYPE_HARD_LINK {
            // A hard link names the header of its target; it becomes a copy of the target.
            match header_at(self.data, header.info as usize) {
                Some(target) if target.kind != TYPE_HARD_LINK && target.kind != TYPE_DIRECTORY => {
                    header = target;
                }
                _ => {
                    ctx.diagnostic(format!(
                        "romfs: /{path}: hard link to {:#x} is not a file; skipped",
                        header.info
                    ));
                    return;
                }
            }
        }
        let permissions = if header.executable { 0o755 } else { 0o644 };
        match header.kind {
            TYPE_DIRECTORY => {
                if !ctx.add_node(tree, &path, Node::Dir { mode: 0o040755 }) {
                    return;
                }
                let first = header.info as usize & !15;
                if first == 0 {
                    return;
                }
                if depth + 1 >= MAX_DEPTH {
                    ctx.diagnostic(format!("romfs: /{path} nests too deep"));
                } else if self.visited_dirs.insert(first) {
                    pending.push((first, path, depth + 1));
                } else {
                    ctx.diagnostic(format!(
                        "romfs: /{path} points at a directory already read (a cycle); skipped"
                    ));
                }
            }
            TYPE_FILE => {
                if !budget_has_room(ctx, u64::from(header.size)) {
                    return;
                }
                let contents = self.contents(&header, &path, ctx);
                ctx.add_file(
                    tree,
                    &path,
                    FileEntry {
                        data: contents,
                        mode: 0o100000 | permissions,
                        uid: 0,
                        gid: 0,
                    },
                );
            }
            TYPE_SYMLINK => {
                if header.size as usize > MAX_LINK_TARGET {
                    ctx.diagnostic(format!(
                        "romfs: /{path}: symlink target of {} bytes; skipped",
                        header.size
                    ));
                    return;
                }
                let target = String::from_utf8_lossy(&self.contents(&header, &path, ctx))
                    .trim_end_matches('\0')
                    .to_owned();
                ctx.add_node(tree, &path, Node::Symlink { target });
            }
            TYPE_BLOCK_DEVICE | TYPE_CHAR_DEVICE | TYPE_SOCKET | TYPE_FIFO => {
                let kind_bits = match header.kind {
                    TYPE_BLOCK_DEVICE => 0o060000,
                    TYPE_CHAR_DEVICE => 0o020000,
                    TYPE_SOCKET => 0o140000,
                    _ => 0o010000,
                };
                ctx.add_node(
                    tree,
                    &path,
                    Node::Special {
                        mode: kind_bits | permissions,
                    },
                );
            }
            _ => {}
        }
    }

    /// The data of a file or symlink, cut at the end of the image (with a diagnostic).
    fn contents(&self, header: &Header, path: &str, ctx: &mut UnpackContext<'_>) -> Vec<u8> {
        let start = header.data_offset.min(self.data.len());
        let end = header.data_offset.saturating_add(header.size as usize);
        if end > self.data.len() {
            ctx.diagnostic(format!(
                "romfs: /{path}: data runs past the end of the image; truncated"
            ));
        }
        let end = end.min(self.data.len());
        self.data.get(start..end).unwrap_or_default().to_vec()
    }
}
