//! Calendar dates (`YYYY-MM-DD`) as used by the rules, dossiers and assessments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date without a time zone. Serialised as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

/// A string that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{input}\" is not a date: write it as YYYY-MM-DD, for example 2026-01-31")]
pub struct DateError {
    pub input: String,
}

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Date {
    /// Builds a date from its parts; `None` when the parts name no real day.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// The same day `years` years later; 29 February becomes 28 February in a common year.
    pub fn add_years(self, years: i32) -> Date {
        let year = self.0.year() + years;
        let month = self.0.month();
        let mut day = self.0.day();
        loop {
            if let Ok(date) = time::Date::from_calendar_date(year, month, day) {
                return Date(date);
            }
            day -= 1;
        }
    }

    /// The day before this one.
    pub fn previous_day(self) -> Date {
        Date(self.0.previous_day().unwrap_or(self.0))
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        (other.0 - self.0).whole_days()
    }

    pub fn as_time(self) -> time::Date {
        self.0
    }

    pub fn from_time(date: time::Date) -> Date {
        Date(date)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(input: &str) -> Result<Date, DateError> {
        let error = || DateError {
            input: input.to_owned(),
        };
        // Only the strict form: four-digit year, two-digit month and day.
        let bytes = input.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(error());
        }
        time::Date::parse(input, FORMAT)
            .map(Date)
            .map_err(|_| error())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month() as u8,
            self.0.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_iso_dates() {
        let date: Date = "2026-01-01".parse().unwrap();
        assert_eq!(date.to_string(), "2026-01-01");
        assert_eq!((date.year(), date.month(), date.day()), (2026, 1, 1));
    }

    #[test]
    fn rejects_other_forms_with_the_fix() {
        for bad in [
            "01/02/2026",
            "2026-1-1",
            "2026-02-30",
            "20260101",
            "",
            "2026-01-01T00:00",
        ] {
            let error = bad.parse::<Date>().unwrap_err();
            assert!(error.to_string().contains("YYYY-MM-DD"), "{bad}: {error}");
        }
    }

    #[test]
    fn leap_day_plus_years_is_clamped() {
        let date: Date = "2024-02-29".parse().unwrap();
        assert_eq!(date.add_years(3).to_string(), "2027-02-28");
        assert_eq!(date.add_years(4).to_string(), "2028-02-29");
    }

    #[test]
    fn days_until_counts_both_ways() {
        let a: Date = "2025-12-31".parse().unwrap();
        let b: Date = "2026-01-02".parse().unwrap();
        assert_eq!(a.days_until(b), 2);
        assert_eq!(b.days_until(a), -2);
        assert_eq!(b.previous_day().to_string(), "2026-01-01");
    }
}
