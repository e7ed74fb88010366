//! Issue 4 over HTTP: a job whose worker died on its last attempt shows as `failed` with the
//! reason in GET /api/jobs/{id} once the server's worker looks for work, on both backends.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::*;
use iotlabel_registry::Store;
use iotlabel_registry::jobs::{LEASE_SECONDS, MAX_ATTEMPTS};
use iotlabel_registry::test_support::TestDatabase;
use serde_json::json;

async fn abandoned_job_is_reported_failed(server: TestServer) {
    let people = server.people().await;
    let (status, queued) = server
        .call(
            "POST",
            "/api/jobs",
            Some(&people.registrar),
            Some(json!({ "kind": "reassess-open-applications" })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let id = queued["id"].as_i64().unwrap();

    // Every attempt is taken by a worker that is then killed: nobody completes or fails it.
    let registry = &server.state.registry;
    for attempt in 1..=MAX_ATTEMPTS {
        let now = registry.clock().now();
        let job = registry
            .store()
            .claim_job(&format!("killed-{attempt}"), now, LEASE_SECONDS)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.id, id);
        registry.clock().set(now + LEASE_SECONDS + 1);
    }
    let uri = format!("/api/jobs/{id}");
    let (_, job) = server.call("GET", &uri, Some(&people.assessor), None).await;
    assert_eq!(job["state"], "running");

    // The server's worker loop looks for work: the abandoned job fails, nothing is run.
    assert!(
        registry
            .run_next_job("server-worker")
            .await
            .unwrap()
            .is_none()
    );
    let (status, job) = server.call("GET", &uri, Some(&people.assessor), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["state"], "failed");
    assert_eq!(job["attempts"], MAX_ATTEMPTS);
    assert_eq!(job["locked_by"], "killed-5");
    let error = job["last_error"].as_str().unwrap();
    assert!(
        error.starts_with("the worker killed-5 stopped responding during the last of 5 attempts"),
        "{error}"
    );
    server.finish().await;
}

#[tokio::test]
async fn abandoned_job_is_reported_failed_on_sqlite() {
    abandoned_job_is_reported_failed(sqlite_server().await).await;
}

#[tokio::test]
async fn abandoned_job_is_reported_failed_on_postgres() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    abandoned_job_is_reported_failed(server_on(database).await).await;
}
