//! SIP methods (RFC 3261 §7.1 and the extensions SIMPLE uses).

use alloc::borrow::Cow;
use core::fmt;

/// A request method. Methods are case-sensitive (RFC 3261 §7.1); anything else is
/// [`Method::Extension`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// `INVITE` (RFC 3261)
    Invite,
    /// `ACK` (RFC 3261)
    Ack,
    /// `BYE` (RFC 3261)
    Bye,
    /// `CANCEL` (RFC 3261)
    Cancel,
    /// `OPTIONS` (RFC 3261)
    Options,
    /// `REGISTER` (RFC 3261)
    Register,
    /// `SUBSCRIBE` (RFC 6665)
    Subscribe,
    /// `NOTIFY` (RFC 6665)
    Notify,
    /// `PUBLISH` (RFC 3903)
    Publish,
    /// `MESSAGE` (RFC 3428)
    Message,
    /// `INFO` (RFC 6086)
    Info,
    /// `PRACK` (RFC 3262)
    Prack,
    /// `UPDATE` (RFC 3311)
    Update,
    /// `REFER` (RFC 3515)
    Refer,
    /// Any other `token`.
    Extension(Cow<'a, str>),
}

impl<'a> Method<'a> {
    /// Classifies a method token (the caller has checked it is a `token`).
    pub fn from_token(s: &'a str) -> Self {
        match s {
            "INVITE" => Self::Invite,
            "ACK" => Self::Ack,
            "BYE" => Self::Bye,
            "CANCEL" => Self::Cancel,
            "OPTIONS" => Self::Options,
            "REGISTER" => Self::Register,
            "SUBSCRIBE" => Self::Subscribe,
            "NOTIFY" => Self::Notify,
            "PUBLISH" => Self::Publish,
            "MESSAGE" => Self::Message,
            "INFO" => Self::Info,
            "PRACK" => Self::Prack,
            "UPDATE" => Self::Update,
            "REFER" => Self::Refer,
            other => Self::Extension(Cow::Borrowed(other)),
        }
    }

    /// The method as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Invite => "INVITE",
            Self::Ack => "ACK",
            Self::Bye => "BYE",
            Self::Cancel => "CANCEL",
            Self::Options => "OPTIONS",
            Self::Register => "REGISTER",
            Self::Subscribe => "SUBSCRIBE",
            Self::Notify => "NOTIFY",
            Self::Publish => "PUBLISH",
            Self::Message => "MESSAGE",
            Self::Info => "INFO",
            Self::Prack => "PRACK",
            Self::Update => "UPDATE",
            Self::Refer => "REFER",
            Self::Extension(s) => s,
        }
    }

    /// The same method, owning its text.
    pub fn into_owned(self) -> Method<'static> {
        match self {
            Self::Extension(s) => Method::Extension(Cow::Owned(s.into_owned())),
            Self::Invite => Method::Invite,
            Self::Ack => Method::Ack,
            Self::Bye => Method::Bye,
            Self::Cancel => Method::Cancel,
            Self::Options => Method::Options,
            Self::Register => Method::Register,
            Self::Subscribe => Method::Subscribe,
            Self::Notify => Method::Notify,
            Self::Publish => Method::Publish,
            Self::Message => Method::Message,
            Self::Info => Method::Info,
            Self::Prack => Method::Prack,
            Self::Update => Method::Update,
            Self::Refer => Method::Refer,
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
