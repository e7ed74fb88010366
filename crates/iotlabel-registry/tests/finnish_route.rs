//! Acceptance test: a Finnish-label route application (`fi-traficom-to-cls`) decided after the
//! arrangement ended on 2025-07-31 is refused approval, with the engine's reason; the same
//! application decided while the arrangement was in effect is approved at level 3.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use iotlabel_core::document::DocumentFormat;
use iotlabel_core::{Catalog, Date, Dossier};
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::roles::Role;
use iotlabel_registry::service::unix_at;
use iotlabel_registry::store::OrganisationKind;
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::workflow::Action;
use iotlabel_registry::{
    Actor, Clock, LabelSigner, Registry, RegistryError, RegistrySettings, SqlStore,
};

const WIFI_ROUTER: &str = include_str!("../../../examples/wifi-router.toml");

/// The Wi-Fi router example moved to the Finnish route: target level 3 and a Traficom label.
fn finnish_route_dossier() -> Dossier {
    let dossier = Dossier::parse(WIFI_ROUTER, DocumentFormat::Toml).unwrap();
    let mut value = serde_json::to_value(dossier).unwrap();
    value["target"]["route"] = "fi-traficom-to-cls".into();
    value["target"]["level"] = 3.into();
    value["evidence"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "id": "traficom-label",
            "kind": "foreign-label",
            "title": "Finnish Cybersecurity Label certificate",
            "scheme": "fi-traficom",
            "level": "label",
            "label_id": "fi-traficom-0001",
            "issued_on": "2024-03-01",
        }));
    serde_json::from_value(value).unwrap()
}

async fn open(url: &str, today: &str) -> Registry<SqlStore> {
    let store = SqlStore::connect(url).await.unwrap();
    let catalog = Arc::new(Catalog::embedded().unwrap());
    let settings = RegistrySettings {
        password_cost: PasswordCost::Fast,
        ..RegistrySettings::default()
    };
    let today: Date = today.parse().unwrap();
    Registry::new(store, catalog, Clock::manual(unix_at(today)), settings).with_signer(
        LabelSigner {
            signing_key: ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
            base_url: "https://registry.example".into(),
        },
    )
}

/// Creates the Finnish-route application, takes it to assessment and asks for approval.
async fn decide_on(today: &str) -> (Result<(), RegistryError>, serde_json::Value) {
    let database = TestDatabase::sqlite();
    let registry = open(&database.url, today).await;
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
    let lab = make("lab@example.com", Role::TestLab, Some(lab_org.id)).await;
    let assessor = make("assessor@example.com", Role::Assessor, None).await;

    let application = registry
        .create_application(&maker, &finnish_route_dossier(), Some(lab_org.id), None)
        .await
        .unwrap();
    let assessment: serde_json::Value =
        serde_json::from_str(application.content.assessment_json.as_deref().unwrap()).unwrap();
    for (actor, action) in [
        (&maker, Action::SendToLab),
        (&lab, Action::HandOff),
        (&assessor, Action::StartAssessment),
    ] {
        registry
            .act(actor, application.id, action, None)
            .await
            .unwrap();
    }
    let decision = registry
        .act(&assessor, application.id, Action::Approve, None)
        .await
        .map(|_| ());
    (decision, assessment)
}

fn finnish_outcome(assessment: &serde_json::Value) -> &serde_json::Value {
    assessment["recognition"]
        .as_array()
        .unwrap()
        .iter()
        .find(|outcome| outcome["arrangement"] == "fi-traficom-to-cls")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finnish_route_application_after_2025_07_31_is_refused_with_the_reason() {
    let (decision, assessment) = decide_on("2026-03-10").await;
    let outcome = finnish_outcome(&assessment);
    assert_eq!(outcome["applies"], false, "{outcome}");
    let reason = outcome["reason"].as_str().unwrap();
    assert!(reason.contains("ended on 2025-07-31"), "{reason}");
    match decision {
        Err(RegistryError::LevelNotAttained {
            target,
            attained,
            blocking,
        }) => {
            assert_eq!(target, 3);
            assert!(attained < 3, "attained {attained}");
            let route = blocking
                .iter()
                .find(|item| item.item == "fi-traficom-to-cls")
                .unwrap_or_else(|| panic!("no blocking item for the route: {blocking:?}"));
            assert!(
                route.reason.contains("ended on 2025-07-31"),
                "{}",
                route.reason
            );
        }
        other => panic!("approval must be refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_application_while_the_arrangement_was_in_effect_is_approved() {
    let (decision, assessment) = decide_on("2025-07-30").await;
    assert_eq!(finnish_outcome(&assessment)["applies"], true);
    assert!(decision.is_ok(), "{decision:?}");
}
