//! Product categories and the defaults a user expects for each.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoriesFile {
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// A UK PSTI Schedule 3 exception id, when products of this category are excepted.
    #[serde(default)]
    pub psti_exception: Option<String>,
    /// False for products the scheme does not label (general-purpose computing).
    #[serde(default = "default_true")]
    pub cls_in_scope: bool,
    /// Typical Annex B (V3.1.3) answers for the category.
    #[serde(default)]
    pub ics_conditions: Vec<u32>,
    #[serde(default)]
    pub ics_features: Vec<String>,
}

fn default_true() -> bool {
    true
}
