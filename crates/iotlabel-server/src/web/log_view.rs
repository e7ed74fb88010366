//! The transparency log as a page: the latest signed checkpoint and the entries, newest
//! first, each linking to its inclusion proof. Anyone may read it (the API serves the same).

use axum::extract::{Query, State};
use axum::response::Response;
use iotlabel_registry::Store;
use maud::html;
use serde::Deserialize;

use super::{PageError, Viewer, render};
use crate::AppState;

const PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct LogPage {
    #[serde(default)]
    page: Option<i64>,
}

fn when(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix_seconds.to_string())
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<LogPage>,
) -> Result<Response, PageError> {
    let registry = &state.registry;
    let checkpoint = registry.checkpoint().await?;
    let size = registry
        .store()
        .log_size()
        .await
        .map_err(iotlabel_registry::RegistryError::from)?;
    let pages = ((size + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    // Newest first: page 1 holds the last PER_PAGE entries.
    let end = size - (page - 1) * PER_PAGE;
    let start = (end - PER_PAGE).max(0);
    let mut entries = registry
        .store()
        .log_entries(start, end - start)
        .await
        .map_err(iotlabel_registry::RegistryError::from)?;
    entries.reverse();
    let body = html! {
        h1 { "Transparency log" }
        p { "Every application decision and label event is appended to this log, a Merkle tree (RFC 6962) "
            "whose signed checkpoints let anyone check that no entry was changed or removed: "
            code { "iotlabel log verify <registry-url>" } "." }
        div.card {
            dl.facts {
                dt { "Entries" } dd #log-size { (size) }
                dt { "Root hash" } dd { code { (checkpoint.root_hash) } }
                dt { "Signed" } dd { (when(checkpoint.created_at)) }
            }
            p { a href="/api/log/checkpoint" { "The signed checkpoint" } " · " a href="/api/log/verifier" { "Its verifier key" } }
        }
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { "When" }
                    th scope="col" { "Entry" }
                    th scope="col" { "Proof" }
                } }
                tbody {
                    @for entry in &entries {
                        tr {
                            td { (entry.leaf_index) }
                            td { (when(entry.created_at)) }
                            td { code { (entry.entry) } }
                            td { a href=(format!("/api/log/proof/{}", entry.leaf_index)) { "Inclusion proof" } }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pagination aria-label="Pages" {
                @if page > 1 { a href=(format!("/transparency-log?page={}", page - 1)) rel="prev" { "Newer entries" } }
                span { "Page " (page) " of " (pages) }
                @if page < pages { a href=(format!("/transparency-log?page={}", page + 1)) rel="next" { "Older entries" } }
            }
        }
    };
    Ok(render(&viewer, "Transparency log", body))
}
