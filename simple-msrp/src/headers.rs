//! Typed MSRP header values (RFC 4975 §9): Byte-Range, Status, Success-Report,
//! Failure-Report, and the `ident` syntax of transaction and message identifiers.

use core::fmt;

use crate::error::{Error, ErrorKind};

/// `ident = ALPHANUM 3*31ident-char`, `ident-char = ALPHANUM / "." / "-" / "+" / "%" / "="`.
pub fn is_ident(s: &str) -> bool {
    let b = s.as_bytes();
    (4..=32).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'%' | b'='))
}

fn number(s: &str, at: usize) -> Result<u64, Error> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Error::new(ErrorKind::InvalidByteRange, at));
    }
    s.parse().map_err(|_| Error::new(ErrorKind::InvalidByteRange, at))
}

/// `Byte-Range: range-start "-" range-end "/" total`, positions 1-based and inclusive;
/// `None` stands for `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// Position of the first byte of the body in the whole message (1-based).
    pub start: u64,
    /// Position of the last byte, if known (`*` otherwise; interruptible chunks use `*`).
    pub end: Option<u64>,
    /// Size of the whole message, if known.
    pub total: Option<u64>,
}

impl ByteRange {
    /// The range of a whole message of `len` bytes sent in one chunk: `1-len/len`.
    pub const fn whole(len: u64) -> Self {
        Self { start: 1, end: Some(len), total: Some(len) }
    }

    /// Parses a header value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |at| Error::new(ErrorKind::InvalidByteRange, at);
        let (start, rest) = s.split_once('-').ok_or(bad(0))?;
        let (end, total) = rest.split_once('/').ok_or(bad(start.len() + 1))?;
        let start_n = number(start, 0)?;
        let end_at = start.len() + 1;
        let total_at = end_at + end.len() + 1;
        let end_n = if end == "*" { None } else { Some(number(end, end_at)?) };
        let total_n = if total == "*" { None } else { Some(number(total, total_at)?) };
        if start_n == 0 {
            return Err(bad(0));
        }
        // "1-0/0" is how an empty message is described (§7.1.1)
        if end_n.is_some_and(|e| e + 1 < start_n) {
            return Err(bad(end_at));
        }
        if let (Some(e), Some(t)) = (end_n, total_n) {
            if e > t {
                return Err(bad(total_at));
            }
        }
        if total_n.is_some_and(|t| start_n > t + 1) {
            return Err(bad(total_at));
        }
        Ok(Self { start: start_n, end: end_n, total: total_n })
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-", self.start)?;
        match self.end {
            Some(e) => write!(f, "{e}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(t) => write!(f, "{t}"),
            None => f.write_str("*"),
        }
    }
}

/// `Status: namespace SP status-code [SP comment]` of REPORT requests.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportStatus {
    /// The namespace, `000` for codes of RFC 4975.
    pub namespace: u16,
    /// The status code, read like a transaction response code.
    pub code: u16,
    /// The comment.
    pub comment: Option<String>,
}

fn three_digits(s: &str) -> Option<u16> {
    (s.len() == 3 && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

impl ReportStatus {
    /// A status in namespace 000.
    pub fn new(code: u16, comment: Option<&str>) -> Self {
        Self { namespace: 0, code, comment: comment.map(str::to_owned) }
    }

    /// Parses a header value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |at| Error::new(ErrorKind::InvalidStatus, at);
        let mut it = s.splitn(3, ' ');
        let ns = it.next().and_then(three_digits).ok_or(bad(0))?;
        let code = it.next().and_then(three_digits).ok_or(bad(4))?;
        let comment = it.next().map(str::to_owned);
        Ok(Self { namespace: ns, code, comment })
    }
}

impl fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {:03}", self.namespace, self.code)?;
        if let Some(c) = &self.comment {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

/// `Success-Report` (absent means `no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SuccessReport {
    /// `yes`: the receiver sends success REPORTs.
    Yes,
    /// `no` (the default).
    #[default]
    No,
}

/// `Failure-Report` (absent means `yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailureReport {
    /// `yes` (the default): responses to every chunk, failure REPORTs, a 30 s timer.
    #[default]
    Yes,
    /// `no`: no responses and no failure reports.
    No,
    /// `partial`: only error responses; no timer.
    Partial,
}

impl SuccessReport {
    /// Parses a header value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "yes" => Ok(Self::Yes),
            "no" => Ok(Self::No),
            _ => Err(Error::new(ErrorKind::InvalidReportValue, 0)),
        }
    }

    /// The header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }
}

impl FailureReport {
    /// Parses a header value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "yes" => Ok(Self::Yes),
            "no" => Ok(Self::No),
            "partial" => Ok(Self::Partial),
            _ => Err(Error::new(ErrorKind::InvalidReportValue, 0)),
        }
    }

    /// The header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
        }
    }
}
