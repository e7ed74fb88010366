//! Mutual-recognition arrangements between the scheme and partner schemes or regimes.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::dossier::EvidenceKind;

/// One data file of data/recognition: a partner and the arrangements with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecognitionFile {
    pub scheme: String,
    pub partner: Partner,
    pub arrangements: Vec<Arrangement>,
}

/// A partner scheme (a foreign label) or regime.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub country: String,
    pub kind: PartnerKind,
    /// The partner's label levels or grades, as written in dossiers.
    #[serde(default)]
    pub levels: Vec<String>,
    #[serde(skip)]
    pub source_file: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartnerKind {
    Label,
    Regime,
}

/// Which way recognition flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Partner label or compliance → a CLS level.
    Inbound,
    /// A CLS label → the partner's label or compliance.
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// What an inbound arrangement accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Accepts {
    /// Compliance with the partner regime, shown by a statement of compliance (UK PSTI).
    PstiCompliance,
    /// A current label of the partner scheme.
    ForeignLabel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewKind {
    None,
    Simplified,
    Reduced,
    Full,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrangement {
    pub id: String,
    pub direction: Direction,
    pub effective_from: Date,
    /// Last day the arrangement applies; absent while it is open-ended.
    #[serde(default)]
    pub effective_until: Option<Date>,
    /// Inbound only.
    #[serde(default)]
    pub accepts: Option<Accepts>,
    /// Inbound foreign-label arrangements: the partner levels accepted.
    #[serde(default)]
    pub partner_levels: Vec<String>,
    /// Inbound: the one CLS level granted. Outbound: the CLS levels that qualify.
    pub cls_levels: Vec<u8>,
    pub grants: String,
    pub review: ReviewKind,
    #[serde(default)]
    pub required_evidence: Vec<EvidenceKind>,
    #[serde(default)]
    pub excluded_categories: Vec<String>,
    #[serde(default)]
    pub scope_note: Option<String>,
    /// False where what the arrangement requires is our default, not a published rule.
    #[serde(default = "default_true")]
    pub requirements_confirmed: bool,
    #[serde(default)]
    pub sources: Vec<String>,
    /// Filled from the file: the partner and scheme this arrangement is with.
    #[serde(skip_deserializing)]
    pub partner: String,
    #[serde(skip_deserializing)]
    pub scheme: String,
    #[serde(skip)]
    pub source_file: String,
}

fn default_true() -> bool {
    true
}

impl Arrangement {
    /// Whether the arrangement is in effect on `date`.
    pub fn in_effect(&self, date: Date) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|until| date <= until)
    }

    /// The CLS level an inbound arrangement grants.
    pub fn granted_level(&self) -> Option<u8> {
        match self.direction {
            Direction::Inbound => self.cls_levels.first().copied(),
            Direction::Outbound => None,
        }
    }
}
