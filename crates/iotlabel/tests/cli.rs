//! End-to-end tests of the `iotlabel` binary: the examples, every bad-input case of the dossier

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]
//! format, the PSTI statement, the catalog commands and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iotlabel_core::Assessment;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    workspace().join("examples").join(name)
}

fn iotlabel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iotlabel"))
        .args(args)
        .env_remove("IOTLABEL_CATALOG")
        .output()
        .expect("the iotlabel binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assess_json(path: &Path, extra: &[&str]) -> Assessment {
    let mut args = vec!["assess", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let output = iotlabel(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("assess --format json prints an Assessment")
}

#[test]
fn the_router_example_attains_level_two() {
    let assessment = assess_json(&example("wifi-router.toml"), &[]);
    assert_eq!(assessment.level_attained, 2, "{:#?}", assessment.blocking);
    assert_eq!(assessment.assessed_on.to_string(), "2026-03-02");
    let router_rule = &assessment.market_access[0];
    assert_eq!(router_rule.rule, "sg-wifi-routers");
    assert!(!router_rule.allowed, "not labelled yet");
    assert!(assessment.psti.compliant || !assessment.psti.requirements.is_empty());
}

#[test]
fn the_camera_example_attains_level_three_with_its_scan_report() {
    let assessment = assess_json(&example("ip-camera.toml"), &[]);
    assert_eq!(assessment.level_attained, 3, "{:#?}", assessment.blocking);
    let credentials = assessment
        .provisions
        .iter()
        .find(|p| p.id.as_str() == "5.1-1")
        .unwrap();
    assert!(
        credentials
            .reasons
            .iter()
            .any(|r| r.contains("credentials.default-password found nothing")),
        "{:?}",
        credentials.reasons
    );
}

#[test]
fn the_uk_psti_example_gets_level_one_only_from_2026() {
    let path = example("uk-psti-hub.toml");
    let assessment = assess_json(&path, &[]);
    assert_eq!(assessment.level_attained, 1, "{:#?}", assessment.blocking);
    assert_eq!(assessment.dossier_edition.as_str(), "v2.1.1");
    assert!(assessment.psti.compliant);
    let before = assess_json(&path, &["--on", "2025-12-31"]);
    assert_eq!(before.level_attained, 0);
    assert!(
        before.blocking[0]
            .reason
            .contains("not in effect until 2026-01-01")
    );
}

#[test]
fn text_output_shows_the_table_then_the_blockers() {
    let output = iotlabel(&[
        "assess",
        example("wifi-router.toml").to_str().unwrap(),
        "--on",
        "2026-03-02",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let table = text.find("Verdicts:").expect("a verdict table");
    let blocking = text
        .find("block level 3")
        .expect("blocking items for the next level");
    assert!(table < blocking);
    insta::assert_snapshot!("router_text", text);
}

#[test]
fn json_dossiers_are_accepted_like_toml() {
    let toml_text = std::fs::read_to_string(example("wifi-router.toml")).unwrap();
    let value = iotlabel_core::document::parse_value(
        &toml_text,
        iotlabel_core::document::DocumentFormat::Toml,
    )
    .unwrap();
    let json = serde_json::to_string_pretty(&value).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("router.json");
    std::fs::write(&path, json).unwrap();
    // Evidence files are relative to the dossier: copy them along.
    copy_dir(&example("evidence"), &dir.path().join("evidence"));
    let from_json = assess_json(&path, &[]);
    let from_toml = assess_json(&example("wifi-router.toml"), &[]);
    assert_eq!(from_json, from_toml);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Writes a variant of the router example with `edit` applied, returns its path.
fn broken_router(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(example("wifi-router.toml")).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit must change the dossier");
    let path = dir.join("broken.toml");
    std::fs::write(&path, edited).unwrap();
    copy_dir(&example("evidence"), &dir.join("evidence"));
    path
}

fn assert_bad_input(edit: impl Fn(&str) -> String, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = broken_router(dir.path(), edit);
    let output = iotlabel(&["assess", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("broken.toml"),
        "the message names the file: {message}"
    );
    for part in expected {
        assert!(message.contains(part), "missing {part:?} in: {message}");
    }
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn unknown_provision_id_names_key_and_fix() {
    assert_bad_input(
        |text| text.replacen("provision = \"5.1-3\"", "provision = \"5.1-33\"", 1),
        &[
            "declarations[",
            "].provision",
            "5.1-33 is not a provision of EN 303 645 v3.1.3",
            "did you mean",
        ],
    );
    assert_bad_input(
        |text| text.replacen("provision = \"5.1-3\"", "provision = \"five\"", 1),
        &[
            "].provision",
            "\"five\" is not a provision id",
            "for example 5.1-1",
        ],
    );
}

#[test]
fn unknown_category_names_key_and_fix() {
    assert_bad_input(
        |text| text.replace("category = \"wifi-router\"", "category = \"wifi-routr\""),
        &[
            "product.category",
            "unknown category \"wifi-routr\"",
            "did you mean \"wifi-router\"",
            "iotlabel catalog list categories",
        ],
    );
}

#[test]
fn a_level_above_four_names_key_and_fix() {
    assert_bad_input(
        |text| text.replace("level = 2                            # 1 to 4", "level = 5"),
        &[
            "target.level",
            "level 5 does not exist",
            "levels are 1 to 4",
        ],
    );
}

#[test]
fn a_date_in_the_wrong_format_names_key_and_fix() {
    assert_bad_input(
        |text| {
            text.replace(
                "support_period_end = 2030-12-31",
                "support_period_end = \"31/12/2030\"",
            )
        },
        &[
            "product.support_period_end",
            "\"31/12/2030\" is not a date",
            "YYYY-MM-DD",
        ],
    );
}

#[test]
fn a_missing_evidence_file_names_key_and_fix() {
    assert_bad_input(
        |text| text.replace("evidence/lab-review.md", "evidence/lab-reveiw.md"),
        &[
            "evidence[1].file",
            "lab-reveiw.md does not exist",
            "relative to the dossier's folder",
        ],
    );
}

#[test]
fn a_missing_dossier_and_broken_syntax_are_clear() {
    let output = iotlabel(&["assess", "no/such/dossier.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read dossier no/such/dossier.toml"),
        "{}",
        stderr(&output)
    );
    assert_bad_input(
        |text| text.replacen("[product]", "[product", 1),
        &["line ", "not valid TOML"],
    );
    assert_bad_input(
        |text| {
            text.replacen(
                "model = \"EX-AX3000\"",
                "model = \"EX-AX3000\"\ncolour = \"red\"",
                1,
            )
        },
        &["product", "unknown field `colour`"],
    );
}

#[test]
fn check_flag_sets_the_exit_code() {
    let path = example("wifi-router.toml");
    let output = iotlabel(&["assess", path.to_str().unwrap(), "--check"]);
    assert_eq!(output.status.code(), Some(0), "level 2 of target 2");
    let dir = tempfile::tempdir().unwrap();
    let path = broken_router(dir.path(), |text| {
        text.replace("level = 2                            # 1 to 4", "level = 3")
    });
    let output = iotlabel(&["assess", path.to_str().unwrap(), "--check"]);
    assert_eq!(output.status.code(), Some(1), "level 2 of target 3");
}

#[test]
fn psti_statement_fills_every_field_from_a_complete_dossier() {
    let output = iotlabel(&[
        "psti-statement",
        example("uk-psti-hub.toml").to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for value in [
        "Smart home hub (Zigbee and Thread to Wi-Fi gateway)",
        "EHH-200, all units from batch 2601 onwards",
        "Example Home Ltd",
        "1 Example Street, London EC1A 1AA, United Kingdom",
        "2029-03-31",
        "Alex Example",
        "Head of Product Security",
        "signed original held on file, reference SOC-EHH-200-2601",
        "London",
        "2026-01-20",
    ] {
        assert!(text.contains(value), "{value:?} missing from:\n{text}");
    }
    let html = iotlabel(&[
        "psti-statement",
        example("uk-psti-hub.toml").to_str().unwrap(),
        "--format",
        "html",
    ]);
    assert!(html.status.success());
    assert!(stdout(&html).contains("<html"));
}

#[test]
fn psti_statement_lists_exactly_the_missing_fields() {
    let text = std::fs::read_to_string(example("uk-psti-hub.toml")).unwrap();
    let edited = text
        .replace("signatory_name = \"Alex Example\"\n", "")
        .replace("place_of_issue = \"London\"\n", "")
        .replace(
            "declaration_confirmed = true",
            "declaration_confirmed = false",
        );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.toml");
    std::fs::write(&path, edited).unwrap();
    copy_dir(&example("evidence"), &dir.path().join("evidence"));
    let output = iotlabel(&["psti-statement", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    let keys: Vec<&str> = [
        "psti_statement.declaration_confirmed",
        "psti_statement.signatory_name",
        "psti_statement.place_of_issue",
    ]
    .to_vec();
    for key in &keys {
        assert!(message.contains(key), "{key} missing from: {message}");
    }
    for present in [
        "psti_statement.batch",
        "psti_statement.signature",
        "product.support_period_end",
        "psti_statement.date_of_issue",
    ] {
        assert!(
            !message.contains(present),
            "{present} is filled but listed: {message}"
        );
    }
    assert!(
        stdout(&output).is_empty(),
        "no statement is written when fields are missing"
    );
}

#[test]
fn catalog_commands_list_show_and_export() {
    let output = iotlabel(&["catalog", "list", "provisions"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output).lines().count(), 1 + 78);
    let output = iotlabel(&["catalog", "list", "provisions", "--edition", "v2.1.1"]);
    assert_eq!(stdout(&output).lines().count(), 1 + 68);
    assert!(stdout(&output).contains("5.6-4A, 5.6-4B"));
    let output = iotlabel(&["catalog", "show", "5.1-5"]);
    assert!(
        stdout(&output).contains("M C F (14, e)"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("needed for CLS(IoT) level(s): 1, 2, 3, 4"));
    let output = iotlabel(&["catalog", "show", "uk-psti-to-cls-l1"]);
    assert!(stdout(&output).contains("2026-01-01"));
    let output = iotlabel(&["catalog", "show", "wifi-routr"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean wifi-router"),
        "{}",
        stderr(&output)
    );

    let dir = tempfile::tempdir().unwrap();
    let output = iotlabel(&[
        "catalog",
        "export",
        "--format",
        "oscal",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in [
        "catalogs/en303645-v3.1.3/catalog.json",
        "catalogs/en303645-v2.1.1/catalog.json",
        "profiles/cls-iot-level-1/profile.json",
        "profiles/cls-iot-level-4/profile.json",
        "profiles/uk-psti/profile.json",
    ] {
        assert!(dir.path().join(file).is_file(), "{file} not written");
    }
}

#[test]
fn a_corrected_rules_directory_replaces_the_built_in_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = workspace().join("data");
    for sub in [
        "",
        "standards",
        "schemes",
        "regimes",
        "recognition",
        "markets",
    ] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(data.join(sub)).unwrap() {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "toml") {
                std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name())).unwrap();
            }
        }
    }
    // A scheme owner moves the Singapore level 2 date forward.
    let market = dir.path().join("markets/sg-wifi-routers.toml");
    let text = std::fs::read_to_string(&market)
        .unwrap()
        .replace("from = 2028-01-01", "from = 2027-07-01");
    std::fs::write(&market, text).unwrap();
    let output = iotlabel(&[
        "--catalog",
        dir.path().to_str().unwrap(),
        "catalog",
        "list",
        "markets",
    ]);
    assert!(
        stdout(&output).contains("from 2027-07-01: level 2"),
        "{}",
        stdout(&output)
    );
    // And a broken file is refused with file, key and reason.
    let text = std::fs::read_to_string(&market)
        .unwrap()
        .replace("needs_level = 2", "needs_level = 7");
    std::fs::write(&market, text).unwrap();
    let output = iotlabel(&["--catalog", dir.path().to_str().unwrap(), "catalog", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "data/markets/sg-wifi-routers.toml: phases[2].needs_level: level 7 is not defined"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn oscal_assessment_results_are_written() {
    let output = iotlabel(&[
        "assess",
        example("wifi-router.toml").to_str().unwrap(),
        "--format",
        "oscal",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(document.get("assessment-results").is_some());
}

#[test]
fn help_explains_the_commands() {
    let output = iotlabel(&["--help"]);
    let text = stdout(&output);
    for command in ["catalog", "assess", "psti-statement"] {
        assert!(text.contains(command));
    }
    let output = iotlabel(&["assess", "--help"]);
    assert!(stdout(&output).contains("--check"));
    assert!(stdout(&output).contains("Examples:"));
}
