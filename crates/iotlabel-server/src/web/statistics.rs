//! Statistics: applications received and labels awarded over time, by level and by category,
//! and labels by status, as server-drawn SVG bar charts.

use axum::extract::State;
use axum::response::Response;
use iotlabel_registry::published::Counts;
use maud::html;

use super::charts::bar_chart;
use super::{PageError, Viewer, render, status_words};
use crate::AppState;

fn bars(counts: &Counts, name: impl Fn(&str) -> String) -> Vec<(String, i64)> {
    counts
        .iter()
        .map(|(key, count)| (name(key), *count))
        .collect()
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let statistics = state.registry.statistics().await?;
    let catalog = state.registry.catalog();
    let category_name = |id: &str| {
        catalog
            .category(id)
            .map_or_else(|| id.to_owned(), |category| category.name.clone())
    };
    let level_name = |level: &str| format!("Level {level}");
    let received = &statistics.applications_received;
    let awarded = &statistics.labels_awarded;
    let body = html! {
        h1 { "Statistics" }
        p { (received.total) " applications received; " (awarded.total) " labels awarded." }
        h2 { "Applications received by month" }
        (bar_chart("received-by-month", "Applications received by month", &bars(&received.by_month, str::to_owned)))
        h2 { "Labels awarded by month" }
        (bar_chart("awarded-by-month", "Labels awarded by month", &bars(&awarded.by_month, str::to_owned)))
        h2 { "Labels awarded by level" }
        (bar_chart("awarded-by-level", "Labels awarded by level", &bars(&awarded.by_level, level_name)))
        h2 { "Applications received by level" }
        (bar_chart("received-by-level", "Applications received by level", &bars(&received.by_level, level_name)))
        h2 { "Labels awarded by category" }
        (bar_chart("awarded-by-category", "Labels awarded by category", &bars(&awarded.by_category, category_name)))
        h2 { "Labels by status today" }
        (bar_chart("labels-by-status", "Labels by status today", &bars(&statistics.labels_by_status, |status| status_words(status).0.to_owned())))
        p.muted { "The same figures as JSON: " a href="/api/statistics" { "/api/statistics" } }
    };
    Ok(render(&viewer, "Statistics", body))
}
