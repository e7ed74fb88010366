//! Hostile input: path traversal in archives, cut-off archives, random bytes. Nothing may be
//! written to disk, nothing may resolve outside the image, and nothing may panic. Uses the
//! shared corpus's `hostile/` samples where present (skips then, fails when CI=true) and
//! samples built here otherwise.

use std::path::PathBuf;

use iotlabel_firmware::extract::{ExtractOptions, Extraction, extract};
use iotlabel_firmware::limits::Limits;
use iotlabel_firmware::vfs::Node;
use proptest::prelude::*;

fn hostile_sample(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/firmware/hostile")
        .join(name);
    match std::fs::read(&path) {
        Ok(data) => Some(data),
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{} unreadable with CI=true: {error}",
                path.display()
            );
            eprintln!(
                "skipping: corpus sample {} is not available ({error})",
                path.display()
            );
            None
        }
    }
}

fn run(name: &str, data: &[u8]) -> Extraction {
    extract(name, data, &ExtractOptions::default(), &mut |_| {})
}

#[test]
fn dirtraversal_tar_links_never_leave_the_tree() {
    let Some(data) = hostile_sample("binwalk-dirtraversal.tar") else {
        return;
    };
    let extraction = run("binwalk-dirtraversal.tar", &data);
    let tar = extraction
        .filesystems
        .iter()
        .find(|filesystem| filesystem.format == "tar")
        .expect("a tar tree");
    let tree = &tar.tree;
    // Absolute links are taken relative to the image root: the image has no etc/, so they
    // resolve to nothing rather than to the host's /etc/passwd or /etc/shadow.
    for link in ["bar", "subdir/bar2"] {
        assert!(
            matches!(tree.get(link), Some(Node::Symlink { .. })),
            "{link} kept as a link"
        );
        assert!(tree.resolve(link).is_none(), "{link} must not resolve");
    }
    // `../` chains that climb above the root never resolve, and are reported.
    for link in ["foo", "subdir/foo2"] {
        assert!(tree.resolve(link).is_none(), "{link} must not resolve");
        assert!(
            extraction
                .diagnostics
                .iter()
                .any(|d| d.message.contains(&format!("{link:?}"))
                    && d.message.contains("above the image root")),
            "{link} reported: {:?}",
            extraction.diagnostics
        );
    }
    // Benign relative links are kept and resolve inside the tree.
    assert_eq!(tree.read("README2_link"), tree.read("subdir/README2.txt"));
    assert!(tree.read("README2_link").is_some());
    assert_eq!(tree.read("subdir/README_link"), tree.read("README.txt"));
    assert!(tree.read("subdir/README_link").is_some());
    assert_eq!(tree.read("ls").map(<[u8]>::len), Some(133_792));
}

/// A tar whose entry names climb above the root, written with raw headers (the `tar` crate
/// refuses to build such names).
fn tar_with_raw_names(names: &[&str]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for name in names {
        let mut header = tar::Header::new_ustar();
        header.set_size(4);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        let bytes = header.as_mut_bytes();
        bytes[..100].fill(0);
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, &b"evil"[..]).expect("append");
    }
    builder.into_inner().expect("finish")
}

#[test]
fn entries_climbing_above_the_root_are_refused() {
    let data = tar_with_raw_names(&[
        "../../etc/cron.d/evil",
        "ok/../../escape",
        "/etc/abs",
        "fine/file",
    ]);
    let extraction = run("climb.tar", &data);
    let tree = &extraction.filesystems.first().expect("a tree").tree;
    let escapes = extraction
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("climbs above the root"))
        .count();
    assert_eq!(escapes, 2, "{:?}", extraction.diagnostics);
    // An absolute name is stored under the image root, never at the host's root.
    assert_eq!(tree.read("etc/abs"), Some(&b"evil"[..]));
    assert_eq!(tree.read("fine/file"), Some(&b"evil"[..]));
    assert!(
        tree.files()
            .all(|(path, _)| !path.contains("..") && !path.starts_with('/'))
    );
}

#[test]
fn truncated_zip_gives_diagnostics_and_readable_entries() {
    let Some(data) = hostile_sample("binwalk-zip-truncated.bin") else {
        return;
    };
    let extraction = run("binwalk-zip-truncated.bin", &data);
    assert!(!extraction.diagnostics.is_empty());
    assert!(
        extraction
            .diagnostics
            .iter()
            .any(|d| d.message.contains("zip")),
        "{:?}",
        extraction.diagnostics
    );
    let zip = extraction
        .filesystems
        .iter()
        .find(|filesystem| filesystem.format == "zip")
        .expect("a zip tree");
    assert!(zip.tree.files().count() >= 1, "readable entries kept");
}

/// Lists every path under `dir`.
fn listing(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            out.push(path.clone());
            if path.is_dir() {
                out.extend(listing(&path));
            }
        }
    }
    out
}

#[test]
fn extraction_writes_nothing_to_disk() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let previous = std::env::current_dir().expect("cwd");
    std::env::set_current_dir(scratch.path()).expect("chdir");
    let mut samples = vec![tar_with_raw_names(&["../../outside", "inside"])];
    samples.extend(hostile_sample("binwalk-dirtraversal.tar"));
    samples.extend(hostile_sample("binwalk-zip-truncated.bin"));
    for data in &samples {
        let extraction = run("sample", data);
        assert!(!extraction.filesystems.is_empty());
    }
    std::env::set_current_dir(previous).expect("chdir back");
    assert!(
        listing(scratch.path()).is_empty(),
        "files appeared: {:?}",
        listing(scratch.path())
    );
    let parent = scratch.path().parent().expect("parent");
    assert!(!parent.join("outside").exists());
}

/// A tar of regular files and symlinks with the given raw names and link targets.
fn tar_with_links(files: &[String], links: &[(String, String)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut append = |name: &str, kind: tar::EntryType, target: &str| {
        let mut header = tar::Header::new_ustar();
        let data: &[u8] = if kind == tar::EntryType::Regular {
            b"data"
        } else {
            b""
        };
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(kind);
        let bytes = header.as_mut_bytes();
        bytes[..100].fill(0);
        bytes[..name.len().min(99)].copy_from_slice(&name.as_bytes()[..name.len().min(99)]);
        bytes[157..257].fill(0);
        bytes[157..157 + target.len().min(99)]
            .copy_from_slice(&target.as_bytes()[..target.len().min(99)]);
        header.set_cksum();
        builder.append(&header, data).expect("append");
    };
    for name in files {
        append(name, tar::EntryType::Regular, "");
    }
    for (name, target) in links {
        append(name, tar::EntryType::Symlink, target);
    }
    builder.into_inner().expect("finish")
}

fn raw_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just(String::new()),
            "[a-c]{1,2}"
        ],
        1..6,
    )
    .prop_map(|parts| parts.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever names and link targets an archive holds, the tree's paths stay clean and
    /// every resolution ends at an entry of the tree.
    #[test]
    fn archive_paths_and_links_stay_inside_the_tree(
        files in proptest::collection::vec(raw_path(), 1..6),
        links in proptest::collection::vec((raw_path(), prop_oneof![raw_path(), raw_path().prop_map(|p| format!("/{p}"))]), 0..6),
    ) {
        let data = tar_with_links(&files, &links);
        let extraction = extract("paths.tar", &data, &ExtractOptions::default(), &mut |_| {});
        for filesystem in &extraction.filesystems {
            for (path, _) in filesystem.tree.entries() {
                prop_assert!(!path.starts_with('/'));
                prop_assert!(!path.split('/').any(|c| c == ".." || c == "." || c.is_empty()), "{}", path);
                if let Some((resolved, _)) = filesystem.tree.resolve(path) {
                    prop_assert!(filesystem.tree.get(&resolved).is_some());
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let options = ExtractOptions { limits: Limits { max_total_bytes: 8 << 20, ..Limits::default() }, carve: true };
        let extraction = extract("random.bin", &data, &options, &mut |_| {});
        prop_assert_eq!(extraction.bytes_in, data.len() as u64);
        prop_assert!(extraction.bytes_unpacked <= 8 << 20);
    }

    /// Random bytes behind real magics reach the parsers' bodies.
    #[test]
    fn random_bytes_behind_magics_never_panic(
        magic in prop_oneof![
            Just(&b"\x1f\x8b\x08"[..]), Just(&b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46"[..]), Just(&b"\x5d\x00\x00\x80\x00"[..]),
            Just(&b"BZh91AY&SY"[..]), Just(&b"\x28\xb5\x2f\xfd"[..]), Just(&b"\x04\x22\x4d\x18\x64\x40"[..]),
            Just(&b"\x78\x9c"[..]), Just(&b"PK\x03\x04"[..]), Just(&b"070701"[..]), Just(&b"070707"[..]),
            Just(&b"\xc7\x71"[..]), Just(&b"\x27\x05\x19\x56"[..]), Just(&b"\xd0\x0d\xfe\xed"[..]),
            Just(&b"HDR0"[..]), Just(&b"IMG0"[..]),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut data = magic.to_vec();
        data.extend(body);
        let options = ExtractOptions { limits: Limits { max_total_bytes: 8 << 20, ..Limits::default() }, carve: true };
        let extraction = extract("magic.bin", &data, &options, &mut |_| {});
        prop_assert!(extraction.bytes_unpacked <= 8 << 20);
    }
}
