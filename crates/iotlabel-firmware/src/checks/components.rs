//! Component identification (for the report's `components[]`) and the two checks built on it:
//! known vulnerabilities (`components.vulnerable`, against the offline [`VulnDb`]) and
//! end-of-life release series (`components.end-of-life`).
//!
//! A component instance is one (file system, component, version): OpenSSL found in
//! `libssl.so.1.0.0`, `libcrypto.so.1.0.0` and `bin/openssl` of one file system is one instance,
//! located at the first of those paths (all are listed in the findings' evidence).
//!
//! Findings: one per vulnerable component instance, with every matching vulnerability in its
//! evidence (`vulnerabilities[]`, `cve_ids[]`) and the severity of the worst; one per
//! end-of-life instance. Provision mapping: vulnerable → 5.3-8 (timely security updates),
//! end-of-life → 5.3-8 and 5.3-13 (support period); both add 5.5-1 (best-practice cryptography)
//! for signatures marked `crypto = true`.

use std::sync::Arc;

use iotlabel_core::report::{
    CheckOutcome, Component, Confidence, Finding, FirmwareLocation, Location, Severity,
};
use serde_json::{Map, Value, json};

use super::analysis::Analysis;
use super::component_signatures::{ComponentSignature, signatures};
use super::version::Version;
use super::vulndb::VulnDb;
use super::{Check, CheckInput, CheckMeta, CheckOutput, Filesystem};
use crate::vfs::FileEntry;

/// Candidate files searched per signature and file system: enough for every real layout (a
/// library and its tools), bounded for images with thousands of kernel modules.
const MAX_FILES_PER_SIGNATURE: usize = 64;
/// Bytes of one file searched for version strings.
const MAX_BYTES_SEARCHED: usize = 64 << 20;
/// Vulnerabilities listed in one finding's evidence (the count is always complete).
const MAX_LISTED_VULNERABILITIES: usize = 500;

/// The reason the vulnerability check is skipped without a database.
pub const NO_DATABASE_REASON: &str = "no vulnerability database: run iotlabel vulndb import";

/// One identified component instance.
#[derive(Debug, Clone)]
pub struct ComponentInstance<'s> {
    pub signature: &'s ComponentSignature,
    pub version: String,
    /// Index into the file systems given.
    pub filesystem: usize,
    /// Every file the version was found in, in path order.
    pub paths: Vec<String>,
}

impl ComponentInstance<'_> {
    fn first_path(&self) -> &str {
        self.paths.first().map(String::as_str).unwrap_or_default()
    }

    fn location(&self, filesystems: &[Filesystem<'_>]) -> FirmwareLocation {
        FirmwareLocation {
            containers: filesystems
                .get(self.filesystem)
                .map(|fs| fs.containers.clone())
                .unwrap_or_default(),
            path: self.first_path().to_owned(),
        }
    }

    fn provisions(&self, base: &[&str]) -> Vec<iotlabel_core::ProvisionId> {
        let mut ids: Vec<&str> = base.to_vec();
        if self.signature.crypto {
            ids.push("5.5-1");
        }
        ids.iter().filter_map(|id| id.parse().ok()).collect()
    }

    fn evidence(&self) -> Map<String, Value> {
        let mut evidence = Map::new();
        evidence.insert("component".into(), json!(self.signature.name));
        evidence.insert("version".into(), json!(self.version));
        evidence.insert("purl".into(), json!(self.signature.purl(&self.version)));
        evidence.insert("cpe".into(), json!(self.signature.cpe(&self.version)));
        evidence.insert("paths".into(), json!(self.paths));
        evidence
    }
}

/// Finds every component instance of `signatures` in `filesystems`.
pub fn identify_instances<'s>(
    filesystems: &[Filesystem<'_>],
    signatures: &'s [ComponentSignature],
) -> Vec<ComponentInstance<'s>> {
    let mut instances: Vec<ComponentInstance<'s>> = Vec::new();
    for (index, filesystem) in filesystems.iter().enumerate() {
        let files: Vec<(&str, String, &FileEntry)> = filesystem
            .tree
            .files()
            .map(|(path, file)| (path, format!("/{path}"), file))
            .collect();
        for signature in signatures {
            let candidates = files
                .iter()
                .filter(|(path, rooted, _)| signature.wants_rooted_file(path, rooted))
                .map(|(path, _, file)| (*path, *file))
                .take(MAX_FILES_PER_SIGNATURE);
            for (path, file) in candidates {
                let data = file.data.get(..MAX_BYTES_SEARCHED).unwrap_or(&file.data);
                let Some(version) = signature.find_version(path, data) else {
                    continue;
                };
                let known = instances.iter_mut().find(|instance| {
                    instance.filesystem == index
                        && instance.signature.name == signature.name
                        && instance.version == version
                });
                match known {
                    Some(instance) => instance.paths.push(path.to_owned()),
                    None => instances.push(ComponentInstance {
                        signature,
                        version,
                        filesystem: index,
                        paths: vec![path.to_owned()],
                    }),
                }
            }
        }
    }
    instances
}

/// The components of the report (`components[]`): one per component instance, with purl and CPE.
/// Empty if the embedded signatures fail to load (the checks report that error).
pub fn identify_components(filesystems: &[Filesystem<'_>]) -> Vec<Component> {
    let Ok(signatures) = signatures() else {
        return Vec::new();
    };
    report_components(&identify_instances(filesystems, signatures), filesystems)
}

/// The components of the report for `instances` found in `filesystems`.
pub fn report_components(
    instances: &[ComponentInstance<'_>],
    filesystems: &[Filesystem<'_>],
) -> Vec<Component> {
    instances
        .iter()
        .map(|instance| Component {
            name: instance.signature.name.clone(),
            version: instance.version.clone(),
            location: instance.location(filesystems),
            purl: Some(instance.signature.purl(&instance.version)),
            cpe: Some(instance.signature.cpe(&instance.version)),
        })
        .collect()
}

fn signature_error(error: &dyn std::fmt::Display) -> CheckOutput {
    CheckOutput {
        outcome: Some(CheckOutcome::Error),
        reason: Some(format!("component signatures did not load: {error}")),
        ..CheckOutput::default()
    }
}

fn component_count(instances: &[ComponentInstance<'_>]) -> String {
    let names: Vec<String> = instances
        .iter()
        .map(|instance| format!("{} {}", instance.signature.name, instance.version))
        .collect();
    if names.is_empty() {
        "0 components identified".to_owned()
    } else {
        format!(
            "{} component{} identified ({})",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        )
    }
}

/// Known-vulnerability findings for `instances` against `database`.
pub fn vulnerability_findings(
    instances: &[ComponentInstance<'_>],
    filesystems: &[Filesystem<'_>],
    database: &VulnDb,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for instance in instances {
        let matches = database.matching(&instance.signature.name, &instance.version);
        if matches.is_empty() {
            continue;
        }
        let severity = matches
            .iter()
            .map(|record| record.severity())
            .max()
            .unwrap_or(Severity::Medium);
        let worst_score = matches
            .iter()
            .filter_map(|record| record.cvss)
            .fold(None, |worst: Option<f64>, score| {
                Some(worst.map_or(score, |w| w.max(score)))
            });
        let ids: Vec<&str> = matches.iter().map(|record| record.id.as_str()).collect();
        let listed: Vec<Value> = matches
            .iter()
            .take(MAX_LISTED_VULNERABILITIES)
            .map(|record| {
                json!({
                    "id": record.id,
                    "severity": record.severity().as_str(),
                    "cvss": record.cvss,
                    "summary": record.summary,
                })
            })
            .collect();
        let mut evidence = instance.evidence();
        evidence.insert("vulnerability_count".into(), json!(matches.len()));
        evidence.insert("cve_ids".into(), json!(ids));
        evidence.insert("vulnerabilities".into(), Value::Array(listed));
        let location = Location::Firmware(instance.location(filesystems));
        let examples: Vec<&str> = ids.iter().take(3).copied().collect();
        let score_text = worst_score
            .map(|score| format!(", highest CVSS {score:.1}"))
            .unwrap_or_default();
        findings.push(Finding {
            check: VULNERABLE.meta.id.to_owned(),
            provisions: instance.provisions(&["5.3-8"]),
            severity,
            confidence: Confidence::Likely,
            fingerprint: Finding::fingerprint_for(
                VULNERABLE.meta.id,
                &location,
                &[&instance.signature.name, &instance.version],
            ),
            location,
            message: format!(
                "{} {} has {} known vulnerabilit{} ({}{}){}.",
                instance.signature.name,
                instance.version,
                matches.len(),
                if matches.len() == 1 { "y" } else { "ies" },
                examples.join(", "),
                if ids.len() > examples.len() {
                    ", …"
                } else {
                    ""
                },
                score_text
            ),
            evidence,
        });
    }
    findings
}

fn run_vulnerable(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    if let Err(error) = signatures() {
        return signature_error(error);
    }
    let Some(database) = input.options.vulndb.as_ref().map(Arc::as_ref) else {
        return CheckOutput {
            outcome: Some(CheckOutcome::Skipped),
            reason: Some(NO_DATABASE_REASON.to_owned()),
            ..CheckOutput::default()
        };
    };
    let instances = match analysis.components() {
        Ok(instances) => instances,
        Err(error) => return signature_error(error),
    };
    let findings = vulnerability_findings(instances, input.filesystems, database);
    CheckOutput {
        coverage: Some(format!(
            "{}, checked against {} vulnerability records",
            component_count(instances),
            database.len()
        )),
        findings,
        ..CheckOutput::default()
    }
}

/// The end-of-life entry that applies to `instance` on `today`: the most specific series the
/// version belongs to, if its date has passed.
fn end_of_life_for<'s>(
    instance: &ComponentInstance<'s>,
    today: time::Date,
) -> Option<&'s super::component_signatures::EndOfLife> {
    let version = Version::parse(&instance.version);
    instance
        .signature
        .end_of_life
        .iter()
        .filter(|eol| version.in_series(&Version::parse(&eol.series)))
        .max_by_key(|eol| eol.series.len())
        .filter(|eol| eol.date <= today)
}

/// End-of-life findings for `instances` on `today`.
pub fn end_of_life_findings(
    instances: &[ComponentInstance<'_>],
    filesystems: &[Filesystem<'_>],
    today: time::Date,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for instance in instances {
        let Some(eol) = end_of_life_for(instance, today) else {
            continue;
        };
        let mut evidence = instance.evidence();
        evidence.insert("series".into(), json!(eol.series));
        evidence.insert("end_of_life".into(), json!(eol.date.to_string()));
        evidence.insert("source".into(), json!(eol.source));
        let location = Location::Firmware(instance.location(filesystems));
        findings.push(Finding {
            check: END_OF_LIFE.meta.id.to_owned(),
            provisions: instance.provisions(&["5.3-8", "5.3-13"]),
            severity: END_OF_LIFE.meta.severity,
            confidence: Confidence::Likely,
            fingerprint: Finding::fingerprint_for(
                END_OF_LIFE.meta.id,
                &location,
                &[&instance.signature.name, &instance.version],
            ),
            location,
            message: format!(
                "{} {} belongs to release series {}, which reached end of life on {}: upstream publishes no more security fixes for it.",
                instance.signature.name, instance.version, eol.series, eol.date
            ),
            evidence,
        });
    }
    findings
}

fn run_end_of_life(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    if let Err(error) = signatures() {
        return signature_error(error);
    }
    if input.options.now == time::OffsetDateTime::UNIX_EPOCH {
        return CheckOutput {
            outcome: Some(CheckOutcome::Indeterminate),
            reason: Some("no current date given (CheckOptions::now is unset)".to_owned()),
            ..CheckOutput::default()
        };
    }
    let today = input.options.now.date();
    let instances = match analysis.components() {
        Ok(instances) => instances,
        Err(error) => return signature_error(error),
    };
    let with_data = instances
        .iter()
        .filter(|instance| !instance.signature.end_of_life.is_empty())
        .count();
    CheckOutput {
        coverage: Some(format!(
            "{}, {} with end-of-life data, as of {}",
            component_count(instances),
            with_data,
            today
        )),
        findings: end_of_life_findings(instances, input.filesystems, today),
        ..CheckOutput::default()
    }
}

/// Known vulnerabilities of identified components.
pub static VULNERABLE: Check = Check {
    meta: CheckMeta {
        id: "components.vulnerable",
        provisions: &["5.3-8", "5.5-1"],
        severity: Severity::High,
        title: "Components with known vulnerabilities",
        rationale: "A component version with published vulnerabilities shows that security updates were not applied in time; for cryptographic libraries it also undermines best-practice cryptography.",
    },
    run: run_vulnerable,
};

/// Components whose release series is no longer supported upstream.
pub static END_OF_LIFE: Check = Check {
    meta: CheckMeta {
        id: "components.end-of-life",
        provisions: &["5.3-8", "5.3-13", "5.5-1"],
        severity: Severity::Medium,
        title: "End-of-life components",
        rationale: "A component whose release series reached end of life gets no more security fixes upstream, so vulnerabilities found later stay open for the rest of the device's support period.",
    },
    run: run_end_of_life,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{FileEntry, Tree};

    fn tree(files: &[(&str, &[u8])]) -> Tree {
        let mut tree = Tree::new();
        for (path, data) in files {
            tree.add_file(path, FileEntry::new(data.to_vec())).unwrap();
        }
        tree
    }

    #[test]
    fn one_instance_per_component_version_and_filesystem() {
        let tree = tree(&[
            (
                "usr/lib/libssl.so.1.0.0",
                b"\0SSLv3 part of OpenSSL 1.0.2u  20 Dec 2019\0",
            ),
            (
                "usr/lib/libcrypto.so.1.0.0",
                b"\0OpenSSL 1.0.2u  20 Dec 2019\0",
            ),
            (
                "bin/busybox",
                b"\x7fELF\0BusyBox v1.24.1 (2017-03-01 12:00:00 CST)\0",
            ),
            ("etc/banner", b"BusyBox v9.9.9 not looked at"),
        ]);
        let filesystems = [Filesystem {
            containers: vec!["fw.bin".into(), "rootfs.squashfs".into()],
            tree: &tree,
        }];
        let components = identify_components(&filesystems);
        let summary: Vec<(&str, &str, &str)> = components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.version.as_str(),
                    c.location.path.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("busybox", "1.24.1", "bin/busybox"),
                ("openssl", "1.0.2u", "usr/lib/libcrypto.so.1.0.0"),
            ]
        );
        assert_eq!(
            components[1].purl.as_deref(),
            Some("pkg:generic/openssl@1.0.2u")
        );
        assert_eq!(
            components[1].location.containers,
            vec!["fw.bin", "rootfs.squashfs"]
        );
    }

    #[test]
    fn end_of_life_uses_the_given_date_and_most_specific_series() {
        let tree = tree(&[("usr/lib/libssl.so.1.1", b"OpenSSL 1.1.1w  11 Sep 2023")]);
        let filesystems = [Filesystem {
            containers: vec![],
            tree: &tree,
        }];
        let signatures = signatures().unwrap();
        let instances = identify_instances(&filesystems, signatures);
        let before = time::macros::date!(2023 - 09 - 10);
        let after = time::macros::date!(2023 - 09 - 11);
        assert!(end_of_life_findings(&instances, &filesystems, before).is_empty());
        let findings = end_of_life_findings(&instances, &filesystems, after);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].evidence["series"], "1.1.1");
        let provisions: Vec<String> = findings[0]
            .provisions
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(provisions, vec!["5.3-8", "5.3-13", "5.5-1"]);
    }
}
