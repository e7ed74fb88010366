//! `iotlabel probe <targets>`: check live devices the user names and print the findings grouped
//! by provision (or the JSON report, or SARIF). One report per host.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use iotlabel_core::Catalog;
use iotlabel_probe::{
    CredentialList, ProbeOptions, ProgressEvent, ServiceKind, parse_ports, parse_targets,
};

use super::scan::SeverityArg;

const CHECKS_DOCUMENTATION: &str = "https://example.invalid/iotlabel/docs/probe";

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Hosts to probe: host, host:port, [v6]:port or a CIDR (at most 1024 hosts), comma- or
    /// space-separated.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// TCP ports to scan, e.g. 22,23,80,8000-8010 (default: the usual IoT ports).
    #[arg(long, value_name = "LIST")]
    pub ports: Option<String>,
    /// Force a protocol on a port, e.g. 2323=telnet (repeatable).
    #[arg(long, value_name = "PORT=NAME")]
    pub service: Vec<String>,
    /// Connections per service.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Seconds allowed for every connect, read and write.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// The manufacturer's security.txt URL to fetch and check against RFC 9116.
    #[arg(long, value_name = "URL")]
    pub security_txt: Option<String>,
    /// Also try the RouterSploit default list (653 pairs) besides the Mirai list.
    #[arg(long)]
    pub extended_credentials: bool,
    /// Test brute-force resistance with repeated failed logins (can lock accounts: off unless asked).
    #[arg(long)]
    pub brute_force: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with status 1 when a finding of this severity or worse is found.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    /// The report of docs/contracts/report.md (an array when several hosts are probed).
    Json,
    Sarif,
}

pub fn run(catalog: &Catalog, args: ProbeArgs) -> Result<ExitCode> {
    let targets = parse_targets(&args.targets.join(",")).context("cannot use the targets")?;
    if targets.is_empty() {
        bail!("name at least one target: host, host:port or CIDR");
    }
    if !args.timeout.is_finite() || args.timeout <= 0.0 {
        bail!("--timeout must be a positive number of seconds");
    }
    let mut options = ProbeOptions {
        concurrency: args.concurrency.max(1),
        timeout: Duration::from_secs_f64(args.timeout),
        security_txt_url: args.security_txt.clone(),
        now: Some(time::OffsetDateTime::now_utc()),
        ..ProbeOptions::default()
    };
    if !args.brute_force {
        options.brute_force_attempts = 0;
    }
    if args.extended_credentials {
        options.credentials = CredentialList::bundled_extended();
    }
    if let Some(ports) = &args.ports {
        options.ports = parse_ports(ports).context("cannot use --ports")?;
    }
    for service in &args.service {
        let parsed = service
            .split_once('=')
            .and_then(|(port, name)| Some((port.parse().ok()?, ServiceKind::from_name(name)?)));
        match parsed {
            Some(pair) => options.services.push(pair),
            None => bail!("--service wants PORT=NAME with a known protocol name, got {service}"),
        }
    }

    let spinner = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let mut reports = Vec::new();
    for target in &targets {
        let report = iotlabel_probe::probe(target, &options, &mut |event| {
            let message = match event {
                ProgressEvent::PortsScanned { open, scanned } => {
                    format!("{}: {} of {scanned} ports open", target.host, open.len())
                }
                ProgressEvent::ServiceIdentified { port, service, .. } => {
                    format!("{}:{port} is {service}", target.host)
                }
                ProgressEvent::CheckStarted { check, port } => {
                    format!(
                        "{} {check}{}",
                        target.host,
                        port.map(|p| format!(" on {p}")).unwrap_or_default()
                    )
                }
                ProgressEvent::CheckFinished { check, outcome, .. } => {
                    format!("{} {check}: {outcome}", target.host)
                }
            };
            spinner.set_message(message);
        });
        reports.push(report);
    }
    spinner.finish_and_clear();

    let output = match args.format {
        Format::Text => reports
            .iter()
            .map(|r| crate::report_text::report(catalog, r))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json if reports.len() == 1 => {
            format!("{}\n", serde_json::to_string_pretty(&reports[0])?)
        }
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&reports)?),
        Format::Sarif => {
            let mut logs = reports
                .iter()
                .map(|r| iotlabel_formats::sarif::sarif(r, CHECKS_DOCUMENTATION));
            let mut combined = logs.next().unwrap_or_default();
            for log in logs {
                if let (Some(runs), Some(more)) =
                    (combined["runs"].as_array_mut(), log["runs"].as_array())
                {
                    runs.extend(more.iter().cloned());
                }
            }
            format!("{}\n", serde_json::to_string_pretty(&combined)?)
        }
    };
    super::emit(args.out.as_deref(), &output)?;
    if let Some(threshold) = args.fail_on
        && reports
            .iter()
            .flat_map(|r| &r.findings)
            .any(|f| f.severity >= threshold.severity())
    {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
