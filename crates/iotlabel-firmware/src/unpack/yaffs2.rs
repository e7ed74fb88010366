//! YAFFS2 reader, both byte orders: NAND dumps of data pages each followed by a spare (OOB)
//! area holding packed tags (sequence number, object id, chunk id, byte count). Objects are
//! rebuilt from their newest header (highest block sequence, then latest chunk), files from
//! their newest data chunks; objects moved to the unlinked or deleted pseudo-directories are
//! skipped.
//!
//! Written here rather than taken from a crate: no maintained crate reads YAFFS2 images, and
//! the chunk geometry (page and spare sizes, tag position, byte order) has to be detected
//! from the data, which a strict probe does below.

use std::collections::{HashMap, HashSet};

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Node, Tree};

/// YAFFS2 has no magic: the first chunk is an object header whose type (1..=5) and parent
/// id (1, the root) are matched here, in either byte order; the probe checks the rest.
pub const FORMAT: Format = Format {
    id: "yaffs2",
    description: "YAFFS2 NAND flash file system image (little- or big-endian)",
    magics: &[
        &[1, 0, 0, 0, 1, 0, 0, 0],
        &[2, 0, 0, 0, 1, 0, 0, 0],
        &[3, 0, 0, 0, 1, 0, 0, 0],
        &[4, 0, 0, 0, 1, 0, 0, 0],
        &[5, 0, 0, 0, 1, 0, 0, 0],
        &[0, 0, 0, 1, 0, 0, 0, 1],
        &[0, 0, 0, 2, 0, 0, 0, 1],
        &[0, 0, 0, 3, 0, 0, 0, 1],
        &[0, 0, 0, 4, 0, 0, 0, 1],
        &[0, 0, 0, 5, 0, 0, 0, 1],
    ],
    magic_offset: 0,
    probe,
    unpack,
};

/// (page size, spare size) pairs in the order they are tried: the common NAND layouts
/// (512+16, 2048+64, 4096+128, 4096+224, 8192+448) first, then other pairings seen in dumps.
const GEOMETRIES: [(usize, usize); 12] = [
    (2048, 64),
    (4096, 128),
    (512, 16),
    (4096, 224),
    (4096, 256),
    (8192, 448),
    (2048, 128),
    (4096, 64),
    (512, 64),
    (2048, 16),
    (4096, 16),
    (512, 128),
];
/// Packed tags sit at the start of the spare area, or after a two-byte bad block marker.
const TAG_OFFSETS: [usize; 2] = [2, 0];
const TAGS_LEN: usize = 16;

const LOWEST_SEQUENCE: u32 = 0x0000_1000;
const HIGHEST_SEQUENCE: u32 = 0xefff_ff00;
const HEADER_FLAG: u32 = 0x8000_0000;
const OBJECT_ID_MASK: u32 = 0x0fff_ffff;

const ROOT_ID: u32 = 1;
const LOST_AND_FOUND_ID: u32 = 2;
const UNLINKED_ID: u32 = 3;
const DELETED_ID: u32 = 4;

const TYPE_FILE: u32 = 1;
const TYPE_SYMLINK: u32 = 2;
const TYPE_DIRECTORY: u32 = 3;
const TYPE_HARD_LINK: u32 = 4;
const TYPE_SPECIAL: u32 = 5;

const NAME_OFFSET: usize = 10;
const NAME_LEN: usize = 256;
const ALIAS_OFFSET: usize = 300;
const ALIAS_LEN: usize = 160;
/// The fields every object header holds end here (the shadowing field after them is read
/// when present).
const HEADER_LEN: usize = 500;

const S_IFMT: u32 = 0o170000;
/// Deeper directory nesting than this is treated as damage.
const MAX_DEPTH: usize = 256;

/// Where chunks and their tags sit, and their byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    page: usize,
    spare: usize,
    tag_offset: usize,
    big_endian: bool,
}

impl Geometry {
    fn chunk_len(self) -> usize {
        self.page + self.spare
    }

    fn u32_at(self, data: &[u8], offset: usize) -> Option<u32> {
        let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    }

    fn page_of(self, data: &[u8], index: usize) -> Option<&[u8]> {
        let start = index.checked_mul(self.chunk_len())?;
        data.get(start..start.checked_add(self.page)?)
    }

    fn tags_of(self, data: &[u8], index: usize) -> Option<Tags> {
        let start = index
            .checked_mul(self.chunk_len())?
            .checked_add(self.page)?
            .checked_add(self.tag_offset)?;
        let raw = data.get(start..start.checked_add(TAGS_LEN)?)?;
        Some(Tags {
            sequence: self.u32_at(raw, 0)?,
            object_id: self.u32_at(raw, 4)?,
            chunk_id: self.u32_at(raw, 8)?,
            byte_count: self.u32_at(raw, 12)?,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Tags {
    sequence: u32,
    object_id: u32,
    chunk_id: u32,
    byte_count: u32,
}

/// What one chunk's tags say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkKind {
    Erased,
    Header { object: u32 },
    Data { object: u32, chunk: u32 },
    Invalid,
}

impl Tags {
    fn kind(self, page: usize) -> ChunkKind {
        if self.sequence == 0xffff_ffff && self.object_id == 0xffff_ffff {
            return ChunkKind::Erased;
        }
        if !(LOWEST_SEQUENCE..=HIGHEST_SEQUENCE).contains(&self.sequence) {
            return ChunkKind::Invalid;
        }
        let object = self.object_id & OBJECT_ID_MASK;
        if object == 0 {
            return ChunkKind::Invalid;
        }
        if self.chunk_id == 0 || self.chunk_id & HEADER_FLAG != 0 {
            ChunkKind::Header { object }
        } else if self.byte_count as usize <= page && self.object_id & !OBJECT_ID_MASK == 0 {
            ChunkKind::Data {
                object,
                chunk: self.chunk_id,
            }
        } else {
            ChunkKind::Invalid
        }
    }
}

/// An object header, decoded.
#[derive(Debug, Clone)]
struct Header {
    kind: u32,
    parent: u32,
    name: String,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    equivalent: u32,
    alias: String,
    /// The object this one replaced by a rename over it (0 or all ones: none).
    shadows: u32,
}

fn c_string(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

fn decode_header(geometry: Geometry, page: &[u8]) -> Option<Header> {
    let field = |offset: usize| geometry.u32_at(page, offset);
    let kind = field(0)?;
    let parent = field(4)?;
    let name = c_string(page.get(NAME_OFFSET..NAME_OFFSET + NAME_LEN)?);
    let alias = c_string(page.get(ALIAS_OFFSET..ALIAS_OFFSET + ALIAS_LEN)?);
    let size_low = u64::from(field(292)?);
    let size_high = field(496)?;
    let size = if size_high == 0xffff_ffff {
        size_low
    } else {
        size_low | (u64::from(size_high) << 32)
    };
    Some(Header {
        kind,
        parent,
        name: String::from_utf8_lossy(name).into_owned(),
        mode: field(268)?,
        uid: field(272)?,
        gid: field(276)?,
        size,
        equivalent: field(296)?,
        alias: String::from_utf8_lossy(alias).into_owned(),
        shadows: field(504).unwrap_or(0),
    })
}

/// The first object header must be plausible on its own: known type, parent the root, a
/// printable name without slashes, and a mode whose type bits agree with the object type.
/// (Allocation-free: carving runs this at every offset where the magic matches.)
fn plausible_first_header(geometry: Geometry, page: &[u8]) -> bool {
    let (Some(kind), Some(parent), Some(mode)) = (
        geometry.u32_at(page, 0),
        geometry.u32_at(page, 4),
        geometry.u32_at(page, 268),
    ) else {
        return false;
    };
    let Some(raw_name) = page.get(NAME_OFFSET..NAME_OFFSET + NAME_LEN) else {
        return false;
    };
    let name = c_string(raw_name);
    let name_ok = !name.is_empty()
        && name.len() < NAME_LEN
        && name != b"."
        && name != b".."
        && name.iter().all(|&b| b >= 0x20 && b != 0x7f && b != b'/');
    let mode_ok = match kind {
        TYPE_FILE => mode & S_IFMT == 0o100000,
        TYPE_SYMLINK => mode & S_IFMT == 0o120000,
        TYPE_DIRECTORY => mode & S_IFMT == 0o040000,
        TYPE_HARD_LINK | TYPE_SPECIAL => true,
        _ => false,
    };
    parent == ROOT_ID && name_ok && mode_ok
}

/// Chunks whose tags are read to score a candidate geometry.
const SCORED_CHUNKS: usize = 16;

/// Finds the chunk geometry: the first chunk must decode as a plausible header in the
/// geometry's byte order with header tags, and the second chunk (if present) must carry
/// valid or erased tags. When several geometries pass, the one under which most of the
/// first chunks carry header or data tags wins (earlier in the list on a tie): under a
/// wrong geometry the "tags" mostly fall in 0xff page padding and read as erased.
fn detect_geometry(data: &[u8]) -> Option<Geometry> {
    let mut best: Option<(usize, Geometry)> = None;
    for big_endian in [false, true] {
        for (page, spare) in GEOMETRIES {
            for tag_offset in TAG_OFFSETS {
                if tag_offset + TAGS_LEN > spare {
                    continue;
                }
                let geometry = Geometry {
                    page,
                    spare,
                    tag_offset,
                    big_endian,
                };
                // Tags first: they are the cheapest to reject.
                let Some(tags) = geometry.tags_of(data, 0) else {
                    continue;
                };
                if !matches!(tags.kind(page), ChunkKind::Header { .. }) {
                    continue;
                }
                let Some(first_page) = geometry.page_of(data, 0) else {
                    continue;
                };
                if first_page.len() < HEADER_LEN || !plausible_first_header(geometry, first_page) {
                    continue;
                }
                let second_ok = match geometry.tags_of(data, 1) {
                    Some(tags) => tags.kind(page) != ChunkKind::Invalid,
                    None => true,
                };
                if !second_ok {
                    continue;
                }
                let score = (0..SCORED_CHUNKS)
                    .map_while(|index| geometry.tags_of(data, index))
                    .filter(|tags| {
                        matches!(
                            tags.kind(page),
                            ChunkKind::Header { .. } | ChunkKind::Data { .. }
                        )
                    })
                    .count();
                if best.is_none_or(|(best_score, _)| score > best_score) {
                    best = Some((score, geometry));
                }
            }
        }
    }
    best.map(|(_, geometry)| geometry)
}

fn probe(data: &[u8]) -> bool {
    detect_geometry(data).is_some()
}

/// Where the newest copy of something was found: block sequence, then chunk position.
type Age = (u32, usize);

#[derive(Debug)]
struct Object {
    age: Age,
    header: Header,
}

#[derive(Debug, Clone, Copy)]
struct DataChunk {
    age: Age,
    index: usize,
    byte_count: usize,
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let geometry = detect_geometry(data)
        .ok_or_else(|| UnpackError::new("no YAFFS2 object header at the start"))?;
    let chunk_len = geometry.chunk_len();
    let chunk_count = data.len() / chunk_len;
    let mut objects: HashMap<u32, Object> = HashMap::new();
    let mut chunks: HashMap<(u32, u32), DataChunk> = HashMap::new();
    let mut last_good = 0usize;
    // (shadowed object, age of the header that shadowed it)
    let mut shadowings: Vec<(u32, Age)> = Vec::new();
    let mut invalid_before_last_good = 0usize;
    let mut invalid_seen = 0usize;
    for index in 0..chunk_count {
        let Some(tags) = geometry.tags_of(data, index) else {
            break;
        };
        let age = (tags.sequence, index);
        match tags.kind(geometry.page) {
            ChunkKind::Erased => {
                last_good = index;
                invalid_before_last_good = invalid_seen;
            }
            ChunkKind::Invalid => invalid_seen += 1,
            ChunkKind::Header { object } => {
                last_good = index;
                invalid_before_last_good = invalid_seen;
                let header = geometry
                    .page_of(data, index)
                    .and_then(|page| decode_header(geometry, page));
                let Some(header) = header else { continue };
                if header.shadows != 0
                    && header.shadows <= OBJECT_ID_MASK
                    && header.shadows != object
                {
                    shadowings.push((header.shadows, age));
                }
                let newer = objects.get(&object).is_none_or(|known| known.age < age);
                if newer {
                    objects.insert(object, Object { age, header });
                }
            }
            ChunkKind::Data { object, chunk } => {
                last_good = index;
                invalid_before_last_good = invalid_seen;
                let entry = DataChunk {
                    age,
                    index,
                    byte_count: tags.byte_count as usize,
                };
                let newer = chunks
                    .get(&(object, chunk))
                    .is_none_or(|known| known.age < age);
                if newer {
                    chunks.insert((object, chunk), entry);
                }
            }
        }
    }
    if invalid_before_last_good > 0 {
        ctx.diagnostic(format!(
            "yaffs2: {invalid_before_last_good} chunks with invalid tags skipped"
        ));
    }
    let consumed = ((last_good + 1) * chunk_len).min(data.len());
    if last_good + 1 == chunk_count && !data.len().is_multiple_of(chunk_len) {
        ctx.diagnostic(format!(
            "yaffs2: image ends with a partial chunk of {} bytes (truncated?)",
            data.len() % chunk_len
        ));
    }

    // An object renamed over is gone once the renaming header is newer than its own.
    for (shadowed, age) in shadowings {
        if objects.get(&shadowed).is_some_and(|known| known.age < age) {
            objects.remove(&shadowed);
        }
    }

    // Data chunks per object, so each file is rebuilt from its own list.
    let mut chunks_by_object: HashMap<u32, Vec<(u32, DataChunk)>> = HashMap::new();
    for ((object, chunk), entry) in chunks {
        chunks_by_object
            .entry(object)
            .or_default()
            .push((chunk, entry));
    }

    let mut builder = Builder {
        data,
        geometry,
        objects: &objects,
        chunks_by_object: &chunks_by_object,
        paths: HashMap::new(),
        broken: HashSet::new(),
    };
    let mut tree = Tree::new();
    let mut ids: Vec<u32> = objects.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let Some(object) = objects.get(&id) else {
            continue;
        };
        let header = &object.header;
        if matches!(id, ROOT_ID | LOST_AND_FOUND_ID | UNLINKED_ID | DELETED_ID) {
            continue;
        }
        let path = match builder.path_of(id) {
            Ok(Some(path)) => path,
            Ok(None) => continue,
            Err(problem) => {
                ctx.diagnostic(format!("yaffs2: object {id}: {problem}"));
                continue;
            }
        };
        match header.kind {
            TYPE_DIRECTORY => {
                ctx.add_node(&mut tree, &path, Node::Dir { mode: header.mode });
            }
            TYPE_FILE | TYPE_HARD_LINK => {
                let source = if header.kind == TYPE_HARD_LINK {
                    match objects.get(&header.equivalent) {
                        Some(target) if target.header.kind == TYPE_FILE => header.equivalent,
                        _ => {
                            ctx.diagnostic(format!(
                                "yaffs2: /{path}: hard link to object {} which is not a file",
                                header.equivalent
                            ));
                            continue;
                        }
                    }
                } else {
                    id
                };
                let Some(source_object) = objects.get(&source) else {
                    continue;
                };
                let source_header = &source_object.header;
                let Some(contents) = builder.file_contents(source, source_object, &path, ctx)
                else {
                    continue;
                };
                ctx.add_file(
                    &mut tree,
                    &path,
                    FileEntry {
                        data: contents,
                        mode: source_header.mode,
                        uid: source_header.uid,
                        gid: source_header.gid,
                    },
                );
            }
            TYPE_SYMLINK => {
                ctx.add_node(
                    &mut tree,
                    &path,
                    Node::Symlink {
                        target: header.alias.clone(),
                    },
                );
            }
            TYPE_SPECIAL => {
                ctx.add_node(&mut tree, &path, Node::Special { mode: header.mode });
            }
            other => ctx.diagnostic(format!("yaffs2: /{path}: unknown object type {other}")),
        }
    }
    if tree.is_empty() && !objects.is_empty() {
        ctx.diagnostic("yaffs2: no live objects found");
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}

struct Builder<'a> {
    data: &'a [u8],
    geometry: Geometry,
    objects: &'a HashMap<u32, Object>,
    chunks_by_object: &'a HashMap<u32, Vec<(u32, DataChunk)>>,
    /// Path of each directory resolved so far (`None`: unlinked or deleted).
    paths: HashMap<u32, Option<String>>,
    /// Objects whose parent chain loops, breaks or nests too deep.
    broken: HashSet<u32>,
}

impl Builder<'_> {
    /// The object's path from the root; `Ok(None)` for objects under the unlinked or deleted
    /// pseudo-directories. A parent chain that loops or breaks is an error.
    fn path_of(&mut self, id: u32) -> Result<Option<String>, String> {
        let mut chain: Vec<u32> = Vec::new();
        let result = self.walk_up(id, &mut chain);
        if result.is_err() {
            // Everything on a broken chain is broken for the objects below it too; remember
            // that so each chain is walked once.
            self.broken.extend(chain);
        }
        result
    }

    fn walk_up(&mut self, id: u32, chain: &mut Vec<u32>) -> Result<Option<String>, String> {
        let mut seen: HashSet<u32> = HashSet::new();
        let mut current = id;
        // Walk up until the root, a pseudo-directory or an already resolved directory.
        let mut prefix: Option<String> = loop {
            if let Some(known) = self.paths.get(&current) {
                break known.clone();
            }
            match current {
                ROOT_ID => break Some(String::new()),
                LOST_AND_FOUND_ID => break Some("lost+found".to_owned()),
                UNLINKED_ID | DELETED_ID => break None,
                _ => {}
            }
            if self.broken.contains(&current) {
                return Err(format!("parent chain through object {current} is broken"));
            }
            chain.push(current);
            if !seen.insert(current) {
                return Err("parent chain loops".to_owned());
            }
            if chain.len() > MAX_DEPTH {
                return Err("parent chain nests too deep".to_owned());
            }
            let object = self
                .objects
                .get(&current)
                .ok_or_else(|| format!("parent object {current} missing"))?;
            if current != id && object.header.kind != TYPE_DIRECTORY {
                return Err(format!("parent object {current} is not a directory"));
            }
            let name = &object.header.name;
            if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                return Err(format!("object {current} has a bad name {name:?}"));
            }
            current = object.header.parent;
        };
        while let Some(next) = chain.pop() {
            let name = self
                .objects
                .get(&next)
                .map(|object| object.header.name.clone())
                .unwrap_or_default();
            prefix = prefix.map(|parent| {
                if parent.is_empty() {
                    name
                } else {
                    format!("{parent}/{name}")
                }
            });
            if next != id {
                self.paths.insert(next, prefix.clone());
            }
        }
        Ok(prefix)
    }

    /// A file rebuilt from its newest data chunks, holes as zeros, cut at the header's size.
    fn file_contents(
        &self,
        id: u32,
        object: &Object,
        path: &str,
        ctx: &mut UnpackContext<'_>,
    ) -> Option<Vec<u8>> {
        // Data written after the header (appended to without a new header) extends the
        // file; older chunks past the header's size were cut off by a truncation.
        let mut declared = object.header.size;
        for (chunk, entry) in self.chunks_by_object.get(&id).into_iter().flatten() {
            if entry.age > object.age {
                let end = u64::from(chunk.saturating_sub(1))
                    .saturating_mul(self.geometry.page as u64)
                    .saturating_add(entry.byte_count as u64);
                declared = declared.max(end);
            }
        }
        let header = Header {
            size: declared,
            ..object.header.clone()
        };
        let limits = *ctx.budget.limits();
        if ctx.budget.files_used() >= limits.max_files {
            ctx.limit_hit(LimitHit::Files(limits.max_files));
            return None;
        }
        if header.size > ctx.budget.bytes_left() {
            ctx.limit_hit(LimitHit::TotalBytes(limits.max_total_bytes));
            return None;
        }
        let plausible = (self.data.len() as u64).saturating_mul(16).max(64 << 20);
        let Ok(size) = usize::try_from(header.size) else {
            return None;
        };
        if header.size > plausible {
            ctx.diagnostic(format!(
                "yaffs2: /{path}: size {} is implausible for this image; skipped",
                header.size
            ));
            return None;
        }
        let mut output = vec![0u8; size];
        let mut covered = 0usize;
        for (chunk, entry) in self.chunks_by_object.get(&id).into_iter().flatten() {
            let Some(start) = (*chunk as usize)
                .checked_sub(1)
                .and_then(|before| before.checked_mul(self.geometry.page))
            else {
                continue;
            };
            if start >= size {
                // Left over from before the file was truncated.
                continue;
            }
            let length = entry.byte_count.min(size - start);
            let Some(page) = self.geometry.page_of(self.data, entry.index) else {
                continue;
            };
            if let (Some(target), Some(source)) =
                (output.get_mut(start..start + length), page.get(..length))
            {
                target.copy_from_slice(source);
                covered += length;
            }
        }
        if covered < size {
            ctx.diagnostic(format!(
                "yaffs2: /{path}: {} of {size} bytes have no data chunk (holes or damage)",
                size - covered
            ));
        }
        Some(output)
    }
}
