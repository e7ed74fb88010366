//! Runs `extract` over the shared firmware corpus (`../shared/fixtures/firmware/formats`, beside
//! the project checkout) and checks that every file the reference listing (`expected.json`)
//! names for a sample is present, with its size and SHA-256, in some extracted file system.
//! Samples in [`IDENTIFIED_ONLY`] (formats outside the list) must be identified. Skips when the corpus is absent, fails then when CI=true.

use std::collections::BTreeMap;
use std::path::PathBuf;

use iotlabel_firmware::extract::{ExtractOptions, Extraction, extract};
use sha2::{Digest, Sha256};

/// Samples outside the format list: they must be identified (the format id appears in
/// the container tree), not unpacked. Every other sample must yield its reference files.
const IDENTIFIED_ONLY: &[(&str, &str)] = &[
    ("formats/sevenz-test.7z", "7z"),
    ("formats/linuxkernel-zImage_be32", "zimage"),
    ("formats/binwalk-arcadyan.bin", "arcadyan"),
];

fn formats_in(node: &iotlabel_core::report::UnpackedNode, into: &mut Vec<String>) {
    into.push(node.format.clone());
    for child in &node.children {
        formats_in(child, into);
    }
}

/// Files the reference tool kept that iotlabel unpacks further instead of keeping: a
/// decompressed stream that a registered format recognises becomes that format's tree (its
/// files are in the extraction), not an extra file that checks would see twice.
const UNPACKED_FURTHER: &[(&str, &str)] = &[
    // The FIT image's gzip-compressed rootfs: a squashfs image, unpacked into its files.
    ("formats/uboot-fit.itb", "fact.sqfs"),
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/firmware")
}

/// Names the reference tool invents for what it carved or decompressed (`lzma.uncompressed`,
/// `116656-327817.lzma`): they say nothing about the image, so only size and hash are compared,
/// and raw carved regions (`<start>-<end>.<ext>`) are not files an extractor must produce.
fn reference_tool_artifact(name: &str) -> (bool, bool) {
    let synthetic = name.ends_with(".uncompressed");
    let carved_region = name
        .split_once('.')
        .map(|(range, _)| {
            range.split_once('-').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
            })
        })
        .unwrap_or(false);
    (synthetic, carved_region)
}

/// (base name, size, sha256) of every regular file extracted.
fn extracted_files(extraction: &Extraction) -> Vec<(String, u64, String)> {
    let mut files = Vec::new();
    for filesystem in &extraction.filesystems {
        for (path, file) in filesystem.tree.files() {
            let base = path.rsplit('/').next().unwrap_or(path).to_owned();
            files.push((
                base,
                file.data.len() as u64,
                hex::encode(Sha256::digest(&file.data)),
            ));
        }
    }
    files
}

/// What is missing from a sample's extraction (empty = it passes).
fn check_sample(relative: &str, expected: &serde_json::Value) -> (Vec<String>, Extraction) {
    let path = corpus_dir().join(relative);
    let data = std::fs::read(&path).unwrap_or_default();
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let extraction = extract(name, &data, &ExtractOptions::default(), &mut |_| {});
    let have = extracted_files(&extraction);
    let mut missing = Vec::new();
    let files = expected["files"].as_array().cloned().unwrap_or_default();
    if files.is_empty() && extraction.root.format == "unknown" {
        missing.push("no format identified".to_owned());
    }
    let mut used = vec![false; have.len()];
    for file in files {
        let name = file["name"].as_str().unwrap_or_default();
        let size = file["size"].as_u64().unwrap_or_default();
        let sha = file["sha256"].as_str().unwrap_or_default();
        let (synthetic, carved_region) = reference_tool_artifact(name);
        if carved_region || UNPACKED_FURTHER.contains(&(relative, name)) {
            continue;
        }
        let found =
            have.iter()
                .enumerate()
                .position(|(index, (have_name, have_size, have_sha))| {
                    !used[index]
                        && *have_size == size
                        && have_sha == sha
                        && (synthetic || have_name == name)
                });
        match found {
            Some(index) => used[index] = true,
            None => missing.push(format!("{name} ({size} bytes)")),
        }
    }
    (missing, extraction)
}

#[test]
fn corpus_samples_extract_to_the_reference_listing() {
    let dir = corpus_dir();
    let Ok(listing) = std::fs::read_to_string(dir.join("expected.json")) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "corpus missing at {} (CI=true)",
            dir.display()
        );
        eprintln!("skipping: the firmware corpus is not at {}", dir.display());
        return;
    };
    let expected: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&listing).unwrap_or_else(|error| panic!("expected.json: {error}"));
    let mut failures = Vec::new();
    let mut passed = 0;
    for (relative, sample) in &expected {
        if !relative.starts_with("formats/") {
            continue;
        }
        let (missing, extraction) = check_sample(relative, sample);
        let identified_only = IDENTIFIED_ONLY
            .iter()
            .find(|(path, _)| path == relative)
            .map(|(_, format)| *format);
        let summary = format!(
            "{relative}: root {}, {} file systems, {} files, {} diagnostics",
            extraction.root.format,
            extraction.filesystems.len(),
            extraction.files,
            extraction.diagnostics.len()
        );
        match identified_only {
            Some(format) => {
                let mut formats = Vec::new();
                formats_in(&extraction.root, &mut formats);
                if formats.iter().any(|f| f == format) {
                    passed += 1;
                    println!("ok   {summary} (identified as {format}, not unpacked)");
                } else {
                    println!("FAIL {summary}; not identified as {format}: {formats:?}");
                    failures.push(format!("{relative}: not identified as {format}"));
                }
            }
            None if missing.is_empty() => {
                passed += 1;
                println!("ok   {summary}");
            }
            None => {
                println!("FAIL {summary}; missing {missing:?}");
                failures.push(format!("{relative}: missing {missing:?}"));
            }
        }
    }
    println!("{passed} samples pass");
    assert!(failures.is_empty(), "{failures:#?}");
}
