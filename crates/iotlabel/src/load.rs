//! Reading what the user names: the rules catalog, a dossier and the reports it attaches.
//! Every error says which file and key, and what to do.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use iotlabel_core::catalog::DataSource;
use iotlabel_core::document::DocumentFormat;
use iotlabel_core::dossier::EvidenceKind;
use iotlabel_core::engine::AttachedReport;
use iotlabel_core::{Catalog, Date, Dossier, Report};

/// The embedded rules, or the rules in `dir`.
pub fn catalog(dir: Option<&Path>) -> Result<Catalog> {
    let Some(dir) = dir else {
        return Catalog::embedded().map_err(|errors| anyhow::anyhow!("{errors}"));
    };
    let mut sources = Vec::new();
    collect_rule_files(dir, dir, &mut sources)
        .with_context(|| format!("cannot read the rules directory {}", dir.display()))?;
    if sources.is_empty() {
        bail!(
            "{} holds no .toml rule files: point --catalog at a copy of the project's data/ folder",
            dir.display()
        );
    }
    Catalog::from_sources(&sources).map_err(|errors| anyhow::anyhow!("{errors}"))
}

fn collect_rule_files(
    root: &Path,
    dir: &Path,
    sources: &mut Vec<DataSource>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            // Only the rule folders; data/credentials and others are not rules.
            let name = entry.file_name();
            if ["standards", "schemes", "regimes", "recognition", "markets"]
                .iter()
                .any(|n| name == *n)
            {
                collect_rule_files(root, &path, sources)?;
            }
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            sources.push(DataSource {
                path: relative,
                text: fs::read_to_string(&path)?,
            });
        }
    }
    Ok(())
}

/// A dossier read, parsed and validated, with its attached reports.
#[derive(Debug)]
pub struct LoadedDossier {
    pub dossier: Dossier,
    pub reports: Vec<AttachedReport>,
}

/// Reads `path` (TOML, or JSON when it ends in .json), validates it against the catalog, and
/// reads the scan and probe reports it attaches. Paths inside are relative to its folder.
pub fn dossier(catalog: &Catalog, path: &Path) -> Result<LoadedDossier> {
    let shown = path.display().to_string();
    let text = fs::read_to_string(path).with_context(|| format!("cannot read dossier {shown}"))?;
    let format = DocumentFormat::from_file_name(&shown);
    let dossier =
        Dossier::parse(&text, format).map_err(|error| anyhow::anyhow!("{shown}: {error}"))?;
    if let Err(problems) = dossier.validate(catalog) {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {shown}: {p}")).collect();
        bail!(
            "the dossier has {} problem(s):\n{}",
            problems.len(),
            lines.join("\n")
        );
    }
    let folder = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut reports = Vec::new();
    let mut missing = Vec::new();
    for (index, item) in dossier.evidence.iter().enumerate() {
        let Some(file) = &item.file else { continue };
        let full = folder.join(file);
        if !full.is_file() {
            missing.push(format!(
                "  {shown}: evidence[{index}].file: {} does not exist (paths are relative to the dossier's folder {})",
                full.display(),
                folder.display()
            ));
            continue;
        }
        if matches!(
            item.kind,
            EvidenceKind::ScanReport | EvidenceKind::ProbeReport
        ) {
            let text = fs::read_to_string(&full)
                .with_context(|| format!("cannot read {}", full.display()))?;
            let report = Report::from_json(&text).map_err(|error| {
                anyhow::anyhow!(
                    "{}: {error} (evidence[{index}] of {shown} must be a JSON report written by iotlabel scan or probe)",
                    full.display()
                )
            })?;
            reports.push(AttachedReport {
                evidence_id: item.id.clone(),
                file: file.clone(),
                report,
            });
        }
    }
    if !missing.is_empty() {
        bail!(
            "the dossier names {} missing file(s):\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
    Ok(LoadedDossier { dossier, reports })
}

/// The assessment date: `--on`, else the dossier's `assessed_on`, else today (UTC).
pub fn assessment_date(on: Option<Date>, dossier: &Dossier) -> Date {
    on.or(dossier.assessed_on)
        .unwrap_or_else(|| Date::from_time(time::OffsetDateTime::now_utc().date()))
}
