//! A legal regime (UK PSTI) as data: its requirements, deemed-compliance routes, excepted
//! products and statement-of-compliance fields.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::dossier::EvidenceKind;
use crate::ids::ProvisionId;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub country: String,
    pub in_force_from: Date,
    /// The edition of EN 303 645 (catalog id) the provision ids below are written in.
    pub standard: String,
    pub url: String,
    pub requirements: Vec<RegimeRequirement>,
    #[serde(default)]
    pub label_routes: Vec<LabelRoute>,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    #[serde(default)]
    pub statement_fields: Vec<StatementField>,
    #[serde(skip)]
    pub source_file: String,
}

/// One security requirement and how it can be met.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeRequirement {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// Met when all of these provisions pass (or do not apply).
    #[serde(default)]
    pub deemed_by_provisions: Vec<ProvisionId>,
    /// Met when the dossier holds one of these documents.
    #[serde(default)]
    pub deemed_by_documents: Vec<EvidenceKind>,
    /// Not a legal route, but iotlabel's evidence that the requirement is met.
    #[serde(default)]
    pub evidenced_by_provisions: Vec<ProvisionId>,
    /// Dossier keys (see [`crate::psti_statement::KNOWN_KEYS`]) that must hold a value for the
    /// provision route to count, e.g. `product.support_period_end`.
    #[serde(default)]
    pub requires_dossier_keys: Vec<String>,
}

/// A label that, while current, meets every requirement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRoute {
    /// A scheme id (`cls-iot`) or a recognition partner id (`jp-jc-star`).
    pub scheme: String,
    pub from: Date,
    /// For a scheme with numbered levels: the lowest that counts.
    #[serde(default)]
    pub min_level: Option<u8>,
    /// For a partner label: the levels that count.
    #[serde(default)]
    pub levels: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub id: String,
    pub summary: String,
}

/// A field of the statement of compliance and where the dossier holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementField {
    pub id: String,
    pub label: String,
    pub key: String,
    pub required: bool,
}

impl Regime {
    pub fn exception(&self, id: &str) -> Option<&Exception> {
        self.exceptions.iter().find(|exception| exception.id == id)
    }
}
