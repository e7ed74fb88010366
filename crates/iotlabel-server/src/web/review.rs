//! Reviewing an application: what changed between two submissions (for the assessor who
//! asked for changes), and the test lab's per-provision verdicts.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use iotlabel_core::Assessment;
use iotlabel_registry::dossier_diff::{DeclarationChange, EvidenceChange};
use iotlabel_registry::store::{LabReviewVerdict, NewLabVerdict};
use iotlabel_registry::submissions::FileChange;
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageError, Viewer, redirect_with_flash, render, stored_assessment};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Range {
    from: Option<i64>,
    to: Option<i64>,
}

fn text(value: Option<&String>) -> String {
    value.cloned().unwrap_or_else(|| "(none)".to_owned())
}

fn declaration_change(change: &DeclarationChange) -> Markup {
    let status = |status: &iotlabel_core::dossier::DeclarationStatus| status.as_str().to_owned();
    html! {
        @match change {
            DeclarationChange::Added { status: now } => span.diff-added { "declared " (status(now)) },
            DeclarationChange::Removed { status: was } => span.diff-removed { "declaration removed (was " (status(was)) ")" },
            DeclarationChange::StatusChanged { before, after } => {
                "status " span.diff-removed { (status(before)) } " → " span.diff-added { (status(after)) }
            },
            DeclarationChange::DetailChanged { before, after } => {
                "detail " span.diff-removed { (text(before.as_ref())) } " → " span.diff-added { (text(after.as_ref())) }
            },
            DeclarationChange::RationaleChanged { before, after } => {
                "rationale " span.diff-removed { (text(before.as_ref())) } " → " span.diff-added { (text(after.as_ref())) }
            },
            DeclarationChange::EvidenceRemoved { evidence } => span.diff-removed { "evidence " (evidence) " removed" },
            DeclarationChange::EvidenceAdded { evidence } => span.diff-added { "evidence " (evidence) " added" },
        }
    }
}

pub async fn changes(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(range): Query<Range>,
) -> Result<Response, PageError> {
    viewer.require_signed_in()?;
    let submissions = state.registry.submissions_of(&viewer.actor, id).await?;
    let last = submissions.last().map_or(0, |submission| submission.number);
    let body = if last < 2 && range.from.is_none() {
        html! {
            p { a href=(format!("/applications/{id}")) { "Application #" (id) } }
            h1 { "Changes between submissions" }
            p { "This application has been submitted " (last) " time(s): there is nothing to compare yet." }
        }
    } else {
        let to = range.to.unwrap_or(last);
        let from = range.from.unwrap_or(to - 1);
        let diff = state
            .registry
            .submission_diff(&viewer.actor, id, from, to)
            .await?;
        html! {
            p { a href=(format!("/applications/{id}")) { "Application #" (id) } }
            h1 { "Changes from submission " (diff.from) " to " (diff.to) }
            form.card method="get" action=(format!("/applications/{id}/changes")) aria-label="Choose submissions" {
                label for="from" { "From submission" }
                select #from name="from" {
                    @for submission in &submissions { option value=(submission.number) selected[submission.number == diff.from] { (submission.number) } }
                }
                label for="to" { "To submission" }
                select #to name="to" {
                    @for submission in &submissions { option value=(submission.number) selected[submission.number == diff.to] { (submission.number) } }
                }
                div.form-actions { button.primary type="submit" { "Compare" } }
            }
            @if diff.dossier.is_empty() && diff.files.is_empty() {
                p #no-changes { "No changes." }
            }
            @if !diff.dossier.fields.is_empty() {
                h2 { "Product and target" }
                ul { @for change in &diff.dossier.fields {
                    li.field-change { (change.field) ": " span.diff-removed { (text(change.before.as_ref())) } " → " span.diff-added { (text(change.after.as_ref())) } }
                } }
            }
            @if !diff.dossier.provisions.is_empty() {
                h2 { "Declarations" }
                ul { @for change in &diff.dossier.provisions {
                    li.provision-change data-provision=(change.provision.to_string()) { strong { (change.provision.to_string()) } ": " (declaration_change(&change.change)) }
                } }
            }
            @if !diff.dossier.evidence.is_empty() {
                h2 { "Evidence items" }
                ul { @for change in &diff.dossier.evidence {
                    li { @match change {
                        EvidenceChange::Added { id, kind } => span.diff-added { (id) " (" (kind) ") added" },
                        EvidenceChange::Removed { id, kind } => span.diff-removed { (id) " (" (kind) ") removed" },
                        EvidenceChange::Changed { id, fields } => {
                            (id) ": " (fields.iter().map(|field| field.field.as_str()).collect::<Vec<_>>().join(", ")) " changed"
                        },
                    } }
                } }
            }
            @if !diff.files.is_empty() {
                h2 { "Uploaded files" }
                ul { @for change in &diff.files {
                    li { @match change {
                        FileChange::Added { file_name, .. } => span.diff-added { (file_name) " added" },
                        FileChange::Removed { file_name, .. } => span.diff-removed { (file_name) " removed" },
                        FileChange::Replaced { file_name, .. } => { (file_name) " replaced with new content" },
                    } }
                } }
            }
        }
    };
    Ok(render(&viewer, "Changes between submissions", body))
}

pub async fn lab_review_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    viewer.require_signed_in()?;
    let record = state.registry.get_application(&viewer.actor, id).await?;
    let recorded: BTreeMap<String, _> = state
        .registry
        .lab_verdicts_of(&viewer.actor, id)
        .await?
        .into_iter()
        .map(|verdict| (verdict.provision.clone(), verdict))
        .collect();
    let assessment: Option<Assessment> = stored_assessment(&record);
    let applicable: Vec<_> = assessment
        .iter()
        .flat_map(|assessment| assessment.provisions.iter())
        .filter(|verdict| verdict.applicable)
        .collect();
    let body = html! {
        p { a href=(format!("/applications/{id}")) { "Application #" (id) } }
        h1 { "Lab review: per-provision verdicts" }
        p { "Record the lab's verdict for each provision that applies. A fail or an inconclusive verdict needs a note. "
            "Upload the binary-analysis and penetration-test reports on the application page." }
        form method="post" action=(format!("/applications/{id}/lab-review")) {
            input type="hidden" name="csrf_token" value=(viewer.csrf_token());
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Provision" }
                    th scope="col" { "Engine" }
                    th scope="col" { "Lab verdict" }
                    th scope="col" { "Note" }
                } }
                tbody {
                    @for verdict in &applicable {
                        @let key = verdict.id.to_string();
                        @let current = recorded.get(&key);
                        tr {
                            td { (key) }
                            td { (verdict.verdict.as_str()) }
                            td {
                                label.visually-hidden for=(format!("verdict-{key}")) { "Lab verdict for " (key) }
                                select id=(format!("verdict-{key}")) name=(format!("verdict.{key}")) {
                                    option value="" { "Not reviewed" }
                                    @for option in LabReviewVerdict::ALL {
                                        option value=(option.as_str()) selected[current.is_some_and(|c| c.verdict == option)] { (option.as_str()) }
                                    }
                                }
                            }
                            td {
                                label.visually-hidden for=(format!("note-{key}")) { "Note for " (key) }
                                input type="text" id=(format!("note-{key}")) name=(format!("note.{key}"))
                                    value=(current.and_then(|c| c.note.clone()).unwrap_or_default());
                            }
                        }
                    }
                }
            } }
            div.form-actions { button.primary type="submit" { "Save verdicts" } }
        }
    };
    Ok(render(&viewer, "Lab review", body))
}

pub async fn save_lab_review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(&body) {
        fields.insert(key.into_owned(), value.into_owned());
    }
    viewer.check_csrf(fields.get("csrf_token").map_or("", String::as_str))?;
    let mut verdicts = Vec::new();
    for (key, value) in &fields {
        let Some(provision) = key.strip_prefix("verdict.") else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let verdict = LabReviewVerdict::parse(value).ok_or_else(|| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{value:?} is not a verdict for {provision}."),
            )
        })?;
        let note = fields
            .get(&format!("note.{provision}"))
            .map(|note| note.trim().to_owned())
            .filter(|note| !note.is_empty());
        verdicts.push(NewLabVerdict {
            provision: provision.to_owned(),
            verdict,
            note,
        });
    }
    let saved = state
        .registry
        .record_lab_verdicts(&viewer.actor, id, &verdicts)
        .await?;
    Ok(redirect_with_flash(
        &format!("/applications/{id}"),
        &format!("{} lab verdicts recorded.", saved.len()),
    ))
}
