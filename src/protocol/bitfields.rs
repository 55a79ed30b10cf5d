//! Week and season bitfields of schedules and TOU periods (docs/protocol.md §6.6).
//!
//! Week ("MGPP" encoding): Sunday = 128, Monday = 64, Tuesday = 32, Wednesday = 16,
//! Thursday = 8, Friday = 4, Saturday = 2; bit 0 is unused. Season: bit (month − 1),
//! January = 1 … December = 2048.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::ValidationError;

/// A day of the week, Monday first (index Monday = 0 … Sunday = 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Monday → Sunday.
    pub const ALL: [Weekday; 7] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    /// The day for an index Monday = 0 … Sunday = 6.
    pub fn from_index(index: i64) -> Result<Self, ValidationError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(ValidationError::OutOfRange {
                field: "day_index",
                value: index as f64,
                min: 0.0,
                max: 6.0,
            })
    }

    /// Parses a full English name or its two-letter form, any case, surrounding
    /// whitespace ignored (`"Monday"`, `"mo"`, `" sUnDaY "`).
    pub fn parse(name: &str) -> Result<Self, ValidationError> {
        let n = name.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|d| {
                let full = d.name().to_ascii_lowercase();
                n == full || n == full[..2]
            })
            .ok_or_else(|| ValidationError::UnknownWeekday {
                value: name.to_owned(),
            })
    }

    /// The English name (`"Monday"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Monday => "Monday",
            Self::Tuesday => "Tuesday",
            Self::Wednesday => "Wednesday",
            Self::Thursday => "Thursday",
            Self::Friday => "Friday",
            Self::Saturday => "Saturday",
            Self::Sunday => "Sunday",
        }
    }

    /// The day's bit in the week bitfield.
    pub fn bit(self) -> u8 {
        match self {
            Self::Sunday => 128,
            Self::Monday => 64,
            Self::Tuesday => 32,
            Self::Wednesday => 16,
            Self::Thursday => 8,
            Self::Friday => 4,
            Self::Saturday => 2,
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of weekdays as the device's week bitfield (`week`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WeekDays(pub u8);

impl WeekDays {
    /// Monday to Friday (124).
    pub const WEEKDAYS: WeekDays = WeekDays(124);
    /// Saturday and Sunday (130).
    pub const WEEKEND: WeekDays = WeekDays(130);
    /// Every day (254).
    pub const EVERY_DAY: WeekDays = WeekDays(254);

    /// The bitfield of the given days (duplicates are harmless).
    pub fn from_days(days: &[Weekday]) -> Self {
        Self(days.iter().fold(0, |acc, d| acc | d.bit()))
    }

    /// The bitfield of day names (full or two-letter, any case, trimmed).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, ValidationError> {
        let days = names
            .iter()
            .map(|n| Weekday::parse(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_days(&days))
    }

    /// The bitfield of day indices Monday = 0 … Sunday = 6.
    pub fn from_indices(indices: &[i64]) -> Result<Self, ValidationError> {
        let days = indices
            .iter()
            .map(|&i| Weekday::from_index(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_days(&days))
    }

    /// The days set, Monday → Sunday (bit 0 is ignored).
    pub fn days(self) -> Vec<Weekday> {
        Weekday::ALL
            .into_iter()
            .filter(|d| self.contains(*d))
            .collect()
    }

    /// Whether `day` is set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & day.bit() != 0
    }
}

/// A set of months as the TOU season bitfield (`season`): bit (month − 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeasonMonths(pub u16);

impl SeasonMonths {
    /// Every month (4095).
    pub const ALL_YEAR: SeasonMonths = SeasonMonths(4095);

    /// The bitfield of months 1–12 (duplicates are harmless).
    pub fn from_months(months: &[i64]) -> Result<Self, ValidationError> {
        months.iter().try_fold(Self(0), |acc, &m| {
            if (1..=12).contains(&m) {
                Ok(Self(acc.0 | (1 << (m - 1))))
            } else {
                Err(ValidationError::OutOfRange {
                    field: "month",
                    value: m as f64,
                    min: 1.0,
                    max: 12.0,
                })
            }
        })
    }

    /// The months set, ascending (bits above December are ignored).
    pub fn months(self) -> Vec<u8> {
        (1..=12u8)
            .filter(|m| self.0 & (1 << (m - 1)) != 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_values_from_the_spec() {
        use Weekday::*;
        assert_eq!(
            WeekDays::from_days(&[Monday, Tuesday, Wednesday, Thursday, Friday]),
            WeekDays::WEEKDAYS
        );
        assert_eq!(WeekDays::from_days(&[Saturday, Sunday]), WeekDays::WEEKEND);
        assert_eq!(WeekDays::from_days(&Weekday::ALL), WeekDays::EVERY_DAY);
        assert_eq!(WeekDays::from_days(&[Monday, Wednesday, Friday]).0, 84);
        assert_eq!(
            WeekDays(62).days(),
            vec![Tuesday, Wednesday, Thursday, Friday, Saturday]
        );
        assert_eq!(
            WeekDays::from_names(&[" sUnDaY ", "tu"]).map(|w| w.0).ok(),
            Some(160)
        );
        assert!(WeekDays::from_names(&["Funday"]).is_err());
        assert!(WeekDays::from_indices(&[7]).is_err());
    }

    #[test]
    fn season_values_from_the_spec() {
        assert_eq!(
            SeasonMonths::from_months(&[6, 7, 8]).map(|s| s.0).ok(),
            Some(224)
        );
        assert_eq!(
            SeasonMonths::from_months(&[12, 1, 2]).map(|s| s.0).ok(),
            Some(2051)
        );
        assert_eq!(SeasonMonths(3087).months(), vec![1, 2, 3, 4, 11, 12]);
        assert_eq!(SeasonMonths(448).months(), vec![7, 8, 9]);
        assert!(SeasonMonths::from_months(&[13]).is_err());
    }
}
