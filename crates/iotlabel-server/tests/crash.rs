//! Crash safety: a real `serve` process is killed (SIGKILL) in the middle of a burst of writes
//! and started again on the same database. Every application and label the server had
//! acknowledged is still there, and the transparency log still verifies.
//!
//! The server process is this test binary itself, re-run with only the ignored
//! `crash_child` test selected and its configuration in the environment.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::roles::Role;
use iotlabel_registry::store::OrganisationKind;
use iotlabel_registry::workflow::Action;
use iotlabel_registry::{Actor, Clock};
use iotlabel_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DIR_VARIABLE: &str = "IOTLABEL_CRASH_CHILD_DIR";
const ADDRESS_VARIABLE: &str = "IOTLABEL_CRASH_CHILD_ADDRESS";

fn config(directory: &std::path::Path, address: SocketAddr) -> ServerConfig {
    ServerConfig {
        bind: address,
        database_url: format!(
            "sqlite://{}?mode=rwc",
            directory.join("iotlabel.sqlite").display()
        ),
        data_dir: directory.to_path_buf(),
        password_cost: PasswordCost::Fast,
        ..ServerConfig::default()
    }
}

/// The server process of [`server_killed_mid_burst_loses_nothing_acknowledged`].
#[tokio::test]
#[ignore = "the server process of the crash test, started by it"]
async fn crash_child() {
    let directory = std::env::var(DIR_VARIABLE).expect("run by the crash test");
    let address: SocketAddr = std::env::var(ADDRESS_VARIABLE).unwrap().parse().unwrap();
    iotlabel_server::serve(config(std::path::Path::new(&directory), address))
        .await
        .unwrap();
}

/// The server process; killed when dropped so a failing test leaves no server behind.
struct ServerProcess(Child);

impl ServerProcess {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start(directory: &std::path::Path, address: SocketAddr) -> ServerProcess {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--ignored", "--nocapture"])
        .env(DIR_VARIABLE, directory)
        .env(ADDRESS_VARIABLE, address.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    ServerProcess(child)
}

/// A minimal HTTP/1.1 exchange; `None` when the connection fails (the server is down).
async fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.get(9..12)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

async fn wait_until_up(address: SocketAddr) {
    for _ in 0..200 {
        if http(address, "GET", "/healthz", "", "").await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_burst_loses_nothing_acknowledged() {
    let directory = tempfile::tempdir().unwrap();
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = config(directory.path(), address);

    // People, tokens and 30 applications waiting for a decision, made before the server runs.
    let state = iotlabel_server::app_state(&config, Clock::System)
        .await
        .unwrap();
    let registry = &state.registry;
    let maker_org = registry
        .create_organisation("Example Networks Pte Ltd", OrganisationKind::Manufacturer)
        .await
        .unwrap();
    let lab_org = registry
        .create_organisation("Example Test Lab Pte Ltd", OrganisationKind::TestLab)
        .await
        .unwrap();
    let user = async |email: &str, role: Role, organisation: Option<i64>| {
        Actor::from_user(
            registry
                .create_user(email, email, role, organisation, "a long password")
                .await
                .unwrap(),
        )
    };
    let maker = user("maker@example.com", Role::Manufacturer, Some(maker_org.id)).await;
    let lab = user("lab@example.com", Role::TestLab, Some(lab_org.id)).await;
    let assessor = user("assessor@example.com", Role::Assessor, None).await;
    let maker_token = registry.create_api_token(&maker, "t", "*").await.unwrap();
    let assessor_token = registry
        .create_api_token(&assessor, "t", "*")
        .await
        .unwrap();
    let dossier = iotlabel_core::Dossier::parse(
        include_str!("../../../examples/wifi-router.toml"),
        iotlabel_core::document::DocumentFormat::Toml,
    )
    .unwrap();
    let mut waiting = Vec::new();
    for _ in 0..30 {
        let app = registry
            .create_application(&maker, &dossier, Some(lab_org.id), None)
            .await
            .unwrap();
        for (actor, action) in [
            (&maker, Action::SendToLab),
            (&lab, Action::HandOff),
            (&assessor, Action::StartAssessment),
        ] {
            registry.act(actor, app.id, action, None).await.unwrap();
        }
        waiting.push(app.id);
    }
    let signer = registry.signer().unwrap().clone();
    drop(state);

    let mut child = start(directory.path(), address);
    wait_until_up(address).await;
    let create_body = serde_json::json!({
        "dossier": dossier,
        "lab_organisation_id": lab_org.id,
    })
    .to_string();

    // The burst: creations and approvals in parallel; the server is killed part way.
    let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for (n, id) in waiting.iter().enumerate() {
        let counter = acknowledged.clone();
        let (maker_token, assessor_token, create_body) = (
            maker_token.clone(),
            assessor_token.clone(),
            create_body.clone(),
        );
        let id = *id;
        tasks.spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 * n as u64)).await;
            let created = http(
                address,
                "POST",
                "/api/applications",
                &maker_token,
                &create_body,
            )
            .await
            .filter(|(status, _)| *status == 201)
            .map(|(_, body)| {
                serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            });
            let approved = http(
                address,
                "POST",
                &format!("/api/applications/{id}/actions/approve"),
                &assessor_token,
                "",
            )
            .await
            .filter(|(status, _)| *status == 200)
            .map(|(_, body)| {
                serde_json::from_str::<serde_json::Value>(&body).unwrap()["label"]["url_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            });
            let count = usize::from(created.is_some()) + usize::from(approved.is_some());
            counter.fetch_add(count, std::sync::atomic::Ordering::SeqCst);
            (created, approved)
        });
    }
    // Kill once a third of the writes are acknowledged (the rest are queued or in flight).
    for _ in 0..4000 {
        if acknowledged.load(std::sync::atomic::Ordering::SeqCst) >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill();
    let mut created = Vec::new();
    let mut labels = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (application, label) = result.unwrap();
        created.extend(application);
        labels.extend(label);
    }
    println!(
        "acknowledged before the kill: {} applications, {} labels",
        created.len(),
        labels.len()
    );
    assert!(
        created.len() + labels.len() < 60,
        "the kill came after the burst: nothing was interrupted"
    );
    assert!(
        !labels.is_empty() || !created.is_empty(),
        "nothing was acknowledged: the test proved nothing"
    );

    // Restarted on the same files: everything acknowledged is there.
    let mut child = start(directory.path(), address);
    wait_until_up(address).await;
    for id in &created {
        let (status, _) = http(
            address,
            "GET",
            &format!("/api/applications/{id}"),
            &maker_token,
            "",
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "application {id} was acknowledged and lost");
    }
    for url_id in &labels {
        let (status, body) = http(address, "GET", &format!("/api/labels/{url_id}"), "", "")
            .await
            .unwrap();
        assert_eq!(status, 200, "label {url_id} was acknowledged and lost");
        assert!(body.contains("\"status\":\"valid\""));
    }
    child.kill();

    let state = iotlabel_server::app_state(&config, Clock::System)
        .await
        .unwrap();
    state.registry.checkpoint().await.unwrap();
    let verifier: iotlabel_log::NoteVerifier =
        iotlabel_registry::transparency::verifier_key(&signer)
            .unwrap()
            .parse()
            .unwrap();
    let verification = state.registry.verify_log(&verifier).await.unwrap();
    // 3 transitions per prepared application, one approval per issued label at least.
    assert!(verification.entries >= 90 + labels.len() as i64);
}
