//! SIP-specific event notification headers (RFC 6665 §8.2) and PUBLISH entity tags
//! (RFC 3903 §11.3).

use alloc::borrow::Cow;

use bytes::BufMut;

use super::{TypedHeader, header_params, parse_all};
use crate::error::Error;
use crate::message::HeaderName;
use crate::params::Params;

/// `Event = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHeader<'a> {
    /// `event-type = event-package *( "." event-template )`, e.g. `presence.winfo`.
    pub event_type: Cow<'a, str>,
    /// `;id=...` and extensions.
    pub params: Params<'a>,
}

impl<'a> EventHeader<'a> {
    /// An event of the given type, without parameters.
    pub const fn new(event_type: &'a str) -> Self {
        Self { event_type: Cow::Borrowed(event_type), params: Params::EMPTY }
    }

    /// The package: the event type before the first `.` (`presence` for `presence.winfo`).
    pub fn package(&self) -> &str {
        self.event_type.split('.').next().unwrap_or(&self.event_type)
    }

    /// The templates after the package (`winfo` for `presence.winfo`).
    pub fn templates(&self) -> impl Iterator<Item = &str> + '_ {
        self.event_type.split('.').skip(1)
    }

    /// The `id` parameter.
    pub fn id(&self) -> Option<&str> {
        self.params.get("id")
    }

    /// The same header, owning its text.
    pub fn into_owned(self) -> EventHeader<'static> {
        EventHeader {
            event_type: Cow::Owned(self.event_type.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> TypedHeader<'a> for EventHeader<'a> {
    const NAME: HeaderName = HeaderName::Event;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            let event_type = c.token()?.into();
            let params = header_params(c, s)?;
            Ok(Self { event_type, params })
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.event_type.as_bytes());
        buf.put_slice(self.params.as_str().as_bytes());
    }
}

/// One event type of `Allow-Events = ( "Allow-Events" / "u" ) HCOLON event-type *(COMMA event-type)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AllowEvents<'a>(pub Cow<'a, str>);

impl AllowEvents<'_> {
    /// The same event type, owning its text.
    pub fn into_owned(self) -> AllowEvents<'static> {
        AllowEvents(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> TypedHeader<'a> for AllowEvents<'a> {
    const NAME: HeaderName = HeaderName::AllowEvents;
    const LIST: bool = true;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, _| c.token().map(|t| Self(t.into())))
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.0.as_bytes());
    }
}

/// `substate-value = "active" / "pending" / "terminated" / extension-substate`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubState<'a> {
    /// `active`
    Active,
    /// `pending`
    Pending,
    /// `terminated`
    Terminated,
    /// Any other token.
    Extension(Cow<'a, str>),
}

impl<'a> SubState<'a> {
    fn from_token(t: &'a str) -> Self {
        if t.eq_ignore_ascii_case("active") {
            Self::Active
        } else if t.eq_ignore_ascii_case("pending") {
            Self::Pending
        } else if t.eq_ignore_ascii_case("terminated") {
            Self::Terminated
        } else {
            Self::Extension(Cow::Borrowed(t))
        }
    }

    /// The value as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Terminated => "terminated",
            Self::Extension(s) => s,
        }
    }

    /// The same state, owning its text.
    pub fn into_owned(self) -> SubState<'static> {
        match self {
            Self::Active => SubState::Active,
            Self::Pending => SubState::Pending,
            Self::Terminated => SubState::Terminated,
            Self::Extension(s) => SubState::Extension(Cow::Owned(s.into_owned())),
        }
    }
}

/// `Subscription-State = "Subscription-State" HCOLON substate-value *( SEMI subexp-params )`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState<'a> {
    /// The state.
    pub state: SubState<'a>,
    /// `;expires=...;reason=...;retry-after=...` and extensions.
    pub params: Params<'a>,
}

impl<'a> SubscriptionState<'a> {
    /// A state without parameters.
    pub const fn new(state: SubState<'a>) -> Self {
        Self { state, params: Params::EMPTY }
    }

    /// The `expires` parameter, in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").and_then(|v| crate::scan::parse_u32(v.as_bytes()))
    }

    /// The `reason` parameter (`deactivated`, `probation`, `rejected`, `timeout`, `giveup`,
    /// `noresource`, `invariant`, or an extension).
    pub fn reason(&self) -> Option<&str> {
        self.params.get("reason")
    }

    /// The same header, owning its text.
    pub fn into_owned(self) -> SubscriptionState<'static> {
        SubscriptionState { state: self.state.into_owned(), params: self.params.into_owned() }
    }

    /// The `retry-after` parameter, in seconds.
    pub fn retry_after(&self) -> Option<u32> {
        self.params.get("retry-after").and_then(|v| crate::scan::parse_u32(v.as_bytes()))
    }
}

impl<'a> TypedHeader<'a> for SubscriptionState<'a> {
    const NAME: HeaderName = HeaderName::SubscriptionState;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            let state = SubState::from_token(c.token()?);
            let params = header_params(c, s)?;
            Ok(Self { state, params })
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.state.as_str().as_bytes());
        buf.put_slice(self.params.as_str().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        let e = EventHeader::parse(b"presence.winfo;id=1234").unwrap();
        assert_eq!((e.package(), e.id()), ("presence", Some("1234")));
        assert_eq!(e.templates().collect::<Vec<_>>(), ["winfo"]);
        let s = SubscriptionState::parse(b"terminated;reason=timeout;retry-after=30").unwrap();
        assert_eq!(s.state, SubState::Terminated);
        assert_eq!((s.reason(), s.retry_after()), (Some("timeout"), Some(30)));
        let s = SubscriptionState::parse(b"active;expires=3600").unwrap();
        assert_eq!(s.expires(), Some(3600));
        assert_eq!(super::super::SipETag::parse(b"dx200xyz").unwrap().0, "dx200xyz");
    }
}
