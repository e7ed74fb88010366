//! Identifiers shared by every crate: EN 303 645 provision ids and editions.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An EN 303 645 provision id such as `5.1-1`, `5.3-4A`, `6-3B` or (V2.1.1) `4-1`.
///
/// The canonical numbering across iotlabel is V3.1.3; V2.1.1 ids appear only in V2.1.1 data and
/// dossiers and are translated through the catalog's edition map. Ordering is the natural one
/// of the standard (`5.2-1` < `5.10-1`, `5.1-2` < `5.1-2A` < `5.1-3`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProvisionId {
    text: String,
    clause_major: u32,
    clause_minor: Option<u32>,
    number: u32,
    suffix: Option<char>,
}

/// A string that is not shaped like a provision id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{input}\" is not a provision id: write it as in EN 303 645, for example 5.1-1, 5.3-4A or 6-3B"
)]
pub struct ProvisionIdError {
    pub input: String,
}

impl ProvisionId {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The clause the provision belongs to: `5.1` for `5.1-2A`, `6` for `6-3B`.
    pub fn clause(&self) -> &str {
        self.text
            .split_once('-')
            .map(|(clause, _)| clause)
            .unwrap_or(&self.text)
    }

    /// The id as an OSCAL control id: OSCAL tokens must start with a letter, so `p5.1-1`.
    pub fn oscal_id(&self) -> String {
        format!("p{}", self.text.to_ascii_lowercase())
    }

    fn sort_key(&self) -> (u32, Option<u32>, u32, Option<char>) {
        (
            self.clause_major,
            self.clause_minor,
            self.number,
            self.suffix,
        )
    }
}

impl FromStr for ProvisionId {
    type Err = ProvisionIdError;

    fn from_str(input: &str) -> Result<ProvisionId, ProvisionIdError> {
        let error = || ProvisionIdError {
            input: input.to_owned(),
        };
        let (clause, rest) = input.split_once('-').ok_or_else(error)?;
        let (major, minor) = match clause.split_once('.') {
            Some((major, minor)) => (major, Some(minor)),
            None => (clause, None),
        };
        let parse_number = |digits: &str| -> Option<u32> {
            if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            digits.parse().ok()
        };
        let clause_major = parse_number(major).ok_or_else(error)?;
        let clause_minor = match minor {
            Some(minor) => Some(parse_number(minor).ok_or_else(error)?),
            None => None,
        };
        let (digits, suffix) = match rest.char_indices().last() {
            Some((index, last)) if last.is_ascii_uppercase() => (&rest[..index], Some(last)),
            _ => (rest, None),
        };
        let number = parse_number(digits).ok_or_else(error)?;
        Ok(ProvisionId {
            text: input.to_owned(),
            clause_major,
            clause_minor,
            number,
            suffix,
        })
    }
}

impl Ord for ProvisionId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for ProvisionId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ProvisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for ProvisionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ProvisionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ProvisionId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An edition of ETSI EN 303 645 that iotlabel knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Edition {
    /// V2.1.1 (2020-06), the edition UK PSTI cites.
    #[serde(rename = "v2.1.1")]
    V2_1_1,
    /// V3.1.3 (2024-09), the current edition and iotlabel's canonical numbering.
    #[serde(rename = "v3.1.3")]
    V3_1_3,
}

impl Edition {
    pub const ALL: [Edition; 2] = [Edition::V2_1_1, Edition::V3_1_3];

    pub fn as_str(self) -> &'static str {
        match self {
            Edition::V2_1_1 => "v2.1.1",
            Edition::V3_1_3 => "v3.1.3",
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(text: &str) -> ProvisionId {
        text.parse().unwrap()
    }

    #[test]
    fn parses_every_shape_of_id() {
        assert_eq!(id("5.1-1").clause(), "5.1");
        assert_eq!(id("5.3-4A").clause(), "5.3");
        assert_eq!(id("6-3B").clause(), "6");
        assert_eq!(id("4-1").clause(), "4");
        assert_eq!(id("5.13-1A").oscal_id(), "p5.13-1a");
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "", "5.1", "5.1-", "-1", "5.1-1a", "5..1-1", "x5.1-1", "5.1-1AB", "5.1-1 ",
        ] {
            assert!(
                bad.parse::<ProvisionId>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn orders_naturally() {
        let mut ids: Vec<ProvisionId> = [
            "5.10-1", "5.2-1", "5.1-3", "5.1-2A", "5.1-2", "6-1", "5.0-1",
        ]
        .iter()
        .map(|text| id(text))
        .collect();
        ids.sort();
        let texts: Vec<&str> = ids.iter().map(ProvisionId::as_str).collect();
        assert_eq!(
            texts,
            [
                "5.0-1", "5.1-2", "5.1-2A", "5.1-3", "5.2-1", "5.10-1", "6-1"
            ]
        );
    }

    proptest! {
        #[test]
        fn well_formed_ids_round_trip(major in 4u32..7, minor in proptest::option::of(0u32..14),
                                      number in 1u32..20, suffix in proptest::option::of(proptest::char::range('A', 'B'))) {
            let clause = match minor { Some(minor) => format!("{major}.{minor}"), None => major.to_string() };
            let text = format!("{clause}-{number}{}", suffix.map(String::from).unwrap_or_default());
            let parsed: ProvisionId = text.parse().unwrap();
            prop_assert_eq!(parsed.as_str(), text.as_str());
            prop_assert_eq!(parsed.clause(), clause.as_str());
            let json = serde_json::to_string(&parsed).unwrap();
            let back: ProvisionId = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, parsed);
        }

        #[test]
        fn arbitrary_strings_never_panic(text in ".{0,12}") {
            let _ = text.parse::<ProvisionId>();
        }
    }
}
