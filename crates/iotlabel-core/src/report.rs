//! The report envelope shared by `iotlabel scan` and `iotlabel probe`: findings, the checks
//! that ran, diagnostics, and (for firmware) components, the unpacked tree and statistics.
//! See docs/contracts/report.md for the JSON form.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::ProvisionId;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// How sure the producer is that the finding is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Possible,
    Likely,
    Confirmed,
}

/// Where a finding was seen: inside a firmware image, or on a live device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Location {
    Firmware(FirmwareLocation),
    Device(DeviceLocation),
}

/// A path inside a firmware image: the chain of containers from the outermost, and the path
/// relative to the root of the innermost filesystem (no leading `/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareLocation {
    pub containers: Vec<String>,
    pub path: String,
}

/// A service on a live device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceLocation {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    Tcp,
    Udp,
}

/// One weakness instance: per account, per key, per service, per vulnerable component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable id of the check that produced it, e.g. `credentials.default-password`.
    pub check: String,
    /// Canonical (V3.1.3) provision ids the finding is evidence against.
    pub provisions: Vec<ProvisionId>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub location: Location,
    /// One sentence a person understands.
    pub message: String,
    /// Structured facts; live checks put the transcript excerpt that proves the positive
    /// under the key `proof`.
    #[serde(default)]
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// Hex SHA-256 of the check id, the location and the identifying evidence.
    pub fingerprint: String,
}

impl Finding {
    /// The fingerprint of a finding: hex SHA-256 over the check id, the location and the
    /// identifying parts of the evidence (a user name, a key hash, a CVE id), each separated
    /// so that no two different inputs hash the same text.
    pub fn fingerprint_for(check: &str, location: &Location, identity: &[&str]) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        field(check.as_bytes());
        match location {
            Location::Firmware(firmware) => {
                field(b"firmware");
                for container in &firmware.containers {
                    field(container.as_bytes());
                }
                field(b"/");
                field(firmware.path.as_bytes());
            }
            Location::Device(device) => {
                field(b"device");
                field(device.host.as_bytes());
                field(
                    device
                        .port
                        .map(|port| port.to_string())
                        .unwrap_or_default()
                        .as_bytes(),
                );
                field(match device.transport {
                    Some(Transport::Tcp) => b"tcp",
                    Some(Transport::Udp) => b"udp",
                    None => b"",
                });
                field(device.service.as_deref().unwrap_or_default().as_bytes());
            }
        }
        for part in identity {
            field(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// Whether this finding counts against a declaration: informational findings are
    /// inventory (a public certificate, a component list), not weaknesses.
    pub fn is_weakness(&self) -> bool {
        self.severity > Severity::Info
    }
}

/// What one check concluded about the whole target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckOutcome {
    /// Ran with the stated coverage and found nothing: "not found", never "compliant".
    Clean,
    Findings,
    Indeterminate,
    Error,
    Skipped,
}

/// One entry of the checks-run list, so that "checked and clean" differs from "not checked".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRun {
    pub check: String,
    pub provisions: Vec<ProvisionId>,
    pub outcome: CheckOutcome,
    /// What was covered, e.g. "61 of 61 credential pairs tried on telnet/23".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    /// Why the outcome is indeterminate, error or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Target {
    Firmware {
        name: String,
        size: u64,
        sha256: String,
    },
    Device {
        host: String,
        #[serde(default)]
        ports: Vec<u16>,
    },
}

/// Something that could not be read or checked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// Where: a container chain and path, a host:port, or empty for the whole target.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    pub message: String,
}

/// A software component identified in firmware.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Lowercase canonical name: the name of the component's signature file.
    pub name: String,
    pub version: String,
    pub location: FirmwareLocation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
}

/// One node of the container tree of an unpacked image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnpackedNode {
    pub format: String,
    pub offset: u64,
    pub size: u64,
    pub entries: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<UnpackedNode>,
}

/// Work done by a firmware scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanStats {
    pub bytes_in: u64,
    pub bytes_unpacked: u64,
    pub files: u64,
    pub seconds: f64,
}

/// The report envelope written by `iotlabel scan` and `iotlabel probe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub target: Target,
    /// RFC 3339 timestamps.
    #[serde(with = "time::serde::rfc3339")]
    pub started: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished: time::OffsetDateTime,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRun>,
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
    /// Firmware reports only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpacked: Option<UnpackedNode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ScanStats>,
}

impl Report {
    /// Parses a report, checking its schema version.
    pub fn from_json(text: &str) -> Result<Report, crate::document::DocumentError> {
        let value = crate::document::parse_value(text, crate::document::DocumentFormat::Json)?;
        let version = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(crate::SCHEMA_VERSION)) {
            return Err(crate::document::DocumentError {
                key: "schema_version".into(),
                line: None,
                message: format!(
                    "this is not a version {} iotlabel report (found {}): write it with a matching iotlabel scan/probe",
                    crate::SCHEMA_VERSION,
                    version
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "none".into())
                ),
            });
        }
        crate::document::from_value(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_finding() -> Finding {
        let location = Location::Firmware(FirmwareLocation {
            containers: vec!["camera-b.tar.gz".into(), "update/rootfs.cpio.gz".into()],
            path: "etc/shadow".into(),
        });
        Finding {
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
            message: "Account root has the default password 'xc3511' (Mirai list).".into(),
            evidence:
                serde_json::json!({"user": "root", "hash_scheme": "md5crypt", "list": "mirai"})
                    .as_object()
                    .cloned()
                    .unwrap(),
        }
    }

    #[test]
    fn report_round_trips_through_json() {
        let report = Report {
            schema_version: crate::SCHEMA_VERSION,
            tool: Tool {
                name: "iotlabel".into(),
                version: "0.1.0".into(),
            },
            target: Target::Firmware {
                name: "camera-b.tar.gz".into(),
                size: 1024,
                sha256: "00".repeat(32),
            },
            started: time::macros::datetime!(2026-03-01 10:00 UTC),
            finished: time::macros::datetime!(2026-03-01 10:00:02 UTC),
            findings: vec![sample_finding()],
            checks: vec![CheckRun {
                check: "credentials.default-password".into(),
                provisions: vec!["5.1-1".parse().unwrap(), "5.1-2".parse().unwrap()],
                outcome: CheckOutcome::Findings,
                coverage: Some("3 accounts, 714 candidates each".into()),
                reason: None,
            }],
            diagnostics: vec![Diagnostic {
                location: "camera-b.tar.gz/data.jffs2".into(),
                message: "truncated node at offset 0x4000".into(),
            }],
            components: vec![Component {
                name: "busybox".into(),
                version: "1.31.1".into(),
                location: FirmwareLocation {
                    containers: vec!["camera-b.tar.gz".into()],
                    path: "bin/busybox".into(),
                },
                purl: Some("pkg:generic/busybox@1.31.1".into()),
                cpe: Some("cpe:2.3:a:busybox:busybox:1.31.1:*:*:*:*:*:*:*".into()),
            }],
            unpacked: Some(UnpackedNode {
                format: "tar".into(),
                offset: 0,
                size: 1024,
                entries: 2,
                name: Some("camera-b.tar.gz".into()),
                children: vec![],
            }),
            stats: Some(ScanStats {
                bytes_in: 1024,
                bytes_unpacked: 4096,
                files: 12,
                seconds: 0.5,
            }),
        };
        let json = serde_json::to_string_pretty(&report).unwrap();
        let back = Report::from_json(&json).unwrap();
        assert_eq!(back, report);
        insta::assert_snapshot!("report_envelope", json);
    }

    #[test]
    fn device_findings_round_trip() {
        let location = Location::Device(DeviceLocation {
            host: "192.0.2.7".into(),
            port: Some(23),
            transport: Some(Transport::Tcp),
            service: Some("telnet".into()),
        });
        let json = serde_json::to_value(&location).unwrap();
        assert_eq!(json["service"], "telnet");
        let back: Location = serde_json::from_value(json).unwrap();
        assert_eq!(back, location);
    }

    #[test]
    fn fingerprint_is_stable_and_identity_sensitive() {
        let finding = sample_finding();
        let again =
            Finding::fingerprint_for("credentials.default-password", &finding.location, &["root"]);
        assert_eq!(finding.fingerprint, again);
        let other = Finding::fingerprint_for(
            "credentials.default-password",
            &finding.location,
            &["admin"],
        );
        assert_ne!(finding.fingerprint, other);
        assert_eq!(finding.fingerprint.len(), 64);
    }

    #[test]
    fn rejects_other_schema_versions() {
        let error = Report::from_json(r#"{"schema_version": 99}"#).unwrap_err();
        assert_eq!(error.key, "schema_version");
    }
}
