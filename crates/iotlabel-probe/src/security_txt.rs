//! The manufacturer's vulnerability disclosure policy (EN 303 645 5.2-1, PSTI requirement 2):
//! fetch `/.well-known/security.txt` from the URL the user gives and validate it against
//! RFC 9116 (Contact and Expires present, not expired, Canonical matching, signature block
//! well formed when the file is signed).

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use iotlabel_core::report::{CheckOutcome, Confidence, Severity, Transport};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::collect::{Collector, NewFinding};
use crate::net::excerpt;
use crate::protocols::http;
use crate::protocols::tls_client::Verification;

pub const CHECK: &str = "disclosure.security-txt";
const PROVISIONS: &[&str] = &["5.2-1"];

/// One problem with a security.txt file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `missing`, `no-contact`, `no-expires`, `multiple-expires`, `bad-expires`, `expired`,
    /// `expires-too-far`, `canonical-mismatch`, `unsigned`, `bad-signature-block`, `not-https`.
    pub kind: &'static str,
    pub severity: Severity,
    pub detail: String,
}

/// The parsed fields (name lowercased, value trimmed), in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityTxt {
    pub fields: Vec<(String, String)>,
    pub signed: bool,
}

impl SecurityTxt {
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

const SIGNED_HEADER: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const SIGNATURE_START: &str = "-----BEGIN PGP SIGNATURE-----";
const SIGNATURE_END: &str = "-----END PGP SIGNATURE-----";

/// Parses the text; for a cleartext-signed file, returns the signed part's fields and checks
/// the wrapper's shape (the OpenPGP signature itself is not verified in this version).
pub fn parse(text: &str) -> (SecurityTxt, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut parsed = SecurityTxt::default();
    let mut body: Vec<String> = Vec::new();
    let trimmed = text.trim_start_matches('\u{feff}');
    if trimmed.trim_start().starts_with(SIGNED_HEADER) {
        parsed.signed = true;
        let lines: Vec<&str> = trimmed.lines().collect();
        let start = lines.iter().position(|line| line.trim().is_empty());
        let signature = lines.iter().position(|line| line.trim() == SIGNATURE_START);
        let end = lines.iter().position(|line| line.trim() == SIGNATURE_END);
        match (start, signature, end) {
            (Some(start), Some(signature), Some(end)) if start < signature && signature < end => {
                for line in lines.get(start + 1..signature).unwrap_or_default() {
                    // Dash-escaped lines (RFC 4880 7.1) start with "- ".
                    body.push(line.strip_prefix("- ").unwrap_or(line).to_owned());
                }
            }
            _ => problems.push(Problem {
                kind: "bad-signature-block",
                severity: Severity::Medium,
                detail: "the file starts as an OpenPGP signed message but the signature block is missing or malformed".into(),
            }),
        }
    } else {
        body = trimmed.lines().map(str::to_owned).collect();
    }
    for line in body.iter().take(10_000) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                parsed
                    .fields
                    .push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
            _ => {}
        }
    }
    (parsed, problems)
}

/// Validates parsed fields against RFC 9116 for the URL it was fetched from.
pub fn validate(parsed: &SecurityTxt, url: &str, now: OffsetDateTime) -> Vec<Problem> {
    let mut problems = Vec::new();
    if parsed.values("contact").next().is_none() {
        problems.push(Problem {
            kind: "no-contact",
            severity: Severity::High,
            detail: "no Contact field: RFC 9116 requires at least one".into(),
        });
    }
    let expires: Vec<&str> = parsed.values("expires").collect();
    match expires.as_slice() {
        [] => problems.push(Problem {
            kind: "no-expires",
            severity: Severity::Medium,
            detail: "no Expires field: RFC 9116 requires exactly one".into(),
        }),
        [value] => match OffsetDateTime::parse(value, &Rfc3339) {
            Ok(expiry) if expiry < now => problems.push(Problem {
                kind: "expired",
                severity: Severity::High,
                detail: format!("Expires {value} is in the past: the policy is stale"),
            }),
            Ok(expiry) if expiry > now + time::Duration::days(366) => problems.push(Problem {
                kind: "expires-too-far",
                severity: Severity::Low,
                detail: format!(
                    "Expires {value} is more than a year away (RFC 9116 recommends less)"
                ),
            }),
            Ok(_) => {}
            Err(_) => problems.push(Problem {
                kind: "bad-expires",
                severity: Severity::Medium,
                detail: format!("Expires \"{value}\" is not an RFC 3339 date-time"),
            }),
        },
        _ => problems.push(Problem {
            kind: "multiple-expires",
            severity: Severity::Medium,
            detail: format!("{} Expires fields: RFC 9116 allows one", expires.len()),
        }),
    }
    let canonical: Vec<&str> = parsed.values("canonical").collect();
    if !canonical.is_empty() && !canonical.contains(&url) {
        problems.push(Problem {
            kind: "canonical-mismatch",
            severity: Severity::Medium,
            detail: format!(
                "Canonical {canonical:?} does not include the URL it was fetched from ({url})"
            ),
        });
    }
    if !parsed.signed {
        problems.push(Problem {
            kind: "unsigned",
            severity: Severity::Low,
            detail: "not signed: RFC 9116 recommends an OpenPGP cleartext signature".into(),
        });
    }
    if !url.to_ascii_lowercase().starts_with("https://") {
        problems.push(Problem {
            kind: "not-https",
            severity: Severity::Medium,
            detail: "served over plain HTTP: RFC 9116 requires HTTPS".into(),
        });
    }
    problems
}

/// `https://host[:port]/path` or `http://...` split into (secure, host, port, path).
fn split_url(url: &str) -> Option<(bool, String, u16, String)> {
    let (secure, rest) = match url.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (false, url.strip_prefix("http://")?),
    };
    let default_port = if secure { 443 } else { 80 };
    let (authority, path) = match rest.find('/') {
        Some(index) => (rest.get(..index)?, rest.get(index..)?),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None => default_port,
        };
        (host.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse().ok()?),
            None => (authority.to_owned(), default_port),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((secure, host, port, path.to_owned()))
}

/// Fetches and validates; records findings and the check run.
pub fn check(
    url: &str,
    timeout: Duration,
    now: OffsetDateTime,
    extra_roots: &[Vec<u8>],
    collector: &mut Collector,
) {
    let skip = |collector: &mut Collector, outcome: CheckOutcome, reason: String| {
        collector.check(
            CHECK,
            PROVISIONS,
            outcome,
            Some(url.to_owned()),
            Some(reason),
        );
    };
    let Some((secure, host, port, path)) = split_url(url) else {
        skip(
            collector,
            CheckOutcome::Error,
            "the URL is not https://host[:port]/path or http://host[:port]/path".into(),
        );
        return;
    };
    let Some(addr) = (host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
    else {
        skip(
            collector,
            CheckOutcome::Error,
            format!("could not resolve {host}"),
        );
        return;
    };
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: iotlabel-probe\r\nConnection: close\r\n\r\n"
    );
    let link = if secure {
        http::Link::Tls(Verification::WebPki {
            extra_roots: extra_roots.to_vec(),
        })
    } else {
        http::Link::Plain
    };
    let response = match http::exchange_over(&link, &host, addr, request.as_bytes(), timeout) {
        Ok(response) => response,
        Err(error) => {
            skip(
                collector,
                CheckOutcome::Error,
                format!("could not fetch: {error}"),
            );
            return;
        }
    };
    let mut problems = Vec::new();
    let proof_base = format!("GET {url} -> {}", response.status_line);
    if response.status != 200 {
        problems.push(Problem {
            kind: "missing",
            severity: Severity::High,
            detail: format!("no security.txt at {url} ({})", response.status_line),
        });
    } else {
        let text = String::from_utf8_lossy(&response.body);
        let (parsed, mut parse_problems) = parse(&text);
        problems.append(&mut parse_problems);
        problems.extend(validate(&parsed, url, now));
    }
    report(collector, addr, url, &proof_base, &response, problems);
}

fn report(
    collector: &mut Collector,
    addr: SocketAddr,
    url: &str,
    proof_base: &str,
    response: &http::Response,
    problems: Vec<Problem>,
) {
    let kinds: Vec<&str> = problems.iter().map(|problem| problem.kind).collect();
    for problem in &problems {
        collector.finding(NewFinding {
            check: CHECK,
            provisions: PROVISIONS,
            severity: problem.severity,
            confidence: Confidence::Confirmed,
            port: Some(addr.port()),
            transport: Transport::Tcp,
            service: "http",
            message: format!("security.txt at {url}: {}.", problem.detail),
            evidence: json!({
                "url": url,
                "issue": problem.kind,
                "proof": format!("{proof_base}: {}", excerpt(&response.body, 200)),
            }),
            identity: &[url, problem.kind],
        });
    }
    let weaknesses = problems
        .iter()
        .any(|problem| problem.severity > Severity::Info);
    collector.check(
        CHECK,
        PROVISIONS,
        if weaknesses {
            CheckOutcome::Findings
        } else {
            CheckOutcome::Clean
        },
        Some(format!(
            "{url}: fetched, RFC 9116 fields checked; issues: {kinds:?}"
        )),
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-06-01 00:00 UTC)
    }

    #[test]
    fn valid_file_has_only_transport_and_signature_notes() {
        let text = "Contact: mailto:security@example.com\nExpires: 2026-12-31T00:00:00Z\nCanonical: http://x/.well-known/security.txt\n";
        let (parsed, problems) = parse(text);
        assert!(problems.is_empty());
        let kinds: Vec<&str> = validate(&parsed, "http://x/.well-known/security.txt", now())
            .iter()
            .map(|problem| problem.kind)
            .collect();
        assert_eq!(kinds, vec!["unsigned", "not-https"]);
    }

    #[test]
    fn finds_each_problem() {
        let kinds = |text: &str| -> Vec<&'static str> {
            let (parsed, mut problems) = parse(text);
            problems.extend(validate(
                &parsed,
                "https://x/.well-known/security.txt",
                now(),
            ));
            problems.iter().map(|problem| problem.kind).collect()
        };
        assert_eq!(
            kinds("Expires: 2026-12-31T00:00:00Z\n"),
            vec!["no-contact", "unsigned"]
        );
        assert_eq!(
            kinds("Contact: a@b\nExpires: 2020-01-01T00:00:00Z\n"),
            vec!["expired", "unsigned"]
        );
        assert_eq!(kinds("Contact: a@b\n"), vec!["no-expires", "unsigned"]);
        assert_eq!(
            kinds("Contact: a@b\nExpires: tomorrow\nCanonical: https://other/security.txt\n"),
            vec!["bad-expires", "canonical-mismatch", "unsigned"]
        );
        let signed = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: a@b\nExpires: 2026-12-31T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
        assert!(kinds(signed).is_empty());
        assert_eq!(
            kinds("-----BEGIN PGP SIGNED MESSAGE-----\nContact: a@b\n"),
            vec!["bad-signature-block", "no-contact", "no-expires"]
        );
    }

    #[test]
    fn urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/.well-known/security.txt"),
            Some((
                false,
                "127.0.0.1".into(),
                8080,
                "/.well-known/security.txt".into()
            ))
        );
        assert_eq!(
            split_url("http://[::1]/"),
            Some((false, "::1".into(), 80, "/".into()))
        );
        assert_eq!(
            split_url("https://example.com/.well-known/security.txt"),
            Some((
                true,
                "example.com".into(),
                443,
                "/.well-known/security.txt".into()
            ))
        );
        assert_eq!(split_url("ftp://x/"), None);
    }
}
