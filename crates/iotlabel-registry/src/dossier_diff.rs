//! What changed between two dossiers (for the assessor's "diff between submissions"): product,
//! target, edition, ICS and PSTI statement fields, the dossier's evidence items, and per
//! provision the declaration's status, detail, rationale and evidence references. Pure: no
//! catalog, no I/O. The order is stable: fields in dossier order, evidence items by id,
//! provisions in the standard's natural order (`5.2-1` before `5.10-1`).
//!
//! A dossier that declares a provision (or an evidence id) twice is refused by
//! `Dossier::validate`; should one be compared anyway, its first declaration counts. Provision
//! ids are compared as written: a change of `standard_edition` shows as the edition field plus
//! provisions removed and added. `assessed_on` is not compared (the registry ignores it).

use std::collections::{BTreeMap, BTreeSet};

use iotlabel_core::Dossier;
use iotlabel_core::dossier::{Declaration, DeclarationStatus, EvidenceItem, PstiStatement};
use iotlabel_core::ids::ProvisionId;
use serde::Serialize;
use serde_json::Value;

/// Everything that differs; empty when the dossiers say the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DossierDiff {
    /// Edition, product, target, ICS and PSTI statement fields, in dossier order.
    pub fields: Vec<FieldChange>,
    /// The dossier's `[[evidence]]` items, by id.
    pub evidence: Vec<EvidenceChange>,
    /// The declarations, by provision in natural order.
    pub provisions: Vec<ProvisionChange>,
}

impl DossierDiff {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.evidence.is_empty() && self.provisions.is_empty()
    }

    /// How many changes in all.
    pub fn len(&self) -> usize {
        self.fields.len() + self.evidence.len() + self.provisions.len()
    }
}

/// A field with its value before and after (`None`: absent), as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The key path, e.g. `product.firmware_version`, `ics.features`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A change to one `[[evidence]]` item of the dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum EvidenceChange {
    Added {
        id: String,
        kind: String,
    },
    Removed {
        id: String,
        kind: String,
    },
    /// The item's keys that differ (`file`, `verdict`, `provisions`, ...), by key.
    Changed {
        id: String,
        fields: Vec<FieldChange>,
    },
}

/// One change to the declaration of one provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionChange {
    pub provision: ProvisionId,
    #[serde(flatten)]
    pub change: DeclarationChange,
}

/// What changed in a declaration. For one provision they come in this order: added or
/// removed (alone), else status, detail, rationale, evidence removed, evidence added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum DeclarationChange {
    Added {
        status: DeclarationStatus,
    },
    Removed {
        status: DeclarationStatus,
    },
    StatusChanged {
        before: DeclarationStatus,
        after: DeclarationStatus,
    },
    DetailChanged {
        before: Option<String>,
        after: Option<String>,
    },
    RationaleChanged {
        before: Option<String>,
        after: Option<String>,
    },
    EvidenceRemoved {
        evidence: String,
    },
    EvidenceAdded {
        evidence: String,
    },
}

/// The changes from `before` to `after`.
pub fn diff(before: &Dossier, after: &Dossier) -> DossierDiff {
    DossierDiff {
        fields: field_changes(before, after),
        evidence: evidence_changes(&before.evidence, &after.evidence),
        provisions: declaration_changes(&before.declarations, &after.declarations),
    }
}

fn push_change(
    changes: &mut Vec<FieldChange>,
    field: &str,
    before: Option<String>,
    after: Option<String>,
) {
    if before != after {
        changes.push(FieldChange {
            field: field.to_owned(),
            before,
            after,
        });
    }
}

fn text<T: ToString>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

/// A list compared as a set: sorted, de-duplicated, comma-separated.
fn set_text<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ")
}

fn field_changes(before: &Dossier, after: &Dossier) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    push_change(
        &mut changes,
        "schema_version",
        Some(before.schema_version.to_string()),
        Some(after.schema_version.to_string()),
    );
    push_change(
        &mut changes,
        "standard_edition",
        Some(before.standard_edition.to_string()),
        Some(after.standard_edition.to_string()),
    );
    let (a, b) = (&before.product, &after.product);
    let product: [(&str, Option<String>, Option<String>); 9] = [
        (
            "product.manufacturer",
            Some(a.manufacturer.clone()),
            Some(b.manufacturer.clone()),
        ),
        ("product.name", Some(a.name.clone()), Some(b.name.clone())),
        (
            "product.model",
            Some(a.model.clone()),
            Some(b.model.clone()),
        ),
        (
            "product.category",
            Some(a.category.clone()),
            Some(b.category.clone()),
        ),
        (
            "product.hardware_version",
            a.hardware_version.clone(),
            b.hardware_version.clone(),
        ),
        (
            "product.firmware_version",
            a.firmware_version.clone(),
            b.firmware_version.clone(),
        ),
        (
            "product.support_period_end",
            text(&a.support_period_end),
            text(&b.support_period_end),
        ),
        (
            "product.vulnerability_disclosure_url",
            a.vulnerability_disclosure_url.clone(),
            b.vulnerability_disclosure_url.clone(),
        ),
        (
            "product.market_introduction",
            text(&a.market_introduction),
            text(&b.market_introduction),
        ),
    ];
    for (field, old, new) in product {
        push_change(&mut changes, field, old, new);
    }
    let (a, b) = (&before.target, &after.target);
    push_change(
        &mut changes,
        "target.scheme",
        Some(a.scheme.clone()),
        Some(b.scheme.clone()),
    );
    push_change(
        &mut changes,
        "target.level",
        Some(a.level.to_string()),
        Some(b.level.to_string()),
    );
    push_change(
        &mut changes,
        "target.route",
        Some(a.route.clone()),
        Some(b.route.clone()),
    );
    // An absent ICS means "the category's defaults": shown as absent, not as empty lists.
    push_change(
        &mut changes,
        "ics.conditions",
        before.ics.as_ref().map(|ics| set_text(&ics.conditions)),
        after.ics.as_ref().map(|ics| set_text(&ics.conditions)),
    );
    push_change(
        &mut changes,
        "ics.features",
        before.ics.as_ref().map(|ics| set_text(&ics.features)),
        after.ics.as_ref().map(|ics| set_text(&ics.features)),
    );
    let empty = PstiStatement::default();
    let a = before.psti_statement.as_ref().unwrap_or(&empty);
    let b = after.psti_statement.as_ref().unwrap_or(&empty);
    let statement: [(&str, Option<String>, Option<String>); 10] = [
        (
            "psti_statement.product_type",
            a.product_type.clone(),
            b.product_type.clone(),
        ),
        ("psti_statement.batch", a.batch.clone(), b.batch.clone()),
        (
            "psti_statement.manufacturer_address",
            a.manufacturer_address.clone(),
            b.manufacturer_address.clone(),
        ),
        (
            "psti_statement.authorised_representative",
            a.authorised_representative.clone(),
            b.authorised_representative.clone(),
        ),
        (
            "psti_statement.declaration_confirmed",
            text(&a.declaration_confirmed),
            text(&b.declaration_confirmed),
        ),
        (
            "psti_statement.signatory_name",
            a.signatory_name.clone(),
            b.signatory_name.clone(),
        ),
        (
            "psti_statement.signatory_function",
            a.signatory_function.clone(),
            b.signatory_function.clone(),
        ),
        (
            "psti_statement.signature",
            a.signature.clone(),
            b.signature.clone(),
        ),
        (
            "psti_statement.place_of_issue",
            a.place_of_issue.clone(),
            b.place_of_issue.clone(),
        ),
        (
            "psti_statement.date_of_issue",
            text(&a.date_of_issue),
            text(&b.date_of_issue),
        ),
    ];
    for (field, old, new) in statement {
        push_change(&mut changes, field, old, new);
    }
    changes
}

/// An evidence item's keys as text (strings bare, everything else as JSON), by key.
fn item_fields(item: &EvidenceItem) -> BTreeMap<String, String> {
    let Ok(Value::Object(map)) = serde_json::to_value(item) else {
        return BTreeMap::new();
    };
    map.into_iter()
        .filter(|(key, _)| key != "id")
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (key, text)
        })
        .collect()
}

fn by_id(items: &[EvidenceItem]) -> BTreeMap<&str, &EvidenceItem> {
    let mut map = BTreeMap::new();
    for item in items {
        map.entry(item.id.as_str()).or_insert(item);
    }
    map
}

fn evidence_changes(before: &[EvidenceItem], after: &[EvidenceItem]) -> Vec<EvidenceChange> {
    let (old, new) = (by_id(before), by_id(after));
    let ids: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut changes = Vec::new();
    for id in ids {
        match (old.get(id), new.get(id)) {
            (Some(item), None) => changes.push(EvidenceChange::Removed {
                id: id.to_owned(),
                kind: item.kind.as_str().to_owned(),
            }),
            (None, Some(item)) => changes.push(EvidenceChange::Added {
                id: id.to_owned(),
                kind: item.kind.as_str().to_owned(),
            }),
            (Some(a), Some(b)) if a != b => {
                let (a, b) = (item_fields(a), item_fields(b));
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                let mut fields = Vec::new();
                for key in keys {
                    push_change(&mut fields, key, a.get(key).cloned(), b.get(key).cloned());
                }
                changes.push(EvidenceChange::Changed {
                    id: id.to_owned(),
                    fields,
                });
            }
            _ => {}
        }
    }
    changes
}

fn by_provision(declarations: &[Declaration]) -> BTreeMap<&ProvisionId, &Declaration> {
    let mut map = BTreeMap::new();
    for declaration in declarations {
        map.entry(&declaration.provision).or_insert(declaration);
    }
    map
}

fn declaration_changes(before: &[Declaration], after: &[Declaration]) -> Vec<ProvisionChange> {
    let (old, new) = (by_provision(before), by_provision(after));
    let provisions: BTreeSet<&ProvisionId> = old.keys().chain(new.keys()).copied().collect();
    let mut changes = Vec::new();
    for provision in provisions {
        let mut push = |change: DeclarationChange| {
            changes.push(ProvisionChange {
                provision: provision.clone(),
                change,
            });
        };
        let (a, b) = match (old.get(provision), new.get(provision)) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => {
                push(DeclarationChange::Removed { status: a.status });
                continue;
            }
            (None, Some(b)) => {
                push(DeclarationChange::Added { status: b.status });
                continue;
            }
            (None, None) => continue,
        };
        if a.status != b.status {
            push(DeclarationChange::StatusChanged {
                before: a.status,
                after: b.status,
            });
        }
        if a.detail != b.detail {
            push(DeclarationChange::DetailChanged {
                before: a.detail.clone(),
                after: b.detail.clone(),
            });
        }
        if a.rationale != b.rationale {
            push(DeclarationChange::RationaleChanged {
                before: a.rationale.clone(),
                after: b.rationale.clone(),
            });
        }
        let old_refs: BTreeSet<&String> = a.evidence.iter().collect();
        let new_refs: BTreeSet<&String> = b.evidence.iter().collect();
        for evidence in old_refs.difference(&new_refs) {
            push(DeclarationChange::EvidenceRemoved {
                evidence: (*evidence).clone(),
            });
        }
        for evidence in new_refs.difference(&old_refs) {
            push(DeclarationChange::EvidenceAdded {
                evidence: (*evidence).clone(),
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotlabel_core::document::DocumentFormat;

    const BASE: &str = r#"
schema_version = 1
standard_edition = "v3.1.3"

[product]
manufacturer = "Example Networks Pte Ltd"
name = "Router"
model = "EX-1"
category = "wifi-router"
firmware_version = "1.0.0"

[target]
scheme = "cls-iot"
level = 2

[ics]
conditions = [12, 14]
features = ["a", "b"]

[[evidence]]
id = "doc"
kind = "declaration-of-conformity"
file = "doc.md"

[[evidence]]
id = "lab"
kind = "lab-report"
lab = "Example Lab"
report = "conformity-review"
verdict = "pass"

[[declarations]]
provision = "5.1-1"
status = "supported"
detail = "unique passwords"
evidence = ["doc"]

[[declarations]]
provision = "5.2-1"
status = "supported"
detail = "a disclosure policy"

[[declarations]]
provision = "5.10-1"
status = "not-applicable"
rationale = "no telemetry"
"#;

    fn parse(text: &str) -> Dossier {
        Dossier::parse(text, DocumentFormat::Toml).unwrap()
    }

    fn base() -> Dossier {
        parse(BASE)
    }

    #[test]
    fn identical_dossiers_have_an_empty_diff() {
        let d = diff(&base(), &base());
        assert!(d.is_empty());
        assert_eq!(d.len(), 0);
        assert_eq!(d, DossierDiff::default());
        // The same declarations in another order are the same dossier for the diff.
        let mut shuffled = base();
        shuffled.declarations.reverse();
        shuffled.evidence.reverse();
        shuffled.ics.as_mut().unwrap().features.reverse();
        assert!(diff(&base(), &shuffled).is_empty());
    }

    #[test]
    fn product_target_and_ics_fields_in_dossier_order() {
        let mut after = base();
        after.product.firmware_version = Some("1.0.1".into());
        after.product.hardware_version = Some("B".into());
        after.product.name = "Router Pro".into();
        after.target.level = 3;
        after.ics.as_mut().unwrap().features.push("c".into());
        let d = diff(&base(), &after);
        let fields: Vec<&str> = d.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "product.name",
                "product.hardware_version",
                "product.firmware_version",
                "target.level",
                "ics.features"
            ]
        );
        assert_eq!(d.fields[1].before, None);
        assert_eq!(d.fields[1].after.as_deref(), Some("B"));
        assert_eq!(d.fields[2].before.as_deref(), Some("1.0.0"));
        assert_eq!(d.fields[4].after.as_deref(), Some("a, b, c"));
        assert!(d.provisions.is_empty() && d.evidence.is_empty());
        // Dropping the ICS (back to the category's defaults) shows as absent.
        let mut no_ics = base();
        no_ics.ics = None;
        let d = diff(&base(), &no_ics);
        assert_eq!(d.fields.len(), 2);
        assert_eq!(d.fields[0].after, None);
    }

    #[test]
    fn declaration_changes_per_provision_in_natural_order() {
        let mut after = base();
        // 5.10-1: status and rationale change; 5.1-1: evidence swapped; 5.2-1 removed; 5.3-1 added.
        let d510 = after
            .declarations
            .iter_mut()
            .find(|d| d.provision.as_str() == "5.10-1")
            .unwrap();
        d510.status = DeclarationStatus::Supported;
        d510.rationale = None;
        d510.detail = Some("telemetry is opt-in".into());
        let d51 = after
            .declarations
            .iter_mut()
            .find(|d| d.provision.as_str() == "5.1-1")
            .unwrap();
        d51.evidence = vec!["lab".into()];
        after
            .declarations
            .retain(|d| d.provision.as_str() != "5.2-1");
        after.declarations.push(Declaration {
            provision: "5.3-1".parse().unwrap(),
            status: DeclarationStatus::NotSupported,
            detail: None,
            rationale: Some("no updates yet".into()),
            evidence: Vec::new(),
        });
        let d = diff(&base(), &after);
        let summary: Vec<(String, &DeclarationChange)> = d
            .provisions
            .iter()
            .map(|c| (c.provision.to_string(), &c.change))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "5.1-1".to_owned(),
                    &DeclarationChange::EvidenceRemoved {
                        evidence: "doc".into()
                    }
                ),
                (
                    "5.1-1".to_owned(),
                    &DeclarationChange::EvidenceAdded {
                        evidence: "lab".into()
                    }
                ),
                (
                    "5.2-1".to_owned(),
                    &DeclarationChange::Removed {
                        status: DeclarationStatus::Supported
                    }
                ),
                (
                    "5.3-1".to_owned(),
                    &DeclarationChange::Added {
                        status: DeclarationStatus::NotSupported
                    }
                ),
                (
                    "5.10-1".to_owned(),
                    &DeclarationChange::StatusChanged {
                        before: DeclarationStatus::NotApplicable,
                        after: DeclarationStatus::Supported
                    }
                ),
                (
                    "5.10-1".to_owned(),
                    &DeclarationChange::DetailChanged {
                        before: None,
                        after: Some("telemetry is opt-in".into())
                    }
                ),
                (
                    "5.10-1".to_owned(),
                    &DeclarationChange::RationaleChanged {
                        before: Some("no telemetry".into()),
                        after: None
                    }
                ),
            ]
        );
        // The reverse diff mirrors it: added becomes removed and the other way round.
        let back = diff(&after, &base());
        assert_eq!(back.len(), d.len());
        assert!(
            back.provisions
                .iter()
                .any(|c| c.provision.as_str() == "5.2-1"
                    && matches!(c.change, DeclarationChange::Added { .. }))
        );
    }

    #[test]
    fn evidence_items_added_removed_and_changed() {
        let mut after = base();
        after.evidence.retain(|item| item.id != "doc");
        let lab = after.evidence.iter_mut().find(|i| i.id == "lab").unwrap();
        lab.verdict = Some(iotlabel_core::dossier::LabVerdict::Fail);
        lab.file = Some("lab.pdf".into());
        let mut sbom = lab.clone();
        sbom.id = "sbom".into();
        sbom.kind = iotlabel_core::dossier::EvidenceKind::Sbom;
        after.evidence.push(sbom);
        let d = diff(&base(), &after);
        assert_eq!(d.evidence.len(), 3);
        assert_eq!(
            d.evidence[0],
            EvidenceChange::Removed {
                id: "doc".into(),
                kind: "declaration-of-conformity".into()
            }
        );
        let EvidenceChange::Changed { id, fields } = &d.evidence[1] else {
            panic!("{:?}", d.evidence[1]);
        };
        assert_eq!(id, "lab");
        let keys: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(keys, ["file", "verdict"]);
        assert_eq!(fields[1].before.as_deref(), Some("pass"));
        assert_eq!(fields[1].after.as_deref(), Some("fail"));
        assert!(
            matches!(&d.evidence[2], EvidenceChange::Added { id, kind } if id == "sbom" && kind == "sbom")
        );
    }

    #[test]
    fn the_diff_serialises_for_pages_and_the_api() {
        let mut after = base();
        after.declarations.truncate(1);
        after.product.model = "EX-2".into();
        let json = serde_json::to_value(diff(&base(), &after)).unwrap();
        assert_eq!(json["fields"][0]["field"], "product.model");
        assert_eq!(json["provisions"][0]["provision"], "5.2-1");
        assert_eq!(json["provisions"][0]["change"], "removed");
        assert_eq!(json["provisions"][0]["status"], "supported");
        assert_eq!(json["provisions"][1]["provision"], "5.10-1");
    }
}
