//! The registry's test suite, written once generic over the [`Store`] and run against both
//! backends: SQLite (a temporary file) and PostgreSQL (a fresh schema per test; skipped with a
//! message when unreachable, failing under CI=true).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use iotlabel_core::document::DocumentFormat;
use iotlabel_core::{Catalog, Date, Dossier};
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::roles::Role;
use iotlabel_registry::service::{LabelSearch, unix_at};
use iotlabel_registry::store::{LabelState, OrganisationKind, PortalStore, Store, StoreError};
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::transparency;
use iotlabel_registry::workflow::{Action, State, TransitionError};
use iotlabel_registry::{
    Actor, Clock, LabelSigner, Registry, RegistryError, RegistrySettings, SqlStore,
};

const WIFI_ROUTER: &str = include_str!("../../../examples/wifi-router.toml");
const PSTI_HUB: &str = include_str!("../../../examples/uk-psti-hub.toml");

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn dossier(text: &str) -> Dossier {
    Dossier::parse(text, DocumentFormat::Toml).unwrap()
}

fn catalog() -> Arc<Catalog> {
    static CATALOG: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::embedded().unwrap_or_else(|e| panic!("{e}"))))
        .clone()
}

fn settings() -> RegistrySettings {
    RegistrySettings {
        max_evidence_bytes: 64 * 1024,
        password_cost: PasswordCost::Fast,
        ..RegistrySettings::default()
    }
}

/// The people of a test registry: two manufacturers, a lab, an assessor and a registrar.
struct World {
    maker: Actor,
    other_maker: Actor,
    lab: Actor,
    lab_id: i64,
    assessor: Actor,
    registrar: Actor,
}

async fn world<S: Store>(registry: &Registry<S>) -> World {
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
        Actor::from_user(user)
    };
    World {
        maker: make("maker@example.com", Role::Manufacturer, Some(maker_org.id)).await,
        other_maker: make("other@example.com", Role::Manufacturer, Some(other_org.id)).await,
        lab: make("lab@example.com", Role::TestLab, Some(lab_org.id)).await,
        lab_id: lab_org.id,
        assessor: make("assessor@example.com", Role::Assessor, None).await,
        registrar: make("registrar@example.com", Role::Registrar, None).await,
    }
}

/// Takes an application from draft to under-assessment.
async fn to_assessment<S: Store>(registry: &Registry<S>, w: &World, id: i64) {
    registry
        .act(&w.maker, id, Action::SendToLab, None)
        .await
        .unwrap();
    registry
        .act(&w.lab, id, Action::HandOff, None)
        .await
        .unwrap();
    registry
        .act(&w.assessor, id, Action::StartAssessment, None)
        .await
        .unwrap();
}

async fn accounts_sessions_and_tokens<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    assert!(
        registry
            .login("maker@example.com", "wrong password!")
            .await
            .unwrap()
            .is_none()
    );
    let session = registry
        .login("MAKER@example.com", "a long password")
        .await
        .unwrap()
        .unwrap();
    let (actor, csrf) = registry
        .session_actor(&session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(actor.user.as_ref().unwrap().email, "maker@example.com");
    assert_eq!(csrf, session.csrf_token);
    registry.logout(&session.token).await.unwrap();
    assert!(
        registry
            .session_actor(&session.token)
            .await
            .unwrap()
            .is_none()
    );

    // A token is limited to its scopes and never to more than its user's role.
    let token = registry
        .create_api_token(&w.maker, "ci", "upload-evidence revoke-labels")
        .await
        .unwrap();
    let token_actor = registry.token_actor(&token).await.unwrap().unwrap();
    assert_eq!(
        token_actor.scopes.as_deref(),
        Some(&[iotlabel_registry::roles::Permission::UploadEvidence][..])
    );
    let refused = registry
        .create_application(&token_actor, &dossier(WIFI_ROUTER), None, None)
        .await;
    assert!(
        matches!(refused, Err(RegistryError::Forbidden(_))),
        "{refused:?}"
    );
    assert!(registry.token_actor("iotl_forged").await.unwrap().is_none());

    // Duplicate e-mail; a manufacturer needs a manufacturer organisation.
    let duplicate = registry
        .create_user(
            "maker@example.com",
            "x",
            Role::Assessor,
            None,
            "a long password",
        )
        .await;
    assert!(matches!(
        duplicate,
        Err(RegistryError::Store(StoreError::Duplicate(_)))
    ));
    let orphan = registry
        .create_user(
            "new@example.com",
            "x",
            Role::Manufacturer,
            Some(w.lab_id),
            "a long password",
        )
        .await;
    assert!(matches!(orphan, Err(RegistryError::Invalid(_))));
}

async fn standard_level_2_is_approved_and_labelled<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(WIFI_ROUTER), Some(w.lab_id), None)
        .await
        .unwrap();
    assert_eq!(app.state, State::Draft);
    let assessment: serde_json::Value =
        serde_json::from_str(app.content.assessment_json.as_deref().unwrap()).unwrap();
    // The registry's clock, not the dossier's assessed_on (2026-03-02).
    assert_eq!(assessment["assessed_on"], "2026-03-10");
    assert_eq!(assessment["level_attained"], 2);

    to_assessment(&registry, &w, app.id).await;
    let (approved, label) = registry
        .act(&w.assessor, app.id, Action::Approve, None)
        .await
        .unwrap();
    assert_eq!(approved.state, State::Approved);
    let label = label.unwrap();
    assert_eq!(label.level, 2);
    assert_eq!(label.valid_from, "2026-03-10");
    // Support ends 2030-12-31, after issue + 3 years: the maximum validity limits it.
    assert_eq!(label.valid_until, "2029-03-10");
    assert_eq!(label.registration_id, "CSA/100329/000001");
    assert_eq!(label.url_id, "CSA-100329-000001");

    // The signed credential verifies with the registry key; one changed byte breaks it.
    let credential = registry.label_credential(&label.url_id).await.unwrap();
    let verified =
        iotlabel_formats::credential::verify(&credential, &signing_key().verifying_key()).unwrap();
    assert_eq!(verified.claims.registration_id, "CSA/100329/000001");
    assert_eq!(verified.claims.level, 2);
    assert_eq!(
        verified.claims.status_url,
        "https://registry.example/api/labels/CSA-100329-000001"
    );
    let tampered: serde_json::Value = serde_json::from_str(
        &serde_json::to_string(&credential)
            .unwrap()
            .replacen("EX-AX3000", "EX-AX3001", 1),
    )
    .unwrap();
    assert!(
        iotlabel_formats::credential::verify(&tampered, &signing_key().verifying_key()).is_err()
    );

    let public = registry.lookup_label("CSA-100329-000001").await.unwrap();
    assert_eq!(public.status, "valid");
    assert_eq!(public.product.model, "EX-AX3000");
    let page = registry
        .search_labels(&LabelSearch {
            q: Some("ax3000".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.labels[0].registration_id, label.registration_id);

    // Every transition is in the audit trail with its actor.
    let events = registry.events_of(&w.registrar, app.id).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "send-to-lab",
            "hand-off",
            "start-assessment",
            "approve"
        ]
    );
    assert_eq!(events[4].label_id, Some(label.id));
    assert_eq!(
        events[4].actor_user_id,
        w.assessor.user.as_ref().map(|u| u.id)
    );

    // Suspension shows in the lookup at once; the reason is required; revocation is final.
    let missing_reason = registry
        .change_label(
            &w.assessor,
            &label.registration_id,
            LabelState::Suspended,
            None,
        )
        .await;
    assert!(matches!(
        missing_reason,
        Err(RegistryError::Transition(
            TransitionError::ReasonRequired { .. }
        ))
    ));
    registry
        .change_label(
            &w.assessor,
            &label.registration_id,
            LabelState::Suspended,
            Some("unresolved CVE"),
        )
        .await
        .unwrap();
    let public = registry.lookup_label(&label.url_id).await.unwrap();
    assert_eq!(public.status, "suspended");
    assert_eq!(public.suspension_reason.as_deref(), Some("unresolved CVE"));
    let assessor_revokes = registry
        .change_label(
            &w.assessor,
            &label.registration_id,
            LabelState::Revoked,
            Some("x"),
        )
        .await;
    assert!(matches!(assessor_revokes, Err(RegistryError::Forbidden(_))));
    registry
        .change_label(
            &w.registrar,
            &label.registration_id,
            LabelState::Revoked,
            Some("fraud"),
        )
        .await
        .unwrap();
    let again = registry
        .change_label(
            &w.registrar,
            &label.registration_id,
            LabelState::Valid,
            None,
        )
        .await;
    assert!(matches!(again, Err(RegistryError::Transition(_))));

    // Decisions and label events are in the transparency log, under a signed checkpoint.
    let checkpoint = registry.checkpoint().await.unwrap();
    assert_eq!(
        checkpoint.size, 6,
        "4 transitions, a suspension, a revocation"
    );
    let signer = registry.signer().unwrap();
    let verifier: iotlabel_log::NoteVerifier =
        transparency::verifier_key(signer).unwrap().parse().unwrap();
    let opened = iotlabel_log::Checkpoint::open(
        checkpoint.note.as_bytes(),
        "registry.example/log",
        std::slice::from_ref(&verifier),
    )
    .unwrap();
    let proof = registry.inclusion_proof(3, 6).await.unwrap();
    let entries = registry.store().log_entries(0, 10).await.unwrap();
    assert!(
        entries[3]
            .entry
            .contains("\"registration_id\":\"CSA/100329/000001\"")
    );
    let hashes: Vec<iotlabel_log::Hash> = proof
        .proof
        .iter()
        .map(|h| hex::decode(h).unwrap().try_into().unwrap())
        .collect();
    iotlabel_log::verify_inclusion(
        &iotlabel_log::leaf_hash(entries[3].entry.as_bytes()),
        3,
        opened.size,
        &hashes,
        &opened.root_hash,
    )
    .unwrap();
    assert_eq!(registry.verify_log(&verifier).await.unwrap().entries, 6);
    // The same checkpoint is served until the log grows.
    assert_eq!(registry.checkpoint().await.unwrap(), checkpoint);
    // Expiry is derived from time.
    registry.clock().set(unix_at(date("2029-03-11")));
    let status = |s: &str| LabelSearch {
        status: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        registry
            .search_labels(&status("revoked"))
            .await
            .unwrap()
            .total,
        1
    );
}

async fn approval_above_the_attained_level_is_refused<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    let mut wanted = dossier(WIFI_ROUTER);
    wanted.target.level = 3;
    let app = registry
        .create_application(&w.maker, &wanted, Some(w.lab_id), None)
        .await
        .unwrap();
    to_assessment(&registry, &w, app.id).await;
    let refused = registry
        .act(&w.assessor, app.id, Action::Approve, None)
        .await;
    let Err(RegistryError::LevelNotAttained {
        target,
        attained,
        blocking,
    }) = refused
    else {
        panic!("{refused:?}");
    };
    assert_eq!((target, attained), (3, 2));
    assert!(!blocking.is_empty());
    assert!(blocking.iter().all(|item| item.level <= 3));
    let still = registry.get_application(&w.assessor, app.id).await.unwrap();
    assert_eq!(still.state, State::UnderAssessment);
    assert!(
        registry
            .store()
            .label_of_application(app.id)
            .await
            .unwrap()
            .is_none()
    );

    // The reject path needs a reason.
    let no_reason = registry
        .act(&w.assessor, app.id, Action::Reject, Some(" "))
        .await;
    assert!(matches!(
        no_reason,
        Err(RegistryError::Transition(
            TransitionError::ReasonRequired { .. }
        ))
    ));
    let (rejected, _) = registry
        .act(
            &w.assessor,
            app.id,
            Action::Reject,
            Some("level 3 needs binary analysis"),
        )
        .await
        .unwrap();
    assert_eq!(rejected.state, State::Rejected);
}

async fn psti_route_before_and_after_2026<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    // Before the arrangement is in effect the simplified route does not attain level 1.
    registry.clock().set(unix_at(date("2025-12-15")));
    let app = registry
        .create_application(&w.maker, &dossier(PSTI_HUB), Some(w.lab_id), None)
        .await
        .unwrap();
    let assessment: serde_json::Value =
        serde_json::from_str(app.content.assessment_json.as_deref().unwrap()).unwrap();
    assert_eq!(assessment["level_attained"], 0, "{assessment}");
    to_assessment(&registry, &w, app.id).await;
    assert!(matches!(
        registry
            .act(&w.assessor, app.id, Action::Approve, None)
            .await,
        Err(RegistryError::LevelNotAttained { .. })
    ));
    // After 2026-01-01 the same application is approved (re-assessed on the day).
    registry.clock().set(unix_at(date("2026-02-02")));
    let (_, label) = registry
        .act(&w.assessor, app.id, Action::Approve, None)
        .await
        .unwrap();
    let label = label.unwrap();
    assert_eq!(label.level, 1);
    assert_eq!(label.route, "uk-psti-to-cls-l1");
}

async fn illegal_transitions_and_concurrency<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(WIFI_ROUTER), None, None)
        .await
        .unwrap();
    let error = registry
        .act(&w.assessor, app.id, Action::Approve, None)
        .await
        .unwrap_err();
    // An assessor cannot even see a draft.
    assert!(matches!(error, RegistryError::NotFound), "{error:?}");
    let error = registry
        .act(&w.maker, app.id, Action::Resubmit, None)
        .await
        .unwrap_err();
    let RegistryError::Transition(TransitionError::NotAllowed { allowed, .. }) = error else {
        panic!("{error:?}");
    };
    assert_eq!(allowed, ["send-to-lab", "withdraw"]);
    // Sending to a lab needs a lab.
    assert!(matches!(
        registry
            .act(&w.maker, app.id, Action::SendToLab, None)
            .await,
        Err(RegistryError::Invalid(_))
    ));
    // A stale version is refused by the store.
    let content = app.content.clone();
    registry
        .update_dossier(&w.maker, app.id, &dossier(WIFI_ROUTER), Some(w.lab_id))
        .await
        .unwrap();
    let stale = registry
        .store()
        .update_application(
            app.id,
            app.version,
            &content,
            iotlabel_registry::store::NewEvent {
                action: "x".into(),
                actor_user_id: None,
                at: 0,
                reason: None,
            },
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict)));
    let (withdrawn, _) = registry
        .act(&w.maker, app.id, Action::Withdraw, None)
        .await
        .unwrap();
    assert_eq!(withdrawn.state, State::Withdrawn);
    assert!(
        registry
            .update_dossier(&w.maker, app.id, &dossier(WIFI_ROUTER), None)
            .await
            .is_err()
    );
    let _ = w.other_maker;
}

async fn evidence_is_content_addressed_and_checked<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(WIFI_ROUTER), Some(w.lab_id), None)
        .await
        .unwrap();
    let (_, first) = registry
        .upload_evidence(&w.maker, app.id, "doc.md", b"# Declaration\n\nSigned.")
        .await
        .unwrap();
    assert_eq!(first.media_type, "text/markdown; charset=utf-8");
    assert_eq!(first.sha256.len(), 64);
    // Same bytes under another name: stored once, listed twice.
    registry
        .upload_evidence(&w.maker, app.id, "copy.md", b"# Declaration\n\nSigned.")
        .await
        .unwrap();
    let listed = registry.evidence_of(&w.maker, app.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].sha256, listed[1].sha256);
    assert_eq!(
        registry
            .store()
            .evidence_bytes(&first.sha256)
            .await
            .unwrap()
            .unwrap(),
        b"# Declaration\n\nSigned."
    );
    // Too large, or an executable: refused and nothing stored.
    let big = vec![b'a'; 64 * 1024 + 1];
    assert!(matches!(
        registry
            .upload_evidence(&w.maker, app.id, "big.txt", &big)
            .await,
        Err(RegistryError::Evidence(
            iotlabel_registry::evidence::EvidenceError::TooLarge { .. }
        ))
    ));
    assert!(
        registry
            .upload_evidence(&w.maker, app.id, "x.bin", b"\x7fELF\x02\x01\x01\0\0\0")
            .await
            .is_err()
    );
    assert_eq!(
        registry.evidence_of(&w.maker, app.id).await.unwrap().len(),
        2
    );
    // The lab uploads only during its review; the other manufacturer never.
    assert!(matches!(
        registry
            .upload_evidence(&w.lab, app.id, "lab.md", b"review")
            .await,
        Err(RegistryError::NotFound)
    ));
    registry
        .act(&w.maker, app.id, Action::SendToLab, None)
        .await
        .unwrap();
    registry
        .upload_evidence(&w.lab, app.id, "lab.md", b"review")
        .await
        .unwrap();
    assert!(matches!(
        registry
            .upload_evidence(&w.other_maker, app.id, "x.md", b"x")
            .await,
        Err(RegistryError::NotFound)
    ));
    let uploads = registry
        .events_of(&w.maker, app.id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action.starts_with("upload-evidence"))
        .count();
    assert_eq!(uploads, 3);
}

async fn renewal_links_to_the_old_label<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(WIFI_ROUTER), Some(w.lab_id), None)
        .await
        .unwrap();
    to_assessment(&registry, &w, app.id).await;
    let (_, old) = registry
        .act(&w.assessor, app.id, Action::Approve, None)
        .await
        .unwrap();
    let old = old.unwrap();
    // Another organisation cannot renew it.
    assert!(
        registry
            .create_application(
                &w.other_maker,
                &dossier(WIFI_ROUTER),
                None,
                Some(&old.registration_id)
            )
            .await
            .is_err()
    );
    registry.clock().set(unix_at(date("2028-12-01")));
    let renewal = registry
        .create_application(
            &w.maker,
            &dossier(WIFI_ROUTER),
            Some(w.lab_id),
            Some(&old.url_id),
        )
        .await
        .unwrap();
    assert_eq!(renewal.renews_label_id, Some(old.id));
    to_assessment(&registry, &w, renewal.id).await;
    let (_, new) = registry
        .act(&w.assessor, renewal.id, Action::Approve, None)
        .await
        .unwrap();
    let new = new.unwrap();
    assert_eq!(new.renews_label_id, Some(old.id));
    assert_eq!(new.serial, old.serial + 1);
    // Support ends 2030-12-31, before issue + 3 years.
    assert_eq!(new.valid_until, "2030-12-31");
    // The old label expires by time alone.
    registry.clock().set(unix_at(date("2029-03-11")));
    assert_eq!(
        registry.lookup_label(&old.url_id).await.unwrap().status,
        "expired"
    );
    let expired = registry
        .search_labels(&LabelSearch {
            status: Some("expired".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(expired.total, 1);
    assert_eq!(expired.labels[0].registration_id, old.registration_id);
}

async fn jobs_are_claimed_once_and_retried<S: Store>(registry: Registry<S>) {
    let store = registry.store();
    let first = store.enqueue_job("reassess", "{}", 2, 100).await.unwrap();
    let second = store.enqueue_job("expire", "{}", 1, 100).await.unwrap();
    let a = store.claim_job("worker-a", 100, 30).await.unwrap().unwrap();
    let b = store.claim_job("worker-b", 100, 30).await.unwrap().unwrap();
    assert_eq!((a.id, b.id), (first, second));
    assert!(
        store
            .claim_job("worker-c", 100, 30)
            .await
            .unwrap()
            .is_none()
    );
    // worker-a dies: its lease expires and the job is claimed again.
    let again = store.claim_job("worker-c", 131, 30).await.unwrap().unwrap();
    assert_eq!(again.id, first);
    assert_eq!(again.attempts, 2);
    assert!(!store.complete_job(first, "worker-a", 132).await.unwrap());
    assert!(store.complete_job(first, "worker-c", 132).await.unwrap());
    assert_eq!(store.get_job(first).await.unwrap().unwrap().state, "done");
    // A failure with no attempts left is final.
    assert!(
        store
            .fail_job(second, "worker-b", "boom", 200, 101)
            .await
            .unwrap()
    );
    let failed = store.get_job(second).await.unwrap().unwrap();
    assert_eq!(failed.state, "failed");
    assert_eq!(failed.last_error.as_deref(), Some("boom"));
    assert!(
        store
            .claim_job("worker-d", 500, 30)
            .await
            .unwrap()
            .is_none()
    );
}

async fn search_filters_and_pages<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    for model in ["A-1", "B-2", "C-3"] {
        let mut d = dossier(WIFI_ROUTER);
        d.product.model = model.into();
        let app = registry
            .create_application(&w.maker, &d, Some(w.lab_id), None)
            .await
            .unwrap();
        to_assessment(&registry, &w, app.id).await;
        registry
            .act(&w.assessor, app.id, Action::Approve, None)
            .await
            .unwrap();
    }
    let search = |page: i64| LabelSearch {
        manufacturer: Some("example networks pte ltd".into()),
        category: Some("wifi-router".into()),
        level: Some(2),
        status: Some("valid".into()),
        page: Some(page),
        per_page: Some(2),
        ..Default::default()
    };
    let first = registry.search_labels(&search(1)).await.unwrap();
    let second = registry.search_labels(&search(2)).await.unwrap();
    assert_eq!((first.total, first.labels.len()), (3, 2));
    assert_eq!(second.labels.len(), 1);
    assert_eq!(second.labels[0].product.model, "C-3");
    let none = registry
        .search_labels(&LabelSearch {
            level: Some(4),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    // Wildcards in the text are literal, not patterns.
    let wildcard = registry
        .search_labels(&LabelSearch {
            q: Some("%".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        wildcard.total, 3,
        "an empty pattern after dropping wildcards"
    );
    assert!(
        registry
            .search_labels(&LabelSearch {
                status: Some("bogus".into()),
                ..Default::default()
            })
            .await
            .is_err()
    );
}

async fn jobs_run_through_the_registry<S: Store + PortalStore>(registry: Registry<S>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(WIFI_ROUTER), Some(w.lab_id), None)
        .await
        .unwrap();
    assert!(registry.enqueue_job("mine-bitcoin").await.is_err());
    let reassess = registry
        .enqueue_job(iotlabel_registry::jobs::REASSESS_OPEN_APPLICATIONS)
        .await
        .unwrap();
    // A day later the re-assessment carries the new date.
    registry.clock().set(unix_at(date("2026-03-11")));
    let run = registry.run_next_job("w1").await.unwrap().unwrap();
    assert!(run.succeeded, "{}", run.message);
    assert_eq!(run.job.id, reassess);
    assert_eq!(run.message, "1 applications re-assessed");
    let record = registry.get_application(&w.maker, app.id).await.unwrap();
    assert!(
        record
            .content
            .assessment_json
            .unwrap()
            .contains("\"assessed_on\":\"2026-03-11\"")
    );
    assert_eq!(
        registry
            .store()
            .get_job(reassess)
            .await
            .unwrap()
            .unwrap()
            .state,
        "done"
    );
    registry
        .enqueue_job(iotlabel_registry::jobs::PUBLISH_CHECKPOINT)
        .await
        .unwrap();
    let run = registry.run_next_job("w1").await.unwrap().unwrap();
    assert!(run.succeeded, "{}", run.message);
    assert!(registry.run_next_job("w1").await.unwrap().is_none());
}

async fn statistics_and_export_match_the_data<S: Store>(registry: Registry<S>) {
    let w = world(&registry).await;
    let mut approved = Vec::new();
    for (model, level) in [("A-1", 2), ("B,2", 2), ("C-3", 3)] {
        let mut d = dossier(WIFI_ROUTER);
        d.product.model = model.into();
        d.target.level = level;
        let app = registry
            .create_application(&w.maker, &d, Some(w.lab_id), None)
            .await
            .unwrap();
        to_assessment(&registry, &w, app.id).await;
        if level == 2 {
            let (_, label) = registry
                .act(&w.assessor, app.id, Action::Approve, None)
                .await
                .unwrap();
            approved.push(label.unwrap());
        } else {
            registry
                .act(&w.assessor, app.id, Action::Reject, Some("not level 3"))
                .await
                .unwrap();
        }
    }
    registry
        .change_label(
            &w.assessor,
            &approved[1].registration_id,
            LabelState::Suspended,
            Some("open CVE"),
        )
        .await
        .unwrap();
    let statistics = registry.statistics().await.unwrap();
    let received = &statistics.applications_received;
    assert_eq!(received.total, 3);
    assert_eq!(received.by_level.get("2"), Some(&2));
    assert_eq!(received.by_level.get("3"), Some(&1));
    assert_eq!(received.by_month.get("2026-03"), Some(&3));
    let awarded = &statistics.labels_awarded;
    assert_eq!(awarded.total, 2);
    assert_eq!(awarded.by_category.get("wifi-router"), Some(&2));
    assert_eq!(awarded.by_month.get("2026-03"), Some(&2));
    assert_eq!(statistics.labels_by_status.get("valid"), Some(&1));
    assert_eq!(statistics.labels_by_status.get("suspended"), Some(&1));

    let labels = registry.export_labels().await.unwrap();
    assert_eq!(labels.len(), 2);
    let csv = iotlabel_registry::published::labels_csv(&labels);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("registration_id,status,level"));
    assert_eq!(
        lines[1],
        format!(
            "{},valid,2,cls-iot,standard,2026-03-10,2029-03-10,Example Networks Pte Ltd,Example AX3000 Wi-Fi 6 Router,A-1,wifi-router",
            approved[0].registration_id
        )
    );
    assert!(lines[2].contains(",suspended,") && lines[2].contains(",\"B,2\","));
}

async fn the_demo_data_covers_every_category_and_level<S: Store>(registry: Registry<S>) {
    let summary = iotlabel_registry::demo::load_demo(&registry).await.unwrap();
    assert!(
        summary.not_approved.is_empty(),
        "{:#?}",
        summary.not_approved
    );
    let labels = registry.export_labels().await.unwrap();
    let in_scope = catalog()
        .categories
        .iter()
        .filter(|c| c.cls_in_scope)
        .count();
    assert_eq!(labels.len(), in_scope + 1);
    for level in 1..=4 {
        assert!(labels.iter().any(|l| l.level == level), "no level {level}");
    }
    for category in catalog().categories.iter().filter(|c| c.cls_in_scope) {
        assert!(labels.iter().any(|l| l.product.category == category.id));
    }
    assert!(labels.iter().any(|l| l.route == "uk-psti-to-cls-l1"));
    assert_eq!(labels.iter().filter(|l| l.status == "suspended").count(), 1);
    assert_eq!(labels.iter().filter(|l| l.status == "revoked").count(), 1);
    let session = registry
        .login(
            "registrar@demo.example",
            iotlabel_registry::demo::DEMO_PASSWORD,
        )
        .await
        .unwrap();
    assert!(session.is_some());
}

/// Two workers, each with its own connection pool (as on two machines), drain 200 jobs: each
/// is done exactly once. Then a worker dies holding a job and another takes it after the lease.
async fn two_workers_share_the_queue(url: &str) {
    let first = SqlStore::connect(url).await.unwrap();
    let second = SqlStore::connect(url).await.unwrap();
    for _ in 0..200 {
        first.enqueue_job("noop", "{}", 3, 1000).await.unwrap();
    }
    async fn drain(store: SqlStore, name: &'static str) -> Vec<i64> {
        let mut done = Vec::new();
        while let Some(job) = store.claim_job(name, 1000, 600).await.unwrap() {
            assert!(store.complete_job(job.id, name, 1000).await.unwrap());
            done.push(job.id);
            tokio::task::yield_now().await;
        }
        done
    }
    let a = tokio::spawn(drain(first, "worker-a"));
    let b = tokio::spawn(drain(second, "worker-b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut all: Vec<i64> = a.iter().chain(b.iter()).copied().collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a job was done twice");
    assert_eq!(all.len(), 200);
    println!("worker-a did {}, worker-b did {}", a.len(), b.len());

    let store = SqlStore::connect(url).await.unwrap();
    let id = store.enqueue_job("noop", "{}", 3, 2000).await.unwrap();
    let taken = store.claim_job("doomed", 2000, 60).await.unwrap().unwrap();
    assert_eq!(taken.id, id);
    // "doomed" is killed: nothing more from it. Within the lease nobody else gets the job.
    assert!(
        store
            .claim_job("rescuer", 2030, 60)
            .await
            .unwrap()
            .is_none()
    );
    let retried = store.claim_job("rescuer", 2061, 60).await.unwrap().unwrap();
    assert_eq!((retried.id, retried.attempts), (id, 2));
    assert!(store.complete_job(id, "rescuer", 2062).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_sqlite() {
    let database = TestDatabase::sqlite();
    two_workers_share_the_queue(&database.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    two_workers_share_the_queue(&database.url).await;
    database.cleanup().await;
}

/// Not generic: tampering goes around the store, straight to the table.
async fn log_tampering_is_detected(registry: Registry<SqlStore>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(WIFI_ROUTER), Some(w.lab_id), None)
        .await
        .unwrap();
    to_assessment(&registry, &w, app.id).await;
    registry
        .act(&w.assessor, app.id, Action::Reject, Some("fraud"))
        .await
        .unwrap();
    registry.checkpoint().await.unwrap();
    let verifier: iotlabel_log::NoteVerifier =
        transparency::verifier_key(registry.signer().unwrap())
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(registry.verify_log(&verifier).await.unwrap().entries, 4);
    sqlx::query(
        "UPDATE log_entries SET entry = REPLACE(entry, 'fraud', 'fraus') WHERE leaf_index = 3",
    )
    .execute(registry.store().pool())
    .await
    .unwrap();
    let tampered = registry.verify_log(&verifier).await;
    assert!(
        matches!(
            tampered,
            Err(RegistryError::Log(transparency::LogError::LeafMismatch {
                index: 3
            }))
        ),
        "{tampered:?}"
    );
    // Rewriting the leaf hash too is caught by the signed checkpoint.
    let forged = hex::encode(iotlabel_log::leaf_hash(
        registry.store().log_entries(3, 1).await.unwrap()[0]
            .entry
            .as_bytes(),
    ));
    sqlx::query(&format!(
        "UPDATE log_entries SET leaf_hash = '{forged}' WHERE leaf_index = 3"
    ))
    .execute(registry.store().pool())
    .await
    .unwrap();
    let tampered = registry.verify_log(&verifier).await;
    assert!(
        matches!(
            tampered,
            Err(RegistryError::Log(
                transparency::LogError::BadCheckpoint { .. }
            ))
        ),
        "{tampered:?}"
    );
}

async fn open(url: &str) -> Registry<SqlStore> {
    let store = SqlStore::connect(url).await.unwrap();
    Registry::new(
        store,
        catalog(),
        Clock::manual(unix_at(date("2026-03-10"))),
        settings(),
    )
    .with_signer(LabelSigner {
        signing_key: signing_key(),
        base_url: "https://registry.example".into(),
    })
}

fn signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7; 32])
}

/// Runs each named suite function on a fresh SQLite file and a fresh PostgreSQL schema.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let database = super::TestDatabase::sqlite();
                    super::$name(super::open(&database.url).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(database) = super::TestDatabase::postgres().await else { return };
                    super::$name(super::open(&database.url).await).await;
                    database.cleanup().await;
                }
            )*
        }
    };
}

on_both_backends!(
    accounts_sessions_and_tokens,
    standard_level_2_is_approved_and_labelled,
    approval_above_the_attained_level_is_refused,
    psti_route_before_and_after_2026,
    illegal_transitions_and_concurrency,
    evidence_is_content_addressed_and_checked,
    renewal_links_to_the_old_label,
    jobs_are_claimed_once_and_retried,
    search_filters_and_pages,
    log_tampering_is_detected,
    jobs_run_through_the_registry,
    statistics_and_export_match_the_data,
    the_demo_data_covers_every_category_and_level,
);

#[tokio::test]
async fn migrations_are_applied_once_and_reopening_keeps_data() {
    let database = TestDatabase::sqlite();
    let registry = open(&database.url).await;
    registry
        .create_organisation("Kept Ltd", OrganisationKind::Manufacturer)
        .await
        .unwrap();
    drop(registry);
    let reopened = open(&database.url).await;
    assert!(
        reopened
            .store()
            .find_organisation("Kept Ltd")
            .await
            .unwrap()
            .is_some()
    );
}
