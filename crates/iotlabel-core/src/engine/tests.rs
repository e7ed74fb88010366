//! Scenario tests of the engine: one table row per rule of the scheme, PSTI, recognition and
//! market data, each asserting the outcome that would change if the rule broke.

use std::sync::OnceLock;

use super::*;
use crate::assessment::Verdict;
use crate::dossier::{
    Declaration, DeclarationStatus, EvidenceItem, HeldLabelStatus, Ics, LabReportKind, LabVerdict,
    LabelLevel, Product, TargetLabel,
};
use crate::ids::Edition;
use crate::report::{
    CheckOutcome, CheckRun, Confidence, FirmwareLocation, Location, Severity, Target, Tool,
};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().unwrap_or_else(|errors| panic!("{errors}")))
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn item(id: &str, kind: EvidenceKind) -> EvidenceItem {
    EvidenceItem {
        id: id.into(),
        kind,
        file: Some(format!("{id}.pdf")),
        title: None,
        lab: None,
        report: None,
        verdict: None,
        issued_on: None,
        provisions: Default::default(),
        scheme: None,
        level: None,
        label_id: None,
        valid_until: None,
        status: None,
    }
}

fn lab_report(id: &str, report: LabReportKind, verdict: LabVerdict) -> EvidenceItem {
    EvidenceItem {
        lab: Some("Example Test Lab Pte Ltd".into()),
        report: Some(report),
        verdict: Some(verdict),
        issued_on: Some(date("2025-01-15")),
        ..item(id, EvidenceKind::LabReport)
    }
}

fn foreign_label(scheme: &str, level: &str) -> EvidenceItem {
    EvidenceItem {
        scheme: Some(scheme.into()),
        level: Some(LabelLevel::Name(level.into())),
        label_id: Some(format!("{scheme}-0001")),
        issued_on: Some(date("2024-03-01")),
        file: None,
        title: Some("partner label certificate".into()),
        ..item("partner-label", EvidenceKind::ForeignLabel)
    }
}

fn cls_label(level: u8, valid_until: &str, status: HeldLabelStatus) -> EvidenceItem {
    EvidenceItem {
        level: Some(LabelLevel::Number(level)),
        label_id: Some("CSA/300627/000042".into()),
        valid_until: Some(date(valid_until)),
        status: Some(status),
        file: None,
        ..item("cls-label", EvidenceKind::ClsLabel)
    }
}

/// A Wi-Fi router dossier with the ICS of the category, no declarations, a Declaration of
/// Conformity and a passing lab review.
fn dossier(category: &str, level: u8) -> Dossier {
    let defaults = catalog().category(category).unwrap();
    Dossier {
        schema_version: crate::SCHEMA_VERSION,
        assessed_on: None,
        standard_edition: Edition::V3_1_3,
        product: Product {
            manufacturer: "Example Networks Pte Ltd".into(),
            name: "Example AX3000".into(),
            model: "EX-AX3000".into(),
            category: category.into(),
            hardware_version: Some("1.0".into()),
            firmware_version: Some("1.2.3".into()),
            support_period_end: Some(date("2030-12-31")),
            vulnerability_disclosure_url: Some("https://example.com/security".into()),
            market_introduction: None,
        },
        target: TargetLabel {
            scheme: "cls-iot".into(),
            level,
            route: "standard".into(),
        },
        ics: Some(Ics {
            conditions: defaults.ics_conditions.clone(),
            features: defaults.ics_features.clone(),
        }),
        declarations: Vec::new(),
        evidence: vec![
            item("doc", EvidenceKind::DeclarationOfConformity),
            lab_report(
                "lab-review",
                LabReportKind::ConformityReview,
                LabVerdict::Pass,
            ),
        ],
        psti_statement: None,
    }
}

/// Declares supported every provision of the canonical edition that `select` picks.
fn declare_supported(dossier: &mut Dossier, select: impl Fn(&crate::catalog::Provision) -> bool) {
    let standard = catalog().canonical_standard().unwrap();
    for provision in standard.provisions.iter().filter(|p| select(p)) {
        dossier.declarations.retain(|d| d.provision != provision.id);
        dossier.declarations.push(Declaration {
            provision: provision.id.clone(),
            status: DeclarationStatus::Supported,
            detail: None,
            rationale: None,
            evidence: Vec::new(),
        });
    }
}

fn level_one_set(provision: &crate::catalog::Provision) -> bool {
    provision.status.is_mandatory() && ["5.1", "5.2", "5.3"].contains(&provision.clause.as_str())
}

fn everything(_: &crate::catalog::Provision) -> bool {
    true
}

fn set_declaration(
    dossier: &mut Dossier,
    id: &str,
    status: DeclarationStatus,
    rationale: Option<&str>,
) {
    let provision: ProvisionId = id.parse().unwrap();
    dossier.declarations.retain(|d| d.provision != provision);
    dossier.declarations.push(Declaration {
        provision,
        status,
        detail: None,
        rationale: rationale.map(str::to_owned),
        evidence: Vec::new(),
    });
}

fn run(dossier: &Dossier, on: &str) -> Assessment {
    run_with(dossier, on, &[])
}

fn run_with(dossier: &Dossier, on: &str, reports: &[AttachedReport]) -> Assessment {
    assess(
        catalog(),
        EngineInput {
            dossier,
            reports,
            on: date(on),
        },
    )
    .unwrap_or_else(|error| panic!("{error:?}"))
}

fn verdict(assessment: &Assessment, id: &str) -> Verdict {
    assessment
        .provisions
        .iter()
        .find(|p| p.id.as_str() == id)
        .unwrap()
        .verdict
}

fn reasons(assessment: &Assessment, id: &str) -> String {
    assessment
        .provisions
        .iter()
        .find(|p| p.id.as_str() == id)
        .unwrap()
        .reasons
        .join(" | ")
}

fn scan_report_with_default_password() -> AttachedReport {
    let location = Location::Firmware(FirmwareLocation {
        containers: vec!["router.bin".into(), "rootfs.squashfs".into()],
        path: "etc/shadow".into(),
    });
    let provisions: Vec<ProvisionId> = vec!["5.1-1".parse().unwrap()];
    AttachedReport {
        evidence_id: "firmware-scan".into(),
        file: "scan.json".into(),
        report: Report {
            schema_version: crate::SCHEMA_VERSION,
            tool: Tool {
                name: "iotlabel".into(),
                version: "test".into(),
            },
            target: Target::Firmware {
                name: "router.bin".into(),
                size: 1,
                sha256: "00".repeat(32),
            },
            started: time::macros::datetime!(2026-01-01 0:00 UTC),
            finished: time::macros::datetime!(2026-01-01 0:00 UTC),
            findings: vec![Finding {
                check: "credentials.default-password".into(),
                provisions: provisions.clone(),
                severity: Severity::Critical,
                confidence: Confidence::Confirmed,
                fingerprint: Finding::fingerprint_for(
                    "credentials.default-password",
                    &location,
                    &["root"],
                ),
                location,
                message: "Account root has the default password 'admin' (routersploit list)."
                    .into(),
                evidence: Default::default(),
            }],
            checks: vec![CheckRun {
                check: "credentials.default-password".into(),
                provisions,
                outcome: CheckOutcome::Findings,
                coverage: Some("2 accounts".into()),
                reason: None,
            }],
            diagnostics: Vec::new(),
            components: Vec::new(),
            unpacked: None,
            stats: None,
        },
    }
}

#[test]
fn level_one_set_only_gives_level_one_and_the_level_two_blockers() {
    let mut d = dossier("wifi-router", 2);
    declare_supported(&mut d, level_one_set);
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 1);
    assert!(!a.blocking.is_empty());
    assert!(a.blocking.iter().all(|b| b.level == 2), "{:?}", a.blocking);
    let items: Vec<&str> = a.blocking.iter().map(|b| b.item.as_str()).collect();
    for expected in ["5.4-3", "5.5-1", "5.6-2", "5.13-1A", "6-1"] {
        assert!(
            items.contains(&expected),
            "{expected} should block level 2: {items:?}"
        );
    }
    assert!(!items.contains(&"5.1-1"));
    // A recommendation never blocks a level.
    assert!(!items.contains(&"5.2-2"));
}

#[test]
fn every_applicable_mandatory_provision_gives_level_two() {
    let mut d = dossier("wifi-router", 2);
    declare_supported(&mut d, everything);
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 2, "{:?}", a.blocking);
    // Provisions gated on absent features are not applicable without any rationale.
    assert_eq!(verdict(&a, "5.4-2"), Verdict::NotApplicable);
    assert!(reasons(&a, "5.4-2").contains("feature l"));
    assert_eq!(verdict(&a, "5.0-1"), Verdict::Pass);
}

#[test]
fn a_declaration_contradicted_by_a_finding_fails_and_names_it() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    d.evidence.push(EvidenceItem {
        file: Some("scan.json".into()),
        ..item("firmware-scan", EvidenceKind::ScanReport)
    });
    let a = run_with(&d, "2026-03-01", &[scan_report_with_default_password()]);
    assert_eq!(verdict(&a, "5.1-1"), Verdict::Fail);
    let why = reasons(&a, "5.1-1");
    assert!(why.contains("declared supported, but"), "{why}");
    assert!(
        why.contains("default password 'admin'") && why.contains("credentials.default-password"),
        "{why}"
    );
    assert!(why.contains("etc/shadow"), "{why}");
    assert_eq!(a.level_attained, 0);
    assert!(a.blocking.iter().any(|b| b.level == 1 && b.item == "5.1-1"));
    let evidence = &a
        .provisions
        .iter()
        .find(|p| p.id.as_str() == "5.1-1")
        .unwrap()
        .evidence;
    assert!(evidence.iter().any(|e| matches!(e, crate::assessment::EvidenceRef::Finding { check, .. } if check == "credentials.default-password")));
}

#[test]
fn informational_findings_do_not_contradict() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    let mut report = scan_report_with_default_password();
    report.report.findings[0].severity = Severity::Info;
    let a = run_with(&d, "2026-03-01", &[report]);
    assert_eq!(verdict(&a, "5.1-1"), Verdict::Pass);
    assert_eq!(a.level_attained, 1);
}

#[test]
fn possible_findings_make_a_supported_declaration_inconclusive() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    let mut report = scan_report_with_default_password();
    report.report.findings[0].confidence = Confidence::Possible;
    let a = run_with(&d, "2026-03-01", &[report]);
    assert_eq!(verdict(&a, "5.1-1"), Verdict::Inconclusive);
}

#[test]
fn not_applicable_without_rationale_is_inconclusive_and_with_one_is_accepted() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    set_declaration(&mut d, "5.3-8", DeclarationStatus::NotApplicable, None);
    let a = run(&d, "2026-03-01");
    assert_eq!(verdict(&a, "5.3-8"), Verdict::Inconclusive);
    assert!(reasons(&a, "5.3-8").contains("without a rationale"));
    assert_eq!(a.level_attained, 0);

    set_declaration(
        &mut d,
        "5.3-8",
        DeclarationStatus::NotApplicable,
        Some("updates are shipped only with replacement hardware"),
    );
    let a = run(&d, "2026-03-01");
    assert_eq!(verdict(&a, "5.3-8"), Verdict::NotApplicable);
    assert_eq!(a.level_attained, 1);
}

#[test]
fn not_supported_mandatory_fails() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    set_declaration(
        &mut d,
        "5.2-1",
        DeclarationStatus::NotSupported,
        Some("no policy yet"),
    );
    let a = run(&d, "2026-03-01");
    assert_eq!(verdict(&a, "5.2-1"), Verdict::Fail);
    assert_eq!(a.level_attained, 0);
}

#[test]
fn unjustified_recommendations_fail_5_0_1() {
    let mut d = dossier("wifi-router", 2);
    declare_supported(&mut d, everything);
    set_declaration(&mut d, "5.6-5", DeclarationStatus::NotSupported, None);
    let a = run(&d, "2026-03-01");
    assert_eq!(verdict(&a, "5.0-1"), Verdict::Fail);
    assert!(reasons(&a, "5.0-1").contains("5.6-5"));
    assert_eq!(a.level_attained, 1);
    set_declaration(
        &mut d,
        "5.6-5",
        DeclarationStatus::NotSupported,
        Some("the UPnP service is needed for game consoles"),
    );
    let a = run(&d, "2026-03-01");
    assert_eq!(verdict(&a, "5.0-1"), Verdict::Pass);
    assert_eq!(verdict(&a, "5.6-5"), Verdict::Fail);
    assert_eq!(a.level_attained, 2);
}

#[test]
fn level_three_needs_a_lab_binary_analysis_report() {
    let mut d = dossier("wifi-router", 3);
    declare_supported(&mut d, everything);
    d.evidence.push(item("sbom", EvidenceKind::Sbom));
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 2);
    assert!(
        a.blocking
            .iter()
            .any(|b| b.level == 3 && b.item == "lab-binary-analysis"),
        "{:?}",
        a.blocking
    );

    d.evidence.push(lab_report(
        "binary",
        LabReportKind::BinaryAnalysis,
        LabVerdict::Fail,
    ));
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 2);
    assert!(
        a.blocking
            .iter()
            .any(|b| b.item == "lab-binary-analysis" && b.reason.contains("verdict fail"))
    );

    d.evidence.retain(|e| e.id != "binary");
    d.evidence.push(lab_report(
        "binary",
        LabReportKind::BinaryAnalysis,
        LabVerdict::Pass,
    ));
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 3);
    // Level 4 is reported as the next level, blocked by the penetration test.
    assert!(
        a.blocking
            .iter()
            .any(|b| b.level == 4 && b.item == "lab-penetration-test")
    );

    d.evidence.push(lab_report(
        "pentest",
        LabReportKind::PenetrationTest,
        LabVerdict::Pass,
    ));
    assert_eq!(run(&d, "2026-03-01").level_attained, 4);
}

#[test]
fn a_lab_report_dated_after_the_assessment_does_not_count() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    assert_eq!(run(&d, "2026-03-01").level_attained, 1);
    for evidence in d.evidence.iter_mut().filter(|e| e.id == "lab-review") {
        evidence.issued_on = Some(date("2026-06-01"));
    }
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 0);
    assert!(
        a.blocking
            .iter()
            .any(|b| b.item == "lab-review" && b.reason.contains("after the assessment date"))
    );
}

#[test]
fn lab_review_is_needed_only_from_april_2025() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    d.evidence.retain(|e| e.id != "lab-review");
    assert_eq!(run(&d, "2025-03-31").level_attained, 1);
    let a = run(&d, "2025-04-01");
    assert_eq!(a.level_attained, 0);
    assert!(a.blocking.iter().any(|b| b.item == "lab-review"));
}

fn psti_compliant_hub(route: &str) -> Dossier {
    let mut d = dossier("iot-hub", 1);
    d.target.route = route.into();
    d.evidence.retain(|e| e.id != "lab-review");
    for id in ["5.1-1", "5.1-2", "5.2-1", "5.3-13"] {
        set_declaration(&mut d, id, DeclarationStatus::Supported, None);
    }
    d.evidence
        .push(item("psti-soc", EvidenceKind::PstiStatement));
    d
}

#[test]
fn uk_psti_simplified_level_one_starts_on_2026_01_01() {
    let d = psti_compliant_hub("uk-psti-to-cls-l1");
    let before = run(&d, "2025-12-31");
    assert!(before.psti.compliant, "{:?}", before.psti);
    assert_eq!(before.level_attained, 0);
    assert!(
        before.blocking.iter().any(|b| b.item == "uk-psti-to-cls-l1"
            && b.reason.contains("not in effect until 2026-01-01")),
        "{:?}",
        before.blocking
    );
    let after = run(&d, "2026-01-01");
    assert_eq!(after.level_attained, 1, "{:?}", after.blocking);
    let outcome = after
        .recognition
        .iter()
        .find(|r| r.arrangement == "uk-psti-to-cls-l1")
        .unwrap();
    assert!(outcome.applies);
}

#[test]
fn uk_psti_route_needs_psti_compliance_and_the_statement() {
    let mut d = psti_compliant_hub("uk-psti-to-cls-l1");
    d.evidence.retain(|e| e.kind != EvidenceKind::PstiStatement);
    let a = run(&d, "2026-02-01");
    assert_eq!(a.level_attained, 0);
    assert!(a.blocking[0].reason.contains("psti-statement"));

    let mut d = psti_compliant_hub("uk-psti-to-cls-l1");
    set_declaration(
        &mut d,
        "5.2-1",
        DeclarationStatus::NotSupported,
        Some("none"),
    );
    let a = run(&d, "2026-02-01");
    assert!(!a.psti.compliant);
    assert_eq!(a.level_attained, 0);
    assert!(a.blocking[0].reason.contains("vulnerability-reporting"));
}

#[test]
fn psti_reporting_can_be_met_by_iso_29147() {
    let mut d = psti_compliant_hub("standard");
    d.declarations
        .retain(|decl| decl.provision.as_str() != "5.2-1");
    assert!(!run(&d, "2026-02-01").psti.compliant);
    d.evidence
        .push(item("iso", EvidenceKind::Iso29147Conformance));
    let a = run(&d, "2026-02-01");
    assert!(a.psti.compliant, "{:?}", a.psti);
    let reporting = a
        .psti
        .requirements
        .iter()
        .find(|r| r.id == "vulnerability-reporting")
        .unwrap();
    assert!(reporting.via.as_deref().unwrap().contains("iso-29147"));
}

#[test]
fn a_cls_label_counts_for_psti_from_2025_12_04() {
    let mut d = dossier("smart-speaker", 2);
    d.evidence
        .push(cls_label(1, "2027-06-30", HeldLabelStatus::Valid));
    let before = run(&d, "2025-12-03");
    assert!(before.psti.in_scope);
    assert!(!before.psti.compliant);
    assert!(
        before.psti.requirements.iter().any(|r| r
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("only from 2025-12-04"))),
        "{:?}",
        before.psti
    );
    let after = run(&d, "2025-12-04");
    assert!(after.psti.compliant, "{:?}", after.psti);
    assert!(
        after.psti.requirements.iter().all(|r| r
            .via
            .as_deref()
            .unwrap()
            .contains("CSA/300627/000042"))
    );
    let outbound = after
        .recognition
        .iter()
        .find(|r| r.arrangement == "cls-to-uk-psti")
        .unwrap();
    assert!(outbound.applies);
    let outbound = before
        .recognition
        .iter()
        .find(|r| r.arrangement == "cls-to-uk-psti")
        .unwrap();
    assert!(!outbound.applies);
}

#[test]
fn a_cls_labelled_product_is_psti_compliant_only_while_the_label_is_current() {
    let mut d = dossier("smart-speaker", 1);
    d.evidence
        .push(cls_label(2, "2026-06-30", HeldLabelStatus::Valid));
    assert!(run(&d, "2026-06-30").psti.compliant);
    assert!(!run(&d, "2026-07-01").psti.compliant, "expired");
    d.evidence.retain(|e| e.kind != EvidenceKind::ClsLabel);
    d.evidence
        .push(cls_label(2, "2026-06-30", HeldLabelStatus::Suspended));
    assert!(!run(&d, "2026-03-01").psti.compliant, "suspended");
    d.evidence.retain(|e| e.kind != EvidenceKind::ClsLabel);
    d.evidence
        .push(cls_label(2, "2026-06-30", HeldLabelStatus::Revoked));
    assert!(!run(&d, "2026-03-01").psti.compliant, "revoked");
}

#[test]
fn a_jc_star_label_counts_for_psti_and_gives_simplified_level_one_from_june_2026() {
    let mut d = dossier("smart-plug", 1);
    d.target.route = "jp-jc-star-to-cls".into();
    d.evidence.push(foreign_label("jp-jc-star", "star-1"));
    let a = run(&d, "2026-05-31");
    assert!(a.psti.compliant);
    assert_eq!(a.level_attained, 0);
    assert_eq!(run(&d, "2026-06-01").level_attained, 1);
}

#[test]
fn a_finnish_label_grants_nothing_after_2025_07_31() {
    let mut d = dossier("smart-lighting", 3);
    d.target.route = "fi-traficom-to-cls".into();
    d.evidence.push(foreign_label("fi-traficom", "label"));
    let during = run(&d, "2025-07-31");
    assert_eq!(during.level_attained, 3, "{:?}", during.blocking);
    let after = run(&d, "2025-08-01");
    assert_eq!(after.level_attained, 0);
    let outcome = after
        .recognition
        .iter()
        .find(|r| r.arrangement == "fi-traficom-to-cls")
        .unwrap();
    assert!(!outcome.applies);
    assert!(outcome.reason.contains("ended on 2025-07-31"));
    assert!(outcome.grants.is_none());
}

#[test]
fn a_bsi_label_for_a_smart_door_lock_grants_nothing() {
    let mut d = dossier("smart-lock", 2);
    d.target.route = "de-bsi-to-cls".into();
    d.evidence.push(foreign_label("de-bsi-itsk", "label"));
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 0);
    let outcome = a
        .recognition
        .iter()
        .find(|r| r.arrangement == "de-bsi-to-cls")
        .unwrap();
    assert!(!outcome.applies);
    assert!(
        outcome
            .reason
            .contains("Smart door lock products are excluded"),
        "{}",
        outcome.reason
    );

    d.product.category = "ip-camera".into();
    d.ics = None;
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 2);
    assert!(a.notes.iter().any(|n| n.contains("no [ics] table")));
}

#[test]
fn a_kisa_basic_certificate_gives_level_three_from_2025() {
    let mut d = dossier("ip-camera", 3);
    d.target.route = "kr-kisa-to-cls".into();
    d.evidence.push(foreign_label("kr-kisa-cic", "basic"));
    assert_eq!(run(&d, "2024-12-31").level_attained, 0);
    assert_eq!(run(&d, "2025-01-01").level_attained, 3);
    d.evidence.retain(|e| e.kind != EvidenceKind::ForeignLabel);
    d.evidence.push(foreign_label("kr-kisa-cic", "lite"));
    let a = run(&d, "2025-06-01");
    assert_eq!(a.level_attained, 0);
    assert!(a.blocking[0].reason.contains("accepted: basic, standard"));
}

#[test]
fn singapore_router_rule_by_date() {
    let mut d = dossier("wifi-router", 1);
    let rule = |a: &Assessment| {
        a.market_access
            .iter()
            .find(|m| m.rule == "sg-wifi-routers")
            .unwrap()
            .clone()
    };
    // Before the rule, and an old model during the new-models phase.
    assert!(rule(&run(&d, "2021-04-12")).allowed);
    d.product.market_introduction = Some(date("2019-06-01"));
    assert!(rule(&run(&d, "2022-05-01")).allowed);
    d.product.market_introduction = None;
    let a = rule(&run(&d, "2022-05-01"));
    assert!(
        !a.allowed,
        "an unknown introduction date is read as a new model"
    );
    let a = rule(&run(&d, "2022-05-02"));
    assert!(!a.allowed);
    assert_eq!(a.needs_level, Some(1));
    assert!(
        a.reason.contains("holds no current CLS(IoT) label"),
        "{}",
        a.reason
    );
    // With a level 1 label: allowed until 2028, when level 2 is needed.
    d.evidence
        .push(cls_label(1, "2029-12-31", HeldLabelStatus::Valid));
    assert!(rule(&run(&d, "2027-12-31")).allowed);
    let a = rule(&run(&d, "2028-01-01"));
    assert!(!a.allowed);
    assert_eq!(a.needs_level, Some(2));
    d.evidence.retain(|e| e.kind != EvidenceKind::ClsLabel);
    d.evidence
        .push(cls_label(2, "2029-12-31", HeldLabelStatus::Valid));
    assert!(rule(&run(&d, "2028-01-01")).allowed);
    // Other categories have no Singapore rule.
    let camera = dossier("ip-camera", 1);
    assert!(run(&camera, "2028-01-01").market_access.is_empty());
}

#[test]
fn an_ev_charger_is_outside_psti() {
    let d = dossier("ev-charger", 1);
    let a = run(&d, "2026-03-01");
    assert!(!a.psti.in_scope);
    assert!(
        a.psti
            .excepted_because
            .as_deref()
            .unwrap()
            .contains("electric vehicles")
    );
    let route = a
        .recognition
        .iter()
        .find(|r| r.arrangement == "uk-psti-to-cls-l1")
        .unwrap();
    assert!(!route.applies);
}

#[test]
fn label_validity_is_capped_at_three_years_and_the_support_period() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    d.product.support_period_end = Some(date("2035-01-01"));
    let label = run(&d, "2026-03-01").label.unwrap();
    assert_eq!(
        (label.valid_from, label.valid_until),
        (date("2026-03-01"), date("2029-03-01"))
    );
    assert_eq!(label.limited_by, "maximum-validity");
    d.product.support_period_end = Some(date("2027-06-30"));
    let label = run(&d, "2026-03-01").label.unwrap();
    assert_eq!(label.valid_until, date("2027-06-30"));
    assert_eq!(label.limited_by, "support-period-end");
    d.product.support_period_end = Some(date("2026-02-28"));
    let a = run(&d, "2026-03-01");
    assert!(a.label.is_none());
    assert!(a.label_refused.unwrap().contains("support period ended"));
}

#[test]
fn a_v2_1_1_dossier_is_assessed_through_the_edition_map() {
    let mut d = dossier("wifi-router", 1);
    d.standard_edition = Edition::V2_1_1;
    // V2.1.1 conditions: passwords used, pre-installed passwords, not constrained, update
    // mechanism, updates over the network, physically accessible debug interface.
    d.ics = Some(Ics {
        conditions: vec![1, 2, 5, 8, 11, 12, 13],
        features: Vec::new(),
    });
    let v2 = catalog().standard_for_edition(Edition::V2_1_1).unwrap();
    for provision in v2.provisions.iter() {
        set_declaration(
            &mut d,
            provision.id.as_str(),
            DeclarationStatus::Supported,
            None,
        );
    }
    let a = run(&d, "2026-03-01");
    assert_eq!(a.dossier_edition, Edition::V2_1_1);
    assert_eq!(a.standard_edition, Edition::V3_1_3);
    assert!(a.notes.iter().any(|n| n.contains("edition map")));
    assert_eq!(verdict(&a, "5.6-4A"), Verdict::Pass);
    assert_eq!(verdict(&a, "5.6-4B"), Verdict::Pass);
    // 4-1 became 5.0-1; the recommendations new in V3.1.3 have no V2.1.1 answer.
    assert_eq!(verdict(&a, "5.0-1"), Verdict::Inconclusive);
    assert!(reasons(&a, "5.0-1").contains("5.1-2A"));
    assert_eq!(a.level_attained, 1);
    // V3.1.3's new mandatory 6-6 has no V2.1.1 declaration, so level 2 waits for it.
    assert!(
        a.blocking.iter().any(|b| b.level == 2 && b.item == "6-6"),
        "{:?}",
        a.blocking
    );
}

#[test]
fn a_computer_is_outside_the_scheme() {
    let mut d = dossier("computer", 1);
    declare_supported(&mut d, everything);
    let a = run(&d, "2026-03-01");
    assert_eq!(a.level_attained, 0);
    assert_eq!(a.blocking[0].item, "category");
}

#[test]
fn lab_verdicts_per_provision_override_and_can_disagree() {
    let mut d = dossier("wifi-router", 1);
    declare_supported(&mut d, level_one_set);
    let mut failing = lab_report(
        "lab-review",
        LabReportKind::ConformityReview,
        LabVerdict::Pass,
    );
    failing
        .provisions
        .insert("5.1-4".parse().unwrap(), LabVerdict::Fail);
    d.evidence.retain(|e| e.id != "lab-review");
    d.evidence.push(failing);
    let a = run(&d, "2026-03-01");
    assert_eq!(verdict(&a, "5.1-4"), Verdict::Fail);
    assert!(reasons(&a, "5.1-4").contains("Example Test Lab"));
    let mut passing = lab_report(
        "second-lab",
        LabReportKind::BinaryAnalysis,
        LabVerdict::Pass,
    );
    passing
        .provisions
        .insert("5.1-4".parse().unwrap(), LabVerdict::Pass);
    d.evidence.push(passing);
    assert_eq!(
        verdict(&run(&d, "2026-03-01"), "5.1-4"),
        Verdict::Inconclusive
    );
}

#[test]
fn invalid_dossiers_are_refused_with_every_problem() {
    let mut d = dossier("wifi-router", 5);
    d.product.category = "wifi-routr".into();
    d.declarations.push(Declaration {
        provision: "5.1-9".parse().unwrap(),
        status: DeclarationStatus::Supported,
        detail: None,
        rationale: None,
        evidence: vec!["nowhere".into()],
    });
    let Err(AssessError::InvalidDossier(problems)) = assess(
        catalog(),
        EngineInput {
            dossier: &d,
            reports: &[],
            on: date("2026-01-01"),
        },
    ) else {
        panic!("should be invalid");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "product.category",
            "target.level",
            "declarations[0].provision",
            "declarations[0].evidence[0]"
        ]
    );
    assert!(problems[0].message.contains("did you mean \"wifi-router\""));
    assert!(problems[1].message.contains("levels are 1 to 4"));
}
