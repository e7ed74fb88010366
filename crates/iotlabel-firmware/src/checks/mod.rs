//! Checks over an unpacked image. One file per check with its metadata next to its logic, and
//! one line in [`CHECKS`]. A check reports, it does not fail: a panic inside one is caught and
//! reported as an `error` outcome for that check alone. What several checks need (the byte
//! scan of every file, parsed account files, component identification) is computed once per
//! run in [`analysis::Analysis`], which every check receives next to its input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use iotlabel_core::ProvisionId;
use iotlabel_core::report::{
    CheckOutcome, CheckRun, Finding, FirmwareLocation, Location, Severity,
};

use crate::vfs::Tree;

pub use analysis::Analysis;

pub mod analysis;
pub mod certificates;
pub mod component_signatures;
pub mod components;
pub mod credentials;
pub mod disclosure;
pub mod hardening;
pub mod password_hash;
pub mod secrets;
pub mod services;
pub mod version;
pub mod vulndb;

/// What a check is, for reports and generated docs.
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable id, e.g. `credentials.default-password`.
    pub id: &'static str,
    /// Canonical (EN 303 645 V3.1.3) provision ids its findings are evidence against.
    pub provisions: &'static [&'static str],
    /// The severity of a typical finding (a finding may set its own).
    pub severity: Severity,
    pub title: &'static str,
    /// Why the finding matters, in a sentence or two.
    pub rationale: &'static str,
}

/// One unpacked file system or archive, with the chain of containers it came from.
#[derive(Debug)]
pub struct Filesystem<'a> {
    pub containers: Vec<String>,
    pub tree: &'a Tree,
}

impl Filesystem<'_> {
    /// The finding location of `path` in this file system.
    pub fn location(&self, path: &str) -> Location {
        Location::Firmware(FirmwareLocation {
            containers: self.containers.clone(),
            path: path.to_owned(),
        })
    }
}

/// Settings that checks share. Extend with what a check needs; keep defaults sensible.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Time allowed to crack one password hash against the default-credential lists.
    pub crack_budget_per_hash: Duration,
    /// "Now" for expiry checks (certificates, end-of-life dates), passed in: checks read no clock.
    pub now: time::OffsetDateTime,
    /// The offline vulnerability database; `None` skips `components.vulnerable`.
    pub vulndb: Option<std::sync::Arc<vulndb::VulnDb>>,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            crack_budget_per_hash: Duration::from_secs(2),
            now: time::OffsetDateTime::UNIX_EPOCH,
            vulndb: None,
        }
    }
}

/// Everything a check looks at.
#[derive(Debug)]
pub struct CheckInput<'a> {
    pub filesystems: &'a [Filesystem<'a>],
    pub options: &'a CheckOptions,
}

/// What a check concluded.
#[derive(Debug, Default)]
pub struct CheckOutput {
    pub findings: Vec<Finding>,
    /// What was covered, e.g. "3 accounts, 714 candidates each"; required for a clean outcome.
    pub coverage: Option<String>,
    /// `None` = derived: `findings` if there are findings, else `clean`.
    pub outcome: Option<CheckOutcome>,
    /// Why the outcome is indeterminate, error or skipped.
    pub reason: Option<String>,
}

/// A check: its metadata and its logic. The logic reads the input and, for what other checks
/// need too, the run's shared [`Analysis`] of that input.
#[derive(Debug)]
pub struct Check {
    pub meta: CheckMeta,
    pub run: fn(&CheckInput<'_>, &Analysis<'_>) -> CheckOutput,
}

/// Every check. One line per check.
pub const CHECKS: &[&Check] = &[
    &credentials::DEFAULT_PASSWORD,
    &credentials::EMPTY_PASSWORD,
    &credentials::EXTRA_ROOT_ACCOUNT,
    &credentials::FIXED_CONFIG_PASSWORD,
    &credentials::WIFI_KEY,
    &secrets::PRIVATE_KEY,
    &secrets::API_TOKEN,
    &certificates::CERTIFICATE,
    &services::TELNET,
    &services::FTP,
    &services::TFTP,
    &services::SERIAL_SHELL,
    &services::DEBUG_DAEMON,
    &services::SSH_ROOT_PASSWORD,
    &disclosure::SECURITY_TXT,
    &disclosure::SUPPORT_PERIOD,
    &disclosure::MODEL_METADATA,
    &components::VULNERABLE,
    &components::END_OF_LIFE,
    &hardening::HARDENING,
];

impl CheckMeta {
    pub fn provision_ids(&self) -> Vec<ProvisionId> {
        self.provisions
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect()
    }
}

/// Runs every check in [`CHECKS`], isolating panics, and returns the findings and the
/// checks-run list of the report.
pub fn run_all(input: &CheckInput<'_>) -> (Vec<Finding>, Vec<CheckRun>) {
    run_checks(CHECKS, input)
}

/// Runs `checks` (a subset in tests) on every core: checks only read the trees, so they run
/// side by side; the results keep the order of `checks`. The shared analysis lives for this
/// call.
pub fn run_checks(checks: &[&Check], input: &CheckInput<'_>) -> (Vec<Finding>, Vec<CheckRun>) {
    run_checks_with(checks, input, &Analysis::new(input.filesystems))
}

/// [`run_checks`] with a shared analysis the caller keeps (to read the components it
/// identified, or to time its parts). An analysis of other file systems than
/// `input.filesystems` is not used: the checks then get a fresh one.
pub fn run_checks_with(
    checks: &[&Check],
    input: &CheckInput<'_>,
    analysis: &Analysis<'_>,
) -> (Vec<Finding>, Vec<CheckRun>) {
    if !analysis.is_of(input.filesystems) {
        return run_checks(checks, input);
    }
    let workers = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .min(checks.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<(Vec<Finding>, CheckRun)>> = Vec::new();
    results.resize_with(checks.len(), || None);
    let results = std::sync::Mutex::new(results);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(check) = checks.get(index) else {
                        break;
                    };
                    let result = run_one(check, input, analysis);
                    if let Ok(mut results) = results.lock() {
                        results[index] = Some(result);
                    }
                }
            });
        }
    });
    let mut findings = Vec::new();
    let mut runs = Vec::new();
    for (found, run) in results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
    {
        findings.extend(found);
        runs.push(run);
    }
    (findings, runs)
}

/// Runs one check, turning a panic into an `error` outcome for that check alone.
fn run_one(
    check: &Check,
    input: &CheckInput<'_>,
    analysis: &Analysis<'_>,
) -> (Vec<Finding>, CheckRun) {
    let provisions = check.meta.provision_ids();
    match catch_unwind(AssertUnwindSafe(|| (check.run)(input, analysis))) {
        Ok(output) => {
            let outcome = output.outcome.unwrap_or(if output.findings.is_empty() {
                CheckOutcome::Clean
            } else {
                CheckOutcome::Findings
            });
            let run = CheckRun {
                check: check.meta.id.to_owned(),
                provisions,
                outcome,
                coverage: output.coverage,
                reason: output.reason,
            };
            (output.findings, run)
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            let run = CheckRun {
                check: check.meta.id.to_owned(),
                provisions,
                outcome: CheckOutcome::Error,
                coverage: None,
                reason: Some(format!("the check crashed: {message}")),
            };
            (Vec::new(), run)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crashes(_: &CheckInput<'_>, _: &Analysis<'_>) -> CheckOutput {
        panic!("boom")
    }

    fn finds_nothing(_: &CheckInput<'_>, _: &Analysis<'_>) -> CheckOutput {
        CheckOutput {
            coverage: Some("0 files".into()),
            ..CheckOutput::default()
        }
    }

    static CRASHING: Check = Check {
        meta: CheckMeta {
            id: "test.crash",
            provisions: &["5.1-1"],
            severity: Severity::Low,
            title: "crash",
            rationale: "test",
        },
        run: crashes,
    };
    static CLEAN: Check = Check {
        meta: CheckMeta {
            id: "test.clean",
            provisions: &["5.4-3"],
            severity: Severity::Low,
            title: "clean",
            rationale: "test",
        },
        run: finds_nothing,
    };

    #[test]
    fn a_panicking_check_is_isolated_and_reported() {
        let options = CheckOptions::default();
        let input = CheckInput {
            filesystems: &[],
            options: &options,
        };
        let (findings, runs) = run_checks(&[&CRASHING, &CLEAN], &input);
        assert!(findings.is_empty());
        assert_eq!(runs[0].outcome, CheckOutcome::Error);
        assert!(runs[0].reason.as_deref().unwrap().contains("boom"));
        assert_eq!(runs[1].outcome, CheckOutcome::Clean);
        assert_eq!(runs[1].coverage.as_deref(), Some("0 files"));
    }
}
