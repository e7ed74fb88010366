//! The public registry: search and filters (text, manufacturer, category, level, status),
//! paginated, with a CSV download of the current view.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use iotlabel_registry::published::labels_csv;
use iotlabel_registry::service::{LabelSearch, MAX_PER_PAGE};
use maud::html;
use serde::Deserialize;

use super::{PageError, Viewer, asterisks, query_string, render, status_words};
use crate::AppState;

/// Results per page on the search page.
const PER_PAGE: i64 = 20;
/// The most rows one CSV download of a view holds; the full list is /api/export/labels.csv.
const CSV_MAX_ROWS: i64 = 10_000;

/// The filters as the form sends them: every field text, empty when not chosen.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    manufacturer: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

fn non_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

impl Filters {
    fn search(&self, page: i64, per_page: i64) -> LabelSearch {
        LabelSearch {
            q: non_empty(&self.q),
            manufacturer: non_empty(&self.manufacturer),
            category: non_empty(&self.category),
            level: self.level.trim().parse().ok(),
            status: non_empty(&self.status),
            page: Some(page),
            per_page: Some(per_page),
            ..LabelSearch::default()
        }
    }

    fn page(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).max(1)
    }

    /// The filters as query pairs (without the page), for links that keep the view.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("manufacturer", self.manufacturer.trim().to_owned()),
            ("category", self.category.trim().to_owned()),
            ("level", self.level.trim().to_owned()),
            ("status", self.status.trim().to_owned()),
        ]
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let current = filters.page();
    let results = state
        .registry
        .search_labels(&filters.search(current, PER_PAGE))
        .await?;
    // A capped total is a lower bound: offer the next page while this one is full.
    let pages = if results.total_is_capped {
        current + i64::from(i64::try_from(results.labels.len()).unwrap_or(0) == PER_PAGE)
    } else {
        (results.total + PER_PAGE - 1) / PER_PAGE
    };
    let pairs = filters.pairs();
    let link_to = |page: i64| {
        let mut with_page = pairs.clone();
        with_page.push(("page", page.to_string()));
        format!("/registry{}", query_string(&with_page))
    };
    let categories = &state.registry.catalog().categories;
    let body = html! {
        h1 { "Registry of labelled products" }
        form.card method="get" action="/registry" role="search" aria-label="Search labels" {
            div.filters {
                div {
                    label for="q" { "Product, model or label number" }
                    input #q type="search" name="q" value=(filters.q);
                }
                div {
                    label for="manufacturer" { "Manufacturer" }
                    input #manufacturer type="text" name="manufacturer" value=(filters.manufacturer);
                }
                div {
                    label for="category" { "Category" }
                    select #category name="category" {
                        option value="" { "Any" }
                        @for category in categories.iter().filter(|category| category.cls_in_scope) {
                            option value=(category.id) selected[filters.category == category.id] { (category.name) }
                        }
                    }
                }
                div {
                    label for="level" { "Level" }
                    select #level name="level" {
                        option value="" { "Any" }
                        @for level in 1..=4 {
                            option value=(level) selected[filters.level.trim() == level.to_string()] { "Level " (level) }
                        }
                    }
                }
                div {
                    label for="status" { "Status" }
                    select #status name="status" {
                        option value="" { "Any" }
                        @for status in ["valid", "suspended", "revoked", "expired"] {
                            option value=(status) selected[filters.status == status] { (status_words(status).0) }
                        }
                    }
                }
            }
            div.form-actions {
                button.primary type="submit" { "Search" }
                a href="/registry" { "Clear filters" }
            }
        }
        p #result-count role="status" {
            @if results.total_is_capped {
                (results.total) " or more labels found: narrow the search to see how many."
            } @else {
                (results.total) " " (if results.total == 1 { "label" } else { "labels" }) " found."
            }
            " " a href=(format!("/registry.csv{}", query_string(&pairs))) { "Download this list as CSV" }
        }
        @if !results.labels.is_empty() {
            div.table-wrap {
                table {
                    caption.visually-hidden { "Labels matching the search" }
                    thead { tr {
                        th scope="col" { "Product" }
                        th scope="col" { "Manufacturer" }
                        th scope="col" { "Level" }
                        th scope="col" { "Status" }
                        th scope="col" { "Valid until" }
                    } }
                    tbody {
                        @for label in &results.labels {
                            tr {
                                td { a href=(format!("/labels/{}", label.url_id)) { (label.product.name) " " (label.product.model) } }
                                td { (label.product.manufacturer) }
                                td.nowrap { (asterisks(label.level)) }
                                td { span class=(format!("badge {}", status_words(&label.status).1)) { (status_words(&label.status).0) } }
                                td.nowrap { (label.valid_until) }
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pagination aria-label="Pages" {
                @if current > 1 { a href=(link_to(current - 1)) rel="prev" { "Previous page" } }
                @if results.total_is_capped { span { "Page " (current) } }
                @else { span { "Page " (current) " of " (pages) } }
                @if current < pages { a href=(link_to(current + 1)) rel="next" { "Next page" } }
            }
        }
    };
    Ok(render(&viewer, "Registry", body))
}

/// The current view as CSV: every matching label (up to [`CSV_MAX_ROWS`]), not one page.
pub async fn csv(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let mut labels = Vec::new();
    let mut page = 1;
    loop {
        let results = state
            .registry
            .search_labels(&filters.search(page, MAX_PER_PAGE))
            .await?;
        let got = i64::try_from(results.labels.len()).unwrap_or(i64::MAX);
        labels.extend(results.labels);
        let fetched = i64::try_from(labels.len()).unwrap_or(i64::MAX);
        if got < MAX_PER_PAGE || fetched >= results.total || fetched >= CSV_MAX_ROWS {
            break;
        }
        page += 1;
    }
    labels.truncate(usize::try_from(CSV_MAX_ROWS).unwrap_or(usize::MAX));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"labels.csv\""),
            ),
        ],
        labels_csv(&labels),
    )
        .into_response())
}
