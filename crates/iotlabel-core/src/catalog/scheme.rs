//! A labelling scheme (CLS(IoT)) as data: its specification, levels, reviews and label rules.

use serde::{Deserialize, Serialize};

use crate::catalog::standard::Obligation;
use crate::date::Date;
use crate::dossier::{EvidenceKind, LabReportKind};
use crate::ids::ProvisionId;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub owner: String,
    pub country: String,
    pub url: String,
    pub launched: Date,
    pub specification: Specification,
    pub label: LabelRules,
    pub reviews: Vec<Review>,
    pub levels: Vec<Level>,
    #[serde(skip)]
    pub source_file: String,
}

/// The versioned scheme specification the levels come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Specification {
    pub document: String,
    pub version: String,
    pub published: Date,
    /// The standard (catalog id) the levels are assessed against.
    pub standard: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRules {
    /// See [`crate::label_id`] for the placeholders.
    pub registration_id_format: String,
    pub max_validity_years: u32,
    pub validity_rule: String,
}

/// Who reviews applications for some levels over a period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub levels: Vec<u8>,
    #[serde(default)]
    pub from: Option<Date>,
    #[serde(default)]
    pub until: Option<Date>,
    pub reviewer: Reviewer,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reviewer {
    SchemeOwner,
    ApprovedLab,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub level: u8,
    pub name: String,
    pub summary: String,
    /// False where the provision set is our default rather than the scheme owner's published list.
    pub provisions_confirmed: bool,
    pub provisions: ProvisionSelection,
    #[serde(default)]
    pub requirements: Vec<LevelRequirement>,
}

/// Which provisions a level needs: every provision of `status` in `clauses` (all clauses when
/// absent) that applies to the product, plus `include`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionSelection {
    pub status: Obligation,
    #[serde(default)]
    pub clauses: Option<Vec<String>>,
    #[serde(default)]
    pub include: Vec<ProvisionId>,
}

/// Evidence a level needs beyond passing provisions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRequirement {
    pub id: String,
    pub evidence: EvidenceKind,
    #[serde(default)]
    pub lab_report: Option<LabReportKind>,
    /// The requirement applies to assessments on or after this date.
    #[serde(default)]
    pub from: Option<Date>,
    pub summary: String,
}

impl Scheme {
    pub fn level(&self, level: u8) -> Option<&Level> {
        self.levels.iter().find(|l| l.level == level)
    }

    pub fn max_level(&self) -> u8 {
        self.levels.iter().map(|l| l.level).max().unwrap_or(0)
    }

    /// The reviews in force for `level` on `date`.
    pub fn reviews_for(&self, level: u8, date: Date) -> impl Iterator<Item = &Review> {
        self.reviews.iter().filter(move |review| {
            review.levels.contains(&level)
                && review.from.is_none_or(|from| from <= date)
                && review.until.is_none_or(|until| date <= until)
        })
    }
}

impl ProvisionSelection {
    /// Whether a provision of `clause` with `status` is selected.
    pub fn selects(&self, id: &ProvisionId, status: Obligation) -> bool {
        if self.include.contains(id) {
            return true;
        }
        status == self.status
            && self
                .clauses
                .as_ref()
                .is_none_or(|clauses| clauses.iter().any(|clause| clause == id.clause()))
    }
}
