//! The text form of a scan or probe report: what was examined, findings grouped by EN 303 645
//! provision, the checks that ran with their coverage, components and diagnostics.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iotlabel_core::report::{CheckOutcome, Location, Report, Target};
use iotlabel_core::{Catalog, ProvisionId};

fn where_found(location: &Location) -> String {
    match location {
        Location::Firmware(firmware) if firmware.path.is_empty() => {
            format!("the image ({})", firmware.containers.join(" > "))
        }
        Location::Firmware(firmware) => {
            format!("{} ({})", firmware.path, firmware.containers.join(" > "))
        }
        Location::Device(device) => {
            let port = device.port.map(|p| format!(":{p}")).unwrap_or_default();
            let service = device
                .service
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            format!("{}{port}{service}", device.host)
        }
    }
}

/// The text report: what was unpacked, findings grouped by provision, the checks that ran.
pub fn report(catalog: &Catalog, report: &Report) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_text(&mut out, catalog, report);
    out
}

fn write_text(out: &mut String, catalog: &Catalog, report: &Report) -> std::fmt::Result {
    let (name, size) = match &report.target {
        Target::Firmware { name, size, .. } => (name.clone(), *size),
        Target::Device { host, ports } => {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            writeln!(
                out,
                "{host}: ports examined {}",
                if ports.is_empty() {
                    "none".to_owned()
                } else {
                    ports.join(", ")
                }
            )?;
            (host.clone(), 0)
        }
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
        None if matches!(report.target, Target::Firmware { .. }) => writeln!(out, "{name}")?,
        None => {}
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
