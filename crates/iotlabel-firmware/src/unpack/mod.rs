//! Format identification and unpacking. One file per format, each exporting a [`Format`];
//! adding a format = one file plus one line in [`FORMATS`].
//!
//! An unpacker turns bytes into either one decompressed [`Unpacked::Stream`] or a
//! [`Unpacked::Tree`] (archives, file systems, and containers such as TRX whose parts become
//! named files). It never panics on hostile input, charges everything it produces to the
//! scan's [`Budget`], and returns what it could read plus diagnostics when the input is damaged.

pub mod arcadyan;
pub mod bzip2;
pub mod cpio;
pub mod cramfs;
pub mod ext;
pub mod fit;
pub mod gzip;
pub mod jffs2;
pub mod lz4;
pub mod lzma;
pub mod parallel;
pub mod romfs;
pub mod sevenzip;
pub mod squashfs;
pub mod stream;
pub mod tar;
pub mod tplink;
pub mod trx;
pub mod ubi;
pub mod ubifs;
pub mod ubifs_lzo;
pub mod uimage;
pub mod xz;
pub mod yaffs2;
pub mod zimage;
pub mod zip;
pub mod zlib;
pub mod zstd;

use crate::limits::{Budget, LimitHit};
use crate::vfs::{FileEntry, Node, Tree};

/// One format iotlabel can identify and unpack.
#[derive(Debug)]
pub struct Format {
    /// Stable id used in reports, e.g. `gzip`, `squashfs`, `jffs2`.
    pub id: &'static str,
    pub description: &'static str,
    /// Byte strings, one of which sits at `magic_offset` from the start of the format's data.
    /// Used to identify data at offset 0 and to carve it out of a larger blob.
    pub magics: &'static [&'static [u8]],
    pub magic_offset: usize,
    /// A cheap header sanity check run after a magic match, to keep carving honest.
    pub probe: fn(&[u8]) -> bool,
    pub unpack: fn(&[u8], &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError>,
}

/// What an unpacker produced.
#[derive(Debug)]
pub enum Unpacked {
    /// A single decompressed stream; `consumed` input bytes belonged to the format.
    Stream { data: Vec<u8>, consumed: u64 },
    /// An archive, file system or container, unpacked into a tree.
    Tree { tree: Tree, consumed: u64 },
}

/// Nothing usable could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnpackError(pub String);

impl UnpackError {
    pub fn new(message: impl Into<String>) -> UnpackError {
        UnpackError(message.into())
    }
}

/// State shared with an unpacker: the scan's budget and where to report problems.
#[derive(Debug)]
pub struct UnpackContext<'a> {
    pub budget: &'a Budget,
    pub diagnostics: Vec<String>,
    /// Set when a limit cut the output short.
    pub truncated: bool,
}

impl<'a> UnpackContext<'a> {
    pub fn new(budget: &'a Budget) -> UnpackContext<'a> {
        UnpackContext {
            budget,
            diagnostics: Vec::new(),
            truncated: false,
        }
    }

    pub fn diagnostic(&mut self, message: impl Into<String>) {
        self.diagnostics.push(message.into());
    }

    /// Records that a limit was hit (once per kind of limit is enough for a reader).
    pub fn limit_hit(&mut self, hit: LimitHit) {
        self.truncated = true;
        let message = format!("truncated: {hit}");
        if !self.diagnostics.contains(&message) {
            self.diagnostics.push(message);
        }
    }

    /// Adds a file to `tree`, charging the budget. Returns false (after recording why) when
    /// the name is unsafe or a limit is hit; the caller goes on with the next entry.
    pub fn add_file(&mut self, tree: &mut Tree, raw_path: &str, entry: FileEntry) -> bool {
        if let Err(hit) = self.budget.charge_file() {
            self.limit_hit(hit);
            return false;
        }
        if let Err(hit) = self.budget.charge_bytes(entry.data.len() as u64) {
            self.limit_hit(hit);
            return false;
        }
        match tree.add_file(raw_path, entry) {
            Ok(_) => true,
            Err(error) => {
                self.diagnostic(format!("entry skipped: {error}"));
                false
            }
        }
    }

    /// Adds a directory, symlink or special node to `tree` (charged as a file).
    pub fn add_node(&mut self, tree: &mut Tree, raw_path: &str, node: Node) -> bool {
        if let Err(hit) = self.budget.charge_file() {
            self.limit_hit(hit);
            return false;
        }
        match tree.insert(raw_path, node) {
            Ok(_) => true,
            Err(error) => {
                self.diagnostic(format!("entry skipped: {error}"));
                false
            }
        }
    }
}

/// Every format, in the order identification tries them. One line per format.
pub const FORMATS: &[&Format] = &[
    &jffs2::FORMAT,
    &ubi::FORMAT,
    &ubifs::FORMAT,
    &cramfs::FORMAT,
    &romfs::FORMAT,
    &ext::FORMAT,
    &yaffs2::FORMAT,
    &squashfs::SQUASHFS_V4,
    &squashfs::SQUASHFS_V3,
    &squashfs::SQUASHFS_V2,
    &trx::FORMAT,
    &tplink::FORMAT,
    &tplink::FORMAT_IMG0,
    &uimage::FORMAT,
    &fit::FORMAT,
    &zip::FORMAT,
    &tar::FORMAT,
    &cpio::FORMAT,
    &gzip::FORMAT,
    &xz::FORMAT,
    &bzip2::FORMAT,
    &zstd::FORMAT,
    &lz4::FORMAT,
    &lzma::FORMAT,
    &zlib::FORMAT,
    &sevenzip::FORMAT,
    &zimage::FORMAT,
    &arcadyan::FORMAT,
];

/// The format of `data`, judged by its first bytes.
pub fn identify(data: &[u8]) -> Option<&'static Format> {
    FORMATS
        .iter()
        .copied()
        .find(|format| matches_at(format, data, 0))
}

/// Whether `format`'s magic sits at `start + magic_offset` in `data` and its probe accepts
/// the data from `start`.
pub fn matches_at(format: &Format, data: &[u8], start: usize) -> bool {
    let Some(at) = start.checked_add(format.magic_offset) else {
        return false;
    };
    format
        .magics
        .iter()
        .any(|magic| data.get(at..at.saturating_add(magic.len())) == Some(*magic))
        && (format.probe)(&data[start..])
}
