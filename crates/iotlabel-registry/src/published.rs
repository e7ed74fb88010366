//! Published data in bulk: the public list of labels as JSON or CSV, and statistics of
//! applications received and labels awarded by level, category and month.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::service::{PublicLabel, Registry, RegistryError};
use crate::store::Store;

const EXPORT_PAGE: i64 = 1000;

/// Counts by one key.
pub type Counts = BTreeMap<String, i64>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub total: i64,
    pub by_level: Counts,
    pub by_category: Counts,
    /// `YYYY-MM` of receipt (applications) or of `valid_from` (labels).
    pub by_month: Counts,
}

impl Breakdown {
    fn add(&mut self, level: i64, category: &str, month: String) {
        self.total += 1;
        *self.by_level.entry(level.to_string()).or_default() += 1;
        *self.by_category.entry(category.to_owned()).or_default() += 1;
        *self.by_month.entry(month).or_default() += 1;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Statistics {
    pub applications_received: Breakdown,
    pub labels_awarded: Breakdown,
    /// Labels by live status today: valid, suspended, revoked, expired.
    pub labels_by_status: Counts,
}

/// The columns of the CSV export, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "registration_id",
    "status",
    "level",
    "scheme",
    "route",
    "valid_from",
    "valid_until",
    "manufacturer",
    "product",
    "model",
    "category",
];

/// One CSV field per RFC 4180: quoted when it holds a comma, quote or line break. Written
/// here because the export has eleven text columns and needs nothing else of a CSV library.
/// A leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not run it as a
/// formula (manufacturer-supplied text is untrusted).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The public list as CSV (header line first, CRLF line ends).
pub fn labels_csv(labels: &[PublicLabel]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for label in labels {
        let level = label.level.to_string();
        let row = [
            label.registration_id.as_str(),
            label.status.as_str(),
            level.as_str(),
            label.scheme.as_str(),
            label.route.as_str(),
            label.valid_from.as_str(),
            label.valid_until.as_str(),
            label.product.manufacturer.as_str(),
            label.product.name.as_str(),
            label.product.model.as_str(),
            label.product.category.as_str(),
        ];
        out.push_str(
            &row.iter()
                .map(|field| csv_field(field))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

fn month_of_unix(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(|moment| format!("{:04}-{:02}", moment.year(), u8::from(moment.month())))
        .unwrap_or_else(|_| "unknown".to_owned())
}

impl<S: Store> Registry<S> {
    /// Every label, as the public sees it, in issue order.
    pub async fn export_labels(&self) -> Result<Vec<PublicLabel>, RegistryError> {
        let mut labels = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store().labels_after(after, EXPORT_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            labels.extend(page.iter().map(|label| self.public_label(label)));
        }
        Ok(labels)
    }

    pub async fn statistics(&self) -> Result<Statistics, RegistryError> {
        let mut statistics = Statistics::default();
        for (created_at, level, category) in self.store().application_facts().await? {
            statistics
                .applications_received
                .add(level, &category, month_of_unix(created_at));
        }
        for label in self.export_labels().await? {
            let month = label.valid_from.get(..7).unwrap_or("unknown").to_owned();
            statistics
                .labels_awarded
                .add(label.level, &label.product.category, month);
            *statistics
                .labels_by_status
                .entry(label.status.clone())
                .or_default() += 1;
        }
        Ok(statistics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(month_of_unix(0), "1970-01");
    }
}
