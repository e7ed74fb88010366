//! One application: its product, the engine's verdicts and the live gap to the target level,
//! evidence, history, and the forms for what the viewer may do next (workflow actions with
//! reasons, evidence upload, a corrected dossier). Also the import of a complete dossier
//! file as a new application.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use iotlabel_core::document::DocumentFormat;
use iotlabel_core::{Assessment, Dossier};
use iotlabel_registry::Store;
use iotlabel_registry::roles::Role;
use iotlabel_registry::store::{ApplicationRecord, LabVerdictRecord, OrganisationKind};
use iotlabel_registry::workflow::Action;
use maud::{Markup, html};
use serde::Deserialize;

use super::dashboard::state_words;
use super::{PageError, Viewer, redirect_with_flash, render_refreshing, stored_assessment};
use crate::AppState;

fn parse_action(text: &str) -> Result<Action, PageError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| PageError::not_found())
}

fn action_words(action: Action) -> &'static str {
    match action {
        Action::SendToLab => "Send to the test lab",
        Action::ReturnToManufacturer => "Return to the manufacturer",
        Action::HandOff => "Hand off to the assessors",
        Action::StartAssessment => "Start assessment",
        Action::RequestChanges => "Request changes",
        Action::Resubmit => "Resubmit",
        Action::Approve => "Approve and issue the label",
        Action::Reject => "Reject",
        Action::Withdraw => "Withdraw the application",
    }
}

/// "2 provisions block level 2: …": what stands between the attained and the target level.
pub fn gap_summary(assessment: &Assessment) -> Markup {
    let target = assessment.target_level;
    let blocking: Vec<_> = assessment
        .blocking
        .iter()
        .filter(|item| item.level <= target)
        .collect();
    html! {
        div.card #gap {
            @if assessment.level_attained >= target {
                p { strong { "Level " (target) " is met." } }
            } @else {
                p { strong {
                    (blocking.len()) " " (if blocking.len() == 1 { "item blocks" } else { "items block" })
                    " level " (target) " (level attained: " (assessment.level_attained) ")."
                } }
                ul {
                    @for item in &blocking {
                        li { code { (item.item) } " (level " (item.level) "): " (item.reason) }
                    }
                }
            }
        }
    }
}

fn verdict_table(
    assessment: &Assessment,
    lab_verdicts: &std::collections::BTreeMap<String, LabVerdictRecord>,
) -> Markup {
    html! {
        details {
            summary { "Per-provision verdicts (" (assessment.provisions.len()) ")" }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Provision" }
                        th scope="col" { "Status" }
                        th scope="col" { "Engine" }
                        th scope="col" { "Lab" }
                        th scope="col" { "Why" }
                    } }
                    tbody {
                        @for verdict in &assessment.provisions {
                            tr {
                                td { (verdict.id.to_string()) }
                                td { (verdict.status) }
                                td { (verdict.verdict.as_str()) }
                                td {
                                    @if let Some(lab) = lab_verdicts.get(&verdict.id.to_string()) {
                                        (lab.verdict.as_str())
                                        @if let Some(note) = &lab.note { ": " (note) }
                                    }
                                }
                                td { (verdict.reasons.join("; ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    viewer.require_signed_in()?;
    let registry = &state.registry;
    let record = registry.get_application(&viewer.actor, id).await?;
    let view = registry.view(&viewer.actor, &record);
    let evidence = registry.evidence_of(&viewer.actor, id).await?;
    let events = registry.events_of(&viewer.actor, id).await?;
    let scans = registry.firmware_scans(&viewer.actor, id).await?;
    let lab_verdicts: std::collections::BTreeMap<String, LabVerdictRecord> = registry
        .lab_verdicts_of(&viewer.actor, id)
        .await
        .or_else(|error| match error {
            // Assessors read lab verdicts once the application is submitted; a manufacturer
            // or assessor refused here simply sees none.
            iotlabel_registry::RegistryError::Forbidden(_)
            | iotlabel_registry::RegistryError::NotFound => Ok(Vec::new()),
            other => Err(other),
        })?
        .into_iter()
        .map(|verdict| (verdict.provision.clone(), verdict))
        .collect();
    let assessment: Option<Assessment> = stored_assessment(&record);
    let editable = matches!(
        record.state,
        iotlabel_registry::workflow::State::Draft
            | iotlabel_registry::workflow::State::ChangesRequested
    ) && viewer.role() == Role::Manufacturer;
    let product = &record.content.product;
    let csrf = viewer.csrf_token().to_owned();
    let body = html! {
        p { a href="/dashboard" { "My work" } }
        h1 { "Application #" (record.id) ": " (product.name) " " (product.model) }
        dl.facts.card {
            dt { "State" } dd #application-state { (state_words(record.state)) }
            dt { "Manufacturer" } dd { (product.manufacturer) }
            dt { "Target level" } dd { (product.target_level) }
            dt { "Route" } dd { (product.route) }
            dt { "Category" } dd { (product.category) }
        }
        p {
            a href=(format!("/applications/{}/changes", record.id)) { "Changes between submissions" }
            @if viewer.role() == Role::TestLab {
                " · " a href=(format!("/applications/{}/lab-review", record.id)) { "Record lab verdicts" }
            }
            @if editable {
                " · " a href=(format!("/applications/{}/product", record.id)) { "Edit product and target" }
                " · " a href=(format!("/applications/{}/ics", record.id)) { "Edit features" }
                " · " a href=(format!("/applications/{}/provisions", record.id)) { "Edit provisions" }
            }
        }
        @if let Some(assessment) = &assessment {
            h2 { "Against the target level" }
            (gap_summary(assessment))
            (verdict_table(assessment, &lab_verdicts))
        }
        @if let Some(error) = &record.content.assessment_error {
            div.flash role="alert" { "The engine could not assess this dossier: " (error) }
        }
        @if !view.allowed_actions.is_empty() {
            h2 { "Next steps" }
            @for action in &view.allowed_actions {
                form.card method="post" action=(format!("/applications/{}/actions/{}", record.id, action.as_str())) {
                    input type="hidden" name="csrf_token" value=(csrf);
                    @if action.needs_reason() {
                        label for=(format!("reason-{}", action.as_str())) { "Reason (shown to the manufacturer and logged)" }
                        textarea id=(format!("reason-{}", action.as_str())) name="reason" required {}
                    }
                    div.form-actions { button.primary type="submit" data-action=(action.as_str()) { (action_words(*action)) } }
                }
            }
        }
        h2 { "Firmware" }
        @if scans.is_empty() { p { "No firmware image scanned yet." } }
        @else {
            ul #firmware-scans {
                @for (job, scan) in &scans {
                    li data-state=(job.state) {
                        strong { (scan.file_name) } ": "
                        @match job.state.as_str() {
                            "queued" => "waiting to be scanned",
                            "running" => { "scanning" @if let Some(progress) = &job.progress { " (" (progress) ")" } },
                            "done" => {
                                (job.progress.as_deref().unwrap_or("scanned")) ". "
                                @let report_name = iotlabel_registry::firmware_scan::report_file_name(&scan.file_name);
                                @if let Some(report) = evidence.iter().find(|item| item.file_name == report_name) {
                                    a href=(format!("/api/applications/{}/evidence/{}", record.id, report.sha256)) { "The scan report (JSON)" }
                                    "; its findings are in the verdicts above."
                                }
                            },
                            _ => { "scan failed" @if let Some(error) = &job.last_error { ": " (error) } },
                        }
                    }
                }
            }
        }
        @if editable || viewer.role() == Role::TestLab {
            form.card method="post" action=(format!("/applications/{}/firmware?csrf_token={}", record.id, csrf)) enctype="multipart/form-data" {
                label for="firmware-file" { "Upload a firmware image to scan" }
                input #firmware-file type="file" name="file" required;
                p.hint { "Scanned in the background (pure-Rust extraction and checks); its findings feed the verdicts. At most "
                    (iotlabel_registry::firmware_scan::MAX_FIRMWARE_BYTES / (1024 * 1024)) " MiB." }
                div.form-actions { button.primary type="submit" { "Upload and scan" } }
            }
        }
        h2 { "Evidence" }
        @if evidence.is_empty() { p { "No evidence uploaded yet." } }
        @else {
            ul {
                @for item in &evidence {
                    li {
                        a href=(format!("/api/applications/{}/evidence/{}", record.id, item.sha256)) { (item.file_name) }
                        " (" (item.media_type) ", " (item.size) " bytes)"
                    }
                }
            }
        }
        @if editable || viewer.role() == Role::TestLab {
            form.card method="post" action=(format!("/applications/{}/evidence?csrf_token={}", record.id, csrf)) enctype="multipart/form-data" {
                label for="evidence-file" { "Upload evidence (report, firmware scan JSON, document)" }
                input #evidence-file type="file" name="file" required;
                p.hint { "At most " (state.registry.settings().max_evidence_bytes / 1024) " KiB." }
                div.form-actions { button.primary type="submit" { "Upload" } }
            }
        }
        @if editable {
            h2 { "Update the dossier" }
            form.card method="post" action=(format!("/applications/{}/dossier", record.id)) {
                input type="hidden" name="csrf_token" value=(csrf);
                label for="dossier" { "Dossier (JSON)" }
                textarea #dossier name="dossier" rows="16" { (serde_json::to_string_pretty(&view.dossier).unwrap_or_default()) }
                div.form-actions { button.primary type="submit" { "Save and re-assess" } }
            }
        }
        h2 { "History" }
        ol {
            @for event in &events {
                li {
                    (event.action)
                    @if let Some(to) = &event.to_state { " → " (to) }
                    @if let Some(reason) = &event.reason { ": " (reason) }
                }
            }
        }
    };
    let scanning = scans
        .iter()
        .any(|(job, _)| matches!(job.state.as_str(), "queued" | "running"));
    Ok(render_refreshing(
        &viewer,
        &format!("Application #{}", record.id),
        body,
        scanning.then_some(2),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf_token)?;
    let action = parse_action(&action)?;
    let reason = Some(form.reason.trim()).filter(|reason| !reason.is_empty());
    let (_, label) = state
        .registry
        .act(&viewer.actor, id, action, reason)
        .await?;
    let message = match label {
        Some(label) => format!("Approved: label {} issued.", label.registration_id),
        None => format!("Done: {}.", action_words(action).to_lowercase()),
    };
    Ok(redirect_with_flash(
        &format!("/applications/{id}"),
        &message,
    ))
}

#[derive(Debug, Deserialize)]
pub struct DossierForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    dossier: String,
    #[serde(default)]
    lab: String,
}

fn parse_dossier(text: &str) -> Result<Dossier, PageError> {
    let trimmed = text.trim_start();
    let format = if trimmed.starts_with('{') {
        DocumentFormat::Json
    } else {
        DocumentFormat::Toml
    };
    Dossier::parse(text, format).map_err(|error| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The dossier could not be read: {error}. Fix it and submit again."),
        )
    })
}

pub async fn update_dossier(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<DossierForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf_token)?;
    let dossier = parse_dossier(&form.dossier)?;
    let current = state.registry.get_application(&viewer.actor, id).await?;
    state
        .registry
        .update_dossier(
            &viewer.actor,
            id,
            &dossier,
            current.content.lab_organisation_id,
        )
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{id}"),
        "Dossier saved and re-assessed.",
    ))
}

/// The `file` field of a multipart upload: its name (or `default_name`) and bytes. What is
/// over the route's body limit is a 413 page saying `too_large`; nothing is stored.
async fn uploaded_file(
    multipart: &mut Multipart,
    default_name: &str,
    too_large: &str,
) -> Result<(String, axum::body::Bytes), PageError> {
    let multipart_error = |error: axum::extract::multipart::MultipartError| {
        let status = error.status();
        PageError::new(
            status,
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                too_large.to_owned()
            } else {
                format!("The upload could not be read: {error}")
            },
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or(default_name).to_owned();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        return Ok((file_name, bytes));
    }
    Err(PageError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Choose a file to upload.",
    ))
}

/// Evidence upload (multipart). The CSRF token travels in the query string, since the form
/// body is read as a stream.
pub async fn upload_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<ActionForm>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    viewer.check_csrf(&query.csrf_token)?;
    let (file_name, bytes) = uploaded_file(
        &mut multipart,
        "evidence",
        "The file is larger than the registry accepts. Nothing was stored.",
    )
    .await?;
    let (_, record) = state
        .registry
        .upload_evidence(&viewer.actor, id, &file_name, &bytes)
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{id}"),
        &format!("Uploaded {} ({} bytes).", record.file_name, record.size),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<DossierForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf_token)?;
    let dossier = parse_dossier(&form.dossier)?;
    let lab = match form.lab.trim() {
        "" => None,
        name => {
            let organisation = state
                .registry
                .store()
                .find_organisation(name)
                .await
                .map_err(iotlabel_registry::RegistryError::from)?
                .filter(|organisation| organisation.kind == OrganisationKind::TestLab)
                .ok_or_else(|| {
                    PageError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "No test lab is registered as {name:?}. Check the name with the scheme."
                        ),
                    )
                })?;
            Some(organisation.id)
        }
    };
    let record: ApplicationRecord = state
        .registry
        .create_application(&viewer.actor, &dossier, lab, None)
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{}", record.id),
        "Draft created and assessed.",
    ))
}

/// A firmware image upload (multipart): stored as evidence, then scanned in the background.
pub async fn upload_firmware(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<ActionForm>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    viewer.check_csrf(&query.csrf_token)?;
    let (file_name, bytes) = uploaded_file(
        &mut multipart,
        "firmware.bin",
        "The image is larger than the registry scans. Nothing was stored.",
    )
    .await?;
    let upload = state
        .registry
        .upload_firmware(&viewer.actor, id, &file_name, &bytes)
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{id}"),
        &format!(
            "Uploaded {} ({} bytes); the scan runs in the background (job {}).",
            upload.evidence.file_name, upload.evidence.size, upload.job_id
        ),
    ))
}
