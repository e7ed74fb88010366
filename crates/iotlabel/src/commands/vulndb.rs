//! `iotlabel vulndb import`: build the offline vulnerability database that `iotlabel scan
//! --vulndb` matches components against, from OSV and CVE JSON 5 files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use iotlabel_firmware::checks::vulndb;

#[derive(Debug, Args)]
pub struct VulndbArgs {
    #[command(subcommand)]
    pub command: VulndbCommand,
}

#[derive(Debug, Subcommand)]
pub enum VulndbCommand {
    /// Read OSV and CVE JSON 5 records (files, or folders searched for *.json) and write the
    /// database: only records about components iotlabel can identify are kept.
    #[command(
        after_help = "Example:\n  iotlabel vulndb import osv-dumps/ cvelistV5/cves/2024/ --out vulndb.json"
    )]
    Import {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub fn run(args: VulndbArgs) -> Result<ExitCode> {
    match args.command {
        VulndbCommand::Import { inputs, out } => {
            let database = vulndb::import_paths(&inputs)?;
            database.save(&out)?;
            let summary = database.summary();
            println!(
                "read {} files, {} records: kept {}, unmapped {}, withdrawn {}, other files {}; wrote {}",
                summary.files,
                summary.records,
                summary.kept,
                summary.unmapped,
                summary.withdrawn,
                summary.other_files,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
