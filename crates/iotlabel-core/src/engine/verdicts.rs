//! Verdicts per provision: the ICS decides applicability; declarations, findings and lab
//! reports decide pass, fail, not-applicable or inconclusive. A finding contradicting a
//! declaration wins over the declaration; a finding alone never makes a pass.

use crate::assessment::{EvidenceRef, ProvisionVerdict, Verdict};
use crate::catalog::Provision;
use crate::dossier::{DeclarationStatus, EvidenceKind, LabVerdict};
use crate::ids::ProvisionId;
use crate::report::{CheckOutcome, Confidence, Location};

use super::{Context, SourcedFinding};

/// The id of the provision that asks for a justification of every recommendation not met.
const JUSTIFICATION_PROVISION: &str = "5.0-1";

pub(super) fn judge_all(context: &Context<'_>) -> Vec<ProvisionVerdict> {
    let mut verdicts: Vec<ProvisionVerdict> = context
        .standard
        .provisions
        .iter()
        .map(|provision| judge(context, provision))
        .collect();
    judge_justifications(context, &mut verdicts);
    verdicts
}

fn describe_location(location: &Location) -> String {
    match location {
        Location::Firmware(firmware) => {
            let mut chain = firmware.containers.join(" > ");
            if !chain.is_empty() {
                chain.push_str(" > ");
            }
            chain.push_str(&firmware.path);
            chain
        }
        Location::Device(device) => match device.port {
            Some(port) => format!("{}:{port}", device.host),
            None => device.host.clone(),
        },
    }
}

fn describe_finding(sourced: &SourcedFinding<'_>) -> String {
    format!(
        "{} [{} at {}, from {}]",
        sourced.finding.message.trim_end_matches('.'),
        sourced.finding.check,
        describe_location(&sourced.finding.location),
        sourced.source
    )
}

fn finding_ref(sourced: &SourcedFinding<'_>) -> EvidenceRef {
    EvidenceRef::Finding {
        fingerprint: sourced.finding.fingerprint.clone(),
        check: sourced.finding.check.clone(),
        source: sourced.source.to_owned(),
    }
}

fn file_ref(context: &Context<'_>, id: &str) -> EvidenceRef {
    EvidenceRef::File {
        id: id.to_owned(),
        name: context
            .dossier
            .evidence_item(id)
            .and_then(|item| item.file.clone()),
    }
}

/// Why a provision does not apply per the ICS, or `None` when it applies.
fn inapplicable_because(context: &Context<'_>, provision: &Provision) -> Option<String> {
    let mut missing = Vec::new();
    for condition in &provision.conditions {
        if !context.conditions.contains(condition) {
            let summary = context
                .standard
                .condition(*condition)
                .map(|c| c.summary.as_str())
                .unwrap_or("");
            missing.push(format!("condition {condition} ({summary}) does not hold"));
        }
    }
    for feature in &provision.features {
        if !context.features.contains(feature) {
            let summary = context
                .standard
                .feature(feature)
                .map(|f| f.summary.as_str())
                .unwrap_or("");
            missing.push(format!("feature {feature} ({summary}) is absent"));
        }
    }
    if missing.is_empty() {
        None
    } else {
        Some(format!(
            "does not apply per the ICS: {}",
            missing.join("; ")
        ))
    }
}

fn judge(context: &Context<'_>, provision: &Provision) -> ProvisionVerdict {
    let id = &provision.id;
    let declaration = context.declarations.get(id).copied();
    let findings: &[SourcedFinding<'_>] =
        context.findings.get(id).map(Vec::as_slice).unwrap_or(&[]);
    let mut reasons = Vec::new();
    let mut evidence = Vec::new();

    if let Some(declaration) = declaration {
        for reference in &declaration.evidence {
            evidence.push(file_ref(context, reference));
        }
    }
    for sourced in findings {
        evidence.push(finding_ref(sourced));
    }

    // Lab verdicts on this provision, from lab reports dated on or before the assessment.
    let mut lab_passes = Vec::new();
    let mut lab_failures = Vec::new();
    let dossier_standard = context
        .catalog
        .standard_for_edition(context.dossier.standard_edition);
    for item in &context.dossier.evidence {
        if item.kind != EvidenceKind::LabReport
            || item.issued_on.is_some_and(|date| date > context.on)
        {
            continue;
        }
        for (lab_id, lab_verdict) in &item.provisions {
            let applies_here = dossier_standard
                .and_then(|from| {
                    context
                        .catalog
                        .translate_provision(from, context.standard, lab_id)
                })
                .is_some_and(|ids| ids.contains(id));
            if applies_here {
                let lab = item.lab.as_deref().unwrap_or("the lab");
                evidence.push(file_ref(context, &item.id));
                match lab_verdict {
                    LabVerdict::Pass => {
                        lab_passes.push(format!("{lab} found it met ({})", item.id))
                    }
                    LabVerdict::Fail => {
                        lab_failures.push(format!("{lab} found it not met ({})", item.id))
                    }
                }
            }
        }
    }

    let inapplicable = inapplicable_because(context, provision);
    let applicable = inapplicable.is_none();
    let verdict = if let Some(why) = inapplicable {
        reasons.push(why);
        if findings.is_empty() {
            Verdict::NotApplicable
        } else {
            reasons.push(format!(
                "but a finding concerns it, so the ICS answer needs review: {}",
                describe_finding(&findings[0])
            ));
            Verdict::Inconclusive
        }
    } else {
        let confirmed: Vec<&SourcedFinding<'_>> = findings
            .iter()
            .filter(|f| f.finding.confidence >= Confidence::Likely)
            .collect();
        let possible: Vec<&SourcedFinding<'_>> = findings
            .iter()
            .filter(|f| f.finding.confidence < Confidence::Likely)
            .collect();
        if !lab_passes.is_empty() && !lab_failures.is_empty() {
            reasons.push(format!(
                "lab reports disagree: {}; {}",
                lab_passes.join("; "),
                lab_failures.join("; ")
            ));
            Verdict::Inconclusive
        } else {
            match declaration.map(|d| d.status) {
                None => {
                    if let Some(failure) = lab_failures.first() {
                        reasons.push(failure.clone());
                        Verdict::Fail
                    } else if let Some(first) = confirmed.first() {
                        reasons.push(format!("not declared, and {}", describe_finding(first)));
                        Verdict::Fail
                    } else if let Some(pass) = lab_passes.first() {
                        reasons.push(pass.clone());
                        Verdict::Pass
                    } else {
                        reasons.push("no ICS declaration for this provision: declare it supported, not supported or not applicable".into());
                        Verdict::Inconclusive
                    }
                }
                Some(DeclarationStatus::Supported) => {
                    if !confirmed.is_empty() {
                        for sourced in &confirmed {
                            reasons.push(format!(
                                "declared supported, but {}",
                                describe_finding(sourced)
                            ));
                        }
                        Verdict::Fail
                    } else if let Some(failure) = lab_failures.first() {
                        reasons.push(format!("declared supported, but {failure}"));
                        Verdict::Fail
                    } else if let Some(first) = possible.first() {
                        reasons.push(format!(
                            "declared supported, but a possible finding needs review: {}",
                            describe_finding(first)
                        ));
                        Verdict::Inconclusive
                    } else {
                        reasons.push(match declaration.and_then(|d| d.detail.as_deref()) {
                            Some(detail) => format!("declared supported: {detail}"),
                            None => "declared supported".into(),
                        });
                        reasons.extend(lab_passes.iter().cloned());
                        add_clean_checks(context, id, &mut reasons, &mut evidence);
                        Verdict::Pass
                    }
                }
                Some(DeclarationStatus::NotSupported) => {
                    let mut reason = if provision.status.is_mandatory() {
                        "declared not supported, and the provision is mandatory".to_owned()
                    } else {
                        "declared not supported (a recommendation)".to_owned()
                    };
                    if let Some(rationale) = declaration.and_then(|d| d.rationale.as_deref()) {
                        reason.push_str(&format!(": {rationale}"));
                    }
                    reasons.push(reason);
                    Verdict::Fail
                }
                Some(DeclarationStatus::NotApplicable) => {
                    match declaration
                        .and_then(|d| d.rationale.as_deref())
                        .filter(|r| !r.trim().is_empty())
                    {
                        None => {
                            reasons.push(
                                "declared not applicable without a rationale, but the ICS says it applies: give a rationale".into(),
                            );
                            Verdict::Inconclusive
                        }
                        Some(_) if !confirmed.is_empty() => {
                            reasons.push(format!(
                                "declared not applicable, but {}",
                                describe_finding(confirmed[0])
                            ));
                            Verdict::Inconclusive
                        }
                        Some(rationale) => {
                            reasons.push(format!("declared not applicable: {rationale}"));
                            Verdict::NotApplicable
                        }
                    }
                }
            }
        }
    };
    evidence.dedup();
    ProvisionVerdict {
        id: id.clone(),
        status: provision.annex_b_status(),
        applicable,
        verdict,
        reasons,
        evidence,
    }
}

/// Adds "checked and clean" facts from the attached reports as supporting reasons.
fn add_clean_checks(
    context: &Context<'_>,
    id: &ProvisionId,
    reasons: &mut Vec<String>,
    evidence: &mut Vec<EvidenceRef>,
) {
    for attached in context.reports {
        for check in &attached.report.checks {
            if check.outcome == CheckOutcome::Clean && check.provisions.contains(id) {
                reasons.push(format!(
                    "{} found nothing{} (not a proof of conformity)",
                    check.check,
                    check
                        .coverage
                        .as_deref()
                        .map(|c| format!(" with coverage: {c}"))
                        .unwrap_or_default()
                ));
                evidence.push(file_ref(context, &attached.evidence_id));
            }
        }
    }
}

/// 5.0-1: every applicable recommendation not met or not applicable needs a recorded
/// justification. Derived from the other verdicts, unless the dossier declares it not supported.
fn judge_justifications(context: &Context<'_>, verdicts: &mut [ProvisionVerdict]) {
    let Ok(id) = JUSTIFICATION_PROVISION.parse::<ProvisionId>() else {
        return;
    };
    if context.standard.provision(&id).is_none() {
        return;
    }
    let mut unanswered = Vec::new();
    let mut unjustified = Vec::new();
    for provision in context
        .standard
        .provisions
        .iter()
        .filter(|p| !p.status.is_mandatory())
    {
        if inapplicable_because(context, provision).is_some() {
            continue;
        }
        match context.declarations.get(&provision.id) {
            None => unanswered.push(provision.id.to_string()),
            Some(declaration) => {
                let justified = declaration
                    .rationale
                    .as_deref()
                    .is_some_and(|r| !r.trim().is_empty());
                if declaration.status != DeclarationStatus::Supported && !justified {
                    unjustified.push(provision.id.to_string());
                }
            }
        }
    }
    let Some(verdict) = verdicts.iter_mut().find(|v| v.id == id) else {
        return;
    };
    if verdict.verdict == Verdict::Fail || verdict.verdict == Verdict::NotApplicable {
        return;
    }
    verdict.reasons.clear();
    if !unjustified.is_empty() {
        verdict.verdict = Verdict::Fail;
        verdict.reasons.push(format!(
            "recommendations not met or not applicable without a recorded justification: {}",
            unjustified.join(", ")
        ));
    } else if !unanswered.is_empty() {
        verdict.verdict = Verdict::Inconclusive;
        verdict.reasons.push(format!(
            "recommendations with no ICS answer, so their justification cannot be checked: {}",
            unanswered.join(", ")
        ));
    } else {
        verdict.verdict = Verdict::Pass;
        verdict.reasons.push(
            "every applicable recommendation is either supported or has a recorded justification"
                .into(),
        );
    }
}
