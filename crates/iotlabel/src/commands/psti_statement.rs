//! `iotlabel psti-statement <dossier>`: a UK PSTI statement of compliance, or the missing fields.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use iotlabel_core::Catalog;
use iotlabel_core::psti_statement;

use crate::load;

#[derive(Debug, Args)]
pub struct PstiStatementArgs {
    /// The dossier, TOML or JSON; the statement's own fields go in its [psti_statement] table.
    pub dossier: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Html,
}

pub fn run(catalog: &Catalog, args: PstiStatementArgs) -> Result<ExitCode> {
    let loaded = load::dossier(catalog, &args.dossier)?;
    match psti_statement::build(catalog, "uk-psti", &loaded.dossier) {
        Ok(statement) => {
            let text = match args.format {
                Format::Markdown => iotlabel_formats::psti_statement::markdown(&statement),
                Format::Html => iotlabel_formats::psti_statement::html(&statement),
            };
            super::emit(args.out.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(missing) if missing.is_empty() => {
            anyhow::bail!("the rules catalog has no uk-psti regime")
        }
        Err(missing) => {
            eprintln!(
                "{}: {}",
                args.dossier.display(),
                iotlabel_formats::psti_statement::missing_fields_message(&missing)
            );
            Ok(ExitCode::from(1))
        }
    }
}
