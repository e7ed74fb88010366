//! tar archives (ustar, GNU with long names, pax), parsed by the `tar` crate; every entry goes
//! into the virtual tree through [`UnpackContext`], so names that climb above the root are
//! refused, symlinks are stored (never followed on the host) and hard links copy their target
//! from the tree.

use std::io::Read;

use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree, sanitize_path};

pub static FORMAT: Format = Format {
    id: "tar",
    description: "tar archive (ustar, GNU, pax)",
    magics: &[b"ustar"],
    magic_offset: 257,
    probe,
    unpack,
};

const BLOCK: usize = 512;

/// The header checksum (sum of the header bytes with the checksum field read as spaces) must
/// match the octal number stored in it.
fn probe(data: &[u8]) -> bool {
    let Some(header) = data.get(..BLOCK) else {
        return false;
    };
    let Some(field) = header.get(148..156) else {
        return false;
    };
    let text: String = field
        .iter()
        .take_while(|&&byte| byte != 0)
        .map(|&byte| char::from(byte))
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(index, &byte)| {
            if (148..156).contains(&index) {
                32
            } else {
                u32::from(byte)
            }
        })
        .sum();
    sum == stored
}

/// Adds a diagnostic for each symlink of `tree` whose target climbs above the root of the
/// image: such links are kept as stored but never resolve (see [`Tree::resolve`]).
pub fn report_escaping_links(tree: &Tree, ctx: &mut UnpackContext<'_>) {
    for (path, node) in tree.entries() {
        let Node::Symlink { target } = node else {
            continue;
        };
        if target.starts_with('/') {
            continue;
        }
        let parent = path
            .rsplit_once('/')
            .map(|(parent, _)| parent)
            .unwrap_or("");
        let joined = format!("{parent}/{target}");
        if let Err(crate::vfs::PathError::Escapes(_)) = sanitize_path(&joined) {
            ctx.diagnostic(format!(
                "symlink {path:?} -> {target:?} points above the image root; it is kept but never followed"
            ));
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let mut archive = tar::Archive::new(data);
    let entries = archive
        .entries()
        .map_err(|error| UnpackError::new(format!("tar: {error}")))?;
    let mut tree = Tree::new();
    let mut end = 0usize;
    let mut count = 0usize;
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                ctx.diagnostic(format!(
                    "tar: stopped at a damaged header after {count} entries: {error}"
                ));
                break;
            }
        };
        count += 1;
        let path = text(&entry.path_bytes());
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let uid = header.uid().unwrap_or(0) as u32;
        let gid = header.gid().unwrap_or(0) as u32;
        let kind = header.entry_type();
        let size = entry.size();
        let position = usize::try_from(entry.raw_file_position()).unwrap_or(usize::MAX);
        let available = data.len().saturating_sub(position) as u64;
        let stored_end = position.saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
        end = end.max(stored_end.saturating_add(BLOCK - 1) / BLOCK * BLOCK);
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                // Never trust the size field: read at most what is there and what the budget allows.
                let limit = size
                    .min(available)
                    .min(ctx.budget.bytes_left().saturating_add(1));
                let mut contents = Vec::new();
                if let Err(error) = entry.by_ref().take(limit).read_to_end(&mut contents) {
                    ctx.diagnostic(format!("tar: {path:?}: {error}"));
                }
                if (contents.len() as u64) < size && limit == size.min(available) {
                    ctx.diagnostic(format!(
                        "tar: {path:?} is cut off ({} of {size} bytes present)",
                        contents.len()
                    ));
                }
                let file = FileEntry {
                    data: contents,
                    mode: 0o100000 | (mode & 0o7777),
                    uid,
                    gid,
                };
                ctx.add_file(&mut tree, &path, file);
            }
            tar::EntryType::Directory => {
                ctx.add_node(
                    &mut tree,
                    &path,
                    Node::Dir {
                        mode: 0o040000 | (mode & 0o7777),
                    },
                );
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|name| text(&name))
                    .unwrap_or_default();
                ctx.add_node(&mut tree, &path, Node::Symlink { target });
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|name| text(&name))
                    .unwrap_or_default();
                match sanitize_path(&target) {
                    Ok(clean) => match tree.read(&clean).map(<[u8]>::to_vec) {
                        Some(contents) => {
                            let file = FileEntry {
                                data: contents,
                                mode: 0o100000 | (mode & 0o7777),
                                uid,
                                gid,
                            };
                            ctx.add_file(&mut tree, &path, file);
                        }
                        None => {
                            ctx.add_node(
                                &mut tree,
                                &path,
                                Node::Symlink {
                                    target: format!("/{clean}"),
                                },
                            );
                        }
                    },
                    Err(error) => {
                        ctx.diagnostic(format!("tar: hard link {path:?} refused: {error}"))
                    }
                }
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                ctx.add_node(&mut tree, &path, Node::Special { mode });
            }
            _ => {}
        }
    }
    if count == 0 {
        return Err(UnpackError::new("tar: no readable entry"));
    }
    report_escaping_links(&tree, ctx);
    // The archive ends with zero blocks (two at least, padded to a record); they belong to it.
    let mut zero_blocks = 0;
    while zero_blocks < 20
        && data
            .get(end..end + BLOCK)
            .is_some_and(|block| block.iter().all(|&byte| byte == 0))
    {
        end += BLOCK;
        zero_blocks += 1;
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: end.min(data.len()) as u64,
    })
}
