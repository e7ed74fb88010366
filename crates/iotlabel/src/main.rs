//! The `iotlabel` command line: a thin clap front end over the core crates.

mod commands;
mod load;
mod report_text;
mod text;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run a consumer-IoT cybersecurity labelling scheme (Singapore CLS(IoT), ETSI EN 303 645, UK PSTI).
#[derive(Debug, Parser)]
#[command(name = "iotlabel", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Read the rules from this directory (laid out like the project's data/ folder) instead of
    /// the rules built into this binary.
    #[arg(long, global = true, value_name = "DIR", env = "IOTLABEL_CATALOG")]
    catalog: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List, show and export the rules: standards, scheme levels, UK PSTI, recognition
    /// arrangements, market rules and product categories.
    Catalog(commands::catalog::CatalogArgs),
    /// Assess a product dossier: verdicts per provision, the level attained and what blocks the
    /// next one, UK PSTI status, recognition, market access and label validity.
    #[command(
        after_help = "Examples:\n  iotlabel assess examples/wifi-router.toml\n  iotlabel assess examples/ip-camera.toml --format json --on 2026-06-01\n  iotlabel assess dossier.json --format oscal --out results.json\n  iotlabel assess dossier.toml --check   # exit 1 unless the target level is attained"
    )]
    Assess(commands::assess::AssessArgs),
    /// Write a UK PSTI statement of compliance from a dossier, or list the fields it lacks.
    #[command(name = "psti-statement")]
    PstiStatement(commands::psti_statement::PstiStatementArgs),
    /// Unpack a firmware image in memory and check it: default passwords, hard-coded keys,
    /// services at boot, components and known vulnerabilities, binary hardening, disclosure.
    #[command(
        after_help = "Examples:\n  iotlabel scan router.bin\n  iotlabel scan router.bin --format json --out scan.json   # evidence for iotlabel assess\n  iotlabel scan router.bin --format sarif --fail-on high\n  iotlabel scan router.bin --format cyclonedx --vulndb vulndb.json\n\nExit status: 0 done, 1 a finding at or above --fail-on, 2 the image or an option could not be used."
    )]
    Scan(commands::scan::ScanArgs),
    /// Build the offline vulnerability database `iotlabel scan --vulndb` uses.
    Vulndb(commands::vulndb::VulndbArgs),
    /// Check a live device you name: open services, default credentials (with proof), TLS,
    /// plaintext admin interfaces, exposed configuration, the security.txt disclosure policy.
    #[command(
        after_help = "Examples:\n  iotlabel probe 127.0.0.1 --ports 22,23,80\n  iotlabel probe 10.0.0.7:8080 --service 8080=http --format json --out probe.json\n  iotlabel probe camera.lan --security-txt https://vendor.example/.well-known/security.txt\n\nOnly the targets you name are contacted, with a few connections per service and a timeout\non every step. Exit status: 0 done, 1 a finding at or above --fail-on, 2 bad arguments."
    )]
    Probe(commands::probe::ProbeArgs),
    /// Run the registry: applications, reviews, signed labels, the public registry API and the
    /// transparency log. With no options: SQLite file iotlabel.sqlite and a signing key created
    /// here, listening on 127.0.0.1:8080; DATABASE_URL=postgres://... for PostgreSQL.
    #[command(
        after_help = "Examples:\n  iotlabel serve --demo\n  DATABASE_URL=postgres://iotlabel@db/iotlabel iotlabel serve --bind 0.0.0.0:8080 --public-url https://registry.example"
    )]
    Serve(commands::registry::ServeArgs),
    /// Run background jobs (scans, re-assessments, expiry, checkpoints) for a registry database
    /// shared with other servers and workers.
    Worker(commands::registry::WorkerArgs),
    /// Registry administration: accounts.
    Admin(commands::registry::AdminArgs),
    /// The registry's transparency log.
    Log(commands::registry::LogArgs),
    /// Verify a label: a credential file (signature offline with --key) or a label id looked
    /// up in --registry, with the live status when a registry is given.
    #[command(
        after_help = "Examples:\n  iotlabel verify label.json --key z6Mk...\n  iotlabel verify label.json --registry https://registry.example\n  iotlabel verify CSA/311228/000123 --registry https://registry.example\n\nExit status: 0 valid, 1 not valid (bad signature, suspended, revoked, expired), 2 bad input."
    )]
    Verify(commands::registry::VerifyArgs),
    /// Apply for a label: create the application from a dossier in a registry, upload the
    /// evidence files it names, print the level and what blocks it (API token in IOTLABEL_TOKEN).
    #[command(
        after_help = "Example:\n  IOTLABEL_TOKEN=iotl_... iotlabel apply examples/wifi-router.toml --registry https://registry.example --lab 3 --submit"
    )]
    Apply(commands::registry::ApplyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = load::catalog(cli.catalog.as_deref()).and_then(|catalog| match cli.command {
        Command::Catalog(args) => commands::catalog::run(&catalog, args),
        Command::Assess(args) => commands::assess::run(&catalog, args),
        Command::PstiStatement(args) => commands::psti_statement::run(&catalog, args),
        Command::Scan(args) => commands::scan::run(&catalog, args),
        Command::Vulndb(args) => commands::vulndb::run(args),
        Command::Probe(args) => commands::probe::run(&catalog, args),
        Command::Serve(args) => commands::registry::serve(args),
        Command::Worker(args) => commands::registry::worker(args),
        Command::Admin(args) => commands::registry::admin(args),
        Command::Log(args) => commands::registry::log(args),
        Command::Verify(args) => commands::registry::verify(args),
        Command::Apply(args) => commands::registry::apply(&catalog, args),
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
