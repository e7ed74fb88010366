//! The UK PSTI statement of compliance: which fields the regime needs, filled from a dossier,
//! or the exact list of what is missing. Rendering lives in iotlabel-formats.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::date::Date;
use crate::dossier::Dossier;

/// The dossier keys a rule file may point a statement field (or a requirement) at.
pub const KNOWN_KEYS: &[&str] = &[
    "product.manufacturer",
    "product.name",
    "product.model",
    "product.hardware_version",
    "product.firmware_version",
    "product.support_period_end",
    "product.vulnerability_disclosure_url",
    "psti_statement.product_type",
    "psti_statement.batch",
    "psti_statement.manufacturer_address",
    "psti_statement.authorised_representative",
    "psti_statement.declaration_confirmed",
    "psti_statement.signatory_name",
    "psti_statement.signatory_function",
    "psti_statement.signature",
    "psti_statement.place_of_issue",
    "psti_statement.date_of_issue",
];

/// The value a dossier holds at `key` (one of [`KNOWN_KEYS`]), as text; `None` when absent or
/// blank. A `declaration_confirmed = false` counts as absent: the declaration is not made.
pub fn value_at(dossier: &Dossier, key: &str) -> Option<String> {
    let product = &dossier.product;
    let statement = dossier.psti_statement.as_ref();
    let text = |value: Option<&String>| value.filter(|v| !v.trim().is_empty()).cloned();
    let date = |value: Option<Date>| value.map(|d| d.to_string());
    match key {
        "product.manufacturer" => text(Some(&product.manufacturer)),
        "product.name" => text(Some(&product.name)),
        "product.model" => text(Some(&product.model)),
        "product.hardware_version" => text(product.hardware_version.as_ref()),
        "product.firmware_version" => text(product.firmware_version.as_ref()),
        "product.support_period_end" => date(product.support_period_end),
        "product.vulnerability_disclosure_url" => {
            text(product.vulnerability_disclosure_url.as_ref())
        }
        "psti_statement.product_type" => text(statement.and_then(|s| s.product_type.as_ref())),
        "psti_statement.batch" => text(statement.and_then(|s| s.batch.as_ref())),
        "psti_statement.manufacturer_address" => {
            text(statement.and_then(|s| s.manufacturer_address.as_ref()))
        }
        "psti_statement.authorised_representative" => {
            text(statement.and_then(|s| s.authorised_representative.as_ref()))
        }
        "psti_statement.declaration_confirmed" => statement
            .and_then(|s| s.declaration_confirmed)
            .filter(|confirmed| *confirmed)
            .map(|_| "yes".to_owned()),
        "psti_statement.signatory_name" => text(statement.and_then(|s| s.signatory_name.as_ref())),
        "psti_statement.signatory_function" => {
            text(statement.and_then(|s| s.signatory_function.as_ref()))
        }
        "psti_statement.signature" => text(statement.and_then(|s| s.signature.as_ref())),
        "psti_statement.place_of_issue" => text(statement.and_then(|s| s.place_of_issue.as_ref())),
        "psti_statement.date_of_issue" => date(statement.and_then(|s| s.date_of_issue)),
        _ => None,
    }
}

/// One field of the statement with its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilledField {
    pub id: String,
    pub label: String,
    pub value: Option<String>,
}

/// A required field the dossier does not fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingField {
    pub id: String,
    pub label: String,
    /// Where to put it in the dossier.
    pub key: String,
}

/// A complete statement of compliance, ready to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementOfCompliance {
    pub regime: String,
    pub regime_url: String,
    pub product_name: String,
    pub model: String,
    pub fields: Vec<FilledField>,
    /// The security requirements the statement declares met, by name.
    pub requirements: Vec<String>,
}

/// Builds the statement for `regime_id` (normally `uk-psti`) from `dossier`, or lists every
/// required field that is missing.
pub fn build(
    catalog: &Catalog,
    regime_id: &str,
    dossier: &Dossier,
) -> Result<StatementOfCompliance, Vec<MissingField>> {
    let Some(regime) = catalog.regime(regime_id) else {
        return Err(Vec::new());
    };
    let mut fields = Vec::new();
    let mut missing = Vec::new();
    for field in &regime.statement_fields {
        let value = value_at(dossier, &field.key);
        if value.is_none() && field.required {
            missing.push(MissingField {
                id: field.id.clone(),
                label: field.label.clone(),
                key: field.key.clone(),
            });
        }
        fields.push(FilledField {
            id: field.id.clone(),
            label: field.label.clone(),
            value,
        });
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(StatementOfCompliance {
        regime: regime.name.clone(),
        regime_url: regime.url.clone(),
        product_name: dossier.product.name.clone(),
        model: dossier.product.model.clone(),
        fields,
        requirements: regime.requirements.iter().map(|r| r.name.clone()).collect(),
    })
}
