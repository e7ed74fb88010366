//! SARIF 2.1.0 from a scan or probe report: one rule per check (rule id = check id, the
//! provisions in the rule's and each result's properties), one result per finding, the
//! checks-run list and diagnostics as invocation notifications. Written as plain JSON values:
//! the document is small and its shape is the SARIF schema's, checked by the tests.

use iotlabel_core::Report;
use iotlabel_core::report::{CheckOutcome, Location, Severity};
use serde_json::{Value, json};

/// The schema URI written into every document.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// SARIF's result level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The SARIF log of `report`. `information_uri` is where the tool documents its checks.
pub fn sarif(report: &Report, information_uri: &str) -> Value {
    // Rules: every check that ran, plus any check that only appears in findings.
    let mut rule_ids: Vec<&str> = report.checks.iter().map(|c| c.check.as_str()).collect();
    for finding in &report.findings {
        if !rule_ids.contains(&finding.check.as_str()) {
            rule_ids.push(&finding.check);
        }
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let run = report.checks.iter().find(|c| c.check == *id);
            let provisions: Vec<String> = match run {
                Some(run) => run.provisions.iter().map(ToString::to_string).collect(),
                None => report
                    .findings
                    .iter()
                    .filter(|f| f.check == *id)
                    .flat_map(|f| f.provisions.iter().map(ToString::to_string))
                    .collect(),
            };
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": format!("iotlabel check {id} (EN 303 645 {})", provisions.join(", ")) },
                "properties": { "provisions": provisions, "tags": provisions },
            })
        })
        .collect();

    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let rule_index = rule_ids.iter().position(|id| *id == finding.check).unwrap_or(0);
            let provisions: Vec<String> = finding.provisions.iter().map(ToString::to_string).collect();
            let location = match &finding.location {
                Location::Firmware(firmware) => json!({
                    "physicalLocation": { "artifactLocation": { "uri": uri_path(&firmware.path) } },
                    "logicalLocations": [{ "fullyQualifiedName": firmware.containers.join(" > "), "kind": "module" }],
                }),
                Location::Device(device) => {
                    let port = device.port.map(|p| format!(":{p}")).unwrap_or_default();
                    json!({
                        "logicalLocations": [{
                            "fullyQualifiedName": format!("{}{port}", device.host),
                            "name": device.service.clone().unwrap_or_else(|| "device".into()),
                            "kind": "module",
                        }],
                    })
                }
            };
            json!({
                "ruleId": finding.check,
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": { "text": finding.message },
                "locations": [location],
                "partialFingerprints": { "iotlabel/v1": finding.fingerprint },
                "properties": {
                    "provisions": provisions,
                    "severity": finding.severity.as_str(),
                    "confidence": serde_json::to_value(finding.confidence).unwrap_or(Value::Null),
                    "evidence": Value::Object(finding.evidence.clone()),
                    "location": serde_json::to_value(&finding.location).unwrap_or(Value::Null),
                },
            })
        })
        .collect();

    let mut notifications: Vec<Value> = report
        .checks
        .iter()
        .filter(|check| matches!(check.outcome, CheckOutcome::Error | CheckOutcome::Indeterminate | CheckOutcome::Skipped))
        .map(|check| {
            json!({
                "level": if check.outcome == CheckOutcome::Error { "error" } else { "note" },
                "message": { "text": format!("{} {}: {}", check.check, outcome_word(check.outcome), check.reason.as_deref().unwrap_or("no reason given")) },
                "descriptor": { "id": check.check },
            })
        })
        .collect();
    notifications.extend(report.diagnostics.iter().map(|diagnostic| {
        let text = if diagnostic.location.is_empty() {
            diagnostic.message.clone()
        } else {
            format!("{}: {}", diagnostic.location, diagnostic.message)
        };
        json!({ "level": "warning", "message": { "text": text } })
    }));

    let mut invocation = json!({
        "executionSuccessful": !report.checks.iter().any(|c| c.outcome == CheckOutcome::Error),
        "startTimeUtc": time_text(report.started),
        "endTimeUtc": time_text(report.finished),
    });
    if !notifications.is_empty()
        && let Some(object) = invocation.as_object_mut()
    {
        object.insert(
            "toolExecutionNotifications".into(),
            Value::Array(notifications),
        );
    }

    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "informationUri": information_uri,
                "rules": rules,
            } },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "target": serde_json::to_value(&report.target).unwrap_or(Value::Null),
                "checks": serde_json::to_value(&report.checks).unwrap_or(Value::Null),
            },
        }],
    })
}

fn outcome_word(outcome: CheckOutcome) -> &'static str {
    match outcome {
        CheckOutcome::Clean => "clean",
        CheckOutcome::Findings => "findings",
        CheckOutcome::Indeterminate => "indeterminate",
        CheckOutcome::Error => "error",
        CheckOutcome::Skipped => "skipped",
    }
}

/// A firmware path as a relative URI reference: each segment percent-encoded where needed.
fn uri_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|byte| match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (byte as char).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn time_text(time: time::OffsetDateTime) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotlabel_core::report::{
        CheckRun, Confidence, Diagnostic, Finding, FirmwareLocation, Target, Tool,
    };

    fn report() -> Report {
        let location = Location::Firmware(FirmwareLocation {
            containers: vec!["router.bin".into()],
            path: "etc/my shadow".into(),
        });
        Report {
            schema_version: 1,
            tool: Tool {
                name: "iotlabel".into(),
                version: "0.1.0".into(),
            },
            target: Target::Firmware {
                name: "router.bin".into(),
                size: 10,
                sha256: "00".repeat(32),
            },
            started: time::macros::datetime!(2026-01-01 0:00 UTC),
            finished: time::macros::datetime!(2026-01-01 0:00:01 UTC),
            findings: vec![Finding {
                check: "credentials.default-password".into(),
                provisions: vec!["5.1-1".parse().unwrap()],
                severity: Severity::Critical,
                confidence: Confidence::Confirmed,
                fingerprint: Finding::fingerprint_for(
                    "credentials.default-password",
                    &location,
                    &["root"],
                ),
                location,
                message: "root has the default password admin.".into(),
                evidence: Default::default(),
            }],
            checks: vec![
                CheckRun {
                    check: "credentials.default-password".into(),
                    provisions: vec!["5.1-1".parse().unwrap()],
                    outcome: CheckOutcome::Findings,
                    coverage: Some("1 account".into()),
                    reason: None,
                },
                CheckRun {
                    check: "components.vulnerable".into(),
                    provisions: vec!["5.3-8".parse().unwrap()],
                    outcome: CheckOutcome::Skipped,
                    coverage: None,
                    reason: Some("no vulnerability database".into()),
                },
            ],
            diagnostics: vec![Diagnostic {
                location: "router.bin".into(),
                message: "trailing data".into(),
            }],
            components: vec![],
            unpacked: None,
            stats: None,
        }
    }

    #[test]
    fn findings_become_results_of_their_check_rule() {
        let log = sarif(&report(), "https://example.invalid/iotlabel/checks");
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 2);
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "credentials.default-password");
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(result["level"], "error");
        assert_eq!(result["properties"]["provisions"][0], "5.1-1");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "etc/my%20shadow"
        );
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert!(notes.iter().any(|n| {
            n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("skipped: no vulnerability database")
        }));
        assert!(notes.iter().any(|n| {
            n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("trailing data")
        }));
    }
}
