//! Round trips of the JSON contracts (dossier, assessment) through serde, on the examples, and

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]
//! a golden file of one assessment so that any change to the output contract shows in review.

use std::path::{Path, PathBuf};

use iotlabel_core::document::DocumentFormat;
use iotlabel_core::engine::{AttachedReport, EngineInput, assess};
use iotlabel_core::{Assessment, Catalog, Dossier, Report};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn load(name: &str) -> Dossier {
    let text = std::fs::read_to_string(examples().join(name)).unwrap();
    Dossier::parse(&text, DocumentFormat::Toml).unwrap_or_else(|error| panic!("{name}: {error}"))
}

const EXAMPLES: [&str; 3] = ["wifi-router.toml", "ip-camera.toml", "uk-psti-hub.toml"];

#[test]
fn dossiers_round_trip_through_json_and_toml() {
    let catalog = Catalog::embedded().unwrap();
    for name in EXAMPLES {
        let dossier = load(name);
        dossier
            .validate(&catalog)
            .unwrap_or_else(|problems| panic!("{name}: {problems:?}"));
        let json = serde_json::to_string(&dossier).unwrap();
        assert_eq!(
            Dossier::parse(&json, DocumentFormat::Json).unwrap(),
            dossier,
            "{name} via JSON"
        );
        let toml = toml::to_string(&dossier).unwrap();
        assert_eq!(
            Dossier::parse(&toml, DocumentFormat::Toml).unwrap(),
            dossier,
            "{name} via TOML"
        );
    }
}

fn camera_assessment() -> Assessment {
    let catalog = Catalog::embedded().unwrap();
    let dossier = load("ip-camera.toml");
    let scan =
        std::fs::read_to_string(examples().join("evidence/camera-firmware-scan.json")).unwrap();
    let reports = vec![AttachedReport {
        evidence_id: "firmware-scan".into(),
        file: "evidence/camera-firmware-scan.json".into(),
        report: Report::from_json(&scan).unwrap(),
    }];
    let on = dossier.assessed_on.unwrap();
    assess(
        &catalog,
        EngineInput {
            dossier: &dossier,
            reports: &reports,
            on,
        },
    )
    .unwrap()
}

#[test]
fn assessments_round_trip_through_json() {
    let assessment = camera_assessment();
    let json = serde_json::to_string_pretty(&assessment).unwrap();
    let back: Assessment = serde_json::from_str(&json).unwrap();
    assert_eq!(back, assessment);
    assert_eq!(back.schema_version, iotlabel_core::SCHEMA_VERSION);
}

#[test]
fn camera_assessment_golden() {
    insta::assert_json_snapshot!("camera_assessment", camera_assessment());
}
