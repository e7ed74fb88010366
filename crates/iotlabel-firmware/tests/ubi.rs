//! UBI and UBIFS unpacking: the corpus samples (a UBI image whose volume holds a UBIFS, and a
//! bare UBIFS image) and images built here: UBI with dynamic and static volumes, remapped and
//! missing blocks; UBIFS with LZO, zlib and zstd data nodes, hard links, symlinks, devices, a
//! cyclic index and a journal to replay; plus damaged images.
// Test helpers: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::{UnpackContext, UnpackError, Unpacked, identify, ubi, ubifs};
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

type UnpackFn = fn(&[u8], &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError>;

fn run(unpack: UnpackFn, data: &[u8]) -> (Tree, u64, Vec<String>) {
    let budget = Budget::new(Limits::default());
    let mut ctx = UnpackContext::new(&budget);
    match unpack(data, &mut ctx).unwrap() {
        Unpacked::Tree { tree, consumed } => (tree, consumed, ctx.diagnostics),
        Unpacked::Stream { .. } => panic!("a tree expected"),
    }
}

/// Whether `tree` holds a file named `name` with this size and hash.
fn holds(tree: &Tree, name: &str, size: u64, sha: &str) -> bool {
    tree.files().any(|(path, file)| {
        path.rsplit('/').next() == Some(name)
            && file.data.len() as u64 == size
            && hex::encode(Sha256::digest(&file.data)) == sha
    })
}

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

#[test]
fn corpus_ubi_image_yields_its_volume_and_files() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let sample = "formats/ubi-ubi.img";
    let data = std::fs::read(dir.join(sample)).unwrap();
    assert_eq!(identify(&data).map(|format| format.id), Some("ubi"));
    let (volumes, consumed, diagnostics) = run(ubi::unpack, &data);
    assert_eq!(consumed, data.len() as u64);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let expected = expected_files(&dir, sample);
    let mut files = Tree::new();
    // The volume is a file of the UBI tree; what it holds comes from the UBIFS format, as the
    // recursive driver would call it.
    for (path, volume) in volumes.files() {
        assert_eq!(
            identify(&volume.data).map(|format| format.id),
            Some("ubifs")
        );
        let (inner, _, diagnostics) = run(ubifs::unpack, &volume.data);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:?}");
        for (inner_path, file) in inner.files() {
            files
                .add_file(&format!("{path}/{inner_path}"), file.clone())
                .unwrap();
        }
    }
    for (name, size, sha) in &expected {
        assert!(
            holds(&volumes, name, *size, sha) || holds(&files, name, *size, sha),
            "{name} missing"
        );
    }
}

#[test]
fn corpus_ubifs_image_yields_its_files() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let sample = "formats/ubi-test.ubifs";
    let data = std::fs::read(dir.join(sample)).unwrap();
    assert_eq!(identify(&data).map(|format| format.id), Some("ubifs"));
    let (tree, consumed, diagnostics) = run(ubifs::unpack, &data);
    assert_eq!(consumed, data.len() as u64);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    for (name, size, sha) in expected_files(&dir, sample) {
        assert!(holds(&tree, &name, size, &sha), "{name} missing");
    }
    assert!(matches!(tree.get("generic folder"), Some(Node::Dir { .. })));
}

// ---------------------------------------------------------------------------------------------
// UBI images built here.

/// `crc32(0xFFFFFFFF, ...)` without final inversion, as UBI and UBIFS use it.
fn ubi_crc(data: &[u8]) -> u32 {
    !crc32fast::hash(data)
}

const PEB: usize = 2048;
const VID_OFFSET: usize = 64;
const DATA_OFFSET: usize = 128;
const LEB: usize = PEB - DATA_OFFSET;
const IMAGE_SEQ: u32 = 0x1234_5678;
const LAYOUT: u32 = 0x7FFF_EFFF;

fn with_crc(mut header: Vec<u8>) -> Vec<u8> {
    let crc = ubi_crc(&header);
    header.extend_from_slice(&crc.to_be_bytes());
    header
}

fn ec_header(image_seq: u32) -> Vec<u8> {
    let mut header = b"UBI#".to_vec();
    header.extend_from_slice(&[1, 0, 0, 0]);
    header.extend_from_slice(&7u64.to_be_bytes());
    header.extend_from_slice(&(VID_OFFSET as u32).to_be_bytes());
    header.extend_from_slice(&(DATA_OFFSET as u32).to_be_bytes());
    header.extend_from_slice(&image_seq.to_be_bytes());
    header.resize(60, 0);
    with_crc(header)
}

struct Leb<'a> {
    vol_type: u8,
    vol_id: u32,
    lnum: u32,
    data_size: u32,
    used_ebs: u32,
    sqnum: u64,
    /// Set on a copy made by wear levelling; its data CRC must then hold.
    copy_flag: u8,
    data: &'a [u8],
}

fn vid_header(leb: &Leb<'_>) -> Vec<u8> {
    let mut header = b"UBI!".to_vec();
    header.extend_from_slice(&[1, leb.vol_type, leb.copy_flag, 0]);
    header.extend_from_slice(&leb.vol_id.to_be_bytes());
    header.extend_from_slice(&leb.lnum.to_be_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&leb.data_size.to_be_bytes());
    header.extend_from_slice(&leb.used_ebs.to_be_bytes());
    header.extend_from_slice(&0u32.to_be_bytes());
    header.extend_from_slice(&ubi_crc(leb.data).to_be_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&leb.sqnum.to_be_bytes());
    header.resize(60, 0);
    with_crc(header)
}

/// One physical erase block: EC header, optional VID header and data, erased elsewhere.
fn peb(leb: Option<&Leb<'_>>) -> Vec<u8> {
    let mut block = vec![0xFF; PEB];
    block[..64].copy_from_slice(&ec_header(IMAGE_SEQ));
    if let Some(leb) = leb {
        block[VID_OFFSET..VID_OFFSET + 64].copy_from_slice(&vid_header(leb));
        block[DATA_OFFSET..DATA_OFFSET + leb.data.len()].copy_from_slice(leb.data);
    }
    block
}

fn volume_table(volumes: &[(u32, u8, &str)]) -> Vec<u8> {
    let mut table = Vec::new();
    for index in 0..(LEB / 172) as u32 {
        let mut record = vec![0u8; 168];
        if let Some((reserved, vol_type, name)) = volumes.get(index as usize) {
            record[0..4].copy_from_slice(&reserved.to_be_bytes());
            record[4..8].copy_from_slice(&1u32.to_be_bytes());
            record[12] = *vol_type;
            record[14..16].copy_from_slice(&(name.len() as u16).to_be_bytes());
            record[16..16 + name.len()].copy_from_slice(name.as_bytes());
        }
        table.extend_from_slice(&with_crc(record));
    }
    table
}

fn pattern(length: usize, seed: u8) -> Vec<u8> {
    (0..length)
        .map(|index| (index as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Volume 0 "rootfs" (dynamic: block 0 remapped, block 1 unmapped, block 2 mapped) and
/// volume 1 "kernel" (static, two blocks, the last one short).
fn sample_ubi() -> Vec<u8> {
    let table = volume_table(&[(8, 1, "rootfs"), (2, 2, "kernel")]);
    let old0 = pattern(LEB, 1);
    let new0 = pattern(LEB, 2);
    let block2 = pattern(LEB, 3);
    let kernel0 = pattern(LEB, 4);
    let kernel1 = pattern(100, 5);
    let layout = |lnum| Leb {
        vol_type: 1,
        vol_id: LAYOUT,
        lnum,
        data_size: 0,
        used_ebs: 0,
        sqnum: u64::from(lnum),
        copy_flag: 0,
        data: &table,
    };
    let dynamic = |lnum, sqnum, data| Leb {
        vol_type: 1,
        vol_id: 0,
        lnum,
        data_size: 0,
        used_ebs: 0,
        sqnum,
        copy_flag: 0,
        data,
    };
    let kernel = |lnum, data: &[u8]| -> Vec<u8> {
        peb(Some(&Leb {
            vol_type: 2,
            vol_id: 1,
            lnum,
            data_size: data.len() as u32,
            used_ebs: 2,
            sqnum: 20 + u64::from(lnum),
            copy_flag: 0,
            data,
        }))
    };
    let mut image = Vec::new();
    image.extend(peb(Some(&layout(0))));
    image.extend(peb(Some(&layout(1))));
    image.extend(peb(Some(&dynamic(0, 10, &new0))));
    image.extend(peb(None));
    image.extend(kernel(1, &kernel1));
    image.extend(peb(Some(&dynamic(2, 12, &block2))));
    // The older copy of block 0, found later in the image: the higher sequence number wins.
    image.extend(peb(Some(&dynamic(0, 5, &old0))));
    image.extend(kernel(0, &kernel0));
    image
}

#[test]
fn built_ubi_image_gives_its_volumes() {
    let image = sample_ubi();
    assert!(ubi::probe(&image));
    let (tree, consumed, diagnostics) = run(ubi::unpack, &image);
    assert_eq!(consumed, image.len() as u64);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let mut rootfs = pattern(LEB, 2);
    rootfs.extend(vec![0xFF; LEB]);
    rootfs.extend(pattern(LEB, 3));
    same_bytes(
        tree.read(&format!("img-{IMAGE_SEQ}_vol-rootfs.ubifs")),
        &rootfs,
    );
    let mut kernel = pattern(LEB, 4);
    kernel.extend(pattern(100, 5));
    same_bytes(
        tree.read(&format!("img-{IMAGE_SEQ}_vol-kernel.ubifs")),
        &kernel,
    );
    assert_eq!(tree.files().count(), 2);
}

#[test]
fn a_damaged_wear_levelling_copy_loses_to_the_original() {
    let mut image = sample_ubi();
    let copy = pattern(LEB, 9);
    let mut block = peb(Some(&Leb {
        vol_type: 1,
        vol_id: 0,
        lnum: 0,
        data_size: LEB as u32,
        used_ebs: 0,
        sqnum: 99,
        copy_flag: 1,
        data: &copy,
    }));
    block[DATA_OFFSET + 5] ^= 0xFF;
    image.extend(block);
    let (tree, _, diagnostics) = run(ubi::unpack, &image);
    let rootfs = tree
        .read(&format!("img-{IMAGE_SEQ}_vol-rootfs.ubifs"))
        .unwrap();
    same_bytes(Some(&rootfs[..LEB]), &pattern(LEB, 2));
    assert!(
        diagnostics.iter().any(|d| d.contains("fails its CRC")),
        "{diagnostics:?}"
    );
}

#[test]
fn ubi_trailing_data_and_other_images_are_handed_back() {
    let mut image = sample_ubi();
    let end = image.len();
    image.extend_from_slice(&[0x42; 5000]);
    let (_, consumed, _) = run(ubi::unpack, &image);
    assert_eq!(consumed, end as u64);
    // A second UBI image (other sequence number) right after the first.
    let mut two = sample_ubi();
    let mut second = vec![0xFF; PEB];
    second[..64].copy_from_slice(&ec_header(IMAGE_SEQ + 1));
    two.extend(second);
    let (_, consumed, _) = run(ubi::unpack, &two);
    assert_eq!(consumed, end as u64);
}

#[test]
fn damaged_ubi_images_give_diagnostics_not_panics() {
    let image = sample_ubi();
    // A bad EC header in the middle: that block is skipped and reported.
    let mut damaged = image.clone();
    damaged[2 * PEB + 10] ^= 1;
    let (tree, _, diagnostics) = run(ubi::unpack, &damaged);
    assert!(
        diagnostics.iter().any(|d| d.contains("erase-counter")),
        "{diagnostics:?}"
    );
    assert_eq!(tree.files().count(), 2);
    // Both volume-table copies broken: volumes are still written, named by id.
    let mut no_table = image.clone();
    for block in [0, 1] {
        no_table[block * PEB + DATA_OFFSET + 20] ^= 1;
    }
    let (tree, _, diagnostics) = run(ubi::unpack, &no_table);
    assert!(diagnostics.iter().any(|d| d.contains("volume table")));
    assert!(
        tree.read(&format!("img-{IMAGE_SEQ}_vol-volume_0.ubifs"))
            .is_some()
    );
    // Cut images and byte flips never panic.
    for cut in [64, 100, PEB + 3, 3 * PEB - 1] {
        let budget = Budget::new(Limits::default());
        let mut ctx = UnpackContext::new(&budget);
        let _ = ubi::unpack(&image[..cut], &mut ctx);
    }
    for index in (0..image.len()).step_by(61) {
        let mut mutated = image.clone();
        mutated[index] ^= 0xA5;
        let budget = Budget::new(Limits::default());
        let mut ctx = UnpackContext::new(&budget);
        let _ = ubi::unpack(&mutated, &mut ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// UBIFS images built here.

const FS_LEB: usize = 32768;
const FS_LEBS: usize = 10;
const KEY_INO: u32 = 0;
const KEY_DATA: u32 = 1;
const KEY_DENT: u32 = 2;

/// A flat UBIFS volume under construction, LEB n at byte n × FS_LEB.
struct FsWriter {
    image: Vec<u8>,
    /// Next free offset in each LEB.
    heads: Vec<usize>,
    sqnum: u64,
}

impl FsWriter {
    fn new() -> FsWriter {
        FsWriter {
            image: vec![0xFF; FS_LEB * FS_LEBS],
            heads: vec![0; FS_LEBS],
            sqnum: 100,
        }
    }

    /// Writes a node (common header + `body`) into `lnum`; returns (lnum, offs, len).
    fn node(&mut self, lnum: usize, node_type: u8, body: &[u8]) -> (u32, u32, u32) {
        self.sqnum += 1;
        let len = 24 + body.len();
        let mut node = Vec::with_capacity(len);
        node.extend_from_slice(&0x0610_1831u32.to_le_bytes());
        node.extend_from_slice(&[0; 4]);
        node.extend_from_slice(&self.sqnum.to_le_bytes());
        node.extend_from_slice(&(len as u32).to_le_bytes());
        node.extend_from_slice(&[node_type, 0, 0, 0]);
        node.extend_from_slice(body);
        let crc = ubi_crc(&node[8..]);
        node[4..8].copy_from_slice(&crc.to_le_bytes());
        let offs = self.heads[lnum];
        assert!(offs + len <= FS_LEB, "test image: LEB {lnum} is full");
        let at = lnum * FS_LEB + offs;
        self.image[at..at + len].copy_from_slice(&node);
        self.heads[lnum] = (offs + len).div_ceil(8) * 8;
        (lnum as u32, offs as u32, len as u32)
    }

    fn key(inum: u32, kind: u32, low: u32) -> Vec<u8> {
        let mut key = inum.to_le_bytes().to_vec();
        key.extend_from_slice(&((kind << 29) | (low & 0x1FFF_FFFF)).to_le_bytes());
        key.resize(16, 0);
        key
    }

    fn inode(&mut self, lnum: usize, inum: u32, mode: u32, size: u64, inline: &[u8]) -> Branch {
        let mut body = FsWriter::key(inum, KEY_INO, 0);
        body.extend_from_slice(&[0; 8]); // creat_sqnum
        body.extend_from_slice(&size.to_le_bytes());
        body.resize(92 - 24, 0);
        body.extend_from_slice(&1u32.to_le_bytes()); // nlink
        body.extend_from_slice(&1000u32.to_le_bytes());
        body.extend_from_slice(&100u32.to_le_bytes());
        body.extend_from_slice(&mode.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes()); // flags
        body.extend_from_slice(&(inline.len() as u32).to_le_bytes());
        body.resize(160 - 24, 0);
        body.extend_from_slice(inline);
        let at = self.node(lnum, 0, &body);
        Branch {
            at,
            key: FsWriter::key(inum, KEY_INO, 0),
        }
    }

    fn dent(&mut self, lnum: usize, parent: u32, name: &str, inum: u64, kind: u8) -> Branch {
        let hash = name
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let key = FsWriter::key(parent, KEY_DENT, hash);
        let mut body = key.clone();
        body.extend_from_slice(&inum.to_le_bytes());
        body.extend_from_slice(&[0, kind]);
        body.extend_from_slice(&(name.len() as u16).to_le_bytes());
        body.extend_from_slice(&[0; 4]);
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        let at = self.node(lnum, 2, &body);
        Branch { at, key }
    }

    fn data(
        &mut self,
        lnum: usize,
        inum: u32,
        block: u32,
        size: usize,
        compr: u16,
        payload: &[u8],
    ) -> Branch {
        let key = FsWriter::key(inum, KEY_DATA, block);
        let mut body = key.clone();
        body.extend_from_slice(&(size as u32).to_le_bytes());
        body.extend_from_slice(&compr.to_le_bytes());
        body.extend_from_slice(&[0; 2]);
        body.extend_from_slice(payload);
        let at = self.node(lnum, 1, &body);
        Branch { at, key }
    }

    fn index(&mut self, lnum: usize, level: u16, branches: &[Branch]) -> Branch {
        let mut body = (branches.len() as u16).to_le_bytes().to_vec();
        body.extend_from_slice(&level.to_le_bytes());
        for branch in branches {
            body.extend_from_slice(&branch.at.0.to_le_bytes());
            body.extend_from_slice(&branch.at.1.to_le_bytes());
            body.extend_from_slice(&branch.at.2.to_le_bytes());
            body.extend_from_slice(&branch.key[..8]);
        }
        let at = self.node(lnum, 9, &body);
        Branch {
            at,
            key: branches.first().map(|b| b.key.clone()).unwrap_or_default(),
        }
    }

    fn superblock(&mut self, default_compr: u16) {
        let mut body = vec![0u8; 4096 - 24];
        let mut put =
            |at: usize, bytes: &[u8]| body[at - 24..at - 24 + bytes.len()].copy_from_slice(bytes);
        put(32, &8u32.to_le_bytes()); // min_io_size
        put(36, &(FS_LEB as u32).to_le_bytes());
        put(40, &(FS_LEBS as u32).to_le_bytes());
        put(44, &(FS_LEBS as u32).to_le_bytes());
        put(56, &2u32.to_le_bytes()); // log_lebs
        put(80, &4u32.to_le_bytes()); // fmt_version
        put(84, &default_compr.to_le_bytes());
        self.node(0, 6, &body);
    }

    fn master(&mut self, root: &Branch) {
        let mut body = vec![0u8; 512 - 24];
        let mut put =
            |at: usize, bytes: &[u8]| body[at - 24..at - 24 + bytes.len()].copy_from_slice(bytes);
        put(44, &3u32.to_le_bytes()); // log_lnum
        put(48, &root.at.0.to_le_bytes());
        put(52, &root.at.1.to_le_bytes());
        put(56, &root.at.2.to_le_bytes());
        self.node(1, 7, &body);
    }
}

#[derive(Clone)]
struct Branch {
    at: (u32, u32, u32),
    key: Vec<u8>,
}

/// LZO1X literal-only stream (a valid stream any LZO decoder reads).
fn lzo_literals(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if data.len() <= 238 {
        out.push(17 + data.len() as u8);
    } else {
        let rest = data.len() - 18;
        let zeros = (rest - 1) / 255;
        out.push(0);
        out.extend(std::iter::repeat_n(0, zeros));
        out.push((rest - zeros * 255) as u8);
    }
    out.extend_from_slice(data);
    out.extend_from_slice(&[0x11, 0, 0]);
    out
}

fn deflate_raw(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

const DIR: u32 = 0o040755;
const REG: u32 = 0o100644;
const LNK: u32 = 0o120777;
const CHR: u32 = 0o020600;

/// A UBIFS with directories, three compressors, a hard link, a symlink, a device, an index
/// branch that points back at the root (a cycle), and a journal holding a newer block and a
/// deletion.
fn sample_ubifs() -> Vec<u8> {
    let mut w = FsWriter::new();
    w.superblock(1);
    let file_a = pattern(6000, 7);
    let file_b = pattern(5000, 8);
    let file_c = pattern(300, 9);
    let leaves = vec![
        w.inode(5, 1, DIR, 0, &[]),
        w.dent(5, 1, "bin", 2, 1),
        w.inode(5, 2, DIR, 0, &[]),
        w.dent(5, 2, "lzo.bin", 3, 0),
        w.inode(5, 3, REG, 6000, &[]),
        w.data(5, 3, 0, 4096, 1, &lzo_literals(&file_a[..4096])),
        w.data(5, 3, 1, 1904, 1, &lzo_literals(&file_a[4096..])),
        w.dent(5, 1, "zlib.txt", 4, 0),
        w.inode(5, 4, REG, 5000, &[]),
        w.data(5, 4, 0, 4096, 2, &deflate_raw(&file_b[..4096])),
        w.data(5, 4, 1, 904, 2, &deflate_raw(&file_b[4096..])),
        w.dent(5, 1, "zstd.dat", 5, 0),
        w.inode(5, 5, REG, 8492, &[]),
        // Block 1 is a hole; block 2 holds data.
        w.data(5, 5, 0, 4096, 3, &zstd(&pattern(4096, 10))),
        w.data(5, 5, 2, 300, 3, &zstd(&file_c)),
        w.dent(5, 2, "hardlink", 3, 0),
        w.dent(5, 1, "sh", 6, 0),
        w.inode(5, 6, LNK, 11, b"bin/lzo.bin"),
        w.dent(5, 1, "ttyS0", 7, 0),
        w.inode(5, 7, CHR, 0, &[4, 64]),
        w.dent(5, 1, "deleted-later", 8, 0),
        w.inode(5, 8, REG, 3, &[]),
        w.data(5, 8, 0, 3, 0, b"old"),
    ];
    let (first, second) = leaves.split_at(12);
    let left = w.index(6, 0, first);
    let right = w.index(6, 0, second);
    // The root also points at itself via a branch written after it: a cycle.
    let root_at = (6u32, w.heads[6] as u32);
    let mut cyclic = right.clone();
    cyclic.at = (root_at.0, root_at.1, 0);
    let root = w.index(6, 1, &[left, right, cyclic]);
    assert_eq!((root.at.0, root.at.1), root_at);
    w.master(&root);
    // The log: a commit start, then a reference to a bud in LEB 7 written after it.
    w.node(3, 10, &[0; 8]);
    let mut reference = 7u32.to_le_bytes().to_vec();
    reference.extend_from_slice(&0u32.to_le_bytes());
    reference.extend_from_slice(&[0; 32]);
    w.node(3, 8, &reference);
    // Journal: a newer first block for zlib.txt and the deletion of deleted-later.
    w.data(7, 4, 0, 4096, 0, &vec![b'J'; 4096]);
    w.dent(7, 1, "deleted-later", 0, 0);
    w.image
}

#[test]
fn built_ubifs_image_unpacks() {
    let image = sample_ubifs();
    assert!(ubifs::probe(&image));
    let (tree, consumed, diagnostics) = run(ubifs::unpack, &image);
    assert_eq!(consumed, image.len() as u64);
    same_bytes(tree.read("bin/lzo.bin"), &pattern(6000, 7));
    same_bytes(tree.read("bin/hardlink"), &pattern(6000, 7));
    let mut zlib = vec![b'J'; 4096];
    zlib.extend_from_slice(&pattern(5000, 8)[4096..]);
    same_bytes(tree.read("zlib.txt"), &zlib);
    let mut zstd_file = pattern(4096, 10);
    zstd_file.extend(vec![0; 4096]);
    zstd_file.extend(pattern(300, 9));
    same_bytes(tree.read("zstd.dat"), &zstd_file);
    assert_eq!(
        tree.get("sh"),
        Some(&Node::Symlink {
            target: "bin/lzo.bin".into()
        })
    );
    same_bytes(tree.read("sh"), &pattern(6000, 7));
    assert_eq!(tree.get("ttyS0"), Some(&Node::Special { mode: CHR }));
    assert!(tree.get("deleted-later").is_none());
    match tree.get("bin/lzo.bin") {
        Some(Node::File(file)) => assert_eq!((file.mode, file.uid, file.gid), (REG, 1000, 100)),
        other => panic!("{other:?}"),
    }
    assert!(
        diagnostics.iter().any(|d| d.contains("cycle")),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics.iter().any(|d| d.contains("journal")),
        "{diagnostics:?}"
    );
}

#[test]
fn damaged_ubifs_images_give_diagnostics_not_panics() {
    let image = sample_ubifs();
    // A corrupted data node: its block reads as zeros and the damage is reported.
    let mut damaged = image.clone();
    damaged[5 * FS_LEB + 400] ^= 0xFF;
    let budget = Budget::new(Limits::default());
    let mut ctx = UnpackContext::new(&budget);
    let _ = ubifs::unpack(&damaged, &mut ctx);
    assert!(!ctx.diagnostics.is_empty());
    // No master node: an error, not a panic.
    let mut no_master = image.clone();
    no_master[FS_LEB + 30] ^= 1;
    let mut ctx = UnpackContext::new(&budget);
    assert!(ubifs::unpack(&no_master, &mut ctx).is_err());
    // Cuts and byte flips.
    for cut in [100, 4096, FS_LEB + 100, 5 * FS_LEB + 1000, 7 * FS_LEB] {
        let mut ctx = UnpackContext::new(&budget);
        let _ = ubifs::unpack(&image[..cut], &mut ctx);
    }
    for index in (0..8 * FS_LEB).step_by(211) {
        if image[index] == 0xFF {
            continue;
        }
        let mut mutated = image.clone();
        mutated[index] ^= 0x5A;
        let mut ctx = UnpackContext::new(&budget);
        let _ = ubifs::unpack(&mutated, &mut ctx);
    }
}

#[test]
fn ubifs_sizes_past_the_budget_are_cut() {
    let mut w = FsWriter::new();
    w.superblock(0);
    let leaves = vec![
        w.inode(5, 1, DIR, 0, &[]),
        w.dent(5, 1, "sparse", 2, 0),
        w.inode(5, 2, REG, u64::MAX / 2, &[]),
    ];
    let root = w.index(6, 0, &leaves);
    w.master(&root);
    let budget = Budget::new(Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    let _ = ubifs::unpack(&w.image, &mut ctx).unwrap();
    assert!(ctx.truncated);
    assert!(budget.bytes_used() <= 1 << 20);
}

// ---------------------------------------------------------------------------------------------
// Cross-check against the reference tools: images made by mtd-utils' mkfs.ubifs and ubinize.

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
fn mkfs_ubifs_and_ubinize_images_match_their_source() {
    let (Some(mkfs), Some(ubinize)) = (mtd_tool("mkfs.ubifs"), mtd_tool("ubinize")) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    make_source_tree(&root);
    for compressor in ["lzo", "zlib", "zstd", "none"] {
        let image = work.path().join(format!("{compressor}.ubifs"));
        let status = std::process::Command::new(&mkfs)
            .args([
                "-m", "2048", "-e", "126976", "-c", "64", "-x", compressor, "-r",
            ])
            .arg(&root)
            .arg("-o")
            .arg(&image)
            .status()
            .unwrap();
        assert!(status.success());
        let data = std::fs::read(&image).unwrap();
        let (tree, consumed, diagnostics) = run(ubifs::unpack, &data);
        let what = format!("mkfs.ubifs -x {compressor}");
        assert!(diagnostics.is_empty(), "{what}: {diagnostics:?}");
        assert_eq!(consumed, data.len() as u64, "{what}");
        assert_same_tree(&tree, &root, &what);
    }
    // A UBI image with the zstd file system in a dynamic volume and the zlib one, as a blob,
    // in a static volume.
    let config = work.path().join("ubi.cfg");
    let zstd = work.path().join("zstd.ubifs");
    let zlib = work.path().join("zlib.ubifs");
    std::fs::write(
        &config,
        format!(
            "[rootfs]\nmode=ubi\nimage={}\nvol_id=0\nvol_size=10MiB\nvol_type=dynamic\n\
             vol_name=rootfs\nvol_flags=autoresize\n[backup]\nmode=ubi\nimage={}\nvol_id=1\n\
             vol_type=static\nvol_name=backup\n",
            zstd.display(),
            zlib.display()
        ),
    )
    .unwrap();
    let image = work.path().join("ubi.img");
    let status = std::process::Command::new(&ubinize)
        .args(["-m", "2048", "-p", "128KiB", "-Q", "42", "-o"])
        .arg(&image)
        .arg(&config)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let data = std::fs::read(&image).unwrap();
    let (volumes, consumed, diagnostics) = run(ubi::unpack, &data);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(consumed, data.len() as u64);
    // A static volume is exactly its image; a dynamic one ends with its last written block.
    same_bytes(
        volumes.read("img-42_vol-backup.ubifs"),
        &std::fs::read(&zlib).unwrap(),
    );
    let rootfs = volumes.read("img-42_vol-rootfs.ubifs").unwrap();
    let zstd_image = std::fs::read(&zstd).unwrap();
    assert!(rootfs.len() >= zstd_image.len() && rootfs.starts_with(&zstd_image));
    for name in ["img-42_vol-backup.ubifs", "img-42_vol-rootfs.ubifs"] {
        let (tree, _, diagnostics) = run(ubifs::unpack, volumes.read(name).unwrap());
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        assert_same_tree(&tree, &root, name);
    }
}
