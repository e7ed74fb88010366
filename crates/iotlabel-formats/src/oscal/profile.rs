//! OSCAL profiles: one per level of a labelling scheme (CLS(IoT) levels 1 to 4) and one per legal
//! regime (UK PSTI), each importing its EN 303 645 catalog by a relative href.
//!
//! A level profile selects every provision of the scheme's standard that the level's
//! [`ProvisionSelection`](iotlabel_core::catalog::scheme::ProvisionSelection) selects, before ICS
//! applicability: which of them apply to a given product is decided per product by its Annex B
//! answers. A regime profile selects the provisions its requirements are deemed met or evidenced
//! by, and marks each with the requirement it serves.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use iotlabel_core::catalog::regime::Regime;
use iotlabel_core::catalog::scheme::{Level, Scheme};
use iotlabel_core::{Catalog, ProvisionId};

use super::model::{
    Add, Alter, Import, Link, Merge, Metadata, Modify, Profile, ProfileDocument, Property,
    SelectControl,
};
use super::{
    IOTLABEL_NS, OSCAL_VERSION, OscalError, catalog_href_from_profile, one_line, prop, timestamp,
    uuid_for,
};

/// The profile name (and folder) of a scheme level: `cls-iot-level-1`.
pub fn level_profile_name(scheme: &Scheme, level: &Level) -> String {
    format!("{}-level-{}", scheme.id, level.level)
}

/// The profile of one level of `scheme`.
pub fn level_profile(
    catalog: &Catalog,
    scheme: &Scheme,
    level: &Level,
    generated: OffsetDateTime,
) -> Result<ProfileDocument, OscalError> {
    let name = level_profile_name(scheme, level);
    let standard_id = &scheme.specification.standard;
    let standard = catalog
        .standard(standard_id)
        .ok_or_else(|| OscalError::UnknownStandard(standard_id.clone()))?;
    let with_ids: Vec<String> = standard
        .provisions
        .iter()
        .filter(|provision| level.provisions.selects(&provision.id, provision.status))
        .map(|provision| provision.id.oscal_id())
        .collect();
    if with_ids.is_empty() {
        return Err(OscalError::EmptyProfile(name));
    }

    let selection = &level.provisions;
    let clauses = match &selection.clauses {
        Some(clauses) => format!("in clauses {}", clauses.join(", ")),
        None => "in every clause".to_owned(),
    };
    let mut selection_text = format!(
        "every provision of status {} {clauses} of EN 303 645 {}",
        selection.status.as_str(),
        standard.edition
    );
    if !selection.include.is_empty() {
        let included: Vec<&str> = selection.include.iter().map(ProvisionId::as_str).collect();
        selection_text.push_str(&format!(", and {}", included.join(", ")));
    }
    let mut remarks = format!(
        "{}\n\nSelected: {selection_text}. The selection is made before applicability: a \
         provision whose Annex B conditions or features the product does not have does not apply \
         to it.",
        level.summary.trim()
    );
    if !level.provisions_confirmed {
        remarks.push_str(
            "\n\nThis provision set is iotlabel's default, not the scheme owner's published list.",
        );
    }
    if !level.requirements.is_empty() {
        remarks.push_str("\n\nThe level also needs:\n");
        for requirement in &level.requirements {
            remarks.push_str(&format!(
                "\n- {}: {}",
                requirement.id,
                one_line(&requirement.summary, "no summary")
            ));
            if let Some(from) = requirement.from {
                remarks.push_str(&format!(" (for assessments from {from})"));
            }
        }
    }

    let mut props = vec![
        prop("scheme", &scheme.id),
        prop("level", &level.level.to_string()),
        prop("standard-id", &standard.id),
        prop(
            "provisions-confirmed",
            if level.provisions_confirmed {
                "true"
            } else {
                "false"
            },
        ),
    ];
    props.extend(
        level
            .requirements
            .iter()
            .map(|requirement| prop("level-requirement", &requirement.id)),
    );

    let metadata = Metadata {
        title: one_line(
            &format!(
                "{} {}: EN 303 645 {} provisions",
                scheme.short_name, level.name, standard.edition
            ),
            &name,
        ),
        published: None,
        last_modified: timestamp(generated)?,
        version: one_line(
            &format!(
                "{} v{}",
                scheme.specification.document, scheme.specification.version
            ),
            "1",
        ),
        oscal_version: OSCAL_VERSION.to_owned(),
        props,
        links: vec![Link {
            href: scheme.url.clone(),
            rel: Some("reference".into()),
            media_type: None,
            text: Some(one_line(&scheme.name, &scheme.id)),
        }],
        remarks: Some(remarks),
    };

    Ok(ProfileDocument {
        profile: Profile {
            uuid: uuid_for(&format!("profile:{name}")),
            metadata,
            imports: vec![Import {
                href: catalog_href_from_profile(&standard.id),
                include_controls: vec![SelectControl { with_ids }],
            }],
            merge: Some(Merge { as_is: true }),
            modify: None,
        },
    })
}

/// The profile of a legal regime (UK PSTI): the provisions named by its requirements'
/// `deemed_by_provisions` and `evidenced_by_provisions`, in the regime's edition, each marked
/// with `regime-requirement` properties naming the requirement and the route (`deemed-by` or
/// `evidenced-by`, as the property's class).
pub fn regime_profile(
    catalog: &Catalog,
    regime: &Regime,
    generated: OffsetDateTime,
) -> Result<ProfileDocument, OscalError> {
    let standard = catalog
        .standard(&regime.standard)
        .ok_or_else(|| OscalError::UnknownStandard(regime.standard.clone()))?;

    // Provision → the (requirement, route) pairs it serves, in the standard's order.
    let mut served: BTreeMap<ProvisionId, Vec<Property>> = BTreeMap::new();
    for requirement in &regime.requirements {
        let routes = [
            ("deemed-by", &requirement.deemed_by_provisions),
            ("evidenced-by", &requirement.evidenced_by_provisions),
        ];
        for (route, provisions) in routes {
            for id in provisions {
                if standard.provision(id).is_none() {
                    return Err(OscalError::UnknownProvision {
                        provision: id.to_string(),
                        standard: standard.id.clone(),
                        referrer: format!("{} requirement {}", regime.id, requirement.id),
                    });
                }
                served.entry(id.clone()).or_default().push(Property {
                    name: "regime-requirement".into(),
                    ns: Some(IOTLABEL_NS.into()),
                    value: one_line(&requirement.id, "requirement"),
                    class: Some(route.into()),
                    remarks: None,
                });
            }
        }
    }
    if served.is_empty() {
        return Err(OscalError::EmptyProfile(regime.id.clone()));
    }
    let with_ids = served.keys().map(ProvisionId::oscal_id).collect();
    let alters = served
        .into_iter()
        .map(|(id, props)| Alter {
            control_id: id.oscal_id(),
            adds: vec![Add {
                position: "ending".into(),
                props,
            }],
        })
        .collect();

    let mut remarks = format!(
        "The EN 303 645 {} provisions by which {} security requirements are met. A provision \
         marked deemed-by is a legal route: the requirement is deemed met when all such \
         provisions pass or do not apply. One marked evidenced-by is iotlabel's evidence, not a \
         legal route.\n\nRequirements:\n",
        standard.edition, regime.short_name
    );
    for requirement in &regime.requirements {
        remarks.push_str(&format!(
            "\n- {} ({}): {}",
            one_line(&requirement.name, &requirement.id),
            requirement.id,
            one_line(&requirement.summary, "no summary")
        ));
        if !requirement.deemed_by_documents.is_empty() {
            let documents: Vec<&str> = requirement
                .deemed_by_documents
                .iter()
                .map(|kind| kind.as_str())
                .collect();
            remarks.push_str(&format!(
                " Also deemed met by a document: {}.",
                documents.join(", ")
            ));
        }
    }

    let mut props = vec![
        prop("regime", &regime.id),
        prop("standard-id", &standard.id),
        prop("in-force-from", &regime.in_force_from.to_string()),
    ];
    props.extend(
        regime
            .requirements
            .iter()
            .map(|requirement| prop("regime-requirement", &requirement.id)),
    );

    let metadata = Metadata {
        title: one_line(
            &format!(
                "{}: EN 303 645 {} provisions",
                regime.short_name, standard.edition
            ),
            &regime.id,
        ),
        published: None,
        last_modified: timestamp(generated)?,
        version: regime.in_force_from.to_string(),
        oscal_version: OSCAL_VERSION.to_owned(),
        props,
        links: vec![Link {
            href: regime.url.clone(),
            rel: Some("reference".into()),
            media_type: None,
            text: Some(one_line(&regime.name, &regime.id)),
        }],
        remarks: Some(remarks),
    };

    Ok(ProfileDocument {
        profile: Profile {
            uuid: uuid_for(&format!("profile:{}", regime.id)),
            metadata,
            imports: vec![Import {
                href: catalog_href_from_profile(&standard.id),
                include_controls: vec![SelectControl { with_ids }],
            }],
            merge: Some(Merge { as_is: true }),
            modify: Some(Modify { alters }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> OffsetDateTime {
        time::macros::datetime!(2026-01-01 00:00 UTC)
    }

    fn ids(document: &ProfileDocument) -> Vec<String> {
        document.profile.imports[0].include_controls[0]
            .with_ids
            .clone()
    }

    #[test]
    fn level_1_selects_the_mandatory_provisions_of_5_1_to_5_3() {
        let rules = Catalog::embedded().unwrap();
        let scheme = rules.scheme("cls-iot").unwrap();
        let document =
            level_profile(&rules, scheme, scheme.level(1).unwrap(), generated()).unwrap();
        let ids = ids(&document);
        assert!(ids.contains(&"p5.1-1".to_owned()));
        assert!(
            !ids.contains(&"p5.1-2a".to_owned()),
            "5.1-2A is a recommendation"
        );
        assert!(ids.iter().all(|id| id.starts_with("p5.1-")
            || id.starts_with("p5.2-")
            || id.starts_with("p5.3-")));
        assert_eq!(
            document.profile.imports[0].href,
            "../../catalogs/en303645-v3.1.3/catalog.json"
        );
    }

    #[test]
    fn level_2_selects_every_mandatory_provision() {
        let rules = Catalog::embedded().unwrap();
        let scheme = rules.scheme("cls-iot").unwrap();
        let standard = rules.standard(&scheme.specification.standard).unwrap();
        let mandatory = standard
            .provisions
            .iter()
            .filter(|p| p.status.is_mandatory())
            .count();
        let document =
            level_profile(&rules, scheme, scheme.level(2).unwrap(), generated()).unwrap();
        assert_eq!(ids(&document).len(), mandatory);
    }

    #[test]
    fn uk_psti_profile() {
        let rules = Catalog::embedded().unwrap();
        let regime = rules.regime("uk-psti").unwrap();
        let document = regime_profile(&rules, regime, generated()).unwrap();
        assert_eq!(ids(&document), ["p5.1-1", "p5.1-2", "p5.2-1", "p5.3-13"]);
        assert_eq!(
            document.profile.imports[0].href,
            "../../catalogs/en303645-v2.1.1/catalog.json"
        );
        let json = serde_json::to_value(&document).unwrap();
        crate::oscal::test_support::assert_no_empty_arrays(&json, "$");
        insta::assert_json_snapshot!("uk_psti_profile", json);
    }

    #[test]
    fn cls_level_1_profile_snapshot() {
        let rules = Catalog::embedded().unwrap();
        let scheme = rules.scheme("cls-iot").unwrap();
        let document =
            level_profile(&rules, scheme, scheme.level(1).unwrap(), generated()).unwrap();
        let json = serde_json::to_value(&document).unwrap();
        crate::oscal::test_support::assert_no_empty_arrays(&json, "$");
        insta::assert_json_snapshot!("cls_iot_level_1_profile", json);
    }
}
