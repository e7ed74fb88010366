//! `iotlabel catalog list|show|export`: look at the rules and export them as OSCAL.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use iotlabel_core::catalog::recognition::Direction;
use iotlabel_core::{Catalog, Edition, ProvisionId};

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub command: CatalogCommand,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List one kind of rule, or give an overview of all of them.
    #[command(
        after_help = "Examples:\n  iotlabel catalog list\n  iotlabel catalog list provisions --edition v2.1.1\n  iotlabel catalog list arrangements"
    )]
    List {
        /// What to list; an overview when absent.
        #[arg(value_enum)]
        what: Option<What>,
        /// The EN 303 645 edition for provisions, conditions and features.
        #[arg(long, value_parser = parse_edition, default_value = "v3.1.3")]
        edition: Edition,
    },
    /// Show one rule by id: a provision (5.1-1), a category, scheme, regime, arrangement,
    /// partner, market rule or standard.
    #[command(
        after_help = "Examples:\n  iotlabel catalog show 5.1-1\n  iotlabel catalog show 5.6-4 --edition v2.1.1\n  iotlabel catalog show uk-psti-to-cls-l1 --json"
    )]
    Show {
        id: String,
        #[arg(long, value_parser = parse_edition, default_value = "v3.1.3")]
        edition: Edition,
        /// Print the rule as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the rules in a standard format.
    #[command(
        after_help = "Writes catalogs/<standard>/catalog.json and profiles/<name>/profile.json\n(one profile per CLS(IoT) level and one for UK PSTI), a compliance-trestle layout."
    )]
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The directory to write into (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum What {
    Provisions,
    Conditions,
    Features,
    Levels,
    Arrangements,
    Markets,
    Categories,
    Standards,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// OSCAL 1.2.1 catalogs and profiles.
    Oscal,
}

fn parse_edition(text: &str) -> Result<Edition, String> {
    Edition::ALL
        .into_iter()
        .find(|edition| {
            edition.as_str() == text || edition.as_str().trim_start_matches('v') == text
        })
        .ok_or_else(|| format!("unknown edition \"{text}\": use v2.1.1 or v3.1.3"))
}

pub fn run(catalog: &Catalog, args: CatalogArgs) -> Result<ExitCode> {
    match args.command {
        CatalogCommand::List { what, edition } => {
            print!("{}", list(catalog, what, edition)?);
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Show { id, edition, json } => {
            print!("{}", show(catalog, &id, edition, json)?);
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Export {
            format: ExportFormat::Oscal,
            out,
        } => {
            let files =
                iotlabel_formats::oscal::export_all(catalog, time::OffsetDateTime::now_utc())?;
            for (relative, document) in &files {
                let path = out.join(relative);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                let text = serde_json::to_string_pretty(document)?;
                std::fs::write(&path, text + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn standard(catalog: &Catalog, edition: Edition) -> Result<&iotlabel_core::catalog::Standard> {
    catalog
        .standard_for_edition(edition)
        .with_context(|| format!("the rules have no EN 303 645 {edition}"))
}

fn list(catalog: &Catalog, what: Option<What>, edition: Edition) -> Result<String> {
    let mut out = String::new();
    match what {
        None => {
            writeln!(out, "Standards")?;
            for standard in &catalog.standards {
                writeln!(
                    out,
                    "  {:<18} {} provisions  {}",
                    standard.id,
                    standard.provisions.len(),
                    standard.title
                )?;
            }
            for scheme in &catalog.schemes {
                writeln!(
                    out,
                    "Scheme {} ({} v{}, against {})",
                    scheme.short_name,
                    scheme.specification.document,
                    scheme.specification.version,
                    scheme.specification.standard
                )?;
                for level in &scheme.levels {
                    writeln!(
                        out,
                        "  level {} {:<5} {}",
                        level.level,
                        "*".repeat(level.level as usize),
                        level.summary
                    )?;
                }
            }
            for regime in &catalog.regimes {
                writeln!(
                    out,
                    "Regime {} (in force from {}): {} requirements, {} exceptions",
                    regime.short_name,
                    regime.in_force_from,
                    regime.requirements.len(),
                    regime.exceptions.len()
                )?;
            }
            writeln!(
                out,
                "Recognition arrangements: {} (iotlabel catalog list arrangements)",
                catalog.arrangements.len()
            )?;
            writeln!(
                out,
                "Market rules: {} (iotlabel catalog list markets)",
                catalog.markets.len()
            )?;
            writeln!(
                out,
                "Product categories: {} (iotlabel catalog list categories)",
                catalog.categories.len()
            )?;
        }
        Some(What::Provisions) => {
            let standard = standard(catalog, edition)?;
            writeln!(
                out,
                "{:<9} {:<15} {:<11} SUMMARY",
                "ID", "STATUS", "CONFIRMED"
            )?;
            for provision in &standard.provisions {
                let maps = if provision.maps_to.is_empty() {
                    String::new()
                } else {
                    format!(
                        " -> {}",
                        provision
                            .maps_to
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                writeln!(
                    out,
                    "{:<9} {:<15} {:<11} {}{maps}",
                    provision.id.as_str(),
                    provision.annex_b_status(),
                    if provision.status_confirmed {
                        "yes"
                    } else {
                        "unconfirmed"
                    },
                    provision.summary
                )?;
            }
        }
        Some(What::Conditions) => {
            let standard = standard(catalog, edition)?;
            for condition in &standard.conditions {
                writeln!(out, "{:>3}  {}", condition.id, condition.summary)?;
            }
        }
        Some(What::Features) => {
            let standard = standard(catalog, edition)?;
            if standard.features.is_empty() {
                writeln!(
                    out,
                    "EN 303 645 {edition} has no lettered features; see `iotlabel catalog list conditions --edition {edition}`"
                )?;
            }
            for feature in &standard.features {
                writeln!(out, "{:>3}  {}", feature.id, feature.summary)?;
            }
        }
        Some(What::Levels) => {
            for scheme in &catalog.schemes {
                for level in &scheme.levels {
                    writeln!(
                        out,
                        "{} level {} {}",
                        scheme.short_name,
                        level.level,
                        "*".repeat(level.level as usize)
                    )?;
                    writeln!(out, "  {}", level.summary)?;
                    let clauses = level
                        .provisions
                        .clauses
                        .as_ref()
                        .map(|c| c.join(", "))
                        .unwrap_or_else(|| "all clauses".into());
                    writeln!(
                        out,
                        "  provisions: every applicable {} provision of {clauses}{}",
                        level.provisions.status.as_str(),
                        if level.provisions_confirmed {
                            ""
                        } else {
                            " (our default; the scheme's list is not public)"
                        }
                    )?;
                    for requirement in &level.requirements {
                        let from = requirement
                            .from
                            .map(|d| format!(" (from {d})"))
                            .unwrap_or_default();
                        writeln!(
                            out,
                            "  requires {}: {}{from}",
                            requirement.id, requirement.summary
                        )?;
                    }
                }
            }
        }
        Some(What::Arrangements) => {
            writeln!(
                out,
                "{:<20} {:<9} {:<12} {:<12} GRANTS",
                "ID", "DIRECTION", "FROM", "UNTIL"
            )?;
            for arrangement in &catalog.arrangements {
                writeln!(
                    out,
                    "{:<20} {:<9} {:<12} {:<12} {}",
                    arrangement.id,
                    arrangement.direction.as_str(),
                    arrangement.effective_from.to_string(),
                    arrangement
                        .effective_until
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    arrangement.grants
                )?;
            }
        }
        Some(What::Markets) => {
            for market in &catalog.markets {
                writeln!(
                    out,
                    "{} ({}): {}",
                    market.id, market.market_name, market.summary
                )?;
                for phase in &market.phases {
                    writeln!(
                        out,
                        "  from {}: level {} ({:?}) {}",
                        phase.from, phase.needs_level, phase.applies_to, phase.summary
                    )?;
                }
            }
        }
        Some(What::Categories) => {
            writeln!(out, "{:<20} {:<32} NOTES", "ID", "NAME")?;
            for category in &catalog.categories {
                let mut notes = Vec::new();
                if let Some(exception) = &category.psti_exception {
                    notes.push(format!("excepted from UK PSTI ({exception})"));
                }
                if !category.cls_in_scope {
                    notes.push("outside CLS(IoT)".to_owned());
                }
                writeln!(
                    out,
                    "{:<20} {:<32} {}",
                    category.id,
                    category.name,
                    notes.join("; ")
                )?;
            }
        }
        Some(What::Standards) => {
            for standard in &catalog.standards {
                writeln!(
                    out,
                    "{:<18} {}  {}",
                    standard.id, standard.published, standard.title
                )?;
            }
        }
    }
    Ok(out)
}

fn show(catalog: &Catalog, id: &str, edition: Edition, json: bool) -> Result<String> {
    let to_json = |value: serde_json::Value| -> Result<String> {
        Ok(serde_json::to_string_pretty(&value)? + "\n")
    };
    if let Ok(provision_id) = id.parse::<ProvisionId>() {
        let standard = standard(catalog, edition)?;
        let Some(provision) = standard.provision(&provision_id) else {
            let hint = Catalog::closest(id, standard.provisions.iter().map(|p| p.id.as_str()))
                .map(|near| format!(" (did you mean {near}?)"))
                .unwrap_or_default();
            bail!(
                "{id} is not a provision of EN 303 645 {edition}{hint}; try --edition v2.1.1 for V2.1.1 numbering"
            );
        };
        if json {
            return to_json(serde_json::to_value(provision)?);
        }
        let mut out = String::new();
        let clause = standard
            .clause(&provision.clause)
            .map(|c| c.title.as_str())
            .unwrap_or("");
        writeln!(
            out,
            "{} (EN 303 645 {edition}), clause {} {clause}",
            provision.id, provision.clause
        )?;
        writeln!(
            out,
            "  status:   {}{}",
            provision.annex_b_status(),
            if provision.status_confirmed {
                ""
            } else {
                "  (unconfirmed)"
            }
        )?;
        writeln!(out, "  sources:  {}", provision.status_sources)?;
        writeln!(out, "  summary:  {}", provision.summary)?;
        for condition in &provision.conditions {
            let text = standard
                .condition(*condition)
                .map(|c| c.summary.as_str())
                .unwrap_or("");
            writeln!(out, "  applies when condition {condition} holds: {text}")?;
        }
        for feature in &provision.features {
            let text = standard
                .feature(feature)
                .map(|f| f.summary.as_str())
                .unwrap_or("");
            writeln!(out, "  applies when feature {feature} is present: {text}")?;
        }
        if !provision.maps_to.is_empty() {
            writeln!(
                out,
                "  became:   {}",
                provision
                    .maps_to
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        for scheme in &catalog.schemes {
            let levels: Vec<String> = scheme
                .levels
                .iter()
                .filter(|level| {
                    scheme.specification.standard == standard.id
                        && level.provisions.selects(&provision.id, provision.status)
                })
                .map(|level| level.level.to_string())
                .collect();
            if !levels.is_empty() {
                writeln!(
                    out,
                    "  needed for {} level(s): {}",
                    scheme.short_name,
                    levels.join(", ")
                )?;
            }
        }
        writeln!(
            out,
            "  text:     {} (ETSI's text is not reproduced here)",
            standard.url
        )?;
        return Ok(out);
    }
    if let Some(category) = catalog.category(id) {
        return if json {
            to_json(serde_json::to_value(category)?)
        } else {
            Ok(format!(
                "{} ({})\n  {}\n  typical ICS: conditions {:?}, features {}\n  UK PSTI: {}\n  CLS(IoT): {}\n",
                category.name,
                category.id,
                category.summary,
                category.ics_conditions,
                category.ics_features.join(" "),
                category
                    .psti_exception
                    .as_deref()
                    .map(|e| format!("excepted ({e})"))
                    .unwrap_or_else(|| "in scope".into()),
                if category.cls_in_scope {
                    "in scope"
                } else {
                    "not labelled"
                }
            ))
        };
    }
    if let Some(arrangement) = catalog.arrangement(id) {
        if json {
            return to_json(serde_json::to_value(arrangement)?);
        }
        let mut out = String::new();
        let partner = catalog
            .partner(&arrangement.partner)
            .map(|p| p.name.as_str())
            .unwrap_or(&arrangement.partner);
        writeln!(
            out,
            "{} ({} with {partner})",
            arrangement.id,
            arrangement.direction.as_str()
        )?;
        writeln!(
            out,
            "  in effect: {} to {}",
            arrangement.effective_from,
            arrangement
                .effective_until
                .map(|d| d.to_string())
                .unwrap_or_else(|| "open-ended".into())
        )?;
        writeln!(out, "  grants:    {}", arrangement.grants)?;
        let levels = arrangement
            .cls_levels
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        match arrangement.direction {
            Direction::Inbound => writeln!(
                out,
                "  accepts:   {:?} {} -> CLS level {levels}",
                arrangement.accepts,
                arrangement.partner_levels.join(", ")
            )?,
            Direction::Outbound => writeln!(out, "  for CLS levels: {levels}")?,
        }
        writeln!(out, "  review:    {:?}", arrangement.review)?;
        if !arrangement.required_evidence.is_empty() {
            writeln!(
                out,
                "  evidence:  {}",
                arrangement
                    .required_evidence
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        if !arrangement.excluded_categories.is_empty() {
            writeln!(
                out,
                "  excluded:  {}",
                arrangement.excluded_categories.join(", ")
            )?;
        }
        if !arrangement.requirements_confirmed {
            writeln!(
                out,
                "  note:      what this route requires is not public; the evidence above is our default"
            )?;
        }
        writeln!(out, "  sources:   {}", arrangement.sources.join("; "))?;
        return Ok(out);
    }
    let value = if let Some(scheme) = catalog.scheme(id) {
        serde_json::to_value(scheme)?
    } else if let Some(regime) = catalog.regime(id) {
        serde_json::to_value(regime)?
    } else if let Some(partner) = catalog.partner(id) {
        serde_json::to_value(partner)?
    } else if let Some(market) = catalog.market(id) {
        serde_json::to_value(market)?
    } else if let Some(standard) = catalog.standard(id) {
        let mut summary = serde_json::to_value(standard)?;
        if let Some(object) = summary.as_object_mut() {
            object.remove("provisions");
            object.insert("provision_count".into(), standard.provisions.len().into());
        }
        summary
    } else {
        let ids = catalog
            .categories
            .iter()
            .map(|c| c.id.as_str())
            .chain(catalog.arrangements.iter().map(|a| a.id.as_str()))
            .chain(catalog.schemes.iter().map(|s| s.id.as_str()))
            .chain(catalog.regimes.iter().map(|r| r.id.as_str()))
            .chain(catalog.partners.iter().map(|p| p.id.as_str()))
            .chain(catalog.markets.iter().map(|m| m.id.as_str()));
        let hint = Catalog::closest(id, ids)
            .map(|near| format!(" (did you mean {near}?)"))
            .unwrap_or_default();
        bail!("nothing in the rules has id \"{id}\"{hint}: see `iotlabel catalog list`");
    };
    // Schemes, regimes, partners, markets and standards are shown as JSON: they are tables.
    to_json(value)
}
