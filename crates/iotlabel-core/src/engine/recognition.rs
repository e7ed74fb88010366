//! Recognition arrangements on the assessment date: whether each applies to the product and
//! what it grants; and the level an inbound route grants when the dossier takes it.

use crate::assessment::{PstiStatus, RecognitionOutcome};
use crate::catalog::Arrangement;
use crate::catalog::recognition::{Accepts, Direction};
use crate::dossier::{EvidenceKind, STANDARD_ROUTE};

use super::Context;

/// The outcome of the route a dossier takes, when it is not the standard one.
pub(super) struct RouteGrant {
    pub arrangement: String,
    /// The level the arrangement would grant.
    pub arrangement_level: u8,
    /// The level granted, when the arrangement applies.
    pub level: Option<u8>,
    pub reason: String,
}

pub(super) fn route_grant(context: &Context<'_>, psti: &PstiStatus) -> Option<RouteGrant> {
    let route = context.dossier.target.route.as_str();
    if route == STANDARD_ROUTE {
        return None;
    }
    let arrangement = context.catalog.arrangement(route)?;
    let level = arrangement.granted_level().unwrap_or(1);
    let (applies, reason) = inbound(context, arrangement, psti);
    Some(RouteGrant {
        arrangement: arrangement.id.clone(),
        arrangement_level: level,
        level: applies.then_some(level),
        reason: if applies {
            reason
        } else {
            format!("route {} does not apply: {reason}", arrangement.id)
        },
    })
}

pub(super) fn outcomes(
    context: &Context<'_>,
    psti: &PstiStatus,
    attained: u8,
) -> Vec<RecognitionOutcome> {
    context
        .catalog
        .arrangements
        .iter()
        .filter(|arrangement| arrangement.scheme == context.scheme.id)
        .map(|arrangement| {
            let (applies, reason) = match arrangement.direction {
                Direction::Inbound => inbound(context, arrangement, psti),
                Direction::Outbound => outbound(context, arrangement, attained),
            };
            RecognitionOutcome {
                arrangement: arrangement.id.clone(),
                direction: arrangement.direction.as_str().into(),
                applies,
                grants: applies.then(|| arrangement.grants.clone()),
                reason,
            }
        })
        .collect()
}

/// Date and category scope shared by both directions; `Err` says why it does not apply.
fn in_scope(context: &Context<'_>, arrangement: &Arrangement) -> Result<(), String> {
    if context.on < arrangement.effective_from {
        return Err(format!(
            "not in effect until {}",
            arrangement.effective_from
        ));
    }
    if let Some(until) = arrangement.effective_until
        && context.on > until
    {
        return Err(format!(
            "ended on {until}: nothing is recognised after that date"
        ));
    }
    let category = &context.dossier.product.category;
    if arrangement.excluded_categories.contains(category) {
        let name = context
            .catalog
            .category(category)
            .map(|c| c.name.as_str())
            .unwrap_or(category);
        return Err(format!(
            "{name} products are excluded from this arrangement"
        ));
    }
    Ok(())
}

fn partner_name<'a>(context: &'a Context<'_>, arrangement: &'a Arrangement) -> &'a str {
    context
        .catalog
        .partner(&arrangement.partner)
        .map(|p| p.name.as_str())
        .unwrap_or(arrangement.partner.as_str())
}

fn inbound(context: &Context<'_>, arrangement: &Arrangement, psti: &PstiStatus) -> (bool, String) {
    if let Err(reason) = in_scope(context, arrangement) {
        return (false, reason);
    }
    let missing: Vec<&str> = arrangement
        .required_evidence
        .iter()
        .filter(|kind| {
            !context
                .dossier
                .evidence
                .iter()
                .any(|item| item.kind == **kind)
        })
        .map(|kind| kind.as_str())
        .collect();
    match arrangement.accepts {
        Some(Accepts::ForeignLabel) => {
            let labels: Vec<_> = context
                .dossier
                .evidence
                .iter()
                .filter(|item| {
                    item.kind == EvidenceKind::ForeignLabel
                        && item.scheme.as_deref() == Some(arrangement.partner.as_str())
                })
                .collect();
            if labels.is_empty() {
                return (
                    false,
                    format!(
                        "no {} label in the dossier",
                        partner_name(context, arrangement)
                    ),
                );
            }
            let mut problems = Vec::new();
            for label in labels {
                let level = label
                    .level
                    .as_ref()
                    .map(|l| l.as_text())
                    .unwrap_or_default();
                let id = label.label_id.as_deref().unwrap_or(label.id.as_str());
                if !arrangement.partner_levels.contains(&level) {
                    problems.push(format!(
                        "label {id} is level {level}; accepted: {}",
                        arrangement.partner_levels.join(", ")
                    ));
                } else if label.valid_until.is_some_and(|until| until < context.on) {
                    problems.push(format!(
                        "label {id} expired on {}",
                        label.valid_until.map(|d| d.to_string()).unwrap_or_default()
                    ));
                } else if label.issued_on.is_some_and(|issued| issued > context.on) {
                    problems.push(format!("label {id} is dated after the assessment date"));
                } else {
                    return (
                        true,
                        format!(
                            "{} label {id} (level {level}) is accepted; in effect since {}",
                            partner_name(context, arrangement),
                            arrangement.effective_from
                        ),
                    );
                }
            }
            (false, problems.join("; "))
        }
        Some(Accepts::PstiCompliance) => {
            if !psti.in_scope {
                return (
                    false,
                    format!(
                        "the product is outside UK PSTI ({}), so it cannot be PSTI compliant",
                        psti.excepted_because.as_deref().unwrap_or("excepted")
                    ),
                );
            }
            if !missing.is_empty() {
                return (false, format!("missing evidence: {}", missing.join(", ")));
            }
            if !psti.compliant {
                let unmet: Vec<String> = psti
                    .requirements
                    .iter()
                    .filter(|r| !r.met)
                    .map(|r| format!("{} ({})", r.id, r.reason.as_deref().unwrap_or("not met")))
                    .collect();
                return (
                    false,
                    format!("not UK PSTI compliant: {}", unmet.join("; ")),
                );
            }
            (
                true,
                format!(
                    "UK PSTI compliant with a statement of compliance; in effect since {}",
                    arrangement.effective_from
                ),
            )
        }
        None => (false, "the arrangement accepts nothing".into()),
    }
}

fn outbound(context: &Context<'_>, arrangement: &Arrangement, attained: u8) -> (bool, String) {
    if let Err(reason) = in_scope(context, arrangement) {
        return (false, reason);
    }
    let levels = arrangement
        .cls_levels
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if let Some((level, label)) = context.current_cls_label()
        && arrangement.cls_levels.contains(&level)
    {
        return (
            true,
            format!("holds the current level {level} label {label}; applies while it is current"),
        );
    }
    if arrangement.cls_levels.contains(&attained) {
        return (
            true,
            format!(
                "once the level {attained} label this assessment supports is issued, and while it is current"
            ),
        );
    }
    (
        false,
        format!(
            "needs a current {} label of level {levels}; this assessment supports level {attained}",
            context.scheme.short_name
        ),
    )
}
