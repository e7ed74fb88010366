//! `iotlabel scan <image>`: unpack a firmware image in memory, run every check, and print the
//! findings grouped by EN 303 645 provision (or JSON, SARIF, CycloneDX).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use iotlabel_core::report::{CheckOutcome, Location, Report, Severity};
use iotlabel_core::{Catalog, ProvisionId};
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
    fn severity(self) -> Severity {
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
        Format::Text => text(catalog, &report),
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

fn where_found(location: &Location) -> String {
    match location {
        Location::Firmware(firmware) if firmware.path.is_empty() => {
            format!("the image ({})", firmware.containers.join(" > "))
        }
        Location::Firmware(firmware) => {
            format!("{} ({})", firmware.path, firmware.containers.join(" > "))
        }
        Location::Device(device) => device.host.clone(),
    }
}

/// The text report: what was unpacked, findings grouped by provision, the checks that ran.
pub fn text(catalog: &Catalog, report: &Report) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_text(&mut out, catalog, report);
    out
}

fn write_text(out: &mut String, catalog: &Catalog, report: &Report) -> std::fmt::Result {
    let (name, size) = match &report.target {
        iotlabel_core::report::Target::Firmware { name, size, .. } => (name.clone(), *size),
        iotlabel_core::report::Target::Device { host, .. } => (host.clone(), 0),
    };
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    match &report.stats {
        Some(stats) => writeln!(
            out,
            "{name}: {:.1} MiB scanned in {:.1} s; {} files, {:.1} MiB unpacked",
            mib(size),
            stats.seconds,
            stats.files,
            mib(stats.bytes_unpacked)
        )?,
        None => writeln!(out, "{name}")?,
    }
    if let Some(root) = &report.unpacked {
        write_tree(out, root, 1)?;
    }

    let standard = catalog.canonical_standard();
    let mut by_provision: BTreeMap<ProvisionId, Vec<&iotlabel_core::Finding>> = BTreeMap::new();
    for finding in &report.findings {
        for provision in &finding.provisions {
            by_provision
                .entry(provision.clone())
                .or_default()
                .push(finding);
        }
    }
    let weaknesses = report.findings.iter().filter(|f| f.is_weakness()).count();
    writeln!(
        out,
        "\nFindings: {weaknesses} weaknesses, {} inventory items",
        report.findings.len() - weaknesses
    )?;
    for (provision, findings) in &by_provision {
        let summary = standard
            .and_then(|s| s.provision(provision))
            .map(|p| p.summary.as_str())
            .unwrap_or("");
        writeln!(out, "\n{provision}  {summary}")?;
        for finding in findings {
            writeln!(
                out,
                "  {:<8} {:<34} {}\n           at {}",
                finding.severity.as_str().to_uppercase(),
                finding.check,
                finding.message,
                where_found(&finding.location)
            )?;
        }
    }

    writeln!(out, "\nChecks run ({})", report.checks.len())?;
    for check in &report.checks {
        let outcome = match check.outcome {
            CheckOutcome::Clean => "clean",
            CheckOutcome::Findings => "findings",
            CheckOutcome::Indeterminate => "indeterminate",
            CheckOutcome::Error => "error",
            CheckOutcome::Skipped => "skipped",
        };
        let detail = check
            .reason
            .as_deref()
            .or(check.coverage.as_deref())
            .unwrap_or("");
        writeln!(out, "  {outcome:<13} {:<34} {detail}", check.check)?;
    }
    if !report.components.is_empty() {
        let list: Vec<String> = report
            .components
            .iter()
            .map(|c| format!("{} {}", c.name, c.version))
            .collect();
        writeln!(out, "\nComponents ({}): {}", list.len(), list.join(", "))?;
    }
    if !report.diagnostics.is_empty() {
        writeln!(out, "\nDiagnostics ({})", report.diagnostics.len())?;
        for diagnostic in &report.diagnostics {
            if diagnostic.location.is_empty() {
                writeln!(out, "  {}", diagnostic.message)?;
            } else {
                writeln!(out, "  {}: {}", diagnostic.location, diagnostic.message)?;
            }
        }
    }
    writeln!(
        out,
        "\nA clean check means \"not found with this coverage\", not \"compliant\". Feed the JSON report to `iotlabel assess` as evidence."
    )
}

fn write_tree(
    out: &mut String,
    node: &iotlabel_core::report::UnpackedNode,
    depth: usize,
) -> std::fmt::Result {
    writeln!(
        out,
        "{}{} [{}] at 0x{:x}, {} bytes, {} entries",
        "  ".repeat(depth),
        node.name.as_deref().unwrap_or("-"),
        node.format,
        node.offset,
        node.size,
        node.entries
    )?;
    for child in &node.children {
        write_tree(out, child, depth + 1)?;
    }
    Ok(())
}
