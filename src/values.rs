//! Values the rules compare: version numbers and calendar dates.

use std::cmp::Ordering;

/// A revision version such as `1.2`, `0.0.3` or `2.5rc1`. Equality follows
/// the order: `1.0 == 1.0.0`.
#[derive(Debug, Clone)]
pub struct Version {
    parts: Vec<(u64, String)>,
}

impl Version {
    /// Dotted components, each a number optionally followed by a suffix
    /// (`rc1`, `-rc.1` is read as components `0-rc` and `1`). `None` when a
    /// component does not start with a digit.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for comp in s.split('.') {
            let digits = comp.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let n = comp.get(..digits)?.parse::<u64>().ok()?;
            parts.push((n, comp.get(digits..)?.to_string()));
        }
        Some(Version { parts })
    }
}

impl Ord for Version {
    /// Numeric per component (0.10 > 0.9, 1.0 > 0.9.1); a missing component
    /// counts as 0 (1.0 == 1.0.0); at the same number, a suffix is a
    /// pre-release and sorts before no suffix (2.5rc3 < 2.5), suffixes
    /// compare naturally (rc2 < rc10).
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        let zero = (0u64, String::new());
        for i in 0..n {
            let a = self.parts.get(i).unwrap_or(&zero);
            let b = other.parts.get(i).unwrap_or(&zero);
            let o =
                a.0.cmp(&b.0)
                    .then_with(|| match (a.1.is_empty(), b.1.is_empty()) {
                        (true, true) => Ordering::Equal,
                        (true, false) => Ordering::Greater,
                        (false, true) => Ordering::Less,
                        (false, false) => natural(&a.1, &b.1),
                    });
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compare strings with runs of digits as numbers.
fn natural(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let i = x.iter().take_while(|b| b.is_ascii_digit()).count();
                let j = y.iter().take_while(|b| b.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&x[..i]), trim_zeros(&y[..j]));
                let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if o != Ordering::Equal {
                    return o;
                }
                x = &x[i..];
                y = &y[j..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let k = s.iter().take_while(|&&b| b == b'0').count();
    &s[k.min(s.len().saturating_sub(1))..]
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

/// Why a date string is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    Format,
    Month,
    Day { max: u32 },
}

impl Date {
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        if b.len() != 10
            || b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Err(DateError::Format);
        }
        let num =
            |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
        let (year, month, day) = (num(0..4), num(5..7), num(8..10));
        if !(1..=12).contains(&month) {
            return Err(DateError::Month);
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let max = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day == 0 || day > max {
            return Err(DateError::Day { max });
        }
        Ok(Date { year, month, day })
    }

    /// A date written `Y-M-D` with one-digit months or days (`2019-2-3`), as
    /// `YYYY-MM-DD` (`2019-02-03`), when that is a calendar date.
    pub fn padded(s: &str) -> Option<String> {
        let mut parts = s.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        if parts.next().is_some() || !digits(y, 4..=4) || !digits(m, 1..=2) || !digits(d, 1..=2) {
            return None;
        }
        let out = format!("{y}-{m:0>2}-{d:0>2}");
        (out != s && Date::parse(&out).is_ok()).then_some(out)
    }
}

impl Date {
    /// Today in UTC, from the system clock (`None` if it is before 1970).
    pub fn today() -> Option<Date> {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        Some(Date::from_days(i64::try_from(secs / 86_400).ok()?))
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = if m <= 2 { y + 1 } else { y };
        Date {
            year: u32::try_from(y).unwrap_or(0),
            month: u32::try_from(m).unwrap_or(1),
            day: u32::try_from(d).unwrap_or(1),
        }
    }

    /// The same day `n` months earlier (the last day of that month when it
    /// is shorter).
    pub fn months_before(self, n: u32) -> Date {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 - i64::from(n);
        let year = u32::try_from(total.div_euclid(12)).unwrap_or(0);
        let month = u32::try_from(total.rem_euclid(12)).unwrap_or(0) + 1;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let max = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        Date {
            year,
            month,
            day: self.day.min(max),
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn version_order() {
        assert!(v("0.10") > v("0.9"));
        assert!(v("1.0") > v("0.9.1"));
        assert!(v("1.0") == v("1.0.0"));
        assert!(v("2.5.0") > v("2.5rc3"));
        assert!(v("2.5rc3") > v("2.5rc2"));
        assert!(v("2.5rc10") > v("2.5rc9"));
        assert!(v("2.5rc1") > v("2.4"));
        assert!(v("1.1.1") > v("1.1rc1"));
        assert!(v("0.0.25") > v("0.0.3"));
        assert!(Version::parse("abc").is_none());
        assert!(Version::parse("").is_none());
        assert!(Version::parse("1..2").is_none());
    }

    #[test]
    fn dates() {
        assert!(Date::parse("2002-01-11").is_ok());
        assert!(Date::parse("2024-02-29").is_ok());
        assert_eq!(Date::parse("2023-02-29"), Err(DateError::Day { max: 28 }));
        assert_eq!(Date::parse("2023-13-01"), Err(DateError::Month));
        assert_eq!(Date::parse("2011-1-23"), Err(DateError::Format));
        assert_eq!(Date::padded("2019-2-3").as_deref(), Some("2019-02-03"));
        assert_eq!(Date::padded("2019-02-3").as_deref(), Some("2019-02-03"));
        assert_eq!(Date::padded("2019-02-03"), None);
        assert_eq!(Date::padded("2019-2-30"), None);
        assert_eq!(Date::padded("19-2-3"), None);
        assert_eq!(Date::padded("2019-2-3-1"), None);
        assert_eq!(Date::parse("2011-01-23T00:00Z"), Err(DateError::Format));
        assert!(Date::parse("2002-01-11").unwrap() > Date::parse("2001-06-28").unwrap());
    }
}
