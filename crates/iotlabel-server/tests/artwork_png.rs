//! GET /api/labels/{id}/artwork.png on the demo registry: a PNG for every demo label whose QR
//! code reads back as `<public_url>/labels/<url_id>`, with the same cache headers as the SVG.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::artwork::{decode_label_qr, png_to_rgba};
use iotlabel_registry::service::unix_at;
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::{Clock, demo};
use iotlabel_server::{ServerConfig, app_state, router};

const PUBLIC_URL: &str = "https://labels.example.org/";

async fn get(
    router: &axum::Router,
    uri: &str,
) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(router.clone(), request)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, bytes)
}

#[tokio::test]
async fn every_demo_label_has_a_png_whose_qr_code_is_its_product_page() {
    let database = TestDatabase::sqlite();
    let data = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        database_url: database.url.clone(),
        data_dir: data.path().to_path_buf(),
        public_url: PUBLIC_URL.into(),
        password_cost: PasswordCost::Fast,
        ..ServerConfig::default()
    };
    let today = "2026-03-10".parse().unwrap();
    let state = app_state(&config, Clock::manual(unix_at(today)))
        .await
        .unwrap();
    let summary = demo::load_demo(&state.registry).await.unwrap();
    assert!(summary.labels.len() >= 4, "{summary:?}");
    let router = router(state);

    let mut levels = std::collections::BTreeSet::new();
    for registration_id in &summary.labels {
        let url_id = iotlabel_core::label_id::to_url_form(registration_id);
        let (status, headers, png) =
            get(&router, &format!("/api/labels/{url_id}/artwork.png")).await;
        assert_eq!(status, StatusCode::OK, "{registration_id}");
        assert_eq!(headers[header::CONTENT_TYPE], "image/png");
        let (_, svg_headers, _) = get(&router, &format!("/api/labels/{url_id}/artwork.svg")).await;
        assert_eq!(
            headers[header::CACHE_CONTROL],
            svg_headers[header::CACHE_CONTROL]
        );
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=86400");
        assert_eq!(
            decode_label_qr(&png).unwrap(),
            format!("https://labels.example.org/labels/{url_id}")
        );
        let image = png_to_rgba(&png).unwrap();
        assert_eq!((image.width, image.height), (960, 480));

        let (_, _, label) = get(&router, &format!("/api/labels/{url_id}")).await;
        let label: serde_json::Value = serde_json::from_slice(&label).unwrap();
        levels.insert(label["level"].as_i64().unwrap());
    }
    // The demo's labels cover every level, so every asterisk count was drawn and decoded.
    assert_eq!(levels.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 4]);

    let (status, headers, body) = get(&router, "/api/labels/CSA-010199-999999/artwork.png").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers.get(header::CACHE_CONTROL).is_none());
    assert!(!body.is_empty());
}
