//! The assessment engine: a validated dossier, the reports it attaches and a date in; verdicts
//! per provision, the level attained, what blocks the next level, UK PSTI status, recognition,
//! market access and label validity out. Pure: the caller reads the files and the clock.

mod label;
mod levels;
mod market;
mod psti;
mod recognition;
mod verdicts;

use std::collections::BTreeMap;

use crate::assessment::{Assessment, ProductSummary, SchemeRef};
use crate::catalog::{Catalog, Scheme, Standard};
use crate::date::Date;
use crate::document::DocumentError;
use crate::dossier::{Declaration, Dossier, EvidenceKind, HeldLabelStatus, LabelLevel};
use crate::ids::ProvisionId;
use crate::report::{Finding, Report};

/// A scan or probe report a dossier's evidence item points at, already read and parsed.
#[derive(Debug, Clone)]
pub struct AttachedReport {
    /// The dossier evidence item id.
    pub evidence_id: String,
    /// The file name, as the dossier gives it.
    pub file: String,
    pub report: Report,
}

/// Everything the engine looks at.
#[derive(Debug, Clone, Copy)]
pub struct EngineInput<'a> {
    pub dossier: &'a Dossier,
    pub reports: &'a [AttachedReport],
    /// The date of assessment: the registry's clock, or the dossier's `assessed_on` offline.
    pub on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    #[error("the dossier is invalid")]
    InvalidDossier(Vec<DocumentError>),
    #[error("{0}")]
    Catalog(String),
}

/// A finding with the evidence item it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourcedFinding<'a> {
    pub finding: &'a Finding,
    pub source: &'a str,
}

/// The dossier translated into the scheme's edition, shared by the engine's parts.
pub(crate) struct Context<'a> {
    pub catalog: &'a Catalog,
    pub dossier: &'a Dossier,
    pub scheme: &'a Scheme,
    pub standard: &'a Standard,
    pub on: Date,
    pub conditions: Vec<u32>,
    pub features: Vec<String>,
    /// Declarations by the scheme edition's provision id.
    pub declarations: BTreeMap<ProvisionId, &'a Declaration>,
    /// Weakness findings by provision id.
    pub findings: BTreeMap<ProvisionId, Vec<SourcedFinding<'a>>>,
    pub reports: &'a [AttachedReport],
    pub notes: Vec<String>,
}

impl Context<'_> {
    /// The CLS label the product currently holds, if any: valid status and not expired.
    pub fn current_cls_label(&self) -> Option<(u8, &str)> {
        self.dossier
            .evidence
            .iter()
            .filter(|item| item.kind == EvidenceKind::ClsLabel)
            .filter(|item| item.status.unwrap_or(HeldLabelStatus::Valid) == HeldLabelStatus::Valid)
            .filter(|item| item.valid_until.is_some_and(|until| self.on <= until))
            .filter_map(|item| match item.level {
                Some(LabelLevel::Number(level)) => {
                    Some((level, item.label_id.as_deref().unwrap_or(item.id.as_str())))
                }
                _ => None,
            })
            .max_by_key(|(level, _)| *level)
    }
}

/// Assesses `input.dossier` against the catalog on `input.on`.
pub fn assess(catalog: &Catalog, input: EngineInput<'_>) -> Result<Assessment, AssessError> {
    let dossier = input.dossier;
    dossier
        .validate(catalog)
        .map_err(AssessError::InvalidDossier)?;
    let scheme = catalog.scheme(&dossier.target.scheme).ok_or_else(|| {
        AssessError::Catalog(format!("scheme {} vanished", dossier.target.scheme))
    })?;
    let standard = catalog
        .standard(&scheme.specification.standard)
        .ok_or_else(|| {
            AssessError::Catalog(format!(
                "standard {} is missing",
                scheme.specification.standard
            ))
        })?;
    let dossier_standard = catalog
        .standard_for_edition(dossier.standard_edition)
        .ok_or_else(|| {
            AssessError::Catalog(format!("edition {} is missing", dossier.standard_edition))
        })?;
    let mut notes = Vec::new();

    // The ICS, in the scheme's edition.
    let (conditions, features) = match &dossier.ics {
        Some(ics) => catalog.translate_ics(dossier_standard, standard, &ics.conditions, &ics.features),
        None => {
            let category = catalog.category(&dossier.product.category);
            notes.push(format!(
                "the dossier has no [ics] table: the typical answers for category {} were used; write [ics] to state the product's own",
                dossier.product.category
            ));
            let (conditions, features) = category
                .map(|c| (c.ics_conditions.clone(), c.ics_features.clone()))
                .unwrap_or_default();
            match catalog.canonical_standard() {
                Some(canonical) => catalog.translate_ics(canonical, standard, &conditions, &features),
                None => Some((conditions, features)),
            }
        }
    }
    .ok_or_else(|| {
        AssessError::InvalidDossier(vec![DocumentError {
            key: "standard_edition".into(),
            line: None,
            message: format!(
                "a {} dossier cannot be assessed against {}: write it in {} or an earlier edition",
                dossier.standard_edition, standard.id, standard.edition
            ),
        }])
    })?;
    if dossier_standard.id != standard.id {
        notes.push(format!(
            "the dossier is written against EN 303 645 {} and was assessed through the edition map against {}",
            dossier_standard.edition, standard.edition
        ));
    }

    // Declarations, in the scheme's edition.
    let mut declarations = BTreeMap::new();
    for declaration in &dossier.declarations {
        for id in catalog
            .translate_provision(dossier_standard, standard, &declaration.provision)
            .unwrap_or_default()
        {
            declarations.insert(id, declaration);
        }
    }

    // Weakness findings, by provision.
    let mut findings: BTreeMap<ProvisionId, Vec<SourcedFinding<'_>>> = BTreeMap::new();
    for attached in input.reports {
        for finding in attached.report.findings.iter().filter(|f| f.is_weakness()) {
            for provision in &finding.provisions {
                if standard.provision(provision).is_some() {
                    findings
                        .entry(provision.clone())
                        .or_default()
                        .push(SourcedFinding {
                            finding,
                            source: &attached.evidence_id,
                        });
                } else {
                    notes.push(format!(
                        "{}: finding {} names {provision}, which is not a provision of {}; it was not used",
                        attached.file, finding.check, standard.id
                    ));
                }
            }
        }
    }

    let mut context = Context {
        catalog,
        dossier,
        scheme,
        standard,
        on: input.on,
        conditions,
        features,
        declarations,
        findings,
        reports: input.reports,
        notes,
    };

    let provisions = verdicts::judge_all(&context);
    let psti = psti::status(&context, &provisions);
    let route = recognition::route_grant(&context, &psti);
    let levels = levels::evaluate(&context, &provisions, route.as_ref());
    let recognition = recognition::outcomes(&context, &psti, levels.attained);
    let market_access = market::access(&context, levels.attained);
    let (label, label_refused) = label::validity(&context, levels.attained);

    Ok(Assessment {
        schema_version: crate::SCHEMA_VERSION,
        assessed_on: input.on,
        product: ProductSummary {
            manufacturer: dossier.product.manufacturer.clone(),
            name: dossier.product.name.clone(),
            model: dossier.product.model.clone(),
            category: dossier.product.category.clone(),
        },
        scheme: SchemeRef {
            id: scheme.id.clone(),
            specification_version: format!(
                "{} v{}",
                scheme.specification.document, scheme.specification.version
            ),
        },
        standard_edition: standard.edition,
        dossier_edition: dossier.standard_edition,
        target_level: dossier.target.level,
        route: dossier.target.route.clone(),
        level_attained: levels.attained,
        provisions,
        blocking: levels.blocking,
        psti,
        recognition,
        market_access,
        label,
        label_refused,
        notes: std::mem::take(&mut context.notes),
    })
}

#[cfg(test)]
mod tests;
