//! The whole scan of one image: extract it, run every check over what it holds, identify
//! components, and write the report envelope of docs/contracts/report.md.

use std::time::Instant;

use iotlabel_core::report::{Report, ScanStats, Target, Tool};
use sha2::{Digest, Sha256};

use crate::checks::{self, Analysis, CheckInput, CheckOptions, Filesystem};
use crate::extract::{self, ExtractOptions, Progress};

/// Everything a scan can be told.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub extract: ExtractOptions,
    pub checks: CheckOptions,
}

/// What a scan is doing, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanProgress {
    Extracting(Progress),
    /// Extraction is done; the checks run over `files` files.
    Checking {
        files: u64,
    },
}

/// Scans the image `data` named `name`. Never fails: what could not be read is in the
/// report's diagnostics, a check that crashed is an `error` entry of its checks-run list.
pub fn scan(
    name: &str,
    data: &[u8],
    options: &ScanOptions,
    progress: &mut dyn FnMut(ScanProgress),
) -> Report {
    let started = time::OffsetDateTime::now_utc();
    let timer = Instant::now();
    let extraction = extract::extract(name, data, &options.extract, &mut |event| {
        progress(ScanProgress::Extracting(event))
    });
    progress(ScanProgress::Checking {
        files: extraction.files,
    });
    let filesystems: Vec<Filesystem<'_>> = extraction
        .filesystems
        .iter()
        .map(|fs| Filesystem {
            containers: fs.containers.clone(),
            tree: &fs.tree,
        })
        .collect();
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options.checks,
    };
    // One shared analysis for the checks and the report's components: identified once.
    let analysis = Analysis::new(&filesystems);
    let (findings, checks) = checks::run_checks_with(checks::CHECKS, &input, &analysis);
    let components = match analysis.components() {
        Ok(instances) => checks::components::report_components(instances, &filesystems),
        Err(_) => Vec::new(),
    };
    let seconds = timer.elapsed().as_secs_f64();
    Report {
        schema_version: iotlabel_core::SCHEMA_VERSION,
        tool: Tool {
            name: "iotlabel".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target: Target::Firmware {
            name: name.to_owned(),
            size: data.len() as u64,
            sha256: hex::encode(Sha256::digest(data)),
        },
        started,
        finished: time::OffsetDateTime::now_utc(),
        findings,
        checks,
        diagnostics: extraction.diagnostics,
        components,
        unpacked: Some(extraction.root),
        stats: Some(ScanStats {
            bytes_in: extraction.bytes_in,
            bytes_unpacked: extraction.bytes_unpacked,
            files: extraction.files,
            seconds,
        }),
    }
}
