//! Disclosure and support checks (EN 303 645 5.2-1, 5.3-13, 5.3-16): a `security.txt` in the
//! web root with the RFC 9116 fields (`Contact`, one unexpired `Expires`), a support-period
//! statement in the device's own texts (web interface, release notes, `etc/`), and the model
//! and version metadata that lets a user recognise the product.
//!
//! These provisions are about what the manufacturer publishes, which may be outside the
//! firmware (a web site, the packaging), so an absence here is weak evidence: it is reported
//! with confidence `possible` and low severity, and a present statement is inventory (`info`).

use std::collections::BTreeSet;

use iotlabel_core::report::{CheckOutcome, Confidence, Severity};
use serde_json::{Map, json};

use super::credentials::{as_text, basename, new_finding};
use super::{Check, CheckInput, CheckMeta, CheckOutput, Filesystem};

const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Directory names that hold a web interface.
const WEB_ROOT_NAMES: &[&str] = &[
    "www",
    "htdocs",
    "webroot",
    "public_html",
    "web",
    "webui",
    "html",
    "wwwroot",
];

/// The web roots of `fs`: directories with one of [`WEB_ROOT_NAMES`] that hold an index page
/// or any HTML file.
pub fn web_roots(fs: &Filesystem<'_>) -> Vec<String> {
    let mut roots = BTreeSet::new();
    for (path, _) in fs.tree.files() {
        let lower = path.to_ascii_lowercase();
        if !(lower.ends_with(".html")
            || lower.ends_with(".htm")
            || lower.ends_with(".asp")
            || lower.ends_with(".php")
            || lower.ends_with(".cgi")
            || lower.ends_with("security.txt"))
        {
            continue;
        }
        let mut prefix = String::new();
        for component in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(component);
            if WEB_ROOT_NAMES.contains(&component) && prefix.len() < path.len() {
                roots.insert(prefix.clone());
                break;
            }
        }
    }
    roots.into_iter().collect()
}

/// A security.txt's problems under RFC 9116.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityTxt {
    pub contacts: Vec<String>,
    pub expires: Vec<String>,
    pub problems: Vec<String>,
}

/// Parses and validates a security.txt at `now` (Unix seconds; `None` skips the expiry test).
pub fn parse_security_txt(text: &str, now: Option<i64>) -> SecurityTxt {
    let mut contacts = Vec::new();
    let mut expires = Vec::new();
    let mut problems = Vec::new();
    let mut in_signature = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with("-----BEGIN PGP SIGNATURE") {
            in_signature = true;
            continue;
        }
        if line.starts_with("-----END PGP SIGNATURE") {
            in_signature = false;
            continue;
        }
        if in_signature || line.starts_with('#') || line.starts_with("-----") || line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "contact" => contacts.push(value.to_owned()),
            "expires" => expires.push(value.to_owned()),
            _ => {}
        }
    }
    if contacts.is_empty() {
        problems.push("no Contact field".to_owned());
    }
    for contact in &contacts {
        let lower = contact.to_ascii_lowercase();
        if lower.starts_with("http://") {
            problems.push(format!("Contact {contact} is not https"));
        } else if !(lower.starts_with("https://")
            || lower.starts_with("mailto:")
            || lower.starts_with("tel:"))
        {
            problems.push(format!(
                "Contact {contact} is not a URI (mailto:, https: or tel:)"
            ));
        }
    }
    match expires.as_slice() {
        [] => problems.push("no Expires field".to_owned()),
        [one] => {
            match time::OffsetDateTime::parse(one, &time::format_description::well_known::Rfc3339) {
                Ok(date) => {
                    if now.is_some_and(|now| date.unix_timestamp() < now) {
                        problems.push(format!("expired on {one}"));
                    }
                }
                Err(_) => problems.push(format!("Expires {one} is not an RFC 3339 date-time")),
            }
        }
        _ => problems.push("more than one Expires field".to_owned()),
    }
    SecurityTxt {
        contacts,
        expires,
        problems,
    }
}

fn now_of(input: &CheckInput<'_>) -> Option<i64> {
    let now = input.options.now.unix_timestamp();
    (now > 0).then_some(now)
}

pub static SECURITY_TXT: Check = Check {
    meta: CheckMeta {
        id: "disclosure.security-txt",
        provisions: &["5.2-1"],
        severity: Severity::Low,
        title: "security.txt in the web interface",
        rationale: "A security.txt (RFC 9116) tells researchers where to report a vulnerability; \
                    without a contact, reports get lost.",
    },
    run: run_security_txt,
};

fn run_security_txt(input: &CheckInput<'_>, _: &super::analysis::Analysis<'_>) -> CheckOutput {
    let meta = &SECURITY_TXT.meta;
    let now = now_of(input);
    let mut findings = Vec::new();
    let mut valid = Vec::new();
    let mut roots_total = 0;
    for fs in input.filesystems {
        let roots = web_roots(fs);
        roots_total += roots.len();
        let files: Vec<(&str, &[u8])> = fs
            .tree
            .files()
            .filter(|(path, file)| {
                basename(path) == "security.txt" && file.data.len() <= MAX_TEXT_BYTES
            })
            .map(|(path, file)| (path, file.data.as_slice()))
            .collect();
        for (path, data) in &files {
            let text = String::from_utf8_lossy(data);
            let parsed = parse_security_txt(&text, now);
            if parsed.problems.is_empty() {
                valid.push(format!(
                    "{path} (Contact {}, Expires {})",
                    parsed.contacts.join(", "),
                    parsed.expires.join(", ")
                ));
                continue;
            }
            let mut evidence = Map::new();
            evidence.insert("problems".into(), json!(parsed.problems));
            evidence.insert("contacts".into(), json!(parsed.contacts));
            evidence.insert("expires".into(), json!(parsed.expires));
            findings.push(new_finding(
                meta,
                fs,
                path,
                Severity::Low,
                Confidence::Confirmed,
                format!(
                    "security.txt does not meet RFC 9116: {}.",
                    parsed.problems.join("; ")
                ),
                evidence,
                &["security.txt"],
            ));
        }
        if files.is_empty()
            && let Some(root) = roots.first()
        {
            let mut evidence = Map::new();
            evidence.insert("web_roots".into(), json!(roots));
            findings.push(new_finding(
                    meta,
                    fs,
                    root,
                    Severity::Low,
                    Confidence::Possible,
                    format!("The web interface ({root}) has no .well-known/security.txt; the disclosure policy may be published elsewhere."),
                    evidence,
                    &["security.txt-missing"],
                ));
        }
    }
    let mut output = CheckOutput {
        findings,
        coverage: Some(if valid.is_empty() {
            format!("{roots_total} web roots searched for security.txt")
        } else {
            format!("valid security.txt: {}", valid.join("; "))
        }),
        ..CheckOutput::default()
    };
    if output.findings.is_empty() && valid.is_empty() {
        output.outcome = Some(CheckOutcome::Indeterminate);
        output.reason = Some("the image has no web interface and no security.txt; the policy must be published elsewhere (checked from the dossier)".to_owned());
    }
    output
}

// ---------------------------------------------------------------------------------------------
// disclosure.support-period

const SUPPORT_PHRASES: &[&str] = &[
    "support period",
    "security updates until",
    "security updates through",
    "supported until",
    "supported through",
    "end of support",
    "end-of-support",
    "end of life",
    "end-of-life",
    "updates until",
    "minimum support",
    "defined support",
    "will receive security updates",
];

/// Whether `path` is one of the device's own texts (not third-party documentation).
fn is_device_text(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if lower.contains("share/doc/")
        || lower.contains("licenses/")
        || lower.contains("/man/")
        || lower.contains("python")
        || lower.contains("perl")
    {
        return false;
    }
    let name = basename(&lower);
    let web = web_root_component(&lower);
    let text_ext = [
        ".html", ".htm", ".txt", ".json", ".js", ".md", ".xml", ".asp", ".lua", ".htm",
    ]
    .iter()
    .any(|e| name.ends_with(e));
    (web && text_ext)
        || lower.starts_with("etc/")
        || [
            "support",
            "eula",
            "warranty",
            "release",
            "version",
            "readme",
            "policy",
            "lifecycle",
        ]
        .iter()
        .any(|w| name.contains(w))
}

fn web_root_component(path: &str) -> bool {
    path.split('/').any(|c| WEB_ROOT_NAMES.contains(&c)) || path.contains("luci/view")
}

/// A date near a statement: `YYYY-MM-DD`, `Month YYYY` or a bare year.
fn date_in(text: &str) -> Option<(String, time::Date)> {
    let bytes = text.as_bytes();
    for start in 0..bytes.len() {
        let Some(slice) = text.get(start..) else {
            continue;
        };
        let digits: String = slice.chars().take(10).collect();
        if digits.len() == 10
            && let Ok(date) = time::Date::parse(
                &digits,
                &time::macros::format_description!("[year]-[month]-[day]"),
            )
        {
            return Some((digits, date));
        }
    }
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = text.to_ascii_lowercase();
    for (index, month) in MONTHS.iter().enumerate() {
        if let Some(at) = lower.find(month) {
            let after = lower
                .get(at + month.len()..)
                .unwrap_or_default()
                .trim_start_matches([' ', ',']);
            let year: String = after.chars().take(4).collect();
            if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) {
                let month = time::Month::try_from(index as u8 + 1).ok()?;
                let year: i32 = year.parse().ok()?;
                let last = time::util::days_in_month(month, year);
                let date = time::Date::from_calendar_date(year, month, last).ok()?;
                return Some((
                    format!("{} {year}", MONTHS.get(index).copied().unwrap_or_default()),
                    date,
                ));
            }
        }
    }
    let words: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).collect();
    for word in words {
        if word.len() == 4 && (word.starts_with("20") || word.starts_with("21")) {
            let year: i32 = word.parse().ok()?;
            let date = time::Date::from_calendar_date(year, time::Month::December, 31).ok()?;
            return Some((word.to_owned(), date));
        }
    }
    None
}

fn floor_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while index < text.len() && !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

pub static SUPPORT_PERIOD: Check = Check {
    meta: CheckMeta {
        id: "disclosure.support-period",
        provisions: &["5.3-13"],
        severity: Severity::Low,
        title: "Support-period statement",
        rationale: "Buyers need to know until when the product receives security updates; the \
                    device's own interface is one place to say it.",
    },
    run: run_support_period,
};

fn run_support_period(input: &CheckInput<'_>, _: &super::analysis::Analysis<'_>) -> CheckOutput {
    let meta = &SUPPORT_PERIOD.meta;
    let now = input.options.now.date();
    let judge_end = now_of(input).is_some();
    let mut findings = Vec::new();
    let mut files = 0;
    let mut statements = 0;
    for fs in input.filesystems {
        for (path, file) in fs.tree.files() {
            if file.data.len() > MAX_TEXT_BYTES || !is_device_text(path) {
                continue;
            }
            let Some(text) = as_text(&file.data) else {
                continue;
            };
            files += 1;
            let lower = text.to_ascii_lowercase();
            let Some((phrase, at)) = SUPPORT_PHRASES
                .iter()
                .find_map(|p| lower.find(p).map(|at| (*p, at)))
            else {
                continue;
            };
            statements += 1;
            // The sentence around the phrase, on char boundaries.
            let start = floor_boundary(&text, at.saturating_sub(120));
            let end = ceil_boundary(&text, at + 200);
            let excerpt: String = text
                .get(start..end)
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let date = text.get(at..end).and_then(date_in);
            let mut evidence = Map::new();
            evidence.insert("phrase".into(), json!(phrase));
            evidence.insert("excerpt".into(), json!(excerpt));
            let (severity, confidence, message) = match &date {
                Some((shown, date)) => {
                    evidence.insert("end".into(), json!(shown));
                    if judge_end && *date < now {
                        (
                            Severity::Medium,
                            Confidence::Likely,
                            format!("The stated support period ended ({shown})."),
                        )
                    } else {
                        (
                            Severity::Info,
                            Confidence::Likely,
                            format!("Support-period statement found (until {shown})."),
                        )
                    }
                }
                None => (
                    Severity::Info,
                    Confidence::Possible,
                    "Support-period statement found (no end date recognised).".to_owned(),
                ),
            };
            findings.push(new_finding(
                meta,
                fs,
                path,
                severity,
                confidence,
                message,
                evidence,
                &[phrase],
            ));
        }
    }
    if statements == 0
        && let Some(fs) = input.filesystems.first()
    {
        let mut evidence = Map::new();
        evidence.insert("files_searched".into(), json!(files));
        findings.push(new_finding(
                meta,
                fs,
                "",
                Severity::Low,
                Confidence::Possible,
                format!("No support-period statement in the device's own texts ({files} files searched); it may be published elsewhere."),
                evidence,
                &["support-period-missing"],
            ));
    }
    CheckOutput {
        findings,
        coverage: Some(format!(
            "{files} device text files searched for {} support-period phrases",
            SUPPORT_PHRASES.len()
        )),
        ..CheckOutput::default()
    }
}

// ---------------------------------------------------------------------------------------------
// disclosure.model-metadata

/// Metadata keys that name the device model, and those that give a version.
const MODEL_KEYS: &[&str] = &[
    "device_product",
    "model",
    "model_name",
    "modelname",
    "product",
    "product_name",
    "productname",
    "board_name",
    "hw_model",
    "device_model",
    "product_model",
    "model_number",
    "modelnumber",
];
const VERSION_KEYS: &[&str] = &[
    "device_revision",
    "firmware_version",
    "fw_version",
    "firmwareversion",
    "sw_version",
    "software_version",
    "version",
    "version_id",
    "distrib_release",
    "build_version",
];

fn is_metadata_path(path: &str) -> bool {
    let name = basename(path);
    path.starts_with("etc/")
        && (name.ends_with("release")
            || name.contains("version")
            || matches!(
                name,
                "device_info"
                    | "board.json"
                    | "model"
                    | "product"
                    | "hw_version"
                    | "sysinfo"
                    | "banner"
                    | "build.prop"
                    | "fw_env.config"
                    | "config.json"
            ))
        || path == "usr/lib/os-release"
        || path.ends_with("build.prop")
}

pub static MODEL_METADATA: Check = Check {
    meta: CheckMeta {
        id: "disclosure.model-metadata",
        provisions: &["5.3-16"],
        severity: Severity::Info,
        title: "Model and version metadata",
        rationale: "A user can only check whether an update or advisory applies if the device \
                    names its model and firmware version.",
    },
    run: run_model_metadata,
};

fn run_model_metadata(input: &CheckInput<'_>, _: &super::analysis::Analysis<'_>) -> CheckOutput {
    let meta = &MODEL_METADATA.meta;
    let mut findings = Vec::new();
    let mut searched = 0;
    // One answer for the whole image: an extractor may report many nested file systems.
    let mut model: Option<(String, String, String, usize)> = None;
    let mut version: Option<(String, String, String)> = None;
    let mut os: Option<String> = None;
    for (fs_index, fs) in input.filesystems.iter().enumerate() {
        for (path, file) in fs.tree.files() {
            if file.data.len() > MAX_TEXT_BYTES || !is_metadata_path(path) {
                continue;
            }
            let Some(text) = as_text(&file.data) else {
                continue;
            };
            searched += 1;
            // board.json: { "model": { "id": ..., "name": ... } }
            if basename(path) == "board.json" {
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
                    && let Some(name) = value.pointer("/model/name").and_then(|v| v.as_str())
                {
                    model.get_or_insert((
                        name.to_owned(),
                        path.to_owned(),
                        "model.name".to_owned(),
                        fs_index,
                    ));
                }
                continue;
            }
            for setting in super::credentials::parse_settings(&text) {
                let key = setting.key.to_ascii_lowercase();
                let value = setting.value.trim();
                if value.is_empty()
                    || value.len() > 128
                    || super::credentials::is_placeholder(value)
                {
                    continue;
                }
                if key == "pretty_name" || key == "distrib_description" || key == "name" {
                    os.get_or_insert(value.to_owned());
                }
                if MODEL_KEYS.contains(&key.as_str())
                    || key.ends_with(".model")
                    || key.ends_with("_model")
                {
                    model.get_or_insert((
                        value.to_owned(),
                        path.to_owned(),
                        setting.key.clone(),
                        fs_index,
                    ));
                }
                if VERSION_KEYS.contains(&key.as_str()) {
                    version.get_or_insert((value.to_owned(), path.to_owned(), setting.key.clone()));
                }
            }
            // A one-line `etc/version` or `etc/model` file holds just the value.
            let name = basename(path);
            let single = text.trim();
            if !single.contains('\n')
                && !single.contains('=')
                && !single.is_empty()
                && single.len() <= 64
            {
                if name == "model" || name == "product" {
                    model.get_or_insert((
                        single.to_owned(),
                        path.to_owned(),
                        name.to_owned(),
                        fs_index,
                    ));
                } else if name.contains("version") {
                    version.get_or_insert((single.to_owned(), path.to_owned(), name.to_owned()));
                }
            }
        }
    }
    let mut evidence = Map::new();
    if let Some((value, path, key)) = &version {
        evidence.insert("version".into(), json!(value));
        evidence.insert("version_source".into(), json!(format!("{path} ({key})")));
    }
    if let Some(os) = &os {
        evidence.insert("os".into(), json!(os));
    }
    match &model {
        Some((value, path, key, fs_index)) => {
            if let Some(fs) = input.filesystems.get(*fs_index) {
                evidence.insert("model".into(), json!(value));
                evidence.insert("model_source".into(), json!(format!("{path} ({key})")));
                let shown_version = version
                    .as_ref()
                    .map(|(v, _, _)| format!(", version {v}"))
                    .unwrap_or_default();
                findings.push(new_finding(
                    meta,
                    fs,
                    path,
                    Severity::Info,
                    Confidence::Likely,
                    format!("The image names its model '{value}'{shown_version}."),
                    evidence,
                    &["model", value],
                ));
            }
        }
        None => {
            if let Some(fs) = input.filesystems.iter().find(|fs| !fs.tree.is_empty()) {
                findings.push(new_finding(
                    meta,
                    fs,
                    "",
                    Severity::Low,
                    Confidence::Possible,
                    "No model designation found in the image's metadata; the label or the packaging may carry it.".to_owned(),
                    evidence,
                    &["model-missing"],
                ));
            }
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!("{searched} metadata files read")),
        ..CheckOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckOptions;
    use crate::vfs::{FileEntry, Tree};

    const NOW: i64 = 1_795_000_000; // 2026-11-18

    #[test]
    fn security_txt_rules() {
        let valid = parse_security_txt(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:psirt@example.com\nExpires: 2030-01-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\nContact: nonsense\n-----END PGP SIGNATURE-----\n",
            Some(NOW),
        );
        assert!(valid.problems.is_empty(), "{valid:?}");
        assert_eq!(valid.contacts, ["mailto:psirt@example.com"]);
        let missing = parse_security_txt("Policy: https://example.com/p\n", Some(NOW));
        assert_eq!(missing.problems, ["no Contact field", "no Expires field"]);
        let expired = parse_security_txt(
            "Contact: http://example.com\nExpires: 2020-01-01T00:00:00Z\n",
            Some(NOW),
        );
        assert_eq!(expired.problems.len(), 2, "{expired:?}");
        let twice = parse_security_txt(
            "Contact: tel:+6512345678\nExpires: 2030-01-01T00:00:00Z\nExpires: 2031-01-01T00:00:00Z\n",
            None,
        );
        assert_eq!(twice.problems, ["more than one Expires field"]);
    }

    fn run(files: &[(&str, &str)], check: &Check) -> CheckOutput {
        let mut tree = Tree::new();
        for (path, text) in files {
            tree.add_file(path, FileEntry::new(text.as_bytes().to_vec()))
                .unwrap();
        }
        let options = CheckOptions::default();
        let filesystems = [Filesystem {
            containers: vec![],
            tree: &tree,
        }];
        let input = CheckInput {
            filesystems: &filesystems,
            options: &options,
        };
        (check.run)(
            &input,
            &crate::checks::analysis::Analysis::new(&filesystems),
        )
    }

    #[test]
    fn security_txt_missing_with_and_without_web_root() {
        let with_root = run(&[("www/index.html", "<html/>")], &SECURITY_TXT);
        assert_eq!(with_root.findings.len(), 1);
        assert_eq!(with_root.findings[0].confidence, Confidence::Possible);
        let without = run(&[("etc/passwd", "root:x:0:0::/:/bin/sh")], &SECURITY_TXT);
        assert!(without.findings.is_empty());
        assert_eq!(without.outcome, Some(CheckOutcome::Indeterminate));
        let valid = run(
            &[
                (
                    "www/.well-known/security.txt",
                    "Contact: mailto:a@example.com\nExpires: 2030-01-01T00:00:00Z\n",
                ),
                ("www/index.html", "x"),
            ],
            &SECURITY_TXT,
        );
        assert!(valid.findings.is_empty());
        assert!(
            valid
                .coverage
                .unwrap_or_default()
                .contains("valid security.txt")
        );
    }

    #[test]
    fn model_metadata_positive_and_negative() {
        let board = run(
            &[
                (
                    "etc/board.json",
                    r#"{"model": {"id": "cam,200", "name": "Example Cam 200"}}"#,
                ),
                ("etc/openwrt_release", "DISTRIB_RELEASE='23.05.3'\n"),
            ],
            &MODEL_METADATA,
        );
        assert_eq!(board.findings.len(), 1);
        assert_eq!(board.findings[0].severity, Severity::Info);
        assert_eq!(board.findings[0].evidence["model"], "Example Cam 200");
        assert_eq!(board.findings[0].evidence["version"], "23.05.3");
        let none = run(&[("etc/hostname", "cam")], &MODEL_METADATA);
        assert_eq!(none.findings.len(), 1);
        assert_eq!(none.findings[0].severity, Severity::Low);
    }

    #[test]
    fn support_period_positive_and_negative() {
        let stated = run(
            &[("www/about.html", "Security updates until March 2029.")],
            &SUPPORT_PERIOD,
        );
        assert_eq!(stated.findings.len(), 1);
        assert_eq!(stated.findings[0].severity, Severity::Info);
        assert_eq!(stated.findings[0].evidence["end"], "march 2029");
        let third_party = run(
            &[("usr/share/doc/openssl/README", "end of life 2023")],
            &SUPPORT_PERIOD,
        );
        assert_eq!(third_party.findings.len(), 1);
        assert_eq!(
            third_party.findings[0].severity,
            Severity::Low,
            "third-party docs do not count"
        );
    }
}
