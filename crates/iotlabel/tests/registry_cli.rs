//! End-to-end tests of the commands that talk to a running registry (`iotlabel verify`,
//! `iotlabel apply`, `iotlabel log verify --registry`): a real server on a free loopback port
//! in this process, each test on its own temporary SQLite database, the binary run against it.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iotlabel_core::Date;
use iotlabel_core::document::DocumentFormat;
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::roles::Role;
use iotlabel_registry::service::unix_at;
use iotlabel_registry::store::{LabelState, OrganisationKind};
use iotlabel_registry::workflow::Action;
use iotlabel_registry::{Actor, Clock};
use iotlabel_server::{AppState, ServerConfig, app_state, router};

const WIFI_ROUTER: &str = include_str!("../../../examples/wifi-router.toml");

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A registry server on loopback, its clock (at 2026-03-10) and its people.
struct TestRegistry {
    url: String,
    state: AppState,
    clock: Clock,
    runtime: tokio::runtime::Runtime,
    maker: Actor,
    maker_token: String,
    lab: Actor,
    lab_id: i64,
    assessor: Actor,
    registrar: Actor,
    _data: tempfile::TempDir,
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn start_registry() -> TestRegistry {
    let data = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let url = format!("http://{address}");
    let config = ServerConfig {
        bind: address,
        database_url: format!(
            "sqlite://{}?mode=rwc",
            data.path().join("registry.sqlite").display()
        ),
        data_dir: data.path().to_path_buf(),
        public_url: url.clone(),
        password_cost: PasswordCost::Fast,
        ..ServerConfig::default()
    };
    let clock = Clock::manual(unix_at(date("2026-03-10")));
    let state = runtime.block_on(app_state(&config, clock.clone())).unwrap();
    let app = router(state.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });
    let registry = state.registry.clone();
    let (maker, maker_token, lab, lab_id, assessor, registrar) = runtime.block_on(async {
        let maker_org = registry
            .create_organisation("Example Networks Pte Ltd", OrganisationKind::Manufacturer)
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
            Actor::from_user(user)
        };
        let maker = make("maker@example.com", Role::Manufacturer, Some(maker_org.id)).await;
        let maker_token = registry.create_api_token(&maker, "cli", "*").await.unwrap();
        let lab = make("lab@example.com", Role::TestLab, Some(lab_org.id)).await;
        let assessor = make("assessor@example.com", Role::Assessor, None).await;
        let registrar = make("registrar@example.com", Role::Registrar, None).await;
        (maker, maker_token, lab, lab_org.id, assessor, registrar)
    });
    TestRegistry {
        url,
        state,
        clock,
        runtime,
        maker,
        maker_token,
        lab,
        lab_id,
        assessor,
        registrar,
        _data: data,
    }
}

impl TestRegistry {
    /// Takes the Wi-Fi router example through the workflow to an approved label; returns its
    /// registration id.
    fn approved_label(&self) -> String {
        let registry = &self.state.registry;
        self.runtime.block_on(async {
            let dossier = iotlabel_core::Dossier::parse(WIFI_ROUTER, DocumentFormat::Toml).unwrap();
            let application = registry
                .create_application(&self.maker, &dossier, Some(self.lab_id), None)
                .await
                .unwrap();
            for (actor, action) in [
                (&self.maker, Action::SendToLab),
                (&self.lab, Action::HandOff),
                (&self.assessor, Action::StartAssessment),
            ] {
                registry
                    .act(actor, application.id, action, None)
                    .await
                    .unwrap();
            }
            let (_, label) = registry
                .act(&self.assessor, application.id, Action::Approve, None)
                .await
                .unwrap();
            label.unwrap().registration_id
        })
    }

    fn credential(&self, registration_id: &str) -> serde_json::Value {
        self.runtime
            .block_on(self.state.registry.label_credential(registration_id))
            .unwrap()
    }

    fn key_multibase(&self) -> String {
        iotlabel_formats::credential::encode_public_key_multibase(
            &self.state.signing_key.verifying_key(),
        )
    }
}

fn iotlabel(args: &[&str], token: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_iotlabel"));
    command.args(args).env_remove("IOTLABEL_TOKEN");
    if let Some(token) = token {
        command.env("IOTLABEL_TOKEN", token);
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn explain(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn verify_checks_signature_offline_and_status_online() {
    let registry = start_registry();
    let id = registry.approved_label();
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("label.json");
    let text = serde_json::to_string_pretty(&registry.credential(&id)).unwrap();
    std::fs::write(&file, &text).unwrap();
    let file_arg = file.to_str().unwrap();
    let key = registry.key_multibase();

    // Offline with the key given.
    let offline = iotlabel(&["verify", file_arg, "--key", &key], None);
    assert_eq!(offline.status.code(), Some(0), "{}", explain(&offline));
    assert!(
        stdout(&offline).starts_with("valid: "),
        "{}",
        explain(&offline)
    );
    // The key from a file, and from the registry with the live status.
    let key_file = folder.path().join("registry.key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    let from_file = iotlabel(
        &["verify", file_arg, "--key", key_file.to_str().unwrap()],
        None,
    );
    assert_eq!(from_file.status.code(), Some(0), "{}", explain(&from_file));
    let online = iotlabel(&["verify", file_arg, "--registry", &registry.url], None);
    assert_eq!(online.status.code(), Some(0), "{}", explain(&online));
    // By label id, in both forms.
    let url_form = id.replace('/', "-");
    for label in [id.as_str(), url_form.as_str()] {
        let by_id = iotlabel(&["verify", label, "--registry", &registry.url], None);
        assert_eq!(by_id.status.code(), Some(0), "{}", explain(&by_id));
        assert!(stdout(&by_id).contains(&id), "{}", explain(&by_id));
    }

    // One changed byte in the signed product name: the signature no longer verifies.
    let name = "\"name\": \"";
    let at = text.find(name).unwrap() + name.len();
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'X' { b'Y' } else { b'X' };
    let tampered = folder.path().join("tampered.json");
    std::fs::write(&tampered, &bytes).unwrap();
    let bad = iotlabel(&["verify", tampered.to_str().unwrap(), "--key", &key], None);
    assert_eq!(bad.status.code(), Some(1), "{}", explain(&bad));
    assert!(
        stdout(&bad).contains("not valid: bad signature"),
        "{}",
        explain(&bad)
    );

    // Bad input: not JSON, not a label id, no key.
    let garbage = folder.path().join("garbage.json");
    std::fs::write(&garbage, b"{not json").unwrap();
    let not_json = iotlabel(&["verify", garbage.to_str().unwrap(), "--key", &key], None);
    assert_eq!(not_json.status.code(), Some(2), "{}", explain(&not_json));
    let not_an_id = iotlabel(
        &["verify", "../etc/passwd", "--registry", &registry.url],
        None,
    );
    assert_eq!(not_an_id.status.code(), Some(2), "{}", explain(&not_an_id));
    let no_key = iotlabel(&["verify", file_arg], None);
    assert_eq!(no_key.status.code(), Some(2), "{}", explain(&no_key));
}

#[test]
fn verify_reports_suspended_revoked_and_expired_labels() {
    let registry = start_registry();
    let suspended = registry.approved_label();
    let revoked = registry.approved_label();
    let expiring = registry.approved_label();
    registry.runtime.block_on(async {
        let service = &registry.state.registry;
        service
            .change_label(
                &registry.registrar,
                &suspended,
                LabelState::Suspended,
                Some("firmware 1.2.3 ships a default password"),
            )
            .await
            .unwrap();
        service
            .change_label(
                &registry.registrar,
                &revoked,
                LabelState::Revoked,
                Some("the manufacturer withdrew the product"),
            )
            .await
            .unwrap();
    });
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("suspended.json");
    std::fs::write(&file, registry.credential(&suspended).to_string()).unwrap();

    // The credential file still verifies offline; the live status says suspended, with why.
    let offline = iotlabel(
        &[
            "verify",
            file.to_str().unwrap(),
            "--key",
            &registry.key_multibase(),
        ],
        None,
    );
    assert_eq!(offline.status.code(), Some(0), "{}", explain(&offline));
    let online = iotlabel(
        &[
            "verify",
            file.to_str().unwrap(),
            "--registry",
            &registry.url,
        ],
        None,
    );
    assert_eq!(online.status.code(), Some(1), "{}", explain(&online));
    assert!(
        stdout(&online).contains("not valid: suspended: firmware 1.2.3 ships a default password"),
        "{}",
        explain(&online)
    );
    let by_id = iotlabel(&["verify", &revoked, "--registry", &registry.url], None);
    assert_eq!(by_id.status.code(), Some(1), "{}", explain(&by_id));
    assert!(
        stdout(&by_id).contains("not valid: revoked"),
        "{}",
        explain(&by_id)
    );

    // Past its validity by the registry's clock, the label is expired.
    let before = iotlabel(&["verify", &expiring, "--registry", &registry.url], None);
    assert_eq!(before.status.code(), Some(0), "{}", explain(&before));
    registry.clock.set(unix_at(date("2040-01-01")));
    let after = iotlabel(&["verify", &expiring, "--registry", &registry.url], None);
    assert_eq!(after.status.code(), Some(1), "{}", explain(&after));
    assert!(
        stdout(&after).contains("not valid: expired"),
        "{}",
        explain(&after)
    );
}

#[test]
fn apply_creates_the_application_uploads_evidence_and_submits() {
    let registry = start_registry();
    let dossier = examples().join("wifi-router.toml");
    let dossier = dossier.to_str().unwrap();
    let lab = registry.lab_id.to_string();

    // The token comes only from the environment.
    let no_token = iotlabel(&["apply", dossier, "--registry", &registry.url], None);
    assert_eq!(no_token.status.code(), Some(2), "{}", explain(&no_token));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("IOTLABEL_TOKEN"));

    let applied = iotlabel(
        &[
            "apply",
            dossier,
            "--registry",
            &registry.url,
            "--lab",
            &lab,
            "--submit",
        ],
        Some(&registry.maker_token),
    );
    assert_eq!(applied.status.code(), Some(0), "{}", explain(&applied));
    let out = stdout(&applied);
    assert!(out.contains("uploaded lab-review.md"), "{out}");
    assert!(out.contains("level attained: 2 (target 2)"), "{out}");
    assert!(out.contains("blocking: none"), "{out}");
    assert!(out.contains("is now lab-review"), "{out}");
    let id: i64 = out
        .lines()
        .find_map(|line| line.strip_prefix("application ")?.strip_suffix(" created"))
        .unwrap()
        .parse()
        .unwrap();

    // The registry holds the application, its evidence under the names the dossier now uses.
    let (record, evidence) = registry.runtime.block_on(async {
        let service = &registry.state.registry;
        (
            service.get_application(&registry.maker, id).await.unwrap(),
            service.evidence_of(&registry.maker, id).await.unwrap(),
        )
    });
    assert_eq!(record.state.as_str(), "lab-review");
    let names: Vec<&str> = evidence.iter().map(|e| e.file_name.as_str()).collect();
    for expected in [
        "declaration-of-conformity.md",
        "lab-review.md",
        "vulnerability-disclosure-policy.md",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }

    // A bad token is refused by the registry.
    let refused = iotlabel(
        &["apply", dossier, "--registry", &registry.url],
        Some("iotl_forged"),
    );
    assert_eq!(refused.status.code(), Some(2), "{}", explain(&refused));
}

#[test]
fn log_verify_checks_a_registry_over_http() {
    let registry = start_registry();
    registry.approved_label();
    let suspended = registry.approved_label();
    registry.runtime.block_on(async {
        registry
            .state
            .registry
            .change_label(
                &registry.registrar,
                &suspended,
                LabelState::Suspended,
                Some("under investigation"),
            )
            .await
            .unwrap();
    });
    let verified = iotlabel(&["log", "verify", "--registry", &registry.url], None);
    assert_eq!(verified.status.code(), Some(0), "{}", explain(&verified));
    let out = stdout(&verified);
    assert!(out.starts_with("log verified: "), "{out}");
    let entries: i64 = out
        .trim_start_matches("log verified: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(entries >= 3, "{out}");

    // An entry rewritten in the database no longer matches its leaf hash.
    registry.runtime.block_on(async {
        sqlx::query(
            "UPDATE log_entries SET entry = REPLACE(entry, 'under investigation', 'all fine')",
        )
        .execute(registry.state.registry.store().pool())
        .await
        .unwrap()
    });
    let tampered = iotlabel(&["log", "verify", "--registry", &registry.url], None);
    assert_eq!(tampered.status.code(), Some(2), "{}", explain(&tampered));
    assert!(
        String::from_utf8_lossy(&tampered.stderr).contains("leaf"),
        "{}",
        explain(&tampered)
    );

    // An unreachable registry is an error, not a verified log.
    let unreachable = iotlabel(&["log", "verify", "--registry", "http://127.0.0.1:1"], None);
    assert_eq!(
        unreachable.status.code(),
        Some(2),
        "{}",
        explain(&unreachable)
    );
}
