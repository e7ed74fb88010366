//! The offline vulnerability database: imported from OSV and CVE JSON 5 records, saved as one
//! compact JSON file, matched against identified components by name and version.
//!
//! # Which component a record is about
//!
//! Every affected entry of a record is mapped to a component signature (see
//! [`super::component_signatures`]); entries that map to none are dropped at import and counted.
//!
//! - OSV `affected[].package`: the `purl`'s name (and namespace/name) if present, else the
//!   package `name`, compared case-insensitively with each signature's name, CPE product and
//!   aliases.
//! - CVE JSON 5 `containers.cna.affected[]`: first a CPE in `cpes[]` whose vendor and product equal
//!   a signature's; else `vendor`/`product` equal to a signature's CPE vendor/product (lowercased,
//!   spaces as `_`); else the `product` alone against names and aliases as for OSV.
//!
//! # Which versions are affected
//!
//! Versions compare with [`super::version::Version`]. OSV `ECOSYSTEM` and `SEMVER` ranges are
//! walked in order: `introduced` opens a range, `fixed` (exclusive) or `last_affected`
//! (inclusive) closes it; an open range reaches every later version. `GIT` ranges are skipped
//! (commit ids are not versions), as are ranges of distribution ecosystems (Debian, Ubuntu,
//! Alpine, Red Hat, SUSE, ...), whose versions carry distribution revisions and backported
//! fixes that say nothing about an upstream build. `versions[]` lists exact affected versions.
//! CVE JSON 5 `versions[]` entries: `version` with `lessThan` (exclusive) or `lessThanOrEqual`
//! (inclusive) is a range (`version` of `0`, `*`, `n/a`, `unspecified` means from the
//! beginning; a bound like `5.15.*` keeps the range inside the `5.15` series, `*` alone leaves
//! it open, and a `changes[]` entry gives the first version where the status flips); a bare
//! `version` is exact. Entries with `status: "affected"` add affected versions; entries with
//! `status: "unaffected"` are exceptions that win. With `defaultStatus: "affected"` (the Linux
//! kernel CNA's style: "affected since 2.6.29, except 5.15.149 – 5.15.*, 6.1.79 – 6.1.*, ≥ 6.8")
//! every version not excepted is affected; such an entry without any `versions[]` is dropped
//! (it would flag every version). Entries of `versionType: "git"` are ignored.
//!
//! # Severity
//!
//! The highest CVSS base score found: CVE JSON 5 `metrics[]` of the CNA and ADP containers
//! (`cvssV4_0`, `cvssV3_1`, `cvssV3_0`, then `cvssV2_0` only if no newer one), OSV `severity[]`
//! CVSS v3 vectors (scored here with the CVSS 3.1 base formula); else OSV's
//! `database_specific.severity` word. Critical ≥ 9, high ≥ 7, medium ≥ 4, else low; no score
//! means medium.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use iotlabel_core::report::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::component_signatures::ComponentSignature;
use super::version::Version;

/// The `format` field of a saved database.
pub const DATABASE_FORMAT: &str = "iotlabel-vulndb";
/// The `format_version` this code writes and reads.
pub const DATABASE_FORMAT_VERSION: u32 = 1;

/// Ecosystems whose versions are distribution package versions (see the module docs).
const DISTRIBUTION_ECOSYSTEMS: &[&str] = &[
    "debian",
    "ubuntu",
    "alpine",
    "red hat",
    "redhat",
    "rocky linux",
    "almalinux",
    "suse",
    "opensuse",
    "suse linux enterprise",
    "mageia",
    "photon os",
    "wolfi",
    "chainguard",
    "openeuler",
    "azure linux",
    "mariner",
    "echo",
    "minimos",
];

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: not valid JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Why a saved database could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum VulnDbError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an iotlabel vulnerability database: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: format {format:?} version {version} is not {DATABASE_FORMAT:?} version {DATABASE_FORMAT_VERSION}"
    )]
    Format {
        path: String,
        format: String,
        version: u32,
    },
}

/// A range of versions; a missing bound is open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRange {
    /// First affected version (inclusive); `None` = from the beginning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// First fixed version (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Last affected version (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// Only versions of this release series (CVE JSON 5 `5.15.*`), see
    /// [`Version::in_series`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

impl VersionRange {
    pub fn contains(&self, version: &Version) -> bool {
        if let Some(introduced) = &self.introduced
            && *version < Version::parse(introduced)
        {
            return false;
        }
        if let Some(fixed) = &self.fixed
            && *version >= Version::parse(fixed)
        {
            return false;
        }
        if let Some(last) = &self.last_affected
            && *version > Version::parse(last)
        {
            return false;
        }
        if let Some(series) = &self.series
            && !version.in_series(&Version::parse(series))
        {
            return false;
        }
        true
    }
}

/// The versions of one component a record affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffectedComponent {
    /// Canonical component name (a signature's name).
    pub component: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<VersionRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Every version is affected unless `unaffected` says otherwise (CVE JSON 5
    /// `defaultStatus: "affected"`, as the Linux kernel CNA writes its records).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_affected: bool,
    /// Versions explicitly not affected; they win over everything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unaffected: Vec<VersionRange>,
}

impl AffectedComponent {
    pub fn affects(&self, version: &Version) -> bool {
        if self.unaffected.iter().any(|range| range.contains(version)) {
            return false;
        }
        self.default_affected
            || self.ranges.iter().any(|range| range.contains(version))
            || self
                .versions
                .iter()
                .any(|exact| Version::parse(exact) == *version)
    }
}

/// One vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnRecord {
    /// `CVE-…` for CVE records, the OSV id for OSV records.
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Highest CVSS base score found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    /// Severity word when there is no score (OSV `database_specific.severity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_text: Option<String>,
    pub affected: Vec<AffectedComponent>,
}

impl VulnRecord {
    /// The id findings use: the CVE id when the record or one of its aliases is one, so an OSV
    /// and a CVE record of the same vulnerability count once.
    pub fn primary_id(&self) -> &str {
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .find(|id| id.starts_with("CVE-"))
            .unwrap_or(&self.id)
    }

    /// Severity from the CVSS score (critical ≥ 9, high ≥ 7, medium ≥ 4, else low), else from
    /// the severity word, else medium.
    pub fn severity(&self) -> Severity {
        if let Some(score) = self.cvss {
            return severity_for_score(score);
        }
        match self
            .severity_text
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("critical") => Severity::Critical,
            Some("high") => Severity::High,
            Some("low") => Severity::Low,
            _ => Severity::Medium,
        }
    }
}

/// Critical ≥ 9, high ≥ 7, medium ≥ 4, else low.
pub fn severity_for_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Counts of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSummary {
    pub files: u64,
    /// Records read (OSV and CVE).
    pub records: u64,
    /// Records kept: at least one affected entry mapped to a component with versions.
    pub kept: u64,
    /// Records about no known component (or with no usable versions), dropped.
    pub unmapped: u64,
    /// Withdrawn OSV records and rejected CVE records, dropped.
    pub withdrawn: u64,
    /// JSON files that are neither OSV nor CVE JSON 5 records, skipped.
    pub other_files: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedDb {
    format: String,
    format_version: u32,
    summary: ImportSummary,
    records: Vec<VulnRecord>,
}

/// The imported database with an index by component name.
#[derive(Clone, Default)]
pub struct VulnDb {
    records: Vec<VulnRecord>,
    summary: ImportSummary,
    by_component: HashMap<String, Vec<usize>>,
}

/// A summary: the records themselves would flood any debug print of [`super::CheckOptions`].
impl std::fmt::Debug for VulnDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VulnDb")
            .field("records", &self.records.len())
            .field("components", &self.by_component.len())
            .field("summary", &self.summary)
            .finish()
    }
}

impl VulnDb {
    /// A database of `records` (indexing them).
    pub fn from_records(records: Vec<VulnRecord>, summary: ImportSummary) -> VulnDb {
        let mut by_component: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, record) in records.iter().enumerate() {
            for affected in &record.affected {
                let entry = by_component.entry(affected.component.clone()).or_default();
                if entry.last() != Some(&index) {
                    entry.push(index);
                }
            }
        }
        VulnDb {
            records,
            summary,
            by_component,
        }
    }

    pub fn records(&self) -> &[VulnRecord] {
        &self.records
    }

    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records affecting `component` at `version`, one per [`VulnRecord::primary_id`] (the first
    /// record wins, with the highest score of the duplicates), sorted by id.
    pub fn matching(&self, component: &str, version: &str) -> Vec<VulnRecord> {
        let parsed = Version::parse(version);
        if !parsed.has_number() {
            return Vec::new();
        }
        let mut found: Vec<VulnRecord> = Vec::new();
        for &index in self
            .by_component
            .get(component)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let Some(record) = self.records.get(index) else {
                continue;
            };
            let affected = record
                .affected
                .iter()
                .any(|entry| entry.component == component && entry.affects(&parsed));
            if !affected {
                continue;
            }
            match found
                .iter_mut()
                .find(|known| known.primary_id() == record.primary_id())
            {
                Some(known) => {
                    if record.cvss > known.cvss {
                        known.cvss = record.cvss;
                    }
                }
                None => {
                    let mut copy = record.clone();
                    copy.id = record.primary_id().to_owned();
                    found.push(copy);
                }
            }
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found
    }

    /// The compact JSON form (see [`VulnDb::from_json`]).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&SavedDb {
            format: DATABASE_FORMAT.to_owned(),
            format_version: DATABASE_FORMAT_VERSION,
            summary: self.summary.clone(),
            records: self.records.clone(),
        })
    }

    /// Reads the compact JSON form; `path` only names the source in errors.
    pub fn from_json(path: &str, text: &str) -> Result<VulnDb, VulnDbError> {
        let saved: SavedDb = serde_json::from_str(text).map_err(|source| VulnDbError::Json {
            path: path.to_owned(),
            source,
        })?;
        if saved.format != DATABASE_FORMAT || saved.format_version != DATABASE_FORMAT_VERSION {
            return Err(VulnDbError::Format {
                path: path.to_owned(),
                format: saved.format,
                version: saved.format_version,
            });
        }
        Ok(VulnDb::from_records(saved.records, saved.summary))
    }

    /// Writes the compact JSON form to `path`.
    pub fn save(&self, path: &Path) -> Result<(), VulnDbError> {
        let name = path.display().to_string();
        let text = self.to_json().map_err(|source| VulnDbError::Json {
            path: name.clone(),
            source,
        })?;
        std::fs::write(path, text).map_err(|source| VulnDbError::Io { path: name, source })
    }

    /// Reads a database written by [`VulnDb::save`].
    pub fn load(path: &Path) -> Result<VulnDb, VulnDbError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| VulnDbError::Io {
            path: name.clone(),
            source,
        })?;
        VulnDb::from_json(&name, &text)
    }
}

/// Imports OSV and CVE JSON 5 records from `(path, text)` pairs, mapping them to the embedded
/// component signatures. A file may hold one record or an array of records; JSON files that
/// hold neither are counted and skipped; text that is not JSON is an error naming the file.
pub fn import(files: &[(String, String)]) -> Result<VulnDb, ImportError> {
    let mut importer = Importer::new();
    for (path, text) in files {
        importer.add(path, text)?;
    }
    Ok(importer.finish())
}

/// Imports every `.json` file of `inputs` (files, or directories walked recursively in name
/// order without following symbolic links), one file in memory at a time: what
/// `iotlabel vulndb import <dir-or-files> --out <db>` calls before [`VulnDb::save`].
pub fn import_paths(inputs: &[PathBuf]) -> Result<VulnDb, ImportError> {
    let mut importer = Importer::new();
    for input in inputs {
        importer.add_path(input)?;
    }
    Ok(importer.finish())
}

/// An import in progress: feed it files one by one (a CVE list has some 250 000), then
/// [`Importer::finish`].
#[derive(Debug)]
pub struct Importer<'s> {
    signatures: &'s [ComponentSignature],
    summary: ImportSummary,
    records: Vec<VulnRecord>,
}

impl Importer<'static> {
    /// An importer mapping to the embedded signatures.
    pub fn new() -> Importer<'static> {
        Importer::with_signatures(super::component_signatures::signatures().unwrap_or(&[]))
    }
}

impl Default for Importer<'static> {
    fn default() -> Importer<'static> {
        Importer::new()
    }
}

impl<'s> Importer<'s> {
    /// An importer mapping to `signatures`.
    pub fn with_signatures(signatures: &'s [ComponentSignature]) -> Importer<'s> {
        Importer {
            signatures,
            summary: ImportSummary::default(),
            records: Vec::new(),
        }
    }

    /// Adds one file's records; `path` names it in errors.
    pub fn add(&mut self, path: &str, text: &str) -> Result<(), ImportError> {
        self.summary.files += 1;
        let value: Value = serde_json::from_str(text).map_err(|source| ImportError::Json {
            path: path.to_owned(),
            source,
        })?;
        let documents: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut recognised = false;
        for document in documents {
            let parsed = if is_cve5(document) {
                Some(parse_cve5(document, self.signatures))
            } else if is_osv(document) {
                Some(parse_osv(document, self.signatures))
            } else {
                None
            };
            let Some(parsed) = parsed else { continue };
            recognised = true;
            self.summary.records += 1;
            match parsed {
                Parsed::Withdrawn => self.summary.withdrawn += 1,
                Parsed::Record(record) if !record.affected.is_empty() => {
                    self.summary.kept += 1;
                    self.records.push(record);
                }
                Parsed::Record(_) => self.summary.unmapped += 1,
            }
        }
        if !recognised {
            self.summary.other_files += 1;
        }
        Ok(())
    }

    /// Adds a `.json` file, or every `.json` file under a directory (name order; symbolic
    /// links are not followed).
    pub fn add_path(&mut self, path: &Path) -> Result<(), ImportError> {
        let io_error = |source| ImportError::Io {
            path: path.display().to_string(),
            source,
        };
        let metadata = std::fs::symlink_metadata(path).map_err(io_error)?;
        if metadata.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io_error)?
                .map(|entry| entry.map(|entry| entry.path()))
                .collect::<Result<_, _>>()
                .map_err(io_error)?;
            entries.sort();
            for entry in entries {
                let is_dir = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.is_dir());
                let is_json = entry
                    .extension()
                    .is_some_and(|extension| extension == "json");
                if is_dir || is_json {
                    self.add_path(&entry)?;
                }
            }
            Ok(())
        } else {
            let text = std::fs::read_to_string(path).map_err(io_error)?;
            self.add(&path.display().to_string(), &text)
        }
    }

    /// What was imported so far.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    /// The database.
    pub fn finish(self) -> VulnDb {
        VulnDb::from_records(self.records, self.summary)
    }
}

enum Parsed {
    Record(VulnRecord),
    Withdrawn,
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn is_cve5(value: &Value) -> bool {
    text(value, "dataType") == Some("CVE_RECORD") || value.get("cveMetadata").is_some()
}

fn is_osv(value: &Value) -> bool {
    text(value, "id").is_some()
        && (value.get("affected").is_some() || value.get("modified").is_some())
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase().replace(' ', "_")
}

/// The signature known as `name` (name, CPE product or alias).
fn signature_named<'a>(
    signatures: &'a [ComponentSignature],
    name: &str,
) -> Option<&'a ComponentSignature> {
    let wanted = normalise(name);
    let dashed = wanted.replace('_', "-");
    signatures.iter().find(|signature| {
        signature
            .known_names()
            .any(|known| known == wanted || known == dashed)
    })
}

fn signature_by_cpe<'a>(
    signatures: &'a [ComponentSignature],
    vendor: &str,
    product: &str,
) -> Option<&'a ComponentSignature> {
    let (vendor, product) = (normalise(vendor), normalise(product));
    signatures
        .iter()
        .find(|signature| signature.cpe_vendor == vendor && signature.cpe_product == product)
}

/// Vendor and product of a CPE 2.3 (`cpe:2.3:a:vendor:product:…`) or 2.2 (`cpe:/a:vendor:product`) name.
fn cpe_vendor_product(cpe: &str) -> Option<(&str, &str)> {
    let rest = cpe
        .strip_prefix("cpe:2.3:")
        .or_else(|| cpe.strip_prefix("cpe:/"))?;
    let mut parts = rest.split(':');
    let _part = parts.next()?;
    Some((parts.next()?, parts.next()?))
}

/// Name (and namespace/name) of a purl `pkg:type/namespace/name@version?q#s`.
fn purl_names(purl: &str) -> Vec<String> {
    let Some(rest) = purl.strip_prefix("pkg:") else {
        return Vec::new();
    };
    let end = rest.find(['@', '?', '#']).unwrap_or(rest.len());
    let body = rest.get(..end).unwrap_or("");
    let segments: Vec<&str> = body.split('/').skip(1).collect();
    let mut names = Vec::new();
    if let Some(name) = segments.last() {
        names.push((*name).to_owned());
        if segments.len() >= 2 {
            names.push(segments.join("/"));
        }
    }
    names
}

fn parse_osv(value: &Value, signatures: &[ComponentSignature]) -> Parsed {
    if value.get("withdrawn").is_some_and(|w| !w.is_null()) {
        return Parsed::Withdrawn;
    }
    let id = text(value, "id").unwrap_or_default().to_owned();
    let aliases = array(value, "aliases")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let summary = text(value, "summary")
        .or_else(|| text(value, "details"))
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    let mut cvss: Option<f64> = None;
    for severity in array(value, "severity") {
        if let Some(score) = text(severity, "score").and_then(cvss3_base_score) {
            cvss = Some(cvss.map_or(score, |known: f64| known.max(score)));
        }
    }
    let severity_text = value
        .get("database_specific")
        .and_then(|specific| text(specific, "severity"))
        .map(str::to_owned);
    let mut affected: Vec<AffectedComponent> = Vec::new();
    for entry in array(value, "affected") {
        let Some(package) = entry.get("package") else {
            continue;
        };
        let ecosystem = text(package, "ecosystem").unwrap_or_default();
        let signature = text(package, "purl")
            .map(purl_names)
            .unwrap_or_default()
            .iter()
            .find_map(|name| signature_named(signatures, name))
            .or_else(|| text(package, "name").and_then(|name| signature_named(signatures, name)));
        let Some(signature) = signature else { continue };
        let base_ecosystem = ecosystem
            .split(':')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let distribution = DISTRIBUTION_ECOSYSTEMS.contains(&base_ecosystem.as_str());
        let mut component = AffectedComponent {
            component: signature.name.clone(),
            ranges: Vec::new(),
            versions: Vec::new(),
            default_affected: false,
            unaffected: Vec::new(),
        };
        if !distribution {
            for range in array(entry, "ranges") {
                if !matches!(text(range, "type"), Some("ECOSYSTEM" | "SEMVER")) {
                    continue;
                }
                component.ranges.extend(osv_ranges(array(range, "events")));
            }
            component.versions = array(entry, "versions")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        if component.ranges.is_empty() && component.versions.is_empty() {
            continue;
        }
        merge_affected(&mut affected, component);
    }
    Parsed::Record(VulnRecord {
        id,
        aliases,
        summary,
        cvss,
        severity_text,
        affected,
    })
}

/// OSV events in order: `introduced` opens, `fixed` / `last_affected` close.
fn osv_ranges(events: &[Value]) -> Vec<VersionRange> {
    let mut ranges = Vec::new();
    let mut open: Option<Option<String>> = None;
    for event in events {
        if let Some(introduced) = text(event, "introduced") {
            if let Some(start) = open.take() {
                ranges.push(VersionRange {
                    introduced: start,
                    fixed: None,
                    last_affected: None,
                    series: None,
                });
            }
            open = Some((introduced != "0").then(|| introduced.to_owned()));
        } else if let Some(fixed) = text(event, "fixed") {
            if let Some(start) = open.take() {
                ranges.push(VersionRange {
                    introduced: start,
                    fixed: Some(fixed.to_owned()),
                    last_affected: None,
                    series: None,
                });
            }
        } else if let Some(last) = text(event, "last_affected")
            && let Some(start) = open.take()
        {
            ranges.push(VersionRange {
                introduced: start,
                fixed: None,
                last_affected: Some(last.to_owned()),
                series: None,
            });
        }
    }
    if let Some(start) = open {
        ranges.push(VersionRange {
            introduced: start,
            fixed: None,
            last_affected: None,
            series: None,
        });
    }
    ranges
}

fn merge_affected(affected: &mut Vec<AffectedComponent>, component: AffectedComponent) {
    match affected
        .iter_mut()
        .find(|known| known.component == component.component)
    {
        Some(known) => {
            known.ranges.extend(component.ranges);
            known.versions.extend(component.versions);
        }
        None => affected.push(component),
    }
}

fn is_open_bound(version: &str) -> bool {
    matches!(
        version.trim(),
        "" | "0" | "*" | "-" | "n/a" | "unspecified" | "unknown"
    )
}

fn parse_cve5(value: &Value, signatures: &[ComponentSignature]) -> Parsed {
    let metadata = value.get("cveMetadata");
    if metadata.and_then(|m| text(m, "state")) == Some("REJECTED") {
        return Parsed::Withdrawn;
    }
    let id = metadata
        .and_then(|m| text(m, "cveId"))
        .unwrap_or_default()
        .to_owned();
    let containers = value.get("containers");
    let cna = containers.and_then(|c| c.get("cna"));
    let summary = cna
        .map(|cna| array(cna, "descriptions"))
        .unwrap_or(&[])
        .iter()
        .find(|d| text(d, "lang").is_some_and(|lang| lang.starts_with("en")))
        .and_then(|d| text(d, "value"))
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    let mut metric_sources: Vec<&Value> = cna.into_iter().collect();
    if let Some(containers) = containers {
        metric_sources.extend(array(containers, "adp"));
    }
    let mut newer: Option<f64> = None;
    let mut older: Option<f64> = None;
    for source in metric_sources {
        for metric in array(source, "metrics") {
            for (key, is_newer) in [
                ("cvssV4_0", true),
                ("cvssV3_1", true),
                ("cvssV3_0", true),
                ("cvssV2_0", false),
            ] {
                let Some(score) = metric
                    .get(key)
                    .and_then(|m| m.get("baseScore"))
                    .and_then(Value::as_f64)
                    .filter(|score| (0.0..=10.0).contains(score))
                else {
                    continue;
                };
                let slot = if is_newer { &mut newer } else { &mut older };
                *slot = Some(slot.map_or(score, |known| known.max(score)));
            }
        }
    }
    let mut affected: Vec<AffectedComponent> = Vec::new();
    for entry in cna.map(|cna| array(cna, "affected")).unwrap_or(&[]) {
        let vendor = text(entry, "vendor").unwrap_or_default();
        let product = text(entry, "product").unwrap_or_default();
        let signature = array(entry, "cpes")
            .iter()
            .filter_map(Value::as_str)
            .filter_map(cpe_vendor_product)
            .find_map(|(vendor, product)| signature_by_cpe(signatures, vendor, product))
            .or_else(|| signature_by_cpe(signatures, vendor, product))
            .or_else(|| signature_named(signatures, product));
        let Some(signature) = signature else { continue };
        let versions = array(entry, "versions");
        let mut component = AffectedComponent {
            component: signature.name.clone(),
            ranges: Vec::new(),
            versions: Vec::new(),
            // Only with versions to except: a record saying "every version" says nothing.
            default_affected: text(entry, "defaultStatus") == Some("affected")
                && !versions.is_empty(),
            unaffected: Vec::new(),
        };
        for version in versions {
            let affected_entry = match text(version, "status") {
                Some("affected") => true,
                Some("unaffected") => false,
                _ => continue,
            };
            if text(version, "versionType") == Some("git") {
                continue;
            }
            let Some(start) = text(version, "version") else {
                continue;
            };
            match cve5_range(version, start) {
                Some(range) if affected_entry => component.ranges.push(range),
                Some(range) => component.unaffected.push(range),
                None if is_open_bound(start) => {}
                None if affected_entry => component.versions.push(start.to_owned()),
                None => component.unaffected.push(VersionRange {
                    introduced: Some(start.to_owned()),
                    last_affected: Some(start.to_owned()),
                    ..VersionRange::default()
                }),
            }
        }
        let usable = !component.ranges.is_empty()
            || !component.versions.is_empty()
            || (component.default_affected && !component.unaffected.is_empty());
        if !usable {
            continue;
        }
        merge_affected(&mut affected, component);
    }
    Parsed::Record(VulnRecord {
        id,
        aliases: Vec::new(),
        summary,
        cvss: newer.or(older),
        severity_text: None,
        affected,
    })
}

/// The range of a CVE JSON 5 `versions[]` entry with `lessThan` or `lessThanOrEqual`; `None`
/// for a bare version. A bound with a wildcard (`5.15.*`) keeps the range inside that series;
/// `*` alone leaves it open; `changes[]` may give the first version where the status flips.
fn cve5_range(entry: &Value, start: &str) -> Option<VersionRange> {
    let less_than = text(entry, "lessThan");
    let less_or_equal = text(entry, "lessThanOrEqual");
    let bound = less_than.or(less_or_equal)?;
    let introduced = (!is_open_bound(start)).then(|| start.to_owned());
    let first_change = array(entry, "changes")
        .iter()
        .find(|change| {
            text(change, "status").is_some_and(|status| Some(status) != text(entry, "status"))
        })
        .and_then(|change| text(change, "at"))
        .map(str::to_owned);
    if let Some(star) = bound.find('*') {
        let series = bound
            .get(..star)
            .unwrap_or_default()
            .trim_end_matches(['.', '-']);
        return Some(VersionRange {
            introduced,
            fixed: first_change,
            series: (!series.is_empty()).then(|| series.to_owned()),
            ..VersionRange::default()
        });
    }
    if is_open_bound(bound) {
        return Some(VersionRange {
            introduced,
            fixed: first_change,
            ..VersionRange::default()
        });
    }
    Some(if less_than.is_some() {
        VersionRange {
            introduced,
            fixed: Some(bound.to_owned()),
            ..VersionRange::default()
        }
    } else {
        VersionRange {
            introduced,
            last_affected: Some(bound.to_owned()),
            ..VersionRange::default()
        }
    })
}

/// The CVSS 3.0/3.1 base score of a vector (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`),
/// with the specification's formula and round-up. Written here because it is a dozen lines
/// and OSV gives vectors, not scores. `None` for other versions or incomplete vectors.
pub fn cvss3_base_score(vector: &str) -> Option<f64> {
    let mut parts = vector.split('/');
    if !matches!(parts.next(), Some("CVSS:3.0" | "CVSS:3.1")) {
        return None;
    }
    let metrics: HashMap<&str, &str> = parts.filter_map(|part| part.split_once(':')).collect();
    let scope_changed = match *metrics.get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let attack_vector = match *metrics.get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let attack_complexity = match *metrics.get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let privileges = match (*metrics.get("PR")?, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let interaction = match *metrics.get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let impact_value = |key: &str| -> Option<f64> {
        match *metrics.get(key)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (impact_value("C")?, impact_value("I")?, impact_value("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    if impact <= 0.0 {
        return Some(0.0);
    }
    let exploitability = 8.22 * attack_vector * attack_complexity * privileges * interaction;
    let raw = if scope_changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Some(round_up(raw))
}

/// CVSS 3.1 Roundup: the smallest one-decimal number ≥ the input, robust to float noise.
fn round_up(value: f64) -> f64 {
    let scaled = (value * 100_000.0).round() as i64;
    if scaled % 10_000 == 0 {
        scaled as f64 / 100_000.0
    } else {
        ((scaled / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cvss3_scores_match_the_specification_examples() {
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
            Some(10.0)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            Some(5.9)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"),
            Some(7.8)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
            Some(6.1)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"),
            Some(0.0)
        );
        assert_eq!(cvss3_base_score("CVSS:2.0/AV:N"), None);
        assert_eq!(cvss3_base_score("CVSS:3.1/AV:N"), None);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![
                Just("affected".to_owned()),
                Just("0".to_owned()),
                Just("1.0.2*".to_owned()),
                Just("openssl".to_owned()),
                "[a-z0-9.*:/ -]{0,12}",
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            let keys = prop_oneof![
                Just("id".to_owned()),
                Just("affected".to_owned()),
                Just("package".to_owned()),
                Just("name".to_owned()),
                Just("ranges".to_owned()),
                Just("events".to_owned()),
                Just("introduced".to_owned()),
                Just("fixed".to_owned()),
                Just("versions".to_owned()),
                Just("cveMetadata".to_owned()),
                Just("containers".to_owned()),
                Just("cna".to_owned()),
                Just("product".to_owned()),
                Just("vendor".to_owned()),
                Just("version".to_owned()),
                Just("lessThan".to_owned()),
                Just("status".to_owned()),
                Just("changes".to_owned()),
                Just("metrics".to_owned()),
                Just("severity".to_owned()),
                Just("score".to_owned()),
                Just("type".to_owned()),
                Just("modified".to_owned()),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn hostile_records_never_panic(value in json_value()) {
            let mut importer = Importer::new();
            prop_assert!(importer.add("x.json", &value.to_string()).is_ok());
            let db = importer.finish();
            for record in db.records() {
                for affected in &record.affected {
                    let _ = db.matching(&affected.component, "1.0.2u");
                }
            }
        }

        #[test]
        fn any_cvss_vector_scores_within_bounds(vector in "CVSS:3\\.[01](/[A-Z]{1,2}:[A-Z]){0,9}") {
            if let Some(score) = cvss3_base_score(&vector) {
                prop_assert!((0.0..=10.0).contains(&score));
            }
        }
    }

    #[test]
    fn severity_bands() {
        assert_eq!(severity_for_score(9.0), Severity::Critical);
        assert_eq!(severity_for_score(8.9), Severity::High);
        assert_eq!(severity_for_score(7.0), Severity::High);
        assert_eq!(severity_for_score(4.0), Severity::Medium);
        assert_eq!(severity_for_score(3.9), Severity::Low);
    }

    #[test]
    fn osv_events_become_ranges() {
        let events: Vec<Value> = serde_json::from_str(
            r#"[{"introduced":"0"},{"fixed":"1.0.1"},{"introduced":"1.0.2"},{"last_affected":"1.0.2k"},{"introduced":"1.1.0"}]"#,
        )
        .unwrap();
        let ranges = osv_ranges(&events);
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0].introduced, None);
        assert_eq!(ranges[0].fixed.as_deref(), Some("1.0.1"));
        assert_eq!(ranges[1].last_affected.as_deref(), Some("1.0.2k"));
        assert!(ranges[2].contains(&Version::parse("3.0.0")));
        assert!(!ranges[2].contains(&Version::parse("1.0.9")));
    }

    #[test]
    fn purl_and_cpe_names() {
        assert_eq!(purl_names("pkg:generic/openssl@1.0.2"), vec!["openssl"]);
        assert_eq!(
            purl_names("pkg:github/curl/curl?x=1"),
            vec!["curl".to_owned(), "curl/curl".to_owned()]
        );
        assert!(purl_names("not a purl").is_empty());
        assert_eq!(
            cpe_vendor_product("cpe:2.3:a:openssl:openssl:1.0.2:*:*:*:*:*:*:*"),
            Some(("openssl", "openssl"))
        );
        assert_eq!(
            cpe_vendor_product("cpe:/o:linux:linux_kernel"),
            Some(("linux", "linux_kernel"))
        );
    }
}
