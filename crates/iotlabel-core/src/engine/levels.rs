//! Which level the product attains, and what blocks each level above it up to the target.

use crate::assessment::{Blocking, ProvisionVerdict};
use crate::catalog::scheme::{Level, LevelRequirement};
use crate::dossier::{EvidenceKind, LabVerdict};

use super::Context;
use super::recognition::RouteGrant;

pub(super) struct LevelOutcome {
    pub attained: u8,
    pub blocking: Vec<Blocking>,
}

pub(super) fn evaluate(
    context: &Context<'_>,
    provisions: &[ProvisionVerdict],
    route: Option<&RouteGrant>,
) -> LevelOutcome {
    let granted = route.and_then(|r| r.level).unwrap_or(0);
    let category = context.catalog.category(&context.dossier.product.category);
    let out_of_scope = category.filter(|c| !c.cls_in_scope);

    let mut blockers_by_level: Vec<(u8, Vec<Blocking>)> = Vec::new();
    for level in &context.scheme.levels {
        let mut blockers = Vec::new();
        if let Some(category) = out_of_scope {
            blockers.push(Blocking {
                level: level.level,
                item: "category".into(),
                reason: format!(
                    "{} does not label this category ({})",
                    context.scheme.short_name, category.name
                ),
            });
        } else if level.level > granted {
            blockers.extend(provision_blockers(context, level, provisions));
            blockers.extend(requirement_blockers(context, level));
        }
        blockers_by_level.push((level.level, blockers));
    }

    let mut attained = 0;
    for (level, blockers) in &blockers_by_level {
        if blockers.is_empty() {
            attained = *level;
        } else {
            break;
        }
    }

    let target = context.dossier.target.level;
    let last_reported = target.max(attained + 1).min(context.scheme.max_level());
    let mut blocking: Vec<Blocking> = blockers_by_level
        .into_iter()
        .filter(|(level, _)| *level > attained && *level <= last_reported)
        .flat_map(|(_, blockers)| blockers)
        .collect();
    if let Some(route) = route
        && route.level.is_none()
    {
        blocking.insert(
            0,
            Blocking {
                level: route.arrangement_level,
                item: route.arrangement.clone(),
                reason: route.reason.clone(),
            },
        );
    }
    LevelOutcome { attained, blocking }
}

fn provision_blockers(
    context: &Context<'_>,
    level: &Level,
    provisions: &[ProvisionVerdict],
) -> Vec<Blocking> {
    provisions
        .iter()
        .filter(|verdict| {
            context
                .standard
                .provision(&verdict.id)
                .is_some_and(|provision| level.provisions.selects(&provision.id, provision.status))
        })
        .filter(|verdict| !verdict.verdict.satisfies())
        .map(|verdict| Blocking {
            level: level.level,
            item: verdict.id.to_string(),
            reason: format!(
                "{}: {}",
                verdict.verdict.as_str(),
                verdict.reasons.first().cloned().unwrap_or_default()
            ),
        })
        .collect()
}

fn requirement_blockers(context: &Context<'_>, level: &Level) -> Vec<Blocking> {
    level
        .requirements
        .iter()
        .filter(|requirement| requirement.from.is_none_or(|from| from <= context.on))
        .filter_map(|requirement| {
            requirement_unmet(context, requirement).map(|reason| Blocking {
                level: level.level,
                item: requirement.id.clone(),
                reason,
            })
        })
        .collect()
}

/// Why the dossier does not meet `requirement`, or `None` when it does.
fn requirement_unmet(context: &Context<'_>, requirement: &LevelRequirement) -> Option<String> {
    let items: Vec<_> = context
        .dossier
        .evidence
        .iter()
        .filter(|item| item.kind == requirement.evidence)
        .filter(|item| requirement.lab_report.is_none() || item.report == requirement.lab_report)
        .collect();
    if items.is_empty() {
        return Some(format!("missing: {}", requirement.summary));
    }
    if requirement.evidence != EvidenceKind::LabReport {
        return None;
    }
    let mut problems = Vec::new();
    for item in items {
        match (item.verdict, item.issued_on) {
            (Some(LabVerdict::Pass), Some(date)) if date <= context.on => return None,
            (Some(LabVerdict::Pass), Some(date)) => problems.push(format!(
                "{} is dated {date}, after the assessment date",
                item.id
            )),
            (Some(LabVerdict::Fail), _) => problems.push(format!("{} has verdict fail", item.id)),
            _ => problems.push(format!("{} has no verdict or date", item.id)),
        }
    }
    Some(format!("{} ({})", requirement.summary, problems.join("; ")))
}
