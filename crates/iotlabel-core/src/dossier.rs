//! The product dossier: the engine's input, written by a manufacturer or a lab as TOML or JSON.
//! See docs/contracts/dossier.md for every key and examples/ for complete dossiers.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::catalog::recognition::{Direction, PartnerKind};
use crate::date::Date;
use crate::document::{DocumentError, DocumentFormat, parse_document};
use crate::ids::{Edition, ProvisionId};

/// The route a dossier takes to a label: `standard`, or the id of an inbound recognition
/// arrangement (e.g. `uk-psti-to-cls-l1`).
pub const STANDARD_ROUTE: &str = "standard";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dossier {
    #[serde(default = "current_schema_version")]
    pub schema_version: u32,
    /// The date to assess on, for offline what-if runs. The registry ignores it and uses its
    /// own clock; the CLI uses it unless `--on` is given, and today's date when both are absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed_on: Option<Date>,
    /// The EN 303 645 edition the ICS and declarations are written in.
    #[serde(default = "default_edition")]
    pub standard_edition: Edition,
    pub product: Product,
    pub target: TargetLabel,
    /// Annex B conditions and features the product has; absent = the category's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ics: Option<Ics>,
    #[serde(default)]
    pub declarations: Vec<Declaration>,
    #[serde(default)]
    pub evidence: Vec<EvidenceItem>,
    /// Fields of a UK PSTI statement of compliance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psti_statement: Option<PstiStatement>,
}

fn current_schema_version() -> u32 {
    crate::SCHEMA_VERSION
}

fn default_edition() -> Edition {
    Edition::V3_1_3
}

fn default_route() -> String {
    STANDARD_ROUTE.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub manufacturer: String,
    pub name: String,
    pub model: String,
    /// A category id from data/categories.toml.
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// The last day of the defined security-update support period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_period_end: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_disclosure_url: Option<String>,
    /// When the model was first placed on the market (market rules for new models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_introduction: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetLabel {
    pub scheme: String,
    pub level: u8,
    #[serde(default = "default_route")]
    pub route: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ics {
    #[serde(default)]
    pub conditions: Vec<u32>,
    #[serde(default)]
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeclarationStatus {
    Supported,
    NotSupported,
    NotApplicable,
}

impl DeclarationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationStatus::Supported => "supported",
            DeclarationStatus::NotSupported => "not-supported",
            DeclarationStatus::NotApplicable => "not-applicable",
        }
    }
}

/// The manufacturer's ICS answer for one provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    pub provision: ProvisionId,
    pub status: DeclarationStatus,
    /// How the provision is implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Why it is not applicable or not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Ids of `[[evidence]]` items supporting the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// The kinds of evidence a dossier can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// An `iotlabel scan` JSON report (file required).
    ScanReport,
    /// An `iotlabel probe` JSON report (file required).
    ProbeReport,
    /// A test lab's report: `lab`, `report`, `verdict`, `issued_on`.
    LabReport,
    /// A software bill of materials.
    Sbom,
    /// The manufacturer's signed Declaration of Conformity.
    DeclarationOfConformity,
    /// Any other supporting document.
    SupportingDocument,
    /// A label of a partner scheme: `scheme`, `level`, `label_id`, `valid_until`.
    ForeignLabel,
    /// A CLS(IoT) label the product already holds: `level`, `label_id`, `valid_until`, `status`.
    ClsLabel,
    /// A signed UK PSTI statement of compliance.
    PstiStatement,
    /// Evidence of a vulnerability disclosure process conforming to ISO/IEC 29147.
    #[serde(rename = "iso-29147-conformance")]
    Iso29147Conformance,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::ScanReport => "scan-report",
            EvidenceKind::ProbeReport => "probe-report",
            EvidenceKind::LabReport => "lab-report",
            EvidenceKind::Sbom => "sbom",
            EvidenceKind::DeclarationOfConformity => "declaration-of-conformity",
            EvidenceKind::SupportingDocument => "supporting-document",
            EvidenceKind::ForeignLabel => "foreign-label",
            EvidenceKind::ClsLabel => "cls-label",
            EvidenceKind::PstiStatement => "psti-statement",
            EvidenceKind::Iso29147Conformance => "iso-29147-conformance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabReportKind {
    /// Review of the manufacturer's declaration (levels 1-2, since 2025-04-01).
    ConformityReview,
    /// Assessment of the software binaries (level 3).
    BinaryAnalysis,
    /// Structured penetration test (level 4).
    PenetrationTest,
}

impl LabReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LabReportKind::ConformityReview => "conformity-review",
            LabReportKind::BinaryAnalysis => "binary-analysis",
            LabReportKind::PenetrationTest => "penetration-test",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabVerdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeldLabelStatus {
    Valid,
    Suspended,
    Revoked,
}

/// A label level written as a number (CLS) or a name (a partner's grade).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LabelLevel {
    Number(u8),
    Name(String),
}

impl LabelLevel {
    pub fn as_text(&self) -> String {
        match self {
            LabelLevel::Number(number) => number.to_string(),
            LabelLevel::Name(name) => name.clone(),
        }
    }
}

/// One piece of evidence. Which keys apply depends on `kind`; [`Dossier::validate`] says
/// what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceItem {
    pub id: String,
    pub kind: EvidenceKind,
    /// Path relative to the dossier's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// lab-report: the lab's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<String>,
    /// lab-report: what the lab did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<LabReportKind>,
    /// lab-report: the overall verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<LabVerdict>,
    /// lab-report, foreign-label, cls-label, declaration-of-conformity: date of issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<Date>,
    /// lab-report: per-provision verdicts, e.g. `{ "5.1-1" = "pass" }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub provisions: BTreeMap<ProvisionId, LabVerdict>,
    /// foreign-label: the partner scheme id (e.g. `de-bsi-itsk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// foreign-label: the partner's level name; cls-label: the CLS level number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LabelLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    /// cls-label: the label's current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<HeldLabelStatus>,
}

/// The fields of a UK PSTI statement of compliance that the product table does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PstiStatement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_representative: Option<String>,
    /// The manufacturer confirms the statement is made by or for it and the requirements are met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration_confirmed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory_function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_of_issue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_issue: Option<Date>,
}

impl Dossier {
    /// Parses a dossier. Shape errors (a wrong type, an unknown key, a malformed date or
    /// provision id) name the key; [`Dossier::validate`] then checks it against the catalog.
    pub fn parse(text: &str, format: DocumentFormat) -> Result<Dossier, DocumentError> {
        parse_document(text, format)
    }

    /// The evidence item with this id.
    pub fn evidence_item(&self, id: &str) -> Option<&EvidenceItem> {
        self.evidence.iter().find(|item| item.id == id)
    }

    /// Checks every reference against the catalog. Returns every problem, each naming its key
    /// and the fix.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), Vec<DocumentError>> {
        let mut problems = Vec::new();
        let mut report = |key: String, message: String| {
            problems.push(DocumentError {
                key,
                line: None,
                message,
            })
        };
        if self.schema_version != crate::SCHEMA_VERSION {
            report(
                "schema_version".into(),
                format!(
                    "version {} is not supported: this iotlabel reads version {}",
                    self.schema_version,
                    crate::SCHEMA_VERSION
                ),
            );
        }
        let Some(standard) = catalog.standard_for_edition(self.standard_edition) else {
            report(
                "standard_edition".into(),
                format!(
                    "the catalog has no standard for edition {}",
                    self.standard_edition
                ),
            );
            return Err(problems);
        };

        // Product.
        if catalog.category(&self.product.category).is_none() {
            let hint = Catalog::closest(
                &self.product.category,
                catalog.categories.iter().map(|c| c.id.as_str()),
            )
            .map(|near| format!("did you mean \"{near}\"? "))
            .unwrap_or_default();
            report(
                "product.category".into(),
                format!(
                    "unknown category \"{}\": {hint}use one of {} (see `iotlabel catalog list categories`)",
                    self.product.category,
                    catalog
                        .categories
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        for (key, value) in [
            ("product.manufacturer", &self.product.manufacturer),
            ("product.name", &self.product.name),
            ("product.model", &self.product.model),
        ] {
            if value.trim().is_empty() {
                report(key.into(), "must not be empty".into());
            }
        }

        // Target.
        match catalog.scheme(&self.target.scheme) {
            None => report(
                "target.scheme".into(),
                format!(
                    "unknown scheme \"{}\": use one of {}",
                    self.target.scheme,
                    catalog
                        .schemes
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some(scheme) => {
                let max = scheme.max_level();
                if self.target.level == 0 || self.target.level > max {
                    report(
                        "target.level".into(),
                        format!(
                            "level {} does not exist: {} levels are 1 to {max}",
                            self.target.level, scheme.short_name
                        ),
                    );
                }
                if self.target.route != STANDARD_ROUTE {
                    let routes: Vec<&str> = std::iter::once(STANDARD_ROUTE)
                        .chain(
                            catalog
                                .arrangements
                                .iter()
                                .filter(|a| {
                                    a.scheme == scheme.id && a.direction == Direction::Inbound
                                })
                                .map(|a| a.id.as_str()),
                        )
                        .collect();
                    if !routes.contains(&self.target.route.as_str()) {
                        report(
                            "target.route".into(),
                            format!(
                                "unknown route \"{}\": use one of {}",
                                self.target.route,
                                routes.join(", ")
                            ),
                        );
                    }
                }
            }
        }

        // ICS.
        if let Some(ics) = &self.ics {
            for (index, condition) in ics.conditions.iter().enumerate() {
                if standard.condition(*condition).is_none() {
                    report(
                        format!("ics.conditions[{index}]"),
                        format!(
                            "{} has no condition {condition}: its conditions are {}",
                            standard.id,
                            standard
                                .conditions
                                .iter()
                                .map(|c| c.id.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            for (index, feature) in ics.features.iter().enumerate() {
                if standard.feature(feature).is_none() {
                    let known = if standard.features.is_empty() {
                        format!("{} has no lettered features; use conditions", standard.id)
                    } else {
                        format!(
                            "its features are {}",
                            standard
                                .features
                                .iter()
                                .map(|f| f.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    report(
                        format!("ics.features[{index}]"),
                        format!("unknown feature \"{feature}\": {known}"),
                    );
                }
            }
        }

        // Evidence items.
        let mut evidence_ids = HashSet::new();
        for (index, item) in self.evidence.iter().enumerate() {
            let key = |field: &str| format!("evidence[{index}].{field}");
            if item.id.trim().is_empty() {
                report(
                    key("id"),
                    "every evidence item needs an id that declarations can refer to".into(),
                );
            } else if !evidence_ids.insert(item.id.as_str()) {
                report(
                    key("id"),
                    format!(
                        "duplicate evidence id \"{}\": give each item its own id",
                        item.id
                    ),
                );
            }
            let mut need = |present: bool, field: &str, what: &str| {
                if !present {
                    report(
                        key(field),
                        format!("a {} item needs `{field}` ({what})", item.kind.as_str()),
                    );
                }
            };
            match item.kind {
                EvidenceKind::ScanReport | EvidenceKind::ProbeReport => {
                    need(
                        item.file.is_some(),
                        "file",
                        "the JSON report written by iotlabel scan/probe",
                    );
                }
                EvidenceKind::LabReport => {
                    need(item.lab.is_some(), "lab", "the approved test lab's name");
                    need(
                        item.report.is_some(),
                        "report",
                        "conformity-review, binary-analysis or penetration-test",
                    );
                    need(item.verdict.is_some(), "verdict", "pass or fail");
                    need(
                        item.issued_on.is_some(),
                        "issued_on",
                        "the report's date, YYYY-MM-DD",
                    );
                    for provision in item.provisions.keys() {
                        if standard.provision(provision).is_none() {
                            report(key("provisions"), unknown_provision(standard, provision));
                        }
                    }
                }
                EvidenceKind::ForeignLabel => {
                    need(
                        item.scheme.is_some(),
                        "scheme",
                        "the partner scheme id, e.g. de-bsi-itsk",
                    );
                    need(
                        item.level.is_some(),
                        "level",
                        "the partner's level or grade",
                    );
                    need(
                        item.issued_on.is_some(),
                        "issued_on",
                        "the label's date of issue",
                    );
                    if let Some(scheme) = &item.scheme {
                        match catalog
                            .partner(scheme)
                            .filter(|p| p.kind == PartnerKind::Label)
                        {
                            None => report(
                                key("scheme"),
                                format!(
                                    "unknown partner scheme \"{scheme}\": use one of {}",
                                    catalog
                                        .partners
                                        .iter()
                                        .filter(|p| p.kind == PartnerKind::Label)
                                        .map(|p| p.id.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ),
                            Some(partner) => {
                                if let Some(level) = &item.level
                                    && !partner.levels.contains(&level.as_text())
                                {
                                    report(
                                        key("level"),
                                        format!(
                                            "\"{}\" is not a level of {}: use one of {}",
                                            level.as_text(),
                                            partner.id,
                                            partner.levels.join(", ")
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
                EvidenceKind::ClsLabel => {
                    need(
                        item.label_id.is_some(),
                        "label_id",
                        "the registration id, e.g. CSA/311228/000123",
                    );
                    need(
                        item.valid_until.is_some(),
                        "valid_until",
                        "the label's expiry date",
                    );
                    match &item.level {
                        Some(LabelLevel::Number(1..=4)) => {}
                        Some(other) => report(
                            key("level"),
                            format!(
                                "\"{}\" is not a CLS level: write 1, 2, 3 or 4",
                                other.as_text()
                            ),
                        ),
                        None => report(
                            key("level"),
                            "a cls-label item needs `level` (1 to 4)".into(),
                        ),
                    }
                }
                EvidenceKind::Sbom
                | EvidenceKind::DeclarationOfConformity
                | EvidenceKind::SupportingDocument
                | EvidenceKind::PstiStatement
                | EvidenceKind::Iso29147Conformance => {
                    need(
                        item.file.is_some() || item.title.is_some(),
                        "file",
                        "the document, or at least a title naming it",
                    );
                }
            }
        }

        // Declarations.
        let mut declared = HashSet::new();
        for (index, declaration) in self.declarations.iter().enumerate() {
            if standard.provision(&declaration.provision).is_none() {
                report(
                    format!("declarations[{index}].provision"),
                    unknown_provision(standard, &declaration.provision),
                );
            } else if !declared.insert(&declaration.provision) {
                report(
                    format!("declarations[{index}].provision"),
                    format!(
                        "{} is declared twice: keep one declaration per provision",
                        declaration.provision
                    ),
                );
            }
            for (e, reference) in declaration.evidence.iter().enumerate() {
                if !evidence_ids.contains(reference.as_str()) {
                    report(
                        format!("declarations[{index}].evidence[{e}]"),
                        format!(
                            "no [[evidence]] item has id \"{reference}\": add one or fix the reference"
                        ),
                    );
                }
            }
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn unknown_provision(standard: &crate::catalog::Standard, id: &ProvisionId) -> String {
    let hint = Catalog::closest(
        id.as_str(),
        standard.provisions.iter().map(|p| p.id.as_str()),
    )
    .map(|near| format!(" (did you mean {near}?)"))
    .unwrap_or_default();
    format!(
        "{id} is not a provision of EN 303 645 {}{hint}: check standard_edition and `iotlabel catalog list provisions --edition {}`",
        standard.edition, standard.edition
    )
}
