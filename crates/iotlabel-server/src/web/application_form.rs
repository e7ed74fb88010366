//! The guided application, three short forms that build the dossier in the draft itself
//! (so nothing is lost between steps and no script is needed): the product and target
//! (category → level → route), the ICS questionnaire (which conditions hold and which
//! features the product has, preset from the category), and the declarations for only the
//! provisions that apply, with the live gap to the target level after every save.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use iotlabel_core::catalog::recognition::Direction;
use iotlabel_core::dossier::{
    Declaration, DeclarationStatus, EvidenceItem, EvidenceKind, Ics, Product, TargetLabel,
};
use iotlabel_core::{Assessment, Dossier, Edition, ProvisionId};
use iotlabel_registry::Store;
use iotlabel_registry::roles::Role;
use iotlabel_registry::store::{ApplicationRecord, OrganisationKind};
use maud::{Markup, html};

use super::application::gap_summary;
use super::{PageError, Viewer, redirect_with_flash, render, stored_assessment};
use crate::AppState;

/// The posted form as name → values (checkbox groups repeat a name).
struct Fields(BTreeMap<String, Vec<String>>);

impl Fields {
    fn parse(body: &[u8]) -> Fields {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(body) {
            map.entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Fields(map)
    }

    fn one(&self, name: &str) -> String {
        self.0
            .get(name)
            .and_then(|values| values.first())
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    }

    fn optional(&self, name: &str) -> Option<String> {
        Some(self.one(name)).filter(|value| !value.is_empty())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }
}

fn invalid(message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn manufacturer_only(viewer: &Viewer) -> Result<(), PageError> {
    viewer.require_signed_in()?;
    if viewer.role() == Role::Manufacturer {
        Ok(())
    } else {
        Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Only a manufacturer's staff can apply for a label.",
        ))
    }
}

fn stored_dossier(record: &ApplicationRecord) -> Result<Dossier, PageError> {
    serde_json::from_str(&record.content.dossier_json).map_err(|error| {
        eprintln!(
            "internal error: stored dossier of application {}: {error}",
            record.id
        );
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Try again in a moment.",
        )
    })
}

fn steps(current: u8, id: Option<i64>) -> Markup {
    let link = |step: u8, path: &str, words: &str| -> Markup {
        html! {
            li {
                @if step == current { strong aria-current="step" { (step) ". " (words) } }
                @else if let Some(id) = id { a href=(format!("/applications/{id}{path}")) { (step) ". " (words) } }
                @else { (step) ". " (words) }
            }
        }
    };
    html! {
        nav aria-label="Steps" {
            ol.steps {
                (link(1, "/product", "Product and target"))
                (link(2, "/ics", "Features"))
                (link(3, "/provisions", "Provisions"))
            }
        }
    }
}

// ---- step 1: product and target ---------------------------------------------------------

/// What the product form shows: the stored dossier's values, or what was just posted (so a
/// refused form comes back with everything the user typed).
#[derive(Debug, Default)]
struct ProductValues {
    name: String,
    model: String,
    category: String,
    hardware_version: String,
    firmware_version: String,
    support_period_end: String,
    vulnerability_disclosure_url: String,
    level: String,
    route: String,
    lab: String,
}

impl ProductValues {
    fn from_dossier(dossier: &Dossier, lab: String) -> ProductValues {
        let product = &dossier.product;
        ProductValues {
            name: product.name.clone(),
            model: product.model.clone(),
            category: product.category.clone(),
            hardware_version: product.hardware_version.clone().unwrap_or_default(),
            firmware_version: product.firmware_version.clone().unwrap_or_default(),
            support_period_end: product
                .support_period_end
                .map(|date| date.to_string())
                .unwrap_or_default(),
            vulnerability_disclosure_url: product
                .vulnerability_disclosure_url
                .clone()
                .unwrap_or_default(),
            level: dossier.target.level.to_string(),
            route: dossier.target.route.clone(),
            lab,
        }
    }

    fn from_fields(fields: &Fields) -> ProductValues {
        ProductValues {
            name: fields.one("name"),
            model: fields.one("model"),
            category: fields.one("category"),
            hardware_version: fields.one("hardware_version"),
            firmware_version: fields.one("firmware_version"),
            support_period_end: fields.one("support_period_end"),
            vulnerability_disclosure_url: fields.one("vulnerability_disclosure_url"),
            level: fields.one("level"),
            route: fields.one("route"),
            lab: fields.one("lab"),
        }
    }
}

fn product_form(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    values: &ProductValues,
    problem: Option<&str>,
) -> Markup {
    let catalog = state.registry.catalog();
    let today = state.registry.clock().today();
    let route = if values.route.is_empty() {
        "standard"
    } else {
        values.route.as_str()
    };
    let routes: Vec<_> = catalog
        .arrangements
        .iter()
        .filter(|arrangement| {
            arrangement.direction == Direction::Inbound && arrangement.in_effect(today)
        })
        .collect();
    html! {
        @if let Some(problem) = problem {
            div.flash role="alert" #form-problem { (problem) }
        }
        form.card method="post" action=(action) {
            input type="hidden" name="csrf_token" value=(viewer.csrf_token());
            fieldset {
                legend { "The product" }
                label for="name" { "Product name" }
                input #name type="text" name="name" required value=(values.name);
                label for="model" { "Model" }
                input #model type="text" name="model" required value=(values.model);
                label for="category" { "Category" }
                select #category name="category" required {
                    @for option in catalog.categories.iter().filter(|c| c.cls_in_scope) {
                        option value=(option.id) selected[option.id == values.category] { (option.name) }
                    }
                }
                label for="hardware_version" { "Hardware version" }
                input #hardware_version type="text" name="hardware_version" value=(values.hardware_version);
                label for="firmware_version" { "Firmware version" }
                input #firmware_version type="text" name="firmware_version" value=(values.firmware_version);
                label for="support_period_end" { "Security updates until" }
                input #support_period_end type="date" name="support_period_end" value=(values.support_period_end);
                p.hint { "The label is valid until this date at the latest." }
                label for="vulnerability_disclosure_url" { "Vulnerability disclosure policy (URL)" }
                input #vulnerability_disclosure_url type="url" name="vulnerability_disclosure_url"
                    value=(values.vulnerability_disclosure_url);
            }
            fieldset {
                legend { "The label" }
                label for="level" { "Target level" }
                select #level name="level" {
                    @for option in 1..=4u8 { option value=(option) selected[option.to_string() == values.level] { "Level " (option) } }
                }
                label for="route" { "Route" }
                select #route name="route" {
                    option value="standard" selected[route == "standard"] { "Standard application" }
                    @for arrangement in &routes {
                        option value=(arrangement.id) selected[route == arrangement.id] { (arrangement.grants) }
                    }
                }
                label for="lab" { "Test lab (its registered name; leave empty to choose later)" }
                input #lab type="text" name="lab" value=(values.lab);
            }
            div.form-actions { button.primary type="submit" { "Save and continue" } }
        }
    }
}

/// The product step again after a refused post: the problem on top, the values kept.
fn refused_product_form(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    id: Option<i64>,
    fields: &Fields,
    error: PageError,
) -> Result<Response, PageError> {
    if error.status.is_server_error() || error.status == StatusCode::FORBIDDEN {
        return Err(error);
    }
    let body = html! {
        h1 { "Product and target" }
        (steps(1, id))
        (product_form(state, viewer, action, &ProductValues::from_fields(fields), Some(&error.message)))
    };
    let mut response = render(viewer, "Product and target", body);
    *response.status_mut() = error.status;
    Ok(response)
}

pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    manufacturer_only(&viewer)?;
    let body = html! {
        p { a href="/dashboard" { "My work" } }
        h1 { "New application" }
        (steps(1, None))
        (product_form(&state, &viewer, "/applications/new", &ProductValues { level: "1".into(), ..ProductValues::default() }, None))
        details {
            summary { "Or import a complete dossier file" }
            form.card method="post" action="/applications/import" {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token());
                label for="import-lab" { "Test lab (its registered name)" }
                input #import-lab type="text" name="lab";
                label for="import-dossier" { "Dossier (TOML or JSON)" }
                textarea #import-dossier name="dossier" rows="12" required {}
                div.form-actions { button.primary type="submit" { "Import" } }
            }
        }
    };
    Ok(render(&viewer, "New application", body))
}

async fn lab_id(state: &AppState, name: &str) -> Result<Option<i64>, PageError> {
    if name.is_empty() {
        return Ok(None);
    }
    let organisation = state
        .registry
        .store()
        .find_organisation(name)
        .await
        .map_err(iotlabel_registry::RegistryError::from)?
        .filter(|organisation| organisation.kind == OrganisationKind::TestLab)
        .ok_or_else(|| {
            invalid(format!(
                "No test lab is registered as {name:?}. Check the name with the scheme."
            ))
        })?;
    Ok(Some(organisation.id))
}

/// Applies the product form to `dossier` (a new one when `None`).
fn product_from_form(
    state: &AppState,
    fields: &Fields,
    manufacturer: &str,
    dossier: Option<Dossier>,
) -> Result<Dossier, PageError> {
    let catalog = state.registry.catalog();
    let category = fields.one("category");
    let known = catalog.category(&category).ok_or_else(|| {
        invalid(format!(
            "Unknown category {category:?}: choose one from the list."
        ))
    })?;
    let level: u8 = fields
        .one("level")
        .parse()
        .ok()
        .filter(|level| (1..=4).contains(level))
        .ok_or_else(|| invalid("Choose a target level from 1 to 4."))?;
    let support_period_end = match fields.optional("support_period_end") {
        Some(text) => Some(
            text.parse()
                .map_err(|_| invalid(format!("{text:?} is not a date: use YYYY-MM-DD.")))?,
        ),
        None => None,
    };
    let name = fields.one("name");
    let model = fields.one("model");
    if name.is_empty() || model.is_empty() {
        return Err(invalid("Give the product's name and model."));
    }
    let product = Product {
        manufacturer: manufacturer.to_owned(),
        name,
        model,
        category: category.clone(),
        hardware_version: fields.optional("hardware_version"),
        firmware_version: fields.optional("firmware_version"),
        support_period_end,
        vulnerability_disclosure_url: fields.optional("vulnerability_disclosure_url"),
        market_introduction: dossier.as_ref().and_then(|d| d.product.market_introduction),
    };
    let target = TargetLabel {
        scheme: "cls-iot".to_owned(),
        level,
        route: fields
            .optional("route")
            .unwrap_or_else(|| "standard".to_owned()),
    };
    Ok(match dossier {
        Some(mut dossier) => {
            let category_changed = dossier.product.category != category;
            dossier.product = product;
            dossier.target = target;
            if category_changed {
                dossier.ics = Some(Ics {
                    conditions: known.ics_conditions.clone(),
                    features: known.ics_features.clone(),
                });
            }
            dossier
        }
        None => Dossier {
            schema_version: iotlabel_core::SCHEMA_VERSION,
            assessed_on: None,
            standard_edition: Edition::V3_1_3,
            product,
            target,
            ics: Some(Ics {
                conditions: known.ics_conditions.clone(),
                features: known.ics_features.clone(),
            }),
            declarations: Vec::new(),
            evidence: Vec::new(),
            psti_statement: None,
        },
    })
}

async fn manufacturer_name(state: &AppState, viewer: &Viewer) -> Result<String, PageError> {
    let organisation_id = viewer
        .actor
        .user
        .as_ref()
        .and_then(|user| user.organisation_id)
        .ok_or_else(|| {
            PageError::new(
                StatusCode::FORBIDDEN,
                "Your account belongs to no organisation.",
            )
        })?;
    let organisation = state
        .registry
        .store()
        .get_organisation(organisation_id)
        .await
        .map_err(iotlabel_registry::RegistryError::from)?
        .ok_or_else(|| {
            PageError::new(
                StatusCode::FORBIDDEN,
                "Your account belongs to no organisation.",
            )
        })?;
    Ok(organisation.name)
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(&fields.one("csrf_token"))?;
    manufacturer_only(&viewer)?;
    let created = async {
        let manufacturer = manufacturer_name(&state, &viewer).await?;
        let dossier = product_from_form(&state, &fields, &manufacturer, None)?;
        let lab = lab_id(&state, &fields.one("lab")).await?;
        Ok::<_, PageError>(
            state
                .registry
                .create_application(&viewer.actor, &dossier, lab, None)
                .await?,
        )
    }
    .await;
    match created {
        Ok(record) => Ok(redirect_with_flash(
            &format!("/applications/{}/ics", record.id),
            "Draft saved. Next: which features the product has.",
        )),
        Err(error) => {
            refused_product_form(&state, &viewer, "/applications/new", None, &fields, error)
        }
    }
}

pub async fn product_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    manufacturer_only(&viewer)?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let dossier = stored_dossier(&record)?;
    let lab_name = match record.content.lab_organisation_id {
        Some(lab) => state
            .registry
            .store()
            .get_organisation(lab)
            .await
            .map_err(iotlabel_registry::RegistryError::from)?
            .map(|organisation| organisation.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let body = html! {
        p { a href=(format!("/applications/{id}")) { "Application #" (id) } }
        h1 { "Product and target" }
        (steps(1, Some(id)))
        (product_form(&state, &viewer, &format!("/applications/{id}/product"), &ProductValues::from_dossier(&dossier, lab_name), None))
    };
    Ok(render(&viewer, "Product and target", body))
}

pub async fn save_product(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(&fields.one("csrf_token"))?;
    manufacturer_only(&viewer)?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let saved = async {
        let manufacturer = record.content.product.manufacturer.clone();
        let dossier = product_from_form(
            &state,
            &fields,
            &manufacturer,
            Some(stored_dossier(&record)?),
        )?;
        let lab = lab_id(&state, &fields.one("lab")).await?;
        state
            .registry
            .update_dossier(&viewer.actor, id, &dossier, lab)
            .await?;
        Ok::<_, PageError>(())
    }
    .await;
    match saved {
        Ok(()) => Ok(redirect_with_flash(
            &format!("/applications/{id}/ics"),
            "Saved. Next: which features the product has.",
        )),
        Err(error) => refused_product_form(
            &state,
            &viewer,
            &format!("/applications/{id}/product"),
            Some(id),
            &fields,
            error,
        ),
    }
}

// ---- step 2: the ICS questionnaire --------------------------------------------------------

pub async fn ics_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    manufacturer_only(&viewer)?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let dossier = stored_dossier(&record)?;
    let catalog = state.registry.catalog();
    let standard = catalog
        .standard_for_edition(dossier.standard_edition)
        .ok_or_else(|| invalid("The dossier's edition of EN 303 645 is not in the catalog."))?;
    let (conditions, features) = match &dossier.ics {
        Some(ics) => (ics.conditions.clone(), ics.features.clone()),
        None => catalog
            .category(&dossier.product.category)
            .map(|category| {
                (
                    category.ics_conditions.clone(),
                    category.ics_features.clone(),
                )
            })
            .unwrap_or_default(),
    };
    let body = html! {
        p { a href=(format!("/applications/{id}")) { "Application #" (id) } }
        h1 { "Which features does the product have?" }
        (steps(2, Some(id)))
        p { "Preset from the category's typical answers. A provision that depends on a feature the product lacks does not apply and needs no answer." }
        form.card method="post" action=(format!("/applications/{id}/ics")) {
            input type="hidden" name="csrf_token" value=(viewer.csrf_token());
            fieldset {
                legend { "Conditions that hold" }
                @for condition in &standard.conditions {
                    div.check {
                        input type="checkbox" id=(format!("condition-{}", condition.id)) name="condition"
                            value=(condition.id) checked[conditions.contains(&condition.id)];
                        label.inline-label for=(format!("condition-{}", condition.id)) { (condition.summary) }
                    }
                }
            }
            fieldset {
                legend { "Features the product has" }
                @for feature in &standard.features {
                    div.check {
                        input type="checkbox" id=(format!("feature-{}", feature.id)) name="feature"
                            value=(feature.id) checked[features.contains(&feature.id)];
                        label.inline-label for=(format!("feature-{}", feature.id)) { (feature.summary) }
                    }
                }
            }
            div.form-actions { button.primary type="submit" { "Save and continue" } }
        }
    };
    Ok(render(&viewer, "Features", body))
}

pub async fn save_ics(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(&fields.one("csrf_token"))?;
    manufacturer_only(&viewer)?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let mut dossier = stored_dossier(&record)?;
    let catalog = state.registry.catalog();
    let standard = catalog
        .standard_for_edition(dossier.standard_edition)
        .ok_or_else(|| invalid("The dossier's edition of EN 303 645 is not in the catalog."))?;
    let mut conditions = Vec::new();
    for text in fields.all("condition") {
        let condition: u32 = text
            .parse()
            .ok()
            .filter(|id| standard.condition(*id).is_some())
            .ok_or_else(|| invalid(format!("Unknown condition {text:?}.")))?;
        conditions.push(condition);
    }
    let mut features = Vec::new();
    for feature in fields.all("feature") {
        if standard.feature(&feature).is_none() {
            return Err(invalid(format!("Unknown feature {feature:?}.")));
        }
        features.push(feature);
    }
    conditions.sort_unstable();
    conditions.dedup();
    features.sort();
    features.dedup();
    dossier.ics = Some(Ics {
        conditions,
        features,
    });
    state
        .registry
        .update_dossier(
            &viewer.actor,
            id,
            &dossier,
            record.content.lab_organisation_id,
        )
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{id}/provisions"),
        "Saved. Next: the provisions that apply.",
    ))
}

// ---- step 3: declarations for the provisions that apply -----------------------------------

/// The provision whose verdict the engine derives from the others (5.0-1): not asked.
const DERIVED: &str = "5.0-1";

pub async fn provisions_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    manufacturer_only(&viewer)?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let dossier = stored_dossier(&record)?;
    let assessment: Option<Assessment> = stored_assessment(&record);
    let Some(assessment) = assessment else {
        return Err(invalid(format!(
            "The engine could not assess the draft yet: {}. Fix the product step first.",
            record
                .content
                .assessment_error
                .as_deref()
                .unwrap_or("no assessment")
        )));
    };
    let catalog = state.registry.catalog();
    let standard = catalog.standard_for_edition(assessment.standard_edition);
    let declared: BTreeMap<String, &Declaration> = dossier
        .declarations
        .iter()
        .map(|declaration| (declaration.provision.to_string(), declaration))
        .collect();
    let uploads = state.registry.evidence_of(&viewer.actor, id).await?;
    let applicable: Vec<_> = assessment
        .provisions
        .iter()
        .filter(|verdict| verdict.applicable && verdict.id.to_string() != DERIVED)
        .collect();
    let body = html! {
        p { a href=(format!("/applications/{id}")) { "Application #" (id) } }
        h1 { "The provisions that apply" }
        (steps(3, Some(id)))
        (gap_summary(&assessment))
        p { (applicable.len()) " provisions apply to this product. Say for each whether the product supports it, "
            "how (or why not), and which uploaded files show it." }
        @if !uploads.is_empty() {
            p.hint { "Uploaded files: " (uploads.iter().map(|upload| upload.file_name.as_str()).collect::<Vec<_>>().join(", ")) }
        }
        form method="post" action=(format!("/applications/{id}/provisions")) {
            input type="hidden" name="csrf_token" value=(viewer.csrf_token());
            @for verdict in &applicable {
                @let key = verdict.id.to_string();
                @let declaration = declared.get(&key);
                @let status = declaration.map(|d| d.status);
                @let summary = standard.and_then(|s| s.provision(&verdict.id)).map(|p| p.summary.clone()).unwrap_or_default();
                fieldset.card id=(format!("provision-{key}")) {
                    legend { (key) " (" (verdict.status) "): " (summary) }
                    div.radios {
                        @for (value, words, current) in [
                            ("supported", "Supported", status == Some(DeclarationStatus::Supported)),
                            ("not-supported", "Not supported", status == Some(DeclarationStatus::NotSupported)),
                            ("not-applicable", "Not applicable", status == Some(DeclarationStatus::NotApplicable)),
                        ] {
                            span.radio {
                                input type="radio" id=(format!("status-{key}-{value}")) name=(format!("status.{key}")) value=(value) checked[current];
                                label.inline-label for=(format!("status-{key}-{value}")) { (words) }
                            }
                        }
                    }
                    label for=(format!("text-{key}")) { "How it is met, or why not" }
                    textarea id=(format!("text-{key}")) name=(format!("text.{key}")) rows="3" {
                        (declaration.and_then(|d| d.detail.clone().or_else(|| d.rationale.clone())).unwrap_or_default())
                    }
                    label for=(format!("evidence-{key}")) { "Evidence (uploaded file names, comma-separated)" }
                    input type="text" id=(format!("evidence-{key}")) name=(format!("evidence.{key}"))
                        value=(declaration.map(|d| evidence_files(&dossier, &d.evidence)).unwrap_or_default());
                }
            }
            div.form-actions { button.primary type="submit" { "Save and re-assess" } }
        }
    };
    Ok(render(&viewer, "Provisions", body))
}

/// The file names behind evidence ids, for the form.
fn evidence_files(dossier: &Dossier, ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            dossier
                .evidence
                .iter()
                .find(|item| &item.id == id)
                .and_then(|item| item.file.clone())
                .unwrap_or_else(|| id.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn save_provisions(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(&fields.one("csrf_token"))?;
    manufacturer_only(&viewer)?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let mut dossier = stored_dossier(&record)?;
    let uploads = state.registry.evidence_of(&viewer.actor, id).await?;
    let mut declarations: BTreeMap<String, Declaration> = dossier
        .declarations
        .drain(..)
        .map(|declaration| (declaration.provision.to_string(), declaration))
        .collect();
    for (name, values) in &fields.0 {
        let Some(provision) = name.strip_prefix("status.") else {
            continue;
        };
        let provision_id: ProvisionId = provision
            .parse()
            .map_err(|_| invalid(format!("Unknown provision {provision:?}.")))?;
        let status = match values.first().map(String::as_str) {
            Some("supported") => DeclarationStatus::Supported,
            Some("not-supported") => DeclarationStatus::NotSupported,
            Some("not-applicable") => DeclarationStatus::NotApplicable,
            other => {
                return Err(invalid(format!(
                    "{other:?} is not a status for {provision}."
                )));
            }
        };
        let text = fields.optional(&format!("text.{provision}"));
        let mut evidence = Vec::new();
        for file in fields
            .one(&format!("evidence.{provision}"))
            .split(',')
            .map(str::trim)
            .filter(|file| !file.is_empty())
        {
            if !uploads.iter().any(|upload| upload.file_name == file) {
                return Err(invalid(format!(
                    "{provision}: no uploaded file is called {file:?}. Upload it on the application page first."
                )));
            }
            let existing = dossier
                .evidence
                .iter()
                .find(|item| item.file.as_deref() == Some(file))
                .map(|item| item.id.clone());
            let item_id = match existing {
                Some(item_id) => item_id,
                None => {
                    let item_id = iotlabel_registry::evidence::dossier_evidence_id("upload", file);
                    dossier.evidence.push(EvidenceItem {
                        id: item_id.clone(),
                        kind: EvidenceKind::SupportingDocument,
                        file: Some(file.to_owned()),
                        title: None,
                        lab: None,
                        report: None,
                        verdict: None,
                        issued_on: None,
                        provisions: BTreeMap::new(),
                        scheme: None,
                        level: None,
                        label_id: None,
                        valid_until: None,
                        status: None,
                    });
                    item_id
                }
            };
            evidence.push(item_id);
        }
        let (detail, rationale) = match status {
            DeclarationStatus::Supported => (text, None),
            _ => (None, text),
        };
        declarations.insert(
            provision.to_owned(),
            Declaration {
                provision: provision_id,
                status,
                detail,
                rationale,
                evidence,
            },
        );
    }
    dossier.declarations = declarations.into_values().collect();
    state
        .registry
        .update_dossier(
            &viewer.actor,
            id,
            &dossier,
            record.content.lab_organisation_id,
        )
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{id}/provisions"),
        "Saved and re-assessed.",
    ))
}
