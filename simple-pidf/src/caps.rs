//! User agent capabilities in presence (RFC 5196): `<caps:servcaps>` for services and
//! `<caps:devcaps>` for devices.

use crate::model::{Note, OtherAttribute, Raw};

/// `<caps:servcaps>`: what a service supports (RFC 5196 §3.2). Fields follow the schema's
/// element order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ServCaps {
    /// `<actor>`: attendant, information, msg-taker, principal.
    pub actor: Option<Support>,
    /// `<application>`.
    pub application: Option<bool>,
    /// `<audio>`.
    pub audio: Option<bool>,
    /// `<automata>`: whether a machine answers.
    pub automata: Option<bool>,
    /// `<class>`: business, personal.
    pub class: Option<Support>,
    /// `<control>`.
    pub control: Option<bool>,
    /// `<data>`.
    pub data: Option<bool>,
    /// `<description>`s, one per language.
    pub descriptions: Vec<Note>,
    /// `<duplex>`: full, half, receive-only, send-only.
    pub duplex: Option<Support>,
    /// `<event-packages>`: SIP event package names.
    pub event_packages: Option<Support>,
    /// `<extensions>`: SIP option tags.
    pub extensions: Option<Support>,
    /// `<isfocus>`: whether the service is a conference focus.
    pub is_focus: Option<bool>,
    /// `<message>`: SIP MESSAGE.
    pub message: Option<bool>,
    /// `<methods>`: SIP methods.
    pub methods: Option<Support>,
    /// `<languages>`: language tags (`<l>` values).
    pub languages: Option<Support>,
    /// `<priority>`: SIP priority ranges.
    pub priority: Option<Priorities>,
    /// `<schemes>`: URI schemes (`<s>` values).
    pub schemes: Option<Support>,
    /// `<text>`.
    pub text: Option<bool>,
    /// `<type>`s: MIME types.
    pub types: Vec<String>,
    /// `<video>`.
    pub video: Option<bool>,
    /// Extension elements after the known ones.
    pub other: Vec<Raw>,
    /// Attributes, kept as read.
    pub attributes: Vec<OtherAttribute>,
}

/// `<caps:devcaps>`: what a device supports (RFC 5196 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DevCaps {
    /// `<description>`s.
    pub descriptions: Vec<Note>,
    /// `<mobility>`: fixed, mobile.
    pub mobility: Option<Support>,
    /// Extension elements after the known ones.
    pub other: Vec<Raw>,
    /// Attributes, kept as read.
    pub attributes: Vec<OtherAttribute>,
}

/// A `<supported>`/`<notsupported>` pair. For most features the values are the local names
/// of empty elements (`INVITE`, `full`, `presence`); for `<schemes>` and `<languages>` they
/// are the text of `<s>` and `<l>` elements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Support {
    /// `<supported>`, if present.
    pub supported: Option<Vec<String>>,
    /// `<notsupported>`, if present.
    pub not_supported: Option<Vec<String>>,
}

impl Support {
    /// Only a `<supported>` list.
    pub fn supported<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        Self { supported: Some(values.into_iter().map(Into::into).collect()), not_supported: None }
    }

    /// Whether `value` is listed as supported.
    pub fn supports(&self, value: &str) -> bool {
        self.supported.as_ref().is_some_and(|v| v.iter().any(|s| s == value))
    }
}

/// `<priority>`: supported and unsupported SIP priority ranges (RFC 5196 §3.2.15).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Priorities {
    /// `<supported>`, if present.
    pub supported: Option<Vec<PriorityRange>>,
    /// `<notsupported>`, if present.
    pub not_supported: Option<Vec<PriorityRange>>,
}

/// One priority range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PriorityRange {
    /// `<lowerthan maxvalue="n"/>`.
    LowerThan(i64),
    /// `<higherthan minvalue="n"/>`. RFC 5196's schema names this element `higherhan` (a
    /// typo of its prose); `schema_spelling` says which name was read, and is written back.
    HigherThan {
        /// `minvalue`.
        min: i64,
        /// Whether the element is spelt `higherhan`, as the schema has it.
        schema_spelling: bool,
    },
    /// `<equals value="n"/>`.
    Equals(i64),
    /// `<range minvalue="a" maxvalue="b"/>`.
    Range {
        /// `minvalue`.
        min: i64,
        /// `maxvalue`.
        max: i64,
    },
}

/// Which features of [`ServCaps`]/[`DevCaps`] list element names and which list values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SupportStyle {
    /// Values are empty elements named by the value.
    Names,
    /// Values are the text of `<s>` (schemes) or `<l>` (languages) elements.
    Text(&'static str),
}
