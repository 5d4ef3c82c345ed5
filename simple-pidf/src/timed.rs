//! Timed presence (RFC 4481): the status a tuple will have (or had) over a time span.

use crate::datetime::DateTime;
use crate::model::{Basic, Extension, Note};

/// `<ts:timed-status from="..." until="...">` in a tuple (RFC 4481 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimedStatus {
    /// When the span starts.
    pub from: DateTime,
    /// When it ends, if known.
    pub until: Option<DateTime>,
    /// The basic status over the span.
    pub basic: Option<Basic>,
    /// A note (the schema allows one).
    pub note: Option<Note>,
    /// Other elements, in order.
    pub extensions: Vec<Extension>,
}

impl TimedStatus {
    /// A span starting at `from` with this basic status.
    pub const fn new(from: DateTime, basic: Basic) -> Self {
        Self { from, until: None, basic: Some(basic), note: None, extensions: Vec::new() }
    }

    /// Whether `now` falls in the span (`from <= now < until`).
    pub fn covers(&self, now: &DateTime) -> bool {
        self.from.unix_nanos() <= now.unix_nanos()
            && self.until.as_ref().is_none_or(|u| now.unix_nanos() < u.unix_nanos())
    }
}
