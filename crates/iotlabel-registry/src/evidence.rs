//! Evidence uploads: the size limit and the type check. The type is sniffed from the bytes,
//! never taken from the client's file name or Content-Type: JSON (scan, probe and lab
//! reports), PDF, Markdown or plain text, and PNG/JPEG/GIF/WebP images.

/// The default upload limit: 16 MiB.
pub const DEFAULT_MAX_EVIDENCE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file is {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("the file is empty")]
    Empty,
    #[error(
        "unsupported file type: evidence must be JSON, PDF, Markdown/plain text or a PNG, JPEG, GIF or WebP image"
    )]
    UnsupportedType,
    #[error("the file name must be 1 to 200 characters without '/', '\\' or control characters")]
    BadFileName,
}

/// The media type of `bytes`, or why they are not accepted as evidence.
pub fn sniff(bytes: &[u8], limit: usize) -> Result<&'static str, EvidenceError> {
    if bytes.len() > limit {
        return Err(EvidenceError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    if bytes.is_empty() {
        return Err(EvidenceError::Empty);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok("application/pdf");
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok("image/jpeg");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok("image/gif");
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Ok("image/webp");
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(EvidenceError::UnsupportedType);
    };
    // Text may hold tabs and line breaks but no other control characters (binary data that
    // happens to be valid UTF-8).
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(EvidenceError::UnsupportedType);
    }
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok()
    {
        return Ok("application/json");
    }
    Ok("text/markdown; charset=utf-8")
}

/// Checks an uploaded file name (it is shown back and matched against the dossier's `file`).
pub fn check_file_name(name: &str) -> Result<(), EvidenceError> {
    let length = name.chars().count();
    if length == 0
        || length > 200
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        || name == "."
        || name == ".."
    {
        return Err(EvidenceError::BadFileName);
    }
    Ok(())
}

/// A dossier evidence id for an uploaded file: `prefix-` and the file name in lower-case
/// letters, digits and dashes (e.g. `firmware-scan-router-bin` for `router.bin`).
pub fn dossier_evidence_id(prefix: &str, file_name: &str) -> String {
    let slug: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}-{}", slug.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_accepted_types() {
        assert_eq!(sniff(b"%PDF-1.7\n...", 100), Ok("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", 100), Ok("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0], 100), Ok("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", 100), Ok("image/webp"));
        assert_eq!(sniff(b" {\"a\": 1}", 100), Ok("application/json"));
        assert_eq!(
            sniff(b"# Report\n\nAll good.", 100),
            Ok("text/markdown; charset=utf-8")
        );
    }

    #[test]
    fn refuses_binaries_oversize_and_bad_names() {
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\0", 100),
            Err(EvidenceError::UnsupportedType)
        );
        assert_eq!(
            sniff(b"\xff\xfe\x00binary", 100),
            Err(EvidenceError::UnsupportedType)
        );
        assert_eq!(
            sniff(&[b'a'; 101], 100),
            Err(EvidenceError::TooLarge {
                size: 101,
                limit: 100
            })
        );
        assert_eq!(sniff(b"", 100), Err(EvidenceError::Empty));
        assert!(check_file_name("scan.json").is_ok());
        assert!(check_file_name("../etc/passwd").is_err());
        assert!(check_file_name("").is_err());
    }
}
