//! Who is calling: a bearer API token (scripts), a session cookie (browsers; state changes
//! must echo the session's CSRF token in `x-csrf-token`), or nobody (the public).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use iotlabel_registry::Actor;
use iotlabel_registry::accounts::constant_time_eq;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "iotlabel_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The acting party of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// The session cookie's value, when the caller came with one.
    pub session_token: Option<String>,
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let registry = &state.registry;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|text| text.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "use Authorization: Bearer <token>",
                    )
                })?;
            let actor = registry.token_actor(token).await?.ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unknown or revoked token")
            })?;
            return Ok(Caller {
                actor,
                session_token: None,
            });
        }
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            let Some((actor, csrf)) = registry.session_actor(&token).await? else {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "the session has expired: sign in again",
                ));
            };
            // A cross-site form or script can make the browser send the cookie but cannot
            // read the CSRF token, which a state change must echo in a header.
            if !is_safe(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                if !constant_time_eq(sent, &csrf) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "missing or wrong x-csrf-token header for a cookie-authenticated change",
                    ));
                }
            }
            return Ok(Caller {
                actor,
                session_token: Some(token),
            });
        }
        Ok(Caller {
            actor: Actor::public(),
            session_token: None,
        })
    }
}
