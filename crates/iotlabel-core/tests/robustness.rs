//! Hostile-input tests for the core parsers: random truncations and byte edits of real
//! dossiers, reports and rule files are errors or values, never panics. (The cargo-fuzz targets
//! in crates/iotlabel-core/fuzz/ explore the same entry points without bounds.)

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::OnceLock;

use iotlabel_core::catalog::DataSource;
use iotlabel_core::document::DocumentFormat;
use iotlabel_core::engine::{EngineInput, assess};
use iotlabel_core::{Catalog, Date, Dossier, Report};
use proptest::prelude::*;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().unwrap())
}

fn example(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name),
    )
    .unwrap()
}

/// Applies `edits` (position, byte) to `text` and cuts it at `cut`, keeping it a string.
fn mutate(text: &str, edits: &[(usize, u8)], cut: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for (position, byte) in edits {
        if !bytes.is_empty() {
            let at = position % bytes.len();
            bytes[at] = *byte;
        }
    }
    bytes.truncate(cut.min(bytes.len()));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8)>> {
    proptest::collection::vec(
        (
            any::<usize>(),
            prop_oneof![
                Just(b'"'),
                Just(b'='),
                Just(b'['),
                Just(b'\n'),
                Just(b'9'),
                Just(b'-'),
                any::<u8>()
            ],
        ),
        0..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_dossiers_never_panic(edits in edits(), cut in 0usize..20_000) {
        let text = mutate(&example("uk-psti-hub.toml"), &edits, cut);
        if let Ok(dossier) = Dossier::parse(&text, DocumentFormat::Toml) {
            let on = Date::from_ymd(2026, 2, 2).unwrap();
            let _ = assess(catalog(), EngineInput { dossier: &dossier, reports: &[], on });
        }
    }

    #[test]
    fn mutated_reports_never_panic(edits in edits(), cut in 0usize..5_000) {
        let text = mutate(&example("evidence/camera-firmware-scan.json"), &edits, cut);
        let _ = Report::from_json(&text);
    }

    #[test]
    fn mutated_rule_files_never_panic(edits in edits(), cut in 0usize..4_000, file in 0usize..11) {
        let path = Catalog::embedded_paths().nth(file % Catalog::embedded_paths().count()).unwrap();
        let sources: Vec<DataSource> = Catalog::embedded_paths()
            .map(|p| {
                let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(p)).unwrap();
                DataSource { path: p.to_owned(), text: if p == path { mutate(&text, &edits, cut) } else { text } }
            })
            .collect();
        let _ = Catalog::from_sources(&sources);
    }

    #[test]
    fn arbitrary_text_is_never_a_panic(text in ".{0,400}") {
        let _ = Dossier::parse(&text, DocumentFormat::Toml);
        let _ = Dossier::parse(&text, DocumentFormat::Json);
        let _ = Report::from_json(&text);
    }
}
