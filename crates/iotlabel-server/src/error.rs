//! API errors: every refusal is a JSON body `{ "error": ..., ... }` with a status that says
//! what kind of refusal it is (409 with the allowed actions for an illegal transition).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use iotlabel_registry::RegistryError;
use iotlabel_registry::accounts::AccountError;
use iotlabel_registry::evidence::EvidenceError;
use iotlabel_registry::store::StoreError;
use iotlabel_registry::workflow::TransitionError;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: json!({ "error": message.into() }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> ApiError {
        let message = error.to_string();
        match error {
            RegistryError::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, message),
            RegistryError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, message),
            RegistryError::NotFound => ApiError::new(StatusCode::NOT_FOUND, message),
            RegistryError::Transition(transition) => match transition {
                TransitionError::NotAllowed { from, allowed, .. } => ApiError {
                    status: StatusCode::CONFLICT,
                    body: json!({ "error": message, "state": from, "allowed_actions": allowed }),
                },
                TransitionError::Forbidden { who, .. } => ApiError {
                    status: StatusCode::FORBIDDEN,
                    body: json!({ "error": message, "who_may": who }),
                },
                TransitionError::ReasonRequired { .. } => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
                }
            },
            RegistryError::LevelNotAttained {
                target,
                attained,
                blocking,
            } => ApiError {
                status: StatusCode::CONFLICT,
                body: json!({
                    "error": message,
                    "target_level": target,
                    "level_attained": attained,
                    "blocking": blocking,
                }),
            },
            RegistryError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message),
            RegistryError::TooMany(_) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, message),
            RegistryError::Evidence(evidence) => match evidence {
                EvidenceError::TooLarge { .. } => {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
                }
                EvidenceError::UnsupportedType => {
                    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
                }
                EvidenceError::Empty | EvidenceError::BadFileName => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
                }
            },
            RegistryError::Account(account) => match account {
                AccountError::WeakPassword(_) | AccountError::UnknownScope(_) => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
                }
                AccountError::Random(_) | AccountError::Hash(_) => internal(&message),
            },
            RegistryError::Log(iotlabel_registry::transparency::LogError::NoSigner) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
            }
            RegistryError::Log(_) => internal(&message),
            RegistryError::Store(store) => match store {
                StoreError::Conflict | StoreError::Duplicate(_) => {
                    ApiError::new(StatusCode::CONFLICT, message)
                }
                StoreError::NotFound => ApiError::new(StatusCode::NOT_FOUND, message),
                _ => internal(&message),
            },
        }
    }
}

/// A server fault: logged in full, answered without internals.
fn internal(message: &str) -> ApiError {
    eprintln!("internal error: {message}");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}
