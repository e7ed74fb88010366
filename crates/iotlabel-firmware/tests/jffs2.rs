//! jffs2 unpacking: the corpus images (both byte orders) and images built here by a small node
//! writer, covering zlib, LZMA, rtime, none and zero ("hole") data nodes, versions, overlaps,
//! truncation, deletions, symlinks and devices, plus damaged images.
// Test helpers: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::jffs2::{self, jffs2_crc};
use iotlabel_firmware::unpack::{UnpackContext, Unpacked};
use iotlabel_firmware::vfs::{Node, Tree};
use sha2::{Digest, Sha256};

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/firmware");
    if dir.join("expected.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "firmware corpus missing at {} under CI",
        dir.display()
    );
    println!("skipping: firmware corpus not found at {}", dir.display());
    None
}

/// (base name, size, sha256) the reference extractor found for one corpus sample.
fn expected_files(dir: &std::path::Path, sample: &str) -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json[sample]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            (
                file["name"].as_str().unwrap().to_owned(),
                file["size"].as_u64().unwrap(),
                file["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn unpack(data: &[u8]) -> (Tree, u64, Vec<String>) {
    let budget = Budget::new(Limits::default());
    let mut ctx = UnpackContext::new(&budget);
    match jffs2::unpack(data, &mut ctx).unwrap() {
        Unpacked::Tree { tree, consumed } => (tree, consumed, ctx.diagnostics),
        Unpacked::Stream { .. } => panic!("jffs2 gives a tree"),
    }
}

/// Compares file contents without printing kilobytes of numbers on failure.
#[track_caller]
fn same_bytes(actual: Option<&[u8]>, expected: &[u8]) {
    let actual = actual.expect("file missing");
    if actual != expected {
        let first_difference = actual.iter().zip(expected).position(|(a, b)| a != b);
        panic!(
            "contents differ: {} bytes, expected {}; first difference at {first_difference:?}",
            actual.len(),
            expected.len()
        );
    }
}

fn assert_has_expected(tree: &Tree, expected: &[(String, u64, String)]) {
    for (name, size, sha) in expected {
        let found = tree.files().any(|(path, file)| {
            path.rsplit('/').next() == Some(name.as_str())
                && file.data.len() as u64 == *size
                && hex::encode(Sha256::digest(&file.data)) == *sha
        });
        let paths: Vec<&str> = tree.files().map(|(path, _)| path).collect();
        assert!(found, "{name} ({size} bytes, {sha}) not among {paths:?}");
    }
}

#[test]
fn corpus_images_yield_their_files() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    for sample in ["formats/jffs2-jffs2_be.img", "formats/jffs2-jffs2_le.img"] {
        let data = std::fs::read(dir.join(sample)).unwrap();
        assert!(jffs2::probe(&data), "{sample} not identified");
        let (tree, consumed, diagnostics) = unpack(&data);
        assert_has_expected(&tree, &expected_files(&dir, sample));
        assert_eq!(consumed, data.len() as u64, "{sample}: {diagnostics:?}");
    }
}

/// A writer of jffs2 nodes in one byte order, for building test images.
struct ImageWriter {
    big_endian: bool,
    out: Vec<u8>,
}

const DT_DIR: u8 = 4;
const DT_REG: u8 = 8;
const DT_LNK: u8 = 10;
const DT_CHR: u8 = 2;

impl ImageWriter {
    fn new(big_endian: bool) -> ImageWriter {
        ImageWriter {
            big_endian,
            out: Vec::new(),
        }
    }

    fn u16(&self, value: u16) -> [u8; 2] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    fn u32(&self, value: u32) -> [u8; 4] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    /// Appends a node: header (magic, type, length, header CRC) then `body`, 4-byte aligned.
    fn node(&mut self, nodetype: u16, body: &[u8]) {
        let mut header = Vec::new();
        header.extend_from_slice(&self.u16(0x1985));
        header.extend_from_slice(&self.u16(nodetype));
        header.extend_from_slice(&self.u32(12 + body.len() as u32));
        let crc = jffs2_crc(&header);
        header.extend_from_slice(&self.u32(crc));
        self.out.extend_from_slice(&header);
        self.out.extend_from_slice(body);
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    fn dirent(&mut self, pino: u32, version: u32, ino: u32, kind: u8, name: &str) {
        let mut fixed = Vec::new();
        fixed.extend_from_slice(&self.u16(0x1985));
        fixed.extend_from_slice(&self.u16(0xE001));
        fixed.extend_from_slice(&self.u32(40 + name.len() as u32));
        let header_crc = jffs2_crc(&fixed);
        fixed.extend_from_slice(&self.u32(header_crc));
        for value in [pino, version, ino, 0] {
            fixed.extend_from_slice(&self.u32(value));
        }
        fixed.extend_from_slice(&[name.len() as u8, kind, 0, 0]);
        let node_crc = jffs2_crc(&fixed);
        fixed.extend_from_slice(&self.u32(node_crc));
        fixed.extend_from_slice(&self.u32(jffs2_crc(name.as_bytes())));
        self.node(0xE001, &[&fixed[12..], name.as_bytes()].concat());
    }

    #[allow(clippy::too_many_arguments)]
    fn inode(
        &mut self,
        ino: u32,
        version: u32,
        mode: u32,
        isize: u32,
        offset: u32,
        dsize: u32,
        compr: u8,
        payload: &[u8],
    ) {
        let mut fixed = Vec::new();
        fixed.extend_from_slice(&self.u16(0x1985));
        fixed.extend_from_slice(&self.u16(0xE002));
        fixed.extend_from_slice(&self.u32(68 + payload.len() as u32));
        let header_crc = jffs2_crc(&fixed);
        fixed.extend_from_slice(&self.u32(header_crc));
        for value in [ino, version, mode] {
            fixed.extend_from_slice(&self.u32(value));
        }
        fixed.extend_from_slice(&self.u16(1000));
        fixed.extend_from_slice(&self.u16(100));
        for value in [isize, 0, 0, 0, offset, payload.len() as u32, dsize] {
            fixed.extend_from_slice(&self.u32(value));
        }
        fixed.extend_from_slice(&[compr, 0]);
        fixed.extend_from_slice(&self.u16(0));
        fixed.extend_from_slice(&self.u32(jffs2_crc(payload)));
        // The node CRC covers the first 60 bytes, not the data CRC.
        let node_crc = jffs2_crc(&fixed[..60]);
        fixed.extend_from_slice(&self.u32(node_crc));
        self.node(0xE002, &[&fixed[12..], payload].concat());
    }

    fn cleanmarker(&mut self) {
        self.node(0x2003, &[]);
    }

    /// Erased flash up to the next multiple of `block`.
    fn erase_to(&mut self, block: usize) {
        while !self.out.len().is_multiple_of(block) {
            self.out.push(0xFF);
        }
    }
}

/// The kernel's rtime compressor, rewritten for tests from the format's description.
fn rtime_compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut positions = [0usize; 256];
    let mut pos = 0;
    while pos < input.len() {
        let value = input[pos];
        out.push(value);
        pos += 1;
        let mut back = positions[usize::from(value)];
        positions[usize::from(value)] = pos;
        let mut run = 0u8;
        while back < pos && pos < input.len() && input[pos] == input[back] && run < 255 {
            back += 1;
            pos += 1;
            run += 1;
        }
        out.push(run);
    }
    out
}

/// Raw LZMA with jffs2's fixed properties (lc=0, lp=0, pb=0, 8 KiB dictionary).
fn lzma_compress(input: &[u8]) -> Vec<u8> {
    let mut options = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
    options
        .literal_context_bits(0)
        .literal_position_bits(0)
        .position_bits(0)
        .dict_size(0x2000);
    let mut filters = liblzma::stream::Filters::new();
    filters.lzma1(&options);
    let stream = liblzma::stream::Stream::new_raw_encoder(&filters).unwrap();
    let mut encoder = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    encoder.write_all(input).unwrap();
    encoder.finish().unwrap()
}

fn zlib_compress(input: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(input).unwrap();
    encoder.finish().unwrap()
}

const S_IFREG: u32 = 0o100644;
const S_IFDIR: u32 = 0o040755;
const S_IFLNK: u32 = 0o120777;
const S_IFCHR: u32 = 0o020600;

fn text(length: usize, seed: u8) -> Vec<u8> {
    (0..length)
        .map(|index| b"jffs2 sample text, repeated "[(index + usize::from(seed)) % 28])
        .collect()
}

/// An image exercising every node kind the reader handles.
fn sample_image(big_endian: bool) -> Vec<u8> {
    let mut w = ImageWriter::new(big_endian);
    w.cleanmarker();
    // Root entries.
    w.dirent(1, 1, 2, DT_DIR, "etc");
    w.inode(2, 1, S_IFDIR, 0, 0, 0, 0, &[]);
    // etc/zlib.txt: two zlib pages.
    let zlib_text = text(6000, 1);
    w.dirent(2, 2, 3, DT_REG, "zlib.txt");
    w.inode(
        3,
        1,
        S_IFREG,
        4096,
        0,
        4096,
        0x06,
        &zlib_compress(&zlib_text[..4096]),
    );
    w.inode(
        3,
        2,
        S_IFREG,
        6000,
        4096,
        1904,
        0x06,
        &zlib_compress(&zlib_text[4096..]),
    );
    // lzma.bin
    let lzma_text = text(3000, 2);
    w.dirent(1, 3, 4, DT_REG, "lzma.bin");
    w.inode(
        4,
        1,
        S_IFREG,
        3000,
        0,
        3000,
        0x08,
        &lzma_compress(&lzma_text),
    );
    // rtime.txt, with an older version overwritten in part by a newer one, and a hole.
    let rtime_text = text(2000, 3);
    w.dirent(1, 4, 5, DT_REG, "rtime.txt");
    w.inode(
        5,
        2,
        S_IFREG,
        2000,
        0,
        2000,
        0x02,
        &rtime_compress(&rtime_text),
    );
    w.inode(5, 3, S_IFREG, 2000, 100, 5, 0x00, b"NEWER");
    // An older node written after the newer one in flash must not win.
    w.inode(5, 1, S_IFREG, 2000, 100, 5, 0x00, b"OLDER");
    w.inode(5, 4, S_IFREG, 3000, 2500, 500, 0x01, &[]);
    // truncated.txt: written, truncated to 3 bytes, then extended (hole must be zero).
    w.dirent(1, 5, 6, DT_REG, "truncated.txt");
    w.inode(6, 1, S_IFREG, 10, 0, 10, 0x00, b"0123456789");
    w.inode(6, 2, S_IFREG, 3, 0, 0, 0x00, &[]);
    w.inode(6, 3, S_IFREG, 8, 6, 2, 0x00, b"XY");
    // A symlink and a device.
    w.dirent(1, 6, 7, DT_LNK, "link");
    w.inode(7, 1, S_IFLNK, 12, 0, 12, 0x00, b"etc/zlib.txt");
    w.dirent(2, 7, 8, DT_CHR, "console");
    w.inode(8, 1, S_IFCHR, 2, 0, 2, 0x00, &[5, 1]);
    // A deleted file: entry then a newer deletion entry (ino 0).
    w.dirent(1, 8, 9, DT_REG, "deleted");
    w.inode(9, 1, S_IFREG, 4, 0, 4, 0x00, b"gone");
    w.dirent(1, 9, 0, DT_REG, "deleted");
    // A second name for inode 3 (a hard link).
    w.dirent(1, 10, 3, DT_REG, "hardlink.txt");
    w.erase_to(4096);
    // Second erase block: a node with a broken header CRC, then more data.
    w.cleanmarker();
    let broken_at = w.out.len();
    w.dirent(1, 11, 10, DT_REG, "broken");
    w.out[broken_at + 8] ^= 0xFF;
    w.dirent(1, 12, 11, DT_REG, "plain.txt");
    w.inode(11, 1, S_IFREG, 5, 0, 5, 0x00, b"plain");
    w.erase_to(4096);
    w.out
}

fn check_sample(big_endian: bool) {
    let image = sample_image(big_endian);
    assert!(jffs2::probe(&image));
    let (tree, consumed, diagnostics) = unpack(&image);
    assert_eq!(consumed, image.len() as u64);
    same_bytes(tree.read("etc/zlib.txt"), text(6000, 1).as_slice());
    same_bytes(tree.read("lzma.bin"), text(3000, 2).as_slice());
    let mut rtime_expected = text(2000, 3);
    rtime_expected[100..105].copy_from_slice(b"NEWER");
    rtime_expected.resize(3000, 0);
    same_bytes(tree.read("rtime.txt"), rtime_expected.as_slice());
    same_bytes(tree.read("truncated.txt"), b"012\0\0\0XY");
    assert_eq!(
        tree.get("link"),
        Some(&Node::Symlink {
            target: "etc/zlib.txt".into()
        })
    );
    same_bytes(tree.read("link"), text(6000, 1).as_slice());
    assert_eq!(
        tree.get("etc/console"),
        Some(&Node::Special { mode: S_IFCHR })
    );
    assert!(tree.get("deleted").is_none());
    same_bytes(tree.read("hardlink.txt"), text(6000, 1).as_slice());
    same_bytes(tree.read("plain.txt"), b"plain");
    assert!(tree.get("broken").is_none());
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("1 node headers with a bad CRC")),
        "{diagnostics:?}"
    );
    match tree.get("etc/zlib.txt") {
        Some(Node::File(file)) => {
            assert_eq!((file.mode, file.uid, file.gid), (S_IFREG, 1000, 100));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn built_little_endian_image_unpacks() {
    check_sample(false);
}

#[test]
fn built_big_endian_image_unpacks() {
    check_sample(true);
}

#[test]
fn trailing_data_is_handed_back() {
    let mut image = sample_image(false);
    let end = image.len();
    image.extend_from_slice(b"hsqs and other things follow");
    let (_, consumed, _) = unpack(&image);
    assert_eq!(consumed, end as u64);
}

#[test]
fn damaged_images_give_diagnostics_not_panics() {
    for big_endian in [false, true] {
        let image = sample_image(big_endian);
        // Cut in the middle of a node.
        let (tree, _, _) = unpack(&image[..1000]);
        assert!(tree.len() < 20);
        // Corrupt a data payload: the node is dropped and counted.
        let mut corrupt = image.clone();
        let at = corrupt
            .windows(5)
            .rposition(|window| window == b"plain")
            .unwrap();
        corrupt[at] ^= 0x55;
        let (tree, _, diagnostics) = unpack(&corrupt);
        assert!(tree.read("lzma.bin").is_some());
        same_bytes(tree.read("plain.txt"), b"");
        assert!(
            diagnostics
                .iter()
                .any(|d| d.contains("bad data or name CRC")),
            "{diagnostics:?}"
        );
        // Every byte flipped in turn (on a prefix, to stay fast): never a panic.
        for index in (0..image.len().min(3000)).step_by(7) {
            let mut mutated = image.clone();
            mutated[index] = mutated[index].wrapping_add(0x41);
            let budget = Budget::new(Limits::default());
            let mut ctx = UnpackContext::new(&budget);
            let _ = jffs2::unpack(&mutated, &mut ctx);
        }
    }
}

#[test]
fn compressed_data_that_lies_is_reported() {
    let mut w = ImageWriter::new(false);
    w.dirent(1, 1, 2, DT_REG, "bad-zlib");
    w.inode(2, 1, S_IFREG, 100, 0, 100, 0x06, b"not zlib at all");
    w.dirent(1, 2, 3, DT_REG, "bad-lzma");
    w.inode(3, 1, S_IFREG, 100, 0, 100, 0x08, b"\xff\xff\xff\xff\xff");
    w.dirent(1, 3, 4, DT_REG, "rubin");
    w.inode(4, 1, S_IFREG, 100, 0, 100, 0x05, b"xx");
    let budget = Budget::new(Limits::default());
    let mut ctx = UnpackContext::new(&budget);
    let Unpacked::Tree { tree, .. } = jffs2::unpack(&w.out, &mut ctx).unwrap() else {
        panic!("tree expected");
    };
    same_bytes(tree.read("bad-zlib"), vec![0u8; 100].as_slice());
    assert!(
        ctx.diagnostics.iter().any(|d| d.contains("zlib")),
        "{:?}",
        ctx.diagnostics
    );
    assert!(
        ctx.diagnostics.iter().any(|d| d.contains("LZMA")),
        "{:?}",
        ctx.diagnostics
    );
    assert!(
        ctx.diagnostics.iter().any(|d| d.contains("dynrubin")),
        "{:?}",
        ctx.diagnostics
    );
    assert!(!ctx.truncated);
}

#[test]
fn sizes_past_the_budget_are_cut() {
    let mut w = ImageWriter::new(true);
    w.dirent(1, 1, 2, DT_REG, "huge-hole");
    w.inode(2, 1, S_IFREG, u32::MAX, 0, u32::MAX, 0x01, &[]);
    w.dirent(1, 2, 3, DT_REG, "small");
    w.inode(3, 1, S_IFREG, 2, 0, 2, 0x00, b"ok");
    let budget = Budget::new(Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    let Unpacked::Tree { tree, .. } = jffs2::unpack(&w.out, &mut ctx).unwrap() else {
        panic!("tree expected");
    };
    assert!(ctx.truncated, "{:?}", ctx.diagnostics);
    assert!(budget.bytes_used() <= 1 << 20);
    assert!(tree.files().all(|(_, file)| file.data.len() <= 1 << 20));
}

#[test]
fn truncate_and_extend_storms_stay_fast() {
    // 4 999 nodes that alternately truncate a file to nothing and extend it to 2 GiB: the
    // reader must not materialise the file at each step.
    let mut w = ImageWriter::new(false);
    w.dirent(1, 1, 2, DT_REG, "storm");
    for version in 1..=4_999u32 {
        let isize = if version % 2 == 0 { 0 } else { 1 << 31 };
        w.inode(2, version, S_IFREG, isize, version * 7, 4, 0x00, b"data");
    }
    let budget = Budget::new(Limits {
        max_total_bytes: 16 << 20,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    let started = std::time::Instant::now();
    let Unpacked::Tree { tree, .. } = jffs2::unpack(&w.out, &mut ctx).unwrap() else {
        panic!("tree expected");
    };
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(ctx.truncated);
    let storm = tree.read("storm").unwrap();
    assert_eq!(storm.len(), 16 << 20);
    // The last node (version 4 999, odd) wrote "data" at 34 993 after a truncation to 0.
    assert_eq!(&storm[34_993..34_997], b"data");
    assert!(storm[..34_993].iter().all(|&b| b == 0));
}

// ---------------------------------------------------------------------------------------------
// Cross-check against the reference tool: images made by mtd-utils' mkfs.jffs2.

/// A Debian `mtd-utils` tool, or `None` (after a skip message; a failure under CI).
fn mtd_tool(name: &str) -> Option<PathBuf> {
    let search = std::env::var("PATH").unwrap_or_default() + ":/usr/sbin:/sbin";
    if let Some(path) = search
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|path| path.is_file())
    {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{name} (Debian package mtd-utils) missing under CI"
    );
    println!("skipping: {name} not found (install the Debian package mtd-utils)");
    None
}

/// A small tree with text, binary, sparse and empty files, nested directories, symlinks and a
/// hard link.
fn make_source_tree(root: &std::path::Path) {
    std::fs::create_dir_all(root.join("etc/init.d")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib/deep/er")).unwrap();
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(
        root.join("etc/init.d/rcS"),
        "#!/bin/sh\necho up\n".repeat(300),
    )
    .unwrap();
    let binary: Vec<u8> = (0..70_000u32)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(root.join("usr/lib/blob.bin"), &binary).unwrap();
    std::fs::write(root.join("usr/lib/deep/er/x"), "deep\n").unwrap();
    std::fs::write(root.join("empty"), "").unwrap();
    let sparse = std::fs::File::create(root.join("usr/lib/sparse")).unwrap();
    sparse.set_len(200_000).unwrap();
    std::os::unix::fs::symlink("../etc/passwd", root.join("usr/passwd-link")).unwrap();
    std::os::unix::fs::symlink("/etc/init.d/rcS", root.join("rcS")).unwrap();
    std::fs::hard_link(root.join("etc/passwd"), root.join("etc/passwd-hard")).unwrap();
}

/// Every entry under `root` is in `tree` with the same kind and contents (and no more).
fn assert_same_tree(tree: &Tree, root: &std::path::Path, what: &str) {
    let mut count = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            count += 1;
            match tree.get(&relative) {
                Some(Node::Symlink { target }) if kind.is_symlink() => {
                    assert_eq!(
                        target.as_str(),
                        std::fs::read_link(&path).unwrap().to_str().unwrap()
                    );
                }
                Some(Node::Dir { .. }) if kind.is_dir() => pending.push(path),
                Some(Node::File(file)) if kind.is_file() => {
                    assert!(
                        file.data == std::fs::read(&path).unwrap(),
                        "{what}: {relative} differs"
                    );
                }
                other => panic!("{what}: {relative} is {other:?}"),
            }
        }
    }
    assert_eq!(tree.len(), count, "{what}: entry count");
}

#[test]
fn mkfs_jffs2_images_match_their_source() {
    let Some(mkfs) = mtd_tool("mkfs.jffs2") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    make_source_tree(&root);
    let variants: [(&str, &[&str]); 5] = [
        ("-l", &[]),                                         // zlib
        ("-b", &[]),                                         // zlib, big-endian
        ("-l", &["-x", "zlib"]),                             // rtime
        ("-b", &["-X", "lzo", "-x", "zlib", "-x", "rtime"]), // LZO
        ("-b", &["-x", "zlib", "-x", "rtime", "-n"]),        // none, no cleanmarkers
    ];
    for (index, (order, compressors)) in variants.iter().enumerate() {
        let image = work.path().join(format!("{index}.jffs2"));
        let status = std::process::Command::new(&mkfs)
            .args(["-q", order, "-e", "0x10000", "-r"])
            .arg(&root)
            .arg("-o")
            .arg(&image)
            .args(*compressors)
            .status()
            .unwrap();
        assert!(status.success());
        let data = std::fs::read(&image).unwrap();
        let (tree, consumed, diagnostics) = unpack(&data);
        let what = format!("mkfs.jffs2 {order} {compressors:?}");
        assert!(diagnostics.is_empty(), "{what}: {diagnostics:?}");
        assert_eq!(consumed, data.len() as u64, "{what}");
        assert_same_tree(&tree, &root, &what);
    }
}
