//! Validates the OSCAL export with compliance-trestle: every catalog and profile, plus the
//! assessment results of a small dossier, written into a fresh trestle workspace and checked with
//! `trestle validate -a`; each profile is also resolved against its catalog.
//!
//! Trestle is found as `$IOTLABEL_TRESTLE`, else `<workspace>/.ci/venv/bin/trestle`, else
//! `trestle` on PATH. Without it the test is skipped, except under `CI=true`, where it fails.
//! Set `IOTLABEL_TRESTLE_KEEP=1` to keep the workspace for inspection.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iotlabel_core::document::DocumentFormat;
use iotlabel_core::engine::{EngineInput, assess};
use iotlabel_core::{Catalog, Dossier};
use iotlabel_formats::oscal::{assessment_results_path, export_all};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn runs(program: &Path) -> bool {
    Command::new(program)
        .arg("version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The trestle executable, or `None` when there is none.
fn find_trestle() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("IOTLABEL_TRESTLE") {
        let path = PathBuf::from(path);
        assert!(
            runs(&path),
            "IOTLABEL_TRESTLE={} does not run `trestle version`",
            path.display()
        );
        return Some(path);
    }
    let venv = workspace_root().join(".ci/venv/bin/trestle");
    if runs(&venv) {
        return Some(venv);
    }
    let on_path = PathBuf::from("trestle");
    runs(&on_path).then_some(on_path)
}

/// The trestle executable; `None` (after saying so) when the test should be skipped. Under
/// `CI=true` a missing trestle fails the test instead.
fn trestle_or_skip() -> Option<PathBuf> {
    let trestle = find_trestle();
    if trestle.is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|ci| ci == "true"),
            "compliance-trestle not found: CI must run the OSCAL validation (set IOTLABEL_TRESTLE or create .ci/venv with .ci/run)"
        );
        eprintln!("skipping: compliance-trestle not found (set IOTLABEL_TRESTLE or run .ci/run)");
    }
    trestle
}

fn describe(output: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run(trestle: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(trestle)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("could not run {} {args:?}: {error}", trestle.display()))
}

fn write_json(root: &Path, relative: &str, json: &serde_json::Value) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string_pretty(json).unwrap()).unwrap();
}

/// Writes the whole export and an assessment-results document into a new trestle workspace.
fn workspace(trestle: &Path) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let init = run(trestle, dir.path(), &["init"]);
    assert!(
        init.status.success(),
        "trestle init failed\n{}",
        describe(&init)
    );

    let catalog = Catalog::embedded().unwrap();
    let generated = time::macros::datetime!(2026-01-15 09:30 +08:00);
    let files = export_all(&catalog, generated).unwrap();
    let mut profiles = Vec::new();
    for (path, json) in &files {
        write_json(dir.path(), path, json);
        if let Some(name) = path
            .strip_prefix("profiles/")
            .and_then(|rest| rest.strip_suffix("/profile.json"))
        {
            profiles.push(name.to_owned());
        }
    }

    let dossier = Dossier::parse(include_str!("data/dossier.toml"), DocumentFormat::Toml).unwrap();
    let on = dossier.assessed_on.unwrap();
    let assessment = assess(
        &catalog,
        EngineInput {
            dossier: &dossier,
            reports: &[],
            on,
        },
    )
    .unwrap();
    let results = iotlabel_formats::assessment_results(&assessment, generated).unwrap();
    write_json(
        dir.path(),
        &assessment_results_path("homelink-ax"),
        &serde_json::to_value(results).unwrap(),
    );
    (dir, profiles)
}

fn keep(dir: tempfile::TempDir) {
    if std::env::var_os("IOTLABEL_TRESTLE_KEEP").is_some() {
        eprintln!("trestle workspace kept at {}", dir.keep().display());
    }
}

#[test]
fn trestle_validates_the_export() {
    let Some(trestle) = trestle_or_skip() else {
        return;
    };
    let (dir, profiles) = workspace(&trestle);
    let validate = run(&trestle, dir.path(), &["validate", "-a"]);
    assert!(
        validate.status.success(),
        "trestle validate -a rejected the export (workspace {})\n{}",
        dir.path().display(),
        describe(&validate)
    );

    // Resolving a profile follows its import href to the catalog and selects the controls. The
    // href is relative to the profile file, as OSCAL says, so trestle runs from its folder.
    assert_eq!(profiles.len(), 5, "{profiles:?}");
    let root = dir.path().to_str().unwrap().to_owned();
    for name in &profiles {
        let output = format!("resolved-{name}");
        let resolve = run(
            &trestle,
            &dir.path().join("profiles").join(name),
            &[
                "author",
                "profile-resolve",
                "-n",
                name,
                "-o",
                &output,
                "-tr",
                &root,
            ],
        );
        assert!(
            resolve.status.success(),
            "trestle could not resolve profile {name}\n{}",
            describe(&resolve)
        );
        let resolved = dir
            .path()
            .join("catalogs")
            .join(&output)
            .join("catalog.json");
        assert!(
            resolved.is_file(),
            "no resolved catalog at {}",
            resolved.display()
        );
    }
    keep(dir);
}

/// The validation can fail: a profile with a malformed UUID is rejected.
#[test]
fn trestle_rejects_a_broken_profile() {
    let Some(trestle) = trestle_or_skip() else {
        return;
    };
    let (dir, _) = workspace(&trestle);
    let path = dir.path().join("profiles/cls-iot-level-1/profile.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json["profile"]["uuid"] = "not-a-uuid".into();
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let validate = run(&trestle, dir.path(), &["validate", "-a"]);
    assert!(
        !validate.status.success(),
        "trestle validate -a accepted a profile with a bad uuid\n{}",
        describe(&validate)
    );
    keep(dir);
}
