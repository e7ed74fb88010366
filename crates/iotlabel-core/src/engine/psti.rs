//! UK PSTI status: in scope or excepted, and each of the three requirements with the route
//! that meets it (a current recognised label, or the EN 303 645 provisions of Schedule 2).

use crate::assessment::{ProvisionVerdict, PstiRequirementStatus, PstiStatus};
use crate::catalog::regime::{LabelRoute, Regime, RegimeRequirement};
use crate::dossier::EvidenceKind;

use super::Context;

/// The regime id the engine reports on.
pub(super) const PSTI: &str = "uk-psti";

pub(super) fn status(context: &Context<'_>, provisions: &[ProvisionVerdict]) -> PstiStatus {
    let Some(regime) = context.catalog.regime(PSTI) else {
        return PstiStatus {
            in_scope: false,
            excepted_because: Some("the catalog has no UK PSTI regime".into()),
            compliant: false,
            requirements: Vec::new(),
        };
    };
    let category = context.catalog.category(&context.dossier.product.category);
    if let Some(exception) = category
        .and_then(|c| c.psti_exception.as_deref())
        .and_then(|id| regime.exception(id))
    {
        return PstiStatus {
            in_scope: false,
            excepted_because: Some(exception.summary.clone()),
            compliant: false,
            requirements: Vec::new(),
        };
    }
    if context.on < regime.in_force_from {
        return PstiStatus {
            in_scope: false,
            excepted_because: Some(format!(
                "{} applies from {}",
                regime.short_name, regime.in_force_from
            )),
            compliant: false,
            requirements: Vec::new(),
        };
    }

    let (label_route, label_note) = label_route(context, regime);
    let requirements: Vec<PstiRequirementStatus> = regime
        .requirements
        .iter()
        .map(|requirement| match &label_route {
            Some(via) => PstiRequirementStatus {
                id: requirement.id.clone(),
                met: true,
                via: Some(via.clone()),
                reason: None,
            },
            None => {
                let mut status = requirement_status(context, regime, requirement, provisions);
                if let (false, Some(note)) = (status.met, &label_note) {
                    status.reason = Some(format!("{}; {note}", status.reason.unwrap_or_default()));
                }
                status
            }
        })
        .collect();
    PstiStatus {
        in_scope: true,
        excepted_because: None,
        compliant: requirements.iter().all(|r| r.met),
        requirements,
    }
}

/// A current label that meets every requirement, and otherwise a note on a label that does
/// not count (yet).
fn label_route(context: &Context<'_>, regime: &Regime) -> (Option<String>, Option<String>) {
    let mut note = None;
    for route in &regime.label_routes {
        let Some(holding) = held_label(context, route) else {
            continue;
        };
        if context.on < route.from {
            note = Some(format!(
                "{holding} counts for {} only from {} ({})",
                regime.short_name, route.from, route.summary
            ));
            continue;
        }
        return (Some(format!("{holding}: {}", route.summary)), None);
    }
    (None, note)
}

/// A description of a current label the product holds that fits `route`.
fn held_label(context: &Context<'_>, route: &LabelRoute) -> Option<String> {
    if let Some(scheme) = context.catalog.scheme(&route.scheme) {
        let (level, label) = context.current_cls_label()?;
        return (route.min_level.is_none_or(|min| level >= min))
            .then(|| format!("current {} level {level} label {label}", scheme.short_name));
    }
    let partner = context.catalog.partner(&route.scheme)?;
    context
        .dossier
        .evidence
        .iter()
        .filter(|item| {
            item.kind == EvidenceKind::ForeignLabel
                && item.scheme.as_deref() == Some(partner.id.as_str())
        })
        .filter(|item| {
            item.level
                .as_ref()
                .is_some_and(|level| route.levels.contains(&level.as_text()))
        })
        .filter(|item| item.valid_until.is_none_or(|until| context.on <= until))
        .filter(|item| item.issued_on.is_none_or(|issued| issued <= context.on))
        .map(|item| {
            format!(
                "current {} {} label {}",
                partner.name,
                item.level.as_ref().map(|l| l.as_text()).unwrap_or_default(),
                item.label_id.as_deref().unwrap_or(item.id.as_str())
            )
        })
        .next()
}

fn requirement_status(
    context: &Context<'_>,
    regime: &Regime,
    requirement: &RegimeRequirement,
    provisions: &[ProvisionVerdict],
) -> PstiRequirementStatus {
    let regime_standard = context.catalog.standard(&regime.standard);
    let mut problems = Vec::new();
    let missing_keys: Vec<&str> = requirement
        .requires_dossier_keys
        .iter()
        .filter(|key| crate::psti_statement::value_at(context.dossier, key).is_none())
        .map(String::as_str)
        .collect();

    // Provision routes: deemed (Schedule 2), then evidenced (iotlabel's reading).
    for (ids, kind) in [
        (&requirement.deemed_by_provisions, "deemed compliant by"),
        (&requirement.evidenced_by_provisions, "evidenced by"),
    ] {
        if ids.is_empty() {
            continue;
        }
        let mut failing = Vec::new();
        for id in ids {
            let translated = regime_standard
                .and_then(|from| {
                    context
                        .catalog
                        .translate_provision(from, context.standard, id)
                })
                .unwrap_or_default();
            for target in translated {
                match provisions.iter().find(|v| v.id == target) {
                    Some(verdict) if verdict.verdict.satisfies() => {}
                    Some(verdict) => {
                        failing.push(format!("{target} is {}", verdict.verdict.as_str()))
                    }
                    None => failing.push(format!("{target} was not assessed")),
                }
            }
        }
        if failing.is_empty() && missing_keys.is_empty() {
            let edition = regime_standard
                .map(|s| s.edition.to_string())
                .unwrap_or_default();
            let list = ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ");
            let mut via = format!("{kind} EN 303 645 {edition} {list}");
            if let Some(end) = context.dossier.product.support_period_end
                && requirement
                    .requires_dossier_keys
                    .iter()
                    .any(|k| k == "product.support_period_end")
            {
                via.push_str(&format!(" (support period ends {end})"));
            }
            return PstiRequirementStatus {
                id: requirement.id.clone(),
                met: true,
                via: Some(via),
                reason: None,
            };
        }
        problems.extend(failing);
    }
    for kind in &requirement.deemed_by_documents {
        if let Some(item) = context
            .dossier
            .evidence
            .iter()
            .find(|item| item.kind == *kind)
        {
            return PstiRequirementStatus {
                id: requirement.id.clone(),
                met: true,
                via: Some(format!("{} ({})", kind.as_str(), item.id)),
                reason: None,
            };
        }
        problems.push(format!("no {} evidence", kind.as_str()));
    }
    for key in missing_keys {
        problems.push(format!("{key} is not given"));
    }
    PstiRequirementStatus {
        id: requirement.id.clone(),
        met: false,
        via: None,
        reason: Some(problems.join("; ")),
    }
}
