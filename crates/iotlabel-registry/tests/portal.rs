//! The portal's registry data (issue 5) on both backends: vulnerability reports (stored,
//! acknowledged with a reference, routed, overdue reports flagging their label), submission
//! snapshots and their diff, and the test lab's per-provision verdicts, each with a role
//! matrix. SQLite always; PostgreSQL at 127.0.0.1:5432 (skipped with a message when
//! unreachable, failing under CI=true).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use iotlabel_core::document::DocumentFormat;
use iotlabel_core::dossier::DeclarationStatus;
use iotlabel_core::{Catalog, Date, Dossier};
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::dossier_diff::DeclarationChange;
use iotlabel_registry::roles::Role;
use iotlabel_registry::service::unix_at;
use iotlabel_registry::store::{
    LabReviewVerdict, LabelRecord, LabelState, NewLabVerdict, OrganisationKind, PortalStore, Store,
    VulnerabilityReportStatus,
};
use iotlabel_registry::submissions::FileChange;
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::vulnerability_reports::{RESPONSE_DAYS, VulnerabilityReportForm};
use iotlabel_registry::workflow::{Action, State, TransitionError};
use iotlabel_registry::{Actor, Clock, Registry, RegistryError, RegistrySettings, SqlStore};

const WIFI_ROUTER: &str = include_str!("../../../examples/wifi-router.toml");
const DAY: i64 = 86_400;

fn catalog() -> Arc<Catalog> {
    static CATALOG: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::embedded().unwrap_or_else(|e| panic!("{e}"))))
        .clone()
}

fn dossier() -> Dossier {
    Dossier::parse(WIFI_ROUTER, DocumentFormat::Toml).unwrap()
}

fn start() -> i64 {
    unix_at("2026-03-10".parse::<Date>().unwrap())
}

async fn open(url: &str) -> Registry<SqlStore> {
    let store = SqlStore::connect(url).await.unwrap();
    Registry::new(
        store,
        catalog(),
        Clock::manual(start()),
        RegistrySettings {
            max_evidence_bytes: 64 * 1024,
            password_cost: PasswordCost::Fast,
            ..RegistrySettings::default()
        },
    )
}

/// Two manufacturers, two labs, an assessor, a registrar and the public.
struct World {
    maker: Actor,
    other_maker: Actor,
    lab: Actor,
    lab_id: i64,
    other_lab: Actor,
    assessor: Actor,
    registrar: Actor,
    public: Actor,
}

async fn world<S: Store>(registry: &Registry<S>) -> World {
    let org = async |name: &str, kind| registry.create_organisation(name, kind).await.unwrap().id;
    let maker_org = org("Example Networks Pte Ltd", OrganisationKind::Manufacturer).await;
    let other_org = org("Other Devices Ltd", OrganisationKind::Manufacturer).await;
    let lab_org = org("Example Test Lab Pte Ltd", OrganisationKind::TestLab).await;
    let other_lab_org = org("Other Lab GmbH", OrganisationKind::TestLab).await;
    let make = async |email: &str, role: Role, organisation: Option<i64>| {
        let user = registry
            .create_user(email, email, role, organisation, "a long password")
            .await
            .unwrap();
        Actor::from_user(user)
    };
    World {
        maker: make("maker@example.com", Role::Manufacturer, Some(maker_org)).await,
        other_maker: make("other@example.com", Role::Manufacturer, Some(other_org)).await,
        lab: make("lab@example.com", Role::TestLab, Some(lab_org)).await,
        lab_id: lab_org,
        other_lab: make("otherlab@example.com", Role::TestLab, Some(other_lab_org)).await,
        assessor: make("assessor@example.com", Role::Assessor, None).await,
        registrar: make("registrar@example.com", Role::Registrar, None).await,
        public: Actor::public(),
    }
}

/// An approved level-2 label for `maker`'s organisation.
async fn label_for<S: Store>(registry: &Registry<S>, w: &World, maker: &Actor) -> LabelRecord {
    let app = registry
        .create_application(maker, &dossier(), Some(w.lab_id), None)
        .await
        .unwrap();
    registry
        .act(maker, app.id, Action::SendToLab, None)
        .await
        .unwrap();
    registry
        .act(&w.lab, app.id, Action::HandOff, None)
        .await
        .unwrap();
    registry
        .act(&w.assessor, app.id, Action::StartAssessment, None)
        .await
        .unwrap();
    let (_, label) = registry
        .act(&w.assessor, app.id, Action::Approve, None)
        .await
        .unwrap();
    label.unwrap()
}

fn form(label: &str, summary: &str) -> VulnerabilityReportForm {
    VulnerabilityReportForm {
        label: label.into(),
        summary: summary.into(),
        details: "Steps:\n1. open http://router/cgi-bin/ping\n2. inject `; id`".into(),
        reporter_name: Some("A. Researcher".into()),
        reporter_email: Some("researcher@example.org".into()),
    }
}

fn is_reference(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 4
        && parts[0] == "VR"
        && parts[1] == "2026"
        && parts[2].len() == 6
        && parts[2].bytes().all(|c| c.is_ascii_digit())
        && parts[3].len() == 8
        && parts[3]
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

async fn vulnerability_reports_are_routed_and_flag_overdue_labels<S: Store + PortalStore>(
    registry: Registry<S>,
) {
    let w = world(&registry).await;
    let mine = label_for(&registry, &w, &w.maker).await;
    let theirs = label_for(&registry, &w, &w.other_maker).await;

    // Anyone reports, by the registration id or its URL form; the receipt names the deadline.
    let first = registry
        .submit_vulnerability_report(&form(&mine.url_id, "Command injection in ping page"))
        .await
        .unwrap();
    assert!(is_reference(&first.reference), "{}", first.reference);
    assert_eq!(first.label, mine.registration_id);
    assert_eq!(first.received_at, start());
    assert_eq!(first.respond_by, start() + RESPONSE_DAYS * DAY);
    let second = registry
        .submit_vulnerability_report(&VulnerabilityReportForm {
            reporter_name: None,
            reporter_email: Some("   ".into()),
            ..form(&mine.registration_id, "Telnet left open")
        })
        .await
        .unwrap();
    let third = registry
        .submit_vulnerability_report(&form(&theirs.registration_id, "Hard-coded key"))
        .await
        .unwrap();
    assert_ne!(
        first.reference[..14],
        second.reference[..14],
        "serials differ"
    );
    assert_ne!(
        first.reference[15..],
        second.reference[15..],
        "suffixes are random"
    );

    // Bad input: each error names the field and the fix; nothing is stored.
    let invalid = [
        (form(&mine.url_id, "   "), "summary is required"),
        (form(&mine.url_id, &"x".repeat(201)), "at most 200"),
        (form(&mine.url_id, "two\nlines"), "one line only"),
        (
            VulnerabilityReportForm {
                details: "x".repeat(20_001),
                ..form(&mine.url_id, "long")
            },
            "details is 20001 characters",
        ),
        (
            VulnerabilityReportForm {
                reporter_email: Some("not an address".into()),
                ..form(&mine.url_id, "bad e-mail")
            },
            "not an e-mail address",
        ),
        (form("CSA/100329/999999", "unknown label"), "no label"),
        (form("", "no label"), "label is required"),
        (form("not-a-label", "malformed"), ""),
    ];
    for (bad, expected) in invalid {
        match registry.submit_vulnerability_report(&bad).await {
            Err(RegistryError::Invalid(message)) => {
                assert!(message.contains(expected), "{message:?} lacks {expected:?}")
            }
            other => panic!("{:?}: {other:?}", bad.summary),
        }
    }

    // Routing: the label's manufacturer sees its own; assessors and registrars see all;
    // a lab is refused, the public must sign in, another manufacturer sees none of these.
    let seen = async |actor: &Actor| {
        registry
            .vulnerability_reports(actor, None, 1, 50)
            .await
            .map(|reports| {
                let mut references: Vec<String> =
                    reports.into_iter().map(|r| r.reference).collect();
                references.sort();
                references
            })
    };
    let mut mine_refs = vec![first.reference.clone(), second.reference.clone()];
    mine_refs.sort();
    let mut all_refs = [mine_refs.clone(), vec![third.reference.clone()]].concat();
    all_refs.sort();
    assert_eq!(seen(&w.maker).await.unwrap(), mine_refs);
    assert_eq!(
        seen(&w.other_maker).await.unwrap(),
        std::slice::from_ref(&third.reference)
    );
    assert_eq!(seen(&w.assessor).await.unwrap(), all_refs);
    assert_eq!(seen(&w.registrar).await.unwrap(), all_refs);
    assert!(matches!(
        seen(&w.lab).await,
        Err(RegistryError::Forbidden(_))
    ));
    assert!(matches!(
        seen(&w.public).await,
        Err(RegistryError::Unauthenticated)
    ));
    for (actor, expect_found) in [
        (&w.maker, true),
        (&w.assessor, true),
        (&w.registrar, true),
        (&w.other_maker, false),
    ] {
        let outcome = registry.vulnerability_report(actor, &first.reference).await;
        if expect_found {
            let detail = outcome.unwrap();
            assert_eq!(detail.report.summary, "Command injection in ping page");
            // The handlers see the reporter's contact; public pages never get these records.
            assert_eq!(
                detail.report.reporter_email.as_deref(),
                Some("researcher@example.org")
            );
            assert_eq!(detail.report.status, VulnerabilityReportStatus::Open);
            assert_eq!(detail.history.len(), 1);
            assert!(!detail.overdue);
        } else {
            assert!(
                matches!(outcome, Err(RegistryError::NotFound)),
                "{outcome:?}"
            );
        }
    }
    let blank = registry
        .vulnerability_report(&w.assessor, &second.reference)
        .await
        .unwrap();
    assert_eq!(blank.report.reporter_email, None, "a blank e-mail is none");
    assert!(matches!(
        registry
            .vulnerability_report(&w.lab, &first.reference)
            .await,
        Err(RegistryError::Forbidden(_))
    ));

    // Status: manufacturer or assessor; open → acknowledged → resolved, or rejected.
    use VulnerabilityReportStatus::*;
    let set = async |actor: &Actor, reference: &str, to, note: Option<&str>| {
        registry
            .set_vulnerability_report_status(actor, reference, to, note)
            .await
    };
    assert!(matches!(
        set(&w.lab, &first.reference, Acknowledged, None).await,
        Err(RegistryError::Forbidden(_))
    ));
    assert!(matches!(
        set(&w.public, &first.reference, Acknowledged, None).await,
        Err(RegistryError::Unauthenticated)
    ));
    assert!(matches!(
        set(&w.other_maker, &first.reference, Acknowledged, None).await,
        Err(RegistryError::NotFound)
    ));
    match set(&w.maker, &first.reference, Resolved, Some("fixed")).await {
        Err(RegistryError::Transition(TransitionError::NotAllowed { allowed, .. })) => {
            assert_eq!(allowed, ["acknowledged", "rejected"])
        }
        other => panic!("{other:?}"),
    }
    let acknowledged = set(&w.maker, &first.reference, Acknowledged, None)
        .await
        .unwrap();
    assert_eq!(acknowledged.status, Acknowledged);
    assert!(matches!(
        set(&w.maker, &first.reference, Resolved, Some("  ")).await,
        Err(RegistryError::Transition(
            TransitionError::ReasonRequired { .. }
        ))
    ));
    assert!(matches!(
        set(
            &w.maker,
            &first.reference,
            Resolved,
            Some(&"n".repeat(2_001))
        )
        .await,
        Err(RegistryError::Invalid(_))
    ));
    // The third report (another manufacturer's label) is rejected by an assessor.
    set(
        &w.assessor,
        &third.reference,
        Rejected,
        Some("not reproducible"),
    )
    .await
    .unwrap();
    assert!(matches!(
        set(&w.other_maker, &third.reference, Acknowledged, None).await,
        Err(RegistryError::Transition(_))
    ));
    let open_only = registry
        .vulnerability_reports(&w.registrar, Some(Open), 1, 50)
        .await
        .unwrap();
    assert_eq!(open_only.len(), 1);
    assert_eq!(open_only[0].reference, second.reference);

    // Nothing is overdue yet. 91 days on, the two unresolved reports flag their label; the
    // rejected one does not flag the other label.
    assert!(
        registry
            .labels_flagged_for_suspension(&w.assessor)
            .await
            .unwrap()
            .is_empty()
    );
    registry.clock().set(start() + (RESPONSE_DAYS + 1) * DAY);
    let flagged = registry
        .labels_flagged_for_suspension(&w.assessor)
        .await
        .unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].label.registration_id, mine.registration_id);
    let overdue: Vec<&str> = flagged[0]
        .overdue_reports
        .iter()
        .map(|r| r.reference.as_str())
        .collect();
    assert_eq!(
        overdue,
        [first.reference.as_str(), second.reference.as_str()]
    );
    assert!(
        registry
            .vulnerability_report(&w.maker, &second.reference)
            .await
            .unwrap()
            .overdue
    );
    // Only those who suspend labels get the list.
    assert_eq!(
        registry
            .labels_flagged_for_suspension(&w.registrar)
            .await
            .unwrap()
            .len(),
        1
    );
    for actor in [&w.maker, &w.lab] {
        assert!(matches!(
            registry.labels_flagged_for_suspension(actor).await,
            Err(RegistryError::Forbidden(_))
        ));
    }
    assert!(matches!(
        registry.labels_flagged_for_suspension(&w.public).await,
        Err(RegistryError::Unauthenticated)
    ));

    // Resolving one leaves the other flagging; suspending the label clears the flag.
    set(&w.maker, &first.reference, Resolved, Some("firmware 1.4.3"))
        .await
        .unwrap();
    let flagged = registry
        .labels_flagged_for_suspension(&w.assessor)
        .await
        .unwrap();
    assert_eq!(flagged[0].overdue_reports.len(), 1);
    let history = registry
        .vulnerability_report(&w.assessor, &first.reference)
        .await
        .unwrap()
        .history;
    let steps: Vec<(Option<VulnerabilityReportStatus>, VulnerabilityReportStatus)> = history
        .iter()
        .map(|event| (event.from_status, event.to_status))
        .collect();
    assert_eq!(
        steps,
        [
            (None, Open),
            (Some(Open), Acknowledged),
            (Some(Acknowledged), Resolved)
        ]
    );
    assert_eq!(history[2].note.as_deref(), Some("firmware 1.4.3"));
    assert_eq!(
        history[2].actor_user_id,
        w.maker.user.as_ref().map(|u| u.id)
    );
    registry
        .change_label(
            &w.assessor,
            &mine.registration_id,
            LabelState::Suspended,
            Some("unanswered vulnerability report"),
        )
        .await
        .unwrap();
    assert!(
        registry
            .labels_flagged_for_suspension(&w.assessor)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn submissions_are_snapshotted_and_diffed<S: Store + PortalStore>(registry: Registry<S>) {
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(), Some(w.lab_id), None)
        .await
        .unwrap();
    // A draft has no submissions; the assessors cannot see it at all yet.
    assert!(
        registry
            .submissions_of(&w.maker, app.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        registry.submissions_of(&w.assessor, app.id).await,
        Err(RegistryError::NotFound)
    ));
    registry
        .upload_evidence(&w.maker, app.id, "declaration.md", b"# Declaration\n")
        .await
        .unwrap();
    registry
        .act(&w.maker, app.id, Action::SendToLab, None)
        .await
        .unwrap();
    // Returned by the lab and sent again: not a submission to the assessors.
    registry
        .act(
            &w.lab,
            app.id,
            Action::ReturnToManufacturer,
            Some("sign it"),
        )
        .await
        .unwrap();
    registry
        .act(&w.maker, app.id, Action::SendToLab, None)
        .await
        .unwrap();
    registry
        .upload_evidence(&w.lab, app.id, "lab-review.md", b"# Review\n\nPass.")
        .await
        .unwrap();
    let (handed, _) = registry
        .act(&w.lab, app.id, Action::HandOff, None)
        .await
        .unwrap();
    registry
        .act(&w.assessor, app.id, Action::StartAssessment, None)
        .await
        .unwrap();
    registry
        .act(
            &w.assessor,
            app.id,
            Action::RequestChanges,
            Some("firmware 1.4.2 has a known CVE"),
        )
        .await
        .unwrap();

    // The manufacturer answers: new firmware, a changed declaration, a replaced file.
    let mut changed = dossier();
    changed.product.firmware_version = Some("1.4.3".into());
    let d = changed
        .declarations
        .iter_mut()
        .find(|d| d.provision.as_str() == "5.6-8")
        .unwrap();
    d.status = DeclarationStatus::Supported;
    d.rationale = None;
    d.detail = Some("memory hardening enabled in 1.4.3".into());
    changed
        .declarations
        .iter_mut()
        .find(|d| d.provision.as_str() == "5.1-1")
        .unwrap()
        .evidence
        .push("doc".into());
    registry
        .update_dossier(&w.maker, app.id, &changed, Some(w.lab_id))
        .await
        .unwrap();
    registry
        .upload_evidence(&w.maker, app.id, "declaration.md", b"# Declaration\n\nv2\n")
        .await
        .unwrap();
    let (resubmitted, _) = registry
        .act(&w.maker, app.id, Action::Resubmit, None)
        .await
        .unwrap();

    // Role matrix: everyone who may read the application reads its submissions.
    for actor in [&w.maker, &w.lab, &w.assessor, &w.registrar] {
        let submissions = registry.submissions_of(actor, app.id).await.unwrap();
        let numbers: Vec<(i64, &str)> = submissions
            .iter()
            .map(|s| (s.number, s.action.as_str()))
            .collect();
        assert_eq!(
            numbers,
            [(1, "hand-off"), (2, "resubmit")],
            "{:?}",
            actor.role
        );
    }
    for actor in [&w.other_maker, &w.other_lab] {
        assert!(matches!(
            registry.submissions_of(actor, app.id).await,
            Err(RegistryError::NotFound)
        ));
    }
    assert!(matches!(
        registry.submissions_of(&w.public, app.id).await,
        Err(RegistryError::Unauthenticated)
    ));
    // The query filters too: a wrong scope gets no rows even without the method's check.
    assert!(
        registry
            .store()
            .submissions(app.id, w.other_maker.row_scope())
            .await
            .unwrap()
            .is_empty()
    );

    let submissions = registry.submissions_of(&w.assessor, app.id).await.unwrap();
    let (one, two) = (&submissions[0], &submissions[1]);
    assert_eq!(one.application_version, handed.version);
    assert_eq!(two.application_version, resubmitted.version);
    assert_eq!(one.submitted_by, w.lab.user.as_ref().map(|u| u.id));
    assert_eq!(two.submitted_by, w.maker.user.as_ref().map(|u| u.id));
    assert!(one.assessment_json.is_some());
    let files: Vec<&str> = one.evidence.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(files, ["declaration.md", "lab-review.md"]);
    let first_dossier: Dossier = serde_json::from_str(&one.dossier_json).unwrap();
    assert_eq!(first_dossier, dossier());

    let diff = registry
        .submission_diff(&w.assessor, app.id, 1, 2)
        .await
        .unwrap();
    assert_eq!(diff.dossier.fields.len(), 1);
    assert_eq!(diff.dossier.fields[0].field, "product.firmware_version");
    assert_eq!(diff.dossier.fields[0].before.as_deref(), Some("1.4.2"));
    assert_eq!(diff.dossier.fields[0].after.as_deref(), Some("1.4.3"));
    let provisions: Vec<(String, &DeclarationChange)> = diff
        .dossier
        .provisions
        .iter()
        .map(|c| (c.provision.to_string(), &c.change))
        .collect();
    assert_eq!(provisions.len(), 4, "{provisions:?}");
    assert_eq!(
        provisions[0],
        (
            "5.1-1".to_owned(),
            &DeclarationChange::EvidenceAdded {
                evidence: "doc".into()
            }
        )
    );
    assert_eq!(
        provisions[1],
        (
            "5.6-8".to_owned(),
            &DeclarationChange::StatusChanged {
                before: DeclarationStatus::NotSupported,
                after: DeclarationStatus::Supported
            }
        )
    );
    assert!(matches!(
        provisions[2].1,
        DeclarationChange::DetailChanged { .. }
    ));
    assert!(matches!(
        provisions[3].1,
        DeclarationChange::RationaleChanged { after: None, .. }
    ));
    assert!(matches!(
        diff.files.as_slice(),
        [FileChange::Replaced { file_name, .. }] if file_name == "declaration.md"
    ));
    let same = registry
        .submission_diff(&w.maker, app.id, 2, 2)
        .await
        .unwrap();
    assert!(same.dossier.is_empty() && same.files.is_empty());
    match registry.submission_diff(&w.maker, app.id, 1, 3).await {
        Err(RegistryError::Invalid(message)) => assert!(message.contains("1 to 2"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        registry.submission_diff(&w.other_maker, app.id, 1, 2).await,
        Err(RegistryError::NotFound)
    ));
}

fn verdict(provision: &str, verdict: LabReviewVerdict, note: Option<&str>) -> NewLabVerdict {
    NewLabVerdict {
        provision: provision.into(),
        verdict,
        note: note.map(str::to_owned),
    }
}

async fn lab_verdicts_are_written_by_the_assigned_lab_only<S: Store + PortalStore>(
    registry: Registry<S>,
) {
    use LabReviewVerdict::*;
    let w = world(&registry).await;
    let app = registry
        .create_application(&w.maker, &dossier(), Some(w.lab_id), None)
        .await
        .unwrap();
    let batch = [
        verdict("5.1-1", Pass, None),
        verdict("5.10-1", NotApplicable, Some("no telemetry")),
        verdict("5.3-2", Fail, Some("update not signed")),
    ];
    // A draft is not the lab's yet.
    assert!(matches!(
        registry.record_lab_verdicts(&w.lab, app.id, &batch).await,
        Err(RegistryError::NotFound)
    ));
    registry
        .act(&w.maker, app.id, Action::SendToLab, None)
        .await
        .unwrap();

    // Write matrix: only the assigned lab.
    for actor in [&w.maker, &w.assessor, &w.registrar] {
        let outcome = registry.record_lab_verdicts(actor, app.id, &batch).await;
        assert!(
            matches!(outcome, Err(RegistryError::Forbidden(_))),
            "{:?}: {outcome:?}",
            actor.role
        );
    }
    assert!(matches!(
        registry
            .record_lab_verdicts(&w.other_lab, app.id, &batch)
            .await,
        Err(RegistryError::NotFound)
    ));
    assert!(matches!(
        registry
            .record_lab_verdicts(&w.public, app.id, &batch)
            .await,
        Err(RegistryError::Unauthenticated)
    ));
    // The store refuses another lab too, whatever the caller checked.
    assert!(
        registry
            .store()
            .record_lab_verdicts(
                app.id,
                w.other_lab.user.as_ref().unwrap().organisation_id.unwrap(),
                &batch,
                iotlabel_registry::store::NewEvent {
                    action: "record-lab-verdicts".into(),
                    actor_user_id: w.other_lab.user.as_ref().map(|u| u.id),
                    at: start(),
                    reason: None,
                },
            )
            .await
            .is_err()
    );

    // Bad input: a clear error, nothing stored.
    let invalid: [(Vec<NewLabVerdict>, &str); 6] = [
        (vec![], "no verdicts"),
        (vec![verdict("five", Pass, None)], "not a provision id"),
        (vec![verdict("5.99-1", Pass, None)], "is not in"),
        (
            vec![
                verdict("5.1-1", Pass, None),
                verdict("5.1-1", Fail, Some("x")),
            ],
            "two verdicts",
        ),
        (
            vec![verdict("5.1-2", Inconclusive, Some(" "))],
            "needs a note",
        ),
        (
            vec![verdict("5.1-2", Pass, Some(&"n".repeat(2_001)))],
            "at most 2000",
        ),
    ];
    for (verdicts, expected) in invalid {
        match registry
            .record_lab_verdicts(&w.lab, app.id, &verdicts)
            .await
        {
            Err(RegistryError::Invalid(message)) => {
                assert!(message.contains(expected), "{message:?} lacks {expected:?}")
            }
            other => panic!("{verdicts:?}: {other:?}"),
        }
    }
    assert!(
        registry
            .lab_verdicts_of(&w.lab, app.id)
            .await
            .unwrap()
            .is_empty()
    );

    let recorded = registry
        .record_lab_verdicts(&w.lab, app.id, &batch)
        .await
        .unwrap();
    let order: Vec<&str> = recorded.iter().map(|v| v.provision.as_str()).collect();
    assert_eq!(order, ["5.1-1", "5.3-2", "5.10-1"], "natural order");
    // Recording again replaces the verdict on that provision only.
    let recorded = registry
        .record_lab_verdicts(
            &w.lab,
            app.id,
            &[verdict(
                " 5.1-1 ",
                Inconclusive,
                Some("needs a second unit"),
            )],
        )
        .await
        .unwrap();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].verdict, Inconclusive);
    assert_eq!(recorded[0].note.as_deref(), Some("needs a second unit"));
    assert_eq!(recorded[0].recorded_by, w.lab.user.as_ref().unwrap().id);
    assert_eq!(recorded[1].verdict, Fail);
    // The lab's reports go in as evidence during its review.
    registry
        .upload_evidence(&w.lab, app.id, "pentest.md", b"# Penetration test\n")
        .await
        .unwrap();

    // Read matrix during lab review: the manufacturer, the lab and registrars; assessors see
    // the application (and its verdicts) once it is submitted.
    for actor in [&w.maker, &w.lab, &w.registrar] {
        assert_eq!(
            registry.lab_verdicts_of(actor, app.id).await.unwrap().len(),
            3,
            "{:?}",
            actor.role
        );
    }
    for actor in [&w.assessor, &w.other_maker, &w.other_lab] {
        assert!(matches!(
            registry.lab_verdicts_of(actor, app.id).await,
            Err(RegistryError::NotFound)
        ));
    }
    assert!(matches!(
        registry.lab_verdicts_of(&w.public, app.id).await,
        Err(RegistryError::Unauthenticated)
    ));
    assert!(
        registry
            .store()
            .lab_verdicts(app.id, w.other_maker.row_scope())
            .await
            .unwrap()
            .is_empty(),
        "the query filters by scope"
    );

    registry
        .act(&w.lab, app.id, Action::HandOff, None)
        .await
        .unwrap();
    assert_eq!(
        registry
            .lab_verdicts_of(&w.assessor, app.id)
            .await
            .unwrap()
            .len(),
        3
    );
    // After the hand-off the lab can no longer change its verdicts.
    assert!(matches!(
        registry.record_lab_verdicts(&w.lab, app.id, &batch).await,
        Err(RegistryError::Forbidden(_))
    ));
    let app_now = registry.get_application(&w.assessor, app.id).await.unwrap();
    assert_eq!(app_now.state, State::Submitted);
    let events = registry.events_of(&w.registrar, app.id).await.unwrap();
    let recorded: Vec<&str> = events
        .iter()
        .filter(|e| e.action == "record-lab-verdicts")
        .filter_map(|e| e.reason.as_deref())
        .collect();
    assert_eq!(
        recorded,
        [
            "5.1-1 pass, 5.10-1 not-applicable, 5.3-2 fail",
            "5.1-1 inconclusive"
        ]
    );
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
    vulnerability_reports_are_routed_and_flag_overdue_labels,
    submissions_are_snapshotted_and_diffed,
    lab_verdicts_are_written_by_the_assigned_lab_only,
);
