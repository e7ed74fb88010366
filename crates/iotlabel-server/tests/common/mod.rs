//! Shared test fixtures: a server on a fresh database (in process), its people, and helpers to
//! send requests with `tower::ServiceExt::oneshot`.

#![allow(dead_code, clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use iotlabel_core::Date;
use iotlabel_core::document::DocumentFormat;
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::roles::Role;
use iotlabel_registry::service::unix_at;
use iotlabel_registry::store::OrganisationKind;
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::{Actor, Clock};
use iotlabel_server::{AppState, ServerConfig, app_state, router};
use serde_json::Value;
use tower::ServiceExt;

pub const WIFI_ROUTER: &str = include_str!("../../../../examples/wifi-router.toml");
pub const EVIDENCE_LIMIT: usize = 32 * 1024;

pub struct TestServer {
    pub state: AppState,
    pub router: Router,
    pub database: Option<TestDatabase>,
    _data: tempfile::TempDir,
}

/// People of the test registry with an all-scopes API token each.
pub struct People {
    pub maker: String,
    pub maker_actor: Actor,
    pub other_maker: String,
    pub lab: String,
    pub lab_id: i64,
    pub assessor: String,
    pub registrar: String,
}

pub async fn server_on(database: TestDatabase) -> TestServer {
    let data = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        database_url: database.url.clone(),
        data_dir: data.path().to_path_buf(),
        max_evidence_bytes: EVIDENCE_LIMIT,
        password_cost: PasswordCost::Fast,
        ..ServerConfig::default()
    };
    let date: Date = "2026-03-10".parse().unwrap();
    let state = app_state(&config, Clock::manual(unix_at(date)))
        .await
        .unwrap();
    TestServer {
        router: router(state.clone()),
        state,
        database: Some(database),
        _data: data,
    }
}

pub async fn sqlite_server() -> TestServer {
    server_on(TestDatabase::sqlite()).await
}

impl TestServer {
    pub async fn people(&self) -> People {
        let registry = &self.state.registry;
        let maker_org = registry
            .create_organisation("Example Networks Pte Ltd", OrganisationKind::Manufacturer)
            .await
            .unwrap();
        let other_org = registry
            .create_organisation("Other Devices Ltd", OrganisationKind::Manufacturer)
            .await
            .unwrap();
        let lab_org = registry
            .create_organisation("Example Test Lab Pte Ltd", OrganisationKind::TestLab)
            .await
            .unwrap();
        let make = async |email: &str, role: Role, organisation: Option<i64>| {
            let user = registry
                .create_user(email, email, role, organisation, "a long password")
                .await
                .unwrap();
            let actor = Actor::from_user(user);
            let token = registry
                .create_api_token(&actor, "test", "*")
                .await
                .unwrap();
            (token, actor)
        };
        let (maker, maker_actor) =
            make("maker@example.com", Role::Manufacturer, Some(maker_org.id)).await;
        People {
            maker,
            maker_actor,
            other_maker: make("other@example.com", Role::Manufacturer, Some(other_org.id))
                .await
                .0,
            lab: make("lab@example.com", Role::TestLab, Some(lab_org.id))
                .await
                .0,
            lab_id: lab_org.id,
            assessor: make("assessor@example.com", Role::Assessor, None).await.0,
            registrar: make("registrar@example.com", Role::Registrar, None).await.0,
        }
    }

    /// Sends a request; `token` None is the public. Returns the status and the JSON body
    /// (Null when the body is not JSON).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn finish(self) {
        if let Some(database) = self.database {
            database.cleanup().await;
        }
    }
}

pub fn dossier_json() -> Value {
    let dossier = iotlabel_core::Dossier::parse(WIFI_ROUTER, DocumentFormat::Toml).unwrap();
    serde_json::to_value(dossier).unwrap()
}

/// Creates an application as `maker` and moves it to under-assessment; returns its id.
pub async fn under_assessment(server: &TestServer, people: &People) -> i64 {
    let id = draft(server, people).await;
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
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    id
}

pub async fn draft(server: &TestServer, people: &People) -> i64 {
    let (status, body) = server
        .call(
            "POST",
            "/api/applications",
            Some(&people.maker),
            Some(serde_json::json!({
                "dossier": dossier_json(),
                "lab_organisation_id": people.lab_id,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}
