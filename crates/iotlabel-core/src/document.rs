//! Reading TOML and JSON documents into typed values, with errors that name the key.
//!
//! Both formats are first read into a JSON value (TOML dates become `YYYY-MM-DD` strings) and
//! then deserialised with the path of the failing key recorded, so a dossier and a rule file
//! report problems the same way whichever format they are written in.

use serde::de::DeserializeOwned;

/// The syntax a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Toml,
    Json,
}

impl DocumentFormat {
    /// The format a file name implies: `.json` is JSON, anything else TOML.
    pub fn from_file_name(name: &str) -> DocumentFormat {
        if name.to_ascii_lowercase().ends_with(".json") {
            DocumentFormat::Json
        } else {
            DocumentFormat::Toml
        }
    }
}

/// A document that could not be read: the key (a path such as `declarations[2].status`, empty
/// for the whole document), the line where the parser knows it, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{message}", line.map(|line| format!("line {line}: ")).unwrap_or_default(), if key.is_empty() { String::new() } else { format!("{key}: ") })]
pub struct DocumentError {
    pub key: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Parses `text` in `format` into `T`.
pub fn parse_document<T: DeserializeOwned>(
    text: &str,
    format: DocumentFormat,
) -> Result<T, DocumentError> {
    let value = parse_value(text, format)?;
    from_value(value)
}

/// Parses `text` into a JSON value without interpreting it.
pub fn parse_value(text: &str, format: DocumentFormat) -> Result<serde_json::Value, DocumentError> {
    match format {
        DocumentFormat::Json => serde_json::from_str(text).map_err(|error| DocumentError {
            key: String::new(),
            line: Some(error.line()),
            message: format!("not valid JSON: {error}"),
        }),
        DocumentFormat::Toml => {
            let table: toml::Table = toml::from_str(text).map_err(|error| DocumentError {
                key: String::new(),
                line: error
                    .span()
                    .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
                message: format!("not valid TOML: {}", error.message()),
            })?;
            Ok(toml_to_json(toml::Value::Table(table)))
        }
    }
}

/// Deserialises an already parsed value into `T`, naming the failing key.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, DocumentError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let key = error.path().to_string();
        DocumentError {
            key: if key == "." { String::new() } else { key },
            line: None,
            message: error.into_inner().to_string(),
        }
    })
}

fn toml_to_json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        toml::Value::String(text) => Json::String(text),
        toml::Value::Integer(number) => Json::from(number),
        toml::Value::Float(number) => serde_json::Number::from_f64(number)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        toml::Value::Boolean(flag) => Json::Bool(flag),
        toml::Value::Datetime(datetime) => Json::String(datetime.to_string()),
        toml::Value::Array(items) => Json::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Json::Object(
            table
                .into_iter()
                .map(|(key, value)| (key, toml_to_json(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        when: crate::Date,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        level: u8,
    }

    #[test]
    fn toml_dates_become_strings() {
        let sample: Sample = parse_document(
            "when = 2026-01-01\n[[items]]\nlevel = 1\n",
            DocumentFormat::Toml,
        )
        .unwrap();
        assert_eq!(sample.when.to_string(), "2026-01-01");
    }

    #[test]
    fn errors_name_the_key() {
        let error = parse_document::<Sample>(
            "when = 2026-01-01\n[[items]]\nlevel = 1\n[[items]]\nlevel = \"two\"\n",
            DocumentFormat::Toml,
        )
        .unwrap_err();
        assert_eq!(error.key, "items[1].level");
        let error =
            parse_document::<Sample>(r#"{"when": "1/1/2026", "items": []}"#, DocumentFormat::Json)
                .unwrap_err();
        assert_eq!(error.key, "when");
        assert!(error.message.contains("YYYY-MM-DD"));
    }

    #[test]
    fn syntax_errors_give_a_line() {
        let error =
            parse_document::<Sample>("when = 2026-01-01\nitems = [\n", DocumentFormat::Toml)
                .unwrap_err();
        assert!(error.line.is_some(), "{error}");
        assert!(error.to_string().contains("not valid TOML"));
    }
}
