//! The OpenAPI document at /api/openapi.json matches the router: every documented operation is
//! served (an unrouted path is axum's bare 404, a wrong method 405), and the document is
//! valid JSON of OpenAPI 3.1.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::*;

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let server = sqlite_server().await;
    let (status, served) = server.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let committed: serde_json::Value = serde_json::from_str(iotlabel_server::OPENAPI).unwrap();
    assert_eq!(served, committed);
    assert_eq!(served["openapi"], "3.1.0");
    let paths = served["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, operations) in paths {
        let uri = path
            .replace("{id}/credential", "CSA-100329-000001/credential")
            .replace("{id}/artwork.svg", "CSA-100329-000001/artwork.svg")
            .replace("{id}/{change}", "CSA-100329-000001/suspend")
            .replace("/api/labels/{id}", "/api/labels/CSA-100329-000001")
            .replace("{id}", "1")
            .replace("{action}", "approve")
            .replace("{sha256}", "00")
            .replace("{index}", "0");
        for method in operations.as_object().unwrap().keys() {
            let (status, body) = server.call(&method.to_uppercase(), &uri, None, None).await;
            let unrouted = (status == StatusCode::NOT_FOUND && body.is_null())
                || status == StatusCode::METHOD_NOT_ALLOWED;
            assert!(
                !unrouted,
                "{method} {path} is documented but not routed ({status})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
}

#[tokio::test]
async fn the_search_response_is_documented() {
    let server = sqlite_server().await;
    let (status, page) = server.call("GET", "/api/labels?q=router", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total_is_capped"], false);
    let committed: serde_json::Value = serde_json::from_str(iotlabel_server::OPENAPI).unwrap();
    let schema = &committed["paths"]["/api/labels"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let mut documented: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut served: Vec<&str> = page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    served.sort_unstable();
    assert_eq!(documented, served);
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, served);
}
