//! The registry's application logic over a [`Store`]: accounts and authentication, the
//! application workflow (every action through [`workflow::apply`], the role check, the token
//! scope check and the row scope in the query), the assessment engine on every change with the
//! registry's own clock, label issuance on approval, and the public label lookup and search.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use iotlabel_core::assessment::Blocking;
use iotlabel_core::dossier::EvidenceKind;
use iotlabel_core::engine::{AttachedReport, EngineInput, assess};
use iotlabel_core::label_id::{RegistrationIdFormat, from_url_form};
use iotlabel_core::{Assessment, Catalog, Date, Dossier, Report};
use iotlabel_formats::credential::{self, LabelClaims, LabelProduct};
use serde::Serialize;
use serde_json::Value;

use crate::accounts::{self, AccountError, PasswordCost};
use crate::evidence::{self, EvidenceError};
use crate::roles::{Permission, Role};
use crate::store::*;
use crate::workflow::{self, Action, State, TransitionError};

/// The registry's clock. Assessments and validity dates always come from here, never from a
/// date the applicant supplies. Tests set it by hand.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    /// Unix seconds, shared so a test can move time.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(unix_seconds: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(unix_seconds)))
    }

    /// Sets a manual clock (no effect on the system clock).
    pub fn set(&self, unix_seconds: i64) {
        if let Clock::Manual(at) = self {
            at.store(unix_seconds, Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> i64 {
        match self {
            Clock::System => time::OffsetDateTime::now_utc().unix_timestamp(),
            Clock::Manual(at) => at.load(Ordering::SeqCst),
        }
    }

    /// Today's date (UTC).
    pub fn today(&self) -> Date {
        let date = time::OffsetDateTime::from_unix_timestamp(self.now())
            .map(|moment| moment.date())
            .unwrap_or(time::Date::MIN);
        Date::from_time(date)
    }
}

/// Unix seconds at midnight UTC of an ISO date, for tests and the demo data.
pub fn unix_at(date: Date) -> i64 {
    date.as_time().midnight().assume_utc().unix_timestamp()
}

/// Who is acting: a user (through a session, or a token limited to `scopes`) or the public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<User>,
    pub role: Role,
    /// `None` for a session (the role's full rights); a token's scopes otherwise.
    pub scopes: Option<Vec<Permission>>,
}

impl Actor {
    pub fn public() -> Actor {
        Actor {
            user: None,
            role: Role::Public,
            scopes: None,
        }
    }

    pub fn from_user(user: User) -> Actor {
        Actor {
            role: user.role,
            user: Some(user),
            scopes: None,
        }
    }

    /// Whether the role allows `permission` and, for a token, its scopes do too.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.may(permission)
            && self
                .scopes
                .as_ref()
                .is_none_or(|scopes| scopes.contains(&permission))
    }

    pub fn row_scope(&self) -> RowScope {
        RowScope {
            scope: self.role.application_scope(),
            organisation_id: self.user.as_ref().and_then(|user| user.organisation_id),
        }
    }

    fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|user| user.id)
    }
}

/// Why a registry operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("not permitted: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("level {target} is not attained (attained: {attained}); blocking: {}", blocking_list(.blocking))]
    LevelNotAttained {
        target: i64,
        attained: i64,
        blocking: Vec<Blocking>,
    },
    #[error("{0}")]
    Invalid(String),
    /// Too many requests of one kind in a short time (a public form being flooded).
    #[error("{0}")]
    TooMany(String),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("transparency log: {0}")]
    Log(#[from] crate::transparency::LogError),
}

fn blocking_list(blocking: &[Blocking]) -> String {
    blocking
        .iter()
        .map(|item| format!("L{} {}: {}", item.level, item.item, item.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Registry settings that are not storage.
#[derive(Debug, Clone, Copy)]
pub struct RegistrySettings {
    pub max_evidence_bytes: usize,
    pub password_cost: PasswordCost,
    pub session_seconds: i64,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            max_evidence_bytes: evidence::DEFAULT_MAX_EVIDENCE_BYTES,
            password_cost: PasswordCost::Standard,
            session_seconds: 8 * 3600,
        }
    }
}

/// A signed-in browser session: the cookie value and the CSRF token the page must echo.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub user: User,
}

/// An application as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub organisation_id: i64,
    pub lab_organisation_id: Option<i64>,
    pub state: State,
    pub product: ProductColumns,
    pub dossier: Value,
    pub assessment: Option<Value>,
    pub assessment_error: Option<String>,
    pub renews_label_id: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the viewer may do next.
    pub allowed_actions: Vec<Action>,
}

/// A label as anyone may see it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicLabel {
    pub registration_id: String,
    pub url_id: String,
    /// valid, suspended, revoked, or expired (valid but past `valid_until` today).
    pub status: String,
    pub suspension_reason: Option<String>,
    pub scheme: String,
    pub level: i64,
    pub route: String,
    pub valid_from: String,
    pub valid_until: String,
    pub product: PublicProduct,
    pub recognitions: Value,
    pub renews_label_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicProduct {
    pub manufacturer: String,
    pub name: String,
    pub model: String,
    pub category: String,
}

/// One page of search results.
#[derive(Debug, Clone, Serialize)]
pub struct LabelPage {
    /// The number of matching labels; with `total_is_capped`, a lower bound.
    pub total: i64,
    /// Counting stopped at [`SEARCH_TOTAL_CAP`] (or one past the page asked for, if later):
    /// at least `total` labels match, and `total` exceeds the labels up to this page when
    /// there are more.
    pub total_is_capped: bool,
    pub page: i64,
    pub per_page: i64,
    pub labels: Vec<PublicLabel>,
}

/// Search filters as the API receives them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LabelSearch {
    pub q: Option<String>,
    pub manufacturer: Option<String>,
    pub category: Option<String>,
    pub level: Option<i64>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Count every match instead of stopping at [`SEARCH_TOTAL_CAP`] (for statistics and
    /// metrics; not an API parameter).
    #[serde(skip)]
    pub exact_total: bool,
}

pub const MAX_PER_PAGE: i64 = 100;
/// A search counts its matches up to this many (or to one past the requested page, if later)
/// and then reports the total as capped: counting every match of a broad search costs a pass
/// over them all.
pub const SEARCH_TOTAL_CAP: i64 = 1000;

/// A hash to verify against when an e-mail has no account (see [`Registry::login`]).
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// The longest search text accepted (longer texts match nothing useful and cost a scan).
pub const MAX_SEARCH_TEXT: usize = 200;

/// What signs label credentials: the registry's Ed25519 key and its public base URL (the
/// credential's issuer; product pages and status URLs live under it).
#[derive(Clone)]
pub struct LabelSigner {
    pub signing_key: ed25519_dalek::SigningKey,
    /// e.g. `https://registry.example` (no trailing slash).
    pub base_url: String,
}

impl std::fmt::Debug for LabelSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelSigner")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl LabelSigner {
    /// The `verificationMethod` of issued credentials: the key's entry in /api/keys.
    pub fn verification_method(&self) -> String {
        format!("{}/api/keys#key-1", self.base_url)
    }

    pub fn status_url(&self, url_id: &str) -> String {
        format!("{}/api/labels/{url_id}", self.base_url)
    }

    pub fn product_page(&self, url_id: &str) -> String {
        format!("{}/labels/{url_id}", self.base_url)
    }
}

/// The registry: business rules over a store.
#[derive(Debug)]
pub struct Registry<S: Store> {
    store: S,
    catalog: Arc<Catalog>,
    clock: Clock,
    settings: RegistrySettings,
    signer: Option<LabelSigner>,
}

impl<S: Store> Registry<S> {
    pub fn new(store: S, catalog: Arc<Catalog>, clock: Clock, settings: RegistrySettings) -> Self {
        Registry {
            store,
            catalog,
            clock,
            settings,
            signer: None,
        }
    }

    /// Signs a W3C VC 2.0 credential (eddsa-jcs-2022) for every label issued from now on.
    pub fn with_signer(mut self, signer: LabelSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    pub fn signer(&self) -> Option<&LabelSigner> {
        self.signer.as_ref()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn settings(&self) -> &RegistrySettings {
        &self.settings
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    // ---- accounts -------------------------------------------------------------------------

    pub async fn create_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
    ) -> Result<Organisation, RegistryError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(RegistryError::Invalid(
                "an organisation name is 1 to 200 characters".into(),
            ));
        }
        Ok(self
            .store
            .create_organisation(name, kind, self.clock.now())
            .await?)
    }

    /// Creates a user (the bootstrap path of `iotlabel admin create-user`, and the admin API).
    /// Manufacturers and labs belong to an organisation of their kind; others need none.
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        role: Role,
        organisation_id: Option<i64>,
        password: &str,
    ) -> Result<User, RegistryError> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.len() > 254 {
            return Err(RegistryError::Invalid(format!(
                "{email:?} is not an e-mail address"
            )));
        }
        let display_name_length = display_name.trim().chars().count();
        if display_name_length == 0 || display_name_length > 200 {
            return Err(RegistryError::Invalid(
                "a display name is 1 to 200 characters".into(),
            ));
        }
        if role == Role::Public {
            return Err(RegistryError::Invalid(
                "the public role is for anonymous visitors, not accounts".into(),
            ));
        }
        let needed = match role {
            Role::Manufacturer => Some(OrganisationKind::Manufacturer),
            Role::TestLab => Some(OrganisationKind::TestLab),
            _ => None,
        };
        if let Some(kind) = needed {
            let organisation = match organisation_id {
                Some(id) => self.store.get_organisation(id).await?,
                None => None,
            };
            if organisation.is_none_or(|organisation| organisation.kind != kind) {
                return Err(RegistryError::Invalid(format!(
                    "a {} belongs to a {} organisation",
                    role.as_str(),
                    kind.as_str()
                )));
            }
        }
        let password_hash = accounts::hash_password(password, self.settings.password_cost)?;
        Ok(self
            .store
            .create_user(
                NewUser {
                    email,
                    display_name: display_name.trim().to_owned(),
                    role,
                    organisation_id,
                    password_hash,
                },
                self.clock.now(),
            )
            .await?)
    }

    /// Checks the password and opens a session; `None` for a wrong e-mail or password.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<NewSession>, RegistryError> {
        let Some((user, hash)) = self
            .store
            .user_credentials(&email.trim().to_lowercase())
            .await?
        else {
            // Spend the time a real check takes, so response times do not tell which
            // e-mail addresses have accounts.
            let cost = self.settings.password_cost;
            let dummy = DUMMY_HASH.get_or_init(|| {
                accounts::hash_password("not anyone's password", cost).unwrap_or_default()
            });
            let _ = accounts::verify_password(password, dummy);
            return Ok(None);
        };
        if !accounts::verify_password(password, &hash) {
            return Ok(None);
        }
        let token = accounts::new_secret("s_")?;
        let csrf_token = accounts::new_secret("c_")?;
        let now = self.clock.now();
        self.store
            .create_session(
                user.id,
                &accounts::secret_digest(&token),
                &csrf_token,
                now,
                now.saturating_add(self.settings.session_seconds),
            )
            .await?;
        Ok(Some(NewSession {
            token,
            csrf_token,
            user,
        }))
    }

    /// The actor of a session cookie and the session's CSRF token.
    pub async fn session_actor(
        &self,
        token: &str,
    ) -> Result<Option<(Actor, String)>, RegistryError> {
        Ok(self
            .store
            .session_user(&accounts::secret_digest(token), self.clock.now())
            .await?
            .map(|(user, csrf)| (Actor::from_user(user), csrf)))
    }

    pub async fn logout(&self, token: &str) -> Result<(), RegistryError> {
        Ok(self
            .store
            .delete_session(&accounts::secret_digest(token))
            .await?)
    }

    /// Creates an API token for the acting user, limited to `scopes` (which must be within
    /// the user's role). Returns the token; only its digest is stored.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        scopes: &str,
    ) -> Result<String, RegistryError> {
        let user = actor.user.as_ref().ok_or(RegistryError::Unauthenticated)?;
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(RegistryError::Invalid(
                "a token name is 1 to 100 characters".into(),
            ));
        }
        let permissions = accounts::parse_scopes(scopes)?;
        let granted: Vec<&str> = accounts::SCOPE_NAMES
            .iter()
            .filter(|(_, permission)| permissions.contains(permission) && actor.may(*permission))
            .map(|(name, _)| *name)
            .collect();
        if granted.is_empty() {
            return Err(RegistryError::Invalid(
                "none of the requested scopes is within your role".into(),
            ));
        }
        let token = accounts::new_secret("iotl_")?;
        self.store
            .create_api_token(
                user.id,
                name,
                &accounts::secret_digest(&token),
                &granted.join(" "),
                self.clock.now(),
            )
            .await?;
        Ok(token)
    }

    /// The actor of a bearer API token.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>, RegistryError> {
        let Some((user, scopes)) = self
            .store
            .api_token_user(&accounts::secret_digest(token))
            .await?
        else {
            return Ok(None);
        };
        let scopes = accounts::parse_scopes(&scopes)?;
        Ok(Some(Actor {
            role: user.role,
            user: Some(user),
            scopes: Some(scopes),
        }))
    }

    // ---- applications ---------------------------------------------------------------------

    fn require(&self, actor: &Actor, permission: Permission) -> Result<(), RegistryError> {
        if actor.user.is_none() && permission != Permission::ReadPublishedLabels {
            return Err(RegistryError::Unauthenticated);
        }
        if !actor.may(permission) {
            return Err(RegistryError::Forbidden(format!(
                "a {} (with these scopes) may not {permission:?}",
                actor.role.as_str()
            )));
        }
        Ok(())
    }

    async fn load(&self, actor: &Actor, id: i64) -> Result<ApplicationRecord, RegistryError> {
        if actor.user.is_none() {
            return Err(RegistryError::Unauthenticated);
        }
        self.store
            .get_application(id, actor.row_scope())
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// Runs the engine on `dossier` and the application's uploaded reports with today's date.
    async fn assess_content(
        &self,
        dossier: &Dossier,
        lab_organisation_id: Option<i64>,
        evidence: &[EvidenceRecord],
        pending: Option<(&str, &[u8])>,
    ) -> Result<(ApplicationContent, Option<Assessment>), RegistryError> {
        let dossier_json = serde_json::to_string(dossier)
            .map_err(|error| RegistryError::Invalid(error.to_string()))?;
        let mut reports = Vec::new();
        for item in &dossier.evidence {
            if !matches!(
                item.kind,
                EvidenceKind::ScanReport | EvidenceKind::ProbeReport
            ) {
                continue;
            }
            let Some(file) = &item.file else { continue };
            let Some(uploaded) = evidence.iter().find(|e| &e.file_name == file) else {
                continue;
            };
            // An upload being attached is assessed before it is stored (one transaction).
            let bytes = match pending {
                Some((sha256, bytes)) if sha256 == uploaded.sha256 => Some(bytes.to_vec()),
                _ => self.store.evidence_bytes(&uploaded.sha256).await?,
            };
            let Some(bytes) = bytes else { continue };
            if let Ok(report) = serde_json::from_slice::<Report>(&bytes) {
                reports.push(AttachedReport {
                    evidence_id: item.id.clone(),
                    file: file.clone(),
                    report,
                });
            }
        }
        let outcome = assess(
            &self.catalog,
            EngineInput {
                dossier,
                reports: &reports,
                on: self.clock.today(),
            },
        );
        let product = &dossier.product;
        let mut content = ApplicationContent {
            product: ProductColumns {
                manufacturer: product.manufacturer.clone(),
                name: product.name.clone(),
                model: product.model.clone(),
                category: product.category.clone(),
                hardware_version: product.hardware_version.clone(),
                firmware_version: product.firmware_version.clone(),
                support_period_end: product.support_period_end.map(|date| date.to_string()),
                vulnerability_disclosure_url: product.vulnerability_disclosure_url.clone(),
                scheme: dossier.target.scheme.clone(),
                target_level: i64::from(dossier.target.level),
                route: dossier.target.route.clone(),
            },
            lab_organisation_id,
            dossier_json,
            assessment_json: None,
            assessment_error: None,
        };
        match outcome {
            Ok(assessment) => {
                content.assessment_json = Some(
                    serde_json::to_string(&assessment)
                        .map_err(|error| RegistryError::Invalid(error.to_string()))?,
                );
                Ok((content, Some(assessment)))
            }
            Err(error) => {
                content.assessment_error = Some(match error {
                    iotlabel_core::engine::AssessError::InvalidDossier(problems) => problems
                        .iter()
                        .map(|problem| problem.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                });
                Ok((content, None))
            }
        }
    }

    async fn check_lab(&self, lab_organisation_id: Option<i64>) -> Result<(), RegistryError> {
        if let Some(id) = lab_organisation_id {
            let lab = self.store.get_organisation(id).await?;
            if lab.is_none_or(|lab| lab.kind != OrganisationKind::TestLab) {
                return Err(RegistryError::Invalid(format!(
                    "organisation {id} is not a test lab"
                )));
            }
        }
        Ok(())
    }

    fn event(&self, actor: &Actor, action: &str, reason: Option<&str>) -> NewEvent {
        NewEvent {
            action: action.to_owned(),
            actor_user_id: actor.user_id(),
            at: self.clock.now(),
            reason: reason.map(str::to_owned),
        }
    }

    /// A manufacturer starts a draft for its organisation. `renews` names the label this
    /// application renews (of the same organisation).
    pub async fn create_application(
        &self,
        actor: &Actor,
        dossier: &Dossier,
        lab_organisation_id: Option<i64>,
        renews: Option<&str>,
    ) -> Result<ApplicationRecord, RegistryError> {
        self.require(actor, Permission::CreateApplication)?;
        let organisation_id = actor
            .user
            .as_ref()
            .and_then(|user| user.organisation_id)
            .ok_or_else(|| RegistryError::Forbidden("you belong to no organisation".into()))?;
        self.check_lab(lab_organisation_id).await?;
        let renews_label_id = match renews {
            Some(id) => {
                let label = self
                    .store
                    .get_label(&normalise_label_id(id)?)
                    .await?
                    .filter(|label| label.organisation_id == organisation_id)
                    .ok_or(RegistryError::NotFound)?;
                Some(label.id)
            }
            None => None,
        };
        let (content, _) = self
            .assess_content(dossier, lab_organisation_id, &[], None)
            .await?;
        Ok(self
            .store
            .insert_application(
                organisation_id,
                actor.user_id().unwrap_or(0),
                &content,
                renews_label_id,
                self.event(actor, "create", None),
            )
            .await?)
    }

    pub async fn get_application(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<ApplicationRecord, RegistryError> {
        self.load(actor, id).await
    }

    pub async fn list_applications(
        &self,
        actor: &Actor,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<ApplicationRecord>, RegistryError> {
        if actor.user.is_none() {
            return Err(RegistryError::Unauthenticated);
        }
        let (limit, offset) = paging(page, per_page);
        Ok(self
            .store
            .list_applications(actor.row_scope(), limit, offset)
            .await?)
    }

    /// Replaces the dossier (and the lab) of a draft or an application with changes requested.
    pub async fn update_dossier(
        &self,
        actor: &Actor,
        id: i64,
        dossier: &Dossier,
        lab_organisation_id: Option<i64>,
    ) -> Result<ApplicationRecord, RegistryError> {
        self.require(actor, Permission::EditDraft)?;
        let record = self.load(actor, id).await?;
        if !matches!(record.state, State::Draft | State::ChangesRequested) {
            return Err(RegistryError::Transition(TransitionError::NotAllowed {
                from: record.state.as_str(),
                action: "edit",
                allowed: workflow::allowed_actions(record.state)
                    .into_iter()
                    .map(Action::as_str)
                    .collect(),
            }));
        }
        self.check_lab(lab_organisation_id).await?;
        let evidence = self.store.list_evidence(id).await?;
        let (content, _) = self
            .assess_content(dossier, lab_organisation_id, &evidence, None)
            .await?;
        Ok(self
            .store
            .update_application(
                id,
                record.version,
                &content,
                self.event(actor, "update-dossier", None),
            )
            .await?)
    }

    /// Attaches evidence: the manufacturer while it holds the application, the lab during its
    /// review. Checked for size and type before anything is stored; re-assesses.
    pub async fn upload_evidence(
        &self,
        actor: &Actor,
        id: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<(ApplicationRecord, EvidenceRecord), RegistryError> {
        self.require(actor, Permission::UploadEvidence)?;
        evidence::check_file_name(file_name)?;
        let media_type = evidence::sniff(bytes, self.settings.max_evidence_bytes)?;
        self.attach_file(actor, id, file_name, bytes, media_type, None)
            .await
    }

    /// Stores `bytes` as evidence `file_name` of application `id` (its type and size already
    /// checked by the caller), with `dossier` replacing the stored one when given, and
    /// re-assesses; one transaction. Who may attach when is checked here.
    pub(crate) async fn attach_file(
        &self,
        actor: &Actor,
        id: i64,
        file_name: &str,
        bytes: &[u8],
        media_type: &str,
        dossier: Option<&Dossier>,
    ) -> Result<(ApplicationRecord, EvidenceRecord), RegistryError> {
        self.require(actor, Permission::UploadEvidence)?;
        let record = self.load(actor, id).await?;
        let open = match actor.role {
            Role::Manufacturer => matches!(record.state, State::Draft | State::ChangesRequested),
            Role::TestLab => record.state == State::LabReview,
            _ => true,
        };
        if !open {
            return Err(RegistryError::Forbidden(format!(
                "a {} cannot add evidence while the application is {}",
                actor.role.as_str(),
                record.state.as_str()
            )));
        }
        let dossier = match dossier {
            Some(dossier) => dossier.clone(),
            None => parse_stored_dossier(&record)?,
        };
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let mut evidence = self.store.list_evidence(id).await?;
        evidence.retain(|item| item.file_name != file_name);
        evidence.push(EvidenceRecord {
            id: 0,
            application_id: id,
            sha256: sha256.clone(),
            file_name: file_name.to_owned(),
            media_type: media_type.to_owned(),
            size: 0,
            uploaded_by: 0,
            uploaded_at: 0,
        });
        let (content, _) = self
            .assess_content(
                &dossier,
                record.content.lab_organisation_id,
                &evidence,
                Some((&sha256, bytes)),
            )
            .await?;
        Ok(self
            .store
            .attach_evidence(
                id,
                record.version,
                file_name,
                media_type,
                bytes,
                &sha256,
                &content,
                self.event(
                    actor,
                    &format!("upload-evidence {file_name} sha256:{sha256}"),
                    None,
                ),
            )
            .await?)
    }

    /// Takes a workflow action. The state check comes first (409 with the allowed actions),
    /// then the role (403) and the token's scope; rows outside the actor's scope are 404.
    /// Approval re-assesses on today's date and issues the label in the same transaction.
    pub async fn act(
        &self,
        actor: &Actor,
        id: i64,
        action: Action,
        reason: Option<&str>,
    ) -> Result<(ApplicationRecord, Option<LabelRecord>), RegistryError> {
        let record = self.load(actor, id).await?;
        let to = workflow::apply(record.state, action, actor.role, reason)?;
        self.require(actor, permission_for(action))?;
        if action == Action::SendToLab && record.content.lab_organisation_id.is_none() {
            return Err(RegistryError::Invalid(
                "choose a test lab (lab_organisation_id) before sending to a lab".into(),
            ));
        }
        let dossier = parse_stored_dossier(&record)?;
        let evidence = self.store.list_evidence(id).await?;
        let (content, assessment) = self
            .assess_content(
                &dossier,
                record.content.lab_organisation_id,
                &evidence,
                None,
            )
            .await?;
        let label = if action == Action::Approve {
            Some(self.label_for(&record, &dossier, assessment.as_ref())?)
        } else {
            None
        };
        // Two approvals at once may pick the same serial; the loser's transaction is rolled
        // back by the UNIQUE constraint and simply tried again with the next serial.
        let mut attempts = 0;
        loop {
            let event = self.event(actor, action.as_str(), reason);
            match self
                .store
                .transition(id, record.version, to, &content, event, label.clone())
                .await
            {
                Err(StoreError::Duplicate(_)) if label.is_some() && attempts < 5 => {
                    attempts += 1;
                }
                outcome => return Ok(outcome?),
            }
        }
    }

    fn label_for(
        &self,
        record: &ApplicationRecord,
        dossier: &Dossier,
        assessment: Option<&Assessment>,
    ) -> Result<NewLabel, RegistryError> {
        let target = record.content.product.target_level;
        let Some(assessment) = assessment else {
            return Err(RegistryError::Invalid(format!(
                "the dossier cannot be assessed: {}",
                record
                    .content
                    .assessment_error
                    .as_deref()
                    .unwrap_or("unknown")
            )));
        };
        let attained = i64::from(assessment.level_attained);
        let validity = assessment.label.as_ref();
        if attained < target || validity.is_none() {
            let mut blocking: Vec<Blocking> = assessment
                .blocking
                .iter()
                .filter(|item| i64::from(item.level) <= target)
                .cloned()
                .collect();
            if let Some(refused) = &assessment.label_refused {
                blocking.push(Blocking {
                    level: dossier.target.level,
                    item: "label".into(),
                    reason: refused.clone(),
                });
            }
            return Err(RegistryError::LevelNotAttained {
                target,
                attained,
                blocking,
            });
        }
        let validity = validity.ok_or_else(|| RegistryError::Invalid("no validity".into()))?;
        let scheme = self.catalog.scheme(&dossier.target.scheme).ok_or_else(|| {
            RegistryError::Invalid(format!("unknown scheme {}", dossier.target.scheme))
        })?;
        let format = RegistrationIdFormat::parse(&scheme.label.registration_id_format)
            .map_err(StoreError::from)?;
        let granted: Vec<String> = assessment
            .recognition
            .iter()
            .filter(|outcome| outcome.applies)
            .map(|outcome| {
                outcome
                    .grants
                    .clone()
                    .unwrap_or_else(|| outcome.arrangement.clone())
            })
            .collect();
        let credential = self.signer.clone().map(|signer| {
            let product = &record.content.product;
            let claims = LabelClaims {
                issuer: signer.base_url.clone(),
                registration_id: String::new(),
                scheme: dossier.target.scheme.clone(),
                level: dossier.target.level,
                product: LabelProduct {
                    manufacturer: product.manufacturer.clone(),
                    name: product.name.clone(),
                    model: product.model.clone(),
                    category: product.category.clone(),
                    hardware_version: product.hardware_version.clone(),
                    firmware_version: product.firmware_version.clone(),
                },
                valid_from: validity.valid_from,
                valid_until: validity.valid_until,
                support_period_end: dossier.product.support_period_end,
                recognitions: granted,
                product_page: String::new(),
                status_url: String::new(),
            };
            let created = time::OffsetDateTime::from_unix_timestamp(self.clock.now())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let make: CredentialMaker = Arc::new(move |registration_id: &str| {
                let url_id = iotlabel_core::label_id::to_url_form(registration_id);
                let claims = LabelClaims {
                    registration_id: registration_id.to_owned(),
                    product_page: signer.product_page(&url_id),
                    status_url: signer.status_url(&url_id),
                    ..claims.clone()
                };
                let credential = credential::issue(
                    &claims,
                    &signer.signing_key,
                    &signer.verification_method(),
                    created,
                )
                .map_err(|error| error.to_string())?;
                serde_json::to_string(&credential).map_err(|error| error.to_string())
            });
            make
        });
        let recognitions: Vec<Value> = assessment
            .recognition
            .iter()
            .filter(|outcome| outcome.applies)
            .map(|outcome| {
                serde_json::json!({
                    "arrangement": outcome.arrangement,
                    "direction": outcome.direction,
                    "grants": outcome.grants,
                })
            })
            .collect();
        Ok(NewLabel {
            registration_id_format: format,
            level: target,
            valid_from: validity.valid_from,
            valid_until: validity.valid_until,
            recognitions_json: Value::Array(recognitions).to_string(),
            credential,
        })
    }

    /// Re-runs the engine on every open application with today's date (after a catalog change
    /// or as days pass). A row changed meanwhile is skipped: that change re-assessed it.
    /// Returns how many applications were re-assessed.
    pub async fn reassess_open_applications(&self) -> Result<usize, RegistryError> {
        let everything = RowScope {
            scope: crate::roles::Scope::All,
            organisation_id: None,
        };
        let mut count = 0;
        let mut page = 1;
        loop {
            let (limit, offset) = paging(page, MAX_PER_PAGE);
            let records = self
                .store
                .list_applications(everything, limit, offset)
                .await?;
            if records.is_empty() {
                break;
            }
            for record in records.iter().filter(|record| !record.state.is_final()) {
                let dossier = parse_stored_dossier(record)?;
                let evidence = self.store.list_evidence(record.id).await?;
                let (content, _) = self
                    .assess_content(
                        &dossier,
                        record.content.lab_organisation_id,
                        &evidence,
                        None,
                    )
                    .await?;
                let event = NewEvent {
                    action: "reassess".into(),
                    actor_user_id: None,
                    at: self.clock.now(),
                    reason: None,
                };
                match self
                    .store
                    .update_application(record.id, record.version, &content, event)
                    .await
                {
                    Ok(_) => count += 1,
                    Err(StoreError::Conflict) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            page += 1;
        }
        Ok(count)
    }

    pub async fn evidence_of(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<EvidenceRecord>, RegistryError> {
        self.load(actor, id).await?;
        Ok(self.store.list_evidence(id).await?)
    }

    pub async fn events_of(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<EventRecord>, RegistryError> {
        self.load(actor, id).await?;
        Ok(self.store.events_of_application(id).await?)
    }

    pub fn view(&self, actor: &Actor, record: &ApplicationRecord) -> ApplicationView {
        ApplicationView {
            id: record.id,
            organisation_id: record.organisation_id,
            lab_organisation_id: record.content.lab_organisation_id,
            state: record.state,
            product: record.content.product.clone(),
            dossier: serde_json::from_str(&record.content.dossier_json).unwrap_or(Value::Null),
            assessment: record
                .content
                .assessment_json
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok()),
            assessment_error: record.content.assessment_error.clone(),
            renews_label_id: record.renews_label_id,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
            allowed_actions: workflow::allowed_actions_for(record.state, actor.role)
                .into_iter()
                .filter(|action| actor.may(permission_for(*action)))
                .collect(),
        }
    }

    // ---- labels ---------------------------------------------------------------------------

    /// The public view of a label, by registration id or its URL form; status is live.
    pub async fn lookup_label(&self, id: &str) -> Result<PublicLabel, RegistryError> {
        let registration_id = normalise_label_id(id)?;
        let label = self
            .store
            .get_public_label(&registration_id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        Ok(self.public_label(&label))
    }

    /// The label's artwork (SVG): level, registration id and a QR code of the product page.
    pub async fn label_artwork(&self, id: &str) -> Result<String, RegistryError> {
        let (label, scheme, product_page) = self.artwork_inputs(id).await?;
        crate::artwork::label_svg(&scheme, &label.registration_id, label.level, &product_page)
            .map_err(|error| RegistryError::Invalid(error.to_string()))
    }

    /// The same artwork as a PNG for print, 960 x 480 pixels
    /// ([`crate::artwork::PRINT_SCALE`]).
    pub async fn label_artwork_png(&self, id: &str) -> Result<Vec<u8>, RegistryError> {
        let (label, scheme, product_page) = self.artwork_inputs(id).await?;
        crate::artwork::label_png(
            &scheme,
            &label.registration_id,
            label.level,
            &product_page,
            crate::artwork::PRINT_SCALE,
        )
        .map_err(|error| RegistryError::Invalid(error.to_string()))
    }

    /// What the artwork shows: the label, the scheme's short name and the product page URL.
    async fn artwork_inputs(
        &self,
        id: &str,
    ) -> Result<(LabelRecord, String, String), RegistryError> {
        let label = self
            .store
            .get_label(&normalise_label_id(id)?)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let signer = self
            .signer
            .as_ref()
            .ok_or(crate::transparency::LogError::NoSigner)?;
        let scheme = self
            .catalog
            .scheme(&label.scheme)
            .map_or(label.scheme.clone(), |scheme| scheme.short_name.clone());
        let product_page = signer.product_page(&label.url_id);
        Ok((label, scheme, product_page))
    }

    /// The signed credential of a label (public: it states only published facts).
    pub async fn label_credential(&self, id: &str) -> Result<Value, RegistryError> {
        let label = self
            .store
            .get_label(&normalise_label_id(id)?)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let json = label.credential_json.ok_or(RegistryError::NotFound)?;
        serde_json::from_str(&json)
            .map_err(|error| RegistryError::Store(StoreError::Corrupt(error.to_string())))
    }

    pub fn public_label(&self, label: &LabelRecord) -> PublicLabel {
        let today = self.clock.today().to_string();
        let status = match label.state {
            LabelState::Valid if label.valid_until < today => "expired",
            state => state.as_str(),
        };
        PublicLabel {
            registration_id: label.registration_id.clone(),
            url_id: label.url_id.clone(),
            status: status.to_owned(),
            suspension_reason: label.suspension_reason.clone(),
            scheme: label.scheme.clone(),
            level: label.level,
            route: label.route.clone(),
            valid_from: label.valid_from.clone(),
            valid_until: label.valid_until.clone(),
            product: PublicProduct {
                manufacturer: label.manufacturer.clone(),
                name: label.product_name.clone(),
                model: label.model.clone(),
                category: label.category.clone(),
            },
            recognitions: serde_json::from_str(&label.recognitions_json)
                .unwrap_or(Value::Array(Vec::new())),
            renews_label_id: label.renews_label_id,
        }
    }

    pub async fn search_labels(&self, search: &LabelSearch) -> Result<LabelPage, RegistryError> {
        if let Some(status) = &search.status
            && !["valid", "suspended", "revoked", "expired"].contains(&status.as_str())
        {
            return Err(RegistryError::Invalid(format!(
                "status {status:?}: use valid, suspended, revoked or expired"
            )));
        }
        let too_long = [&search.q, &search.manufacturer, &search.category]
            .iter()
            .any(|text| {
                text.as_ref()
                    .is_some_and(|t| t.chars().count() > MAX_SEARCH_TEXT)
            });
        if too_long {
            return Err(RegistryError::Invalid(format!(
                "search texts are at most {MAX_SEARCH_TEXT} characters"
            )));
        }
        let page = search.page.unwrap_or(1).clamp(1, 1_000_000);
        let per_page = search.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
        let (limit, offset) = paging(page, per_page);
        let non_empty = |text: &Option<String>| {
            text.as_ref()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        let total_cap = (!search.exact_total).then(|| SEARCH_TOTAL_CAP.max(offset + limit + 1));
        let hits = self
            .store
            .search_labels(&LabelQuery {
                text: non_empty(&search.q),
                manufacturer: non_empty(&search.manufacturer),
                category: non_empty(&search.category),
                level: search.level,
                status: search.status.clone(),
                today: self.clock.today().to_string(),
                limit,
                offset,
                total_cap,
            })
            .await?;
        Ok(LabelPage {
            total: hits.total,
            total_is_capped: hits.total_is_capped,
            page,
            per_page,
            labels: hits
                .labels
                .iter()
                .map(|label| self.public_label(label))
                .collect(),
        })
    }

    /// Suspends a valid label (reason required), reinstates a suspended one, or revokes.
    pub async fn change_label(
        &self,
        actor: &Actor,
        id: &str,
        to: LabelState,
        reason: Option<&str>,
    ) -> Result<PublicLabel, RegistryError> {
        let permission = match to {
            LabelState::Revoked => Permission::RevokeLabels,
            _ => Permission::SuspendLabels,
        };
        self.require(actor, permission)?;
        let label = self
            .store
            .get_label(&normalise_label_id(id)?)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let allowed = matches!(
            (label.state, to),
            (LabelState::Valid, LabelState::Suspended)
                | (LabelState::Suspended, LabelState::Valid)
                | (
                    LabelState::Valid | LabelState::Suspended,
                    LabelState::Revoked
                )
        );
        if !allowed {
            return Err(RegistryError::Transition(TransitionError::NotAllowed {
                from: label.state.as_str(),
                action: to.as_str(),
                allowed: match label.state {
                    LabelState::Valid => vec!["suspended", "revoked"],
                    LabelState::Suspended => vec!["valid", "revoked"],
                    LabelState::Revoked => vec![],
                },
            }));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if to != LabelState::Valid && reason.is_none() {
            return Err(RegistryError::Transition(TransitionError::ReasonRequired {
                action: to.as_str(),
            }));
        }
        let action = match to {
            LabelState::Valid => "reinstate-label",
            LabelState::Suspended => "suspend-label",
            LabelState::Revoked => "revoke-label",
        };
        let stored_reason = if to == LabelState::Valid {
            None
        } else {
            reason
        };
        let label = self
            .store
            .set_label_state(
                label.id,
                to,
                stored_reason,
                self.event(actor, action, reason),
            )
            .await?;
        Ok(self.public_label(&label))
    }
}

/// The permission a workflow action needs (checked against a token's scopes too).
pub fn permission_for(action: Action) -> Permission {
    match action {
        Action::SendToLab | Action::Resubmit | Action::Withdraw => Permission::EditDraft,
        Action::ReturnToManufacturer | Action::HandOff => Permission::ReviewAsLab,
        Action::StartAssessment | Action::RequestChanges => Permission::AssessApplications,
        Action::Approve | Action::Reject => Permission::DecideApplications,
    }
}

/// Accepts a registration id (`CSA/311228/000123`) or its URL form (`CSA-311228-000123`).
pub fn normalise_label_id(id: &str) -> Result<String, RegistryError> {
    let id = id.trim();
    if id.contains('/') {
        return Ok(id.to_owned());
    }
    from_url_form(id).map_err(|error| RegistryError::Invalid(error.to_string()))
}

pub(crate) fn parse_stored_dossier(record: &ApplicationRecord) -> Result<Dossier, RegistryError> {
    serde_json::from_str(&record.content.dossier_json)
        .map_err(|error| RegistryError::Store(StoreError::Corrupt(format!("dossier: {error}"))))
}

fn paging(page: i64, per_page: i64) -> (i64, i64) {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.clamp(1, 1_000_000);
    (per_page, (page - 1).saturating_mul(per_page))
}
