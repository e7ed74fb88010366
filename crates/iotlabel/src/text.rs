//! The text form of an assessment: what a person reads first (the verdict table, then what
//! blocks the next level), followed by UK PSTI, recognition, market access and the label.

use std::fmt::Write as _;

use iotlabel_core::Catalog;
use iotlabel_core::assessment::{Assessment, Verdict};

/// Width of the reason column before it is cut with an ellipsis.
const REASON_WIDTH: usize = 100;

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// How much of the assessment to print.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Print a row for every provision, passes included.
    pub all: bool,
}

pub fn assessment(catalog: &Catalog, assessment: &Assessment, options: TextOptions) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = write_assessment(&mut out, catalog, assessment, options);
    out
}

fn write_assessment(
    out: &mut String,
    catalog: &Catalog,
    a: &Assessment,
    options: TextOptions,
) -> std::fmt::Result {
    let category = catalog
        .category(&a.product.category)
        .map(|c| c.name.as_str())
        .unwrap_or(&a.product.category);
    let scheme = catalog
        .scheme(&a.scheme.id)
        .map(|s| s.short_name.as_str())
        .unwrap_or(&a.scheme.id);
    writeln!(
        out,
        "{} {} by {} ({category})",
        a.product.name, a.product.model, a.product.manufacturer
    )?;
    writeln!(
        out,
        "{scheme} {}, EN 303 645 {}, assessed on {}, route {}",
        a.scheme.specification_version, a.standard_edition, a.assessed_on, a.route
    )?;
    let stars = |level: u8| {
        if level == 0 {
            "no label".to_owned()
        } else {
            "*".repeat(level as usize)
        }
    };
    let verdict_line = if a.level_attained >= a.target_level {
        "target met"
    } else {
        "target not met"
    };
    writeln!(
        out,
        "\nLevel attained: {} ({})   target: {} ({})   {verdict_line}",
        a.level_attained,
        stars(a.level_attained),
        a.target_level,
        stars(a.target_level)
    )?;

    let count = |verdict: Verdict| a.provisions.iter().filter(|p| p.verdict == verdict).count();
    let failed_recommendations = a
        .provisions
        .iter()
        .filter(|p| p.verdict == Verdict::Fail && p.status.starts_with('R'))
        .count();
    let recommendation_note = match failed_recommendations {
        0 => String::new(),
        n if n == count(Verdict::Fail) => {
            " (all recommendations, which no level requires)".to_owned()
        }
        n => format!(" ({n} of them recommendations, which no level requires)"),
    };
    writeln!(
        out,
        "\nVerdicts: {} pass, {} fail{recommendation_note}, {} inconclusive, {} not applicable",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::NotApplicable)
    )?;
    let mut passing = Vec::new();
    let mut inapplicable = Vec::new();
    let mut rows = Vec::new();
    for provision in &a.provisions {
        if !provision.applicable && provision.verdict == Verdict::NotApplicable {
            inapplicable.push(provision.id.to_string());
        } else if provision.verdict == Verdict::Pass && !options.all {
            passing.push(provision.id.to_string());
        } else {
            rows.push(provision);
        }
    }
    if !rows.is_empty() {
        writeln!(
            out,
            "  {:<8} {:<14} {:<14} REASON",
            "ID", "STATUS", "VERDICT"
        )?;
    }
    for provision in rows {
        writeln!(
            out,
            "  {:<8} {:<14} {:<14} {}",
            provision.id.as_str(),
            provision.status,
            provision.verdict.as_str(),
            cut(
                provision.reasons.first().map(String::as_str).unwrap_or(""),
                REASON_WIDTH
            )
        )?;
    }
    if !passing.is_empty() {
        writeln!(out, "  Pass ({}): {}", passing.len(), passing.join(", "))?;
    }
    if !inapplicable.is_empty() {
        writeln!(
            out,
            "  Not applicable per the ICS ({}): {}",
            inapplicable.len(),
            inapplicable.join(", ")
        )?;
    }

    if a.blocking.is_empty() {
        writeln!(out, "\nNothing blocks: the highest level is attained.")?;
    } else {
        let mut levels: Vec<u8> = a.blocking.iter().map(|b| b.level).collect();
        levels.dedup();
        for level in levels {
            let items: Vec<_> = a.blocking.iter().filter(|b| b.level == level).collect();
            writeln!(out, "\n{} item(s) block level {level}:", items.len())?;
            for blocking in items {
                writeln!(
                    out,
                    "  {:<22} {}",
                    blocking.item,
                    cut(&blocking.reason, REASON_WIDTH)
                )?;
            }
        }
    }

    writeln!(out, "\nUK PSTI")?;
    if !a.psti.in_scope {
        writeln!(
            out,
            "  out of scope: {}",
            a.psti.excepted_because.as_deref().unwrap_or("")
        )?;
    } else {
        writeln!(
            out,
            "  {}",
            if a.psti.compliant {
                "compliant"
            } else {
                "not compliant"
            }
        )?;
        for requirement in &a.psti.requirements {
            let detail = requirement
                .via
                .as_deref()
                .or(requirement.reason.as_deref())
                .unwrap_or("");
            writeln!(
                out,
                "  {:<24} {:<8} {}",
                requirement.id,
                if requirement.met { "met" } else { "not met" },
                cut(detail, REASON_WIDTH)
            )?;
        }
    }

    writeln!(out, "\nRecognition")?;
    for outcome in &a.recognition {
        writeln!(
            out,
            "  {:<20} {:<8} {:<8} {}",
            outcome.arrangement,
            outcome.direction,
            if outcome.applies { "applies" } else { "no" },
            cut(&outcome.reason, REASON_WIDTH)
        )?;
    }

    if !a.market_access.is_empty() {
        writeln!(out, "\nMarket access")?;
        for access in &a.market_access {
            writeln!(
                out,
                "  may be sold in {}: {}. {}",
                access.market,
                if access.allowed { "yes" } else { "no" },
                access.reason
            )?;
        }
    }

    writeln!(out, "\nLabel")?;
    match (&a.label, &a.label_refused) {
        (Some(label), _) => writeln!(
            out,
            "  if issued on {}: level {}, valid until {} (limited by {})",
            label.valid_from, label.level, label.valid_until, label.limited_by
        )?,
        (None, Some(reason)) => writeln!(out, "  none: {reason}")?,
        (None, None) => writeln!(out, "  none")?,
    }
    for note in &a.notes {
        writeln!(out, "\nNote: {note}")?;
    }
    Ok(())
}
