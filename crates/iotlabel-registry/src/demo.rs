//! The demo data set of `iotlabel serve --demo`: several manufacturers and a test lab, one
//! product in every category the scheme labels (levels 1 to 4 in turn) taken through the whole
//! workflow, a suspended and a revoked label, and a UK PSTI simplified-route application.
//! Every account's password is [`DEMO_PASSWORD`]: demo registries are not for real use.

use iotlabel_core::Dossier;
use iotlabel_core::document::DocumentFormat;
use iotlabel_core::dossier::{
    Declaration, DeclarationStatus, EvidenceItem, EvidenceKind, Ics, LabReportKind, LabVerdict,
};
use serde::Serialize;

use crate::roles::Role;
use crate::service::{Actor, Registry, RegistryError};
use crate::store::{LabelState, OrganisationKind, Store};
use crate::workflow::Action;

pub const DEMO_PASSWORD: &str = "demo password";

const ROUTER_DOSSIER: &str = include_str!("../../../examples/wifi-router.toml");
const PSTI_DOSSIER: &str = include_str!("../../../examples/uk-psti-hub.toml");

const MANUFACTURERS: [&str; 4] = [
    "Example Networks Pte Ltd",
    "Lumen Home Devices Ltd",
    "Kestrel Security Systems Pte Ltd",
    "Harbour Appliances Co",
];

/// What the demo loaded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    /// `email` of each account (password [`DEMO_PASSWORD`]).
    pub accounts: Vec<String>,
    pub labels: Vec<String>,
    pub suspended: Option<String>,
    pub revoked: Option<String>,
    /// Applications that did not reach their level, with why.
    pub not_approved: Vec<String>,
}

fn lab_report(id: &str, kind: LabReportKind, issued_on: iotlabel_core::Date) -> EvidenceItem {
    EvidenceItem {
        id: id.to_owned(),
        kind: EvidenceKind::LabReport,
        file: Some(format!("evidence/{id}.md")),
        title: None,
        lab: Some("Example Test Lab Pte Ltd".into()),
        report: Some(kind),
        verdict: Some(LabVerdict::Pass),
        issued_on: Some(issued_on),
        provisions: Default::default(),
        scheme: None,
        level: None,
        label_id: None,
        valid_until: None,
        status: None,
    }
}

/// A complete dossier for a product of `category` aiming at `level`.
fn product_dossier<S: Store>(
    registry: &Registry<S>,
    category: &iotlabel_core::catalog::Category,
    level: u8,
    manufacturer: &str,
    serial: usize,
) -> Result<Dossier, RegistryError> {
    let mut dossier = Dossier::parse(ROUTER_DOSSIER, DocumentFormat::Toml)
        .map_err(|error| RegistryError::Invalid(error.to_string()))?;
    let today = registry.clock().today();
    dossier.assessed_on = None;
    dossier.product.manufacturer = manufacturer.to_owned();
    dossier.product.name = format!("{} {}", category.name, serial);
    dossier.product.model = format!("DEMO-{}-{serial:03}", category.id.to_uppercase());
    dossier.product.category = category.id.clone();
    dossier.product.support_period_end = Some(today.add_years(4));
    dossier.product.market_introduction = None;
    dossier.target.level = level;
    dossier.ics = Some(Ics {
        conditions: category.ics_conditions.clone(),
        features: category.ics_features.clone(),
    });
    // Every provision of the standard implemented (the example's declarations are a
    // router's; other categories' ICS makes other provisions apply); the lab's reports below.
    if let Some(standard) = registry.catalog().canonical_standard() {
        dossier.declarations = standard
            .provisions
            .iter()
            .map(|provision| Declaration {
                provision: provision.id.clone(),
                status: DeclarationStatus::Supported,
                detail: None,
                rationale: None,
                evidence: Vec::new(),
            })
            .collect();
    }
    if level >= 3 {
        dossier.evidence.push(EvidenceItem {
            kind: EvidenceKind::Sbom,
            ..lab_report("sbom", LabReportKind::ConformityReview, today)
        });
        dossier
            .evidence
            .push(lab_report("binary", LabReportKind::BinaryAnalysis, today));
    }
    if level >= 4 {
        dossier
            .evidence
            .push(lab_report("pentest", LabReportKind::PenetrationTest, today));
    }
    // The sbom item above borrowed the lab-report shape; keep only what an SBOM carries.
    for item in &mut dossier.evidence {
        if item.kind == EvidenceKind::Sbom {
            item.lab = None;
            item.report = None;
            item.verdict = None;
            item.issued_on = None;
        }
    }
    Ok(dossier)
}

/// Loads the demo data into an empty registry.
pub async fn load_demo<S: Store>(registry: &Registry<S>) -> Result<DemoSummary, RegistryError> {
    let mut summary = DemoSummary::default();
    let lab_org = registry
        .create_organisation("Example Test Lab Pte Ltd", OrganisationKind::TestLab)
        .await?;
    let mut account = async |email: &str, role: Role, organisation: Option<i64>| {
        let user = registry
            .create_user(email, email, role, organisation, DEMO_PASSWORD)
            .await?;
        summary.accounts.push(user.email.clone());
        Ok::<Actor, RegistryError>(Actor::from_user(user))
    };
    let lab = account("lab@demo.example", Role::TestLab, Some(lab_org.id)).await?;
    let assessor = account("assessor@demo.example", Role::Assessor, None).await?;
    let registrar = account("registrar@demo.example", Role::Registrar, None).await?;
    let mut makers = Vec::new();
    for (index, name) in MANUFACTURERS.iter().enumerate() {
        let organisation = registry
            .create_organisation(name, OrganisationKind::Manufacturer)
            .await?;
        let email = format!("maker{}@demo.example", index + 1);
        makers.push((
            *name,
            account(&email, Role::Manufacturer, Some(organisation.id)).await?,
        ));
    }
    let mut dossiers = Vec::new();
    let categories: Vec<_> = registry
        .catalog()
        .categories
        .iter()
        .filter(|category| category.cls_in_scope)
        .cloned()
        .collect();
    for (index, category) in categories.iter().enumerate() {
        let (name, maker) = &makers[index % makers.len()];
        let level = u8::try_from(index % 4).unwrap_or(0) + 1;
        dossiers.push((
            maker.clone(),
            product_dossier(registry, category, level, name, index + 1)?,
        ));
    }
    let mut psti = Dossier::parse(PSTI_DOSSIER, DocumentFormat::Toml)
        .map_err(|error| RegistryError::Invalid(error.to_string()))?;
    psti.assessed_on = None;
    dossiers.push((makers[1 % makers.len()].1.clone(), psti));

    for (maker, dossier) in &dossiers {
        let app = registry
            .create_application(maker, dossier, Some(lab_org.id), None)
            .await?;
        registry.act(maker, app.id, Action::SendToLab, None).await?;
        registry.act(&lab, app.id, Action::HandOff, None).await?;
        registry
            .act(&assessor, app.id, Action::StartAssessment, None)
            .await?;
        match registry.act(&assessor, app.id, Action::Approve, None).await {
            Ok((_, Some(label))) => summary.labels.push(label.registration_id),
            Ok((_, None)) => {}
            Err(RegistryError::LevelNotAttained { .. }) => {
                let reason = "target level not attained on the registry's date";
                registry
                    .act(&assessor, app.id, Action::RequestChanges, Some(reason))
                    .await?;
                summary.not_approved.push(format!(
                    "{} {} (L{}): {reason}",
                    dossier.product.name, dossier.product.model, dossier.target.level
                ));
            }
            Err(error) => return Err(error),
        }
    }
    if let Some(id) = summary.labels.first().cloned() {
        registry
            .change_label(
                &assessor,
                &id,
                LabelState::Suspended,
                Some("unresolved vulnerability reported in firmware 1.4.2"),
            )
            .await?;
        summary.suspended = Some(id);
    }
    if let Some(id) = summary.labels.get(1).cloned() {
        registry
            .change_label(
                &registrar,
                &id,
                LabelState::Revoked,
                Some("the product was withdrawn from the market"),
            )
            .await?;
        summary.revoked = Some(id);
    }
    Ok(summary)
}
