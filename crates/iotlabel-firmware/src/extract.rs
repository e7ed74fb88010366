//! The recursive extraction driver: identifies the outer image, unpacks it with the registered
//! formats, carves embedded data found by a signature scan, and recurses into every stream and
//! file system it produces, within the scan's [`Limits`]. Everything stays in memory; failures
//! become diagnostics and extraction goes on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use iotlabel_core::report::{Diagnostic, UnpackedNode};

use crate::limits::{Budget, LimitHit, Limits};
use crate::unpack::{self, FORMATS, Format, UnpackContext, Unpacked, parallel};
use crate::vfs::{FileEntry, Tree};

/// Files of a tree that no format recognises at offset 0 are carved when larger than this.
pub const CARVE_FILES_LARGER_THAN: usize = 256 * 1024;
/// Signature hits considered per blob; a blob with more (a hostile one) is carved partly.
const MAX_CARVE_CANDIDATES: usize = 100_000;
/// Failed carving attempts reported per blob; the rest are counted in one diagnostic.
const MAX_CARVE_DIAGNOSTICS: usize = 20;
/// A blob's signature scan is split into pieces of at least this size, scanned on every core.
const SCAN_PIECE: usize = 256 * 1024;
/// Separator between container names in a diagnostic's location.
const LOCATION_SEPARATOR: &str = " > ";

/// How to extract.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub limits: Limits,
    /// Scan blobs that no format recognises at offset 0 for embedded data.
    pub carve: bool,
}

impl Default for ExtractOptions {
    fn default() -> ExtractOptions {
        ExtractOptions {
            limits: Limits::default(),
            carve: true,
        }
    }
}

/// One file system, archive or container unpacked into a tree, with where it came from.
#[derive(Debug)]
pub struct ExtractedFilesystem {
    /// The outer image's name, then the path (or carve label) of each nested container.
    pub containers: Vec<String>,
    /// The format id that produced the tree (a stream's id when a decompressed stream that
    /// nothing recognised is kept as a single file).
    pub format: &'static str,
    pub tree: Tree,
}

/// Everything one extraction produced.
#[derive(Debug)]
pub struct Extraction {
    /// The container tree: format, offset, size, entries, name, children.
    pub root: UnpackedNode,
    /// Every tree produced, for the checks.
    pub filesystems: Vec<ExtractedFilesystem>,
    pub diagnostics: Vec<Diagnostic>,
    pub bytes_in: u64,
    pub bytes_unpacked: u64,
    pub files: u64,
    /// A limit cut something short.
    pub truncated: bool,
}

/// Progress reports, enough for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Extraction of an image of `total` bytes starts.
    Started { total: u64 },
    /// A container is being unpacked. `processed` is the offset in the outer image of the
    /// top-level region being worked on.
    Container {
        processed: u64,
        total: u64,
        name: String,
    },
    /// Extraction is over.
    Finished { total: u64 },
}

/// Where a blob came from, which decides how it is handled when nothing recognises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The outer image.
    Image,
    /// The output of a stream unpacker (gzip, xz, ...): kept as a file when nothing matches.
    Stream,
    /// A regular file of an unpacked tree.
    TreeFile,
}

/// A regular file name for the output of a stream that no format recognised.
fn stream_file_name(format: &str, compressed: &[u8], chain: &[String]) -> String {
    if format == "gzip"
        && let Some(name) = unpack::gzip::original_name(compressed)
    {
        let base = name.rsplit(['/', '\\']).next().unwrap_or("").to_owned();
        if !base.is_empty() && base != "." && base != ".." {
            return base;
        }
    }
    let last = chain.last().map(String::as_str).unwrap_or("");
    let base = last.rsplit('/').next().unwrap_or("");
    let extensions: &[&str] = match format {
        "gzip" => &[".gz", ".tgz", ".gzip"],
        "xz" => &[".xz", ".txz"],
        "lzma" => &[".lzma"],
        "bzip2" => &[".bz2", ".tbz2", ".bzip2"],
        "zstd" => &[".zst", ".zstd"],
        "lz4" => &[".lz4"],
        "zlib" => &[".zlib", ".z"],
        _ => &[],
    };
    for extension in extensions {
        if let Some(stem) = base.strip_suffix(extension)
            && !stem.is_empty()
            && !stem.starts_with("0x")
        {
            return match *extension {
                ".tgz" | ".txz" | ".tbz2" => format!("{stem}.tar"),
                _ => stem.to_owned(),
            };
        }
    }
    format!("{format}.uncompressed")
}

/// The signature automaton over every registered magic, and for each of its patterns the
/// index of the format in [`FORMATS`] and the magic's offset in the format's data.
struct Signatures {
    automaton: AhoCorasick,
    /// Pattern index -> (format index, magic offset).
    owners: Vec<(usize, usize)>,
    /// Length of the longest magic.
    longest: usize,
}

/// The signature automaton, built once.
fn signatures() -> Option<&'static Signatures> {
    static SIGNATURES: OnceLock<Option<Signatures>> = OnceLock::new();
    SIGNATURES
        .get_or_init(|| {
            let mut patterns: Vec<&[u8]> = Vec::new();
            let mut owners = Vec::new();
            for (index, format) in FORMATS.iter().enumerate() {
                for magic in format.magics {
                    if !magic.is_empty() {
                        patterns.push(magic);
                        owners.push((index, format.magic_offset));
                    }
                }
            }
            let longest = patterns
                .iter()
                .map(|pattern| pattern.len())
                .max()
                .unwrap_or(1);
            AhoCorasick::new(&patterns)
                .ok()
                .map(|automaton| Signatures {
                    automaton,
                    owners,
                    longest,
                })
        })
        .as_ref()
}

/// Carving candidates of one blob: (start, format index) in the order one overlapping scan of
/// the blob reports them, at most [`MAX_CARVE_CANDIDATES`], and whether there were more.
type Candidates = (Vec<(usize, usize)>, bool);

/// One piece of a blob's signature scan: the hits whose last byte lies in
/// `data[boundary..end]` (the scan starts early enough to see the longest magic crossing
/// `boundary`, so its automaton is in the same state as a scan of the whole blob).
struct ScanPiece<'d> {
    data: &'d [u8],
    /// Where candidates may start (the blob's unrecognised rest).
    from: usize,
    boundary: usize,
    end: usize,
    hits: Vec<(usize, usize)>,
    more: bool,
}

impl ScanPiece<'_> {
    fn scan(&mut self, signatures: &Signatures) {
        let window_start = self
            .boundary
            .saturating_sub(signatures.longest.saturating_sub(1))
            .max(self.from);
        let Some(window) = self.data.get(window_start..self.end) else {
            return;
        };
        for found in signatures.automaton.find_overlapping_iter(window) {
            if window_start + found.end() <= self.boundary {
                continue;
            }
            let Some(&(format_index, magic_offset)) =
                signatures.owners.get(found.pattern().as_usize())
            else {
                continue;
            };
            let Some(start) = (window_start + found.start()).checked_sub(magic_offset) else {
                continue;
            };
            // Before the unrecognised rest, or offset 0 of a blob (already tried by
            // identification).
            if start < self.from || start == 0 {
                continue;
            }
            if self.hits.len() >= MAX_CARVE_CANDIDATES {
                self.more = true;
                break;
            }
            self.hits.push((start, format_index));
        }
    }
}

/// The carving candidates of each `(data, from)` blob: every blob is cut into pieces of at
/// least [`SCAN_PIECE`] bytes and all pieces are scanned on every core; each blob's result is
/// exactly that of one scan over it.
fn scan_blobs(signatures: &Signatures, blobs: &[(&[u8], usize)]) -> Vec<Candidates> {
    let mut pieces: Vec<ScanPiece<'_>> = Vec::new();
    let mut owners: Vec<usize> = Vec::new();
    let mut total = 0u64;
    for (index, &(data, from)) in blobs.iter().enumerate() {
        let from = from.min(data.len());
        let length = data.len() - from;
        total = total.saturating_add(length as u64);
        let count = (length / SCAN_PIECE).clamp(1, parallel::workers() * 4);
        let step = length.div_ceil(count).max(1);
        let mut boundary = from;
        loop {
            let end = boundary.saturating_add(step).min(data.len());
            pieces.push(ScanPiece {
                data,
                from,
                boundary,
                end,
                hits: Vec::new(),
                more: false,
            });
            owners.push(index);
            if end >= data.len() {
                break;
            }
            boundary = end;
        }
    }
    parallel::for_each(
        &mut pieces,
        parallel::threads_for(total),
        || (),
        |_, piece| piece.scan(signatures),
    );
    let mut results: Vec<Candidates> = blobs.iter().map(|_| (Vec::new(), false)).collect();
    for (piece, owner) in pieces.into_iter().zip(owners) {
        let Some((hits, more)) = results.get_mut(owner) else {
            continue;
        };
        if *more {
            continue;
        }
        let room = MAX_CARVE_CANDIDATES - hits.len();
        if piece.hits.len() > room || (piece.more && piece.hits.len() == room) {
            *more = true;
        }
        hits.extend(piece.hits.into_iter().take(room));
    }
    results
}

struct Driver<'a> {
    budget: Budget,
    options: &'a ExtractOptions,
    progress: &'a mut dyn FnMut(Progress),
    total: u64,
    /// Offset in the outer image of the top-level region being worked on.
    outer_offset: u64,
    filesystems: Vec<ExtractedFilesystem>,
    diagnostics: Vec<Diagnostic>,
    truncated: bool,
}

impl Driver<'_> {
    fn diagnostic(&mut self, chain: &[String], message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            location: chain.join(LOCATION_SEPARATOR),
            message: message.into(),
        });
    }

    fn limit(&mut self, chain: &[String], hit: LimitHit) {
        self.truncated = true;
        self.diagnostic(chain, format!("truncated: {hit}"));
    }

    /// Identifies and unpacks `data`: regions recognised at its start (and again after each,
    /// for trailing data), then carving of what is left. Returns the container nodes found,
    /// with offsets relative to `data`.
    fn blob(
        &mut self,
        chain: &[String],
        data: &[u8],
        depth: u32,
        origin: Origin,
        scanned: Option<Candidates>,
    ) -> (Vec<UnpackedNode>, bool) {
        let mut nodes = Vec::new();
        let mut position = 0usize;
        'regions: while position < data.len() {
            let rest = data.get(position..).unwrap_or(&[]);
            // `identify`'s choice first; should it fail, any other format whose magic and
            // probe accept the same bytes.
            let first = unpack::identify(rest);
            let others = FORMATS
                .iter()
                .copied()
                .filter(|format| first.is_some_and(|first| !std::ptr::eq(first, *format)))
                .filter(|format| unpack::matches_at(format, rest, 0));
            for format in first.into_iter().chain(others) {
                let label;
                let region_chain: &[String] = if position == 0 {
                    chain
                } else {
                    label = [chain, &[format!("{position:#x}.{}", format.id)]].concat();
                    &label
                };
                if depth == 0 {
                    self.outer_offset = position as u64;
                }
                if let Some((node, consumed)) =
                    self.unpack_region(region_chain, format, data, position, depth)
                {
                    nodes.push(node);
                    position = position.saturating_add(consumed.max(1));
                    continue 'regions;
                }
            }
            break;
        }
        let recognised = !nodes.is_empty();
        let carve_here = match origin {
            Origin::Image | Origin::Stream => true,
            Origin::TreeFile => position > 0 || data.len() > CARVE_FILES_LARGER_THAN,
        };
        if self.options.carve && carve_here && position < data.len() {
            // A scan made ahead covers the whole blob; it applies when nothing was recognised.
            let scanned = scanned.filter(|_| position == 0);
            nodes.extend(self.carve(chain, data, position, depth, scanned));
        }
        (nodes, recognised)
    }

    /// Keeps the output of a stream nothing recognised as a one-file tree, so checks see it.
    fn keep_stream_output(
        &mut self,
        chain: &[String],
        format: &'static str,
        output: Vec<u8>,
        compressed: &[u8],
    ) {
        if let Err(hit) = self.budget.charge_file() {
            self.limit(chain, hit);
            return;
        }
        let name = stream_file_name(format, compressed, chain);
        let mut tree = Tree::new();
        if let Err(error) = tree.add_file(&name, FileEntry::new(output)) {
            self.diagnostic(chain, format!("{format}: output not kept: {error}"));
            return;
        }
        self.filesystems.push(ExtractedFilesystem {
            containers: chain.to_vec(),
            format,
            tree,
        });
    }

    /// Scans `data[from..]` for signatures and unpacks each accepted match in offset order,
    /// skipping what an earlier match consumed. Regions are named `0x<offset>.<format>`.
    fn carve(
        &mut self,
        chain: &[String],
        data: &[u8],
        from: usize,
        depth: u32,
        scanned: Option<Candidates>,
    ) -> Vec<UnpackedNode> {
        let (mut candidates, too_many) = match scanned {
            Some(scanned) => scanned,
            None => {
                let Some(signatures) = signatures() else {
                    self.diagnostic(
                        chain,
                        "carving unavailable: the signature automaton could not be built",
                    );
                    return Vec::new();
                };
                scan_blobs(signatures, &[(data, from)])
                    .pop()
                    .unwrap_or_default()
            }
        };
        if too_many {
            self.diagnostic(
                chain,
                format!("carving stopped after {MAX_CARVE_CANDIDATES} signature hits"),
            );
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut nodes = Vec::new();
        let mut next_free = from;
        let mut failures = 0usize;
        for (start, format_index) in candidates {
            if start < next_free {
                continue;
            }
            let Some(format) = FORMATS.get(format_index).copied() else {
                continue;
            };
            if !unpack::matches_at(format, data, start) {
                continue;
            }
            let region_chain = [chain, &[format!("{start:#x}.{}", format.id)]].concat();
            if depth == 0 {
                self.outer_offset = start as u64;
            }
            let before = self.diagnostics.len();
            match self.unpack_region(&region_chain, format, data, start, depth) {
                Some((node, consumed)) => {
                    next_free = start.saturating_add(consumed.max(1));
                    nodes.push(node);
                }
                None => {
                    failures += 1;
                    if failures > MAX_CARVE_DIAGNOSTICS {
                        self.diagnostics.truncate(before);
                    }
                }
            }
        }
        if failures > MAX_CARVE_DIAGNOSTICS {
            self.diagnostic(
                chain,
                format!(
                    "{} more carved candidates failed to unpack (not listed)",
                    failures - MAX_CARVE_DIAGNOSTICS
                ),
            );
        }
        nodes
    }

    /// Unpacks the region of `data` at `start` with `format` and recurses into the result.
    /// Returns the region's node and the bytes it consumed, or `None` (after a diagnostic).
    fn unpack_region(
        &mut self,
        chain: &[String],
        format: &'static Format,
        data: &[u8],
        start: usize,
        depth: u32,
    ) -> Option<(UnpackedNode, usize)> {
        let max_depth = self.budget.limits().max_depth;
        if depth >= max_depth {
            self.limit(chain, LimitHit::Depth(max_depth));
            return None;
        }
        let input = data.get(start..)?;
        (self.progress)(Progress::Container {
            processed: self.outer_offset,
            total: self.total,
            name: chain.join(LOCATION_SEPARATOR),
        });
        let mut ctx = UnpackContext::new(&self.budget);
        // Unpackers must not panic; a bug in one (or in a codec crate) must still not end the
        // scan, so a panic is caught and reported like any failure.
        let result = catch_unwind(AssertUnwindSafe(|| (format.unpack)(input, &mut ctx)));
        let messages = std::mem::take(&mut ctx.diagnostics);
        let truncated = ctx.truncated;
        drop(ctx);
        for message in messages {
            if message.starts_with(format.id) {
                self.diagnostic(chain, message);
            } else {
                self.diagnostic(chain, format!("{}: {message}", format.id));
            }
        }
        self.truncated |= truncated;
        let result = match result {
            Ok(result) => result,
            Err(_) => {
                self.diagnostic(
                    chain,
                    format!("{}: the unpacker crashed on this input", format.id),
                );
                return None;
            }
        };
        match result {
            Err(error) => {
                self.diagnostic(chain, format!("{} at {start:#x}: {error}", format.id));
                None
            }
            Ok(Unpacked::Stream {
                data: output,
                consumed,
            }) => {
                let consumed = usize::try_from(consumed)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                let (children, recognised) =
                    self.blob(chain, &output, depth + 1, Origin::Stream, None);
                if !recognised {
                    self.keep_stream_output(chain, format.id, output, input);
                }
                let node = UnpackedNode {
                    format: format.id.to_owned(),
                    offset: start as u64,
                    size: consumed as u64,
                    entries: 0,
                    name: chain.last().cloned(),
                    children,
                };
                Some((node, consumed))
            }
            Ok(Unpacked::Tree { tree, consumed }) => {
                let consumed = usize::try_from(consumed)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                let mut children = Vec::new();
                let files: Vec<(&str, &[u8], bool)> = tree
                    .files()
                    .map(|(path, file)| {
                        let recognised = unpack::identify(&file.data).is_some();
                        (path, file.data.as_slice(), recognised)
                    })
                    .collect();
                let mut scans: Vec<Option<Candidates>> = files.iter().map(|_| None).collect();
                let mut scanned_up_to = 0usize;
                for (index, &(path, data, recognised)) in files.iter().enumerate() {
                    let large = self.options.carve && data.len() > CARVE_FILES_LARGER_THAN;
                    if !(recognised || large) {
                        continue;
                    }
                    // Files nothing recognises are carved from their start: their signature
                    // scans are made ahead, a batch of files at a time, on every core.
                    let scanned = if recognised {
                        None
                    } else {
                        if index >= scanned_up_to {
                            scanned_up_to = scan_ahead(&files, index, &mut scans);
                        }
                        scans.get_mut(index).and_then(Option::take)
                    };
                    let file_chain = [chain, &[path.to_owned()]].concat();
                    children.extend(
                        self.blob(&file_chain, data, depth + 1, Origin::TreeFile, scanned)
                            .0,
                    );
                }
                let node = UnpackedNode {
                    format: format.id.to_owned(),
                    offset: start as u64,
                    size: consumed as u64,
                    entries: tree.len() as u64,
                    name: chain.last().cloned(),
                    children,
                };
                self.filesystems.push(ExtractedFilesystem {
                    containers: chain.to_vec(),
                    format: format.id,
                    tree,
                });
                Some((node, consumed))
            }
        }
    }
}

/// Bytes of tree files whose signature scans are made together (bounds the candidates held).
const SCAN_AHEAD_BYTES: usize = 8 << 20;

/// Scans the unrecognised large files of `files` from `first` on, up to about
/// [`SCAN_AHEAD_BYTES`], into `scans`; returns the index after the last file considered.
fn scan_ahead(
    files: &[(&str, &[u8], bool)],
    first: usize,
    scans: &mut [Option<Candidates>],
) -> usize {
    let Some(signatures) = signatures() else {
        // Carving reports the missing automaton itself.
        return first + 1;
    };
    let mut batch: Vec<(&[u8], usize)> = Vec::new();
    let mut indexes = Vec::new();
    let mut bytes = 0usize;
    let mut next = first;
    while let Some(&(_, data, recognised)) = files.get(next) {
        if bytes >= SCAN_AHEAD_BYTES {
            break;
        }
        next += 1;
        if recognised || data.len() <= CARVE_FILES_LARGER_THAN {
            continue;
        }
        bytes += data.len();
        batch.push((data, 0));
        indexes.push(next - 1);
    }
    for (index, result) in indexes.into_iter().zip(scan_blobs(signatures, &batch)) {
        if let Some(slot) = scans.get_mut(index) {
            *slot = Some(result);
        }
    }
    next
}

/// Extracts the image `data` named `name` (its file name) recursively, in memory.
pub fn extract(
    name: &str,
    data: &[u8],
    options: &ExtractOptions,
    progress: &mut dyn FnMut(Progress),
) -> Extraction {
    let total = data.len() as u64;
    progress(Progress::Started { total });
    let mut driver = Driver {
        budget: Budget::new(options.limits),
        options,
        progress,
        total,
        outer_offset: 0,
        filesystems: Vec::new(),
        diagnostics: Vec::new(),
        truncated: false,
    };
    let chain = vec![name.to_owned()];
    let (mut nodes, _) = driver.blob(&chain, data, 0, Origin::Image, None);
    let root = if nodes.len() == 1
        && nodes
            .first()
            .is_some_and(|node| node.offset == 0 && node.size == total)
    {
        let mut node = nodes.remove(0);
        node.name = Some(name.to_owned());
        node
    } else {
        UnpackedNode {
            format: if nodes.is_empty() {
                "unknown".into()
            } else {
                "blob".into()
            },
            offset: 0,
            size: total,
            entries: 0,
            name: Some(name.to_owned()),
            children: nodes,
        }
    };
    if root.format == "unknown" {
        driver.diagnostic(&chain, "no known format was found in the image");
    }
    let Driver {
        budget,
        progress,
        filesystems,
        diagnostics,
        truncated,
        ..
    } = driver;
    progress(Progress::Finished { total });
    Extraction {
        root,
        filesystems,
        diagnostics,
        bytes_in: total,
        bytes_unpacked: budget.bytes_used(),
        files: budget.files_used(),
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::vfs::Node;

    fn run(name: &str, data: &[u8], limits: Limits) -> Extraction {
        let options = ExtractOptions {
            limits,
            carve: true,
        };
        extract(name, data, &options, &mut |_| {})
    }

    fn run_default(name: &str, data: &[u8]) -> Extraction {
        run(name, data, Limits::default())
    }

    /// The contents of `path` in the file system extracted under `containers`.
    fn file<'a>(extraction: &'a Extraction, containers: &[&str], path: &str) -> Option<&'a [u8]> {
        extraction
            .filesystems
            .iter()
            .filter(|filesystem| filesystem.containers == containers)
            .find_map(|filesystem| filesystem.tree.read(path))
    }

    fn has_diagnostic(extraction: &Extraction, needle: &str) -> bool {
        extraction
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.message.contains(needle))
    }

    fn gzip(data: &[u8], name: Option<&str>) -> Vec<u8> {
        let mut builder = flate2::GzBuilder::new();
        if let Some(name) = name {
            builder = builder.filename(name);
        }
        let mut encoder = builder.write(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn newc(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut push = |name: &str, mode: u32, data: &[u8]| {
            let header = format!(
                "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                1,
                mode,
                0,
                0,
                1,
                0,
                data.len(),
                0,
                0,
                0,
                0,
                name.len() + 1,
                0
            );
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
            out.extend_from_slice(data);
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
        };
        for (name, mode, data) in entries {
            push(name, *mode, data);
        }
        push("TRAILER!!!", 0, b"");
        out
    }

    fn odc(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let all = entries.iter().copied().chain([("TRAILER!!!", 0, &b""[..])]);
        for (name, mode, data) in all {
            let header = format!(
                "070707{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:011o}{:06o}{:011o}",
                0,
                1,
                mode,
                0,
                0,
                1,
                0,
                0,
                name.len() + 1,
                data.len()
            );
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            out.extend_from_slice(data);
        }
        out
    }

    /// A zip with one stored and one deflated entry, local headers and central directory.
    fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, deflate) in entries {
            let body = if *deflate {
                let mut encoder =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            } else {
                data.to_vec()
            };
            let crc = crc32fast::hash(data);
            let method: u16 = if *deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&0x031eu16.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&(body.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn tar_archive(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        builder.into_inner().unwrap()
    }

    fn tar_file(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, data).unwrap();
    }

    #[test]
    fn nested_tar_gz_with_cpio_gz_records_the_container_chain() {
        let cpio = newc(&[
            ("etc", 0o040755, b""),
            ("etc/passwd", 0o100644, b"root:x:0:0::/root:/bin/sh\n"),
            ("bin/sh", 0o120777, b"busybox"),
        ]);
        let long_name = format!("{}/deep.txt", "d".repeat(120));
        let archive = tar_archive(|builder| {
            tar_file(builder, "update/rootfs.cpio.gz", &gzip(&cpio, None));
            tar_file(builder, &long_name, b"long");
            let mut link = tar::Header::new_gnu();
            link.set_entry_type(tar::EntryType::Symlink);
            link.set_size(0);
            builder
                .append_link(&mut link, "update/latest", "rootfs.cpio.gz")
                .unwrap();
            let mut hard = tar::Header::new_gnu();
            hard.set_entry_type(tar::EntryType::Link);
            hard.set_size(0);
            builder
                .append_link(&mut hard, "update/copy.gz", "update/rootfs.cpio.gz")
                .unwrap();
        });
        let image = gzip(&archive, None);
        let extraction = run_default("camera-b.tar.gz", &image);
        assert!(
            extraction.diagnostics.is_empty(),
            "{:?}",
            extraction.diagnostics
        );
        assert_eq!(
            file(
                &extraction,
                &["camera-b.tar.gz", "update/rootfs.cpio.gz"],
                "etc/passwd"
            ),
            Some(&b"root:x:0:0::/root:/bin/sh\n"[..])
        );
        assert_eq!(
            file(&extraction, &["camera-b.tar.gz"], &long_name),
            Some(&b"long"[..])
        );
        let outer = extraction
            .filesystems
            .iter()
            .find(|fs| fs.format == "tar")
            .unwrap();
        assert!(matches!(
            outer.tree.get("update/latest"),
            Some(Node::Symlink { .. })
        ));
        assert_eq!(
            outer.tree.read("update/copy.gz"),
            outer.tree.read("update/rootfs.cpio.gz")
        );
        // The root is the gzip stream; the tar inside it is a child; the cpio.gz below that.
        assert_eq!(extraction.root.format, "gzip");
        assert_eq!(extraction.root.size, image.len() as u64);
        assert_eq!(extraction.root.children[0].format, "tar");
        let formats: Vec<&str> = extraction.root.children[0]
            .children
            .iter()
            .map(|n| n.format.as_str())
            .collect();
        assert!(formats.contains(&"gzip"), "{formats:?}");
        assert!(extraction.files >= 6 && extraction.bytes_unpacked > archive.len() as u64);
    }

    #[test]
    fn pax_paths_override_the_header_name() {
        let archive = tar_archive(|builder| {
            let record = b"31 path=pax/long/name/file.txt\n";
            let mut pax = tar::Header::new_ustar();
            pax.set_entry_type(tar::EntryType::XHeader);
            pax.set_size(record.len() as u64);
            pax.set_path("PaxHeader").unwrap();
            pax.set_cksum();
            builder.append(&pax, &record[..]).unwrap();
            tar_file(builder, "short", b"pax contents");
        });
        let extraction = run_default("pax.tar", &archive);
        assert_eq!(
            file(&extraction, &["pax.tar"], "pax/long/name/file.txt"),
            Some(&b"pax contents"[..])
        );
    }

    #[test]
    fn multi_member_gzip_keeps_the_stored_name_and_concatenates() {
        let mut data = gzip(b"first half, ", Some("config.txt"));
        data.extend(gzip(b"second half", None));
        let extraction = run_default("config.gz", &data);
        assert_eq!(
            file(&extraction, &["config.gz"], "config.txt"),
            Some(&b"first half, second half"[..])
        );
        assert_eq!(extraction.root.size, data.len() as u64);
    }

    /// Every stream format: decoded, named from the container, and trailing junk left over.
    #[test]
    fn each_stream_format_decodes_and_stops_at_its_end() {
        let payload: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let xz = {
            let mut encoder = liblzma::read::XzEncoder::new(&payload[..], 6);
            let mut out = Vec::new();
            encoder.read_to_end(&mut out).unwrap();
            out
        };
        let lzma = {
            let options = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
            let stream = liblzma::stream::Stream::new_lzma_encoder(&options).unwrap();
            let mut encoder = liblzma::read::XzEncoder::new_stream(&payload[..], stream);
            let mut out = Vec::new();
            encoder.read_to_end(&mut out).unwrap();
            out
        };
        let bzip2 = {
            let mut encoder =
                bzip2::read::BzEncoder::new(&payload[..], bzip2::Compression::default());
            let mut out = Vec::new();
            encoder.read_to_end(&mut out).unwrap();
            out
        };
        let zstd = ruzstd::encoding::compress_to_vec(
            &payload[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let lz4 = {
            let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
            encoder.write_all(&payload).unwrap();
            encoder.finish().unwrap()
        };
        let zlib = {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&payload).unwrap();
            encoder.finish().unwrap()
        };
        let gz = gzip(&payload, None);
        for (format, name, compressed) in [
            ("xz", "data.bin.xz", xz),
            ("lzma", "data.bin.lzma", lzma),
            ("bzip2", "data.bin.bz2", bzip2),
            ("zstd", "data.bin.zst", zstd),
            ("lz4", "data.bin.lz4", lz4),
            ("zlib", "data.bin.zlib", zlib),
            ("gzip", "data.bin.gz", gz),
        ] {
            let mut image = compressed.clone();
            image.extend_from_slice(&[0xa5; 300]);
            let extraction = run_default(name, &image);
            assert_eq!(
                file(&extraction, &[name], "data.bin"),
                Some(&payload[..]),
                "{format}"
            );
            let node = if extraction.root.format == "blob" {
                &extraction.root.children[0]
            } else {
                &extraction.root
            };
            assert_eq!(node.format, format);
            assert_eq!(node.size, compressed.len() as u64, "{format} consumed");
            assert!(!extraction.truncated, "{format}");
            // Cut in half: partial output or an error, diagnostics, no panic.
            let cut = &compressed[..compressed.len() / 2];
            let damaged = run_default(name, cut);
            assert!(!damaged.diagnostics.is_empty(), "{format} cut off");
        }
    }

    #[test]
    fn a_decompression_bomb_is_truncated_not_inflated() {
        let zeros = vec![0u8; 16 << 20];
        let bomb = gzip(&zeros, None);
        let limits = Limits {
            max_ratio: 50,
            ..Limits::default()
        };
        let extraction = run("bomb.gz", &bomb, limits);
        assert!(extraction.truncated);
        assert!(
            has_diagnostic(&extraction, "compression ratio limit"),
            "{:?}",
            extraction.diagnostics
        );
        let cap = (bomb.len() as u64 * 50).max(64 * 1024);
        assert!(
            extraction.bytes_unpacked <= cap,
            "{} > {cap}",
            extraction.bytes_unpacked
        );
        // The total limit truncates too.
        let limits = Limits {
            max_total_bytes: 100_000,
            ..Limits::default()
        };
        let extraction = run("bomb.gz", &bomb, limits);
        assert!(extraction.truncated);
        assert!(extraction.bytes_unpacked <= 100_000);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_a_diagnostic() {
        let mut data = b"innermost".to_vec();
        for _ in 0..6 {
            data = gzip(&data, None);
        }
        let extraction = run(
            "deep.gz",
            &data,
            Limits {
                max_depth: 3,
                ..Limits::default()
            },
        );
        assert!(extraction.truncated);
        assert!(
            has_diagnostic(&extraction, "nesting depth limit of 3"),
            "{:?}",
            extraction.diagnostics
        );
    }

    #[test]
    fn embedded_data_is_carved_and_labelled_by_offset() {
        let mut image = vec![0x11u8; 0x1000];
        image.extend(gzip(
            &newc(&[("etc/shadow", 0o100600, b"root:*:1::::::\n")]),
            None,
        ));
        image.extend(vec![0x22u8; 0x800]);
        let mut progress = Vec::new();
        let extraction = extract("router.bin", &image, &ExtractOptions::default(), &mut |p| {
            progress.push(p)
        });
        assert_eq!(
            file(&extraction, &["router.bin", "0x1000.gzip"], "etc/shadow"),
            Some(&b"root:*:1::::::\n"[..])
        );
        assert_eq!(extraction.root.format, "blob");
        assert_eq!(extraction.root.children[0].offset, 0x1000);
        assert_eq!(
            progress.first(),
            Some(&Progress::Started {
                total: image.len() as u64
            })
        );
        assert_eq!(
            progress.last(),
            Some(&Progress::Finished {
                total: image.len() as u64
            })
        );
        assert!(progress.iter().any(|p| matches!(
            p,
            Progress::Container {
                processed: 0x1000,
                ..
            }
        )));
        // Without carving nothing is found.
        let options = ExtractOptions {
            carve: false,
            ..ExtractOptions::default()
        };
        let extraction = extract("router.bin", &image, &options, &mut |_| {});
        assert!(extraction.filesystems.is_empty());
        assert_eq!(extraction.root.format, "unknown");
    }

    #[test]
    fn zip_stored_and_deflated_entries_and_a_truncated_zip() {
        let data = zip(&[
            ("a/stored.txt", b"stored bytes", false),
            ("b/deflated.txt", &[b'x'; 5000], true),
        ]);
        let extraction = run_default("update.zip", &data);
        assert!(
            extraction.diagnostics.is_empty(),
            "{:?}",
            extraction.diagnostics
        );
        assert_eq!(
            file(&extraction, &["update.zip"], "a/stored.txt"),
            Some(&b"stored bytes"[..])
        );
        assert_eq!(
            file(&extraction, &["update.zip"], "b/deflated.txt"),
            Some(&[b'x'; 5000][..])
        );
        assert_eq!(extraction.root.size, data.len() as u64);
        let cut = &data[..data.len() - 70];
        let extraction = run_default("update.zip", cut);
        assert!(has_diagnostic(&extraction, "no end of central directory"));
        assert_eq!(
            file(&extraction, &["update.zip"], "a/stored.txt"),
            Some(&b"stored bytes"[..])
        );
    }

    #[test]
    fn cpio_newc_and_odc() {
        let entries: &[(&str, u32, &[u8])] = &[
            ("bin", 0o040755, b""),
            ("bin/busybox", 0o100755, b"\x7fELF"),
            ("bin/ls", 0o120777, b"busybox"),
        ];
        for (name, archive) in [("newc.cpio", newc(entries)), ("odc.cpio", odc(entries))] {
            let extraction = run_default(name, &archive);
            assert!(
                extraction.diagnostics.is_empty(),
                "{name}: {:?}",
                extraction.diagnostics
            );
            assert_eq!(
                file(&extraction, &[name], "bin/ls"),
                Some(&b"\x7fELF"[..]),
                "{name}"
            );
            assert_eq!(extraction.root.format, "cpio");
            assert_eq!(extraction.root.size, archive.len() as u64, "{name}");
        }
    }

    fn uimage(payload: &[u8], compression: u8, name: &str) -> Vec<u8> {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(&[0x27, 0x05, 0x19, 0x56]);
        header[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
        header[24..28].copy_from_slice(&crc32fast::hash(payload).to_be_bytes());
        header[28] = 5;
        header[29] = 5;
        header[30] = 2;
        header[31] = compression;
        header[32..32 + name.len()].copy_from_slice(name.as_bytes());
        let crc = crc32fast::hash(&header);
        header[4..8].copy_from_slice(&crc.to_be_bytes());
        header.extend_from_slice(payload);
        header
    }

    #[test]
    fn uimage_payload_is_decompressed_by_its_header() {
        let kernel = b"Linux version 4.14.0 kernel image".repeat(20);
        let image = uimage(&gzip(&kernel, None), 1, "MIPS OpenWrt Linux-4.14");
        let header = unpack::uimage::Header::parse(&image).unwrap();
        assert_eq!(header.compression_name(), "gzip");
        assert_eq!(header.name, "MIPS OpenWrt Linux-4.14");
        let extraction = run_default("kernel.uImage", &image);
        assert!(
            extraction.diagnostics.is_empty(),
            "{:?}",
            extraction.diagnostics
        );
        assert_eq!(
            file(&extraction, &["kernel.uImage"], "MIPS OpenWrt Linux-4.14"),
            Some(&kernel[..])
        );
        let mut damaged = image.clone();
        damaged[100] ^= 0xff;
        let extraction = run_default("kernel.uImage", &damaged);
        assert!(has_diagnostic(&extraction, "payload CRC does not match"));
    }

    fn fdt(images: &[(&str, &[u8])]) -> Vec<u8> {
        let mut structure = Vec::new();
        let mut strings = Vec::new();
        let begin = |structure: &mut Vec<u8>, name: &str| {
            structure.extend_from_slice(&1u32.to_be_bytes());
            structure.extend_from_slice(name.as_bytes());
            structure.push(0);
            while !structure.len().is_multiple_of(4) {
                structure.push(0);
            }
        };
        let mut property = |structure: &mut Vec<u8>, name: &str, value: &[u8]| {
            let offset = strings.len() as u32;
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            structure.extend_from_slice(&3u32.to_be_bytes());
            structure.extend_from_slice(&(value.len() as u32).to_be_bytes());
            structure.extend_from_slice(&offset.to_be_bytes());
            structure.extend_from_slice(value);
            while !structure.len().is_multiple_of(4) {
                structure.push(0);
            }
        };
        begin(&mut structure, "");
        property(&mut structure, "description", b"test\0");
        begin(&mut structure, "images");
        for (name, data) in images {
            begin(&mut structure, name);
            property(&mut structure, "data", data);
            structure.extend_from_slice(&2u32.to_be_bytes());
        }
        structure.extend_from_slice(&2u32.to_be_bytes());
        structure.extend_from_slice(&2u32.to_be_bytes());
        structure.extend_from_slice(&9u32.to_be_bytes());
        let structure_offset = 40 + 16;
        let strings_offset = structure_offset + structure.len();
        let total = strings_offset + strings.len();
        let mut out = Vec::new();
        for value in [
            0xd00d_feed,
            total as u32,
            structure_offset as u32,
            strings_offset as u32,
            40,
            17,
            16,
            0,
            strings.len() as u32,
            structure.len() as u32,
        ] {
            out.extend_from_slice(&u32::to_be_bytes(value));
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&structure);
        out.extend_from_slice(&strings);
        out
    }

    #[test]
    fn fit_images_become_named_parts() {
        let ramdisk = gzip(&newc(&[("init", 0o100755, b"#!/bin/sh\n")]), None);
        let image = fdt(&[("kernel-1", b"kernel bytes"), ("ramdisk-1", &ramdisk)]);
        let extraction = run_default("image.itb", &image);
        assert!(
            extraction.diagnostics.is_empty(),
            "{:?}",
            extraction.diagnostics
        );
        assert_eq!(extraction.root.format, "fit");
        assert_eq!(
            file(&extraction, &["image.itb"], "kernel-1"),
            Some(&b"kernel bytes"[..])
        );
        assert_eq!(
            file(&extraction, &["image.itb", "ramdisk-1"], "init"),
            Some(&b"#!/bin/sh\n"[..])
        );
        let extraction = run_default("image.itb", &image[..image.len() - 40]);
        assert!(!extraction.diagnostics.is_empty());
    }

    #[test]
    fn trx_and_tplink_partitions() {
        let mut trx = vec![0u8; 28];
        let kernel = b"kernel".repeat(10);
        let rootfs = newc(&[("etc/banner", 0o100644, b"hello")]);
        trx[..4].copy_from_slice(b"HDR0");
        let length = 28 + kernel.len() + rootfs.len();
        trx[4..8].copy_from_slice(&(length as u32).to_le_bytes());
        trx[14..16].copy_from_slice(&1u16.to_le_bytes());
        trx[16..20].copy_from_slice(&28u32.to_le_bytes());
        trx[20..24].copy_from_slice(&((28 + kernel.len()) as u32).to_le_bytes());
        trx.extend_from_slice(&kernel);
        trx.extend_from_slice(&rootfs);
        let crc = crc32fast::hash(&trx[12..]) ^ 0xffff_ffff;
        trx[8..12].copy_from_slice(&crc.to_le_bytes());
        let extraction = run_default("fw.trx", &trx);
        assert!(
            extraction.diagnostics.is_empty(),
            "{:?}",
            extraction.diagnostics
        );
        assert_eq!(file(&extraction, &["fw.trx"], "part0"), Some(&kernel[..]));
        assert_eq!(
            file(&extraction, &["fw.trx", "part1"], "etc/banner"),
            Some(&b"hello"[..])
        );

        let mut tplink = vec![0u8; 0x200];
        tplink[..4].copy_from_slice(&1u32.to_be_bytes());
        tplink[4..24].copy_from_slice(b"TP-LINK Technologies");
        tplink[0x80..0x84].copy_from_slice(&0x200u32.to_be_bytes());
        tplink[0x84..0x88].copy_from_slice(&(kernel.len() as u32).to_be_bytes());
        tplink[0x88..0x8c].copy_from_slice(&((0x200 + kernel.len()) as u32).to_be_bytes());
        tplink[0x8c..0x90].copy_from_slice(&(rootfs.len() as u32).to_be_bytes());
        tplink.extend_from_slice(&kernel);
        tplink.extend_from_slice(&rootfs);
        let total = tplink.len() as u32;
        tplink[0x7c..0x80].copy_from_slice(&total.to_be_bytes());
        let extraction = run_default("wr.bin", &tplink);
        assert!(
            extraction.diagnostics.is_empty(),
            "{:?}",
            extraction.diagnostics
        );
        assert_eq!(extraction.root.format, "tplink");
        assert_eq!(file(&extraction, &["wr.bin"], "kernel"), Some(&kernel[..]));
        assert_eq!(
            file(&extraction, &["wr.bin", "rootfs"], "etc/banner"),
            Some(&b"hello"[..])
        );
    }

    #[test]
    fn file_count_limit_truncates_with_a_diagnostic() {
        let entries: Vec<(String, Vec<u8>)> =
            (0..50).map(|i| (format!("f{i}"), vec![b'a'; 10])).collect();
        let borrowed: Vec<(&str, u32, &[u8])> = entries
            .iter()
            .map(|(name, data)| (name.as_str(), 0o100644, data.as_slice()))
            .collect();
        let extraction = run(
            "many.cpio",
            &newc(&borrowed),
            Limits {
                max_files: 10,
                ..Limits::default()
            },
        );
        assert!(extraction.truncated);
        assert!(has_diagnostic(&extraction, "file count limit of 10"));
        assert_eq!(extraction.files, 10);
    }

    /// What one scan over the whole blob reports: the reference for the pieces.
    fn scan_in_one_go(signatures: &Signatures, data: &[u8], from: usize) -> Candidates {
        let mut hits = Vec::new();
        for found in signatures
            .automaton
            .find_overlapping_iter(data.get(from..).unwrap_or(&[]))
        {
            let (format_index, magic_offset) = signatures.owners[found.pattern().as_usize()];
            let Some(start) = (from + found.start()).checked_sub(magic_offset) else {
                continue;
            };
            if start < from || start == 0 {
                continue;
            }
            if hits.len() >= MAX_CARVE_CANDIDATES {
                return (hits, true);
            }
            hits.push((start, format_index));
        }
        (hits, false)
    }

    #[test]
    fn scans_in_pieces_find_what_one_scan_finds() {
        let signatures = signatures().expect("automaton");
        // Pseudo-random bytes with magics planted everywhere, some across piece boundaries.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut data: Vec<u8> = (0..(SCAN_PIECE * 5 + 333))
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let magics: Vec<&[u8]> = FORMATS
            .iter()
            .flat_map(|format| format.magics.iter().copied())
            .collect();
        for (index, at) in (1..data.len() - 32).step_by(4093).enumerate() {
            let magic = magics[index % magics.len()];
            data[at..at + magic.len()].copy_from_slice(magic);
        }
        for boundary in 1..=6 {
            let at = SCAN_PIECE * boundary - 2;
            if at + 8 < data.len() {
                data[at..at + 6].copy_from_slice(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]);
            }
        }
        let small = &data[..1000];
        let blobs: Vec<(&[u8], usize)> =
            vec![(&data, 0), (&data, 12_345), (small, 0), (&data, data.len())];
        let pieces = scan_blobs(signatures, &blobs);
        for ((blob, from), scanned) in blobs.iter().zip(&pieces) {
            let reference = scan_in_one_go(signatures, blob, *from);
            assert!(!reference.0.is_empty() || *from == blob.len());
            assert_eq!(scanned, &reference, "from {from}");
        }
        // Past the candidate limit, reached in the second of three pieces: the same first
        // hits, and "more" said.
        let mut crowded = vec![0u8; SCAN_PIECE * 3];
        let pairs = b"\x78\x9c".repeat(MAX_CARVE_CANDIDATES + 10_000);
        crowded[200_000..200_000 + pairs.len()].copy_from_slice(&pairs);
        let scanned = scan_blobs(signatures, &[(&crowded, 0)])
            .pop()
            .expect("one result");
        let reference = scan_in_one_go(signatures, &crowded, 0);
        assert!(reference.1);
        assert_eq!(scanned, reference);
    }
}
