//! Fuzz target: dossier parsing (TOML and JSON), validation and assessment never panic.
#![no_main]

use std::sync::OnceLock;

use iotlabel_core::document::DocumentFormat;
use iotlabel_core::engine::{EngineInput, assess};
use iotlabel_core::{Catalog, Date, Dossier};
use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().expect("the embedded catalog is valid"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [DocumentFormat::Toml, DocumentFormat::Json] {
        if let Ok(dossier) = Dossier::parse(text, format) {
            let on = Date::from_ymd(2026, 1, 1).expect("a real date");
            let _ = assess(
                catalog(),
                EngineInput {
                    dossier: &dossier,
                    reports: &[],
                    on,
                },
            );
        }
    }
});
