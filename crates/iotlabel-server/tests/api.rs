//! The JSON API in process (Router + oneshot), each test on its own SQLite database: the full
//! standard path, 409s with the allowed actions, blocking reasons, CSRF on cookie sessions,
//! 413 uploads that store nothing, health, keys and the `admin create-user` bootstrap.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness() {
    let server = sqlite_server().await;
    let (status, body) = server.call("GET", "/healthz", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = server.call("GET", "/readyz", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
    let request = Request::builder()
        .uri("/metrics")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server.router.clone(), request)
        .await
        .unwrap();
    let metrics = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let metrics = String::from_utf8(metrics.to_vec()).unwrap();
    assert!(
        metrics.contains(
            r#"iotlabel_http_requests_total{route="/healthz",method="GET",status="200"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains(r#"iotlabel_labels{status="valid"} 0"#));
    assert!(metrics.contains("iotlabel_log_entries 0"));
    let (status, body) = server.call("GET", "/api/keys", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["keys"][0]["public_key_hex"].as_str().unwrap().len(),
        64
    );
}

#[tokio::test]
async fn standard_path_over_http() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let id = draft(&server, &people).await;

    // An illegal transition is a 409 naming the allowed actions.
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/resubmit"),
            Some(&people.maker),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["allowed_actions"], json!(["send-to-lab", "withdraw"]));
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/fly"),
            Some(&people.maker),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for (token, action) in [
        (&people.maker, "send-to-lab"),
        (&people.lab, "hand-off"),
        (&people.assessor, "start-assessment"),
    ] {
        let (status, body) = server
            .call(
                "POST",
                &format!("/api/applications/{id}/actions/{action}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/approve"),
            Some(&people.assessor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["application"]["state"], "approved");
    let url_id = body["label"]["url_id"].as_str().unwrap().to_owned();
    assert_eq!(url_id, "CSA-100329-000001");

    // Public lookup and search.
    let (status, label) = server
        .call("GET", &format!("/api/labels/{url_id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(label["status"], "valid");
    // The credential verifies offline against the key the registry publishes.
    let (status, credential) = server
        .call(
            "GET",
            &format!("/api/labels/{url_id}/credential"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, keys) = server.call("GET", "/api/keys", None, None).await;
    let key = iotlabel_formats::credential::decode_public_key_multibase(
        keys["keys"][0]["publicKeyMultibase"].as_str().unwrap(),
    )
    .unwrap();
    let verified = iotlabel_formats::credential::verify(&credential, &key).unwrap();
    assert_eq!(verified.claims.registration_id, "CSA/100329/000001");
    assert_eq!(
        verified.verification_method,
        keys["keys"][0]["id"].as_str().unwrap()
    );
    assert_eq!(label["level"], 2);
    assert_eq!(label["product"]["model"], "EX-AX3000");
    let (status, page) = server
        .call(
            "GET",
            "/api/labels?q=ax3000&category=wifi-router&level=2&page=1&per_page=10",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    assert_eq!(page["labels"][0]["url_id"], url_id.as_str());

    // Artwork: SVG with the level's asterisks and the registration id.
    let request = Request::builder()
        .uri(format!("/api/labels/{url_id}/artwork.svg"))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let svg = String::from_utf8(svg.to_vec()).unwrap();
    assert!(svg.contains(">**</text>") && svg.contains(">CSA/100329/000001</text>"));

    // Statistics and exports.
    let (_, statistics) = server.call("GET", "/api/statistics", None, None).await;
    assert_eq!(statistics["labels_awarded"]["total"], 1);
    assert_eq!(statistics["applications_received"]["by_level"]["2"], 1);
    let (_, exported) = server
        .call("GET", "/api/export/labels.json", None, None)
        .await;
    assert_eq!(exported["labels"][0]["url_id"], url_id.as_str());
    let request = Request::builder()
        .uri("/api/export/labels.csv")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert_eq!(csv.lines().count(), 2);
    assert!(csv.contains("CSA/100329/000001,valid,2,cls-iot,standard,"));

    // Suspension needs a reason and shows in the very next lookup.
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/labels/{url_id}/suspend"),
            Some(&people.assessor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/labels/{url_id}/suspend"),
            Some(&people.assessor),
            Some(json!({ "reason": "unresolved vulnerability CVE-2026-0001" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, label) = server
        .call("GET", &format!("/api/labels/{url_id}"), None, None)
        .await;
    assert_eq!(label["status"], "suspended");
    assert_eq!(
        label["suspension_reason"],
        "unresolved vulnerability CVE-2026-0001"
    );
    let (status, _) = server
        .call("GET", "/api/labels/CSA-010101-999999", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The transparency log: a signed checkpoint over the 4 transitions and the suspension,
    // and an inclusion proof for the approval.
    let (_, verifier) = server.call("GET", "/api/log/verifier", None, None).await;
    let verifier: iotlabel_log::NoteVerifier =
        verifier["verifier_key"].as_str().unwrap().parse().unwrap();
    let request = axum::http::Request::builder()
        .uri("/api/log/checkpoint")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server.router.clone(), request)
        .await
        .unwrap();
    let note = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let checkpoint = iotlabel_log::Checkpoint::open(
        &note,
        "127.0.0.1:8080/log",
        std::slice::from_ref(&verifier),
    )
    .unwrap();
    // What `iotlabel log verify <url>` does: page through the entries, check the checkpoint.
    let mut checker = iotlabel_registry::transparency::LogChecker::default();
    loop {
        let (_, page) = server
            .call(
                "GET",
                &format!("/api/log/entries?start={}&limit=2", checker.size()),
                None,
                None,
            )
            .await;
        let entries: Vec<iotlabel_registry::store::LogEntry> =
            serde_json::from_value(page["entries"].clone()).unwrap();
        if entries.is_empty() {
            break;
        }
        checker.add_entries(&entries).unwrap();
    }
    checker
        .check_checkpoint(std::str::from_utf8(&note).unwrap(), &verifier)
        .unwrap();
    assert_eq!(checker.finish(1).entries, 5);
    assert_eq!(checkpoint.size, 5);
    let (_, proof) = server.call("GET", "/api/log/proof/3", None, None).await;
    let (_, entries) = server
        .call("GET", "/api/log/entries?start=3&limit=1", None, None)
        .await;
    let entry = entries["entries"][0]["entry"].as_str().unwrap();
    assert!(entry.contains("\"action\":\"approve\""));
    let path: Vec<iotlabel_log::Hash> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    iotlabel_log::verify_inclusion(
        &iotlabel_log::leaf_hash(entry.as_bytes()),
        3,
        checkpoint.size,
        &path,
        &checkpoint.root_hash,
    )
    .unwrap();
}

#[tokio::test]
async fn approval_above_the_attained_level_lists_the_blocking_items() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let mut dossier = dossier_json();
    dossier["target"]["level"] = json!(3);
    let (status, body) = server
        .call(
            "POST",
            "/api/applications",
            Some(&people.maker),
            Some(json!({ "dossier": dossier, "lab_organisation_id": people.lab_id })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["assessment"]["level_attained"], 2);
    let id = body["id"].as_i64().unwrap();
    for (token, action) in [
        (&people.maker, "send-to-lab"),
        (&people.lab, "hand-off"),
        (&people.assessor, "start-assessment"),
    ] {
        server
            .call(
                "POST",
                &format!("/api/applications/{id}/actions/{action}"),
                Some(token),
                None,
            )
            .await;
    }
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/approve"),
            Some(&people.assessor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["level_attained"], 2);
    assert!(!body["blocking"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_changes() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let login = |password: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/session")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "email": "maker@example.com", "password": password }).to_string(),
            ))
            .unwrap()
    };
    let (status, _) = server.send(login("not the password")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = tower::ServiceExt::oneshot(server.router.clone(), login("a long password"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let create = |csrf: Option<&str>| {
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/applications")
            .header("cookie", &cookie)
            .header("content-type", "application/json");
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request
            .body(Body::from(
                json!({ "dossier": dossier_json(), "lab_organisation_id": people.lab_id })
                    .to_string(),
            ))
            .unwrap()
    };
    let (status, _) = server.send(create(None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF header");
    let (status, _) = server.send(create(Some("c_forged"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "wrong CSRF header");
    let (status, created) = server.send(create(Some(&csrf))).await;
    assert_eq!(status, StatusCode::CREATED);
    // Reads need no CSRF token.
    let read = Request::builder()
        .uri(format!("/api/applications/{}", created["id"]))
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let (status, _) = server.send(read).await;
    assert_eq!(status, StatusCode::OK);
    // Only one application exists: the refused requests stored nothing.
    let (_, list) = server
        .call("GET", "/api/applications", Some(&people.maker), None)
        .await;
    assert_eq!(list["applications"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn uploads_over_the_limit_are_413_and_store_nothing() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let id = draft(&server, &people).await;
    let upload = |name: &str, bytes: Vec<u8>| {
        Request::builder()
            .method("POST")
            .uri(format!("/api/applications/{id}/evidence?name={name}"))
            .header("authorization", format!("Bearer {}", people.maker))
            .header("content-type", "application/octet-stream")
            .body(Body::from(bytes))
            .unwrap()
    };
    let (status, _) = server
        .send(upload("big.md", vec![b'a'; EVIDENCE_LIMIT + 1]))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = server
        .send(upload("tool.bin", b"\x7fELF\x02\x01\x01\0\0\0\0".to_vec()))
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (_, listed) = server
        .call(
            "GET",
            &format!("/api/applications/{id}/evidence"),
            Some(&people.maker),
            None,
        )
        .await;
    assert_eq!(listed["evidence"], json!([]));
    let blobs: i64 = sqlx_count(&server).await;
    assert_eq!(blobs, 0, "nothing stored");

    let (status, stored) = server
        .send(upload("report.pdf", b"%PDF-1.7\n%...".to_vec()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(stored["media_type"], "application/pdf");
    let sha = stored["sha256"].as_str().unwrap();
    let request = Request::builder()
        .uri(format!("/api/applications/{id}/evidence/{sha}"))
        .header("authorization", format!("Bearer {}", people.maker))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&bytes[..], b"%PDF-1.7\n%...");
}

/// Evidence blobs in the database: any accepted upload leaves one.
async fn sqlx_count(server: &TestServer) -> i64 {
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM evidence_blobs")
        .fetch_one(server.state.registry.store().pool())
        .await
        .unwrap();
    row.0
}

#[tokio::test]
async fn admin_create_user_bootstraps_a_registrar_and_the_key_is_private() {
    let directory = tempfile::tempdir().unwrap();
    let config = iotlabel_server::ServerConfig {
        database_url: format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("r.sqlite").display()
        ),
        data_dir: directory.path().join("data"),
        password_cost: iotlabel_registry::accounts::PasswordCost::Fast,
        ..iotlabel_server::ServerConfig::default()
    };
    let user = iotlabel_server::create_user(
        &config,
        iotlabel_server::NewAccount {
            email: "Root@Registry.example".into(),
            display_name: "Registrar".into(),
            role: iotlabel_server::parse_role("registrar").unwrap(),
            organisation: None,
            password: "a long password".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(user.email, "root@registry.example");
    let maker = iotlabel_server::create_user(
        &config,
        iotlabel_server::NewAccount {
            email: "maker@example.com".into(),
            display_name: "Maker".into(),
            role: iotlabel_server::parse_role("manufacturer").unwrap(),
            organisation: Some("Example Networks Pte Ltd".into()),
            password: "a long password".into(),
        },
    )
    .await
    .unwrap();
    assert!(maker.organisation_id.is_some());
    assert!(iotlabel_server::parse_role("public").is_none());

    let state = iotlabel_server::app_state(&config, iotlabel_registry::Clock::System)
        .await
        .unwrap();
    let session = state
        .registry
        .login("root@registry.example", "a long password")
        .await
        .unwrap();
    assert!(session.is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = config.data_dir.join(iotlabel_server::KEY_FILE_NAME);
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn jobs_are_queued_run_by_the_worker_and_visible() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let (status, _) = server
        .call(
            "POST",
            "/api/jobs",
            Some(&people.maker),
            Some(json!({ "kind": "publish-checkpoint" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, queued) = server
        .call(
            "POST",
            "/api/jobs",
            Some(&people.registrar),
            Some(json!({ "kind": "publish-checkpoint" })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = queued["id"].as_i64().unwrap();
    let (_, job) = server
        .call(
            "GET",
            &format!("/api/jobs/{id}"),
            Some(&people.assessor),
            None,
        )
        .await;
    assert_eq!(job["state"], "queued");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(iotlabel_server::work(
        server.state.registry.clone(),
        "test-worker".into(),
        async {
            let _ = stopped.await;
        },
    ));
    let mut state = String::new();
    for _ in 0..100 {
        let (_, job) = server
            .call(
                "GET",
                &format!("/api/jobs/{id}"),
                Some(&people.registrar),
                None,
            )
            .await;
        state = job["state"].as_str().unwrap().to_owned();
        if state == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    worker.await.unwrap();
    assert_eq!(state, "done");
    let (status, _) = server
        .call("GET", &format!("/api/jobs/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
