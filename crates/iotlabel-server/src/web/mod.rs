//! The web portal: server-rendered HTML pages over the registry, usable without JavaScript,
//! with no external assets. This module holds what every page shares: the route table, who
//! is looking ([`Viewer`]), the page layout, flash messages, CSRF checks for forms and the
//! HTML error pages.
//!
//! Forms post `application/x-www-form-urlencoded` (or multipart for uploads) with a hidden
//! `csrf_token` field that must equal the session's token; the sign-in form, which comes
//! before any session, uses a double-submit cookie instead.

mod application;
mod application_form;
mod assets;
mod charts;
mod dashboard;
mod home;
mod levels;
mod log_view;
mod product_page;
mod registry_search;
mod review;
mod signin;
mod statistics;
mod vulnerability_reports;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iotlabel_registry::roles::Role;
use iotlabel_registry::{Actor, RegistryError};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie};

/// Every page of the portal (one line per page).
pub fn routes(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/applications/{id}/evidence",
            post(application::upload_evidence)
                // Room for the multipart framing around a file at the limit.
                .layer(axum::extract::DefaultBodyLimit::max(
                    evidence_limit + 64 * 1024,
                )),
        )
        .route(
            "/applications/{id}/firmware",
            post(application::upload_firmware).layer(axum::extract::DefaultBodyLimit::max(
                iotlabel_registry::firmware_scan::MAX_FIRMWARE_BYTES + 64 * 1024,
            )),
        )
        .route("/", get(home::page))
        .route("/static/site.css", get(assets::stylesheet))
        .route("/labels/{id}", get(product_page::page))
        .route(
            "/labels/{id}/assessment.oscal.json",
            get(product_page::oscal_assessment),
        )
        .route("/labels/{id}/actions/{change}", post(product_page::change))
        .route(
            "/labels/{id}/report",
            get(vulnerability_reports::form).post(vulnerability_reports::submit),
        )
        .route("/labels/{id}/sbom", get(product_page::sbom))
        .route("/l/{*id}", get(product_page::short_link))
        .route("/vulnerability-reports", get(vulnerability_reports::list))
        .route(
            "/vulnerability-reports/{reference}",
            get(vulnerability_reports::detail),
        )
        .route(
            "/vulnerability-reports/{reference}/status",
            post(vulnerability_reports::set_status),
        )
        .route("/registry", get(registry_search::page))
        .route("/registry.csv", get(registry_search::csv))
        .route("/statistics", get(statistics::page))
        .route("/levels", get(levels::page))
        .route("/transparency-log", get(log_view::page))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/dashboard", get(dashboard::page))
        .route(
            "/applications/new",
            get(application_form::new_form).post(application_form::create),
        )
        .route("/applications/import", post(application::create))
        .route(
            "/applications/{id}/product",
            get(application_form::product_page).post(application_form::save_product),
        )
        .route(
            "/applications/{id}/ics",
            get(application_form::ics_page).post(application_form::save_ics),
        )
        .route(
            "/applications/{id}/provisions",
            get(application_form::provisions_page).post(application_form::save_provisions),
        )
        .route("/applications/{id}", get(application::page))
        .route(
            "/applications/{id}/actions/{action}",
            post(application::act),
        )
        .route(
            "/applications/{id}/dossier",
            post(application::update_dossier),
        )
        .route("/applications/{id}/changes", get(review::changes))
        .route(
            "/applications/{id}/lab-review",
            get(review::lab_review_page).post(review::save_lab_review),
        )
        .route("/signout", post(signin::signout))
}

pub const FLASH_COOKIE: &str = "iotlabel_flash";

/// The session of a signed-in viewer.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub token: String,
    pub csrf_token: String,
}

/// Who is looking at a page: a signed-in user (with the session's CSRF token for forms) or
/// the public; and the flash message left by the previous action, if any.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub session: Option<WebSession>,
    pub flash: Option<String>,
    /// The session cookie named a session that has ended.
    pub session_expired: bool,
}

impl Viewer {
    pub fn is_signed_in(&self) -> bool {
        self.session.is_some()
    }

    pub fn role(&self) -> Role {
        self.actor.role
    }

    /// The CSRF token forms of this viewer carry (empty for the public, whose forms are
    /// checked another way or change nothing).
    pub fn csrf_token(&self) -> &str {
        self.session
            .as_ref()
            .map_or("", |session| session.csrf_token.as_str())
    }

    /// Refuses a state change whose form did not echo this session's CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        let Some(session) = &self.session else {
            return Err(PageError::new(
                StatusCode::UNAUTHORIZED,
                "Sign in to do this.",
            ));
        };
        if iotlabel_registry::accounts::constant_time_eq(submitted, &session.csrf_token) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ))
        }
    }

    /// Refuses a page for the public: the caller must sign in.
    pub fn require_signed_in(&self) -> Result<&WebSession, PageError> {
        self.session
            .as_ref()
            .ok_or_else(|| PageError::new(StatusCode::UNAUTHORIZED, "Sign in to see this page."))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let flash = cookie(&parts.headers, FLASH_COOKIE)
            .map(|value| percent_decode(&value))
            .filter(|text| !text.is_empty());
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Viewer {
                actor: Actor::public(),
                session: None,
                flash,
                session_expired: false,
            });
        };
        match state.registry.session_actor(&token).await? {
            Some((actor, csrf_token)) => Ok(Viewer {
                actor,
                session: Some(WebSession { token, csrf_token }),
                flash,
                session_expired: false,
            }),
            None => Ok(Viewer {
                actor: Actor::public(),
                session: None,
                flash,
                session_expired: true,
            }),
        }
    }
}

/// An error shown as an HTML page. Internal causes are logged, never shown.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found() -> PageError {
        PageError::new(
            StatusCode::NOT_FOUND,
            "There is no such page. Check the address, or search the registry.",
        )
    }
}

impl From<RegistryError> for PageError {
    fn from(error: RegistryError) -> PageError {
        // The API's mapping decides the status; pages show a plain sentence, and server
        // faults show nothing of their cause.
        let api = crate::error::ApiError::from(error);
        let message = if api.status.is_server_error() {
            "Something went wrong on our side. Try again in a moment.".to_owned()
        } else if api.status == StatusCode::NOT_FOUND {
            "There is no such page. Check the address, or search the registry.".to_owned()
        } else {
            api.body
                .get("error")
                .and_then(|value| value.as_str())
                .unwrap_or("The request was refused.")
                .to_owned()
        };
        PageError::new(api.status, message)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNAUTHORIZED => "Sign in needed",
            StatusCode::PAYLOAD_TOO_LARGE => "File too large",
            status if status.is_server_error() => "Something went wrong",
            _ => "The request was refused",
        };
        let body = html! {
            h1 { (title) }
            p.error-message { (self.message) }
            @if self.status == StatusCode::UNAUTHORIZED {
                p { a href="/signin" { "Sign in" } }
            }
            p { a href="/" { "Home" } " · " a href="/registry" { "Search the registry" } }
        };
        let mut response = (self.status, layout(None, title, None, body, None)).into_response();
        security_headers(response.headers_mut());
        response
    }
}

/// The HTML 404 for paths no route serves (the API's own paths answer JSON).
pub async fn fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::new(StatusCode::NOT_FOUND, "no such API path")
            .into_response();
    }
    PageError::not_found().into_response()
}

/// A full page for `viewer`: the layout around `body`, the flash message shown once, and the
/// security headers every page carries.
pub fn render(viewer: &Viewer, title: &str, body: Markup) -> Response {
    render_refreshing(viewer, title, body, None)
}

/// [`render`], reloading itself every `seconds` while something it shows is in progress
/// (a firmware scan): the no-script way to show live progress.
pub fn render_refreshing(
    viewer: &Viewer,
    title: &str,
    body: Markup,
    seconds: Option<u32>,
) -> Response {
    let mut response =
        layout(Some(viewer), title, viewer.flash.as_deref(), body, seconds).into_response();
    let headers = response.headers_mut();
    security_headers(headers);
    if viewer.flash.is_some() {
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "iotlabel_flash=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            ),
        );
    }
    response
}

/// A 303 redirect after a form, carrying a one-time message for the next page.
pub fn redirect_with_flash(location: &str, message: &str) -> Response {
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response();
    let cookie = format!(
        "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60",
        percent_encode(message)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn security_headers(headers: &mut HeaderMap) {
    // No scripts at all; styles and images only from this site (and inline SVG data).
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// The page frame: skip link, site header with navigation, the flash message, main content.
fn layout(
    viewer: Option<&Viewer>,
    title: &str,
    flash: Option<&str>,
    body: Markup,
    refresh_seconds: Option<u32>,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh_seconds {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · iotlabel registry" }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                a.skip-link href="#main" { "Skip to content" }
                header.site-header {
                    div.site-header-inner {
                        a.site-name href="/" { "iotlabel registry" }
                        nav aria-label="Main" {
                            ul {
                                li { a href="/registry" { "Registry" } }
                                li { a href="/statistics" { "Statistics" } }
                                li { a href="/levels" { "Levels" } }
                                @if let Some(viewer) = viewer.filter(|viewer| viewer.is_signed_in()) {
                                    li { a href="/dashboard" { "My work" } }
                                    li {
                                        form.inline method="post" action="/signout" {
                                            input type="hidden" name="csrf_token" value=(viewer.csrf_token());
                                            button.link-button type="submit" { "Sign out" }
                                        }
                                    }
                                } @else {
                                    li { a href="/signin" { "Sign in" } }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    @if let Some(message) = flash {
                        div.flash role="status" { (message) }
                    }
                    @if viewer.is_some_and(|viewer| viewer.session_expired) {
                        div.flash role="status" { "Your session has ended. Sign in again to continue." }
                    }
                    (body)
                }
                footer.site-footer {
                    p { "Cybersecurity labels for consumer IoT products, checked against ETSI EN 303 645. "
                        a href="/api/openapi.json" { "API" } " · " a href="/api/keys" { "Registry keys" } }
                }
            }
        }
    }
}

/// The engine's latest assessment stored with an application (`None` when the engine
/// refused the dossier: the record then carries `assessment_error`).
pub fn stored_assessment(
    record: &iotlabel_registry::store::ApplicationRecord,
) -> Option<iotlabel_core::Assessment> {
    record
        .content
        .assessment_json
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
}

/// The level as asterisks with its meaning for screen readers.
pub fn asterisks(level: i64) -> Markup {
    let count = usize::try_from(level.clamp(0, 4)).unwrap_or(0);
    html! {
        span.asterisks role="img" aria-label=(format!("Level {level} of 4")) {
            (PreEscaped("*".repeat(count)))
        }
    }
}

/// A label status in words, for a badge and its colour class.
pub fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "valid" => ("Valid", "status-valid"),
        "suspended" => ("Suspended", "status-suspended"),
        "revoked" => ("Revoked", "status-revoked"),
        "expired" => ("Expired", "status-expired"),
        _ => ("Unknown", "status-expired"),
    }
}

/// Percent-encodes everything but unreserved characters (for cookie values and URLs).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string of the non-empty pairs, for links that keep the current filters.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let joined: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", percent_encode(value)))
        .collect();
    if joined.is_empty() {
        String::new()
    } else {
        format!("?{}", joined.join("&"))
    }
}

/// A fresh random token (hex) for the sign-in form's double-submit cookie.
pub fn random_token() -> Result<String, PageError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Try again in a moment.",
        )
    })?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_round_trips_any_text() {
        for text in ["plain", "a b&c=d;e", "Über 100% ✓", "%zz%4", ""] {
            assert_eq!(percent_decode(&percent_encode(text)), text);
        }
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn query_string_skips_empty_filters() {
        assert_eq!(
            query_string(&[("q", "smart cam".into()), ("level", String::new())]),
            "?q=smart%20cam"
        );
        assert_eq!(query_string(&[("q", String::new())]), "");
    }
}
