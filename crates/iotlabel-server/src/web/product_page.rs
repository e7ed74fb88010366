//! The public product page a label's QR code opens (`/labels/<url-id>`; `/l/<id>` redirects
//! to it): the level as asterisks, the live status in words and colour, validity, support
//! period, where to report a vulnerability, recognitions and downloads.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iotlabel_registry::product_page::ProductPage;
use iotlabel_registry::roles::Role;
use iotlabel_registry::store::LabelState;
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageError, Viewer, asterisks, redirect_with_flash, render, status_words};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let product = state.registry.product_page(&id).await?;
    let title = format!(
        "{} {}",
        product.label.product.name, product.label.product.model
    );
    let mut body = product_body(&product);
    if matches!(viewer.role(), Role::Assessor | Role::Registrar) {
        body = html! { (body) (label_actions(&viewer, &product)) };
    }
    let mut response = render(&viewer, &title, body);
    // The status is live: a cached page could show a suspended label as valid.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `/l/<id>`: a short form that accepts the registration id in either spelling (as printed,
/// with slashes, or in its URL form).
pub async fn short_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let label = state.registry.lookup_label(&id).await?;
    Ok((
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, format!("/labels/{}", label.url_id))],
    )
        .into_response())
}

/// Whether manufacturer-supplied `url` may be a link: http(s) only, so a `javascript:` or
/// `data:` URL in a dossier never becomes one (the page's CSP would block it too).
fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn status_block(product: &ProductPage) -> Markup {
    let label = &product.label;
    let (words, class) = status_words(&label.status);
    html! {
        div class=(format!("status {class}")) #label-status data-status=(label.status) {
            "Label status: " (words)
            @match label.status.as_str() {
                "valid" => small { "This label is current until " (label.valid_until) "." },
                "suspended" => small {
                    "The scheme has suspended this label"
                    @if let Some(reason) = &label.suspension_reason { ": " (reason) } @else { "." }
                    " Do not rely on it until it is reinstated."
                },
                "revoked" => small { "The scheme has withdrawn this label. The product no longer holds it." },
                "expired" => small { "This label expired on " (label.valid_until) "." },
                _ => small { "" },
            }
        }
    }
}

fn product_body(product: &ProductPage) -> Markup {
    let label = &product.label;
    let url_id = &label.url_id;
    let current = label.status == "valid";
    html! {
        p.muted { (product.scheme_name) }
        h1 { (label.product.name) " " span.muted { (label.product.model) } }
        div.label-head {
            (asterisks(label.level))
            span.level-words { (product.scheme_short_name) " level " (label.level) " of 4" }
        }
        (status_block(product))
        div.card {
            dl.facts {
                dt { "Manufacturer" } dd { (label.product.manufacturer) }
                dt { "Product" } dd { (label.product.name) }
                dt { "Model" } dd { (label.product.model) }
                dt { "Category" } dd { (product.category_name) }
                @if let Some(version) = &product.hardware_version { dt { "Hardware version" } dd { (version) } }
                @if let Some(version) = &product.firmware_version { dt { "Firmware version" } dd { (version) } }
                dt { "Label number" } dd { code { (label.registration_id) } }
                dt { "Valid from" } dd { (label.valid_from) }
                dt { "Valid until" } dd { (label.valid_until) }
                dt { "Security updates until" }
                dd {
                    @if let Some(end) = &product.support_period_end { (end) } @else { "Not stated" }
                }
                dt { "Report a vulnerability" }
                dd {
                    @if let Some(url) = product.vulnerability_disclosure_url.as_deref().filter(|url| is_web_link(url)) {
                        a href=(url) rel="nofollow noopener" { "To the manufacturer" } " · "
                    }
                    a href=(format!("/labels/{url_id}/report")) { "To the scheme" }
                }
            }
        }
        @if !product.recognitions.is_empty() {
            h2 { "Recognised elsewhere" }
            ul {
                @for recognition in &product.recognitions {
                    li {
                        strong { (recognition.partner) } ": " (recognition.grants)
                        @if recognition.direction == "outbound" {
                            @if current { " (until " (label.valid_until) ")." }
                            @else { ". This does not apply while the label is " (status_words(&label.status).0.to_lowercase()) "." }
                        }
                    }
                }
            }
        }
        h2 { "The label" }
        div.artwork {
            img src=(format!("/api/labels/{url_id}/artwork.svg")) width="320" height="160"
                alt=(format!("{} level {} label, number {}", product.scheme_short_name, label.level, label.registration_id));
        }
        h2 { "Downloads" }
        ul.downloads {
            li { a href=(format!("/api/labels/{url_id}/artwork.svg")) download { "Label artwork (SVG)" } }
            li { a href=(format!("/api/labels/{url_id}/artwork.png")) download { "Label artwork (PNG)" } }
            li { a href=(format!("/api/labels/{url_id}/credential")) { "Signed label credential (W3C Verifiable Credential, JSON)" } }
            li { a href=(format!("/labels/{url_id}/assessment.oscal.json")) { "Assessment results (OSCAL, JSON)" } }
            @if let Some(file) = &product.sbom_file {
                li { a href=(format!("/labels/{url_id}/sbom")) { "Software bill of materials (" (file) ")" } }
            }
            li { a href=(format!("/api/labels/{url_id}")) { "Live status (JSON)" } }
        }
    }
}

/// The label's assessment as OSCAL assessment results (JSON download).
pub async fn oscal_assessment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (assessment, issued_at) = state.registry.label_assessment(&id).await?;
    let generated = time::OffsetDateTime::from_unix_timestamp(issued_at)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let document =
        iotlabel_formats::oscal::assessment_results(&assessment, generated).map_err(|error| {
            eprintln!("internal error: OSCAL assessment results: {error}");
            PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Try again in a moment.",
            )
        })?;
    Ok(axum::Json(document).into_response())
}

/// Suspend, reinstate and revoke, for assessors and the registrar (the registry checks who
/// may do which).
fn label_actions(viewer: &Viewer, product: &ProductPage) -> Markup {
    let label = &product.label;
    let action = |change: &str| format!("/labels/{}/actions/{change}", label.url_id);
    html! {
        h2 { "Label actions" }
        @if label.status == "valid" {
            form.card method="post" action=(action("suspend")) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token());
                label for="suspend-reason" { "Reason for suspension (shown publicly)" }
                textarea #suspend-reason name="reason" required {}
                div.form-actions { button.primary type="submit" { "Suspend the label" } }
            }
        }
        @if label.status == "suspended" {
            form.card method="post" action=(action("reinstate")) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token());
                div.form-actions { button.primary type="submit" { "Reinstate the label" } }
            }
        }
        @if label.status != "revoked" {
            form.card method="post" action=(action("revoke")) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token());
                label for="revoke-reason" { "Reason for revocation (shown publicly)" }
                textarea #revoke-reason name="reason" required {}
                div.form-actions { button.primary type="submit" { "Revoke the label" } }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, change)): Path<(String, String)>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf_token)?;
    let (to, done) = match change.as_str() {
        "suspend" => (LabelState::Suspended, "suspended"),
        "reinstate" => (LabelState::Valid, "reinstated"),
        "revoke" => (LabelState::Revoked, "revoked"),
        _ => return Err(PageError::not_found()),
    };
    let reason = Some(form.reason.trim()).filter(|reason| !reason.is_empty());
    let label = state
        .registry
        .change_label(&viewer.actor, &id, to, reason)
        .await?;
    Ok(redirect_with_flash(
        &format!("/labels/{}", label.url_id),
        &format!("Label {} {done}.", label.registration_id),
    ))
}

/// The SBOM the manufacturer published with the label, as uploaded.
pub async fn sbom(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (file_name, bytes) = state.registry.label_sbom(&id).await?;
    let media_type = if file_name.ends_with(".json") {
        // CycloneDX and SPDX JSON alike; the file says which.
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file_name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::is_web_link;

    #[test]
    fn only_http_urls_become_links() {
        assert!(is_web_link("https://example.com/security"));
        assert!(is_web_link("HTTP://example.com"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link(" data:text/html,<script>"));
        assert!(!is_web_link("//evil.example"));
    }
}
