//! Accumulates findings, checks-run entries and diagnostics for one device while the checks
//! run, then builds the report envelope.

use iotlabel_core::ProvisionId;
use iotlabel_core::report::{
    CheckOutcome, CheckRun, Confidence, DeviceLocation, Diagnostic, Finding, Location, Severity,
    Transport,
};

/// Provision ids as text; parsed once here so a typo fails a unit test, not a probe.
pub fn provisions(ids: &[&str]) -> Vec<ProvisionId> {
    ids.iter().filter_map(|id| id.parse().ok()).collect()
}

/// Everything gathered about one device.
#[derive(Debug, Default)]
pub struct Collector {
    pub host: String,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRun>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The fields of one finding.
#[derive(Debug)]
pub struct NewFinding<'a> {
    pub check: &'a str,
    pub provisions: &'a [&'a str],
    pub severity: Severity,
    pub confidence: Confidence,
    pub port: Option<u16>,
    pub transport: Transport,
    pub service: &'a str,
    pub message: String,
    pub evidence: serde_json::Value,
    /// The identifying parts of the evidence for the fingerprint (user name, issue kind).
    pub identity: &'a [&'a str],
}

impl Collector {
    pub fn new(host: &str) -> Collector {
        Collector {
            host: host.to_owned(),
            ..Collector::default()
        }
    }

    pub fn location(&self, port: Option<u16>, transport: Transport, service: &str) -> Location {
        Location::Device(DeviceLocation {
            host: self.host.clone(),
            port,
            transport: Some(transport),
            service: (!service.is_empty()).then(|| service.to_owned()),
        })
    }

    pub fn finding(&mut self, new: NewFinding<'_>) {
        let location = self.location(new.port, new.transport, new.service);
        let evidence = match new.evidence {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        self.findings.push(Finding {
            check: new.check.to_owned(),
            provisions: provisions(new.provisions),
            severity: new.severity,
            confidence: new.confidence,
            fingerprint: Finding::fingerprint_for(new.check, &location, new.identity),
            location,
            message: new.message,
            evidence,
        });
    }

    pub fn check(
        &mut self,
        check: &str,
        ids: &[&str],
        outcome: CheckOutcome,
        coverage: Option<String>,
        reason: Option<String>,
    ) {
        self.checks.push(CheckRun {
            check: check.to_owned(),
            provisions: provisions(ids),
            outcome,
            coverage,
            reason,
        });
    }

    pub fn diagnostic(&mut self, location: String, message: String) {
        self.diagnostics.push(Diagnostic { location, message });
    }
}
