//! Whole-catalog validation: unique ids, every reference resolves, dates in order, tables
//! sorted. Each problem names the file, the key and the reason.

use std::collections::HashSet;

use super::{Catalog, CatalogError};
use crate::catalog::recognition::{Accepts, Direction};
use crate::ids::ProvisionId;

struct Problems<'a> {
    errors: &'a mut Vec<CatalogError>,
}

impl Problems<'_> {
    fn report(&mut self, file: &str, key: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(CatalogError {
            file: file.to_owned(),
            key: key.into(),
            reason: reason.into(),
        });
    }

    fn unique<'i>(&mut self, file: &str, table: &str, ids: impl Iterator<Item = &'i str>) {
        let mut seen = HashSet::new();
        for (index, id) in ids.enumerate() {
            if !seen.insert(id) {
                self.report(
                    file,
                    format!("{table}[{index}].id"),
                    format!("duplicate id \"{id}\""),
                );
            }
        }
    }
}

pub(super) fn validate(catalog: &Catalog, errors: &mut Vec<CatalogError>) {
    let mut problems = Problems { errors };
    validate_standards(catalog, &mut problems);
    validate_schemes(catalog, &mut problems);
    validate_regimes(catalog, &mut problems);
    validate_recognition(catalog, &mut problems);
    validate_markets(catalog, &mut problems);
    validate_categories(catalog, &mut problems);
}

fn validate_standards(catalog: &Catalog, problems: &mut Problems<'_>) {
    problems.unique(
        "data/standards",
        "standards",
        catalog.standards.iter().map(|s| s.id.as_str()),
    );
    let canonical: Vec<_> = catalog
        .standards
        .iter()
        .filter(|s| s.successor.is_none())
        .collect();
    if canonical.len() != 1 {
        problems.report(
            "data/standards",
            "",
            format!(
                "exactly one edition must have no successor (the canonical one); found {}",
                canonical.len()
            ),
        );
    }
    for standard in &catalog.standards {
        let file = standard.source_file.as_str();
        problems.unique(
            file,
            "clauses",
            standard.clauses.iter().map(|c| c.id.as_str()),
        );
        problems.unique(
            file,
            "features",
            standard.features.iter().map(|f| f.id.as_str()),
        );
        let mut seen_conditions = HashSet::new();
        for (index, condition) in standard.conditions.iter().enumerate() {
            if !seen_conditions.insert(condition.id) {
                problems.report(
                    file,
                    format!("conditions[{index}].id"),
                    format!("duplicate condition {}", condition.id),
                );
            }
        }
        let mut seen = HashSet::new();
        let mut previous: Option<&ProvisionId> = None;
        for (index, provision) in standard.provisions.iter().enumerate() {
            let key = |field: &str| format!("provisions[{index}].{field}");
            if !seen.insert(&provision.id) {
                problems.report(
                    file,
                    key("id"),
                    format!("duplicate provision id {}", provision.id),
                );
            }
            if let Some(previous) = previous
                && previous >= &provision.id
            {
                problems.report(
                    file,
                    key("id"),
                    format!(
                        "{} is out of order after {previous}: keep provisions sorted",
                        provision.id
                    ),
                );
            }
            previous = Some(&provision.id);
            if provision.clause != provision.id.clause() {
                problems.report(
                    file,
                    key("clause"),
                    format!(
                        "{} belongs to clause {}, not {}",
                        provision.id,
                        provision.id.clause(),
                        provision.clause
                    ),
                );
            }
            if standard.clause(&provision.clause).is_none() {
                problems.report(
                    file,
                    key("clause"),
                    format!("clause {} is not declared in [[clauses]]", provision.clause),
                );
            }
            for condition in &provision.conditions {
                if standard.condition(*condition).is_none() {
                    problems.report(
                        file,
                        key("conditions"),
                        format!("condition {condition} is not declared in [[conditions]]"),
                    );
                }
            }
            for feature in &provision.features {
                if standard.feature(feature).is_none() {
                    problems.report(
                        file,
                        key("features"),
                        format!("feature \"{feature}\" is not declared in [[features]]"),
                    );
                }
            }
            if provision.summary.trim().is_empty() {
                problems.report(file, key("summary"), "every provision needs a paraphrase");
            }
        }
        match standard.successor.as_deref() {
            None => {
                for (index, provision) in standard.provisions.iter().enumerate() {
                    if !provision.maps_to.is_empty() {
                        problems.report(
                            file,
                            format!("provisions[{index}].maps_to"),
                            "the canonical edition maps to nothing",
                        );
                    }
                }
            }
            Some(successor_id) => {
                let Some(successor) = catalog.standard(successor_id) else {
                    problems.report(
                        file,
                        "successor",
                        format!("no standard with id \"{successor_id}\""),
                    );
                    continue;
                };
                for (index, provision) in standard.provisions.iter().enumerate() {
                    if provision.maps_to.is_empty() {
                        problems.report(
                            file,
                            format!("provisions[{index}].maps_to"),
                            format!(
                                "{} must map to at least one provision of {successor_id}",
                                provision.id
                            ),
                        );
                    }
                    for target in &provision.maps_to {
                        if successor.provision(target).is_none() {
                            problems.report(
                                file,
                                format!("provisions[{index}].maps_to"),
                                format!("{target} is not a provision of {successor_id}"),
                            );
                        }
                    }
                }
                for (index, condition) in standard.conditions.iter().enumerate() {
                    for next in &condition.successor_conditions {
                        if successor.condition(*next).is_none() {
                            problems.report(
                                file,
                                format!("conditions[{index}].successor_conditions"),
                                format!("condition {next} is not declared in {successor_id}"),
                            );
                        }
                    }
                    for next in &condition.successor_features {
                        if successor.feature(next).is_none() {
                            problems.report(
                                file,
                                format!("conditions[{index}].successor_features"),
                                format!("feature \"{next}\" is not declared in {successor_id}"),
                            );
                        }
                    }
                }
                if let Some(translation) = &standard.ics_translation {
                    for next in &translation.assume_present_conditions {
                        if successor.condition(*next).is_none() {
                            problems.report(
                                file,
                                "ics_translation.assume_present_conditions",
                                format!("condition {next} is not declared in {successor_id}"),
                            );
                        }
                    }
                    for next in &translation.assume_present_features {
                        if successor.feature(next).is_none() {
                            problems.report(
                                file,
                                "ics_translation.assume_present_features",
                                format!("feature \"{next}\" is not declared in {successor_id}"),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn validate_schemes(catalog: &Catalog, problems: &mut Problems<'_>) {
    problems.unique(
        "data/schemes",
        "schemes",
        catalog.schemes.iter().map(|s| s.id.as_str()),
    );
    for scheme in &catalog.schemes {
        let file = scheme.source_file.as_str();
        let Some(standard) = catalog.standard(&scheme.specification.standard) else {
            problems.report(
                file,
                "specification.standard",
                format!("no standard with id \"{}\"", scheme.specification.standard),
            );
            continue;
        };
        if let Err(error) =
            crate::label_id::RegistrationIdFormat::parse(&scheme.label.registration_id_format)
        {
            problems.report(file, "label.registration_id_format", error.to_string());
        }
        if scheme.label.max_validity_years == 0 {
            problems.report(file, "label.max_validity_years", "must be at least 1");
        }
        for (index, level) in scheme.levels.iter().enumerate() {
            let expected = index as u8 + 1;
            if level.level != expected {
                problems.report(
                    file,
                    format!("levels[{index}].level"),
                    format!(
                        "levels must be numbered 1, 2, ... in order; expected {expected}, found {}",
                        level.level
                    ),
                );
            }
            if let Some(clauses) = &level.provisions.clauses {
                for clause in clauses {
                    if standard.clause(clause).is_none() {
                        problems.report(
                            file,
                            format!("levels[{index}].provisions.clauses"),
                            format!("clause {clause} does not exist in {}", standard.id),
                        );
                    }
                }
            }
            for id in &level.provisions.include {
                if standard.provision(id).is_none() {
                    problems.report(
                        file,
                        format!("levels[{index}].provisions.include"),
                        format!("{id} is not a provision of {}", standard.id),
                    );
                }
            }
            for (r, requirement) in level.requirements.iter().enumerate() {
                let wants_lab = requirement.evidence == crate::dossier::EvidenceKind::LabReport;
                if wants_lab != requirement.lab_report.is_some() {
                    problems.report(
                        file,
                        format!("levels[{index}].requirements[{r}].lab_report"),
                        "give lab_report exactly when evidence = \"lab-report\"",
                    );
                }
            }
        }
        if scheme.levels.is_empty() {
            problems.report(file, "levels", "a scheme needs at least one level");
        }
        for (index, review) in scheme.reviews.iter().enumerate() {
            if let (Some(from), Some(until)) = (review.from, review.until)
                && from > until
            {
                problems.report(
                    file,
                    format!("reviews[{index}]"),
                    format!("from {from} is after until {until}"),
                );
            }
            for level in &review.levels {
                if scheme.level(*level).is_none() {
                    problems.report(
                        file,
                        format!("reviews[{index}].levels"),
                        format!("level {level} is not defined"),
                    );
                }
            }
        }
    }
}

fn validate_regimes(catalog: &Catalog, problems: &mut Problems<'_>) {
    problems.unique(
        "data/regimes",
        "regimes",
        catalog.regimes.iter().map(|r| r.id.as_str()),
    );
    for regime in &catalog.regimes {
        let file = regime.source_file.as_str();
        let Some(standard) = catalog.standard(&regime.standard) else {
            problems.report(
                file,
                "standard",
                format!("no standard with id \"{}\"", regime.standard),
            );
            continue;
        };
        problems.unique(
            file,
            "requirements",
            regime.requirements.iter().map(|r| r.id.as_str()),
        );
        problems.unique(
            file,
            "exceptions",
            regime.exceptions.iter().map(|e| e.id.as_str()),
        );
        problems.unique(
            file,
            "statement_fields",
            regime.statement_fields.iter().map(|f| f.id.as_str()),
        );
        for (index, requirement) in regime.requirements.iter().enumerate() {
            for id in requirement
                .deemed_by_provisions
                .iter()
                .chain(&requirement.evidenced_by_provisions)
            {
                if standard.provision(id).is_none() {
                    problems.report(
                        file,
                        format!("requirements[{index}]"),
                        format!("{id} is not a provision of {}", standard.id),
                    );
                }
            }
            for dossier_key in &requirement.requires_dossier_keys {
                if !crate::psti_statement::KNOWN_KEYS.contains(&dossier_key.as_str()) {
                    problems.report(
                        file,
                        format!("requirements[{index}].requires_dossier_keys"),
                        format!("\"{dossier_key}\" is not a dossier key"),
                    );
                }
            }
            if requirement.deemed_by_provisions.is_empty()
                && requirement.deemed_by_documents.is_empty()
                && requirement.evidenced_by_provisions.is_empty()
            {
                problems.report(
                    file,
                    format!("requirements[{index}]"),
                    "a requirement needs at least one way to be met",
                );
            }
        }
        for (index, route) in regime.label_routes.iter().enumerate() {
            if let Some(scheme) = catalog.scheme(&route.scheme) {
                if route
                    .min_level
                    .is_none_or(|level| scheme.level(level).is_none())
                {
                    problems.report(
                        file,
                        format!("label_routes[{index}].min_level"),
                        format!("give a level defined by {}", scheme.id),
                    );
                }
            } else if let Some(partner) = catalog.partner(&route.scheme) {
                for level in &route.levels {
                    if !partner.levels.contains(level) {
                        problems.report(
                            file,
                            format!("label_routes[{index}].levels"),
                            format!("\"{level}\" is not a level of {}", partner.id),
                        );
                    }
                }
            } else {
                problems.report(
                    file,
                    format!("label_routes[{index}].scheme"),
                    format!(
                        "\"{}\" is neither a scheme nor a recognition partner",
                        route.scheme
                    ),
                );
            }
        }
        for (index, field) in regime.statement_fields.iter().enumerate() {
            if !crate::psti_statement::KNOWN_KEYS.contains(&field.key.as_str()) {
                problems.report(
                    file,
                    format!("statement_fields[{index}].key"),
                    format!(
                        "\"{}\" is not a dossier key; known keys: {}",
                        field.key,
                        crate::psti_statement::KNOWN_KEYS.join(", ")
                    ),
                );
            }
        }
    }
}

fn validate_recognition(catalog: &Catalog, problems: &mut Problems<'_>) {
    problems.unique(
        "data/recognition",
        "partners",
        catalog.partners.iter().map(|p| p.id.as_str()),
    );
    problems.unique(
        "data/recognition",
        "arrangements",
        catalog.arrangements.iter().map(|a| a.id.as_str()),
    );
    for arrangement in &catalog.arrangements {
        let file = arrangement.source_file.as_str();
        let key = |field: &str| format!("arrangements[id={}].{field}", arrangement.id);
        let Some(scheme) = catalog.scheme(&arrangement.scheme) else {
            problems.report(
                file,
                "scheme",
                format!("no scheme with id \"{}\"", arrangement.scheme),
            );
            continue;
        };
        let partner = catalog.partner(&arrangement.partner);
        if let Some(until) = arrangement.effective_until
            && until < arrangement.effective_from
        {
            problems.report(
                file,
                key("effective_until"),
                format!(
                    "{until} is before effective_from {}",
                    arrangement.effective_from
                ),
            );
        }
        if arrangement.cls_levels.is_empty() {
            problems.report(file, key("cls_levels"), "name at least one level");
        }
        for level in &arrangement.cls_levels {
            if scheme.level(*level).is_none() {
                problems.report(
                    file,
                    key("cls_levels"),
                    format!("level {level} is not defined by {}", scheme.id),
                );
            }
        }
        for category in &arrangement.excluded_categories {
            if catalog.category(category).is_none() {
                problems.report(
                    file,
                    key("excluded_categories"),
                    format!("no category with id \"{category}\""),
                );
            }
        }
        match arrangement.direction {
            Direction::Inbound => {
                if arrangement.cls_levels.len() != 1 {
                    problems.report(
                        file,
                        key("cls_levels"),
                        "an inbound arrangement grants exactly one level",
                    );
                }
                match arrangement.accepts {
                    None => problems.report(
                        file,
                        key("accepts"),
                        "an inbound arrangement says what it accepts",
                    ),
                    Some(Accepts::ForeignLabel) => {
                        if arrangement.partner_levels.is_empty() {
                            problems.report(
                                file,
                                key("partner_levels"),
                                "name the partner levels accepted",
                            );
                        }
                        for level in &arrangement.partner_levels {
                            if partner.is_none_or(|p| !p.levels.contains(level)) {
                                problems.report(
                                    file,
                                    key("partner_levels"),
                                    format!(
                                        "\"{level}\" is not a level of partner {}",
                                        arrangement.partner
                                    ),
                                );
                            }
                        }
                    }
                    Some(Accepts::PstiCompliance) => {
                        if catalog.regime(&arrangement.partner).is_none() {
                            problems.report(
                                file,
                                key("accepts"),
                                format!(
                                    "psti-compliance needs a regime with id \"{}\"",
                                    arrangement.partner
                                ),
                            );
                        }
                    }
                }
            }
            Direction::Outbound => {
                if arrangement.accepts.is_some() || !arrangement.partner_levels.is_empty() {
                    problems.report(
                        file,
                        key("accepts"),
                        "an outbound arrangement accepts nothing: remove accepts/partner_levels",
                    );
                }
            }
        }
    }
}

fn validate_markets(catalog: &Catalog, problems: &mut Problems<'_>) {
    problems.unique(
        "data/markets",
        "markets",
        catalog.markets.iter().map(|m| m.id.as_str()),
    );
    for market in &catalog.markets {
        let file = market.source_file.as_str();
        let scheme = catalog.scheme(&market.scheme);
        if scheme.is_none() {
            problems.report(
                file,
                "scheme",
                format!("no scheme with id \"{}\"", market.scheme),
            );
        }
        for category in &market.categories {
            if catalog.category(category).is_none() {
                problems.report(
                    file,
                    "categories",
                    format!("no category with id \"{category}\""),
                );
            }
        }
        for (index, phase) in market.phases.iter().enumerate() {
            if index > 0 && market.phases[index - 1].from >= phase.from {
                problems.report(
                    file,
                    format!("phases[{index}].from"),
                    format!(
                        "{} is not after the previous phase's {}: keep phases in date order",
                        phase.from,
                        market.phases[index - 1].from
                    ),
                );
            }
            if scheme.is_some_and(|scheme| scheme.level(phase.needs_level).is_none()) {
                problems.report(
                    file,
                    format!("phases[{index}].needs_level"),
                    format!(
                        "level {} is not defined by {}",
                        phase.needs_level, market.scheme
                    ),
                );
            }
        }
    }
}

fn validate_categories(catalog: &Catalog, problems: &mut Problems<'_>) {
    let file = catalog.categories_file.as_str();
    problems.unique(
        file,
        "categories",
        catalog.categories.iter().map(|c| c.id.as_str()),
    );
    let psti = catalog.regime("uk-psti");
    let canonical = catalog.canonical_standard();
    for (index, category) in catalog.categories.iter().enumerate() {
        if let Some(exception) = &category.psti_exception
            && psti.is_none_or(|psti| psti.exception(exception).is_none())
        {
            problems.report(
                file,
                format!("categories[{index}].psti_exception"),
                format!("\"{exception}\" is not an exception of data/regimes/uk-psti.toml"),
            );
        }
        if let Some(standard) = canonical {
            for condition in &category.ics_conditions {
                if standard.condition(*condition).is_none() {
                    problems.report(
                        file,
                        format!("categories[{index}].ics_conditions"),
                        format!("condition {condition} is not declared in {}", standard.id),
                    );
                }
            }
            for feature in &category.ics_features {
                if standard.feature(feature).is_none() {
                    problems.report(
                        file,
                        format!("categories[{index}].ics_features"),
                        format!("feature \"{feature}\" is not declared in {}", standard.id),
                    );
                }
            }
        }
    }
}
