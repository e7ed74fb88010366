//! The JSON API's routes and handlers. Handlers only translate HTTP to [`Registry`] calls:
//! every rule (role, token scope, row scope, workflow) is enforced by the registry.
//!
//! [`Registry`]: iotlabel_registry::Registry

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use iotlabel_core::Dossier;
use iotlabel_registry::roles::{Permission, Role};
use iotlabel_registry::service::LabelSearch;
use iotlabel_registry::store::{LabelState, OrganisationKind, Store};
use iotlabel_registry::workflow::Action;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::ApiError;

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    // The evidence route takes raw bodies up to the limit; axum answers 413 beyond it before
    // the handler (and so the store) sees a byte.
    let evidence_limit = state.registry.settings().max_evidence_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/session", post(login).delete(logout))
        .route("/api/me", get(me))
        .route("/api/tokens", post(create_token))
        .route("/api/organisations", post(create_organisation))
        .route("/api/users", post(create_user))
        .route(
            "/api/applications",
            get(list_applications).post(create_application),
        )
        .route("/api/applications/{id}", get(get_application))
        .route("/api/applications/{id}/dossier", post(update_dossier))
        .route("/api/applications/{id}/actions/{action}", post(act))
        .route("/api/applications/{id}/events", get(events))
        .route(
            "/api/applications/{id}/evidence",
            get(list_evidence)
                .post(upload_evidence)
                .layer(DefaultBodyLimit::max(evidence_limit)),
        )
        .route(
            "/api/applications/{id}/evidence/{sha256}",
            get(download_evidence),
        )
        .route("/api/labels", get(search_labels))
        .route("/api/labels/{id}", get(lookup_label))
        .route("/api/labels/{id}/credential", get(label_credential))
        .route("/api/labels/{id}/artwork.svg", get(label_artwork))
        .route("/api/labels/{id}/artwork.png", get(label_artwork_png))
        .route("/api/labels/{id}/{change}", post(change_label))
        .route("/api/keys", get(keys))
        .route("/api/statistics", get(statistics))
        .route("/api/export/labels.json", get(export_json))
        .route("/api/export/labels.csv", get(export_csv))
        .route("/api/openapi.json", get(openapi))
        .route("/api/jobs", post(enqueue_job))
        .route("/api/jobs/{id}", get(get_job))
        .route("/api/log/checkpoint", get(log_checkpoint))
        .route("/api/log/verifier", get(log_verifier))
        .route("/api/log/entries", get(log_entries))
        .route("/api/log/proof/{index}", get(log_proof))
        .route("/metrics", get(crate::metrics::render))
        .merge(crate::web::routes(evidence_limit))
        .fallback(crate::web::fallback)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .with_state(state)
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.registry.store().ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "error": error.to_string() })),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Json(login): Json<Login>,
) -> Result<Response, ApiError> {
    let Some(session) = state.registry.login(&login.email, &login.password).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong e-mail or password",
        ));
    };
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        session.token,
        state.registry.settings().session_seconds
    );
    let mut response = Json(json!({
        "user": session.user,
        "csrf_token": session.csrf_token,
    }))
    .into_response();
    let value = HeaderValue::from_str(&cookie)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cookie"))?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}

async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Some(token) = &caller.session_token {
        state.registry.logout(token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("iotlabel_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

async fn me(caller: Caller) -> Json<Value> {
    Json(json!({
        "role": caller.actor.role,
        "user": caller.actor.user,
        "scopes": caller.actor.scopes,
    }))
}

#[derive(Debug, Deserialize)]
struct NewToken {
    name: String,
    /// Space-separated permission names, or `*` for all of the role's.
    scopes: String,
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<NewToken>,
) -> Result<Response, ApiError> {
    let token = state
        .registry
        .create_api_token(&caller.actor, &request.name, &request.scopes)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "token": token }))).into_response())
}

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.actor.user.is_none() {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"));
    }
    if !caller.actor.may(Permission::ManageAccounts) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only a registrar manages accounts",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct NewOrganisation {
    name: String,
    kind: OrganisationKind,
}

async fn create_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<NewOrganisation>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let organisation = state
        .registry
        .create_organisation(&request.name, request.kind)
        .await?;
    Ok((StatusCode::CREATED, Json(organisation)).into_response())
}

#[derive(Debug, Deserialize)]
struct NewUserRequest {
    email: String,
    display_name: String,
    role: Role,
    organisation_id: Option<i64>,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<NewUserRequest>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let user = state
        .registry
        .create_user(
            &request.email,
            &request.display_name,
            request.role,
            request.organisation_id,
            &request.password,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[derive(Debug, Deserialize)]
struct Paging {
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn list_applications(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = paging.page.unwrap_or(1);
    let per_page = paging.per_page.unwrap_or(20);
    let records = state
        .registry
        .list_applications(&caller.actor, page, per_page)
        .await?;
    let views: Vec<_> = records
        .iter()
        .map(|record| state.registry.view(&caller.actor, record))
        .collect();
    Ok(Json(json!({ "page": page, "applications": views })))
}

#[derive(Debug, Deserialize)]
struct NewApplication {
    dossier: Value,
    lab_organisation_id: Option<i64>,
    /// The registration id (or URL form) of the label this application renews.
    renews: Option<String>,
}

fn parse_dossier(value: Value) -> Result<Dossier, ApiError> {
    serde_json::from_value(value).map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the dossier is not valid: {error}"),
        )
    })
}

async fn create_application(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<NewApplication>,
) -> Result<Response, ApiError> {
    let dossier = parse_dossier(request.dossier)?;
    let record = state
        .registry
        .create_application(
            &caller.actor,
            &dossier,
            request.lab_organisation_id,
            request.renews.as_deref(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.registry.view(&caller.actor, &record)),
    )
        .into_response())
}

async fn get_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let record = state.registry.get_application(&caller.actor, id).await?;
    Ok(Json(json!(state.registry.view(&caller.actor, &record))))
}

#[derive(Debug, Deserialize)]
struct DossierUpdate {
    dossier: Value,
    lab_organisation_id: Option<i64>,
}

async fn update_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(request): Json<DossierUpdate>,
) -> Result<Json<Value>, ApiError> {
    let dossier = parse_dossier(request.dossier)?;
    let record = state
        .registry
        .update_dossier(&caller.actor, id, &dossier, request.lab_organisation_id)
        .await?;
    Ok(Json(json!(state.registry.view(&caller.actor, &record))))
}

#[derive(Debug, Default, Deserialize)]
struct ActionBody {
    reason: Option<String>,
}

/// The optional `{"reason": ...}` body of an action: an empty body is no reason.
fn reason_from(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<ActionBody>(body)
        .map(|body| body.reason)
        .map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body must be {{\"reason\": \"...\"}}: {error}"),
            )
        })
}

fn parse_action(text: &str) -> Result<Action, ApiError> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, format!("unknown action {text:?}")))
}

async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let action = parse_action(&action)?;
    let reason = reason_from(&body)?;
    let (record, label) = state
        .registry
        .act(&caller.actor, id, action, reason.as_deref())
        .await?;
    Ok(Json(json!({
        "application": state.registry.view(&caller.actor, &record),
        "label": label.map(|label| state.registry.public_label(&label)),
    })))
}

async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let events = state.registry.events_of(&caller.actor, id).await?;
    Ok(Json(json!({ "events": events })))
}

async fn list_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let evidence = state.registry.evidence_of(&caller.actor, id).await?;
    Ok(Json(json!({ "evidence": evidence })))
}

#[derive(Debug, Deserialize)]
struct UploadName {
    name: String,
}

async fn upload_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(name): Query<UploadName>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (_, evidence) = state
        .registry
        .upload_evidence(&caller.actor, id, &name.name, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(evidence)).into_response())
}

async fn download_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sha256)): Path<(i64, String)>,
) -> Result<Response, ApiError> {
    let evidence = state.registry.evidence_of(&caller.actor, id).await?;
    let Some(item) = evidence.iter().find(|item| item.sha256 == sha256) else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such evidence"));
    };
    let bytes = state
        .registry
        .store()
        .evidence_bytes(&item.sha256)
        .await
        .map_err(iotlabel_registry::RegistryError::from)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such evidence"))?;
    let media_type = HeaderValue::from_str(&item.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment"),
            ),
            // Uploaded files are served as what they were sniffed to be, never as HTML.
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn search_labels(
    State(state): State<AppState>,
    Query(search): Query<LabelSearch>,
) -> Result<Json<iotlabel_registry::service::LabelPage>, ApiError> {
    // Serialised straight from the page (no intermediate `Value`: a fifth of the search
    // profile was building and dropping it).
    Ok(Json(state.registry.search_labels(&search).await?))
}

async fn lookup_label(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let label = state.registry.lookup_label(&id).await?;
    // The status is live: caches must not keep it.
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(label),
    )
        .into_response())
}

async fn label_credential(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.registry.label_credential(&id).await?))
}

/// Artwork shows only what a label never changes (scheme, level, registration id, product
/// page URL), so caches may keep it for a day; the live status is at /api/labels/{id}.
const ARTWORK_CACHE: &str = "public, max-age=86400";

async fn label_artwork(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let svg = state.registry.label_artwork(&id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(ARTWORK_CACHE),
            ),
        ],
        svg,
    )
        .into_response())
}

/// The label artwork as a 960 x 480 PNG for print.
async fn label_artwork_png(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let png = state.registry.label_artwork_png(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(ARTWORK_CACHE),
            ),
        ],
        png,
    )
        .into_response())
}

async fn change_label(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, change)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let to = match change.as_str() {
        "suspend" => LabelState::Suspended,
        "reinstate" => LabelState::Valid,
        "revoke" => LabelState::Revoked,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("unknown label change {other:?}: use suspend, reinstate or revoke"),
            ));
        }
    };
    let reason = reason_from(&body)?;
    let label = state
        .registry
        .change_label(&caller.actor, &id, to, reason.as_deref())
        .await?;
    Ok(Json(json!(label)))
}

async fn keys(State(state): State<AppState>) -> Json<Value> {
    let public = state.signing_key.verifying_key();
    // The credential's verificationMethod is `<public_url>/api/keys#key-1`.
    let id = state
        .registry
        .signer()
        .map(|signer| signer.verification_method())
        .unwrap_or_default();
    Json(json!({
        "keys": [{
            "id": id,
            "type": "Multikey",
            "publicKeyMultibase": iotlabel_formats::credential::encode_public_key_multibase(&public),
            "public_key_hex": hex::encode(public.to_bytes()),
            "use": "label credentials (W3C VC 2.0, Data Integrity eddsa-jcs-2022)",
        }]
    }))
}

/// The latest signed checkpoint (a C2SP signed note, text/plain).
async fn log_checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let checkpoint = state.registry.checkpoint().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        checkpoint.note,
    )
        .into_response())
}

/// The note verifier key that checks checkpoints (`iotlabel log verify` takes it).
async fn log_verifier(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let signer = state
        .registry
        .signer()
        .ok_or(iotlabel_registry::transparency::LogError::NoSigner)
        .map_err(iotlabel_registry::RegistryError::from)?;
    let key = iotlabel_registry::transparency::verifier_key(signer)
        .map_err(iotlabel_registry::RegistryError::from)?;
    Ok(Json(json!({
        "origin": iotlabel_registry::transparency::log_origin(signer),
        "verifier_key": key,
    })))
}

#[derive(Debug, Deserialize)]
struct EntryRange {
    start: Option<i64>,
    limit: Option<i64>,
}

async fn log_entries(
    State(state): State<AppState>,
    Query(range): Query<EntryRange>,
) -> Result<Json<Value>, ApiError> {
    let start = range.start.unwrap_or(0).max(0);
    let limit = range.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state
        .registry
        .store()
        .log_entries(start, limit)
        .await
        .map_err(iotlabel_registry::RegistryError::from)?;
    Ok(Json(json!({ "entries": entries })))
}

#[derive(Debug, Deserialize)]
struct ProofSize {
    size: Option<i64>,
}

async fn log_proof(
    State(state): State<AppState>,
    Path(index): Path<i64>,
    Query(size): Query<ProofSize>,
) -> Result<Json<Value>, ApiError> {
    let size = match size.size {
        Some(size) => size,
        None => state.registry.checkpoint().await?.size,
    };
    Ok(Json(json!(
        state.registry.inclusion_proof(index, size).await?
    )))
}

#[derive(Debug, Deserialize)]
struct NewJob {
    kind: String,
}

/// Registrars queue jobs (e.g. re-assessment after a catalog update).
async fn enqueue_job(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<NewJob>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let id = state.registry.enqueue_job(&request.kind).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response())
}

/// A job's state, attempts and last error: for assessors and registrars.
async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    if caller.actor.user.is_none() {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"));
    }
    if !(caller.actor.may(Permission::AssessApplications)
        || caller.actor.may(Permission::ManageAccounts))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only assessors and registrars see jobs",
        ));
    }
    let job = state
        .registry
        .store()
        .get_job(id)
        .await
        .map_err(iotlabel_registry::RegistryError::from)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such job"))?;
    Ok(Json(json!(job)))
}

/// The OpenAPI document of this API (kept in the crate as `openapi.json`; a test checks that
/// every path in it is served).
pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

async fn statistics(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.registry.statistics().await?)))
}

async fn export_json(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let labels = state.registry.export_labels().await?;
    Ok(Json(json!({ "labels": labels })))
}

async fn export_csv(State(state): State<AppState>) -> Result<Response, ApiError> {
    let labels = state.registry.export_labels().await?;
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
        iotlabel_registry::published::labels_csv(&labels),
    )
        .into_response())
}
