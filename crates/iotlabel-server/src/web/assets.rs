//! The portal's one stylesheet, embedded in the binary (no CDN, no external fonts).

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("site.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
}
