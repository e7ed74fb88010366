//! Registration ids: formatting one from the scheme's pattern, and the reversible URL-safe
//! form used in public URLs (`CSA/311228/000123` ↔ `CSA-311228-000123`).

use crate::date::Date;

/// A parsed `registration_id_format`, e.g. `CSA/{valid_until:DDMMYY}/{serial:6}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationIdFormat {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    ValidUntil,
    Serial(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationIdError {
    #[error("unknown placeholder {{{0}}}: use {{valid_until:DDMMYY}} or {{serial:N}}")]
    UnknownPlaceholder(String),
    #[error("unclosed {{ in the format")]
    Unclosed,
    #[error("the format needs a {{serial:N}} placeholder so that ids are unique")]
    NoSerial,
    #[error("literal text may use only letters, digits and '/': '-' is reserved for the URL form")]
    BadLiteral,
    #[error("serial {serial} does not fit in {width} digits")]
    SerialTooLarge { serial: u64, width: usize },
    #[error("\"{0}\" is not a registration id")]
    NotAnId(String),
}

impl RegistrationIdFormat {
    pub fn parse(format: &str) -> Result<RegistrationIdFormat, RegistrationIdError> {
        let mut parts = Vec::new();
        let mut rest = format;
        while !rest.is_empty() {
            if let Some(open) = rest.find('{') {
                if open > 0 {
                    parts.push(Part::Literal(rest[..open].to_owned()));
                }
                let close = rest[open..]
                    .find('}')
                    .ok_or(RegistrationIdError::Unclosed)?
                    + open;
                let placeholder = &rest[open + 1..close];
                parts.push(match placeholder.split_once(':') {
                    Some(("valid_until", "DDMMYY")) => Part::ValidUntil,
                    Some(("serial", width)) => Part::Serial(
                        width
                            .parse()
                            .ok()
                            .filter(|w| (1..=12).contains(w))
                            .ok_or_else(|| {
                                RegistrationIdError::UnknownPlaceholder(placeholder.to_owned())
                            })?,
                    ),
                    _ => {
                        return Err(RegistrationIdError::UnknownPlaceholder(
                            placeholder.to_owned(),
                        ));
                    }
                });
                rest = &rest[close + 1..];
            } else {
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
        }
        if !parts.iter().any(|part| matches!(part, Part::Serial(_))) {
            return Err(RegistrationIdError::NoSerial);
        }
        let literals_ok = parts.iter().all(|part| match part {
            Part::Literal(text) => text.chars().all(|c| c.is_ascii_alphanumeric() || c == '/'),
            _ => true,
        });
        if !literals_ok {
            return Err(RegistrationIdError::BadLiteral);
        }
        Ok(RegistrationIdFormat { parts })
    }

    /// The registration id for a label valid until `valid_until` with registry serial `serial`.
    pub fn format(&self, valid_until: Date, serial: u64) -> Result<String, RegistrationIdError> {
        let mut id = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => id.push_str(text),
                Part::ValidUntil => id.push_str(&format!(
                    "{:02}{:02}{:02}",
                    valid_until.day(),
                    valid_until.month(),
                    valid_until.year().rem_euclid(100)
                )),
                Part::Serial(width) => {
                    let text = format!("{serial:0width$}");
                    if text.len() > *width {
                        return Err(RegistrationIdError::SerialTooLarge {
                            serial,
                            width: *width,
                        });
                    }
                    id.push_str(&text);
                }
            }
        }
        Ok(id)
    }
}

/// The URL-safe form of a registration id: every `/` becomes `-`. Reversible because formats
/// may not contain `-` (checked when the scheme is loaded) and placeholders produce digits.
pub fn to_url_form(registration_id: &str) -> String {
    registration_id.replace('/', "-")
}

/// The registration id for a URL-safe form.
pub fn from_url_form(url_form: &str) -> Result<String, RegistrationIdError> {
    if url_form.is_empty()
        || !url_form
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(RegistrationIdError::NotAnId(url_form.to_owned()));
    }
    Ok(url_form.replace('-', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_csa_pattern() {
        let format = RegistrationIdFormat::parse("CSA/{valid_until:DDMMYY}/{serial:6}").unwrap();
        let until: Date = "2028-12-31".parse().unwrap();
        assert_eq!(format.format(until, 123).unwrap(), "CSA/311228/000123");
        assert!(matches!(
            format.format(until, 1_000_000),
            Err(RegistrationIdError::SerialTooLarge { .. })
        ));
    }

    #[test]
    fn url_form_round_trips() {
        let id = "CSA/311228/000123";
        let url = to_url_form(id);
        assert_eq!(url, "CSA-311228-000123");
        assert_eq!(from_url_form(&url).unwrap(), id);
        assert!(from_url_form("../etc/passwd").is_err());
        assert!(from_url_form("").is_err());
    }

    #[test]
    fn rejects_bad_formats() {
        assert_eq!(
            RegistrationIdFormat::parse("CSA/{valid_until:DDMMYY}"),
            Err(RegistrationIdError::NoSerial)
        );
        assert!(matches!(
            RegistrationIdFormat::parse("CSA/{nonsense}/{serial:6}"),
            Err(RegistrationIdError::UnknownPlaceholder(_))
        ));
        assert_eq!(
            RegistrationIdFormat::parse("CSA-{serial:6}"),
            Err(RegistrationIdError::BadLiteral)
        );
        assert_eq!(
            RegistrationIdFormat::parse("CSA/{serial:6"),
            Err(RegistrationIdError::Unclosed)
        );
    }
}
