//! Tests of the embedded catalog and of validation failures.

use std::collections::BTreeMap;

use super::*;

fn embedded() -> Catalog {
    match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(errors) => panic!("{errors}"),
    }
}

fn count_per_clause(standard: &Standard) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for provision in &standard.provisions {
        *counts.entry(provision.clause.clone()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn v3_1_3_has_all_78_provisions_per_clause() {
    let catalog = embedded();
    let v3 = catalog.standard_for_edition(Edition::V3_1_3).unwrap();
    assert_eq!(v3.provisions.len(), 78);
    let expected: BTreeMap<String, usize> = [
        ("5.0", 1),
        ("5.1", 6),
        ("5.2", 3),
        ("5.3", 19),
        ("5.4", 4),
        ("5.5", 8),
        ("5.6", 10),
        ("5.7", 2),
        ("5.8", 3),
        ("5.9", 3),
        ("5.10", 1),
        ("5.11", 4),
        ("5.12", 3),
        ("5.13", 2),
        ("6", 9),
    ]
    .into_iter()
    .map(|(clause, count)| (clause.to_owned(), count))
    .collect();
    assert_eq!(count_per_clause(v3), expected);
    let mandatory = v3
        .provisions
        .iter()
        .filter(|p| p.status.is_mandatory())
        .count();
    assert_eq!((mandatory, 78 - mandatory), (36, 42));
    // The source note counts 20 rows whose C/F annotation has no second source.
    assert_eq!(
        v3.provisions.iter().filter(|p| !p.status_confirmed).count(),
        20
    );
}

#[test]
fn v2_1_1_has_all_68_provisions_per_clause() {
    let catalog = embedded();
    let v2 = catalog.standard_for_edition(Edition::V2_1_1).unwrap();
    assert_eq!(v2.provisions.len(), 68);
    let expected: BTreeMap<String, usize> = [
        ("4", 1),
        ("5.1", 5),
        ("5.2", 3),
        ("5.3", 16),
        ("5.4", 4),
        ("5.5", 8),
        ("5.6", 9),
        ("5.7", 2),
        ("5.8", 3),
        ("5.9", 3),
        ("5.10", 1),
        ("5.11", 4),
        ("5.12", 3),
        ("5.13", 1),
        ("6", 5),
    ]
    .into_iter()
    .map(|(clause, count)| (clause.to_owned(), count))
    .collect();
    assert_eq!(count_per_clause(v2), expected);
    assert!(
        v2.provisions.iter().all(|p| !p.status_confirmed),
        "V2.1.1 has a single source"
    );
}

#[test]
fn edition_map_splits_and_renumbers() {
    let catalog = embedded();
    let v2 = catalog.standard_for_edition(Edition::V2_1_1).unwrap();
    let v3 = catalog.standard_for_edition(Edition::V3_1_3).unwrap();
    let map = |id: &str| -> Vec<String> {
        catalog
            .translate_provision(v2, v3, &id.parse().unwrap())
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(map("4-1"), ["5.0-1"]);
    assert_eq!(map("5.6-4"), ["5.6-4A", "5.6-4B"]);
    assert_eq!(map("5.3-4"), ["5.3-4A", "5.3-4B"]);
    assert_eq!(map("6-3"), ["6-3A", "6-3B"]);
    assert_eq!(map("5.1-1"), ["5.1-1"]);
    // Every V3.1.3 provision except the four new ones comes from a V2.1.1 provision.
    let mut reached: Vec<String> = v2
        .provisions
        .iter()
        .flat_map(|p| map(p.id.as_str()))
        .collect();
    reached.sort();
    reached.dedup();
    let new: Vec<&str> = v3
        .provisions
        .iter()
        .map(|p| p.id.as_str())
        .filter(|id| !reached.iter().any(|r| r == id))
        .collect();
    assert_eq!(new, ["5.1-2A", "6-6", "6-7", "6-8"]);
    // Backwards is not a translation.
    assert!(
        catalog
            .translate_provision(v3, v2, &"5.1-1".parse().unwrap())
            .is_none()
    );
}

#[test]
fn v2_ics_translates_to_v3() {
    let catalog = embedded();
    let v2 = catalog.standard_for_edition(Edition::V2_1_1).unwrap();
    let v3 = catalog.standard_for_edition(Edition::V3_1_3).unwrap();
    let (conditions, features) = catalog.translate_ics(v2, v3, &[1, 5, 12, 13], &[]).unwrap();
    assert_eq!(conditions, [12, 14, 15, 16]);
    for feature in ["a", "g", "q", "r", "c", "e"] {
        assert!(
            features.iter().any(|f| f == feature),
            "{feature} missing from {features:?}"
        );
    }
    assert!(
        !features.iter().any(|f| f == "b"),
        "condition 2 was not given"
    );
}

#[test]
fn annex_b_status_strings() {
    let catalog = embedded();
    let v3 = catalog.canonical_standard().unwrap();
    let status = |id: &str| v3.provision(&id.parse().unwrap()).unwrap().annex_b_status();
    assert_eq!(status("5.1-5"), "M C F (14, e)");
    assert_eq!(status("5.1-1"), "M F (a)");
    assert_eq!(status("5.3-8"), "M C (12)");
    assert_eq!(status("5.2-1"), "M");
    assert_eq!(status("6-7"), "R F (aa)");
}

#[test]
fn scheme_regime_arrangements_markets_and_categories_load() {
    let catalog = embedded();
    let cls = catalog.scheme("cls-iot").unwrap();
    assert_eq!(cls.levels.len(), 4);
    assert_eq!(cls.label.max_validity_years, 3);
    let psti = catalog.regime("uk-psti").unwrap();
    let requirement_ids: Vec<&str> = psti.requirements.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        requirement_ids,
        ["passwords", "vulnerability-reporting", "support-period"]
    );
    for id in [
        "cls-to-uk-psti",
        "uk-psti-to-cls-l1",
        "fi-traficom-to-cls",
        "de-bsi-to-cls",
        "kr-kisa-to-cls",
        "jp-jc-star-to-cls",
    ] {
        assert!(catalog.arrangement(id).is_some(), "{id}");
    }
    assert_eq!(catalog.market("sg-wifi-routers").unwrap().phases.len(), 3);
    for id in [
        "wifi-router",
        "ip-camera",
        "smart-lock",
        "iot-hub",
        "smart-speaker",
        "smart-lighting",
        "alarm-system",
        "ev-charger",
    ] {
        assert!(catalog.category(id).is_some(), "{id}");
    }
}

fn sources_with(path: &str, edit: impl Fn(&str) -> String) -> Vec<DataSource> {
    EMBEDDED
        .iter()
        .map(|(p, text)| DataSource {
            path: (*p).to_owned(),
            text: if *p == path {
                edit(text)
            } else {
                (*text).to_owned()
            },
        })
        .collect()
}

fn errors_for(path: &str, edit: impl Fn(&str) -> String) -> Vec<CatalogError> {
    match Catalog::from_sources(&sources_with(path, edit)) {
        Ok(_) => panic!("the edited catalog should be invalid"),
        Err(CatalogErrors(errors)) => errors,
    }
}

#[test]
fn duplicate_provision_ids_are_named() {
    let errors = errors_for("standards/en303645-v3.1.3.toml", |text| {
        text.replacen("id = \"5.1-2\"\n", "id = \"5.1-1\"\n", 1)
    });
    assert!(
        errors
            .iter()
            .any(|e| e.file == "data/standards/en303645-v3.1.3.toml"
                && e.key.starts_with("provisions[")
                && e.reason.contains("duplicate provision id 5.1-1")),
        "{errors:?}"
    );
}

#[test]
fn unresolved_references_are_named() {
    let errors = errors_for("recognition/germany-bsi.toml", |text| {
        text.replace("\"smart-lock\", ", "\"smart-lok\", ")
    });
    assert!(
        errors
            .iter()
            .any(|e| e.file == "data/recognition/germany-bsi.toml"
                && e.key.ends_with("excluded_categories")
                && e.reason.contains("smart-lok")),
        "{errors:?}"
    );
    let errors = errors_for("standards/en303645-v2.1.1.toml", |text| {
        text.replace(
            "maps_to = [\"5.6-4A\", \"5.6-4B\"]",
            "maps_to = [\"5.6-4C\"]",
        )
    });
    assert!(
        errors
            .iter()
            .any(|e| e.reason.contains("5.6-4C is not a provision")),
        "{errors:?}"
    );
}

#[test]
fn dates_out_of_order_are_named() {
    let errors = errors_for("recognition/finland-traficom.toml", |text| {
        text.replacen(
            "effective_until = 2025-07-31",
            "effective_until = 2020-01-01",
            1,
        )
    });
    assert!(
        errors
            .iter()
            .any(|e| e.key.ends_with("effective_until")
                && e.reason.contains("before effective_from")),
        "{errors:?}"
    );
    let errors = errors_for("markets/sg-wifi-routers.toml", |text| {
        text.replace("from = 2028-01-01", "from = 2021-01-01")
    });
    assert!(
        errors.iter().any(|e| e.key == "phases[2].from"),
        "{errors:?}"
    );
}

#[test]
fn type_errors_name_file_and_key() {
    let errors = errors_for("schemes/cls-iot.toml", |text| {
        text.replace("max_validity_years = 3", "max_validity_years = \"three\"")
    });
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].file, "data/schemes/cls-iot.toml");
    assert_eq!(errors[0].key, "label.max_validity_years");
    let errors = errors_for("categories.toml", |text| {
        text.replace(
            "id = \"wifi-router\"",
            "id = \"wifi-router\"\ncolour = \"blue\"",
        )
    });
    assert!(
        errors[0].reason.contains("unknown field `colour`"),
        "{errors:?}"
    );
}

#[test]
fn unknown_files_are_refused() {
    let mut sources = sources_with("categories.toml", str::to_owned);
    sources.push(DataSource {
        path: "misc/notes.toml".into(),
        text: String::new(),
    });
    let errors = Catalog::from_sources(&sources).unwrap_err().0;
    assert!(errors[0].reason.contains("not a known rule file"));
}
