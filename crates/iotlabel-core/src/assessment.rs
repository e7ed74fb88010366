//! The assessment: the engine's output. Field names follow design.md ("Assessment JSON");
//! docs/contracts/assessment.md documents every field.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::ids::{Edition, ProvisionId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub schema_version: u32,
    pub assessed_on: Date,
    pub product: ProductSummary,
    pub scheme: SchemeRef,
    /// The edition the verdicts are given in (the scheme's).
    pub standard_edition: Edition,
    /// The edition the dossier was written in; translated through the edition map when older.
    pub dossier_edition: Edition,
    pub target_level: u8,
    pub route: String,
    /// 0 when no level is met.
    pub level_attained: u8,
    pub provisions: Vec<ProvisionVerdict>,
    /// What stands between the attained level and the target (at least the next level).
    pub blocking: Vec<Blocking>,
    pub psti: PstiStatus,
    pub recognition: Vec<RecognitionOutcome>,
    pub market_access: Vec<MarketAccess>,
    /// The validity a label would have if issued on `assessed_on`; absent when no label can be
    /// issued (see `label_refused`).
    pub label: Option<LabelValidity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_refused: Option<String>,
    /// Facts about how the assessment was made (category defaults used, edition translated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSummary {
    pub manufacturer: String,
    pub name: String,
    pub model: String,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeRef {
    pub id: String,
    pub specification_version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    NotApplicable,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotApplicable => "not-applicable",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// Whether the verdict lets a level that needs the provision through.
    pub fn satisfies(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::NotApplicable)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionVerdict {
    pub id: ProvisionId,
    /// The Annex B status, e.g. `M F (a)`.
    pub status: String,
    /// Whether the provision applies to the product per its ICS.
    pub applicable: bool,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// Evidence an assessment used: a finding (by fingerprint) or a dossier evidence item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EvidenceRef {
    Finding {
        fingerprint: String,
        check: String,
        /// The dossier evidence item (a scan or probe report) it came from.
        source: String,
    },
    File {
        /// The dossier evidence item id.
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocking {
    pub level: u8,
    /// A provision id, or a requirement id such as `lab-binary-analysis`.
    pub item: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PstiStatus {
    pub in_scope: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excepted_because: Option<String>,
    pub compliant: bool,
    pub requirements: Vec<PstiRequirementStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PstiRequirementStatus {
    /// `passwords`, `vulnerability-reporting` or `support-period`.
    pub id: String,
    pub met: bool,
    /// The route that satisfies it, when met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Why it is not met, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecognitionOutcome {
    pub arrangement: String,
    pub direction: String,
    pub applies: bool,
    /// What the arrangement gives when it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketAccess {
    pub market: String,
    pub rule: String,
    pub allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_level: Option<u8>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelValidity {
    pub level: u8,
    pub valid_from: Date,
    pub valid_until: Date,
    /// What set `valid_until`: `support-period-end` or `maximum-validity`.
    pub limited_by: String,
}
