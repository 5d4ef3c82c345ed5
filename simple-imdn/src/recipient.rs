//! The rules for whoever sends notifications (RFC 5438 §7.2, §8): an IM recipient or an
//! intermediary reads what an IM asks for into a [`Pending`], which answers each
//! disposition at most once and only as the rules and the [`Policy`] allow — never an IMDN
//! for an IMDN, no processing notification from a recipient, no positive delivery from an
//! intermediary, `forbidden` or nothing where policy says so, the recipient's address left
//! out for privacy — and writes the notification with the IMDN-Route headers the IM's
//! IMDN-Record-Route headers ask for. An intermediary adds itself to the IMDN path with
//! [`record_route`] and forwards a notification with [`next_hop`].
//!
//! ```
//! use simple_imdn::cpim::Cpim;
//! use simple_imdn::imdn::{Disposition, Status};
//! use simple_imdn::recipient::{Destination, Pending, Policy, Role};
//!
//! let im = b"From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\n\
//!     DateTime: 2026-12-03T10:00:00Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
//!     imdn.Message-ID: m1\r\nimdn.Disposition-Notification: positive-delivery, display\r\n\
//!     \r\nContent-Type: text/plain\r\n\r\nhello";
//! let cpim = Cpim::parse(im).unwrap();
//! let mut p = Pending::from_im(&cpim, Role::Recipient).unwrap().expect("it asks for IMDNs");
//! let policy = Policy::default();
//! let imdn = p.answer(Disposition::Delivery, Status::Delivered, &policy).unwrap();
//! assert!(p.answer(Disposition::Delivery, Status::Delivered, &policy).is_none(), "only once");
//! let wrapper = p.message(&imdn, "sip:bob@example.com", "n1");
//! assert_eq!(p.destination(), Destination::Sender("sip:alice@example.com"));
//! let bytes = wrapper.to_vec();
//! let back = Cpim::parse(&bytes).unwrap();
//! assert_eq!(back.mime_header("Content-Disposition"), Some("notification"));
//! ```

use crate::cpim::{Cpim, CpimMessage, media_type};
use crate::error::Error;
use crate::imdn::{
    CONTENT_TYPE, Disposition, IMDN_NS, Imdn, ImdnHeaders, Notification, Requested, Status,
    notification_message,
};

/// Who answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The IM's recipient: delivery and display, never processing (§7.2.1).
    Recipient,
    /// An intermediary: processing, and negative delivery after an error; never positive
    /// delivery or display (§8, §12.2).
    Intermediary,
}

/// What to do with requests of one disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Report the status.
    Send,
    /// Report `forbidden` instead (the user or the administrator denies it).
    Forbid,
    /// Send nothing.
    Ignore,
}

/// The answering side's policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Policy {
    /// Delivery requests (send).
    pub delivery: Answer,
    /// Display requests (send).
    pub display: Answer,
    /// Processing requests (send).
    pub processing: Answer,
    /// Whether notifications name the recipient (`recipient-uri`,
    /// `original-recipient-uri`): false for a list that hides its members (true).
    pub reveal_recipient: bool,
    /// Whether an anonymous sender (From `anonymous@...` or `sip:anonymous...`) gets
    /// notifications (false: §12.1.1 says it should not ask, and the recipient may ignore
    /// it).
    pub answer_anonymous: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            delivery: Answer::Send,
            display: Answer::Send,
            processing: Answer::Send,
            reveal_recipient: true,
            answer_anonymous: false,
        }
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// The top IMDN-Route.
    Route(&'a str),
    /// The IM's sender (its CPIM From; over SIP the Request-URI is the IM's SIP From,
    /// §12.1.3.1).
    Sender(&'a str),
}

/// An IM that asked for notifications, kept by whoever may answer it. See the
/// [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    role: Role,
    message_id: String,
    datetime: String,
    requested: Requested,
    sender: String,
    recipient: Option<String>,
    original_to: Option<String>,
    subject: Option<String>,
    routes: Vec<String>,
    answered: [bool; 3],
}

impl Pending {
    /// What `im` asks of `role`: `None` when nothing can be answered (no request, no
    /// Message-ID or sender, or the message is itself a notification).
    pub fn from_im(im: &Cpim<'_>, role: Role) -> Result<Option<Self>, Error> {
        let h = ImdnHeaders::read(im)?;
        if h.is_notification || h.requested.is_empty() {
            return Ok(None);
        }
        let (Some(message_id), Some(sender)) = (h.message_id, im.from()?) else {
            return Ok(None);
        };
        let recipient = im.to()?.into_iter().next().map(|a| a.uri.into_owned());
        Ok(Some(Self {
            role,
            message_id: message_id.to_owned(),
            datetime: h.datetime.unwrap_or_default().to_owned(),
            requested: h.requested,
            sender: sender.uri.into_owned(),
            recipient,
            original_to: h.original_to.map(|a| a.uri.into_owned()),
            subject: im.subjects().next().map(|s| s.text.into_owned()),
            routes: h.record_routes.into_iter().map(|a| a.uri.into_owned()).collect(),
            answered: [false; 3],
        }))
    }

    /// The IM's Message-ID.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// What the IM asks for.
    pub const fn requested(&self) -> Requested {
        self.requested
    }

    /// The IM's sender.
    pub fn sender(&self) -> &str {
        &self.sender
    }

    /// Where the notification goes (§7.2.1).
    pub fn destination(&self) -> Destination<'_> {
        match self.routes.first() {
            Some(r) => Destination::Route(r),
            None => Destination::Sender(&self.sender),
        }
    }

    /// Whether any notification may still be answered.
    pub fn is_done(&self) -> bool {
        Disposition::ALL.into_iter().all(|d| !self.may_answer(d))
    }

    fn may_answer(&self, d: Disposition) -> bool {
        let i = d as usize;
        if self.answered[i] || !self.requested.asks(d) {
            return false;
        }
        matches!(
            (self.role, d),
            (Role::Recipient, Disposition::Delivery | Disposition::Display)
                | (Role::Intermediary, Disposition::Delivery | Disposition::Processing)
        )
    }

    /// The notification reporting `status` for `disposition`, if the rules and `policy`
    /// allow one; it is then answered, and the next call for it gives `None` (one IMDN per
    /// disposition, §7.2.1).
    pub fn answer(
        &mut self,
        disposition: Disposition,
        status: Status,
        policy: &Policy,
    ) -> Option<Imdn> {
        if !status.fits(disposition) || !self.may_answer(disposition) {
            return None;
        }
        if !policy.answer_anonymous && is_anonymous(&self.sender) {
            return None;
        }
        // positive delivery only if asked; an intermediary never reports it (§12.2)
        if disposition == Disposition::Delivery {
            let positive = status == Status::Delivered;
            let asked = if positive {
                Requested::POSITIVE_DELIVERY
            } else {
                Requested::NEGATIVE_DELIVERY.with(Requested::POSITIVE_DELIVERY)
            };
            let allowed = if positive {
                self.role == Role::Recipient && self.requested.contains(asked)
            } else {
                self.requested.contains(Requested::NEGATIVE_DELIVERY)
                    || self.requested.contains(Requested::POSITIVE_DELIVERY)
            };
            if !allowed {
                return None;
            }
        }
        let answer = match disposition {
            Disposition::Delivery => policy.delivery,
            Disposition::Display => policy.display,
            Disposition::Processing => policy.processing,
        };
        let status = match answer {
            Answer::Ignore => return None,
            Answer::Forbid => Status::Forbidden,
            Answer::Send => status,
        };
        self.answered[disposition as usize] = true;
        let mut imdn =
            Imdn::new(&self.message_id, &self.datetime, Notification::new(disposition, status));
        if policy.reveal_recipient {
            imdn.recipient_uri.clone_from(&self.recipient);
            imdn.original_recipient_uri =
                self.original_to.clone().or_else(|| self.recipient.clone());
            imdn.subject.clone_from(&self.subject);
        }
        Some(imdn)
    }

    /// The CPIM message carrying `imdn` from `from` with Message-ID `message_id` (fresh,
    /// from the caller's randomness): To the IM's sender, the IM's IMDN-Record-Route
    /// headers as IMDN-Route headers in their order, Content-Disposition `notification`.
    pub fn message(&self, imdn: &Imdn, from: &str, message_id: &str) -> CpimMessage {
        let routes: Vec<&str> = self.routes.iter().map(String::as_str).collect();
        notification_message(from, &self.sender, message_id, &routes, CONTENT_TYPE, &imdn.to_vec())
    }
}

fn is_anonymous(uri: &str) -> bool {
    let u = uri.to_ascii_lowercase();
    u.contains("anonymous@") || u.starts_with("sip:anonymous") || u.contains("@anonymous.invalid")
}

/// An intermediary adds `uri` as the top IMDN-Record-Route of IM `input` (declaring the
/// IMDN namespace if the IM does not): the other headers are kept byte for byte and in
/// order (§6.5, §8; RFC 3862 §2.2). An IM asking for no notification is returned unchanged.
pub fn record_route(input: &[u8], uri: &str) -> Result<Vec<u8>, Error> {
    let m = Cpim::parse(input)?;
    let h = ImdnHeaders::read(&m)?;
    if h.requested.is_empty() || h.is_notification {
        return Ok(input.to_vec());
    }
    let prefix = m.prefix_for(IMDN_NS);
    let first = m.headers_named(IMDN_NS, "IMDN-Record-Route").next().map(|h| h.offset());
    // the blank line after the last header: the end of the last header line
    let at = first.unwrap_or_else(|| {
        let last = m.headers().last().expect("an IM with requests has headers");
        let end = last.value_offset() + last.value().len();
        end + if input.get(end) == Some(&b'\r') { 2 } else { 1 }
    });
    let mut line = Vec::new();
    let name = match prefix {
        Some(Some(p)) => format!("{p}.IMDN-Record-Route"),
        Some(None) => "IMDN-Record-Route".to_owned(),
        None => {
            line.extend_from_slice(b"NS: imdnrr <urn:ietf:params:imdn>\r\n");
            "imdnrr.IMDN-Record-Route".to_owned()
        }
    };
    line.extend_from_slice(format!("{name}: <{uri}>\r\n").as_bytes());
    let mut out = Vec::with_capacity(input.len() + line.len());
    out.extend_from_slice(&input[..at]);
    out.extend_from_slice(&line);
    out.extend_from_slice(&input[at..]);
    Ok(out)
}

/// An intermediary forwards notification `input`: if the top IMDN-Route is `own`, it is
/// removed (§8). Returns the message to forward and where it goes: the new top IMDN-Route,
/// or the CPIM To when none is left.
pub fn next_hop(input: &[u8], own: &str) -> Result<(Vec<u8>, String), Error> {
    let m = Cpim::parse(input)?;
    let routes: Vec<_> = m.headers_named(IMDN_NS, "IMDN-Route").collect();
    let mut out = input.to_vec();
    let mut rest = routes.iter();
    if let Some(top) = routes.first() {
        let a = top.address()?;
        if crate::tracker::recipient_key(&a.uri) == crate::tracker::recipient_key(own) {
            let start = top.offset();
            let end = top.value_offset() + top.value().len();
            let end = end + if input.get(end) == Some(&b'\r') { 2 } else { 1 };
            out.drain(start..end);
            rest.next();
        }
    }
    let dest = match rest.next() {
        Some(h) => h.address()?.uri.into_owned(),
        None => match m.to()?.into_iter().next() {
            Some(a) => a.uri.into_owned(),
            None => return Err(Error::at(crate::ErrorKind::InvalidAddress, 0)),
        },
    };
    Ok((out, dest))
}

/// Whether a CPIM message's content is a notification (§9): `message/imdn+xml`, or an
/// aggregate with Content-Disposition `notification`.
pub fn is_notification(m: &Cpim<'_>) -> bool {
    media_type(m.content_type()).eq_ignore_ascii_case(CONTENT_TYPE)
        || m.mime_header("Content-Disposition")
            .is_some_and(|d| media_type(d).eq_ignore_ascii_case("notification"))
}
