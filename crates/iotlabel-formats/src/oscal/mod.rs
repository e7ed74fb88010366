//! OSCAL 1.2.1 (JSON) export: one catalog per EN 303 645 edition, one profile per CLS(IoT)
//! level and for UK PSTI, and assessment results for an [`iotlabel_core::Assessment`].
//!
//! The files are laid out as a compliance-trestle workspace ([`export_all`]):
//! `catalogs/<standard-id>/catalog.json` and `profiles/<profile-name>/profile.json`, with each
//! profile importing its catalog by the relative href `../../catalogs/<standard-id>/catalog.json`.
//! Every UUID is a name-based (v5) UUID under [`UUID_NAMESPACE`], so the same rules give the same
//! files byte for byte, except for `last-modified`, which is the `generated` time given.

pub mod assessment_results;
pub mod catalog;
pub mod model;
pub mod profile;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use iotlabel_core::Catalog;

pub use assessment_results::assessment_results;
pub use catalog::catalog;
pub use profile::{level_profile, level_profile_name, regime_profile};

/// The OSCAL version every document declares.
pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of iotlabel's own property and part names (`ns` in OSCAL). OSCAL requires a
/// namespace on every name it does not define itself.
pub const IOTLABEL_NS: &str = "https://example.invalid/iotlabel/ns/oscal";

/// The namespace of every UUID iotlabel writes: `Uuid::new_v5(&UUID_NAMESPACE, name)` with a
/// stable name such as `catalog:en303645-v3.1.3`. Never change it: documents would change ids.
pub const UUID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a4e_9b3d_4c57_8e21_d0a9_53b7_1f64);

/// Why an OSCAL document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OscalError {
    #[error("the rules catalog has no standard \"{0}\"")]
    UnknownStandard(String),
    #[error("provision {provision} named by {referrer} is not in {standard}")]
    UnknownProvision {
        provision: String,
        standard: String,
        referrer: String,
    },
    #[error("profile {0} would select no control: OSCAL needs at least one")]
    EmptyProfile(String),
    #[error("the time {0} cannot be written as an RFC 3339 date-time")]
    Timestamp(String),
    #[error("could not serialise an OSCAL document: {0}")]
    Json(#[from] serde_json::Error),
}

/// The path of an edition's catalog in the export layout: `catalogs/<standard-id>/catalog.json`.
pub fn catalog_path(standard_id: &str) -> String {
    format!("catalogs/{standard_id}/catalog.json")
}

/// The path of a profile in the export layout: `profiles/<name>/profile.json`.
pub fn profile_path(profile_name: &str) -> String {
    format!("profiles/{profile_name}/profile.json")
}

/// The path of an assessment-results document in a trestle workspace:
/// `assessment-results/<name>/assessment-results.json`.
pub fn assessment_results_path(name: &str) -> String {
    format!("assessment-results/{name}/assessment-results.json")
}

/// The href by which a profile (two folders deep) imports an edition's catalog.
pub fn catalog_href_from_profile(standard_id: &str) -> String {
    format!("../../{}", catalog_path(standard_id))
}

/// Every catalog (one per edition) and every profile (one per level of each scheme, one per
/// regime) as `(path relative to the export root, JSON document)`, in a stable order.
pub fn export_all(
    catalog: &Catalog,
    generated: OffsetDateTime,
) -> Result<Vec<(String, serde_json::Value)>, OscalError> {
    let mut files = Vec::new();
    for standard in &catalog.standards {
        let document = self::catalog(catalog, standard, generated)?;
        files.push((catalog_path(&standard.id), serde_json::to_value(document)?));
    }
    for scheme in &catalog.schemes {
        for level in &scheme.levels {
            let document = level_profile(catalog, scheme, level, generated)?;
            files.push((
                profile_path(&level_profile_name(scheme, level)),
                serde_json::to_value(document)?,
            ));
        }
    }
    for regime in &catalog.regimes {
        let document = regime_profile(catalog, regime, generated)?;
        files.push((profile_path(&regime.id), serde_json::to_value(document)?));
    }
    Ok(files)
}

/// A deterministic UUID for `name`.
pub(crate) fn uuid_for(name: &str) -> Uuid {
    Uuid::new_v5(&UUID_NAMESPACE, name.as_bytes())
}

/// `time` as an RFC 3339 date-time with its offset, to the second.
pub(crate) fn timestamp(time: OffsetDateTime) -> Result<String, OscalError> {
    let whole_seconds = time.replace_nanosecond(0).unwrap_or(time);
    whole_seconds
        .format(&Rfc3339)
        .map_err(|_| OscalError::Timestamp(time.to_string()))
}

/// Midnight UTC at the start of `date`.
pub(crate) fn start_of_day(date: iotlabel_core::Date) -> Result<String, OscalError> {
    timestamp(date.as_time().midnight().assume_utc())
}

/// Text fit for an OSCAL title or property value: one line, no leading or trailing blanks, never
/// empty (`fallback` when nothing is left).
pub(crate) fn one_line(text: &str, fallback: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        fallback.to_owned()
    } else {
        joined
    }
}

/// An iotlabel property (in [`IOTLABEL_NS`]).
pub(crate) fn prop(name: &str, value: &str) -> model::Property {
    model::Property {
        name: name.to_owned(),
        ns: Some(IOTLABEL_NS.to_owned()),
        value: one_line(value, "none"),
        class: None,
        remarks: None,
    }
}

/// An OSCAL-defined property (no namespace), such as `label`.
pub(crate) fn oscal_prop(name: &str, value: &str) -> model::Property {
    model::Property {
        name: name.to_owned(),
        ns: None,
        value: one_line(value, "none"),
        class: None,
        remarks: None,
    }
}

/// Shared helpers for the crate's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use iotlabel_core::document::DocumentFormat;
    use iotlabel_core::engine::{EngineInput, assess};
    use iotlabel_core::{Assessment, Catalog, Dossier};

    /// The dossier in tests/data/dossier.toml.
    pub(crate) fn small_dossier() -> Dossier {
        Dossier::parse(
            include_str!("../../tests/data/dossier.toml"),
            DocumentFormat::Toml,
        )
        .unwrap()
    }

    /// The small dossier, assessed on its `assessed_on` date.
    pub(crate) fn small_assessment() -> Assessment {
        let catalog = Catalog::embedded().unwrap();
        let dossier = small_dossier();
        let on = dossier.assessed_on.unwrap();
        assess(
            &catalog,
            EngineInput {
                dossier: &dossier,
                reports: &[],
                on,
            },
        )
        .unwrap()
    }

    /// Fails when `value` holds an empty array anywhere: OSCAL forbids them.
    pub(crate) fn assert_no_empty_arrays(value: &serde_json::Value, path: &str) {
        match value {
            serde_json::Value::Array(items) => {
                assert!(!items.is_empty(), "empty array at {path}");
                for (index, item) in items.iter().enumerate() {
                    assert_no_empty_arrays(item, &format!("{path}[{index}]"));
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    assert_no_empty_arrays(item, &format!("{path}.{key}"));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_carry_an_offset_and_no_fraction() {
        let time = time::macros::datetime!(2026-01-02 03:04:05.678 +08:00);
        assert_eq!(timestamp(time).unwrap(), "2026-01-02T03:04:05+08:00");
        let utc = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(timestamp(utc).unwrap(), "2026-01-02T03:04:05Z");
    }

    #[test]
    fn one_line_collapses_blanks() {
        assert_eq!(one_line("  a\n b\tc ", "x"), "a b c");
        assert_eq!(one_line(" \n ", "x"), "x");
    }

    #[test]
    fn export_all_writes_every_catalog_and_profile() {
        let rules = Catalog::embedded().unwrap();
        let files = export_all(&rules, time::macros::datetime!(2026-01-01 00:00 UTC)).unwrap();
        let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "catalogs/en303645-v2.1.1/catalog.json",
                "catalogs/en303645-v3.1.3/catalog.json",
                "profiles/cls-iot-level-1/profile.json",
                "profiles/cls-iot-level-2/profile.json",
                "profiles/cls-iot-level-3/profile.json",
                "profiles/cls-iot-level-4/profile.json",
                "profiles/uk-psti/profile.json",
            ]
        );
        for (path, json) in &files {
            test_support::assert_no_empty_arrays(json, path);
        }
    }

    #[test]
    fn uuids_are_v5_and_stable() {
        let a = uuid_for("catalog:en303645-v3.1.3");
        assert_eq!(a.get_version_num(), 5);
        assert_eq!(a, uuid_for("catalog:en303645-v3.1.3"));
        assert_ne!(a, uuid_for("catalog:en303645-v2.1.1"));
    }
}
