//! The rules catalog: standards, schemes, regimes, recognition arrangements, market rules and
//! product categories, read from the TOML files under data/ and validated as a whole.
//!
//! The files are embedded in the binary ([`Catalog::embedded`]); a scheme owner can load a
//! corrected copy of the same layout instead ([`Catalog::from_sources`]).

pub mod category;
pub mod market;
pub mod recognition;
pub mod regime;
pub mod scheme;
pub mod standard;
mod validate;

use std::fmt;

use crate::document::{DocumentFormat, parse_document};
use crate::ids::{Edition, ProvisionId};

pub use category::Category;
pub use market::MarketRule;
pub use recognition::{Arrangement, Direction, Partner};
pub use regime::Regime;
pub use scheme::Scheme;
pub use standard::{Obligation, Provision, Standard};

/// One rule file: its path relative to the data directory, and its text.
#[derive(Debug, Clone)]
pub struct DataSource {
    pub path: String,
    pub text: String,
}

/// The data files compiled into the binary. Adding a rule file = one line here.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "categories.toml",
        include_str!("../../../../data/categories.toml"),
    ),
    (
        "standards/en303645-v2.1.1.toml",
        include_str!("../../../../data/standards/en303645-v2.1.1.toml"),
    ),
    (
        "standards/en303645-v3.1.3.toml",
        include_str!("../../../../data/standards/en303645-v3.1.3.toml"),
    ),
    (
        "schemes/cls-iot.toml",
        include_str!("../../../../data/schemes/cls-iot.toml"),
    ),
    (
        "regimes/uk-psti.toml",
        include_str!("../../../../data/regimes/uk-psti.toml"),
    ),
    (
        "recognition/uk-psti.toml",
        include_str!("../../../../data/recognition/uk-psti.toml"),
    ),
    (
        "recognition/finland-traficom.toml",
        include_str!("../../../../data/recognition/finland-traficom.toml"),
    ),
    (
        "recognition/germany-bsi.toml",
        include_str!("../../../../data/recognition/germany-bsi.toml"),
    ),
    (
        "recognition/korea-kisa.toml",
        include_str!("../../../../data/recognition/korea-kisa.toml"),
    ),
    (
        "recognition/japan-jc-star.toml",
        include_str!("../../../../data/recognition/japan-jc-star.toml"),
    ),
    (
        "markets/sg-wifi-routers.toml",
        include_str!("../../../../data/markets/sg-wifi-routers.toml"),
    ),
];

/// A problem in a rule file: which file, which key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.key, self.reason)
        }
    }
}

/// Every problem found while loading the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogErrors(pub Vec<CatalogError>);

impl fmt::Display for CatalogErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the rules catalog is invalid ({} problem(s)):",
            self.0.len()
        )?;
        for error in &self.0 {
            writeln!(f, "  {error}")?;
        }
        Ok(())
    }
}

/// The validated rules.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub standards: Vec<Standard>,
    pub schemes: Vec<Scheme>,
    pub regimes: Vec<Regime>,
    pub partners: Vec<Partner>,
    pub arrangements: Vec<Arrangement>,
    pub markets: Vec<MarketRule>,
    pub categories: Vec<Category>,
    pub categories_file: String,
}

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn embedded() -> Result<Catalog, CatalogErrors> {
        let sources: Vec<DataSource> = EMBEDDED
            .iter()
            .map(|(path, text)| DataSource {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        Catalog::from_sources(&sources)
    }

    /// The paths of the embedded data files, relative to data/.
    pub fn embedded_paths() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(path, _)| *path)
    }

    /// Reads and validates a set of rule files laid out as under data/: `categories.toml`,
    /// `standards/*.toml`, `schemes/*.toml`, `regimes/*.toml`, `recognition/*.toml`,
    /// `markets/*.toml`.
    pub fn from_sources(sources: &[DataSource]) -> Result<Catalog, CatalogErrors> {
        let mut catalog = Catalog::default();
        let mut errors = Vec::new();
        for source in sources {
            let file = format!("data/{}", source.path);
            let format = DocumentFormat::from_file_name(&source.path);
            let folder = source.path.split_once('/').map(|(folder, _)| folder);
            let result = match (folder, source.path.as_str()) {
                (None, "categories.toml") => {
                    parse_document::<category::CategoriesFile>(&source.text, format).map(|parsed| {
                        catalog.categories.extend(parsed.categories);
                        catalog.categories_file = file.clone();
                    })
                }
                (Some("standards"), _) => {
                    parse_document::<Standard>(&source.text, format).map(|mut standard| {
                        standard.source_file = file.clone();
                        catalog.standards.push(standard);
                    })
                }
                (Some("schemes"), _) => {
                    parse_document::<Scheme>(&source.text, format).map(|mut scheme| {
                        scheme.source_file = file.clone();
                        catalog.schemes.push(scheme);
                    })
                }
                (Some("regimes"), _) => {
                    parse_document::<Regime>(&source.text, format).map(|mut regime| {
                        regime.source_file = file.clone();
                        catalog.regimes.push(regime);
                    })
                }
                (Some("recognition"), _) => {
                    parse_document::<recognition::RecognitionFile>(&source.text, format).map(
                        |parsed| {
                            let mut partner = parsed.partner;
                            partner.source_file = file.clone();
                            for mut arrangement in parsed.arrangements {
                                arrangement.partner = partner.id.clone();
                                arrangement.scheme = parsed.scheme.clone();
                                arrangement.source_file = file.clone();
                                catalog.arrangements.push(arrangement);
                            }
                            catalog.partners.push(partner);
                        },
                    )
                }
                (Some("markets"), _) => {
                    parse_document::<MarketRule>(&source.text, format).map(|mut market| {
                        market.source_file = file.clone();
                        catalog.markets.push(market);
                    })
                }
                _ => {
                    errors.push(CatalogError {
                        file: file.clone(),
                        key: String::new(),
                        reason: "not a known rule file: put it under standards/, schemes/, regimes/, recognition/ or markets/, or name it categories.toml".into(),
                    });
                    Ok(())
                }
            };
            if let Err(error) = result {
                errors.push(CatalogError {
                    file,
                    key: error.key.clone(),
                    reason: match error.line {
                        Some(line) => format!("line {line}: {}", error.message),
                        None => error.message,
                    },
                });
            }
        }
        if errors.is_empty() {
            validate::validate(&catalog, &mut errors);
        }
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(CatalogErrors(errors))
        }
    }

    pub fn standard(&self, id: &str) -> Option<&Standard> {
        self.standards.iter().find(|standard| standard.id == id)
    }

    pub fn standard_for_edition(&self, edition: Edition) -> Option<&Standard> {
        self.standards
            .iter()
            .find(|standard| standard.edition == edition)
    }

    pub fn scheme(&self, id: &str) -> Option<&Scheme> {
        self.schemes.iter().find(|scheme| scheme.id == id)
    }

    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regimes.iter().find(|regime| regime.id == id)
    }

    pub fn partner(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|partner| partner.id == id)
    }

    pub fn arrangement(&self, id: &str) -> Option<&Arrangement> {
        self.arrangements
            .iter()
            .find(|arrangement| arrangement.id == id)
    }

    pub fn market(&self, id: &str) -> Option<&MarketRule> {
        self.markets.iter().find(|market| market.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|category| category.id == id)
    }

    /// The canonical (newest) edition's standard: the one no other edition names as successor
    /// and that has no successor itself.
    pub fn canonical_standard(&self) -> Option<&Standard> {
        self.standards
            .iter()
            .find(|standard| standard.successor.is_none())
    }

    /// Translates a provision id of edition `from` into ids of edition `to`, following
    /// `maps_to` through successive editions (`4-1` → `5.0-1`; `5.6-4` → `5.6-4A`, `5.6-4B`).
    /// `None` when `to` is not `from` or one of its successors, or the id is not in `from`.
    pub fn translate_provision(
        &self,
        from: &Standard,
        to: &Standard,
        id: &ProvisionId,
    ) -> Option<Vec<ProvisionId>> {
        let mut standard = from;
        let mut ids = vec![id.clone()];
        standard.provision(id)?;
        while standard.id != to.id {
            let successor = self.standard(standard.successor.as_deref()?)?;
            ids = ids
                .iter()
                .filter_map(|id| standard.provision(id))
                .flat_map(|provision| provision.maps_to.iter().cloned())
                .collect();
            standard = successor;
        }
        Some(ids)
    }

    /// Translates an ICS (conditions and features) of edition `from` into edition `to`; `None`
    /// when `to` is not `from` or one of its successors.
    pub fn translate_ics(
        &self,
        from: &Standard,
        to: &Standard,
        conditions: &[u32],
        features: &[String],
    ) -> Option<(Vec<u32>, Vec<String>)> {
        let mut standard = from;
        let mut conditions = conditions.to_vec();
        let mut features = features.to_vec();
        while standard.id != to.id {
            let successor = self.standard(standard.successor.as_deref()?)?;
            let mut next_conditions: Vec<u32> = Vec::new();
            let mut next_features: Vec<String> = Vec::new();
            for id in &conditions {
                if let Some(condition) = standard.condition(*id) {
                    next_conditions.extend(&condition.successor_conditions);
                    next_features.extend(condition.successor_features.iter().cloned());
                }
            }
            if let Some(translation) = &standard.ics_translation {
                next_conditions.extend(&translation.assume_present_conditions);
                next_features.extend(translation.assume_present_features.iter().cloned());
            }
            next_conditions.sort_unstable();
            next_conditions.dedup();
            next_features.sort();
            next_features.dedup();
            conditions = next_conditions;
            features = next_features;
            standard = successor;
        }
        Some((conditions, features))
    }

    /// A suggestion for a mistyped id among `candidates`, for "did you mean" hints.
    pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
        candidates
            .map(|candidate| (strsim::jaro_winkler(wanted, candidate), candidate))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, candidate)| candidate)
    }
}

#[cfg(test)]
mod tests;
