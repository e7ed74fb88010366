//! Market access: for each market rule covering the product's category, whether it may be
//! sold on the assessment date with the label it currently holds.

use crate::assessment::MarketAccess;

use super::Context;

pub(super) fn access(context: &Context<'_>, attained: u8) -> Vec<MarketAccess> {
    let category = &context.dossier.product.category;
    let held = context.current_cls_label();
    context
        .catalog
        .markets
        .iter()
        .filter(|rule| rule.categories.contains(category))
        .map(|rule| {
            let category_name = context
                .catalog
                .category(category)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| category.clone());
            let Some(phase) = rule.phase_on(context.on, context.dossier.product.market_introduction) else {
                let first = rule.phases.first().map(|p| p.from.to_string()).unwrap_or_default();
                return MarketAccess {
                    market: rule.market.clone(),
                    rule: rule.id.clone(),
                    allowed: true,
                    needs_level: None,
                    reason: format!("no label requirement in force for this product on {} (first from {first})", context.on),
                };
            };
            let scheme = context.catalog.scheme(&rule.scheme).map(|s| s.short_name.as_str()).unwrap_or(&rule.scheme);
            let (allowed, reason) = match held {
                Some((level, label)) if level >= phase.needs_level => (
                    true,
                    format!("holds the current {scheme} level {level} label {label}; a {category_name} needs level {}", phase.needs_level),
                ),
                _ => {
                    let now = match held {
                        Some((level, label)) => format!("its current label {label} is level {level}"),
                        None => format!("it holds no current {scheme} label"),
                    };
                    let prospect = if context.dossier.target.scheme != rule.scheme {
                        String::new()
                    } else if attained >= phase.needs_level {
                        format!("; this assessment supports level {attained}, enough once that label is issued")
                    } else {
                        format!("; this assessment supports level {attained}, below what is needed")
                    };
                    (
                        false,
                        format!(
                            "a {category_name} sold in {} needs {scheme} level {} from {} ({}); {now}{prospect}",
                            rule.market_name, phase.needs_level, phase.from, rule.authority
                        ),
                    )
                }
            };
            MarketAccess {
                market: rule.market.clone(),
                rule: rule.id.clone(),
                allowed,
                needs_level: Some(phase.needs_level),
                reason,
            }
        })
        .collect()
}
