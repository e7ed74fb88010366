//! The role matrix: every role against every kind of operation, over HTTP, with the status
//! each must get. A manufacturer cannot read another's draft, a lab cannot approve, the public
//! sees only published data. Runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::*;
use iotlabel_registry::test_support::TestDatabase;
use serde_json::{Value, json};

const ROLES: [&str; 6] = [
    "maker",
    "other-maker",
    "lab",
    "assessor",
    "registrar",
    "public",
];

fn token<'a>(people: &'a People, role: &str) -> Option<&'a str> {
    match role {
        "maker" => Some(&people.maker),
        "other-maker" => Some(&people.other_maker),
        "lab" => Some(&people.lab),
        "assessor" => Some(&people.assessor),
        "registrar" => Some(&people.registrar),
        _ => None,
    }
}

/// What a cell of the matrix acts on, created fresh for state-changing rows.
#[derive(Clone, Copy, Debug)]
enum Target {
    None,
    Draft,
    LabReview,
    UnderAssessment,
    Label,
}

async fn make_target(server: &TestServer, people: &People, target: Target) -> String {
    match target {
        Target::None => String::new(),
        Target::Draft => draft(server, people).await.to_string(),
        Target::LabReview => {
            let id = draft(server, people).await;
            let (status, _) = server
                .call(
                    "POST",
                    &format!("/api/applications/{id}/actions/send-to-lab"),
                    Some(&people.maker),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            id.to_string()
        }
        Target::UnderAssessment => under_assessment(server, people).await.to_string(),
        Target::Label => {
            let id = under_assessment(server, people).await;
            let (status, body) = server
                .call(
                    "POST",
                    &format!("/api/applications/{id}/actions/approve"),
                    Some(&people.assessor),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["label"]["url_id"].as_str().unwrap().to_owned()
        }
    }
}

struct Row {
    what: &'static str,
    method: &'static str,
    /// `{}` is replaced by the target's id.
    uri: &'static str,
    target: Target,
    body: Option<Value>,
    /// Status per role, in [`ROLES`] order.
    expect: [u16; 6],
}

async fn role_matrix(server: TestServer) {
    let people = server.people().await;
    let rows = vec![
        Row {
            what: "read a draft",
            method: "GET",
            uri: "/api/applications/{}",
            target: Target::Draft,
            body: None,
            expect: [200, 404, 404, 404, 200, 401],
        },
        Row {
            what: "read a draft's audit trail",
            method: "GET",
            uri: "/api/applications/{}/events",
            target: Target::Draft,
            body: None,
            expect: [200, 404, 404, 404, 200, 401],
        },
        Row {
            what: "read an application under assessment",
            method: "GET",
            uri: "/api/applications/{}",
            target: Target::UnderAssessment,
            body: None,
            expect: [200, 404, 200, 200, 200, 401],
        },
        Row {
            what: "list applications",
            method: "GET",
            uri: "/api/applications",
            target: Target::None,
            body: None,
            expect: [200, 200, 200, 200, 200, 401],
        },
        Row {
            what: "look up a published label",
            method: "GET",
            uri: "/api/labels/{}",
            target: Target::Label,
            body: None,
            expect: [200, 200, 200, 200, 200, 200],
        },
        Row {
            what: "search labels",
            method: "GET",
            uri: "/api/labels?q=ax3000",
            target: Target::None,
            body: None,
            expect: [200, 200, 200, 200, 200, 200],
        },
        Row {
            what: "create an application",
            method: "POST",
            uri: "/api/applications",
            target: Target::None,
            body: Some(json!({ "dossier": dossier_json() })),
            expect: [201, 201, 403, 403, 403, 401],
        },
        Row {
            what: "edit a draft's dossier",
            method: "POST",
            uri: "/api/applications/{}/dossier",
            target: Target::Draft,
            body: Some(json!({ "dossier": dossier_json() })),
            expect: [200, 404, 403, 403, 403, 401],
        },
        Row {
            what: "upload evidence to a draft",
            method: "POST",
            uri: "/api/applications/{}/evidence?name=notes.md",
            target: Target::Draft,
            body: Some(json!({ "note": "evidence as JSON" })),
            expect: [201, 404, 404, 403, 201, 401],
        },
        Row {
            what: "hand off a lab review",
            method: "POST",
            uri: "/api/applications/{}/actions/hand-off",
            target: Target::LabReview,
            body: None,
            expect: [403, 404, 200, 404, 403, 401],
        },
        Row {
            what: "approve",
            method: "POST",
            uri: "/api/applications/{}/actions/approve",
            target: Target::UnderAssessment,
            body: None,
            expect: [403, 404, 403, 200, 200, 401],
        },
        Row {
            what: "suspend a label",
            method: "POST",
            uri: "/api/labels/{}/suspend",
            target: Target::Label,
            body: Some(json!({ "reason": "unresolved vulnerability" })),
            expect: [403, 403, 403, 200, 200, 401],
        },
        Row {
            what: "revoke a label",
            method: "POST",
            uri: "/api/labels/{}/revoke",
            target: Target::Label,
            body: Some(json!({ "reason": "fraud" })),
            expect: [403, 403, 403, 403, 200, 401],
        },
        Row {
            what: "create an account",
            method: "POST",
            uri: "/api/users",
            target: Target::None,
            body: None,
            expect: [403, 403, 403, 403, 201, 401],
        },
    ];
    let mut failures = Vec::new();
    let mut account = 0;
    for row in &rows {
        for (index, role) in ROLES.iter().enumerate() {
            let target = make_target(&server, &people, row.target).await;
            let uri = row.uri.replace("{}", &target);
            let body = if row.what == "create an account" {
                account += 1;
                Some(json!({
                    "email": format!("assessor{account}@registry.example"),
                    "display_name": "New assessor",
                    "role": "assessor",
                    "password": "a long password",
                }))
            } else {
                row.body.clone()
            };
            let (status, answer) = server
                .call(row.method, &uri, token(&people, role), body)
                .await;
            if status.as_u16() != row.expect[index] {
                failures.push(format!(
                    "{} as {role}: got {status}, expected {} ({answer})",
                    row.what, row.expect[index]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Row scope in lists: the other manufacturer sees none of the maker's applications; the
    // lab sees only those sent to it; the public nothing at all.
    let count = |body: &Value| body["applications"].as_array().map_or(0, Vec::len);
    let (_, mine) = server
        .call(
            "GET",
            "/api/applications?per_page=100",
            Some(&people.maker),
            None,
        )
        .await;
    let (_, theirs) = server
        .call(
            "GET",
            "/api/applications?per_page=100",
            Some(&people.other_maker),
            None,
        )
        .await;
    let (_, lab) = server
        .call(
            "GET",
            "/api/applications?per_page=100",
            Some(&people.lab),
            None,
        )
        .await;
    assert!(count(&mine) > 0);
    // The other manufacturer created exactly one application (its matrix cell).
    assert_eq!(count(&theirs), 1);
    assert!(
        lab["applications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["state"] != "draft")
    );
    assert!(count(&lab) < count(&mine));
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_matrix_on_sqlite() {
    role_matrix(sqlite_server().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_matrix_on_postgres() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    role_matrix(server_on(database).await).await;
}
