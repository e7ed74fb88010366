//! EN 303 645 editions as data: clauses, Annex B conditions and features, provisions, and the
//! map from an older edition to its successor.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::ids::{Edition, ProvisionId};

/// Whether a provision is a requirement ("shall") or a recommendation ("should").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Obligation {
    /// Mandatory.
    M,
    /// Recommendation.
    R,
}

impl Obligation {
    pub fn is_mandatory(self) -> bool {
        self == Obligation::M
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Obligation::M => "M",
            Obligation::R => "R",
        }
    }
}

/// One edition of the standard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub id: String,
    pub edition: Edition,
    pub title: String,
    pub published: Date,
    pub url: String,
    /// The id of the edition that replaced this one; provisions then carry `maps_to`.
    #[serde(default)]
    pub successor: Option<String>,
    #[serde(default)]
    pub ics_translation: Option<IcsTranslation>,
    pub clauses: Vec<Clause>,
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub features: Vec<Feature>,
    pub provisions: Vec<Provision>,
    /// The data file this edition was read from (for error messages).
    #[serde(skip)]
    pub source_file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub id: String,
    pub title: String,
}

/// A numbered Annex B condition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub id: u32,
    pub summary: String,
    /// For an edition with a successor: the successor's conditions this one stands for.
    #[serde(default)]
    pub successor_conditions: Vec<u32>,
    /// For an edition with a successor: the successor's features this one stands for.
    #[serde(default)]
    pub successor_features: Vec<String>,
}

/// A lettered Annex B feature, capability or mechanism (V3.1.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub id: String,
    pub summary: String,
}

/// How an ICS of this edition becomes an ICS of its successor, beyond the per-condition map.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcsTranslation {
    #[serde(default)]
    pub assume_present_conditions: Vec<u32>,
    #[serde(default)]
    pub assume_present_features: Vec<String>,
}

/// One provision.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub id: ProvisionId,
    pub clause: String,
    pub status: Obligation,
    /// Annex B conditions that must all hold for the provision to apply.
    #[serde(default)]
    pub conditions: Vec<u32>,
    /// Annex B features that must all be present for the provision to apply.
    #[serde(default)]
    pub features: Vec<String>,
    /// iotlabel's own paraphrase; never ETSI text.
    pub summary: String,
    /// Whether two independent sources agree on the whole status string.
    pub status_confirmed: bool,
    /// Which sources give the status, and any disagreement.
    pub status_sources: String,
    /// For an edition with a successor: the successor's provisions this one became.
    #[serde(default)]
    pub maps_to: Vec<ProvisionId>,
}

impl Provision {
    /// The status as Annex B writes it: `M`, `R C (12)`, `M F (a)`, `M C F (14, e)`.
    pub fn annex_b_status(&self) -> String {
        let mut status = self.status.as_str().to_owned();
        if self.conditions.is_empty() && self.features.is_empty() {
            return status;
        }
        if !self.conditions.is_empty() {
            status.push_str(" C");
        }
        if !self.features.is_empty() {
            status.push_str(" F");
        }
        let parts: Vec<String> = self
            .conditions
            .iter()
            .map(u32::to_string)
            .chain(self.features.iter().cloned())
            .collect();
        status.push_str(&format!(" ({})", parts.join(", ")));
        status
    }

    /// Whether the provision applies to a product with these Annex B answers.
    pub fn applies(&self, conditions: &[u32], features: &[String]) -> bool {
        self.conditions.iter().all(|c| conditions.contains(c))
            && self.features.iter().all(|f| features.contains(f))
    }
}

impl Standard {
    pub fn provision(&self, id: &ProvisionId) -> Option<&Provision> {
        self.provisions.iter().find(|provision| &provision.id == id)
    }

    pub fn condition(&self, id: u32) -> Option<&Condition> {
        self.conditions.iter().find(|condition| condition.id == id)
    }

    pub fn feature(&self, id: &str) -> Option<&Feature> {
        self.features.iter().find(|feature| feature.id == id)
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|clause| clause.id == id)
    }

    /// Provisions per clause, in the order of the clauses.
    pub fn provisions_in_clause<'a>(
        &'a self,
        clause: &'a str,
    ) -> impl Iterator<Item = &'a Provision> + 'a {
        self.provisions
            .iter()
            .filter(move |provision| provision.clause == clause)
    }
}
