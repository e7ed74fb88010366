//! [`SqlStore`]: the [`Store`] over `sqlx::Any`, one set of queries for SQLite and PostgreSQL.
//! Queries are written with `$1` placeholders; the few statements that differ per backend (the
//! job claim) are chosen by [`Backend`]. Migrations live in `migrations/<backend>/` and are
//! applied on connect.

use std::borrow::Cow;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, Transaction};
use tokio::sync::Mutex;

use super::*;
use iotlabel_core::label_id::to_url_form;

/// Which database engine a [`SqlStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }
}

/// Migrations per backend, embedded in the binary. Released files are never edited.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "transparency log",
        include_str!("../../migrations/sqlite/0002_transparency_log.sql"),
    ),
    (
        3,
        "label search",
        include_str!("../../migrations/sqlite/0003_label_search.sql"),
    ),
    (
        4,
        "portal",
        include_str!("../../migrations/sqlite/0004_portal.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "transparency log",
        include_str!("../../migrations/postgres/0002_transparency_log.sql"),
    ),
    (
        3,
        "label search",
        include_str!("../../migrations/postgres/0003_label_search.sql"),
    ),
    (
        4,
        "portal",
        include_str!("../../migrations/postgres/0004_portal.sql"),
    ),
];

/// The embedded migrations as a sqlx source. sqlx's `migrate!` macro would need the `macros`
/// feature (a second compile of the drivers); this small source keeps the files embedded
/// without it.
#[derive(Debug)]
struct EmbeddedMigrations(&'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(
        self,
    ) -> futures_core_compat::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>>
    {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// sqlx's `BoxFuture` alias without depending on futures-core directly.
mod futures_core_compat {
    use std::future::Future;
    use std::pin::Pin;
    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
}

/// The registry's storage in SQLite or PostgreSQL.
#[derive(Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer; taking this lock before a write transaction avoids the
    /// deadlock a reader upgrading to a writer can hit (SQLITE_BUSY) within this process.
    write_lock: Mutex<()>,
}

const APPLICATION_COLUMNS: &str = "id, organisation_id, lab_organisation_id, manufacturer, \
     product_name, model, category, hardware_version, firmware_version, support_period_end, \
     vulnerability_disclosure_url, scheme, target_level, route, state, dossier_json, \
     assessment_json, assessment_error, renews_label_id, version, created_by, created_at, \
     updated_at";
const LABEL_COLUMNS: &str = "id, registration_id, url_id, serial, application_id, \
     organisation_id, manufacturer, product_name, model, category, scheme, level, route, \
     valid_from, valid_until, state, suspension_reason, recognitions_json, credential_json, \
     renews_label_id, issued_at, updated_at";
/// A label's columns without the credential (~1.6 kB that lookup and search never serve).
const LABEL_PUBLIC_COLUMNS: &str = "id, registration_id, url_id, serial, application_id, \
     organisation_id, manufacturer, product_name, model, category, scheme, level, route, \
     valid_from, valid_until, state, suspension_reason, recognitions_json, renews_label_id, \
     issued_at, updated_at";
/// SQLite memory-maps this much of the database file per connection, so reads of hot pages
/// are not copied into each connection's page cache.
const SQLITE_MMAP_BYTES: i64 = 1 << 30;
/// A matching label's text by LIKE: a condition on the (lowered) columns of `labels_text`
/// (SQLite, texts under three characters) or on `labels` (PostgreSQL), `$P` standing for the
/// `%text%` pattern's placeholder.
const SQLITE_TEXT_MATCH: &str = "(labels_text.manufacturer LIKE $P \
     OR labels_text.product_name LIKE $P OR labels_text.model LIKE $P \
     OR labels_text.registration_id LIKE $P)";
const POSTGRES_TEXT_MATCH: &str = "(lower(manufacturer COLLATE \"C\") LIKE $P \
     OR lower(product_name COLLATE \"C\") LIKE $P OR lower(model COLLATE \"C\") LIKE $P \
     OR lower(registration_id COLLATE \"C\") LIKE $P)";
const USER_COLUMNS: &str = "users.id, users.email, users.display_name, users.role, \
     users.organisation_id";
pub(super) const JOB_COLUMNS: &str = "id, kind, payload_json, state, attempts, max_attempts, locked_by, \
     locked_until, progress, last_error";
const EVIDENCE_COLUMNS: &str =
    "id, application_id, sha256, file_name, media_type, size, uploaded_by, uploaded_at";

impl SqlStore {
    /// Connects to `url` (`sqlite://file?mode=rwc` or `postgres://...`) and applies the
    /// backend's migrations.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::Executor::execute(
                            &mut *connection,
                            format!("PRAGMA mmap_size = {SQLITE_MMAP_BYTES}").as_str(),
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        if backend == Backend::Sqlite {
            // WAL lets readers run while a write is in progress; it is a property of the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await?;
        }
        let migrations = match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrator = Migrator::new(EmbeddedMigrations(migrations)).await?;
        migrator.run(&pool).await?;
        Ok(SqlStore {
            pool,
            backend,
            write_lock: Mutex::new(()),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Rewrites `$N` placeholders to SQLite's `?N`. Both mean "the N-th argument"; sqlx's
    /// SQLite driver also accepts `$N`, this keeps the SQL text in SQLite's own spelling.
    pub(super) fn sql<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.backend {
            Backend::Postgres => Cow::Borrowed(text),
            Backend::Sqlite => Cow::Owned(text.replace('$', "?")),
        }
    }

    pub(super) async fn begin_write(
        &self,
    ) -> Result<
        (
            Option<tokio::sync::MutexGuard<'_, ()>>,
            Transaction<'static, Any>,
        ),
        StoreError,
    > {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        };
        let transaction = self.pool.begin().await?;
        Ok((guard, transaction))
    }

    async fn write_lock(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }
}

fn duplicate_or(error: sqlx::Error, what: &str) -> StoreError {
    if let sqlx::Error::Database(database_error) = &error
        && database_error.is_unique_violation()
    {
        return StoreError::Duplicate(what.to_owned());
    }
    StoreError::Database(error)
}

fn organisation_from(row: &AnyRow) -> Result<Organisation, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Organisation {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: OrganisationKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("organisation kind {kind:?}")))?,
    })
}

fn role_from(text: &str) -> Result<Role, StoreError> {
    Role::ALL
        .into_iter()
        .find(|role| role.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("role {text:?}")))
}

fn user_from(row: &AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: role_from(&role)?,
        organisation_id: row.try_get("organisation_id")?,
    })
}

fn state_from(text: &str) -> Result<State, StoreError> {
    State::ALL
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("application state {text:?}")))
}

fn application_from(row: &AnyRow) -> Result<ApplicationRecord, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(ApplicationRecord {
        id: row.try_get("id")?,
        organisation_id: row.try_get("organisation_id")?,
        state: state_from(&state)?,
        content: ApplicationContent {
            product: ProductColumns {
                manufacturer: row.try_get("manufacturer")?,
                name: row.try_get("product_name")?,
                model: row.try_get("model")?,
                category: row.try_get("category")?,
                hardware_version: row.try_get("hardware_version")?,
                firmware_version: row.try_get("firmware_version")?,
                support_period_end: row.try_get("support_period_end")?,
                vulnerability_disclosure_url: row.try_get("vulnerability_disclosure_url")?,
                scheme: row.try_get("scheme")?,
                target_level: row.try_get("target_level")?,
                route: row.try_get("route")?,
            },
            lab_organisation_id: row.try_get("lab_organisation_id")?,
            dossier_json: row.try_get("dossier_json")?,
            assessment_json: row.try_get("assessment_json")?,
            assessment_error: row.try_get("assessment_error")?,
        },
        renews_label_id: row.try_get("renews_label_id")?,
        version: row.try_get("version")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn label_from(row: &AnyRow) -> Result<LabelRecord, StoreError> {
    label_from_columns(row, true)
}

/// A label from a row of [`LABEL_PUBLIC_COLUMNS`]: `credential_json` is `None`.
fn public_label_from(row: &AnyRow) -> Result<LabelRecord, StoreError> {
    label_from_columns(row, false)
}

fn label_from_columns(row: &AnyRow, with_credential: bool) -> Result<LabelRecord, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(LabelRecord {
        id: row.try_get("id")?,
        registration_id: row.try_get("registration_id")?,
        url_id: row.try_get("url_id")?,
        serial: row.try_get("serial")?,
        application_id: row.try_get("application_id")?,
        organisation_id: row.try_get("organisation_id")?,
        manufacturer: row.try_get("manufacturer")?,
        product_name: row.try_get("product_name")?,
        model: row.try_get("model")?,
        category: row.try_get("category")?,
        scheme: row.try_get("scheme")?,
        level: row.try_get("level")?,
        route: row.try_get("route")?,
        valid_from: row.try_get("valid_from")?,
        valid_until: row.try_get("valid_until")?,
        state: LabelState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("label state {state:?}")))?,
        suspension_reason: row.try_get("suspension_reason")?,
        recognitions_json: row.try_get("recognitions_json")?,
        credential_json: if with_credential {
            row.try_get("credential_json")?
        } else {
            None
        },
        renews_label_id: row.try_get("renews_label_id")?,
        issued_at: row.try_get("issued_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn evidence_from(row: &AnyRow) -> Result<EvidenceRecord, StoreError> {
    Ok(EvidenceRecord {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        sha256: row.try_get("sha256")?,
        file_name: row.try_get("file_name")?,
        media_type: row.try_get("media_type")?,
        size: row.try_get("size")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

fn event_from(row: &AnyRow) -> Result<EventRecord, StoreError> {
    Ok(EventRecord {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        label_id: row.try_get("label_id")?,
        action: row.try_get("action")?,
        from_state: row.try_get("from_state")?,
        to_state: row.try_get("to_state")?,
        actor_user_id: row.try_get("actor_user_id")?,
        at: row.try_get("at")?,
        reason: row.try_get("reason")?,
    })
}

pub(super) fn job_from(row: &AnyRow) -> Result<JobRecord, StoreError> {
    Ok(JobRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload_json: row.try_get("payload_json")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        locked_by: row.try_get("locked_by")?,
        locked_until: row.try_get("locked_until")?,
        progress: row.try_get("progress")?,
        last_error: row.try_get("last_error")?,
    })
}

/// The WHERE condition (after `AND`) a row scope adds to a query of applications; `$N` is the
/// organisation argument's position.
pub(super) fn scope_condition(scope: RowScope, position: usize) -> (String, Option<i64>) {
    match scope.scope {
        // Without an organisation a scoped actor sees nothing.
        Scope::OwnOrganisation => (
            format!("organisation_id = ${position}"),
            Some(scope.organisation_id.unwrap_or(-1)),
        ),
        Scope::AssignedToLab => (
            // A lab sees an application once the manufacturer has sent it, not the draft.
            format!("lab_organisation_id = ${position} AND state <> 'draft'"),
            Some(scope.organisation_id.unwrap_or(-1)),
        ),
        Scope::AllSubmitted => ("state NOT IN ('draft', 'lab-review')".to_owned(), None),
        Scope::All => ("1 = 1".to_owned(), None),
        Scope::PublishedOnly => ("1 = 0".to_owned(), None),
    }
}

async fn insert_event(
    transaction: &mut Transaction<'static, Any>,
    store: &SqlStore,
    application_id: Option<i64>,
    label_id: Option<i64>,
    from: Option<&str>,
    to: Option<&str>,
    event: &NewEvent,
) -> Result<(), StoreError> {
    sqlx::query(&store.sql(
        "INSERT INTO events (application_id, label_id, action, from_state, to_state, \
         actor_user_id, at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    ))
    .bind(application_id)
    .bind(label_id)
    .bind(event.action.clone())
    .bind(from.map(str::to_owned))
    .bind(to.map(str::to_owned))
    .bind(event.actor_user_id)
    .bind(event.at)
    .bind(event.reason.clone())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Appends `entry` to the transparency log in the caller's transaction. Bumping the head row
/// first takes its row lock (PostgreSQL) so concurrent appenders get consecutive indexes.
async fn append_log(
    transaction: &mut Transaction<'static, Any>,
    store: &SqlStore,
    entry: &str,
    at: i64,
) -> Result<(), StoreError> {
    let size: i64 = sqlx::query("UPDATE log_head SET size = size + 1 WHERE id = 1 RETURNING size")
        .fetch_one(&mut **transaction)
        .await?
        .try_get("size")?;
    sqlx::query(&store.sql(
        "INSERT INTO log_entries (leaf_index, entry, leaf_hash, created_at) \
         VALUES ($1, $2, $3, $4)",
    ))
    .bind(size - 1)
    .bind(entry.to_owned())
    .bind(hex::encode(iotlabel_log::leaf_hash(entry.as_bytes())))
    .bind(at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Writes `content` and the new state over the row at `expected_version`.
async fn write_application(
    transaction: &mut Transaction<'static, Any>,
    store: &SqlStore,
    id: i64,
    expected_version: i64,
    state: State,
    content: &ApplicationContent,
    now: i64,
) -> Result<ApplicationRecord, StoreError> {
    let product = &content.product;
    let row = sqlx::query(&store.sql(&format!(
        "UPDATE applications SET lab_organisation_id = $1, manufacturer = $2, product_name = $3, \
         model = $4, category = $5, hardware_version = $6, firmware_version = $7, \
         support_period_end = $8, vulnerability_disclosure_url = $9, scheme = $10, \
         target_level = $11, route = $12, state = $13, dossier_json = $14, \
         assessment_json = $15, assessment_error = $16, version = version + 1, updated_at = $17 \
         WHERE id = $18 AND version = $19 RETURNING {APPLICATION_COLUMNS}"
    )))
    .bind(content.lab_organisation_id)
    .bind(product.manufacturer.clone())
    .bind(product.name.clone())
    .bind(product.model.clone())
    .bind(product.category.clone())
    .bind(product.hardware_version.clone())
    .bind(product.firmware_version.clone())
    .bind(product.support_period_end.clone())
    .bind(product.vulnerability_disclosure_url.clone())
    .bind(product.scheme.clone())
    .bind(product.target_level)
    .bind(product.route.clone())
    .bind(state.as_str())
    .bind(content.dossier_json.clone())
    .bind(content.assessment_json.clone())
    .bind(content.assessment_error.clone())
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut **transaction)
    .await?;
    match row {
        Some(row) => application_from(&row),
        None => Err(StoreError::Conflict),
    }
}

impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
        now: i64,
    ) -> Result<Organisation, StoreError> {
        let _guard = self.write_lock().await;
        let row = sqlx::query(&self.sql(
            "INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, kind",
        ))
        .bind(name.to_owned())
        .bind(kind.as_str())
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| duplicate_or(error, "organisation"))?;
        organisation_from(&row)
    }

    async fn get_organisation(&self, id: i64) -> Result<Option<Organisation>, StoreError> {
        let row = sqlx::query(&self.sql("SELECT id, name, kind FROM organisations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(organisation_from).transpose()
    }

    async fn find_organisation(&self, name: &str) -> Result<Option<Organisation>, StoreError> {
        let row =
            sqlx::query(&self.sql("SELECT id, name, kind FROM organisations WHERE name = $1"))
                .bind(name.to_owned())
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(organisation_from).transpose()
    }

    async fn create_user(&self, user: NewUser, now: i64) -> Result<User, StoreError> {
        let _guard = self.write_lock().await;
        let row = sqlx::query(&self.sql(&format!(
            "INSERT INTO users (email, display_name, role, organisation_id, password_hash, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
        )))
        .bind(user.email)
        .bind(user.display_name)
        .bind(user.role.as_str())
        .bind(user.organisation_id)
        .bind(user.password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| duplicate_or(error, "user"))?;
        user_from(&row)
    }

    async fn get_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row =
            sqlx::query(&self.sql(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {USER_COLUMNS}, users.password_hash FROM users WHERE email = $1"
        )))
        .bind(email.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((user_from(&row)?, row.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    async fn create_session(
        &self,
        user_id: i64,
        token_sha256: &str,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _guard = self.write_lock().await;
        sqlx::query(&self.sql(
            "INSERT INTO sessions (token_sha256, csrf_token, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind(token_sha256.to_owned())
        .bind(csrf_token.to_owned())
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {USER_COLUMNS}, sessions.csrf_token FROM sessions \
             JOIN users ON users.id = sessions.user_id \
             WHERE sessions.token_sha256 = $1 AND sessions.expires_at > $2"
        )))
        .bind(token_sha256.to_owned())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((user_from(&row)?, row.try_get("csrf_token")?))),
            None => Ok(None),
        }
    }

    async fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        let _guard = self.write_lock().await;
        sqlx::query(&self.sql("DELETE FROM sessions WHERE token_sha256 = $1"))
            .bind(token_sha256.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_sha256: &str,
        scopes: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let _guard = self.write_lock().await;
        let row = sqlx::query(&self.sql(
            "INSERT INTO api_tokens (token_sha256, user_id, name, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        ))
        .bind(token_sha256.to_owned())
        .bind(user_id)
        .bind(name.to_owned())
        .bind(scopes.to_owned())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn api_token_user(
        &self,
        token_sha256: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {USER_COLUMNS}, api_tokens.scopes FROM api_tokens \
             JOIN users ON users.id = api_tokens.user_id \
             WHERE api_tokens.token_sha256 = $1 AND api_tokens.revoked_at IS NULL"
        )))
        .bind(token_sha256.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((user_from(&row)?, row.try_get("scopes")?))),
            None => Ok(None),
        }
    }

    async fn insert_application(
        &self,
        organisation_id: i64,
        created_by: i64,
        content: &ApplicationContent,
        renews_label_id: Option<i64>,
        event: NewEvent,
    ) -> Result<ApplicationRecord, StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let product = &content.product;
        let row = sqlx::query(&self.sql(&format!(
            "INSERT INTO applications (organisation_id, lab_organisation_id, manufacturer, \
             product_name, model, category, hardware_version, firmware_version, \
             support_period_end, vulnerability_disclosure_url, scheme, target_level, route, \
             state, dossier_json, assessment_json, assessment_error, renews_label_id, version, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $20, $20) \
             RETURNING {APPLICATION_COLUMNS}"
        )))
        .bind(organisation_id)
        .bind(content.lab_organisation_id)
        .bind(product.manufacturer.clone())
        .bind(product.name.clone())
        .bind(product.model.clone())
        .bind(product.category.clone())
        .bind(product.hardware_version.clone())
        .bind(product.firmware_version.clone())
        .bind(product.support_period_end.clone())
        .bind(product.vulnerability_disclosure_url.clone())
        .bind(product.scheme.clone())
        .bind(product.target_level)
        .bind(product.route.clone())
        .bind(State::Draft.as_str())
        .bind(content.dossier_json.clone())
        .bind(content.assessment_json.clone())
        .bind(content.assessment_error.clone())
        .bind(renews_label_id)
        .bind(created_by)
        .bind(event.at)
        .fetch_one(&mut *transaction)
        .await?;
        let record = application_from(&row)?;
        insert_event(
            &mut transaction,
            self,
            Some(record.id),
            None,
            None,
            Some(State::Draft.as_str()),
            &event,
        )
        .await?;
        transaction.commit().await?;
        Ok(record)
    }

    async fn get_application(
        &self,
        id: i64,
        scope: RowScope,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let (condition, organisation) = scope_condition(scope, 2);
        let text =
            format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND {condition}");
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(id);
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let row = query.fetch_optional(&self.pool).await?;
        row.as_ref().map(application_from).transpose()
    }

    async fn list_applications(
        &self,
        scope: RowScope,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let (condition, organisation) = scope_condition(scope, 3);
        let text = format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE {condition} \
             ORDER BY id LIMIT $1 OFFSET $2"
        );
        let sql = self.sql(&text);
        let mut query = sqlx::query(&sql).bind(limit).bind(offset);
        if let Some(organisation) = organisation {
            query = query.bind(organisation);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(application_from).collect()
    }

    async fn update_application(
        &self,
        id: i64,
        expected_version: i64,
        content: &ApplicationContent,
        event: NewEvent,
    ) -> Result<ApplicationRecord, StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let state: Option<String> =
            sqlx::query(&self.sql("SELECT state FROM applications WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await?
                .map(|row| row.try_get("state"))
                .transpose()?;
        let state = state_from(&state.ok_or(StoreError::NotFound)?)?;
        let record = write_application(
            &mut transaction,
            self,
            id,
            expected_version,
            state,
            content,
            event.at,
        )
        .await?;
        insert_event(&mut transaction, self, Some(id), None, None, None, &event).await?;
        transaction.commit().await?;
        Ok(record)
    }

    async fn transition(
        &self,
        id: i64,
        expected_version: i64,
        to: State,
        content: &ApplicationContent,
        event: NewEvent,
        label: Option<NewLabel>,
    ) -> Result<(ApplicationRecord, Option<LabelRecord>), StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let from: Option<String> =
            sqlx::query(&self.sql("SELECT state FROM applications WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await?
                .map(|row| row.try_get("state"))
                .transpose()?;
        let from = from.ok_or(StoreError::NotFound)?;
        let record = write_application(
            &mut transaction,
            self,
            id,
            expected_version,
            to,
            content,
            event.at,
        )
        .await?;
        let mut issued = None;
        if let Some(label) = label {
            // Serials are allocated in the approving transaction; the UNIQUE constraint on
            // serial makes a concurrent approval fail (and retry) instead of sharing one.
            let next: i64 = sqlx::query("SELECT COALESCE(MAX(serial), 0) + 1 AS next FROM labels")
                .fetch_one(&mut *transaction)
                .await?
                .try_get("next")?;
            let serial = u64::try_from(next)
                .map_err(|_| StoreError::Corrupt(format!("label serial {next}")))?;
            let registration_id = label
                .registration_id_format
                .format(label.valid_until, serial)?;
            let credential = match &label.credential {
                Some(make) => Some(make(&registration_id).map_err(StoreError::Credential)?),
                None => None,
            };
            let product = &record.content.product;
            let row = sqlx::query(&self.sql(&format!(
                "INSERT INTO labels (registration_id, url_id, serial, application_id, \
                 organisation_id, manufacturer, product_name, model, category, scheme, level, \
                 route, valid_from, valid_until, state, suspension_reason, recognitions_json, \
                 credential_json, renews_label_id, issued_at, updated_at) VALUES ($1, $2, $3, \
                 $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'valid', NULL, $15, $16, $17, \
                 $18, $18) RETURNING {LABEL_COLUMNS}"
            )))
            .bind(registration_id.clone())
            .bind(to_url_form(&registration_id))
            .bind(next)
            .bind(record.id)
            .bind(record.organisation_id)
            .bind(product.manufacturer.clone())
            .bind(product.name.clone())
            .bind(product.model.clone())
            .bind(product.category.clone())
            .bind(product.scheme.clone())
            .bind(label.level)
            .bind(product.route.clone())
            .bind(label.valid_from.to_string())
            .bind(label.valid_until.to_string())
            .bind(label.recognitions_json)
            .bind(credential)
            .bind(record.renews_label_id)
            .bind(event.at)
            .fetch_one(&mut *transaction)
            .await
            .map_err(|error| duplicate_or(error, "label serial"))?;
            issued = Some(label_from(&row)?);
        }
        insert_event(
            &mut transaction,
            self,
            Some(id),
            issued.as_ref().map(|label| label.id),
            Some(&from),
            Some(to.as_str()),
            &event,
        )
        .await?;
        if to == State::Submitted {
            super::portal::record_submission(&mut transaction, self, &record, &event).await?;
        }
        let entry = serde_json::json!({
            "kind": "application",
            "application": id,
            "action": event.action,
            "from": from,
            "to": to.as_str(),
            "actor": event.actor_user_id,
            "at": event.at,
            "reason": event.reason,
            "label": issued.as_ref().map(|label| serde_json::json!({
                "registration_id": label.registration_id,
                "level": label.level,
                "valid_from": label.valid_from,
                "valid_until": label.valid_until,
                "credential_sha256": label.credential_json.as_deref().map(|c| hex::encode(
                    <sha2::Sha256 as sha2::Digest>::digest(c.as_bytes()))),
            })),
        });
        append_log(&mut transaction, self, &entry.to_string(), event.at).await?;
        transaction.commit().await?;
        Ok((record, issued))
    }

    async fn attach_evidence(
        &self,
        application_id: i64,
        expected_version: i64,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
        sha256: &str,
        content: &ApplicationContent,
        event: NewEvent,
    ) -> Result<(ApplicationRecord, EvidenceRecord), StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let size = i64::try_from(bytes.len())
            .map_err(|_| StoreError::Corrupt("evidence too large".to_owned()))?;
        // Content addressing: identical bytes are stored once, whoever uploads them.
        let exists = sqlx::query(&self.sql("SELECT sha256 FROM evidence_blobs WHERE sha256 = $1"))
            .bind(sha256.to_owned())
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if !exists {
            sqlx::query(&self.sql(
                "INSERT INTO evidence_blobs (sha256, size, media_type, content) \
                 VALUES ($1, $2, $3, $4)",
            ))
            .bind(sha256.to_owned())
            .bind(size)
            .bind(media_type.to_owned())
            .bind(bytes.to_vec())
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query(&self.sql("DELETE FROM evidence WHERE application_id = $1 AND file_name = $2"))
            .bind(application_id)
            .bind(file_name.to_owned())
            .execute(&mut *transaction)
            .await?;
        let row = sqlx::query(&self.sql(&format!(
            "INSERT INTO evidence (application_id, sha256, file_name, media_type, size, \
             uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {EVIDENCE_COLUMNS}"
        )))
        .bind(application_id)
        .bind(sha256.to_owned())
        .bind(file_name.to_owned())
        .bind(media_type.to_owned())
        .bind(size)
        .bind(event.actor_user_id.unwrap_or(0))
        .bind(event.at)
        .fetch_one(&mut *transaction)
        .await?;
        let evidence = evidence_from(&row)?;
        let state: String = sqlx::query(&self.sql("SELECT state FROM applications WHERE id = $1"))
            .bind(application_id)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("state")?;
        let record = write_application(
            &mut transaction,
            self,
            application_id,
            expected_version,
            state_from(&state)?,
            content,
            event.at,
        )
        .await?;
        insert_event(
            &mut transaction,
            self,
            Some(application_id),
            None,
            None,
            None,
            &event,
        )
        .await?;
        transaction.commit().await?;
        Ok((record, evidence))
    }

    async fn list_evidence(&self, application_id: i64) -> Result<Vec<EvidenceRecord>, StoreError> {
        let rows = sqlx::query(&self.sql(&format!(
            "SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE application_id = $1 ORDER BY id"
        )))
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(evidence_from).collect()
    }

    async fn evidence_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(&self.sql("SELECT content FROM evidence_blobs WHERE sha256 = $1"))
            .bind(sha256.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(row.try_get("content")?)),
            None => Ok(None),
        }
    }

    async fn events_of_application(
        &self,
        application_id: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let rows = sqlx::query(&self.sql(
            "SELECT id, application_id, label_id, action, from_state, to_state, actor_user_id, \
             at, reason FROM events WHERE application_id = $1 ORDER BY id",
        ))
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from).collect()
    }

    async fn get_label(&self, registration_id: &str) -> Result<Option<LabelRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {LABEL_COLUMNS} FROM labels WHERE registration_id = $1"
        )))
        .bind(registration_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(label_from).transpose()
    }

    async fn get_public_label(
        &self,
        registration_id: &str,
    ) -> Result<Option<LabelRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {LABEL_PUBLIC_COLUMNS} FROM labels WHERE registration_id = $1"
        )))
        .bind(registration_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(public_label_from).transpose()
    }

    async fn label_of_application(
        &self,
        application_id: i64,
    ) -> Result<Option<LabelRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!(
            "SELECT {LABEL_COLUMNS} FROM labels WHERE application_id = $1"
        )))
        .bind(application_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(label_from).transpose()
    }

    async fn search_labels(&self, query: &LabelQuery) -> Result<LabelHits, StoreError> {
        let search = LabelSearchSql::new(self.backend, query);
        let limit = query.limit.max(0);
        let offset = query.offset.max(0);
        let page_text = format!(
            "SELECT {LABEL_PUBLIC_COLUMNS} FROM labels WHERE id IN \
             ({} ORDER BY {} LIMIT ${} OFFSET ${}) ORDER BY id",
            search.ids,
            search.order,
            search.arguments.len() + 1,
            search.arguments.len() + 2
        );
        let page_sql = self.sql(&page_text);
        let rows = search
            .bind(sqlx::query(&page_sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let labels = rows
            .iter()
            .map(public_label_from)
            .collect::<Result<Vec<_>, _>>()?;
        let found = i64::try_from(labels.len()).unwrap_or(i64::MAX);
        // A page short of the limit ends the matches: the total needs no count (unless the
        // page is empty because the offset is past the end).
        if found < limit && (found > 0 || offset == 0) {
            return Ok(LabelHits {
                labels,
                total: offset + found,
                total_is_capped: false,
            });
        }
        let cap = query.total_cap.map(|cap| cap.max(0));
        let count_text = match cap {
            Some(_) => format!(
                "SELECT COUNT(*) AS total FROM ({} LIMIT ${}) AS capped",
                search.ids,
                search.arguments.len() + 1
            ),
            None => format!("SELECT COUNT(*) AS total FROM ({}) AS matches", search.ids),
        };
        let count_sql = self.sql(&count_text);
        let mut count = search.bind(sqlx::query(&count_sql));
        if let Some(cap) = cap {
            count = count.bind(cap);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("total")?;
        Ok(LabelHits {
            labels,
            total,
            total_is_capped: cap == Some(total),
        })
    }

    async fn set_label_state(
        &self,
        label_id: i64,
        state: LabelState,
        reason: Option<&str>,
        event: NewEvent,
    ) -> Result<LabelRecord, StoreError> {
        let (_guard, mut transaction) = self.begin_write().await?;
        let previous: String = sqlx::query(&self.sql("SELECT state FROM labels WHERE id = $1"))
            .bind(label_id)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("state")?;
        let row = sqlx::query(&self.sql(&format!(
            "UPDATE labels SET state = $1, suspension_reason = $2, updated_at = $3 \
             WHERE id = $4 RETURNING {LABEL_COLUMNS}"
        )))
        .bind(state.as_str())
        .bind(reason.map(str::to_owned))
        .bind(event.at)
        .bind(label_id)
        .fetch_one(&mut *transaction)
        .await?;
        let label = label_from(&row)?;
        insert_event(
            &mut transaction,
            self,
            Some(label.application_id),
            Some(label_id),
            Some(&previous),
            Some(state.as_str()),
            &event,
        )
        .await?;
        let entry = serde_json::json!({
            "kind": "label",
            "label": label.registration_id,
            "action": event.action,
            "from": previous,
            "to": state.as_str(),
            "actor": event.actor_user_id,
            "at": event.at,
            "reason": event.reason,
        });
        append_log(&mut transaction, self, &entry.to_string(), event.at).await?;
        transaction.commit().await?;
        Ok(label)
    }

    async fn labels_after(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<LabelRecord>, StoreError> {
        let rows = sqlx::query(&self.sql(&format!(
            "SELECT {LABEL_COLUMNS} FROM labels WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(label_from).collect()
    }

    async fn application_facts(&self) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let rows = sqlx::query("SELECT created_at, target_level, category FROM applications")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("created_at")?,
                    row.try_get("target_level")?,
                    row.try_get("category")?,
                ))
            })
            .collect()
    }

    async fn log_entries(&self, start: i64, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows = sqlx::query(&self.sql(
            "SELECT leaf_index, entry, leaf_hash, created_at FROM log_entries \
             WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2",
        ))
        .bind(start)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LogEntry {
                    leaf_index: row.try_get("leaf_index")?,
                    entry: row.try_get("entry")?,
                    leaf_hash: row.try_get("leaf_hash")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn log_size(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT size FROM log_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get("size")?)
    }

    async fn insert_checkpoint(&self, checkpoint: &CheckpointRecord) -> Result<(), StoreError> {
        let _guard = self.write_lock().await;
        sqlx::query(&self.sql(
            "INSERT INTO checkpoints (size, root_hash, note, created_at) VALUES ($1, $2, $3, $4)",
        ))
        .bind(checkpoint.size)
        .bind(checkpoint.root_hash.clone())
        .bind(checkpoint.note.clone())
        .bind(checkpoint.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<CheckpointRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT size, root_hash, note, created_at FROM checkpoints ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(CheckpointRecord {
                    size: row.try_get("size")?,
                    root_hash: row.try_get("root_hash")?,
                    note: row.try_get("note")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn enqueue_job(
        &self,
        kind: &str,
        payload_json: &str,
        max_attempts: i64,
        now: i64,
    ) -> Result<i64, StoreError> {
        let _guard = self.write_lock().await;
        let row = sqlx::query(&self.sql(
            "INSERT INTO jobs (kind, payload_json, state, attempts, max_attempts, run_after, \
             created_at, updated_at) VALUES ($1, $2, 'queued', 0, $3, $4, $4, $4) RETURNING id",
        ))
        .bind(kind.to_owned())
        .bind(payload_json.to_owned())
        .bind(max_attempts)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: i64,
        lease_seconds: i64,
    ) -> Result<Option<JobRecord>, StoreError> {
        let _guard = self.write_lock().await;
        // First the sweep: a job whose worker stopped responding on its last attempt has an
        // expired lease and no attempts left, so no claim below would ever take it; it fails
        // here instead of showing "running" forever. One statement, safe to run concurrently
        // (a row already failed no longer matches). `locked_by` keeps the silent worker: if it
        // was only slow, its late report still counts (see `complete_job`), as nobody else
        // can have taken the job.
        sqlx::query(&self.sql(
            "UPDATE jobs SET state = 'failed', \
             last_error = 'the worker ' || COALESCE(locked_by, '(unknown)') \
             || ' stopped responding during the last of ' || max_attempts \
             || ' attempts (its lease expired); queue a new job of this kind to retry' \
             || COALESCE('; the attempt before failed with: ' || last_error, ''), \
             updated_at = $1 \
             WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts",
        ))
        .bind(now)
        .execute(&self.pool)
        .await?;
        // PostgreSQL: concurrent workers skip rows another transaction has locked.
        // SQLite: the whole UPDATE runs under the database's single write lock, so the
        // sub-select and the update are atomic with respect to other writers.
        let lock_clause = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let text = format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1, updated_at = $3 WHERE id = (SELECT id FROM jobs \
             WHERE ((state = 'queued' AND run_after <= $3) \
                    OR (state = 'running' AND locked_until < $3)) \
               AND attempts < max_attempts \
             ORDER BY id LIMIT 1 {lock_clause}) RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&self.sql(&text))
            .bind(worker.to_owned())
            .bind(now.saturating_add(lease_seconds))
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from).transpose()
    }

    async fn complete_job(&self, id: i64, worker: &str, now: i64) -> Result<bool, StoreError> {
        let _guard = self.write_lock().await;
        // `failed` with `locked_by` set: the claim sweep gave up on this worker's last attempt
        // (only a sweep leaves `locked_by` on a failed job); its late report still counts.
        let result = sqlx::query(&self.sql(
            "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, \
             updated_at = $1 WHERE id = $2 AND locked_by = $3 \
             AND state IN ('running', 'failed')",
        ))
        .bind(now)
        .bind(id)
        .bind(worker.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _guard = self.write_lock().await;
        let result = sqlx::query(&self.sql(
            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' \
             ELSE 'queued' END, locked_by = NULL, locked_until = NULL, last_error = $1, \
             run_after = $2, updated_at = $3 WHERE id = $4 AND locked_by = $5 \
             AND state IN ('running', 'failed')",
        ))
        .bind(error.to_owned())
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .bind(worker.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn get_job(&self, id: i64) -> Result<Option<JobRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from).transpose()
    }
}

/// Drops LIKE wildcards from user text so a search cannot become a pattern (a full scan
/// with `%_%_%...`); product names and ids do not need them. NUL goes too (PostgreSQL text
/// cannot hold it, so no label contains it).
fn escape_like(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\' | '\0'))
        .collect()
}

/// A label search as SQL: `ids` selects the matching label ids (in any order; `order` is the
/// expression to page them by id), with `$1..$n` bound to `arguments`.
///
/// The WHERE clause holds only the filters given, so the planner can use an index for each:
/// `labels_listing` (category, level, state, valid_until), `labels_status`,
/// `labels_manufacturer` (lower(manufacturer)), and for text the trigram indexes of migration
/// 0003. On SQLite a text of three or more characters drives the query from the FTS5 table:
/// a phrase of the lowered text's trigrams over the lowered columns is exactly the substring
/// condition, and its matches come in rowid order, so a page stops early. Shorter texts scan
/// that narrow table with LIKE. On PostgreSQL the GIN indexes serve the LIKE (PostgreSQL
/// rechecks their candidates); shorter texts are a scan.
struct LabelSearchSql {
    ids: String,
    order: &'static str,
    arguments: Vec<SearchArgument>,
}

enum SearchArgument {
    Text(String),
    Integer(i64),
}

impl LabelSearchSql {
    fn new(backend: Backend, query: &LabelQuery) -> LabelSearchSql {
        let mut arguments = Vec::new();
        let mut argument = |value: SearchArgument| {
            arguments.push(value);
            format!("${}", arguments.len())
        };
        let mut conditions: Vec<String> = Vec::new();
        if let Some(manufacturer) = &query.manufacturer {
            let placeholder = argument(SearchArgument::Text(manufacturer.to_ascii_lowercase()));
            conditions.push(match backend {
                Backend::Sqlite => format!("lower(labels.manufacturer) = {placeholder}"),
                Backend::Postgres => {
                    format!("lower(labels.manufacturer COLLATE \"C\") = {placeholder}")
                }
            });
        }
        if let Some(category) = &query.category {
            let placeholder = argument(SearchArgument::Text(category.clone()));
            conditions.push(format!("labels.category = {placeholder}"));
        }
        if let Some(level) = query.level {
            let placeholder = argument(SearchArgument::Integer(level));
            conditions.push(format!("labels.level = {placeholder}"));
        }
        match query.status.as_deref() {
            None => {}
            Some(status @ ("valid" | "expired")) => {
                let placeholder = argument(SearchArgument::Text(query.today.clone()));
                let comparison = if status == "valid" { ">=" } else { "<" };
                conditions.push(format!(
                    "labels.state = 'valid' AND labels.valid_until {comparison} {placeholder}"
                ));
            }
            Some(state) => {
                let placeholder = argument(SearchArgument::Text(state.to_owned()));
                conditions.push(format!("labels.state = {placeholder}"));
            }
        }
        let text = query
            .text
            .as_deref()
            .map(escape_like)
            .filter(|text| !text.is_empty());
        let Some(text) = text else {
            let filter = if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            };
            return LabelSearchSql {
                ids: format!("SELECT labels.id FROM labels{filter}"),
                order: "labels.id",
                arguments,
            };
        };
        let text = text.to_ascii_lowercase();
        match backend {
            Backend::Postgres => {
                let pattern = argument(SearchArgument::Text(format!("%{text}%")));
                conditions.push(POSTGRES_TEXT_MATCH.replace("$P", &pattern));
                LabelSearchSql {
                    ids: format!(
                        "SELECT labels.id FROM labels WHERE {}",
                        conditions.join(" AND ")
                    ),
                    order: "labels.id",
                    arguments,
                }
            }
            Backend::Sqlite => {
                // Trigrams need three characters; shorter texts are checked row by row.
                let mut text_conditions = vec![if text.chars().count() >= 3 {
                    let phrase = argument(SearchArgument::Text(format!(
                        "\"{}\"",
                        text.replace('"', "\"\"")
                    )));
                    format!("labels_text MATCH {phrase}")
                } else {
                    let pattern = argument(SearchArgument::Text(format!("%{text}%")));
                    SQLITE_TEXT_MATCH.replace("$P", &pattern)
                }];
                let join = if conditions.is_empty() {
                    ""
                } else {
                    " JOIN labels ON labels.id = labels_text.rowid"
                };
                text_conditions.extend(conditions);
                LabelSearchSql {
                    ids: format!(
                        "SELECT labels_text.rowid AS id FROM labels_text{join} WHERE {}",
                        text_conditions.join(" AND ")
                    ),
                    order: "labels_text.rowid",
                    arguments,
                }
            }
        }
    }

    /// Binds the search's arguments, in order, to a query of its SQL.
    fn bind<'q>(
        &self,
        mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        for argument in &self.arguments {
            query = match argument {
                SearchArgument::Text(text) => query.bind(text.clone()),
                SearchArgument::Integer(value) => query.bind(*value),
            };
        }
        query
    }
}
