//! docs/checks.md and docs/formats.md are generated from the check and format registries: this
//! test fails when they drift. Regenerate with `UPDATE_DOCS=1 cargo test -p iotlabel-firmware --test docs`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use iotlabel_firmware::checks::CHECKS;
use iotlabel_firmware::unpack::FORMATS;

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

fn checks_page() -> String {
    let mut page = String::from(
        "# Firmware checks\n\nGenerated from the check registry (`crates/iotlabel-firmware/src/checks/mod.rs`) by\n`crates/iotlabel-firmware/tests/docs.rs`; do not edit by hand. A finding is evidence for the\nprovisions named, never a verdict; a clean check means \"not found with this coverage\".\n\n| check | provisions | typical severity | what it looks for | why it matters |\n|---|---|---|---|---|\n",
    );
    for check in CHECKS {
        let meta = &check.meta;
        page.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            meta.id,
            meta.provisions.join(", "),
            meta.severity.as_str(),
            meta.title.replace('|', "\\|"),
            meta.rationale.replace('|', "\\|").replace('\n', " ")
        ));
    }
    page
}

fn formats_page() -> String {
    let mut page = String::from(
        "# Firmware formats\n\nGenerated from the format registry (`crates/iotlabel-firmware/src/unpack/mod.rs`) by\n`crates/iotlabel-firmware/tests/docs.rs`; do not edit by hand. Identification tries the formats\nin this order at offset 0; carving looks for every magic inside data nothing recognised.\n\n| id | format | magic offset |\n|---|---|---|\n",
    );
    for format in FORMATS {
        page.push_str(&format!(
            "| `{}` | {} | {} |\n",
            format.id,
            format.description.replace('|', "\\|"),
            format.magic_offset
        ));
    }
    page
}

#[test]
fn generated_docs_are_current() {
    for (name, expected) in [("checks.md", checks_page()), ("formats.md", formats_page())] {
        let path = docs().join(name);
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
            continue;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/{name} is out of date: run UPDATE_DOCS=1 cargo test -p iotlabel-firmware --test docs"
        );
    }
}
