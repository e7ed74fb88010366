//! `iotlabel assess <dossier>`: run the engine and print the result as text, JSON or OSCAL.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use iotlabel_core::engine::{self, AssessError, EngineInput};
use iotlabel_core::{Catalog, Date};

use crate::{load, text};

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The dossier, TOML or JSON (see docs/contracts/dossier.md and examples/).
    pub dossier: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Assess as of this date (YYYY-MM-DD) instead of the dossier's assessed_on or today.
    #[arg(long, value_name = "DATE")]
    pub on: Option<Date>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with status 1 when the target level is not attained (for CI pipelines).
    #[arg(long)]
    pub check: bool,
    /// Text format: a row for every provision, passes included.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A verdict table and the blocking items, for people.
    Text,
    /// The assessment JSON of docs/contracts/assessment.md.
    Json,
    /// OSCAL 1.2.1 assessment results.
    Oscal,
}

pub fn run(catalog: &Catalog, args: AssessArgs) -> Result<ExitCode> {
    let loaded = load::dossier(catalog, &args.dossier)?;
    let on = load::assessment_date(args.on, &loaded.dossier);
    let assessment = engine::assess(
        catalog,
        EngineInput {
            dossier: &loaded.dossier,
            reports: &loaded.reports,
            on,
        },
    )
    .map_err(|error| match error {
        AssessError::InvalidDossier(problems) => anyhow::anyhow!(
            "{}",
            problems
                .iter()
                .map(|p| format!("{}: {p}", args.dossier.display()))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        AssessError::Catalog(message) => {
            anyhow::anyhow!("the rules catalog is inconsistent: {message}")
        }
    })?;
    let output = match args.format {
        Format::Text => text::assessment(catalog, &assessment, text::TextOptions { all: args.all }),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&assessment)?),
        Format::Oscal => {
            let document = iotlabel_formats::oscal::assessment_results(
                &assessment,
                time::OffsetDateTime::now_utc(),
            )?;
            format!("{}\n", serde_json::to_string_pretty(&document)?)
        }
    };
    super::emit(args.out.as_deref(), &output)?;
    if args.check && assessment.level_attained < assessment.target_level {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
