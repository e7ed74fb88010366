//! The registry's storage behind one trait ([`Store`]): records, the row scope every read of
//! applications is filtered by, and the SQL implementation ([`SqlStore`]) that serves both
//! SQLite and PostgreSQL with one set of queries.

mod sql;

use std::future::Future;

use serde::Serialize;

use crate::roles::{Role, Scope};
use crate::workflow::State;

pub use sql::{Backend, SqlStore};

mod portal;
pub use portal::*;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("the row changed since it was read: reload and retry")]
    Conflict,
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("not found")]
    NotFound,
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://... or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot sign the label credential: {0}")]
    Credential(String),
    #[error("cannot form a registration id: {0}")]
    RegistrationId(#[from] iotlabel_core::label_id::RegistrationIdError),
}

/// What kind of organisation: manufacturers apply, labs review, the registry decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrganisationKind {
    Manufacturer,
    TestLab,
    Registry,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::Manufacturer => "manufacturer",
            OrganisationKind::TestLab => "test-lab",
            OrganisationKind::Registry => "registry",
        }
    }

    pub fn parse(text: &str) -> Option<OrganisationKind> {
        [
            OrganisationKind::Manufacturer,
            OrganisationKind::TestLab,
            OrganisationKind::Registry,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrganisationKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    /// A PHC string (Argon2id), never the password.
    pub password_hash: String,
}

/// The rows of applications an actor may read: the role's [`Scope`] and the actor's
/// organisation (the manufacturer's own, or the lab's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowScope {
    pub scope: Scope,
    pub organisation_id: Option<i64>,
}

/// The product and target columns of an application, copied from its dossier for search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductColumns {
    pub manufacturer: String,
    pub name: String,
    pub model: String,
    pub category: String,
    pub hardware_version: Option<String>,
    pub firmware_version: Option<String>,
    pub support_period_end: Option<String>,
    pub vulnerability_disclosure_url: Option<String>,
    pub scheme: String,
    pub target_level: i64,
    pub route: String,
}

/// What an application holds besides its identity and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationContent {
    pub product: ProductColumns,
    pub lab_organisation_id: Option<i64>,
    pub dossier_json: String,
    /// The latest assessment, as JSON; `None` with `assessment_error` when the engine refused.
    pub assessment_json: Option<String>,
    pub assessment_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub state: State,
    pub content: ApplicationContent,
    pub renews_label_id: Option<i64>,
    /// Incremented on every change: updates name the version they read (optimistic locking).
    pub version: i64,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    pub id: i64,
    pub application_id: Option<i64>,
    pub label_id: Option<i64>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub actor_user_id: Option<i64>,
    pub at: i64,
    pub reason: Option<String>,
}

/// An event to record with a change (in the change's transaction).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub at: i64,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRecord {
    pub id: i64,
    pub application_id: i64,
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub uploaded_by: i64,
    pub uploaded_at: i64,
}

/// Makes a label's signed credential (JSON) once its registration id is known.
pub type CredentialMaker = std::sync::Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// A label to issue with an approval. The store allocates the serial, formats the id and
/// calls `credential` with it, all in the approving transaction.
#[derive(Clone)]
pub struct NewLabel {
    pub registration_id_format: iotlabel_core::label_id::RegistrationIdFormat,
    pub level: i64,
    pub valid_from: iotlabel_core::Date,
    pub valid_until: iotlabel_core::Date,
    pub recognitions_json: String,
    pub credential: Option<CredentialMaker>,
}

impl std::fmt::Debug for NewLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewLabel")
            .field("registration_id_format", &self.registration_id_format)
            .field("level", &self.level)
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .field("recognitions_json", &self.recognitions_json)
            .field("credential", &self.credential.is_some())
            .finish()
    }
}

/// A label's stored state; "expired" is derived from time, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelState {
    Valid,
    Suspended,
    Revoked,
}

impl LabelState {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelState::Valid => "valid",
            LabelState::Suspended => "suspended",
            LabelState::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<LabelState> {
        [
            LabelState::Valid,
            LabelState::Suspended,
            LabelState::Revoked,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelRecord {
    pub id: i64,
    pub registration_id: String,
    pub url_id: String,
    pub serial: i64,
    pub application_id: i64,
    pub organisation_id: i64,
    pub manufacturer: String,
    pub product_name: String,
    pub model: String,
    pub category: String,
    pub scheme: String,
    pub level: i64,
    pub route: String,
    pub valid_from: String,
    pub valid_until: String,
    pub state: LabelState,
    pub suspension_reason: Option<String>,
    pub recognitions_json: String,
    pub credential_json: Option<String>,
    pub renews_label_id: Option<i64>,
    pub issued_at: i64,
    pub updated_at: i64,
}

/// A search of published labels. `status` "expired" means valid but past `valid_until` on
/// `today`.
///
/// Text matching: `text` is a substring of the manufacturer, product name, model or
/// registration id, and `manufacturer` equals the manufacturer, both ignoring the case of ASCII
/// letters (other characters match exactly, on both backends). LIKE wildcards (`%`, `_`, `\`)
/// and NUL are dropped from `text`; what remains empty matches every label.
#[derive(Debug, Clone, Default)]
pub struct LabelQuery {
    pub text: Option<String>,
    pub manufacturer: Option<String>,
    pub category: Option<String>,
    pub level: Option<i64>,
    pub status: Option<String>,
    /// ISO date the derived "expired"/"valid" status is computed on.
    pub today: String,
    pub limit: i64,
    pub offset: i64,
    /// Count matches only up to this many (`None`: count them all); reaching the cap is
    /// reported as [`LabelHits::total_is_capped`].
    pub total_cap: Option<i64>,
}

/// One page of a label search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelHits {
    /// The page, by id, without `credential_json` (search never serves it).
    pub labels: Vec<LabelRecord>,
    /// The number of matches; with `total_is_capped`, a lower bound.
    pub total: i64,
    /// Counting stopped at the query's `total_cap`: at least `total` labels match.
    pub total_is_capped: bool,
}

/// One entry of the transparency log (as stored and as /api/log/entries serves it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub leaf_index: i64,
    /// The logged statement (JSON text); its RFC 6962 leaf hash is `leaf_hash`.
    pub entry: String,
    /// Hex.
    pub leaf_hash: String,
    pub created_at: i64,
}

/// A signed checkpoint of the log (a C2SP signed note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointRecord {
    pub size: i64,
    /// Hex.
    pub root_hash: String,
    pub note: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub payload_json: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub progress: Option<String>,
    pub last_error: Option<String>,
}

/// Everything the registry stores. Reads of applications take a [`RowScope`] and filter in the
/// query, so a row outside the actor's scope is indistinguishable from a missing one.
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Whether the database answers (for /readyz).
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
        now: i64,
    ) -> impl Future<Output = Result<Organisation, StoreError>> + Send;
    fn get_organisation(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<Organisation>, StoreError>> + Send;
    fn find_organisation(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Organisation>, StoreError>> + Send;

    fn create_user(
        &self,
        user: NewUser,
        now: i64,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;
    fn get_user(&self, id: i64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// The user and their password hash, by e-mail.
    fn user_credentials(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<(User, String)>, StoreError>> + Send;

    fn create_session(
        &self,
        user_id: i64,
        token_sha256: &str,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The user of an unexpired session and its CSRF token.
    fn session_user(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<(User, String)>, StoreError>> + Send;
    fn delete_session(
        &self,
        token_sha256: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_sha256: &str,
        scopes: &str,
        now: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The user of an unrevoked token and the token's scopes (space-separated).
    fn api_token_user(
        &self,
        token_sha256: &str,
    ) -> impl Future<Output = Result<Option<(User, String)>, StoreError>> + Send;

    fn insert_application(
        &self,
        organisation_id: i64,
        created_by: i64,
        content: &ApplicationContent,
        renews_label_id: Option<i64>,
        event: NewEvent,
    ) -> impl Future<Output = Result<ApplicationRecord, StoreError>> + Send;
    fn get_application(
        &self,
        id: i64,
        scope: RowScope,
    ) -> impl Future<Output = Result<Option<ApplicationRecord>, StoreError>> + Send;
    fn list_applications(
        &self,
        scope: RowScope,
        limit: i64,
        offset: i64,
    ) -> impl Future<Output = Result<Vec<ApplicationRecord>, StoreError>> + Send;
    /// Replaces the content if the row is still at `expected_version` (else [`StoreError::Conflict`]).
    fn update_application(
        &self,
        id: i64,
        expected_version: i64,
        content: &ApplicationContent,
        event: NewEvent,
    ) -> impl Future<Output = Result<ApplicationRecord, StoreError>> + Send;
    /// Moves the application to `to` (and stores `content`, the assessment made with the move)
    /// if it is still at `expected_version`; issues `label` in the same transaction.
    fn transition(
        &self,
        id: i64,
        expected_version: i64,
        to: State,
        content: &ApplicationContent,
        event: NewEvent,
        label: Option<NewLabel>,
    ) -> impl Future<Output = Result<(ApplicationRecord, Option<LabelRecord>), StoreError>> + Send;

    /// Stores content-addressed evidence and attaches it under `file_name` (replacing an earlier
    /// file of that name), with `content` (the new assessment) at `expected_version`.
    #[allow(clippy::too_many_arguments)]
    fn attach_evidence(
        &self,
        application_id: i64,
        expected_version: i64,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
        sha256: &str,
        content: &ApplicationContent,
        event: NewEvent,
    ) -> impl Future<Output = Result<(ApplicationRecord, EvidenceRecord), StoreError>> + Send;
    fn list_evidence(
        &self,
        application_id: i64,
    ) -> impl Future<Output = Result<Vec<EvidenceRecord>, StoreError>> + Send;
    fn evidence_bytes(
        &self,
        sha256: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
    fn events_of_application(
        &self,
        application_id: i64,
    ) -> impl Future<Output = Result<Vec<EventRecord>, StoreError>> + Send;

    fn get_label(
        &self,
        registration_id: &str,
    ) -> impl Future<Output = Result<Option<LabelRecord>, StoreError>> + Send;
    /// A label's public columns by registration id: `credential_json` is not read (`None`).
    fn get_public_label(
        &self,
        registration_id: &str,
    ) -> impl Future<Output = Result<Option<LabelRecord>, StoreError>> + Send;
    fn label_of_application(
        &self,
        application_id: i64,
    ) -> impl Future<Output = Result<Option<LabelRecord>, StoreError>> + Send;
    /// Matching labels (one page, public columns only) and the total count.
    fn search_labels(
        &self,
        query: &LabelQuery,
    ) -> impl Future<Output = Result<LabelHits, StoreError>> + Send;
    fn set_label_state(
        &self,
        label_id: i64,
        state: LabelState,
        reason: Option<&str>,
        event: NewEvent,
    ) -> impl Future<Output = Result<LabelRecord, StoreError>> + Send;

    /// Labels with id greater than `after_id`, at most `limit`, by id (exports, statistics).
    fn labels_after(
        &self,
        after_id: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LabelRecord>, StoreError>> + Send;
    /// (created_at, target_level, category) of every application, for statistics.
    fn application_facts(
        &self,
    ) -> impl Future<Output = Result<Vec<(i64, i64, String)>, StoreError>> + Send;

    /// Log entries from `start`, at most `limit`, in order.
    fn log_entries(
        &self,
        start: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LogEntry>, StoreError>> + Send;
    fn log_size(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn insert_checkpoint(
        &self,
        checkpoint: &CheckpointRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every stored checkpoint, oldest first.
    fn checkpoints(&self)
    -> impl Future<Output = Result<Vec<CheckpointRecord>, StoreError>> + Send;

    fn enqueue_job(
        &self,
        kind: &str,
        payload_json: &str,
        max_attempts: i64,
        now: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Atomically takes the oldest ready job (queued, or running with an expired lease) for
    /// `worker` until `now + lease_seconds`; no two workers get the same job. First fails every
    /// job whose lease expired on its last attempt (its worker stopped responding); such a job
    /// keeps `locked_by`, and a late [`Store::complete_job`] or [`Store::fail_job`] from that
    /// worker still counts.
    fn claim_job(
        &self,
        worker: &str,
        now: i64,
        lease_seconds: i64,
    ) -> impl Future<Output = Result<Option<JobRecord>, StoreError>> + Send;
    /// Marks a job done if `worker` still holds it; false when the lease was lost.
    fn complete_job(
        &self,
        id: i64,
        worker: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Records a failure; the job is retried after `retry_at` until its attempts run out.
    fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn get_job(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<JobRecord>, StoreError>> + Send;
}
