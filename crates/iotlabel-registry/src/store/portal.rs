//! Storage for the web portal (issue 5), beside the core [`Store`]: vulnerability reports about
//! labels and their status history, the dossier snapshot taken with every submission, and the
//! test lab's per-provision verdicts. [`PortalStore`] is implemented for [`SqlStore`] with one
//! set of queries for SQLite and PostgreSQL (tables in `migrations/*/0004_portal.sql`). Every
//! read carries the reader's scope into the query, like the application reads of [`Store`].

use std::future::Future;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::sql::scope_condition;
use super::*;

/// Where a vulnerability report is in its handling. Open and acknowledged reports are
/// unresolved: past their deadline they flag the label for suspension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VulnerabilityReportStatus {
    Open,
    Acknowledged,
    Resolved,
    Rejected,
}

impl VulnerabilityReportStatus {
    pub const ALL: [VulnerabilityReportStatus; 4] = [
        VulnerabilityReportStatus::Open,
        VulnerabilityReportStatus::Acknowledged,
        VulnerabilityReportStatus::Resolved,
        VulnerabilityReportStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VulnerabilityReportStatus::Open => "open",
            VulnerabilityReportStatus::Acknowledged => "acknowledged",
            VulnerabilityReportStatus::Resolved => "resolved",
            VulnerabilityReportStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<VulnerabilityReportStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Open or acknowledged: the manufacturer still owes an answer.
    pub fn is_unresolved(self) -> bool {
        matches!(
            self,
            VulnerabilityReportStatus::Open | VulnerabilityReportStatus::Acknowledged
        )
    }

    /// The statuses a report may move to from this one: open → acknowledged → resolved, and
    /// rejected from either unresolved status. Resolved and rejected are final.
    pub fn next(self) -> &'static [VulnerabilityReportStatus] {
        use VulnerabilityReportStatus::*;
        match self {
            Open => &[Acknowledged, Rejected],
            Acknowledged => &[Resolved, Rejected],
            Resolved | Rejected => &[],
        }
    }
}

/// Which vulnerability reports a reader may see (the query filters by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportScope {
    /// Reports about labels of this manufacturer organisation.
    Organisation(i64),
    /// Every report (assessors, registrars).
    All,
    /// None at all.
    Nothing,
}

/// A vulnerability report to store. The store checks the label exists, copies its
/// organisation, and forms the reference `{reference_prefix}-{serial:06}-{reference_suffix}`.
#[derive(Debug, Clone)]
pub struct NewVulnerabilityReport {
    pub label_id: i64,
    pub summary: String,
    pub details: String,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub received_at: i64,
    pub deadline_at: i64,
    /// e.g. `VR-2026`.
    pub reference_prefix: String,
    /// Random characters that make references unguessable.
    pub reference_suffix: String,
}

/// A stored vulnerability report. The reporter's name and e-mail are for the people who
/// handle the report, never for public pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VulnerabilityReportRecord {
    pub id: i64,
    pub reference: String,
    pub label_id: i64,
    /// The label's registration id (e.g. `CSA/100329/000001`).
    pub registration_id: String,
    /// The label's manufacturer organisation.
    pub organisation_id: i64,
    pub summary: String,
    pub details: String,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub status: VulnerabilityReportStatus,
    /// The note given with the latest status change.
    pub status_note: Option<String>,
    pub received_at: i64,
    /// When an answer is due (Unix seconds); unresolved after it, the label is flagged.
    pub deadline_at: i64,
    pub updated_at: i64,
}

/// One status change of a vulnerability report (the first has no `from_status`: received).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VulnerabilityReportEvent {
    pub id: i64,
    pub report_id: i64,
    pub from_status: Option<VulnerabilityReportStatus>,
    pub to_status: VulnerabilityReportStatus,
    pub note: Option<String>,
    pub actor_user_id: Option<i64>,
    pub at: i64,
}

/// A file attached to the application when it was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedFile {
    pub file_name: String,
    pub sha256: String,
}

/// The dossier as it was submitted (the n-th time) to the assessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionRecord {
    pub id: i64,
    pub application_id: i64,
    /// 1 for the first submission, 2 for the first re-submission, ...
    pub number: i64,
    /// The workflow action that submitted it (`hand-off`, `resubmit`).
    pub action: String,
    /// The application's version right after the submission.
    pub application_version: i64,
    pub dossier_json: String,
    /// The engine's assessment at submission (JSON), `None` when the engine refused.
    pub assessment_json: Option<String>,
    /// The uploaded files at submission, by file name.
    pub evidence: Vec<SubmittedFile>,
    pub submitted_by: Option<i64>,
    pub submitted_at: i64,
}

/// A test lab's verdict on one provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabReviewVerdict {
    Pass,
    Fail,
    Inconclusive,
    NotApplicable,
}

impl LabReviewVerdict {
    pub const ALL: [LabReviewVerdict; 4] = [
        LabReviewVerdict::Pass,
        LabReviewVerdict::Fail,
        LabReviewVerdict::Inconclusive,
        LabReviewVerdict::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabReviewVerdict::Pass => "pass",
            LabReviewVerdict::Fail => "fail",
            LabReviewVerdict::Inconclusive => "inconclusive",
            LabReviewVerdict::NotApplicable => "not-applicable",
        }
    }

    pub fn parse(text: &str) -> Option<LabReviewVerdict> {
        Self::ALL
            .into_iter()
            .find(|verdict| verdict.as_str() == text)
    }
}

/// A verdict to record: `provision` is a canonical (V3.1.3) provision id such as `5.1-1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLabVerdict {
    pub provision: String,
    pub verdict: LabReviewVerdict,
    #[serde(default)]
    pub note: Option<String>,
}

/// A recorded verdict (the latest for its provision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabVerdictRecord {
    pub application_id: i64,
    pub provision: String,
    pub verdict: LabReviewVerdict,
    pub note: Option<String>,
    pub lab_organisation_id: i64,
    pub recorded_by: i64,
    pub recorded_at: i64,
}

/// The portal's storage. Reads take the reader's scope and filter in the query, so a row
/// outside it is indistinguishable from a missing one.
pub trait PortalStore: Send + Sync + 'static {
    /// Stores a report (status open, with its first history entry); [`StoreError::NotFound`]
    /// when the label does not exist.
    fn insert_vulnerability_report(
        &self,
        report: &NewVulnerabilityReport,
    ) -> impl Future<Output = Result<VulnerabilityReportRecord, StoreError>> + Send;
    fn get_vulnerability_report(
        &self,
        reference: &str,
        scope: ReportScope,
    ) -> impl Future<Output = Result<Option<VulnerabilityReportRecord>, StoreError>> + Send;
    /// Newest first, optionally of one status.
    fn list_vulnerability_reports(
        &self,
        scope: ReportScope,
        status: Option<VulnerabilityReportStatus>,
        limit: i64,
        offset: i64,
    ) -> impl Future<Output = Result<Vec<VulnerabilityReportRecord>, StoreError>> + Send;
    /// The status history of a report, oldest first.
    fn vulnerability_report_events(
        &self,
        report_id: i64,
        scope: ReportScope,
    ) -> impl Future<Output = Result<Vec<VulnerabilityReportEvent>, StoreError>> + Send;
    /// Moves a report from `from` to `to` with `note`; [`StoreError::NotFound`] outside the
    /// scope, [`StoreError::Conflict`] when its status is no longer `from`.
    #[allow(clippy::too_many_arguments)]
    fn set_vulnerability_report_status(
        &self,
        reference: &str,
        scope: ReportScope,
        from: VulnerabilityReportStatus,
        to: VulnerabilityReportStatus,
        note: Option<&str>,
        actor_user_id: Option<i64>,
        at: i64,
    ) -> impl Future<Output = Result<VulnerabilityReportRecord, StoreError>> + Send;
    /// Unresolved reports past their deadline at `now` about labels that are still valid,
    /// by label then deadline.
    fn overdue_vulnerability_reports(
        &self,
        now: i64,
    ) -> impl Future<Output = Result<Vec<VulnerabilityReportRecord>, StoreError>> + Send;

    /// The submissions of an application in `scope`, by number.
    fn submissions(
        &self,
        application_id: i64,
        scope: RowScope,
    ) -> impl Future<Output = Result<Vec<SubmissionRecord>, StoreError>> + Send;

    /// Records (replacing earlier verdicts on the same provisions) if the application is in
    /// lab review and assigned to `lab_organisation_id`, else [`StoreError::NotFound`]; the
    /// audit trail gets `event`.
    fn record_lab_verdicts(
        &self,
        application_id: i64,
        lab_organisation_id: i64,
        verdicts: &[NewLabVerdict],
        event: NewEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The verdicts on an application in `scope` (in no particular order).
    fn lab_verdicts(
        &self,
        application_id: i64,
        scope: RowScope,
    ) -> impl Future<Output = Result<Vec<LabVerdictRecord>, StoreError>> + Send;
    /// How many reports label `label_id` received at or after `since` (unix seconds).
    fn count_vulnerability_reports_since(
        &self,
        label_id: i64,
        since: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Jobs of `kind` whose payload JSON starts with `prefix`, newest first (at most 100).
    fn jobs_with_payload_prefix(
        &self,
        kind: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<JobRecord>, StoreError>> + Send;
    /// Records how far a running job is (shown while a firmware scan runs), only while
    /// `worker` holds it. Returns whether the job was still this worker's.
    fn set_job_progress(
        &self,
        job_id: i64,
        worker: &str,
        progress: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

const REPORT_COLUMNS: &str = "vulnerability_reports.id, vulnerability_reports.reference, \
     vulnerability_reports.label_id, labels.registration_id, \
     vulnerability_reports.organisation_id, vulnerability_reports.summary, \
     vulnerability_reports.details, vulnerability_reports.reporter_name, \
     vulnerability_reports.reporter_email, vulnerability_reports.status, \
     vulnerability_reports.status_note, vulnerability_reports.received_at, \
     vulnerability_reports.deadline_at, vulnerability_reports.updated_at";
const REPORT_FROM: &str =
    "vulnerability_reports JOIN labels ON labels.id = vulnerability_reports.label_id";
const SUBMISSION_COLUMNS: &str = "id, application_id, number, action, application_version, \
     dossier_json, assessment_json, evidence_json, submitted_by, submitted_at";
const VERDICT_COLUMNS: &str =
    "application_id, provision, verdict, note, lab_organisation_id, recorded_by, recorded_at";

/// The condition (after `AND`) a report scope adds; `$N` is the organisation's position.
fn report_scope_condition(scope: ReportScope, position: usize) -> (String, Option<i64>) {
    match scope {
        ReportScope::Organisation(id) => (
            format!("vulnerability_reports.organisation_id = ${position}"),
            Some(id),
        ),
        ReportScope::All => ("1 = 1".to_owned(), None),
        ReportScope::Nothing => ("1 = 0".to_owned(), None),
    }
}

fn report_status_from(text: &str) -> Result<VulnerabilityReportStatus, StoreError> {
    VulnerabilityReportStatus::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("vulnerability report status {text:?}")))
}

fn report_from(row: &AnyRow) -> Result<VulnerabilityReportRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(VulnerabilityReportRecord {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        label_id: row.try_get("label_id")?,
        registration_id: row.try_get("registration_id")?,
        organisation_id: row.try_get("organisation_id")?,
        summary: row.try_get("summary")?,
        details: row.try_get("details")?,
        reporter_name: row.try_get("reporter_name")?,
        reporter_email: row.try_get("reporter_email")?,
        status: report_status_from(&status)?,
        status_note: row.try_get("status_note")?,
        received_at: row.try_get("received_at")?,
        deadline_at: row.try_get("deadline_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn report_event_from(row: &AnyRow) -> Result<VulnerabilityReportEvent, StoreError> {
    let from: Option<String> = row.try_get("from_status")?;
    let to: String = row.try_get("to_status")?;
    Ok(VulnerabilityReportEvent {
        id: row.try_get("id")?,
        report_id: row.try_get("report_id")?,
        from_status: from.as_deref().map(report_status_from).transpose()?,
        to_status: report_status_from(&to)?,
        note: row.try_get("note")?,
        actor_user_id: row.try_get("actor_user_id")?,
        at: row.try_get("at")?,
    })
}

fn submission_from(row: &AnyRow) -> Result<SubmissionRecord, StoreError> {
    let evidence_json: String = row.try_get("evidence_json")?;
    let evidence = serde_json::from_str(&evidence_json)
        .map_err(|error| StoreError::Corrupt(format!("submission evidence: {error}")))?;
    Ok(SubmissionRecord {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        number: row.try_get("number")?,
        action: row.try_get("action")?,
        application_version: row.try_get("application_version")?,
        dossier_json: row.try_get("dossier_json")?,
        assessment_json: row.try_get("assessment_json")?,
        evidence,
        submitted_by: row.try_get("submitted_by")?,
        submitted_at: row.try_get("submitted_at")?,
    })
}

fn verdict_from(row: &AnyRow) -> Result<LabVerdictRecord, StoreError> {
    let verdict: String = row.try_get("verdict")?;
    Ok(LabVerdictRecord {
        application_id: row.try_get("application_id")?,
        provision: row.try_get("provision")?,
        verdict: LabReviewVerdict::parse(&verdict)
            .ok_or_else(|| StoreError::Corrupt(format!("lab verdict {verdict:?}")))?,
        note: row.try_get("note")?,
        lab_organisation_id: row.try_get("lab_organisation_id")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

/// Snapshots the submitted application (called by [`SqlStore`]'s `transition` into
/// `submitted`, in its transaction): the next number, the dossier, the assessment and the
/// uploaded files as they are now.
pub(super) async fn record_submission(
    transaction: &mut Transaction<'static, Any>,
    store: &SqlStore,
    record: &ApplicationRecord,
    event: &NewEvent,
) -> Result<(), StoreError> {
    let number: i64 = sqlx::query(&store.sql(
        "SELECT COALESCE(MAX(number), 0) + 1 AS next FROM submissions WHERE application_id = $1",
    ))
    .bind(record.id)
    .fetch_one(&mut **transaction)
    .await?
    .try_get("next")?;
    let files = sqlx::query(&store.sql(
        "SELECT file_name, sha256 FROM evidence WHERE application_id = $1 ORDER BY file_name",
    ))
    .bind(record.id)
    .fetch_all(&mut **transaction)
    .await?
    .iter()
    .map(|row| {
        Ok(SubmittedFile {
            file_name: row.try_get("file_name")?,
            sha256: row.try_get("sha256")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let evidence_json = serde_json::to_string(&files)
        .map_err(|error| StoreError::Corrupt(format!("submission evidence: {error}")))?;
    sqlx::query(&store.sql(
        "INSERT INTO submissions (application_id, number, action, application_version, \
         dossier_json, assessment_json, evidence_json, submitted_by, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    ))
    .bind(record.id)
    .bind(number)
    .bind(event.action.clone())
    .bind(record.version)
    .bind(record.content.dossier_json.clone())
    .bind(record.content.assessment_json.clone())
    .bind(evidence_json)
    .bind(event.actor_user_id)
    .bind(event.at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

impl SqlStore {
    async fn report_by_id(
        &self,
        transaction: &mut Transaction<'static, Any>,
        id: i64,
    ) -> Result<VulnerabilityReportRecord, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE vulnerability_reports.id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut **transaction)
        .await?
        .ok_or(StoreError::NotFound)?;
        report_from(&row)
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_report_event(
    transaction: &mut Transaction<'static, Any>,
    store: &SqlStore,
    report_id: i64,
    from: Option<VulnerabilityReportStatus>,
    to: VulnerabilityReportStatus,
    note: Option<&str>,
    actor_user_id: Option<i64>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(&store.sql(
        "INSERT INTO vulnerability_report_events (report_id, from_status, to_status, note, \
         actor_user_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
    ))
    .bind(report_id)
    .bind(from.map(|status| status.as_str()))
    .bind(to.as_str())
    .bind(note.map(str::to_owned))
    .bind(actor_user_id)
    .bind(at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

impl PortalStore for SqlStore {
    async fn insert_vulnerability_report(
        &self,
        report: &NewVulnerabilityReport,
    ) -> Result<VulnerabilityReportRecord, StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let organisation_id: i64 =
            sqlx::query(&self.sql("SELECT organisation_id FROM labels WHERE id = $1"))
                .bind(report.label_id)
                .fetch_optional(&mut *transaction)
                .await?
                .ok_or(StoreError::NotFound)?
                .try_get("organisation_id")?;
        // The serial is the row id, known only after the insert: the row starts with a
        // placeholder reference (unique through the random suffix) and gets its own at once.
        let id: i64 = sqlx::query(&self.sql(
            "INSERT INTO vulnerability_reports (reference, label_id, organisation_id, summary, \
             details, reporter_name, reporter_email, status, status_note, received_at, \
             deadline_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, \
             $9) RETURNING id",
        ))
        .bind(format!("pending-{}", report.reference_suffix))
        .bind(report.label_id)
        .bind(organisation_id)
        .bind(report.summary.clone())
        .bind(report.details.clone())
        .bind(report.reporter_name.clone())
        .bind(report.reporter_email.clone())
        .bind(VulnerabilityReportStatus::Open.as_str())
        .bind(report.received_at)
        .bind(report.deadline_at)
        .fetch_one(&mut *transaction)
        .await
        .map_err(duplicate_reference)?
        .try_get("id")?;
        let reference = format!(
            "{}-{id:06}-{}",
            report.reference_prefix, report.reference_suffix
        );
        sqlx::query(&self.sql("UPDATE vulnerability_reports SET reference = $1 WHERE id = $2"))
            .bind(reference)
            .bind(id)
            .execute(&mut *transaction)
            .await
            .map_err(duplicate_reference)?;
        insert_report_event(
            &mut transaction,
            self,
            id,
            None,
            VulnerabilityReportStatus::Open,
            None,
            None,
            report.received_at,
        )
        .await?;
        let record = self.report_by_id(&mut transaction, id).await?;
        transaction.commit().await?;
        Ok(record)
    }

    async fn get_vulnerability_report(
        &self,
        reference: &str,
        scope: ReportScope,
    ) -> Result<Option<VulnerabilityReportRecord>, StoreError> {
        let (condition, organisation) = report_scope_condition(scope, 2);
        let text = format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} \
             WHERE vulnerability_reports.reference = $1 AND {condition}"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(reference.to_owned());
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let row = query.fetch_optional(self.pool()).await?;
        row.as_ref().map(report_from).transpose()
    }

    async fn list_vulnerability_reports(
        &self,
        scope: ReportScope,
        status: Option<VulnerabilityReportStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<VulnerabilityReportRecord>, StoreError> {
        // Positions: $1 limit, $2 offset, then the status (if any), then the organisation.
        let mut position = 3;
        let status_condition = match status {
            Some(_) => {
                position += 1;
                "vulnerability_reports.status = $3"
            }
            None => "1 = 1",
        };
        let (condition, organisation) = report_scope_condition(scope, position);
        let text = format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE {status_condition} \
             AND {condition} ORDER BY vulnerability_reports.id DESC LIMIT $1 OFFSET $2"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(limit).bind(offset);
        if let Some(status) = status {
            query = query.bind(status.as_str());
        }
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(report_from).collect()
    }

    async fn vulnerability_report_events(
        &self,
        report_id: i64,
        scope: ReportScope,
    ) -> Result<Vec<VulnerabilityReportEvent>, StoreError> {
        let (condition, organisation) = report_scope_condition(scope, 2);
        let text = format!(
            "SELECT id, report_id, from_status, to_status, note, actor_user_id, at \
             FROM vulnerability_report_events WHERE report_id IN (SELECT \
             vulnerability_reports.id FROM vulnerability_reports \
             WHERE vulnerability_reports.id = $1 AND {condition}) ORDER BY id"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(report_id);
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(report_event_from).collect()
    }

    async fn set_vulnerability_report_status(
        &self,
        reference: &str,
        scope: ReportScope,
        from: VulnerabilityReportStatus,
        to: VulnerabilityReportStatus,
        note: Option<&str>,
        actor_user_id: Option<i64>,
        at: i64,
    ) -> Result<VulnerabilityReportRecord, StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let (condition, organisation) = report_scope_condition(scope, 6);
        let text = format!(
            "UPDATE vulnerability_reports SET status = $1, status_note = $2, updated_at = $3 \
             WHERE reference = $4 AND status = $5 AND {condition} RETURNING id"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql)
            .bind(to.as_str())
            .bind(note.map(str::to_owned))
            .bind(at)
            .bind(reference.to_owned())
            .bind(from.as_str());
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let Some(row) = query.fetch_optional(&mut *transaction).await? else {
            // Either not visible (not found) or moved on meanwhile (conflict).
            let (condition, organisation) = report_scope_condition(scope, 2);
            let text = format!(
                "SELECT id FROM vulnerability_reports WHERE reference = $1 AND {condition}"
            );
            let sql = self.sql(&text);
            let mut query = sqlx::query(&sql).bind(reference.to_owned());
            if let Some(organisation) = organisation {
                query = query.bind(organisation);
            }
            let visible = query.fetch_optional(&mut *transaction).await?.is_some();
            return Err(if visible {
                StoreError::Conflict
            } else {
                StoreError::NotFound
            });
        };
        let id: i64 = row.try_get("id")?;
        insert_report_event(
            &mut transaction,
            self,
            id,
            Some(from),
            to,
            note,
            actor_user_id,
            at,
        )
        .await?;
        let record = self.report_by_id(&mut transaction, id).await?;
        transaction.commit().await?;
        Ok(record)
    }

    async fn overdue_vulnerability_reports(
        &self,
        now: i64,
    ) -> Result<Vec<VulnerabilityReportRecord>, StoreError> {
        let rows = sqlx::query(&self.sql(&format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} \
             WHERE vulnerability_reports.status IN ('open', 'acknowledged') \
             AND vulnerability_reports.deadline_at < $1 AND labels.state = 'valid' \
             ORDER BY vulnerability_reports.label_id, vulnerability_reports.deadline_at, \
             vulnerability_reports.id"
        )))
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(report_from).collect()
    }

    async fn submissions(
        &self,
        application_id: i64,
        scope: RowScope,
    ) -> Result<Vec<SubmissionRecord>, StoreError> {
        let (condition, organisation) = scope_condition(scope, 2);
        let text = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE application_id IN \
             (SELECT id FROM applications WHERE id = $1 AND {condition}) ORDER BY number"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(application_id);
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(submission_from).collect()
    }

    async fn record_lab_verdicts(
        &self,
        application_id: i64,
        lab_organisation_id: i64,
        verdicts: &[NewLabVerdict],
        event: NewEvent,
    ) -> Result<(), StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let assigned = sqlx::query(&self.sql(
            "SELECT id FROM applications WHERE id = $1 AND lab_organisation_id = $2 \
             AND state = 'lab-review'",
        ))
        .bind(application_id)
        .bind(lab_organisation_id)
        .fetch_optional(&mut *transaction)
        .await?;
        if assigned.is_none() {
            return Err(StoreError::NotFound);
        }
        let recorded_by = event.actor_user_id.ok_or(StoreError::NotFound)?;
        for verdict in verdicts {
            sqlx::query(
                &self.sql("DELETE FROM lab_verdicts WHERE application_id = $1 AND provision = $2"),
            )
            .bind(application_id)
            .bind(verdict.provision.clone())
            .execute(&mut *transaction)
            .await?;
            sqlx::query(&self.sql(
                "INSERT INTO lab_verdicts (application_id, provision, verdict, note, \
                 lab_organisation_id, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ))
            .bind(application_id)
            .bind(verdict.provision.clone())
            .bind(verdict.verdict.as_str())
            .bind(verdict.note.clone())
            .bind(lab_organisation_id)
            .bind(recorded_by)
            .bind(event.at)
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query(&self.sql(
            "INSERT INTO events (application_id, label_id, action, from_state, to_state, \
             actor_user_id, at, reason) VALUES ($1, NULL, $2, NULL, NULL, $3, $4, $5)",
        ))
        .bind(application_id)
        .bind(event.action.clone())
        .bind(event.actor_user_id)
        .bind(event.at)
        .bind(event.reason.clone())
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn lab_verdicts(
        &self,
        application_id: i64,
        scope: RowScope,
    ) -> Result<Vec<LabVerdictRecord>, StoreError> {
        let (condition, organisation) = scope_condition(scope, 2);
        let text = format!(
            "SELECT {VERDICT_COLUMNS} FROM lab_verdicts WHERE application_id IN \
             (SELECT id FROM applications WHERE id = $1 AND {condition})"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(application_id);
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(verdict_from).collect()
    }

    async fn count_vulnerability_reports_since(
        &self,
        label_id: i64,
        since: i64,
    ) -> Result<i64, StoreError> {
        let sql = self.sql(
            "SELECT COUNT(*) AS reports FROM vulnerability_reports \
             WHERE label_id = $1 AND received_at >= $2",
        );
        let row = sqlx::query(&sql)
            .bind(label_id)
            .bind(since)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("reports")?)
    }

    async fn jobs_with_payload_prefix(
        &self,
        kind: &str,
        prefix: &str,
    ) -> Result<Vec<JobRecord>, StoreError> {
        // LIKE wildcards in the prefix are escaped; the prefix is ours, not user text.
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let text = format!(
            "SELECT {} FROM jobs WHERE kind = $1 AND payload_json LIKE $2 ESCAPE '\\' \
             ORDER BY id DESC LIMIT 100",
            super::sql::JOB_COLUMNS
        );
        let sql = self.sql(&text);
        let rows = sqlx::query(&sql)
            .bind(kind)
            .bind(pattern)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(super::sql::job_from).collect()
    }

    async fn set_job_progress(
        &self,
        job_id: i64,
        worker: &str,
        progress: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = self.sql(
            "UPDATE jobs SET progress = $1, updated_at = $2 \
             WHERE id = $3 AND state = 'running' AND locked_by = $4",
        );
        let done = sqlx::query(&sql)
            .bind(progress)
            .bind(now)
            .bind(job_id)
            .bind(worker)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn duplicate_reference(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(database_error) = &error
        && database_error.is_unique_violation()
    {
        return StoreError::Duplicate("vulnerability report reference".to_owned());
    }
    StoreError::Database(error)
}
