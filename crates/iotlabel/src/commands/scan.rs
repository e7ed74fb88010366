//! `iotlabel scan <image>`: unpack a firmware image in memory, run every check, and print the
//! findings grouped by EN 303 645 provision (or JSON, SARIF, CycloneDX).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use iotlabel_core::Catalog;
use iotlabel_core::report::Severity;
use iotlabel_firmware::checks::CheckOptions;
use iotlabel_firmware::checks::vulndb::VulnDb;
use iotlabel_firmware::extract::{ExtractOptions, Progress};
use iotlabel_firmware::limits::Limits;
use iotlabel_firmware::scan::{ScanOptions, ScanProgress, scan};

/// Where the SARIF rules point for documentation of the checks.
const CHECKS_DOCUMENTATION: &str = "https://example.invalid/iotlabel/docs/checks";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The firmware image (any container, file system or compressed stream iotlabel knows).
    pub image: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with status 1 when a finding of this severity or worse is found (for CI pipelines).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// The offline vulnerability database written by `iotlabel vulndb import`.
    #[arg(long, value_name = "FILE", env = "IOTLABEL_VULNDB")]
    pub vulndb: Option<PathBuf>,
    /// Seconds allowed to crack each password hash against the default-credential lists.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub crack_budget: f64,
    /// Stop unpacking after this many bytes of output in total.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_total_bytes)]
    pub max_bytes: u64,
    /// Stop unpacking after this many files in total.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_files)]
    pub max_files: u64,
    /// How deep containers may nest.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: u32,
    /// The most a compressed stream may inflate per input byte before it counts as a bomb.
    #[arg(long, value_name = "RATIO", default_value_t = Limits::default().max_ratio)]
    pub max_ratio: u64,
    /// Do not search unrecognised data for embedded images.
    #[arg(long)]
    pub no_carve: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings grouped by provision, then the checks that ran.
    Text,
    /// The scan report of docs/contracts/report.md (what `iotlabel assess` reads).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.6 SBOM with vulnerabilities.
    Cyclonedx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityArg {
    pub fn severity(self) -> Severity {
        match self {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

pub fn run(catalog: &Catalog, args: ScanArgs) -> Result<ExitCode> {
    let data = std::fs::read(&args.image)
        .with_context(|| format!("cannot read firmware image {}", args.image.display()))?;
    let name = args
        .image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());
    let vulndb = match &args.vulndb {
        Some(path) => Some(Arc::new(VulnDb::load(path).with_context(|| {
            format!("cannot load the vulnerability database {} (write one with `iotlabel vulndb import`)", path.display())
        })?)),
        None => None,
    };
    if !args.crack_budget.is_finite() || args.crack_budget < 0.0 {
        anyhow::bail!("--crack-budget must be a number of seconds, 0 or more");
    }
    let options = ScanOptions {
        extract: ExtractOptions {
            limits: Limits {
                max_total_bytes: args.max_bytes,
                max_files: args.max_files,
                max_depth: args.max_depth,
                max_ratio: args.max_ratio,
            },
            carve: !args.no_carve,
        },
        checks: CheckOptions {
            crack_budget_per_hash: Duration::from_secs_f64(args.crack_budget),
            now: time::OffsetDateTime::now_utc(),
            vulndb,
        },
    };

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(data.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:40!} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let report = scan(&name, &data, &options, &mut |event| match event {
        ScanProgress::Extracting(Progress::Container {
            processed, name, ..
        }) => {
            bar.set_position(processed);
            bar.set_message(format!("unpacking {name}"));
        }
        ScanProgress::Extracting(_) => {}
        ScanProgress::Checking { files } => {
            bar.set_position(data.len() as u64);
            bar.set_message(format!("checking {files} files"));
        }
    });
    bar.finish_and_clear();

    let output = match args.format {
        Format::Text => crate::report_text::report(catalog, &report),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        Format::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&iotlabel_formats::sarif::sarif(
                &report,
                CHECKS_DOCUMENTATION
            ))?
        ),
        Format::Cyclonedx => format!(
            "{}\n",
            serde_json::to_string_pretty(&iotlabel_formats::cyclonedx::bom(&report))?
        ),
    };
    super::emit(args.out.as_deref(), &output)?;
    if let Some(threshold) = args.fail_on
        && report
            .findings
            .iter()
            .any(|f| f.severity >= threshold.severity())
    {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
