//! `xs:dateTime` values (PIDF `<timestamp>`, RPID `from`/`until`, timed presence): kept as
//! written, and comparable as instants.

use core::cmp::Ordering;
use core::fmt;

/// An `xs:dateTime` as written (`2005-05-30T16:09:44+05:00`), with the instant it denotes.
///
/// Equality is lexical, so a document writes back what it read; [`DateTime::cmp_instant`]
/// and [`DateTime::unix_nanos`] compare instants. A value without a time zone is taken as UTC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    text: String,
    nanos: i128,
}

impl DateTime {
    /// Parses the lexical form of `xs:dateTime`:
    /// `-?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?`, surrounding white space allowed.
    pub fn parse(s: &str) -> Option<Self> {
        let t = crate::trim_ws(s);
        let nanos = instant(t.as_bytes())?;
        Some(Self { text: t.to_owned(), nanos })
    }

    /// The UTC instant `secs` seconds and `nanos` nanoseconds after 1970-01-01T00:00:00Z,
    /// written with a `Z` and as many fractional digits as needed (none, 3, 6 or 9).
    pub fn from_unix(secs: i64, nanos: u32) -> Self {
        let nanos = nanos.min(999_999_999);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut text = if y < 0 {
            format!("-{:04}-{m:02}-{d:02}", -y)
        } else {
            format!("{y:04}-{m:02}-{d:02}")
        };
        text.push_str(&format!("T{:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60));
        if nanos != 0 {
            if nanos % 1_000_000 == 0 {
                text.push_str(&format!(".{:03}", nanos / 1_000_000));
            } else if nanos % 1000 == 0 {
                text.push_str(&format!(".{:06}", nanos / 1000));
            } else {
                text.push_str(&format!(".{nanos:09}"));
            }
        }
        text.push('Z');
        Self { text, nanos: i128::from(secs) * 1_000_000_000 + i128::from(nanos) }
    }

    /// The instant of a `SystemTime` (the caller's clock).
    pub fn from_system_time(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => {
                Self::from_unix(i64::try_from(d.as_secs()).unwrap_or(i64::MAX), d.subsec_nanos())
            }
            Err(e) => {
                let d = e.duration();
                let secs = -i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => Self::from_unix(secs, 0),
                    n => Self::from_unix(secs - 1, 1_000_000_000 - n),
                }
            }
        }
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Nanoseconds since 1970-01-01T00:00:00Z (fractions beyond nanoseconds are dropped).
    pub const fn unix_nanos(&self) -> i128 {
        self.nanos
    }

    /// Compares the instants, not the text.
    pub fn cmp_instant(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn digits(b: &[u8], n: usize) -> Option<i64> {
    if b.len() < n {
        return None;
    }
    b[..n]
        .iter()
        .try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

/// Nanoseconds since the epoch, or `None` when `b` is not an `xs:dateTime`.
fn instant(b: &[u8]) -> Option<i128> {
    let (neg, b) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let ylen = b.iter().take_while(|c| c.is_ascii_digit()).count();
    // Years past 9999 are allowed by the schema; 18 digits keep the arithmetic in range.
    if !(4..=18).contains(&ylen) || (ylen > 4 && b[0] == b'0') {
        return None;
    }
    let year = digits(b, ylen)?;
    let year = if neg { -year } else { year };
    let r = &b[ylen..];
    if r.len() < 15 || r[0] != b'-' || r[3] != b'-' || r[6] != b'T' || r[9] != b':' || r[12] != b':'
    {
        return None;
    }
    let month = digits(&r[1..], 2)?;
    let day = digits(&r[4..], 2)?;
    let hour = digits(&r[7..], 2)?;
    let min = digits(&r[10..], 2)?;
    let sec = digits(&r[13..], 2)?;
    let mut r = &r[15..];
    let mut frac: i128 = 0;
    if let Some((b'.', rest)) = r.split_first() {
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, &c) in rest[..n].iter().enumerate() {
            if i < 9 {
                frac = frac * 10 + i128::from(c - b'0');
            }
        }
        for _ in n..9 {
            frac *= 10;
        }
        r = &rest[n..];
    }
    let offset_min = match r {
        [] => 0,
        [b'Z'] => 0,
        [s @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2], 2)?;
            let m = digits(&[*m1, *m2], 2)?;
            if h > 14 || m > 59 || (h == 14 && m != 0) {
                return None;
            }
            if *s == b'-' { -(h * 60 + m) } else { h * 60 + m }
        }
        _ => return None,
    };
    if year == 0 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let end_of_day = hour == 24 && min == 0 && sec == 0 && frac == 0;
    if (hour > 23 && !end_of_day) || min > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_min * 60;
    Some(i128::from(secs) * 1_000_000_000 + frac)
}

const fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

const fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        let a = DateTime::parse("2005-05-30T16:09:44+05:00").unwrap();
        let b = DateTime::parse("2005-05-30T11:09:44Z").unwrap();
        assert_eq!(a.cmp_instant(&b), Ordering::Equal);
        assert_ne!(a, b);
        assert_eq!(b.unix_nanos(), 1_117_451_384 * 1_000_000_000);
        let c = DateTime::parse("2005-08-15T10:20:00.000-05:00").unwrap();
        assert_eq!(c.as_str(), "2005-08-15T10:20:00.000-05:00");
        assert_eq!(DateTime::from_unix(1_117_451_384, 0).as_str(), "2005-05-30T11:09:44Z");
        assert_eq!(DateTime::from_unix(0, 5_000_000).as_str(), "1970-01-01T00:00:00.005Z");
        assert_eq!(DateTime::from_unix(-1, 0).as_str(), "1969-12-31T23:59:59Z");
        for bad in [
            "2005-02-29T00:00:00Z",
            "2005-13-01T00:00:00Z",
            "05-01-01T00:00:00Z",
            "2005-01-01 00:00:00Z",
            "2005-01-01T25:00:00Z",
            "2005-01-01T00:00:00+15:00",
            "2005-01-01T00:00:00.Z",
            "0000-01-01T00:00:00Z",
            "",
        ] {
            assert!(DateTime::parse(bad).is_none(), "{bad}");
        }
        assert!(DateTime::parse("2004-02-29T24:00:00Z").is_some());
    }

    #[test]
    fn unix_round_trip() {
        for secs in [-62_135_596_800_i64, -1, 0, 951_782_400, 4_102_444_800, 253_402_300_799] {
            for nanos in [0, 1, 1000, 1_000_000, 999_999_999] {
                let d = DateTime::from_unix(secs, nanos);
                let p = DateTime::parse(d.as_str()).unwrap();
                assert_eq!(p.unix_nanos(), i128::from(secs) * 1_000_000_000 + i128::from(nanos));
            }
        }
    }
}
