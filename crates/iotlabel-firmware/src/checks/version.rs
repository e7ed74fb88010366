//! Ordering of the version strings found in firmware (`1.0.2zd`, `2.6.36.4`, `7.4p1`,
//! `1.0.0-beta3`), used to match component versions against vulnerability ranges.
//!
//! Written here rather than taken from `semver` because firmware versions are mostly not
//! semantic versions: OpenSSL appends letters for patch releases, the kernel has four numeric
//! parts, OpenSSH writes `p1`.
//!
//! # The ordering
//!
//! A version is split into items: runs of digits are numbers, runs of letters are words, and
//! everything else (`.`, `-`, `_`, `+`, `~`, ...) only separates. A leading `v` is dropped.
//! Words are compared case-insensitively. Words that mark a pre-release (`dev`, `snapshot`,
//! `alpha`, `beta`, `pre`, `test`, `rc`, in that order) sort *before* the end of the version;
//! every other word (OpenSSL's `a` … `zd`, OpenSSH's `p`) is a post-release marker that sorts
//! *after* it. Two versions are compared item by item, a missing item counting as "end":
//!
//! `pre-release word < end < other word < number`
//!
//! Zeros that end a run of numbers are ignored, so `1.0` equals `1.0.0` and `1.0-rc1` equals
//! `1-rc1` (the order stays a total order: it is the lexicographic order of the item lists
//! without those zeros). Words of the same kind
//! compare alphabetically, which gives OpenSSL's `z < za < zb`. So
//! `1.0.2-rc1 < 1.0.2 < 1.0.2a < 1.0.2z < 1.0.2za < 1.0.2zd < 1.0.3` and `7.4 < 7.4p1 < 7.5`.

use std::cmp::Ordering;
use std::fmt;

/// Pre-release markers, lowest first.
const PRE_RELEASE_WORDS: &[&str] = &["dev", "snapshot", "alpha", "beta", "pre", "test", "rc"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A run of digits without leading zeros (compared by length, then text: no overflow).
    Number(String),
    /// A pre-release word, by its rank in [`PRE_RELEASE_WORDS`].
    PreRelease(usize),
    /// Any other word, lowercased.
    Word(String),
}

/// A parsed version; ordered as the module documentation says.
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    items: Vec<Item>,
}

impl Version {
    /// Parses any text; never fails (a version without digits or letters has no items and
    /// equals the empty version).
    pub fn parse(text: &str) -> Version {
        let trimmed = text.trim();
        let body = match trimmed.strip_prefix(['v', 'V']) {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => trimmed,
        };
        let mut items = Vec::new();
        let mut chars = body.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut digits = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                let significant = digits.trim_start_matches('0');
                items.push(Item::Number(significant.to_owned()));
            } else if c.is_alphabetic() {
                let mut word = String::new();
                while let Some(&l) = chars.peek().filter(|l| l.is_alphabetic()) {
                    word.extend(l.to_lowercase());
                    chars.next();
                }
                match PRE_RELEASE_WORDS.iter().position(|pre| *pre == word) {
                    Some(rank) => items.push(Item::PreRelease(rank)),
                    None => items.push(Item::Word(word)),
                }
            } else {
                chars.next();
            }
        }
        Version {
            text: trimmed.to_owned(),
            items,
        }
    }

    /// The items without zeros that end a numeric run (`1.0.0` → `1`, `1.0-rc1` → `1 rc 1`,
    /// `1.0.2` unchanged): zeros directly before a word, a pre-release marker or the end.
    fn significant_items(&self) -> Vec<&Item> {
        let zero = Item::Number(String::new());
        let mut kept: Vec<&Item> = Vec::new();
        let mut pending_zeros: Vec<&Item> = Vec::new();
        for item in &self.items {
            match item {
                Item::Number(_) if *item == zero => pending_zeros.push(item),
                Item::Number(_) => {
                    kept.append(&mut pending_zeros);
                    kept.push(item);
                }
                _ => {
                    pending_zeros.clear();
                    kept.push(item);
                }
            }
        }
        kept
    }

    /// The text it was parsed from (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the version has at least one number (a usable version).
    pub fn has_number(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(item, Item::Number(_)))
    }

    /// Whether `self` belongs to the release series `series` (`1.0.2u` is in `1.0.2` and in
    /// `1.0`, `1.0.20` is not in `1.0.2`): the series' items are a prefix of the version's,
    /// ignoring post-release words and pre-release markers after the prefix.
    pub fn in_series(&self, series: &Version) -> bool {
        if series.items.is_empty() || series.items.len() > self.items.len() {
            return false;
        }
        if self.items.iter().zip(&series.items).any(|(a, b)| a != b) {
            return false;
        }
        // Items compare whole (`2` is not `20`), so a prefix match is series membership.
        true
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where an item sits relative to the others when the kinds differ.
fn kind_rank(item: Option<&Item>) -> u8 {
    match item {
        Some(Item::PreRelease(_)) => 0,
        None => 1,
        Some(Item::Word(_)) => 2,
        Some(Item::Number(_)) => 3,
    }
}

fn compare_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_items(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (Some(Item::Number(x)), Some(Item::Number(y))) => compare_numbers(x, y),
        (Some(Item::Word(x)), Some(Item::Word(y))) => x.cmp(y),
        (Some(Item::PreRelease(x)), Some(Item::PreRelease(y))) => x.cmp(y),
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let (mine, theirs) = (self.significant_items(), other.significant_items());
        let length = mine.len().max(theirs.len());
        for index in 0..length {
            let ordering = compare_items(mine.get(index).copied(), theirs.get(index).copied());
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal when the ordering says so (`1.0` == `1.0.0`), whatever the text.
impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Compares two version strings with [`Version`]'s ordering.
pub fn compare(a: &str, b: &str) -> Ordering {
    Version::parse(a).cmp(&Version::parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ascending(versions: &[&str]) {
        for pair in versions.windows(2) {
            assert_eq!(
                compare(pair[0], pair[1]),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(compare(pair[1], pair[0]), Ordering::Greater);
        }
    }

    #[test]
    fn openssl_letter_suffixes_are_patch_releases() {
        ascending(&[
            "1.0.1u",
            "1.0.2-beta1",
            "1.0.2-rc1",
            "1.0.2",
            "1.0.2a",
            "1.0.2k",
            "1.0.2u",
            "1.0.2z",
            "1.0.2za",
            "1.0.2zd",
            "1.0.2zk",
            "1.1.0",
            "1.1.1",
            "1.1.1w",
            "3.0.0-alpha1",
            "3.0.0",
            "3.0.13",
        ]);
    }

    #[test]
    fn numeric_components_compare_as_numbers() {
        ascending(&[
            "2.6.9", "2.6.36", "2.6.36.4", "2.6.37", "3.10.14", "4.4.60", "4.14.90",
        ]);
        ascending(&["1.9", "1.10", "1.100", "99999999999999999999999"]);
        assert_eq!(compare("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare("v2.9", "2.9"), Ordering::Equal);
        assert_eq!(compare("1.02", "1.2"), Ordering::Equal);
    }

    #[test]
    fn openssh_portable_and_prerelease_markers() {
        ascending(&["7.4", "7.4p1", "7.4p2", "7.5", "8.0p1"]);
        ascending(&["2.80test3", "2.80rc1", "2.80", "2.81"]);
        ascending(&[
            "1.0-dev",
            "1.0-alpha",
            "1.0-beta",
            "1.0-beta2",
            "1.0-rc1",
            "1.0",
        ]);
    }

    #[test]
    fn series_membership() {
        let series = Version::parse("1.0.2");
        assert!(Version::parse("1.0.2u").in_series(&series));
        assert!(Version::parse("1.0.2").in_series(&series));
        assert!(!Version::parse("1.0.20").in_series(&series));
        assert!(!Version::parse("1.0.1u").in_series(&series));
        assert!(Version::parse("2.6.36.4").in_series(&Version::parse("2.6")));
        assert!(!Version::parse("1").in_series(&Version::parse("1.0")));
    }

    proptest! {
        #[test]
        fn the_ordering_is_total_and_antisymmetric(a in "[0-9a-z.\\-]{0,12}", b in "[0-9a-z.\\-]{0,12}", c in "[0-9a-z.\\-]{0,12}") {
            let (a, b, c) = (Version::parse(&a), Version::parse(&b), Version::parse(&c));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
        }
    }
}
