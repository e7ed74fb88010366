//! Market-access rules: which products need which label level to be sold, from when.

use serde::{Deserialize, Serialize};

use crate::date::Date;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketRule {
    pub id: String,
    pub market: String,
    pub market_name: String,
    pub scheme: String,
    pub authority: String,
    pub categories: Vec<String>,
    pub summary: String,
    /// In date order; the latest phase that has started is in force.
    pub phases: Vec<Phase>,
    #[serde(skip)]
    pub source_file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub from: Date,
    pub applies_to: AppliesTo,
    pub needs_level: u8,
    pub summary: String,
    #[serde(default = "default_true")]
    pub confirmed: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppliesTo {
    /// Models first placed on the market on or after the phase start.
    NewModels,
    AllModels,
}

impl MarketRule {
    /// The phase in force on `date` for a model first placed on the market on `introduced`
    /// (unknown: treated as new, the stricter reading).
    pub fn phase_on(&self, date: Date, introduced: Option<Date>) -> Option<&Phase> {
        self.phases.iter().rev().find(|phase| {
            phase.from <= date
                && match phase.applies_to {
                    AppliesTo::AllModels => true,
                    AppliesTo::NewModels => {
                        introduced.is_none_or(|introduced| introduced >= phase.from)
                    }
                }
        })
    }
}
