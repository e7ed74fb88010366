//! Component signatures: one TOML file per component under `data/components/` (embedded through
//! [`SIGNATURE_FILES`]), validated on load, saying which files to look in, how to find the version
//! in them, how to name the component in purl and CPE form, and when its release series reached
//! end of life.
//!
//! A signature file:
//!
//! ```toml
//! name = "openssl"                       # = the file's name; the report's component name
//! description = "OpenSSL TLS and crypto library"
//! files = ["*/libssl.so*", "*/libcrypto.so*", "*/openssl"]
//! crypto = true                          # findings also count against 5.5-1
//! purl_type = "generic"                  # optional, default "generic"
//! purl_namespace = "openssl"             # optional
//! cpe_part = "a"                         # optional, default "a" ("o" for a kernel)
//! cpe_vendor = "openssl"
//! cpe_product = "openssl"
//! aliases = ["libssl"]                   # other names vulnerability records use
//!
//! [[patterns]]
//! regex = 'OpenSSL (?P<version>\d+\.\d+\.\d+[a-z]{0,2})'
//! version = "${version}"                 # optional template, default: the `version` group
//! on = "content"                         # optional: "content" (default) or "path"
//!
//! [[end_of_life]]
//! series = "1.0.2"
//! date = "2019-12-31"
//! source = "https://openssl-library.org/policies/releasestrat/"
//!
//! [[tests]]
//! input = "OpenSSL 1.0.2u  20 Dec 2019"
//! version = "1.0.2u"
//! ```
//!
//! File globs are matched against the path inside the file system, with and without a leading
//! `/`; `*` matches any run of characters including `/`, `?` one character. Content regexes run
//! over the raw bytes of each matching file (ASCII classes: `\d` is `[0-9]`), path regexes over
//! its path (for libraries named after their version, `lib/libuClibc-0.9.33.2.so`); the first
//! pattern that matches a file gives its version.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

/// Every signature file, by file name: one entry per component.
pub const SIGNATURE_FILES: &[(&str, &str)] = &[
    (
        "apache_httpd.toml",
        include_str!("../../../../data/components/apache_httpd.toml"),
    ),
    (
        "avahi.toml",
        include_str!("../../../../data/components/avahi.toml"),
    ),
    (
        "bash.toml",
        include_str!("../../../../data/components/bash.toml"),
    ),
    (
        "boa.toml",
        include_str!("../../../../data/components/boa.toml"),
    ),
    (
        "busybox.toml",
        include_str!("../../../../data/components/busybox.toml"),
    ),
    (
        "curl.toml",
        include_str!("../../../../data/components/curl.toml"),
    ),
    (
        "dnsmasq.toml",
        include_str!("../../../../data/components/dnsmasq.toml"),
    ),
    (
        "dropbear.toml",
        include_str!("../../../../data/components/dropbear.toml"),
    ),
    (
        "expat.toml",
        include_str!("../../../../data/components/expat.toml"),
    ),
    (
        "glibc.toml",
        include_str!("../../../../data/components/glibc.toml"),
    ),
    (
        "goahead.toml",
        include_str!("../../../../data/components/goahead.toml"),
    ),
    (
        "hostapd.toml",
        include_str!("../../../../data/components/hostapd.toml"),
    ),
    (
        "ipsec-tools.toml",
        include_str!("../../../../data/components/ipsec-tools.toml"),
    ),
    (
        "libpcap.toml",
        include_str!("../../../../data/components/libpcap.toml"),
    ),
    (
        "libpng.toml",
        include_str!("../../../../data/components/libpng.toml"),
    ),
    (
        "libupnp.toml",
        include_str!("../../../../data/components/libupnp.toml"),
    ),
    (
        "lighttpd.toml",
        include_str!("../../../../data/components/lighttpd.toml"),
    ),
    (
        "linux.toml",
        include_str!("../../../../data/components/linux.toml"),
    ),
    (
        "mbedtls.toml",
        include_str!("../../../../data/components/mbedtls.toml"),
    ),
    (
        "mini_httpd.toml",
        include_str!("../../../../data/components/mini_httpd.toml"),
    ),
    (
        "miniupnpd.toml",
        include_str!("../../../../data/components/miniupnpd.toml"),
    ),
    (
        "mosquitto.toml",
        include_str!("../../../../data/components/mosquitto.toml"),
    ),
    (
        "musl.toml",
        include_str!("../../../../data/components/musl.toml"),
    ),
    (
        "nginx.toml",
        include_str!("../../../../data/components/nginx.toml"),
    ),
    (
        "ntp.toml",
        include_str!("../../../../data/components/ntp.toml"),
    ),
    (
        "openssh.toml",
        include_str!("../../../../data/components/openssh.toml"),
    ),
    (
        "openssl.toml",
        include_str!("../../../../data/components/openssl.toml"),
    ),
    (
        "openvpn.toml",
        include_str!("../../../../data/components/openvpn.toml"),
    ),
    (
        "samba.toml",
        include_str!("../../../../data/components/samba.toml"),
    ),
    (
        "thttpd.toml",
        include_str!("../../../../data/components/thttpd.toml"),
    ),
    (
        "u-boot.toml",
        include_str!("../../../../data/components/u-boot.toml"),
    ),
    (
        "uclibc.toml",
        include_str!("../../../../data/components/uclibc.toml"),
    ),
    (
        "uhttpd.toml",
        include_str!("../../../../data/components/uhttpd.toml"),
    ),
    (
        "vxworks.toml",
        include_str!("../../../../data/components/vxworks.toml"),
    ),
    (
        "wolfssl.toml",
        include_str!("../../../../data/components/wolfssl.toml"),
    ),
    (
        "wpa_supplicant.toml",
        include_str!("../../../../data/components/wpa_supplicant.toml"),
    ),
    (
        "zlib.toml",
        include_str!("../../../../data/components/zlib.toml"),
    ),
];

/// A signature file that cannot be used, naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("{file}: not a valid signature file: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {key}: {message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
    #[error("{file}: name {name:?} is already used by {other}")]
    DuplicateName {
        file: String,
        name: String,
        other: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    name: String,
    description: String,
    files: Vec<String>,
    #[serde(default)]
    crypto: bool,
    #[serde(default)]
    purl_type: Option<String>,
    #[serde(default)]
    purl_namespace: Option<String>,
    #[serde(default)]
    cpe_part: Option<String>,
    cpe_vendor: String,
    cpe_product: String,
    #[serde(default)]
    aliases: Vec<String>,
    patterns: Vec<RawPattern>,
    #[serde(default)]
    end_of_life: Vec<RawEndOfLife>,
    #[serde(default)]
    tests: Vec<SignatureSample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    regex: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndOfLife {
    series: String,
    date: String,
    source: String,
}

/// One way to find a version: a regex and the template that builds the version from its groups.
#[derive(Debug, Clone)]
pub struct VersionPattern {
    pub regex: Regex,
    /// `regex` crate expansion syntax (`${version}`, `$1.$2`).
    pub template: String,
    /// Matched against the file's path rather than its contents.
    pub on_path: bool,
}

/// A release series that is no longer supported upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOfLife {
    /// Version prefix, e.g. `1.0.2` (see [`super::version::Version::in_series`]).
    pub series: String,
    pub date: time::Date,
    /// Where the date comes from.
    pub source: String,
}

/// A sample version string and the version the signature must yield from it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSample {
    pub input: String,
    pub version: String,
}

/// A validated component signature.
#[derive(Debug, Clone)]
pub struct ComponentSignature {
    /// Lowercase canonical name, the file's name without `.toml`.
    pub name: String,
    pub description: String,
    pub files: Vec<String>,
    /// A cryptographic library: its vulnerabilities also count against 5.5-1.
    pub crypto: bool,
    pub purl_type: String,
    pub purl_namespace: Option<String>,
    pub cpe_part: String,
    pub cpe_vendor: String,
    pub cpe_product: String,
    /// Lowercase names other than `name` and `cpe_product` that vulnerability records use.
    pub aliases: Vec<String>,
    pub patterns: Vec<VersionPattern>,
    pub end_of_life: Vec<EndOfLife>,
    pub tests: Vec<SignatureSample>,
}

impl ComponentSignature {
    /// Whether the file at `path` (inside a file system, no leading `/`) is one to look in.
    pub fn wants_file(&self, path: &str) -> bool {
        self.wants_rooted_file(path, &format!("/{path}"))
    }

    /// [`ComponentSignature::wants_file`] given `rooted`, the path with a leading `/` (made
    /// once per file when many signatures ask).
    pub fn wants_rooted_file(&self, path: &str, rooted: &str) -> bool {
        self.files.iter().any(|glob| {
            glob_matches(glob.as_bytes(), path.as_bytes())
                || glob_matches(glob.as_bytes(), rooted.as_bytes())
        })
    }

    /// The version found in the file at `path` with contents `data` by the first pattern that
    /// matches, if any.
    pub fn find_version(&self, path: &str, data: &[u8]) -> Option<String> {
        self.patterns.iter().find_map(|pattern| {
            let haystack = if pattern.on_path {
                path.as_bytes()
            } else {
                data
            };
            let captures = pattern.regex.captures(haystack)?;
            let mut built = Vec::new();
            captures.expand(pattern.template.as_bytes(), &mut built);
            let version = String::from_utf8_lossy(&built).trim().to_owned();
            (!version.is_empty()).then_some(version)
        })
    }

    /// The package URL of `version`: `pkg:<type>/<namespace>/<name>@<version>`.
    pub fn purl(&self, version: &str) -> String {
        let namespace = self
            .purl_namespace
            .as_deref()
            .map(|namespace| format!("{}/", percent_encode(namespace)))
            .unwrap_or_default();
        format!(
            "pkg:{}/{}{}@{}",
            self.purl_type,
            namespace,
            percent_encode(&self.name),
            percent_encode(version)
        )
    }

    /// The CPE 2.3 name of `version`.
    pub fn cpe(&self, version: &str) -> String {
        format!(
            "cpe:2.3:{}:{}:{}:{}:*:*:*:*:*:*:*",
            self.cpe_part,
            self.cpe_vendor,
            self.cpe_product,
            cpe_escape(version)
        )
    }

    /// Every lowercase name vulnerability records may use for this component.
    pub fn known_names(&self) -> impl Iterator<Item = &str> {
        [self.name.as_str(), self.cpe_product.as_str()]
            .into_iter()
            .chain(self.aliases.iter().map(String::as_str))
    }
}

/// Percent-encodes everything but the purl-safe characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Backslash-escapes what CPE 2.3's formatted string needs quoted.
fn cpe_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else if c.is_ascii_graphic() {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// `*` (any run, `/` included) and `?` (one byte) glob matching. Written here because the
/// signature globs need nothing more than this, with iterative backtracking to the last `*`
/// so a hostile path cannot make it exponential.
pub fn glob_matches(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(b'*') => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == text.get(t) => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((star_g, star_t)) => {
                    g = star_g + 1;
                    t = star_t + 1;
                    star = Some((star_g, star_t + 1));
                }
                None => return false,
            },
        }
    }
    glob.get(g..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

fn invalid(file: &str, key: String, message: impl Into<String>) -> SignatureError {
    SignatureError::Invalid {
        file: file.to_owned(),
        key,
        message: message.into(),
    }
}

/// The group names and numbers a template refers to (`$name`, `${name}`, `$1`).
fn template_groups(template: &str) -> Vec<String> {
    let mut groups = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        rest = rest.get(at + 1..).unwrap_or("");
        if let Some(after) = rest.strip_prefix('$') {
            rest = after;
            continue;
        }
        let (name, after) = if let Some(braced) = rest.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (
                    braced.get(..end).unwrap_or(""),
                    braced.get(end + 1..).unwrap_or(""),
                ),
                None => (braced, ""),
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (rest.get(..end).unwrap_or(""), rest.get(end..).unwrap_or(""))
        };
        groups.push(name.to_owned());
        rest = after;
    }
    groups
}

/// Parses and validates one signature file.
pub fn parse_signature(file: &str, text: &str) -> Result<ComponentSignature, SignatureError> {
    let raw: RawSignature = toml::from_str(text).map_err(|error| SignatureError::Syntax {
        file: file.to_owned(),
        message: error.to_string(),
    })?;
    let stem = file.strip_suffix(".toml").unwrap_or(file);
    if raw.name != stem {
        return Err(invalid(
            file,
            "name".into(),
            format!("must be the file's name {stem:?}"),
        ));
    }
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(invalid(
            file,
            "name".into(),
            "must be lowercase ASCII letters, digits, '_' or '-'",
        ));
    }
    if raw.files.is_empty() {
        return Err(invalid(file, "files".into(), "needs at least one glob"));
    }
    if raw.patterns.is_empty() {
        return Err(invalid(
            file,
            "patterns".into(),
            "needs at least one pattern",
        ));
    }
    let cpe_part = raw.cpe_part.unwrap_or_else(|| "a".to_owned());
    if !matches!(cpe_part.as_str(), "a" | "o" | "h") {
        return Err(invalid(
            file,
            "cpe_part".into(),
            "must be \"a\", \"o\" or \"h\"",
        ));
    }
    for (key, value) in [
        ("cpe_vendor", &raw.cpe_vendor),
        ("cpe_product", &raw.cpe_product),
    ] {
        if value.is_empty()
            || value
                .chars()
                .any(|c| c == ':' || c.is_whitespace() || c.is_ascii_uppercase())
        {
            return Err(invalid(
                file,
                key.into(),
                "must be a lowercase CPE value without ':' or spaces",
            ));
        }
    }
    let mut patterns = Vec::new();
    for (index, pattern) in raw.patterns.iter().enumerate() {
        let regex = RegexBuilder::new(&pattern.regex)
            .unicode(false)
            .size_limit(1 << 20)
            .build()
            .map_err(|error| {
                invalid(file, format!("patterns[{index}].regex"), error.to_string())
            })?;
        let template = pattern
            .version
            .clone()
            .unwrap_or_else(|| "${version}".to_owned());
        for group in template_groups(&template) {
            let known = match group.parse::<usize>() {
                Ok(number) => number < regex.captures_len(),
                Err(_) => regex.capture_names().flatten().any(|name| name == group),
            };
            if !known {
                return Err(invalid(
                    file,
                    format!("patterns[{index}].version"),
                    format!("refers to group {group:?}, which the regex does not have"),
                ));
            }
        }
        let on_path = match pattern.on.as_deref() {
            None | Some("content") => false,
            Some("path") => true,
            Some(_) => {
                return Err(invalid(
                    file,
                    format!("patterns[{index}].on"),
                    "must be \"content\" or \"path\"",
                ));
            }
        };
        patterns.push(VersionPattern {
            regex,
            template,
            on_path,
        });
    }
    let mut end_of_life = Vec::new();
    for (index, eol) in raw.end_of_life.iter().enumerate() {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(&eol.date, format).map_err(|error| {
            invalid(
                file,
                format!("end_of_life[{index}].date"),
                error.to_string(),
            )
        })?;
        if eol.series.trim().is_empty() {
            return Err(invalid(
                file,
                format!("end_of_life[{index}].series"),
                "is empty",
            ));
        }
        if eol.source.trim().is_empty() {
            return Err(invalid(
                file,
                format!("end_of_life[{index}].source"),
                "is empty",
            ));
        }
        end_of_life.push(EndOfLife {
            series: eol.series.clone(),
            date,
            source: eol.source.clone(),
        });
    }
    Ok(ComponentSignature {
        name: raw.name,
        description: raw.description,
        files: raw.files,
        crypto: raw.crypto,
        purl_type: raw.purl_type.unwrap_or_else(|| "generic".to_owned()),
        purl_namespace: raw.purl_namespace,
        cpe_part,
        cpe_vendor: raw.cpe_vendor,
        cpe_product: raw.cpe_product,
        aliases: raw
            .aliases
            .iter()
            .map(|alias| alias.to_lowercase())
            .collect(),
        patterns,
        end_of_life,
        tests: raw.tests,
    })
}

/// Parses every file of `files`, refusing duplicate names.
pub fn parse_signatures(files: &[(&str, &str)]) -> Result<Vec<ComponentSignature>, SignatureError> {
    let mut signatures: Vec<(String, ComponentSignature)> = Vec::new();
    for (file, text) in files {
        let signature = parse_signature(file, text)?;
        if let Some((other, _)) = signatures
            .iter()
            .find(|(_, known)| known.name == signature.name)
        {
            return Err(SignatureError::DuplicateName {
                file: (*file).to_owned(),
                name: signature.name,
                other: other.clone(),
            });
        }
        signatures.push(((*file).to_owned(), signature));
    }
    Ok(signatures
        .into_iter()
        .map(|(_, signature)| signature)
        .collect())
}

/// The embedded signatures, parsed once.
pub fn signatures() -> Result<&'static [ComponentSignature], &'static SignatureError> {
    static SIGNATURES: OnceLock<Result<Vec<ComponentSignature>, SignatureError>> = OnceLock::new();
    SIGNATURES
        .get_or_init(|| parse_signatures(SIGNATURE_FILES))
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_signature_loads() {
        let signatures = signatures().unwrap();
        assert_eq!(signatures.len(), SIGNATURE_FILES.len());
    }

    #[test]
    fn every_signature_has_samples_and_yields_their_versions() {
        let mut checked = 0;
        for signature in signatures().unwrap() {
            assert!(
                !signature.tests.is_empty(),
                "{}: no [[tests]] sample",
                signature.name
            );
            for sample in &signature.tests {
                // A sample is either a path or a string inside a file; as contents it is
                // embedded in binary surroundings, as in a real file (on a line of its own, as
                // package-database records are).
                let mut binary = b"\x7fELF\x01\x01\0\0garbage\0\n".to_vec();
                binary.extend_from_slice(sample.input.as_bytes());
                binary.extend_from_slice(b"\0\x01\x02more\0");
                let as_content = signature.find_version("", &binary);
                let as_path = signature.find_version(&sample.input, b"");
                assert!(
                    as_content.as_deref() == Some(sample.version.as_str())
                        || as_path.as_deref() == Some(sample.version.as_str()),
                    "{}: sample {:?} gave {as_content:?} as contents, {as_path:?} as a path, not {:?}",
                    signature.name,
                    sample.input,
                    sample.version
                );
                checked += 1;
            }
        }
        assert!(checked >= SIGNATURE_FILES.len());
    }

    #[test]
    fn every_signature_matches_a_file_it_names() {
        for signature in signatures().unwrap() {
            assert!(
                signature.files.iter().all(|glob| !glob.is_empty()),
                "{}",
                signature.name
            );
        }
        let openssl = signatures()
            .unwrap()
            .iter()
            .find(|s| s.name == "openssl")
            .unwrap();
        assert!(openssl.wants_file("usr/lib/libssl.so.1.0.0"));
        assert!(openssl.wants_file("lib/libcrypto.so.1.1"));
        assert!(!openssl.wants_file("usr/lib/libz.so.1"));
        let busybox = signatures()
            .unwrap()
            .iter()
            .find(|s| s.name == "busybox")
            .unwrap();
        assert!(busybox.wants_file("bin/busybox"));
    }

    #[test]
    fn globs() {
        assert!(glob_matches(b"*/libssl.so*", b"/usr/lib/libssl.so.1.0.0"));
        assert!(glob_matches(b"bin/busybox", b"bin/busybox"));
        assert!(!glob_matches(b"bin/busybox", b"bin/busybox2"));
        assert!(glob_matches(b"*.ko", b"lib/modules/4.14.90/kernel/a.ko"));
        assert!(glob_matches(b"a?c", b"abc"));
        assert!(!glob_matches(b"*/x", b"x"));
        let long = vec![b'a'; 10_000];
        assert!(!glob_matches(b"*a*a*a*a*a*b", &long));
    }

    #[test]
    fn purl_and_cpe() {
        let openssl = signatures()
            .unwrap()
            .iter()
            .find(|s| s.name == "openssl")
            .unwrap();
        assert_eq!(openssl.purl("1.0.2u"), "pkg:generic/openssl@1.0.2u");
        assert_eq!(
            openssl.cpe("1.0.2u"),
            "cpe:2.3:a:openssl:openssl:1.0.2u:*:*:*:*:*:*:*"
        );
        assert_eq!(openssl.purl("1.0+x"), "pkg:generic/openssl@1.0%2Bx");
        assert_eq!(
            openssl.cpe("1.0+x"),
            "cpe:2.3:a:openssl:openssl:1.0\\+x:*:*:*:*:*:*:*"
        );
    }

    const MINIMAL: &str = r#"
name = "demo"
description = "d"
files = ["bin/demo"]
cpe_vendor = "demo"
cpe_product = "demo"
[[patterns]]
regex = 'Demo (?P<version>\d+)'
"#;

    #[test]
    fn errors_name_the_file_and_key() {
        assert!(parse_signature("demo.toml", MINIMAL).is_ok());
        let error = parse_signature("other.toml", MINIMAL).unwrap_err();
        assert_eq!(
            error.to_string(),
            "other.toml: name: must be the file's name \"other\""
        );
        let bad_regex = MINIMAL.replace(r"(?P<version>\d+)", "(?P<version>");
        let error = parse_signature("demo.toml", &bad_regex)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("demo.toml: patterns[0].regex:"),
            "{error}"
        );
        let bad_template = format!("{MINIMAL}version = \"${{major}}\"\n");
        let error = parse_signature("demo.toml", &bad_template)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("demo.toml: patterns[0].version:"),
            "{error}"
        );
        let bad_date = format!(
            "{MINIMAL}[[end_of_life]]\nseries = \"1\"\ndate = \"2019-13-01\"\nsource = \"x\"\n"
        );
        let error = parse_signature("demo.toml", &bad_date)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("demo.toml: end_of_life[0].date:"),
            "{error}"
        );
        let unknown_key = format!("extra = 1\n{MINIMAL}");
        assert!(matches!(
            parse_signature("demo.toml", &unknown_key),
            Err(SignatureError::Syntax { .. })
        ));
        let duplicate =
            parse_signatures(&[("demo.toml", MINIMAL), ("demo.toml", MINIMAL)]).unwrap_err();
        assert!(matches!(duplicate, SignatureError::DuplicateName { .. }));
    }
}
