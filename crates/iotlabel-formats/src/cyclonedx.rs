//! CycloneDX 1.6 SBOM from a firmware scan report: the image as the BOM's subject, every
//! identified component with its purl, CPE and location, and the known vulnerabilities the
//! report's findings name (`evidence.vulnerabilities`, see docs/contracts/report.md) with the
//! components they affect.

use iotlabel_core::Report;
use iotlabel_core::report::{Location, Target};
use serde_json::{Map, Value, json};

/// The namespace of the deterministic serial numbers (a v5 UUID of the image's SHA-256).
const SERIAL_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5d0c_5a3e_8f1b_4c2a_9e57_3b1f_0c6d_2a91);

/// The BOM of `report`. Components get `bom-ref`s `component-<n>`; a vulnerability found in a
/// component (by name and version) is linked to it through `affects`.
pub fn bom(report: &Report) -> Value {
    let (target_name, target_hash) = match &report.target {
        Target::Firmware { name, sha256, .. } => (name.clone(), Some(sha256.clone())),
        Target::Device { host, .. } => (host.clone(), None),
    };
    let serial = uuid::Uuid::new_v5(
        &SERIAL_NAMESPACE,
        format!(
            "{}:{}",
            target_hash.as_deref().unwrap_or(&target_name),
            report.tool.version
        )
        .as_bytes(),
    );
    let mut subject = json!({
        "type": "firmware",
        "bom-ref": "subject",
        "name": target_name,
    });
    if let (Some(hash), Some(object)) = (&target_hash, subject.as_object_mut()) {
        object.insert(
            "hashes".into(),
            json!([{ "alg": "SHA-256", "content": hash }]),
        );
    }
    let timestamp = report
        .finished
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();

    let components: Vec<Value> = report
        .components
        .iter()
        .enumerate()
        .map(|(index, component)| {
            let mut object = Map::new();
            object.insert("type".into(), json!(component_type(&component.name)));
            object.insert("bom-ref".into(), json!(format!("component-{index}")));
            object.insert("name".into(), json!(component.name));
            object.insert("version".into(), json!(component.version));
            if let Some(purl) = &component.purl {
                object.insert("purl".into(), json!(purl));
            }
            if let Some(cpe) = &component.cpe {
                object.insert("cpe".into(), json!(cpe));
            }
            let mut where_found = component.location.containers.clone();
            where_found.push(component.location.path.clone());
            object.insert(
                "properties".into(),
                json!([{ "name": "iotlabel:location", "value": where_found.join(" > ") }]),
            );
            Value::Object(object)
        })
        .collect();

    // One vulnerability entry per id, affecting every component instance it was found in.
    let mut vulnerabilities: Vec<(String, Value, Vec<String>)> = Vec::new();
    for finding in &report.findings {
        let Some(Value::Array(listed)) = finding.evidence.get("vulnerabilities") else {
            continue;
        };
        let component_name = finding.evidence.get("component").and_then(Value::as_str);
        let component_version = finding.evidence.get("version").and_then(Value::as_str);
        let path = match &finding.location {
            Location::Firmware(firmware) => Some(&firmware.path),
            Location::Device(_) => None,
        };
        let affected: Vec<String> = report
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                Some(c.name.as_str()) == component_name
                    && Some(c.version.as_str()) == component_version
            })
            .filter(|(_, c)| path.is_none_or(|p| &c.location.path == p))
            .map(|(index, _)| format!("component-{index}"))
            .collect();
        for entry in listed {
            let Some(id) = entry
                .get("id")
                .and_then(Value::as_str)
                .or_else(|| entry.as_str())
            else {
                continue;
            };
            match vulnerabilities.iter_mut().find(|(known, _, _)| known == id) {
                Some((_, _, refs)) => {
                    for reference in &affected {
                        if !refs.contains(reference) {
                            refs.push(reference.clone());
                        }
                    }
                }
                None => vulnerabilities.push((id.to_owned(), entry.clone(), affected.clone())),
            }
        }
    }
    let vulnerabilities: Vec<Value> = vulnerabilities
        .into_iter()
        .map(|(id, entry, refs)| {
            let mut object = Map::new();
            object.insert("bom-ref".into(), json!(format!("vulnerability-{id}")));
            object.insert("id".into(), json!(id));
            let source = if id.starts_with("CVE-") { "NVD" } else { "OSV" };
            object.insert("source".into(), json!({ "name": source }));
            if let Some(score) = entry.get("cvss").and_then(Value::as_f64) {
                object.insert("ratings".into(), json!([{ "score": score, "severity": severity_word(score), "method": "CVSSv31" }]));
            }
            if let Some(summary) = entry.get("summary").and_then(Value::as_str) {
                object.insert("description".into(), json!(summary));
            }
            if !refs.is_empty() {
                object.insert("affects".into(), Value::Array(refs.into_iter().map(|r| json!({ "ref": r })).collect()));
            }
            Value::Object(object)
        })
        .collect();

    let mut document = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{serial}"),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": { "components": [{ "type": "application", "name": report.tool.name, "version": report.tool.version }] },
            "component": subject,
        },
    });
    if let Some(object) = document.as_object_mut() {
        if !components.is_empty() {
            object.insert("components".into(), Value::Array(components));
        }
        if !vulnerabilities.is_empty() {
            object.insert("vulnerabilities".into(), Value::Array(vulnerabilities));
        }
    }
    document
}

fn component_type(name: &str) -> &'static str {
    match name {
        "linux" | "linux-kernel" => "operating-system",
        name if name.starts_with("lib")
            || [
                "openssl", "mbedtls", "wolfssl", "zlib", "uclibc", "glibc", "musl",
            ]
            .contains(&name) =>
        {
            "library"
        }
        _ => "application",
    }
}

fn severity_word(score: f64) -> &'static str {
    match score {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotlabel_core::report::{
        CheckOutcome, CheckRun, Component, Confidence, Finding, FirmwareLocation, Severity, Tool,
    };

    #[test]
    fn components_and_their_vulnerabilities_are_linked() {
        let location = FirmwareLocation {
            containers: vec!["router.bin".into()],
            path: "usr/lib/libssl.so.1.0.0".into(),
        };
        let report = Report {
            schema_version: 1,
            tool: Tool { name: "iotlabel".into(), version: "0.1.0".into() },
            target: Target::Firmware { name: "router.bin".into(), size: 1, sha256: "ab".repeat(32) },
            started: time::macros::datetime!(2026-01-01 0:00 UTC),
            finished: time::macros::datetime!(2026-01-01 0:00 UTC),
            findings: vec![Finding {
                check: "components.vulnerable".into(),
                provisions: vec!["5.3-8".parse().unwrap()],
                severity: Severity::High,
                confidence: Confidence::Likely,
                fingerprint: "00".repeat(32),
                location: Location::Firmware(location.clone()),
                message: "openssl 1.0.2k has 1 known vulnerability.".into(),
                evidence: json!({"component": "openssl", "version": "1.0.2k", "vulnerabilities": [{"id": "CVE-2016-2107", "cvss": 5.9, "summary": "padding oracle"}]})
                    .as_object()
                    .cloned()
                    .unwrap(),
            }],
            checks: vec![CheckRun { check: "components.vulnerable".into(), provisions: vec![], outcome: CheckOutcome::Findings, coverage: None, reason: None }],
            diagnostics: vec![],
            components: vec![Component { name: "openssl".into(), version: "1.0.2k".into(), location, purl: Some("pkg:generic/openssl@1.0.2k".into()), cpe: None }],
            unpacked: None,
            stats: None,
        };
        let bom = bom(&report);
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["components"][0]["type"], "library");
        assert_eq!(bom["vulnerabilities"][0]["id"], "CVE-2016-2107");
        assert_eq!(
            bom["vulnerabilities"][0]["affects"][0]["ref"],
            "component-0"
        );
        assert_eq!(
            bom["vulnerabilities"][0]["ratings"][0]["severity"],
            "medium"
        );
        assert_eq!(bom, super::bom(&report), "deterministic");
    }
}
