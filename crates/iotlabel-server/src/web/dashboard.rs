//! "My work": the signed-in user's starting page. Manufacturers see their applications, test
//! labs the applications assigned to them, assessors and the registrar the queue (filtered
//! by state) with links to vulnerability reports and the transparency log.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use iotlabel_registry::roles::Role;
use iotlabel_registry::workflow::State as ApplicationState;
use maud::html;
use serde::Deserialize;

use super::{PageError, Viewer, render};
use crate::AppState;

/// How many applications one dashboard page lists.
const LISTED: i64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct QueueFilter {
    #[serde(default)]
    state: String,
}

pub fn state_words(state: ApplicationState) -> &'static str {
    match state {
        ApplicationState::Draft => "Draft",
        ApplicationState::LabReview => "With the test lab",
        ApplicationState::Submitted => "Submitted",
        ApplicationState::UnderAssessment => "Under assessment",
        ApplicationState::ChangesRequested => "Changes requested",
        ApplicationState::Approved => "Approved",
        ApplicationState::Rejected => "Rejected",
        ApplicationState::Withdrawn => "Withdrawn",
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<QueueFilter>,
) -> Result<Response, PageError> {
    if !viewer.is_signed_in() {
        return Ok(Redirect::to("/signin").into_response());
    }
    let role = viewer.role();
    let mut applications = state
        .registry
        .list_applications(&viewer.actor, 1, LISTED)
        .await?;
    let is_assessor = matches!(role, Role::Assessor | Role::Registrar);
    if !filter.state.is_empty() {
        applications.retain(|application| application.state.as_str() == filter.state);
    }
    let heading = match role {
        Role::Manufacturer => "Your applications",
        Role::TestLab => "Applications assigned to your lab",
        _ => "Applications",
    };
    let body = html! {
        h1 { "My work" }
        @if role == Role::Manufacturer {
            p { a.button href="/applications/new" { "Start a new application" } }
        }
        @if is_assessor || role == Role::Manufacturer {
            p { a href="/vulnerability-reports" { "Vulnerability reports" } }
        }
        @if is_assessor {
            p { a href="/transparency-log" { "Transparency log" } }
            form.card method="get" action="/dashboard" aria-label="Filter the queue" {
                label for="state" { "State" }
                select #state name="state" {
                    option value="" { "Any" }
                    @for option in [ApplicationState::Submitted, ApplicationState::UnderAssessment,
                                    ApplicationState::ChangesRequested, ApplicationState::LabReview,
                                    ApplicationState::Approved, ApplicationState::Rejected,
                                    ApplicationState::Withdrawn] {
                        option value=(option.as_str()) selected[filter.state == option.as_str()] { (state_words(option)) }
                    }
                }
                div.form-actions { button.primary type="submit" { "Filter" } }
            }
        }
        h2 { (heading) }
        @if applications.is_empty() {
            p { "Nothing here yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Application" }
                        th scope="col" { "Product" }
                        th scope="col" { "Target level" }
                        th scope="col" { "State" }
                    } }
                    tbody {
                        @for application in &applications {
                            tr {
                                td { a href=(format!("/applications/{}", application.id)) { "#" (application.id) } }
                                td { (application.content.product.manufacturer) ": " (application.content.product.name) " " (application.content.product.model) }
                                td { (application.content.product.target_level) }
                                td { (state_words(application.state)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(render(&viewer, "My work", body))
}
