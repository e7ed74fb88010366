//! Squashfs unpacking: every squashFS-* corpus sample and the real router image against
//! expected.json, plus damaged and cyclic images built here (no corpus needed for those).

use std::path::{Path, PathBuf};

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::squashfs::{self, ByteOrder, Compression};
use iotlabel_firmware::unpack::{self, UnpackContext, Unpacked};
use iotlabel_firmware::vfs::{Node, Tree};
use sha2::{Digest, Sha256};

const ROUTER: &str = "real/broadcom-adsl-router-squashfs2-be-lzma.bin";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/firmware")
}

/// The corpus directory, or `None` (after saying why) when it is absent outside CI.
fn corpus() -> Option<PathBuf> {
    let dir = fixtures();
    if dir.join("expected.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "corpus missing at {} (required when CI=true)",
        dir.display()
    );
    eprintln!("skipping: corpus not found at {}", dir.display());
    None
}

/// Unpacks with a fresh default budget; returns the tree, consumed length and diagnostics.
fn unpack_squashfs(data: &[u8]) -> (Result<(Tree, u64), String>, Vec<String>) {
    let budget = Budget::new(Limits::default());
    let mut ctx = UnpackContext::new(&budget);
    let result = match squashfs::unpack(data, &mut ctx) {
        Ok(Unpacked::Tree { tree, consumed }) => Ok((tree, consumed)),
        Ok(Unpacked::Stream { .. }) => Err("squashfs returned a stream".to_owned()),
        Err(error) => Err(error.to_string()),
    };
    (result, ctx.diagnostics)
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[test]
fn corpus_samples_yield_their_expected_files() {
    let Some(dir) = corpus() else { return };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("read"))
            .expect("expected.json parses");
    let samples: Vec<(&String, &serde_json::Value)> = expected
        .as_object()
        .expect("object")
        .iter()
        .filter(|(name, _)| {
            name.starts_with("formats/squashFS-") || name.as_str() == "formats/binwalk-squashfs.bin"
        })
        .collect();
    assert!(
        samples.len() >= 15,
        "expected.json lists {} squashfs samples",
        samples.len()
    );
    for (name, entry) in samples {
        let data = std::fs::read(dir.join(name)).expect("sample readable");
        let format = unpack::identify(&data).unwrap_or_else(|| panic!("{name}: not identified"));
        assert!(
            format.id.starts_with("squashfs"),
            "{name}: identified as {}",
            format.id
        );
        let info = squashfs::superblock_info(&data).expect("superblock");
        let major = match name.rsplit('.').next() {
            Some("sqfs2") => 2,
            Some("sqfs3") => 3,
            _ => 4,
        };
        assert_eq!(info.major, major, "{name}: version");
        let (result, diagnostics) = unpack_squashfs(&data);
        let (tree, consumed) = result.unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        assert_eq!(consumed, data.len() as u64, "{name}: padding consumed");
        assert_eq!(
            tree.len() as u64 + 1,
            u64::from(info.inode_count),
            "{name}: inodes"
        );
        for file in entry["files"].as_array().expect("files") {
            let wanted = file["name"].as_str().expect("name");
            let (path, content) = tree
                .files()
                .find(|(path, _)| base_name(path) == wanted)
                .unwrap_or_else(|| panic!("{name}: {wanted} missing"));
            assert_eq!(
                content.data.len() as u64,
                file["size"].as_u64().expect("size"),
                "{path}"
            );
            assert_eq!(
                hex::encode(Sha256::digest(&content.data)),
                file["sha256"].as_str().expect("sha256"),
                "{name}: {path} content"
            );
        }
    }
}

#[test]
fn corpus_compressions_and_byte_orders_are_recognised() {
    let Some(dir) = corpus() else { return };
    let cases = [
        ("squashFS-gzip.sqfs", Compression::Gzip, ByteOrder::Little),
        ("squashFS-lz4.sqfs", Compression::Lz4, ByteOrder::Little),
        ("squashFS-lzma.sqfs", Compression::Lzma, ByteOrder::Little),
        ("squashFS-lzo.sqfs", Compression::Lzo, ByteOrder::Little),
        ("squashFS-xz.sqfs", Compression::Xz, ByteOrder::Little),
        ("squashFS-zstd.sqfs", Compression::Zstd, ByteOrder::Little),
        ("squashFS-avm_be.sqfs4", Compression::Xz, ByteOrder::Big),
        (
            "squashFS-zlib_be.sqfs3",
            Compression::ZlibOrLzma,
            ByteOrder::Big,
        ),
        (
            "squashFS-lzma_le.sqfs2",
            Compression::ZlibOrLzma,
            ByteOrder::Little,
        ),
    ];
    for (file, compression, order) in cases {
        let data = std::fs::read(dir.join("formats").join(file)).expect("sample");
        let info = squashfs::superblock_info(&data).expect("superblock");
        assert_eq!(info.compression, compression, "{file}");
        assert_eq!(info.byte_order, order, "{file}");
    }
}

#[test]
fn real_router_unpacks_completely() {
    let Some(dir) = corpus() else { return };
    let data = std::fs::read(dir.join(ROUTER)).expect("router image");
    let format = unpack::identify(&data).expect("identified");
    assert_eq!(format.id, "squashfs-v2");
    let info = squashfs::superblock_info(&data).expect("superblock");
    assert_eq!((info.major, info.byte_order), (2, ByteOrder::Big));
    assert_eq!(info.inode_count, 431);
    let (result, diagnostics) = unpack_squashfs(&data);
    let (tree, consumed) = result.expect("unpacks");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(consumed, data.len() as u64);
    // Every inode is an entry of the tree, plus the root directory itself.
    assert_eq!(tree.len() + 1, 431);
    let (mut files, mut dirs, mut links, mut specials) = (0, 0, 0, 0);
    for (_, node) in tree.entries() {
        match node {
            Node::File(_) => files += 1,
            Node::Dir { .. } => dirs += 1,
            Node::Symlink { .. } => links += 1,
            Node::Special { .. } => specials += 1,
        }
    }
    assert_eq!((files, links, specials), (263, 68, 71));
    assert_eq!(files + dirs + links + specials + 1, 431);

    let Some(Node::File(busybox)) = tree.get("bin/busybox") else {
        panic!("bin/busybox missing");
    };
    assert_eq!(busybox.data.len(), 224_756);
    assert!(busybox.data.starts_with(b"\x7fELF"));
    assert_eq!(busybox.mode, 0o100755);
    let banner = b"BusyBox v1.00";
    assert!(
        busybox
            .data
            .windows(banner.len())
            .any(|window| window == banner)
    );
    assert_eq!(
        tree.get("bin/sh"),
        Some(&Node::Symlink {
            target: "busybox".to_owned()
        })
    );
    let inittab = tree.read("etc/inittab").expect("etc/inittab");
    assert!(inittab.starts_with(b"::sysinit:/etc/init.d/rcS\n"));
    let fstab = tree.read("etc/fstab").expect("etc/fstab");
    assert!(fstab.starts_with(b"proc\t\t/proc\tproc"));
    assert!(
        matches!(tree.get("etc/passwd"), Some(Node::Symlink { target }) if target == "/var/passwd")
    );
    assert!(
        matches!(tree.get("dev/bcm"), Some(Node::Special { mode }) if mode & 0o170000 == 0o020000)
    );
}

#[test]
fn real_router_truncated_yields_part_and_diagnostics() {
    let Some(dir) = corpus() else { return };
    let data = std::fs::read(dir.join(ROUTER)).expect("router image");
    // Cut inside the directory table: inodes survive, some listings do not.
    let info = squashfs::superblock_info(&data).expect("superblock");
    let cut = usize::try_from(info.bytes_used).expect("size") - 2000;
    let (result, diagnostics) = unpack_squashfs(&data[..cut]);
    let (tree, _) = result.expect("partial tree");
    assert!(!diagnostics.is_empty());
    assert!(tree.len() < 430);
    // Cut inside the inode table (the tables follow the data, the root inode comes last):
    // refused, naming the reason.
    let cut = 0x0027_4019 + 3000;
    let (result, diagnostics) = unpack_squashfs(&data[..cut]);
    let error = result.expect_err("root inode cut off");
    assert!(error.contains("root inode"), "{error}");
    assert!(
        diagnostics
            .iter()
            .any(|message| message.contains("truncated"))
    );
    // Cut inside the file data: no table left to read, refused.
    let (result, _) = unpack_squashfs(&data[..data.len() / 2]);
    assert!(result.is_err());
}

/// Builds a small squashfs 4.0 little-endian image with stored (uncompressed) blocks: a root
/// holding a file, a symlink, a FIFO and a directory whose only entry points back at the
/// root (a reference cycle). Returns the image and the offsets of its tables.
struct Built {
    image: Vec<u8>,
    inode_table: usize,
    directory_table: usize,
}

fn build_image() -> Built {
    const CONTENT: &[u8] = b"hello world\n";
    fn inode_header(kind: u16, mode: u16, number: u32) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(kind.to_le_bytes());
        out.extend(mode.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // uid index
        out.extend(0u16.to_le_bytes()); // gid index
        out.extend(0u32.to_le_bytes()); // mtime
        out.extend(number.to_le_bytes());
        out
    }
    fn dir_inode(listing_offset: u16, listing_size: u16, number: u32) -> Vec<u8> {
        let mut out = inode_header(1, 0o755, number);
        out.extend(0u32.to_le_bytes()); // start block in the directory table
        out.extend(2u32.to_le_bytes()); // nlink
        out.extend((listing_size + 3).to_le_bytes());
        out.extend(listing_offset.to_le_bytes());
        out.extend(1u32.to_le_bytes()); // parent
        out
    }
    fn listing(entries: &[(u16, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend((entries.len() as u32 - 1).to_le_bytes());
        out.extend(0u32.to_le_bytes()); // inode block
        out.extend(1u32.to_le_bytes()); // base inode number
        for (offset, name) in entries {
            out.extend(offset.to_le_bytes());
            out.extend(0i16.to_le_bytes());
            out.extend(1u16.to_le_bytes());
            out.extend((name.len() as u16 - 1).to_le_bytes());
            out.extend(name.as_bytes());
        }
        out
    }
    fn metadata_block(body: &[u8]) -> Vec<u8> {
        let mut out = (0x8000u16 | body.len() as u16).to_le_bytes().to_vec();
        out.extend(body);
        out
    }

    let data_start = 96usize;
    let inode_table = data_start + CONTENT.len();
    // Inodes: root at 0, file at 32, symlink at 68, fifo at 98, sub directory at 118.
    let root_listing = listing(&[(32, "hello"), (68, "link"), (98, "pipe"), (118, "sub")]);
    let sub_listing = listing(&[(0, "up")]);
    let mut inodes = dir_inode(0, root_listing.len() as u16, 1);
    let mut file = inode_header(2, 0o644, 2);
    file.extend((data_start as u32).to_le_bytes());
    file.extend(u32::MAX.to_le_bytes()); // no fragment
    file.extend(0u32.to_le_bytes());
    file.extend((CONTENT.len() as u32).to_le_bytes());
    file.extend((CONTENT.len() as u32 | 1 << 24).to_le_bytes()); // one stored block
    inodes.extend(file);
    let mut link = inode_header(3, 0o777, 3);
    link.extend(1u32.to_le_bytes());
    link.extend(6u32.to_le_bytes());
    link.extend(b"target");
    inodes.extend(link);
    let mut fifo = inode_header(6, 0o600, 4);
    fifo.extend(1u32.to_le_bytes());
    inodes.extend(fifo);
    assert_eq!(inodes.len(), 118);
    inodes.extend(dir_inode(
        root_listing.len() as u16,
        sub_listing.len() as u16,
        5,
    ));

    let inode_block = metadata_block(&inodes);
    let directory_table = inode_table + inode_block.len();
    let mut listings = root_listing;
    listings.extend(sub_listing);
    let directory_block = metadata_block(&listings);
    let id_block_at = directory_table + directory_block.len();
    let id_block = metadata_block(&1000u32.to_le_bytes());
    let id_index_at = id_block_at + id_block.len();
    let bytes_used = id_index_at + 8;

    let mut image = Vec::new();
    image.extend(b"hsqs");
    image.extend(5u32.to_le_bytes()); // inodes
    image.extend(0u32.to_le_bytes()); // mtime
    image.extend(4096u32.to_le_bytes());
    image.extend(0u32.to_le_bytes()); // fragments
    image.extend(1u16.to_le_bytes()); // gzip
    image.extend(12u16.to_le_bytes()); // block log
    image.extend(0u16.to_le_bytes()); // flags
    image.extend(1u16.to_le_bytes()); // ids
    image.extend(4u16.to_le_bytes());
    image.extend(0u16.to_le_bytes());
    image.extend(0u64.to_le_bytes()); // root inode reference
    image.extend((bytes_used as u64).to_le_bytes());
    image.extend((id_index_at as u64).to_le_bytes());
    image.extend(u64::MAX.to_le_bytes()); // xattrs
    image.extend((inode_table as u64).to_le_bytes());
    image.extend((directory_table as u64).to_le_bytes());
    image.extend(u64::MAX.to_le_bytes()); // fragment table
    image.extend(u64::MAX.to_le_bytes()); // export table
    assert_eq!(image.len(), data_start);
    image.extend(CONTENT);
    image.extend(inode_block);
    image.extend(directory_block);
    image.extend(id_block);
    image.extend((id_block_at as u64).to_le_bytes());
    assert_eq!(image.len(), bytes_used);
    Built {
        image,
        inode_table,
        directory_table,
    }
}

#[test]
fn built_image_unpacks_and_its_cycle_is_reported() {
    let built = build_image();
    let format = unpack::identify(&built.image).expect("identified");
    assert_eq!(format.id, "squashfs");
    let (result, diagnostics) = unpack_squashfs(&built.image);
    let (tree, consumed) = result.expect("unpacks");
    assert_eq!(consumed, built.image.len() as u64);
    let Some(Node::File(hello)) = tree.get("hello") else {
        panic!("hello missing: {tree:?}");
    };
    assert_eq!(hello.data, b"hello world\n");
    assert_eq!((hello.mode, hello.uid, hello.gid), (0o100644, 1000, 1000));
    assert_eq!(
        tree.get("link"),
        Some(&Node::Symlink {
            target: "target".to_owned()
        })
    );
    assert_eq!(tree.get("pipe"), Some(&Node::Special { mode: 0o010600 }));
    assert_eq!(tree.get("sub"), Some(&Node::Dir { mode: 0o040755 }));
    assert!(tree.get("sub/up").is_none());
    assert!(
        diagnostics.iter().any(|message| message.contains("cycle")),
        "{diagnostics:?}"
    );
}

#[test]
fn trailing_data_is_handed_back() {
    let mut image = build_image().image;
    let used = image.len() as u64;
    image.extend(b"TRAILER");
    let (result, _) = unpack_squashfs(&image);
    assert_eq!(result.expect("unpacks").1, used);
}

#[test]
fn truncated_images_never_panic_and_report() {
    let built = build_image();
    let mut partial = 0;
    for cut in 0..built.image.len() {
        let (result, diagnostics) = unpack_squashfs(&built.image[..cut]);
        match result {
            // Cut before the root directory could be read: refused with a reason.
            Err(error) => assert!(!error.is_empty()),
            Ok((tree, _)) => {
                partial += 1;
                assert!(!diagnostics.is_empty(), "no diagnostic at {cut}");
                assert!(tree.len() <= 4);
            }
        }
    }
    // Cuts inside the id table and the directory table still give a (partial) tree.
    assert!(partial > 0);
    assert!(
        unpack_squashfs(&built.image[..built.image.len() - 1])
            .0
            .is_ok()
    );
}

#[test]
fn damaged_table_offsets_are_reported() {
    let built = build_image();
    // Directory table offset (superblock bytes 72..80) moved past the end: refused.
    let mut image = built.image.clone();
    image[72..80].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(unpack_squashfs(&image).0.is_err());
    assert!(unpack::identify(&image).is_none());
    // Directory table offset moved by one byte: listings unreadable, reported.
    let mut image = built.image.clone();
    image[72..80].copy_from_slice(&(built.directory_table as u64 + 1).to_le_bytes());
    let (result, diagnostics) = unpack_squashfs(&image);
    assert!(result.expect("superblock still plausible").0.is_empty());
    assert!(!diagnostics.is_empty());
    // Inode table offset moved: the root inode is garbage, reported.
    let mut image = built.image.clone();
    image[64..72].copy_from_slice(&(built.inode_table as u64 + 2).to_le_bytes());
    let (result, diagnostics) = unpack_squashfs(&image);
    assert!(result.map(|(tree, _)| tree.is_empty()).unwrap_or(true));
    assert!(!diagnostics.is_empty());
    // Id table pointer past the end: ids fall back to 0, files still read.
    let mut image = built.image.clone();
    let at = image.len() - 8;
    image[at..].copy_from_slice(&u64::MAX.to_le_bytes());
    let (result, diagnostics) = unpack_squashfs(&image);
    assert!(result.expect("unpacks").0.read("hello").is_some());
    assert!(
        diagnostics
            .iter()
            .any(|message| message.contains("id table"))
    );
}

#[test]
fn every_single_byte_corruption_is_survived() {
    let built = build_image();
    for position in 0..built.image.len() {
        for value in [0x00, 0xff, 0x80] {
            let mut image = built.image.clone();
            image[position] = value;
            let (result, _) = unpack_squashfs(&image);
            if let Ok((tree, consumed)) = result {
                assert!(tree.len() <= 5, "{position}: {} entries", tree.len());
                assert!(consumed <= image.len() as u64);
                let produced: usize = tree.files().map(|(_, file)| file.data.len()).sum();
                assert!(produced <= 1 << 20, "{position}: {produced} bytes");
            }
        }
    }
}

#[test]
fn budget_limits_are_honoured() {
    let built = build_image();
    let budget = Budget::new(Limits {
        max_files: 2,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    let result = squashfs::unpack(&built.image, &mut ctx).expect("unpacks");
    let Unpacked::Tree { tree, .. } = result else {
        panic!("not a tree");
    };
    assert_eq!(tree.len(), 2);
    assert!(ctx.truncated);
}

#[test]
fn carving_finds_embedded_images_and_refuses_stray_magics() {
    let built = build_image();
    let mut blob = vec![0x5a_u8; 1000];
    // Stray magics followed by junk must not match.
    for at in [10, 200, 700] {
        blob[at..at + 4].copy_from_slice(b"hsqs");
        blob[at + 300 - 200..at + 300 - 196].copy_from_slice(b"sqsh");
    }
    let start = blob.len();
    blob.extend(&built.image);
    blob.extend(b"trailing kernel or padding");
    let found: Vec<usize> = (0..blob.len())
        .filter(|&at| {
            unpack::FORMATS
                .iter()
                .filter(|format| format.id.starts_with("squashfs"))
                .any(|format| unpack::matches_at(format, &blob, at))
        })
        .collect();
    assert_eq!(found, vec![start]);
    let (result, _) = unpack_squashfs(&blob[start..]);
    assert_eq!(result.expect("unpacks").1, built.image.len() as u64);
}
