//! Prometheus metrics at /metrics: HTTP requests by route, method and status (counted by a
//! middleware), and gauges read from the database when scraped (labels by live status,
//! transparency log size). The text exposition format is simple enough to write directly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use iotlabel_registry::service::LabelSearch;
use iotlabel_registry::store::Store;

use crate::AppState;
use crate::error::ApiError;

/// Request counts by (route template, method, status).
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl Metrics {
    fn count(&self, route: &str, method: &str, status: u16) {
        // A poisoned lock only means another request panicked while counting: keep counting.
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<(String, String, u16), u64> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Counts every routed request under its route template (never the raw path, whose ids
/// would make the label set unbounded).
pub async fn track(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .count(&route, &method, response.status().as_u16());
    response
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn render(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP iotlabel_http_requests_total HTTP requests by route, method and status."
    );
    let _ = writeln!(out, "# TYPE iotlabel_http_requests_total counter");
    for ((route, method, status), count) in state.metrics.snapshot() {
        let _ = writeln!(
            out,
            "iotlabel_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
            escape_label(&route),
            escape_label(&method)
        );
    }
    let _ = writeln!(out, "# HELP iotlabel_labels Labels by live status.");
    let _ = writeln!(out, "# TYPE iotlabel_labels gauge");
    for status in ["valid", "suspended", "revoked", "expired"] {
        let page = state
            .registry
            .search_labels(&LabelSearch {
                status: Some(status.to_owned()),
                per_page: Some(1),
                exact_total: true,
                ..LabelSearch::default()
            })
            .await?;
        let _ = writeln!(out, "iotlabel_labels{{status=\"{status}\"}} {}", page.total);
    }
    let size = state
        .registry
        .store()
        .log_size()
        .await
        .map_err(iotlabel_registry::RegistryError::from)?;
    let _ = writeln!(
        out,
        "# HELP iotlabel_log_entries Entries in the transparency log."
    );
    let _ = writeln!(out, "# TYPE iotlabel_log_entries gauge");
    let _ = writeln!(out, "iotlabel_log_entries {size}");
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        out,
    )
        .into_response())
}
