//! Tests of the cramfs, romfs, ext2/3/4 and yaffs2 unpackers: the corpus samples in
//! `../shared/fixtures/firmware` (skipped when absent, required when CI=true), images built
//! here (big-endian cramfs, yaffs2 with updates and deletions, romfs with links and loops),
//! and truncated or corrupted images, which must give diagnostics and never panic.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::{
    self, Format, UnpackContext, Unpacked, cramfs, ext, romfs, yaffs2,
};
use iotlabel_firmware::vfs::{Node, Tree};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------
// Helpers

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/firmware")
}

/// The corpus, or `None` (after saying why) when it is absent outside CI.
fn corpus() -> Option<PathBuf> {
    let dir = corpus_dir();
    if dir.join("expected.json").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "corpus missing at {} (required when CI=true)",
            dir.display()
        );
    }
    eprintln!("skipping: firmware corpus not found at {}", dir.display());
    None
}

struct Outcome {
    tree: Tree,
    consumed: u64,
    diagnostics: Vec<String>,
    truncated: bool,
}

fn run(format: &Format, data: &[u8]) -> Result<Outcome, String> {
    run_with(format, data, Limits::default())
}

fn run_with(format: &Format, data: &[u8], limits: Limits) -> Result<Outcome, String> {
    let budget = Budget::new(limits);
    let mut ctx = UnpackContext::new(&budget);
    match (format.unpack)(data, &mut ctx) {
        Ok(Unpacked::Tree { tree, consumed }) => Ok(Outcome {
            tree,
            consumed,
            diagnostics: ctx.diagnostics,
            truncated: ctx.truncated,
        }),
        Ok(Unpacked::Stream { .. }) => Err("a file system unpacked to a stream".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn xz_decompress(data: &[u8]) -> Vec<u8> {
    let mut output = Vec::new();
    lzma_rs::xz_decompress(&mut &data[..], &mut output).expect("corpus xz decompresses");
    output
}

/// Reads a corpus sample (decompressing `.xz`), checks identification and that every file
/// expected.json lists comes out with its size and SHA-256. Returns the image and outcome.
fn check_corpus_sample(name: &str, format: &Format) -> Option<(Vec<u8>, Outcome)> {
    let dir = corpus()?;
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected.json"))
            .expect("expected.json parses");
    let raw = std::fs::read(dir.join("formats").join(name)).expect("sample readable");
    let data = if name.ends_with(".xz") {
        xz_decompress(&raw)
    } else {
        raw
    };
    assert!(
        unpack::matches_at(format, &data, 0),
        "{name}: {} magic/probe does not match",
        format.id
    );
    assert_eq!(
        unpack::identify(&data).map(|found| found.id),
        Some(format.id),
        "{name}: identified as another format"
    );
    let outcome = run(format, &data).unwrap_or_else(|error| panic!("{name}: {error}"));
    assert!(outcome.consumed > 0 && outcome.consumed <= data.len() as u64);
    let by_name: BTreeMap<&str, &[u8]> = outcome
        .tree
        .files()
        .map(|(path, file)| (path.rsplit('/').next().unwrap_or(path), &file.data[..]))
        .collect();
    let files = expected[format!("formats/{name}")]["files"]
        .as_array()
        .expect("sample listed in expected.json");
    for file in files {
        let base = file["name"].as_str().expect("name");
        let contents = by_name
            .get(base)
            .unwrap_or_else(|| panic!("{name}: {base} missing; got {:?}", by_name.keys()));
        assert_eq!(
            contents.len() as u64,
            file["size"].as_u64().expect("size"),
            "{name}: {base} size"
        );
        assert_eq!(
            sha256_hex(contents),
            file["sha256"].as_str().expect("sha256"),
            "{name}: {base} contents"
        );
    }
    Some((data, outcome))
}

/// Cuts and corrupts `data` in many ways; the unpacker must never panic, never claim bytes
/// past the cut, and a file system whose header gives its size must say when it was cut.
/// (yaffs2 has no such header: a cut between chunks looks like an older, complete image.)
fn hammer(format: &Format, data: &[u8]) {
    let full = run(format, data)
        .map(|outcome| outcome.consumed)
        .unwrap_or(0);
    let step = (data.len() / 97).max(1);
    for cut in (0..data.len()).step_by(step) {
        let outcome = run(format, &data[..cut]);
        if let Ok(outcome) = outcome {
            assert!(
                outcome.consumed <= cut as u64,
                "{}: consumed past the cut",
                format.id
            );
            let silent_is_fine = format.id == "yaffs2" && cut % (PAGE + SPARE) == 0;
            assert!(
                (cut as u64) >= full || !outcome.diagnostics.is_empty() || silent_is_fine,
                "{}: cut at {cut} of {full} went unreported",
                format.id
            );
        }
    }
    // Deterministic byte corruption (xorshift), several bytes per round.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Fewer rounds for big images, to keep the suite fast; half of the damage lands in the
    // first 64 KiB, where the metadata of small images lives.
    let rounds = if data.len() > 256 * 1024 { 40 } else { 300 };
    for _ in 0..rounds {
        let mut damaged = data.to_vec();
        for _ in 0..1 + next() % 8 {
            let span = if next() % 2 == 0 {
                damaged.len().min(65_536)
            } else {
                damaged.len()
            };
            let at = (next() % span.max(1) as u64) as usize;
            if let Some(byte) = damaged.get_mut(at) {
                *byte = next() as u8;
            }
        }
        let _ = run(format, &damaged);
        let _ = (format.probe)(&damaged);
    }
}

fn file<'a>(tree: &'a Tree, path: &str) -> &'a [u8] {
    match tree.get(path) {
        Some(Node::File(entry)) => &entry.data,
        other => panic!("{path}: expected a file, got {other:?}"),
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("compress");
    encoder.finish().expect("compress")
}

// ---------------------------------------------------------------------------------------
// Corpus

#[test]
fn corpus_cramfs_samples() {
    for name in ["binwalk-cramfs.bin", "sevenz-cramfs.img"] {
        if let Some((data, outcome)) = check_corpus_sample(name, &cramfs::FORMAT) {
            assert!(
                outcome.diagnostics.is_empty(),
                "{name}: {:?}",
                outcome.diagnostics
            );
            hammer(&cramfs::FORMAT, &data);
        }
    }
}

#[test]
fn corpus_romfs_samples() {
    for name in ["binwalk-romfs.bin", "generic_fs-romfs.img"] {
        if let Some((data, outcome)) = check_corpus_sample(name, &romfs::FORMAT) {
            assert!(
                outcome.diagnostics.is_empty(),
                "{name}: {:?}",
                outcome.diagnostics
            );
            // The header's size, not the 1 KiB padding, is what romfs consumed.
            assert!(outcome.consumed < data.len() as u64);
            hammer(&romfs::FORMAT, &data);
        }
    }
}

#[test]
fn corpus_ext_samples() {
    for name in [
        "sevenz-ext2.img.xz",
        "sevenz-ext3.img.xz",
        "sevenz-ext4.img.xz",
    ] {
        if let Some((data, outcome)) = check_corpus_sample(name, &ext::FORMAT) {
            assert!(
                outcome.diagnostics.is_empty(),
                "{name}: {:?}",
                outcome.diagnostics
            );
            assert_eq!(outcome.consumed, data.len() as u64);
            assert!(matches!(
                outcome.tree.get("get_files_test/generic folder"),
                Some(Node::Dir { .. })
            ));
            hammer(&ext::FORMAT, &data);
        }
    }
}

#[test]
fn corpus_yaffs2_samples() {
    for name in [
        "yaffs-yaffs2_le.img",
        "yaffs-yaffs2_be.img",
        "binwalk-yaffs2.bin",
    ] {
        if let Some((data, outcome)) = check_corpus_sample(name, &yaffs2::FORMAT) {
            assert!(!outcome.tree.is_empty(), "{name}: empty tree");
            assert_eq!(outcome.consumed, data.len() as u64);
            if name == "binwalk-yaffs2.bin" {
                // No reference listing: 13 yaffs2 utility sources, tags without a bad-block
                // marker in front. Each is whole C text.
                assert_eq!(outcome.tree.files().count(), 13);
                let header = file(&outcome.tree, "yaffs_ecc.h");
                assert!(header.starts_with(b"/*"));
                assert!(
                    String::from_utf8_lossy(header)
                        .trim_end()
                        .ends_with("#endif")
                );
            }
            hammer(&yaffs2::FORMAT, &data);
        }
    }
}

// ---------------------------------------------------------------------------------------
// cramfs built here, in both byte orders

/// A node of a cramfs image to build.
enum CramNode {
    File(Vec<u8>),
    Dir(Vec<(&'static str, CramNode)>),
    Symlink(&'static str),
    Fifo,
}

/// A minimal mkcramfs: superblock, root inode, each directory's entries followed by its
/// children, files as a block pointer table plus zlib blocks (all-zero blocks as holes).
struct CramWriter {
    big_endian: bool,
    out: Vec<u8>,
    block_size: usize,
}

impl CramWriter {
    fn put_u32(&mut self, at: usize, value: u32) {
        let bytes = if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        };
        self.out[at..at + 4].copy_from_slice(&bytes);
    }

    fn put_inode(&mut self, at: usize, mode: u32, size: u32, name_len: usize, offset: usize) {
        let (uid, gid) = (1000u32, 100u32);
        let (words, quarter) = (name_len / 4, (offset / 4) as u32);
        let (w0, w1, w2) = if self.big_endian {
            (
                mode << 16 | uid,
                size << 8 | gid,
                (words as u32) << 26 | quarter,
            )
        } else {
            (
                mode | uid << 16,
                size | gid << 24,
                words as u32 | quarter << 6,
            )
        };
        self.put_u32(at, w0);
        self.put_u32(at + 4, w1);
        self.put_u32(at + 8, w2);
    }

    fn align(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    /// Lays out a directory's entries and then its children; returns (offset, size).
    fn dir(&mut self, entries: &[(&str, CramNode)]) -> (usize, usize) {
        self.align();
        let start = self.out.len();
        let mut slots = Vec::new();
        for (name, _) in entries {
            let padded = name.len().div_ceil(4) * 4;
            slots.push((self.out.len(), padded));
            self.out.extend(std::iter::repeat_n(0u8, 12));
            self.out.extend_from_slice(name.as_bytes());
            self.out
                .extend(std::iter::repeat_n(0u8, padded - name.len()));
        }
        let size = self.out.len() - start;
        for ((slot, padded), (_, node)) in slots.into_iter().zip(entries) {
            let (mode, size, offset) = match node {
                CramNode::Dir(children) => {
                    let (offset, size) = self.dir(children);
                    (0o040755, size, offset)
                }
                CramNode::File(data) => (0o100644, data.len(), self.contents(data)),
                CramNode::Symlink(target) => {
                    (0o120777, target.len(), self.contents(target.as_bytes()))
                }
                CramNode::Fifo => (0o010644, 0, 0),
            };
            self.put_inode(slot, mode, size as u32, padded, offset);
        }
        (start, size)
    }

    fn contents(&mut self, data: &[u8]) -> usize {
        self.align();
        let table = self.out.len();
        let blocks: Vec<&[u8]> = data.chunks(self.block_size).collect();
        self.out.extend(std::iter::repeat_n(0u8, blocks.len() * 4));
        for (index, block) in blocks.iter().enumerate() {
            if block.iter().any(|&b| b != 0) {
                self.out.extend_from_slice(&zlib(block));
            }
            let end = self.out.len() as u32;
            self.put_u32(table + index * 4, end);
        }
        table
    }

    fn build(root: &[(&str, CramNode)], big_endian: bool) -> Vec<u8> {
        CramWriter::build_with(root, big_endian, 0, 4096)
    }

    /// `pad` bytes of boot code room before the superblock (`mkcramfs -p` uses 512); all
    /// offsets count from the start of the pad. `block_size` as `mkfs.cramfs -b`.
    fn build_with(
        root: &[(&str, CramNode)],
        big_endian: bool,
        pad: usize,
        block_size: usize,
    ) -> Vec<u8> {
        let mut writer = CramWriter {
            big_endian,
            out: vec![0; pad + 76],
            block_size,
        };
        let (offset, size) = writer.dir(root);
        writer.align();
        while !writer.out.len().is_multiple_of(4096) {
            writer.out.push(0);
        }
        let total = writer.out.len() as u32;
        writer.put_u32(pad, 0x28cd_3d45);
        writer.put_u32(pad + 4, total);
        writer.put_u32(pad + 8, 0x1 | 0x2 | 0x100);
        writer.out[pad + 16..pad + 32].copy_from_slice(b"Compressed ROMFS");
        writer.out[pad + 48..pad + 58].copy_from_slice(b"Compressed");
        writer.put_inode(pad + 64, 0o040755, size as u32, 0, offset);
        writer.out
    }
}

fn sample_cramfs_tree() -> Vec<(&'static str, CramNode)> {
    let mut sparse = vec![0u8; 3 * 4096 + 10];
    sparse[..5].copy_from_slice(b"start");
    sparse[3 * 4096..].copy_from_slice(b"0123456789");
    let numbers: Vec<u8> = (0..9000u32).flat_map(|n| n.to_le_bytes()).collect();
    vec![
        (
            "bin",
            CramNode::Dir(vec![
                ("busybox", CramNode::File(numbers)),
                ("sh", CramNode::Symlink("busybox")),
            ]),
        ),
        (
            "etc",
            CramNode::Dir(vec![(
                "passwd",
                CramNode::File(b"root:x:0:0:root:/root:/bin/sh\n".to_vec()),
            )]),
        ),
        ("fifo", CramNode::Fifo),
        ("sparse", CramNode::File(sparse)),
        ("empty", CramNode::File(Vec::new())),
    ]
}

#[test]
fn cramfs_both_byte_orders_built_here() {
    let little = CramWriter::build(&sample_cramfs_tree(), false);
    let big = CramWriter::build(&sample_cramfs_tree(), true);
    assert_eq!(&big[..4], &[0x28, 0xcd, 0x3d, 0x45]);
    assert_eq!(&little[..4], &[0x45, 0x3d, 0xcd, 0x28]);
    let mut trees = Vec::new();
    for image in [&little, &big] {
        assert_eq!(unpack::identify(image).map(|f| f.id), Some("cramfs"));
        let outcome = run(&cramfs::FORMAT, image).expect("unpacks");
        assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
        assert_eq!(outcome.consumed, image.len() as u64);
        let tree = outcome.tree;
        let busybox = file(&tree, "bin/busybox");
        assert_eq!(busybox.len(), 36_000);
        assert_eq!(&busybox[35_996..], &8999u32.to_le_bytes());
        assert_eq!(
            file(&tree, "etc/passwd"),
            b"root:x:0:0:root:/root:/bin/sh\n"
        );
        let sparse = file(&tree, "sparse");
        assert_eq!(sparse.len(), 3 * 4096 + 10);
        assert!(sparse.starts_with(b"start") && sparse.ends_with(b"0123456789"));
        assert!(sparse[4096..3 * 4096].iter().all(|&b| b == 0));
        assert!(file(&tree, "empty").is_empty());
        assert_eq!(
            tree.get("bin/sh"),
            Some(&Node::Symlink {
                target: "busybox".to_owned()
            })
        );
        assert_eq!(tree.get("fifo"), Some(&Node::Special { mode: 0o010644 }));
        match tree.get("etc/passwd") {
            Some(Node::File(entry)) => {
                assert_eq!((entry.mode, entry.uid, entry.gid), (0o100644, 1000, 100))
            }
            other => panic!("{other:?}"),
        }
        trees.push(tree);
    }
    assert_eq!(trees[0], trees[1]);
    hammer(&cramfs::FORMAT, &big);
}

#[test]
fn cramfs_with_boot_pad_is_read_from_its_magic() {
    let plain = run(
        &cramfs::FORMAT,
        &CramWriter::build(&sample_cramfs_tree(), false),
    )
    .expect("unpacks")
    .tree;
    for big_endian in [false, true] {
        let image = CramWriter::build_with(&sample_cramfs_tree(), big_endian, 512, 4096);
        // Carved at the magic, as a scan of the whole file would find it.
        let carved = &image[512..];
        assert!(unpack::matches_at(&cramfs::FORMAT, &image, 512));
        let outcome = run(&cramfs::FORMAT, carved).expect("unpacks");
        assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
        assert_eq!(outcome.consumed, carved.len() as u64);
        assert_eq!(outcome.tree, plain);
    }
}

#[test]
fn cramfs_larger_block_sizes() {
    let plain = run(
        &cramfs::FORMAT,
        &CramWriter::build(&sample_cramfs_tree(), false),
    )
    .expect("unpacks")
    .tree;
    for (block_size, big_endian) in [(16384, false), (65536, true), (8192, true)] {
        let image = CramWriter::build_with(&sample_cramfs_tree(), big_endian, 0, block_size);
        let outcome = run(&cramfs::FORMAT, &image).expect("unpacks");
        assert!(
            outcome.diagnostics.is_empty(),
            "{block_size}: {:?}",
            outcome.diagnostics
        );
        assert_eq!(outcome.tree, plain, "{block_size}");
    }
}

#[test]
fn cramfs_directory_cycle_is_reported() {
    let mut image = CramWriter::build(
        &[
            (
                "loop",
                CramNode::Dir(vec![("x", CramNode::File(b"x".to_vec()))]),
            ),
            ("file", CramNode::File(b"data".to_vec())),
        ],
        false,
    );
    // Point "loop" at the root's own entries.
    let name_at = image.windows(4).position(|w| w == b"loop").expect("entry");
    let root_size = u32::from_le_bytes(image[68..72].try_into().unwrap()) & 0x00ff_ffff;
    let root_offset_bits = u32::from_le_bytes(image[72..76].try_into().unwrap()) & !0x3f;
    let inode = name_at - 12;
    let size_word = u32::from_le_bytes(image[inode + 4..inode + 8].try_into().unwrap());
    image[inode + 4..inode + 8]
        .copy_from_slice(&((size_word & 0xff00_0000) | root_size).to_le_bytes());
    let name_word = u32::from_le_bytes(image[inode + 8..inode + 12].try_into().unwrap());
    image[inode + 8..inode + 12]
        .copy_from_slice(&((name_word & 0x3f) | root_offset_bits).to_le_bytes());
    let outcome = run(&cramfs::FORMAT, &image).expect("unpacks");
    assert!(
        outcome.diagnostics.iter().any(|d| d.contains("cycle")),
        "{:?}",
        outcome.diagnostics
    );
    assert_eq!(file(&outcome.tree, "file"), b"data");
}

#[test]
fn cramfs_respects_the_budget() {
    let image = CramWriter::build(&sample_cramfs_tree(), true);
    let outcome = run_with(
        &cramfs::FORMAT,
        &image,
        Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        },
    )
    .expect("unpacks");
    assert!(outcome.truncated);
    assert!(
        outcome
            .tree
            .files()
            .map(|(_, f)| f.data.len())
            .sum::<usize>()
            <= 1000
    );
}

#[test]
fn cramfs_rejects_lookalikes() {
    let mut image = CramWriter::build(&sample_cramfs_tree(), false);
    image[16] = b'X';
    assert!(!(cramfs::FORMAT.probe)(&image));
    assert!(run(&cramfs::FORMAT, &image).is_err());
    assert!(!(cramfs::FORMAT.probe)(&[0x45, 0x3d, 0xcd, 0x28, 0, 0]));
}

// ---------------------------------------------------------------------------------------
// yaffs2 built here, in both byte orders

const PAGE: usize = 2048;
const SPARE: usize = 64;

struct YaffsWriter {
    big_endian: bool,
    out: Vec<u8>,
    page: usize,
    spare: usize,
    /// Where the packed tags start in the spare area.
    tag_offset: usize,
}

struct YaffsObject<'a> {
    id: u32,
    kind: u32,
    parent: u32,
    name: &'a str,
    mode: u32,
    size: u32,
    equivalent: u32,
    alias: &'a str,
}

impl YaffsWriter {
    fn new(big_endian: bool) -> YaffsWriter {
        YaffsWriter {
            big_endian,
            out: Vec::new(),
            page: PAGE,
            spare: SPARE,
            tag_offset: 2,
        }
    }

    fn word(&self, value: u32) -> [u8; 4] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    fn chunk(&mut self, page: &[u8], sequence: u32, object: u32, chunk: u32, bytes: u32) {
        let mut data = vec![0xffu8; self.page];
        data[..page.len()].copy_from_slice(page);
        self.out.extend_from_slice(&data);
        let mut spare = vec![0xffu8; self.spare];
        for (index, value) in [sequence, object, chunk, bytes].into_iter().enumerate() {
            let at = self.tag_offset + index * 4;
            spare[at..at + 4].copy_from_slice(&self.word(value));
        }
        self.out.extend_from_slice(&spare);
    }

    fn header(&mut self, sequence: u32, object: &YaffsObject<'_>) {
        let mut page = vec![0xffu8; 512];
        page[0..4].copy_from_slice(&self.word(object.kind));
        page[4..8].copy_from_slice(&self.word(object.parent));
        page[10..266].fill(0);
        page[10..10 + object.name.len()].copy_from_slice(object.name.as_bytes());
        for (at, value) in [
            (268, object.mode),
            (272, 0),
            (276, 0),
            (292, object.size),
            (296, object.equivalent),
        ] {
            page[at..at + 4].copy_from_slice(&self.word(value));
        }
        page[300..460].fill(0);
        page[300..300 + object.alias.len()].copy_from_slice(object.alias.as_bytes());
        self.chunk(&page, sequence, object.id, 0, 0xffff);
    }

    fn file(&mut self, sequence: u32, id: u32, parent: u32, name: &str, contents: &[u8]) {
        self.header(
            sequence,
            &YaffsObject {
                id,
                kind: 1,
                parent,
                name,
                mode: 0o100644,
                size: contents.len() as u32,
                equivalent: 0,
                alias: "",
            },
        );
        for (index, part) in contents.chunks(self.page).enumerate() {
            self.chunk(part, sequence, id, index as u32 + 1, part.len() as u32);
        }
    }

    fn object(&mut self, sequence: u32, id: u32, kind: u32, parent: u32, name: &str) {
        let mode = match kind {
            3 => 0o040755,
            2 => 0o120777,
            5 => 0o010644,
            _ => 0o100644,
        };
        self.header(
            sequence,
            &YaffsObject {
                id,
                kind,
                parent,
                name,
                mode,
                size: 0,
                equivalent: 0,
                alias: "",
            },
        );
    }
}

fn build_yaffs2(big_endian: bool) -> Vec<u8> {
    build_yaffs2_with(YaffsWriter::new(big_endian))
}

fn build_yaffs2_with(mut writer: YaffsWriter) -> Vec<u8> {
    let big: Vec<u8> = (0..5000u32).map(|n| (n % 251) as u8).collect();
    writer.object(0x1000, 257, 3, 1, "etc");
    writer.file(
        0x1000,
        258,
        257,
        "passwd",
        b"old contents, replaced later\n",
    );
    writer.file(0x1000, 259, 1, "big.bin", &big);
    writer.header(
        0x1000,
        &YaffsObject {
            id: 260,
            kind: 2,
            parent: 1,
            name: "sh",
            mode: 0o120777,
            size: 0,
            equivalent: 0,
            alias: "/bin/busybox",
        },
    );
    writer.header(
        0x1000,
        &YaffsObject {
            id: 261,
            kind: 4,
            parent: 1,
            name: "passwd.link",
            mode: 0o100644,
            size: 0,
            equivalent: 258,
            alias: "",
        },
    );
    writer.file(0x1000, 262, 1, "gone.txt", b"deleted later");
    writer.file(0x1000, 263, 3, "unlinked.txt", b"never visible");
    writer.object(0x1000, 264, 5, 257, "fifo");
    // A newer block: passwd rewritten, gone.txt moved to the deleted pseudo-directory.
    writer.file(0x1001, 258, 257, "passwd", b"root:x:0:0::/root:/bin/sh\n");
    writer.object(0x1001, 262, 1, 4, "gone.txt");
    // An erased chunk at the end belongs to the image.
    writer
        .out
        .extend(std::iter::repeat_n(0xffu8, writer.page + writer.spare));
    writer.out
}

#[test]
fn yaffs2_both_byte_orders_built_here() {
    let mut trees = Vec::new();
    for big_endian in [false, true] {
        let image = build_yaffs2(big_endian);
        assert_eq!(unpack::identify(&image).map(|f| f.id), Some("yaffs2"));
        let outcome = run(&yaffs2::FORMAT, &image).expect("unpacks");
        assert_eq!(outcome.consumed, image.len() as u64);
        let tree = outcome.tree;
        assert_eq!(file(&tree, "etc/passwd"), b"root:x:0:0::/root:/bin/sh\n");
        assert_eq!(file(&tree, "passwd.link"), b"root:x:0:0::/root:/bin/sh\n");
        let big = file(&tree, "big.bin");
        assert_eq!(big.len(), 5000);
        assert!(big.iter().enumerate().all(|(n, &b)| b == (n % 251) as u8));
        assert_eq!(
            tree.get("sh"),
            Some(&Node::Symlink {
                target: "/bin/busybox".to_owned()
            })
        );
        assert_eq!(
            tree.get("etc/fifo"),
            Some(&Node::Special { mode: 0o010644 })
        );
        assert!(tree.get("gone.txt").is_none());
        assert!(tree.get("unlinked.txt").is_none());
        assert!(tree.entries().all(|(path, _)| !path.contains("unlinked")));
        trees.push(tree);
    }
    assert_eq!(trees[0], trees[1]);
    hammer(&yaffs2::FORMAT, &build_yaffs2(true));
}

#[test]
fn yaffs2_other_page_geometries() {
    let expected = build_yaffs2(false);
    let expected = run(&yaffs2::FORMAT, &expected).expect("unpacks").tree;
    for (page, spare, tag_offset, big_endian) in [
        (512, 16, 0, false),
        (4096, 128, 2, true),
        (2048, 64, 0, true),
        (4096, 224, 2, false),
        (8192, 448, 2, true),
    ] {
        let writer = YaffsWriter {
            big_endian,
            out: Vec::new(),
            page,
            spare,
            tag_offset,
        };
        let image = build_yaffs2_with(writer);
        let outcome =
            run(&yaffs2::FORMAT, &image).unwrap_or_else(|error| panic!("{page}/{spare}: {error}"));
        assert_eq!(outcome.consumed, image.len() as u64);
        assert_eq!(outcome.tree, expected, "{page}/{spare}/{tag_offset}");
    }
}

#[test]
fn yaffs2_parent_loops_are_reported() {
    let mut writer = YaffsWriter::new(false);
    writer.file(0x1000, 257, 1, "ok.txt", b"fine");
    writer.object(0x1000, 300, 3, 301, "a");
    writer.object(0x1000, 301, 3, 300, "b");
    writer.file(0x1000, 302, 300, "inside", b"unreachable");
    let outcome = run(&yaffs2::FORMAT, &writer.out).expect("unpacks");
    assert_eq!(file(&outcome.tree, "ok.txt"), b"fine");
    assert!(
        outcome.diagnostics.iter().any(|d| d.contains("loops")),
        "{:?}",
        outcome.diagnostics
    );
    assert_eq!(outcome.tree.len(), 1);
}

#[test]
fn yaffs2_renames_over_and_appends_are_followed() {
    let mut writer = YaffsWriter::new(false);
    writer.file(0x1000, 270, 1, "app.conf", b"old settings");
    writer.file(0x1000, 272, 1, "log", b"abcd");
    // A newer file renamed over app.conf: its header names the object it replaced.
    // (Its id is lower, so without the shadowing the old object would be listed last.)
    writer.file(0x1001, 269, 1, "app.conf", b"new settings");
    let header_at = writer.out.len() - 2 * (PAGE + SPARE);
    writer.out[header_at + 504..header_at + 508].copy_from_slice(&270u32.to_le_bytes());
    // The log grew after its header was written; no newer header says so.
    writer.chunk(b"abcdefgh", 0x1002, 272, 1, 8);
    let outcome = run(&yaffs2::FORMAT, &writer.out).expect("unpacks");
    assert_eq!(file(&outcome.tree, "app.conf"), b"new settings");
    assert_eq!(file(&outcome.tree, "log"), b"abcdefgh");
    assert_eq!(outcome.tree.len(), 2);
}

#[test]
fn file_count_limit_truncates_every_format() {
    let limits = Limits {
        max_files: 2,
        ..Limits::default()
    };
    let romfs_image = build_romfs(&[
        rom("a", 2, Some(1), RomInfo::Raw(0), b"1"),
        rom("b", 2, Some(2), RomInfo::Raw(0), b"2"),
        rom("c", 2, None, RomInfo::Raw(0), b"3"),
    ]);
    let cramfs_image = CramWriter::build(&sample_cramfs_tree(), false);
    let yaffs2_image = build_yaffs2(true);
    for (format, image) in [
        (&romfs::FORMAT, romfs_image),
        (&cramfs::FORMAT, cramfs_image),
        (&yaffs2::FORMAT, yaffs2_image),
    ] {
        let outcome = run_with(format, &image, limits).expect("unpacks");
        assert!(outcome.truncated, "{}", format.id);
        assert!(outcome.tree.len() <= 2, "{}", format.id);
    }
    if let Some(image) = corpus_ext2() {
        let outcome = run_with(&ext::FORMAT, &image, limits).expect("unpacks");
        assert!(outcome.truncated);
        assert!(outcome.tree.len() <= 2);
    }
}

#[test]
fn yaffs2_probe_is_strict() {
    // Plausible first words but no tags: not yaffs2.
    let mut lookalike = vec![0u8; 4096];
    lookalike[..8].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
    lookalike[10..14].copy_from_slice(b"name");
    assert!(!(yaffs2::FORMAT.probe)(&lookalike));
    assert!(!(yaffs2::FORMAT.probe)(&[1, 0, 0, 0, 1, 0, 0, 0]));
    let mut image = build_yaffs2(false);
    assert!((yaffs2::FORMAT.probe)(&image));
    // A name with a slash in the first header is not a plausible object.
    image[10] = b'/';
    assert!(!(yaffs2::FORMAT.probe)(&image));
}

// ---------------------------------------------------------------------------------------
// romfs built here

enum RomInfo {
    Record(usize),
    Raw(u32),
}

struct RomRecord {
    name: &'static str,
    kind: u32,
    next: Option<usize>,
    info: RomInfo,
    data: Vec<u8>,
}

fn padded16(length: usize) -> usize {
    length.div_ceil(16) * 16
}

/// Lays out file headers in order; `next` and `info` name other records by index.
fn build_romfs(records: &[RomRecord]) -> Vec<u8> {
    let mut offsets = Vec::new();
    let mut at = 32usize;
    for record in records {
        offsets.push(at);
        at += 16 + padded16(record.name.len() + 1) + padded16(record.data.len());
    }
    let mut out = vec![0u8; at];
    out[..8].copy_from_slice(b"-rom1fs-");
    out[8..12].copy_from_slice(&(at as u32).to_be_bytes());
    out[16..20].copy_from_slice(b"test");
    for (record, &offset) in records.iter().zip(&offsets) {
        let next = record.next.map_or(0, |index| offsets[index] as u32);
        let info = match record.info {
            RomInfo::Record(index) => offsets[index] as u32,
            RomInfo::Raw(value) => value,
        };
        out[offset..offset + 4].copy_from_slice(&(next | record.kind).to_be_bytes());
        out[offset + 4..offset + 8].copy_from_slice(&info.to_be_bytes());
        out[offset + 8..offset + 12].copy_from_slice(&(record.data.len() as u32).to_be_bytes());
        out[offset + 16..offset + 16 + record.name.len()].copy_from_slice(record.name.as_bytes());
        let data_at = offset + 16 + padded16(record.name.len() + 1);
        out[data_at..data_at + record.data.len()].copy_from_slice(&record.data);
    }
    out
}

fn rom(
    name: &'static str,
    kind: u32,
    next: Option<usize>,
    info: RomInfo,
    data: &[u8],
) -> RomRecord {
    RomRecord {
        name,
        kind,
        next,
        info,
        data: data.to_vec(),
    }
}

#[test]
fn romfs_links_devices_and_loops_built_here() {
    let image = build_romfs(&[
        rom(".", 1, Some(1), RomInfo::Record(0), b""),
        rom("..", 0, Some(2), RomInfo::Record(0), b""),
        rom("hello", 2 | 8, Some(3), RomInfo::Raw(0), b"hello world\n"),
        rom("link", 3, Some(4), RomInfo::Raw(0), b"hello"),
        rom("hard", 0, Some(5), RomInfo::Record(2), b""),
        rom("dev", 1, Some(6), RomInfo::Record(7), b""),
        rom("again", 1, Some(9), RomInfo::Record(0), b""),
        rom("tty", 5, Some(8), RomInfo::Raw(4 << 16 | 1), b""),
        rom("loopy", 2, Some(7), RomInfo::Raw(0), b"x"),
        rom("last", 2, None, RomInfo::Raw(0), b"end"),
    ]);
    assert_eq!(unpack::identify(&image).map(|f| f.id), Some("romfs"));
    let outcome = run(&romfs::FORMAT, &image).expect("unpacks");
    let tree = &outcome.tree;
    assert_eq!(file(tree, "hello"), b"hello world\n");
    assert_eq!(file(tree, "hard"), b"hello world\n");
    assert_eq!(file(tree, "last"), b"end");
    assert_eq!(file(tree, "dev/loopy"), b"x");
    match tree.get("hello") {
        Some(Node::File(entry)) => assert_eq!(entry.mode, 0o100755),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tree.get("link"),
        Some(&Node::Symlink {
            target: "hello".to_owned()
        })
    );
    assert_eq!(tree.get("dev/tty"), Some(&Node::Special { mode: 0o020644 }));
    // "again" points back at the root; dev's chain loops from loopy back to tty.
    assert!(
        outcome.diagnostics.iter().any(|d| d.contains("cycle")),
        "{:?}",
        outcome.diagnostics
    );
    assert!(
        outcome.diagnostics.iter().any(|d| d.contains("loops")),
        "{:?}",
        outcome.diagnostics
    );
    hammer(&romfs::FORMAT, &image);
}

#[test]
fn romfs_rejects_lookalikes() {
    assert!(!(romfs::FORMAT.probe)(b"-rom1fs-"));
    let mut text = b"-rom1fs- is a string in some binary".to_vec();
    text.resize(64, b'a');
    assert!(!(romfs::FORMAT.probe)(&text));
}

// ---------------------------------------------------------------------------------------
// ext: damage made from the corpus images

fn corpus_ext2() -> Option<Vec<u8>> {
    let dir = corpus()?;
    let raw = std::fs::read(dir.join("formats/sevenz-ext2.img.xz")).expect("sample");
    Some(xz_decompress(&raw))
}

#[test]
fn ext_directory_cycle_is_reported() {
    let Some(mut image) = corpus_ext2() else {
        return;
    };
    // Turn the "generic folder" entry into a link back to the root directory (inode 2).
    let name_at = image
        .windows(14)
        .position(|w| w == b"generic folder")
        .expect("directory entry");
    image[name_at - 8..name_at - 4].copy_from_slice(&2u32.to_le_bytes());
    let outcome = run(&ext::FORMAT, &image).expect("unpacks");
    assert!(
        outcome.diagnostics.iter().any(|d| d.contains("cycle")),
        "{:?}",
        outcome.diagnostics
    );
    assert_eq!(file(&outcome.tree, "get_files_test/testfile2").len(), 28);
}

#[test]
fn ext_truncated_image_is_partial_with_diagnostics() {
    let Some(image) = corpus_ext2() else { return };
    let outcome = run(&ext::FORMAT, &image[..image.len() / 2]).expect("unpacks");
    assert!(outcome.diagnostics.iter().any(|d| d.contains("truncated")));
    assert!(outcome.consumed <= image.len() as u64 / 2);
}

// Two 1 MiB ext images made with e2fsprogs 1.47 from one directory tree, xz-compressed and
// stored as hex (no external tool runs in the tests):
//   big.bin    300000 bytes, byte n = (n*7 + n/251) % 256   (double-indirect blocks at 1 KiB)
//   big.hard   a hard link to big.bin
//   sparse     "head", a hole, "tail" at 200000
//   inline.txt 100 bytes of 'i' (inline data on ext4: 60 in i_block, 40 in system.data)
//   dir/       entry_000.txt .. entry_199.txt holding "<n>\n"
//   fast -> big.bin, slow -> 120 'y's + "/big.bin", fifo, tty (char 4,1)
// ext2:  mke2fs -t ext2 -b 1024 -N 512 -d tree img 1M
// ext4:  mke2fs -t ext4 -b 1024 -N 512 -I 256
//        -O inline_data,meta_bg,^resize_inode,64bit,^has_journal -d tree img 1M
const EXT2_1K_BLOCK_MAPS_XZ: &str = "\
fd377a585a000004e6d6b446020021011c00000010cf58ccefffff09d45d00006ffdffffa3b780d52d896c4aec5c7332\
89960af143528678686b11595d0e8f3fa2018be2364a9c5bf324e3db12b112ca3c2c59e258d85f4dbadd6275764d89f8\
47f78d97375c05d1c254b8a45673fc86e178e427a8401df4130a6b18b20c61eaa0e196c67f3c386c1a01c92e8ecafc4f\
1c54ed5cb37aaba3e16c099251a821f58b2cf7ee3ebbf8ec732609f6b2a1756406844486be9649c6a695ad9e903fa6b0\
f01cc40aa0a7a36ba023d9e1766485a30205ea012c99d4ac6a6d12ac14f607d6262fa61ab6042cdff268b0f547a2dd48\
283d7d2c2d784876571c0d7dc499d594e1a40db7a408d1ccd1f15dc9fbf5c81900c3d9f19b0050c02dfd0a219308d355\
0dd7309a3c2a1a9f3a3659be0b4f793b09aa613f876dd7263a216dc4f0c2aa9ffe30d09ac0288234f12f9056393b22e1\
823822362409bbd90339fd58800938306697b915b3466e7e4a16f31f417b0fef5681f9624edc2b9f4b46ee9824cf2ea8\
c6f345838e1687bc96f0de7c54f2a2eda4dd965c37acd63fa5749f45c8651776134f9c7f2d4e8f2eca567e2663ce3dd8\
f95f3c2e85b071a63a91af5d9ade98f058a937d0bf53e40a25f3bd3ca09368e29d0963d6398686f2ccd0732f7a3872d2\
335e3ce7ce2c120a3412f942a404ed8712947b7b2109ee7275fa46e12c5b931c2610cd6d645ee1a833e8382c3f6145a4\
d756f4dd2a153440d0949a7f63527b22778f17cb414515a3d9bd5dfe600907414b1fa0b29a61f3b4d7c14033bf86ae8f\
b47a4aa37bb721ac75331efe229dad22d09d2dbe36bbdee90a5cad08330c257e380ba24054979d99adf98b15720fc367\
b0c27ac7ddf59b86992625a8066b874b664e3d0cf2ed4f7f8af1ac572abfac15fb647c6ab70d076f2e8ae29ea2c2f99a\
293891638031a0d86ed1cef50adf923e5e97a22352f698a8fbd223a1f2691060a2f105bdfebd2fdc5007af7c6706a5bb\
ac537a4436c08bf3497357a27cea1be0e5aac5b47538486395d252bfc642f49ba3f97c0e3871c03f7cb11704eda6f5a1\
84073274e52275fd485c487a25a7242c9c5e58786aabf5b0715236f894c6d3df3eebcf7d7b527a8600c89d14b14c4779\
a5b46ed316eec23c4d15b263c47fb9fd0a43561d4a3e8ac5aadaac84c1fda705b297d3fd50d662968b55f59a4a96a479\
6604883108e78d0de84cf8afefe521dcf9af68778962fb092c1703342ee654a21e846b3a9364a655313a9778bf0353f6\
abab53e7d4b8587a5e93653abab965345bf59baf4cd1cc051b55f8855c0343319df4cfe76d543deaa1be46e919be6d6e\
35140d34521249242f571ead5a98584e933ced606f42d2b06578d7dc4a6d56bda1a3d7818ffb030d7c88880f0f253c86\
88fd246dda96ca29dbfb383ac12b78d2c0858fe344cd6a101a47402899b5acffebe76f6af1386fedaf59190876256b46\
48b7ae46ca1975c7cf99a8576cf0575c1521236181b4f7cad341d69d417a39e0e7f5d3a67d576d286cc23092c6791d41\
10413bc2bab92c0c4c1beef0a163e0ec11204fb2f75f5317019f5ad86a01470387cdc7bb20009f0aa5146e6388877ef9\
9c0aa41288f25b744b74667ece13f4037464a8448b7c4e025f8296f8cbc2040a10c004ee074be9a693b90bc9529a74b8\
f6bfc22912f5ccedca108c1d44f970f0e3dcf7b91ee99d4689f8db672c7c650a76afe18049c6c4f58ed742bd38a44946\
5ad907c716d48505200229e77aec215c5e6fa60a260f86d1621e5fc362337810cde78b353782071ab68d87c6407b4725\
f9fc3de75764b1f7af7807b9109ca339c5b7021d64ab71a73c35148662aaaa4070bf85205b45ef0efabac46390505d14\
7e278da848b54f88bb7f1a0c71c93fe466101233e89ee4cbf1447df80f20948abac0fbfb07d1f3b9dd2f96f4241eeef9\
f56c6708d29e666c514d70a2125a9d18ca389444202b422fde84051583affa922d4e9ec11062a4e33437c1ac6b79d4b9\
156c410a8f31ed9e97241798f1457d657204eb0454a86da81160af107a4618f061c5eac6490bed44dc2c96f7fd20bd7a\
446b1a6950b63ad7c214e0d5faba17254be305f556c93474f37b3ba07bca9f44f8372d60ddeb72b2e446f654f0887517\
fc13aafa9f8c9023ae6262d155d4366c5e9f4db0f6ecd2d0714ce870d86db4c2aac96de6afbc5f3f1f28881a02f7305a\
c4098532b79dc5185d37eb0be1081a256eb678bf6c28a0ea1f2892af62842407df9b6d8f727fdd8d498f49d216f6a4bd\
403073f9c66379133df070657f1a5bd38a59a28f08d6e139d8d112e6c33e17428d249c1bc1bff22edbb667c0706deb4a\
98c5455f5c1557494d20498ba15f7cef539cc1af689b6552d089b846a4f5b732d812655439b3a794534367abadfefc8a\
1e7ef1749359f4f6b1aaf77d94b96c534632160c464d0ef6d418f9607ebcb948e1a9c0b134c7d74c3aa579455eb8c61a\
386852e31858f3bff5ddb6a0165f4438f23e9b6ca44122f35918be10aac98ef53422b26cf378470a364d0ba469b8d314\
a9f4592bd4fd0968cd804fae589f2082722ee0fd16c135b6152ad713669b21d25070be44f9740640f017d029d77f5026\
922eb90bc210896512838b33e0ab7585938340da3b510256188b682d61e470f73e69fa60413aafd48643487d1ac06ed8\
990c4779e1245751a76e261584082f8decb30fb890dc233f3ee3a9b22d5f6cd9d2fed95d789c61953cd0c519b915adbd\
ba28752aa280e475d229c15330d6383a9b4c7edb3930d69c885a541f4ab419e314e14417418938ed43a97d26cd088cae\
12d5c074c7e2a9a231ebe2914d34f04553a6b6d95e2327f44623aabd08b98ab2d9ca80363dd6978a4650e7353a4de90e\
d5e68cd3b413d359d9f9993ba11628451a727826bca590ab32f7c75f5be843835295cc43b54b4c7d8d9573ade9759915\
831bdbb94bb8a996a831450861cff14a2d305128ee54ceb446a2d651da68f2c7c66d036a56490404bb5dfeb35ef33efa\
02ce24434e759c5cfba83a7a5b26e8abd050184453e0d6e4b088ac89dc726eda22d4fc2c1f51acbed690157e199228f3\
52a88559fd12facdea188e07a226b37447dcc499d79481da5232f91d028a03a167f0f98a9f59426743d6b25049914ec8\
08a93a50d839e48be8c5d9817eda643dc8f08489a7f41ed019299e83feba8641ed76bbc16346ca79802c77bc508d5df4\
56831f7ff80965397724fc78b5f14b9268ec526ab1b640eb3f2433cf8fde8da9dfe3be2a0fc6d32f95743a3e43a743de\
d1cc4381728fd241421595c238b35e01bfe01bdc010b572e8129abeb5bf153a308a9a8637a6b2d271774d9f43332430d\
72b7d356bc25701535746de3076e3e1feb77a8b93c15da2907f6967686fea832dbe2593036c06b5d1454fdb9ee47801f\
f7c860502250612c1162049f31f8116e765fe364be297e4cf76e5d0bbb2890235a0894923a4ef028d90fb9b6114c8d00\
a452fcb7ecb855409909e8b74a5f13fbe6d8afd5900fc42553f8f591363105a5b0ee6fc1704d470cd19111aaad600eed\
15ec3000dfe7b39c1f3dc6580001f0138080400028c2920db1c467fb020000000004595a";

const EXT4_INLINE_META_BG_XZ: &str = "\
fd377a585a000004e6d6b446020021011c00000010cf58ccefffff0c555d00006ffdffffa3b780d52d896c4aec5c70a7\
baa3150598c9c6bf6896720b6ee206e9a91e1adf8fa7831dec8e5887075d18e52790815c3458ccb8da411ec129f57017\
a73a5599274c52f1f6ae285b8c7e021c8e726a5903f4bd7e07b12cf0f5febf612608154e5f014bac65d2a84c5581ed01\
637c13a2efeb57ee11dfd4cdc356880f914791d95289479dc0941c42d1c8297ce7f03bc2c2ee69f902e80daec0762df4\
6f26b079aaa9210033228e1b8414b842d3b158f97ebeb03346ba56a03aef63e672d7ab5f36f71b06c6cf5873bb706a2b\
2403435c4132cb8787ca2af25fc65c325cc123ea308a2439702af3658116d092fd1b5e0863d247ff8caad084a0782c76\
f28953118d1257566258569caf73b753c1e512dae05cc627539471ed50008df40aea039bbf4ec1aec7f70479a998892c\
c7d38f43c527cd41640dae8ba3f45812f81c47cc975729860aa78b829261c5104f7e6da5401165c371f8eaf1a46d7c0c\
9d98436c3d549fdbb53f4d07dc36fc20d059232746491f0e964a19112f00004382f9437b32d23f11190477dc7c6f239e\
74c749c36be71a8ef33968f71050bbdcedab7d33af8ee8d4f57010004d202f0034f525aa16d6bd027a8b5153fcb67b7f\
cf8de86d3a198c93b1bc65686a8834d1a40a624ca847485f54a8c59d37f68c6c368b0e383313882786b7d834352985ea\
844a69e381020b53d2297587906ab5812d06c5543c5048e30da2eedd276e5dda3ac8f6c40138f31b527263dec1ace026\
5c065623beadf5461d01697beb8f9436a75876d196f82e024211770d8e0583914124391ddf5eef40fdcae159a3197fda\
dc66bd03f07ff6c67b4b47bea6ff3bf4b3cf766a2c3f599d98325a4b82652cc549aae10d51dc4bf44b9122bb7e4466f2\
b34002ee72549c9f61615540b5084d6902793c6b8acb5c6d3d65ac4cb1f0b275c1a08ca83433b6e651876dc5f7491f5a\
3b19e26aea47a3fd9ae0b272091e820870a58877775b7f93571c2bff7542c099b2a63477773d05fdfaf131bb686cff74\
87e763d0a95f0eb30df81d0d4a1a3342ab7414ce8e07241f7fa2fdaf476331a27b63a9cf371d831e67641ba1a836edbd\
0c69492936e6fd515ab22a54f30e644fa1cf39ef03bed2cad5db69129d5894de99f7592525414cb513eeb47bc41d5a38\
7ac367379c36c391909d3c33fd9830fdc62374c6bfef763d0d76502dbd6c3dc6d32f280bfbc53e547ef1a0b8c163f2d2\
341dfb2e14c4b94dc553b89f841651b1649773db1e72f9fea88364db87aec038c94fb29cfff7e0067e214457fcbc9526\
316c7fd401c491b83c8379310d591bb41d292b26594732c572aabe80612a362fd4ffec065c8b40ef714a029d1a012824\
52f4d2620360d61c7cb8d93b98fd31e7c5eab2dbc0d448ab32f0956d8d43c550e853f97fd9bd87c0054c376bea018214\
85c8db0dcff888ee0821ae3832d1a813a66a72b0c20fe03acda1289dca8b19f140f41768f850f1e98f73391ce89e2106\
bc56a1edb6a84d0e4d6a86f45a83580f57b1ac7615c1bf49b84a268eeebd4d4fa577408e133cfaff978f2742a861ecab\
775d40c2c19d0a820f558f8afe7239cd8321f1b53464391c176b9bf1ad5ebf01782b9cf6500d5392a0ed49e66b84ba4e\
7fb9ad55664aa08a0dfbd047d4ac227b59b04ddaf7e3e456f6566de4c72670c3cbbbe232450739a2cf24f0906f8eb27e\
5ed9f4fd81606e8ee1c0bc0a13ea2bd08a8515d7c50d4b6007defb563a7e2a15f1cc5bc8b70fb6ae3d4cef5ca6981a14\
478240ef82cb6796f37adf45dca3ff1508930295126e73b4ada80aef7e740e1116bafcef54699a20a93d4a17c23458c7\
e2c6a62afb1214d5f07910baa7d3c06149ae5a851020ba64794191632f1a3054b4f75375b38042a8d14a016cc0023d22\
f78eac9d31bbaa63285c29050ecea4cfbd8fecb6932aed7da67dbaa89b0903e8c33d1a9d4545d07f4481ec148e2339f0\
ec08e78d8826452f3a1864f2382a8c4cb6ea341d31a8c0c815d18cac0f99cc05050383c9b860f59b49d9326c54f21fed\
f885ddb9e39e1af9b7a7ce8a37b9265a8c31d183a238a0e806372cefaf9c2ae6b728e3fef3b29d8b4e416945c8a76e46\
0d6ad2aa2aca8190ec351454cbc0aac7e3abcac87a9062a1ce0473d90ee0a9753ad2058f878e5a5ed772cdcc1dce7eed\
a2c9e8a6e9097843df67919e61496424a3c192be18d674efc7ccc62c71ab3e2910656eb9e8dafabe1391bd5ed0ed75f4\
6dc68d5ff3b924dbdb425a9ee22fcbefac33b9956d85c962a2ff3f25d766d454d2966e8a4fac63d2159ed3c94f07e47a\
d9b95a3d3101344f7197fd4a87d78ad964dfc1c17def345861531d5ae9c4b2e6bcde29af4f9b783ff4774fc573a0b4ac\
0950539acd14349adfbe6121f3fb306f1073ebac06799c91c2599f5bfed97e0152b57092b3efbbce9120679e333e0af8\
98c2aa5b0a5999020ff1d1e80e7ee5859756b747080055f3cb83985ce758389652ee9665cdd741eabdb63f6367c35c84\
f37addc42b5a2ad02145fe81ae1bd228c12c4cb5b9c3246cc5fff6be37c25b3d876a2e393cbb3566e8ebbede377b8665\
ed9e81f743c96b34a71d7ca1b9b2719816dbca9737935b16266c8828265d2d7ee46bf3d7699bf25eb33f8906b5c4f0fa\
af441fd0cf421a645503549cc79610455b95e16fe4abae4a722b71de2a83c968669a93d0a56378c330542ac33ac2af0d\
be587feb4b1eae0634da058f2255fa933b170627a6aae08843a216cf865d5a0b81ec24f2ad395bf62c6402235a09a1a0\
3457f46c48a790f9d1f50de6878e65db99979ec5cd41b0696dd693be29503579cb3c5aa734ac7b568210c2e686122191\
53a2559c63fd92c018024665d7f13b8cbd41c69d2bf85cfa444f88200b47638cf769424ee475bf4b80da308d637f35ff\
47fc8b2378721de4e4f8f8ee5801650dc871493eda3fb2c409a3a70a09a0c184ba5c6c42e45d2573811fffb23c24487c\
ea91d1d1e5e71fbca719ed761710d6541f6e5b39d363c3616e042393ee75f18508f1dce7ea8f879334378f7c3068e1cd\
8655439fe8553fff3d9f21d1af07e7373b14b66859caf95efebbe3f0fe8b244d8483465c3972c150dfd9583a473c8291\
ec69c71e389182d19c4ac5f1358593dcd6df14e5a5fe91b353892e346137c9c483aa52a45e75b7ca5fd36759ac697d11\
5a96e000d2a0989379192c1bb60e22122f48ab77d8f0bc54f715b9df9973eae5332b2e06ffb376d1f2726b3a3481e252\
48a80f63c4b422d9ab27edf208f491d17db342e9e5b6d9adedbb6a37aef0592a6b9847e932fe932a49a68f1c4f5daf61\
d5157472e8faf24da10b6a6391f445f7c4a512b0e4580a6502f6bfb814030d3b51dc4c7303f46c0e6e8bd29a599f755d\
200d3e3c68d36c855dbdf324449e8c49ef73e813d7e963721f343e257f7af79643846a388e36215304e66b806f51bffb\
8a090924d95a5fafd5a25b62e6b434276f18b1af11560758423fffd70306caacca003419b0fe0a8da2b35319159e9932\
f30abae807fe1d7691b685f6e16b45c9cebc6ec405738f7a602bf4216b66d2903a93f89ab27b9448eeaf2a13d7232716\
78af299c242f061103bcf95fe2f1447a7469512bc3a80e12914a9c046eccbdd9e88aad972dff2eeb9a1dbaceb127185c\
5986e965be82faaedb284725f64faa5dec9526880fa9ecb7eced6d4b5b8b2c636047fab87fbfb0d8319148817f9a437b\
0676e0c53a7f8a05a78ec036d82af4474a8de75947bc714d5cd025de06ce8c066c2cc794e6e500a474a5ff59dfa83105\
db3ddaba6504fed8a9934a259af71063b09dcf75fdc4c84d7b7a4a49c77b0804f37c3a187031cd4221f9c7eaf1a33ea1\
b3f037e9ab561369d89768d0075bcf902cf32819e00991262103451b7203fc95b2ee4e275f05249b98b87cde0e479fb5\
62cd76cf8106a5fa1e6d4cafb0e89ec76c1fda99ec2c4f5ee7298feb6da7c0213c3e36217484f3c452f52ec6f6f760b0\
721e34ceaa6671ee078e667c9c0320c3d58e22f99075d761367fb29be3c3d6be4cf54e7656f57c1e14dfcdaaaac131f6\
520b65248d52f68f98f5ebd27cb359d3f092e2a1e6ddb77900c42019d6552308a722a6b78565da6018c664484f2f6afa\
1dae7e7ae660d07cfd43e7e79cda5108ce33f53589bdf80f2953f0df0c92b0bcaf1ba8a84581540216f6af69d40b6975\
24c0e383d28f6d6ec5666df13dad7ee2a3e0420079a80857a9682d9d1e3eee39ad62974461c386d50ee34f4073ed886c\
54043d86b895dbb9b2e3a16c56a9419e0b81035a64326837ba8c07ad31b0e78f8a740ea48164dfce154614023d67d723\
809dc006984d98fdd8afd5900fc42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e966\
5258bee976ac59e4e55b0508f9c781a61369300000000000251f436de01900820001f118808040009c201eb1b1c467fb\
020000000004595a";

#[test]
fn ext_features_on_built_images() {
    let expected_big: Vec<u8> = (0..300_000u32)
        .map(|n| ((n * 7 + n / 251) % 256) as u8)
        .collect();
    for (name, hex_image) in [
        ("ext2 block maps", EXT2_1K_BLOCK_MAPS_XZ),
        ("ext4 inline/meta_bg/64bit", EXT4_INLINE_META_BG_XZ),
    ] {
        let image = xz_decompress(&hex::decode(hex_image).expect("hex"));
        assert_eq!(image.len(), 1 << 20);
        assert_eq!(
            unpack::identify(&image).map(|f| f.id),
            Some("ext"),
            "{name}"
        );
        let outcome = run(&ext::FORMAT, &image).expect("unpacks");
        assert!(
            outcome.diagnostics.is_empty(),
            "{name}: {:?}",
            outcome.diagnostics
        );
        assert_eq!(outcome.consumed, 1 << 20);
        let tree = &outcome.tree;
        assert!(
            file(tree, "big.bin") == expected_big.as_slice(),
            "{name}: big.bin"
        );
        assert!(
            file(tree, "big.hard") == expected_big.as_slice(),
            "{name}: big.hard"
        );
        let sparse = file(tree, "sparse");
        assert_eq!(sparse.len(), 200_004, "{name}");
        assert!(sparse.starts_with(b"head") && sparse.ends_with(b"tail"));
        assert!(sparse[4..200_000].iter().all(|&b| b == 0));
        assert_eq!(file(tree, "inline.txt"), [b'i'; 100].as_slice(), "{name}");
        for n in [0, 57, 199] {
            assert_eq!(
                file(tree, &format!("dir/entry_{n:03}.txt")),
                format!("{n}\n").as_bytes(),
                "{name}"
            );
        }
        assert_eq!(
            tree.files()
                .filter(|(path, _)| path.starts_with("dir/"))
                .count(),
            200
        );
        assert_eq!(
            tree.get("fast"),
            Some(&Node::Symlink {
                target: "big.bin".to_owned()
            })
        );
        assert_eq!(
            tree.get("slow"),
            Some(&Node::Symlink {
                target: format!("{}/big.bin", "y".repeat(120))
            })
        );
        assert!(
            matches!(tree.get("fifo"), Some(Node::Special { mode }) if mode & 0o170000 == 0o010000)
        );
        assert!(
            matches!(tree.get("tty"), Some(Node::Special { mode }) if mode & 0o170000 == 0o020000)
        );
        hammer(&ext::FORMAT, &image);
    }
}

#[test]
fn ext_rejects_lookalikes() {
    let mut image = vec![0u8; 4096];
    image[1080..1082].copy_from_slice(&[0x53, 0xef]);
    assert!(!(ext::FORMAT.probe)(&image));
    assert!(run(&ext::FORMAT, &image).is_err());
    // A sane-looking superblock whose block size exponent is absurd.
    image[1024 + 24] = 40;
    assert!(!(ext::FORMAT.probe)(&image));
}
