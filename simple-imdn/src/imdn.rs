//! Instant message disposition notification (RFC 5438): what an IM asks for
//! ([`Requested`], read from the CPIM headers by [`ImdnHeaders`]), the `message/imdn+xml`
//! document ([`Imdn`]) with its reader and writer, and aggregated notifications
//! (multipart/mixed, §8.3: [`notifications`] reads one or many, [`write_aggregate`] writes
//! many).

use simple_patch::{Document, NodeId, NodeKind};
use simple_pidf::Raw;
use simple_sip::headers::{ContentType, TypedHeader};
use simple_sip::multipart::{Multipart, MultipartWriter};

use crate::cpim::{Address, Cpim, CpimMessage, media_type};
use crate::error::{Error, ErrorKind};

/// The namespace of the IMDN CPIM headers (Message-ID, Disposition-Notification,
/// Original-To, IMDN-Record-Route, IMDN-Route).
pub const IMDN_NS: &str = "urn:ietf:params:imdn";

/// The XML namespace of the `message/imdn+xml` document.
pub const XML_NS: &str = "urn:ietf:params:xml:ns:imdn";

/// The MIME type of the document.
pub const CONTENT_TYPE: &str = "message/imdn+xml";

/// A disposition type (RFC 5438 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Disposition {
    /// Delivered to the recipient, or not.
    Delivery,
    /// Rendered to the user.
    Display,
    /// Processed or stored by an intermediary.
    Processing,
}

impl Disposition {
    /// All three.
    pub const ALL: [Self; 3] = [Self::Delivery, Self::Display, Self::Processing];

    /// The element name (`delivery-notification`...).
    pub const fn element(self) -> &'static str {
        match self {
            Self::Delivery => "delivery-notification",
            Self::Display => "display-notification",
            Self::Processing => "processing-notification",
        }
    }

    /// The name used in messages (`delivery`, `display`, `processing`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivery => "delivery",
            Self::Display => "display",
            Self::Processing => "processing",
        }
    }
}

/// Which notifications an IM asks for: the values of its Disposition-Notification header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Requested(u8);

impl Requested {
    /// None.
    pub const NONE: Self = Self(0);
    /// `positive-delivery`.
    pub const POSITIVE_DELIVERY: Self = Self(1);
    /// `negative-delivery`.
    pub const NEGATIVE_DELIVERY: Self = Self(2);
    /// `processing`.
    pub const PROCESSING: Self = Self(4);
    /// `display`.
    pub const DISPLAY: Self = Self(8);

    /// Both sets.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every value of `other` is asked for.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether nothing is asked for.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether any notification of `d` can come: delivery for positive or negative
    /// delivery.
    pub const fn asks(self, d: Disposition) -> bool {
        match d {
            Disposition::Delivery => self.0 & 3 != 0,
            Disposition::Display => self.0 & 8 != 0,
            Disposition::Processing => self.0 & 4 != 0,
        }
    }

    /// Reads a Disposition-Notification value (RFC 5438 §10); unknown values are skipped,
    /// as §7.2.1 says. Errors are offsets into `value`.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let mut out = Self::NONE;
        let b = value.as_bytes();
        let mut i = 0;
        let skip_sp = |mut i: usize| {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            i
        };
        i = skip_sp(i);
        if i == b.len() {
            return Ok(out);
        }
        loop {
            let start = i;
            let bad = Error::at(ErrorKind::InvalidDispositionNotification, start);
            while i < b.len() && token_byte(b[i]) {
                i += 1;
            }
            if i == start {
                return Err(bad);
            }
            out = out.with(match &b[start..i] {
                b"positive-delivery" => Self::POSITIVE_DELIVERY,
                b"negative-delivery" => Self::NEGATIVE_DELIVERY,
                b"processing" => Self::PROCESSING,
                b"display" => Self::DISPLAY,
                _ => Self::NONE,
            });
            i = skip_sp(i);
            // parameters: *(SEMI name "=" value), skipped
            while b.get(i) == Some(&b';') {
                i = skip_sp(i + 1);
                let n = i;
                while i < b.len() && token_byte(b[i]) {
                    i += 1;
                }
                if i == n || b.get(i) != Some(&b'=') {
                    return Err(bad);
                }
                i += 1;
                let v = i;
                while i < b.len() && token_byte(b[i]) {
                    i += 1;
                }
                if i == v {
                    return Err(bad);
                }
                i = skip_sp(i);
            }
            match b.get(i) {
                None => return Ok(out),
                Some(b',') => i = skip_sp(i + 1),
                Some(_) => return Err(Error::at(ErrorKind::InvalidDispositionNotification, i)),
            }
        }
    }

    /// The header value (`positive-delivery, display`).
    pub fn to_value(self) -> String {
        let mut v = Vec::new();
        for (flag, name) in [
            (Self::POSITIVE_DELIVERY, "positive-delivery"),
            (Self::NEGATIVE_DELIVERY, "negative-delivery"),
            (Self::PROCESSING, "processing"),
            (Self::DISPLAY, "display"),
        ] {
            if self.contains(flag) {
                v.push(name);
            }
        }
        v.join(", ")
    }
}

const fn token_byte(b: u8) -> bool {
    b > b' ' && b != 0x7f && !matches!(b, b',' | b';' | b'"' | b'<' | b'>' | b'=')
}

/// A notification's status (RFC 5438 §11.1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Delivery: delivered.
    Delivered,
    /// Delivery: failed.
    Failed,
    /// Display: rendered to the user.
    Displayed,
    /// Processing: the intermediary did its task.
    Processed,
    /// Processing: stored for later delivery.
    Stored,
    /// Any type: the notification is denied.
    Forbidden,
    /// Any type: the fate could not be determined.
    Error,
}

impl Status {
    /// Every status, in the order of §11.1.7.
    pub const ALL: [Self; 7] = [
        Self::Delivered,
        Self::Failed,
        Self::Displayed,
        Self::Processed,
        Self::Stored,
        Self::Forbidden,
        Self::Error,
    ];

    /// The element name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Displayed => "displayed",
            Self::Processed => "processed",
            Self::Stored => "stored",
            Self::Forbidden => "forbidden",
            Self::Error => "error",
        }
    }

    /// Whether the schema allows this status in a notification of type `d`.
    pub const fn fits(self, d: Disposition) -> bool {
        matches!(
            (self, d),
            (Self::Forbidden | Self::Error, _)
                | (Self::Delivered | Self::Failed, Disposition::Delivery)
                | (Self::Displayed, Disposition::Display)
                | (Self::Processed | Self::Stored, Disposition::Processing)
        )
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "displayed" => Self::Displayed,
            "processed" => Self::Processed,
            "stored" => Self::Stored,
            "forbidden" => Self::Forbidden,
            "error" => Self::Error,
            _ => return None,
        })
    }
}

/// What a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Notification {
    /// The type.
    pub disposition: Disposition,
    /// The status.
    pub status: Status,
}

impl Notification {
    /// A notification of type `disposition` with `status`.
    pub const fn new(disposition: Disposition, status: Status) -> Self {
        Self { disposition, status }
    }
}

/// A `message/imdn+xml` document (RFC 5438 §11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imdn {
    /// The Message-ID of the IM reported on.
    pub message_id: String,
    /// The IM's DateTime, as written.
    pub datetime: String,
    /// The final recipient.
    pub recipient_uri: Option<String>,
    /// The original recipient (from Original-To).
    pub original_recipient_uri: Option<String>,
    /// The IM's subject.
    pub subject: Option<String>,
    /// The report (the schema also allows none).
    pub notification: Option<Notification>,
    /// Extension elements of the `<status>` (other namespaces), verbatim.
    pub status_extensions: Vec<Raw>,
    /// Extension elements of `<imdn>` (other namespaces), verbatim.
    pub extensions: Vec<Raw>,
}

impl Imdn {
    /// A notification on IM `message_id` sent at `datetime`.
    pub fn new(message_id: &str, datetime: &str, notification: Notification) -> Self {
        Self {
            message_id: message_id.to_owned(),
            datetime: datetime.to_owned(),
            recipient_uri: None,
            original_recipient_uri: None,
            subject: None,
            notification: Some(notification),
            status_extensions: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Reads a document.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        Self::parse_with(input, &simple_patch::ParseConfig::default())
    }

    /// Reads a document within `config`'s XML limits.
    pub fn parse_with(input: &[u8], config: &simple_patch::ParseConfig) -> Result<Self, Error> {
        let doc = Document::parse_with(input, config)?;
        let root = doc.root_element().expect("a parsed document has a root element");
        if doc.namespace(root) != Some(XML_NS) || !local_is(&doc, root, "imdn") {
            return Err(Error::element(ErrorKind::UnexpectedRoot, "imdn"));
        }
        let mut out = Self {
            message_id: String::new(),
            datetime: String::new(),
            recipient_uri: None,
            original_recipient_uri: None,
            subject: None,
            notification: None,
            status_extensions: Vec::new(),
            extensions: Vec::new(),
        };
        no_text(&doc, root, "imdn")?;
        // the schema's order: message-id, datetime, [recipient-uri, original-recipient-uri,
        // [subject]], [notification], extensions (read in any order of the optional ones,
        // each at most once)
        let mut seen = [false; 6];
        for c in doc.child_elements(root) {
            if doc.namespace(c) != Some(XML_NS) {
                if doc.namespace(c).is_none() {
                    return Err(Error::element(ErrorKind::UnexpectedElement, "imdn"));
                }
                out.extensions.push(Raw::capture(&doc, c));
                continue;
            }
            let local = doc.name(c).map_or("", |q| q.local());
            let slot = match local {
                "message-id" => 0,
                "datetime" => 1,
                "recipient-uri" => 2,
                "original-recipient-uri" => 3,
                "subject" => 4,
                "delivery-notification" | "display-notification" | "processing-notification" => 5,
                _ => return Err(Error::element(ErrorKind::UnexpectedElement, "imdn")),
            };
            if seen[slot] {
                return Err(Error::element(ErrorKind::UnexpectedElement, "imdn"));
            }
            seen[slot] = true;
            match slot {
                0 => {
                    let v = leaf(&doc, c, "imdn/message-id")?;
                    if v.is_empty() || v.bytes().any(|b| b <= b' ') {
                        return Err(Error::element(
                            ErrorKind::InvalidValue("message-id"),
                            "imdn/message-id",
                        ));
                    }
                    out.message_id = v;
                }
                1 => out.datetime = leaf(&doc, c, "imdn/datetime")?,
                2 => out.recipient_uri = Some(leaf(&doc, c, "imdn/recipient-uri")?),
                3 => {
                    out.original_recipient_uri =
                        Some(leaf(&doc, c, "imdn/original-recipient-uri")?);
                }
                4 => out.subject = Some(doc.string_value(c)),
                _ => {
                    let d = match local {
                        "delivery-notification" => Disposition::Delivery,
                        "display-notification" => Disposition::Display,
                        _ => Disposition::Processing,
                    };
                    let (status, ext) = status(&doc, c, d)?;
                    out.notification = Some(Notification::new(d, status));
                    out.status_extensions = ext;
                }
            }
        }
        if !seen[0] {
            return Err(Error::element(ErrorKind::MissingElement("message-id"), "imdn"));
        }
        if !seen[1] {
            return Err(Error::element(ErrorKind::MissingElement("datetime"), "imdn"));
        }
        Ok(out)
    }

    /// Writes the document. The schema has `recipient-uri` and `original-recipient-uri`
    /// together or not at all (and `subject` only with them): a lone one is written as both.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imdn xmlns=\"");
        out.extend_from_slice(XML_NS.as_bytes());
        out.extend_from_slice(b"\">\n");
        element(out, 1, "message-id", &self.message_id);
        element(out, 1, "datetime", &self.datetime);
        let recipient = self.recipient_uri.as_ref().or(self.original_recipient_uri.as_ref());
        let original = self.original_recipient_uri.as_ref().or(self.recipient_uri.as_ref());
        if let (Some(r), Some(o)) = (recipient, original) {
            element(out, 1, "recipient-uri", r);
            element(out, 1, "original-recipient-uri", o);
            if let Some(s) = &self.subject {
                element(out, 1, "subject", s);
            }
        }
        if let Some(n) = &self.notification {
            let name = n.disposition.element();
            out.extend_from_slice(b"  <");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b">\n    <status>\n      <");
            out.extend_from_slice(n.status.as_str().as_bytes());
            out.extend_from_slice(b"/>\n");
            for e in &self.status_extensions {
                out.extend_from_slice(b"      ");
                e.document().write_node(e.element(), out);
                out.push(b'\n');
            }
            out.extend_from_slice(b"    </status>\n  </");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b">\n");
        }
        for e in &self.extensions {
            out.extend_from_slice(b"  ");
            e.document().write_node(e.element(), out);
            out.push(b'\n');
        }
        out.extend_from_slice(b"</imdn>\n");
    }

    /// The document written into a new buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(384);
        self.write(&mut out);
        out
    }
}

fn local_is(doc: &Document, node: NodeId, local: &str) -> bool {
    doc.name(node).is_some_and(|n| n.local() == local)
}

/// Text outside elements that is not white space.
fn no_text(doc: &Document, node: NodeId, path: &'static str) -> Result<(), Error> {
    for c in doc.children(node) {
        if let NodeKind::Text(t) = doc.kind(c) {
            if !simple_patch::is_xml_ws(t) {
                return Err(Error::element(ErrorKind::UnexpectedElement, path));
            }
        }
    }
    Ok(())
}

/// A leaf element's text, trimmed; a child element is an error.
fn leaf(doc: &Document, node: NodeId, path: &'static str) -> Result<String, Error> {
    if doc.child_elements(node).next().is_some() {
        return Err(Error::element(ErrorKind::UnexpectedElement, path));
    }
    Ok(doc.string_value(node).trim_matches([' ', '\t', '\r', '\n']).to_owned())
}

fn status(doc: &Document, node: NodeId, d: Disposition) -> Result<(Status, Vec<Raw>), Error> {
    let path = match d {
        Disposition::Delivery => "imdn/delivery-notification/status",
        Disposition::Display => "imdn/display-notification/status",
        Disposition::Processing => "imdn/processing-notification/status",
    };
    no_text(doc, node, path)?;
    let mut kids = doc.child_elements(node);
    let st = kids.next().ok_or(Error::element(ErrorKind::MissingElement("status"), path))?;
    if kids.next().is_some() || doc.namespace(st) != Some(XML_NS) || !local_is(doc, st, "status") {
        return Err(Error::element(ErrorKind::UnexpectedElement, path));
    }
    no_text(doc, st, path)?;
    let mut found = None;
    let mut ext = Vec::new();
    for c in doc.child_elements(st) {
        if doc.namespace(c) == Some(XML_NS) {
            let s = doc
                .name(c)
                .and_then(|q| Status::parse(q.local()))
                .filter(|s| s.fits(d))
                .ok_or(Error::element(ErrorKind::InvalidValue("status"), path))?;
            if found.replace(s).is_some() || doc.children(c).next().is_some() {
                return Err(Error::element(ErrorKind::UnexpectedElement, path));
            }
        } else if doc.namespace(c).is_some() {
            ext.push(Raw::capture(doc, c));
        } else {
            return Err(Error::element(ErrorKind::UnexpectedElement, path));
        }
    }
    let s = found.ok_or(Error::element(ErrorKind::MissingElement("status value"), path))?;
    Ok((s, ext))
}

fn element(out: &mut Vec<u8>, indent: usize, name: &str, text: &str) {
    out.extend(core::iter::repeat_n(b' ', indent * 2));
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
    simple_patch::escape_text(text, out);
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b">\n");
}

/// The IMDN headers of a CPIM message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdnHeaders<'a> {
    /// `Message-ID`.
    pub message_id: Option<&'a str>,
    /// `DateTime` (a core CPIM header), as written.
    pub datetime: Option<&'a str>,
    /// `Disposition-Notification` (all of them together).
    pub requested: Requested,
    /// `Original-To`.
    pub original_to: Option<Address<'a>>,
    /// `IMDN-Record-Route`, top first.
    pub record_routes: Vec<Address<'a>>,
    /// `IMDN-Route`, top first.
    pub routes: Vec<Address<'a>>,
    /// Whether the message is a notification (Content-Disposition `notification`, or the
    /// content is `message/imdn+xml`): it gets no IMDN of its own (§7.2.1).
    pub is_notification: bool,
}

impl<'a> ImdnHeaders<'a> {
    /// Reads them, checking each value.
    pub fn read(m: &Cpim<'a>) -> Result<Self, Error> {
        let message_id = match m.header(IMDN_NS, "Message-ID") {
            Some(h) if h.value().is_empty() || !h.value().bytes().all(|b| b > b' ') => {
                return Err(Error::at(ErrorKind::InvalidMessageId, h.value_offset()));
            }
            Some(h) => Some(h.value()),
            None => None,
        };
        let datetime = match m.header(crate::cpim::CPIM_HEADERS_NS, "DateTime") {
            Some(h) => {
                m.date_time()?;
                Some(h.value())
            }
            None => None,
        };
        let mut requested = Requested::NONE;
        for h in m.headers_named(IMDN_NS, "Disposition-Notification") {
            requested = requested
                .with(Requested::parse(h.value()).map_err(|e| e.shifted(h.value_offset()))?);
        }
        let original_to = m.header(IMDN_NS, "Original-To").map(|h| h.address()).transpose()?;
        let record_routes = m
            .headers_named(IMDN_NS, "IMDN-Record-Route")
            .map(|h| h.address())
            .collect::<Result<_, _>>()?;
        let routes = m
            .headers_named(IMDN_NS, "IMDN-Route")
            .map(|h| h.address())
            .collect::<Result<_, _>>()?;
        let disposition = m.mime_header("Content-Disposition").map(media_type);
        let is_notification = disposition.is_some_and(|d| d.eq_ignore_ascii_case("notification"))
            || m.media_type().eq_ignore_ascii_case(CONTENT_TYPE);
        Ok(Self {
            message_id,
            datetime,
            requested,
            original_to,
            record_routes,
            routes,
            is_notification,
        })
    }
}

/// The notifications a CPIM content carries: one `message/imdn+xml` document, or an
/// aggregate (multipart/mixed of them, §8.3; parts of other types are skipped).
pub fn notifications(m: &Cpim<'_>) -> Result<Vec<Imdn>, Error> {
    let ct = m.content_type();
    let media = media_type(ct);
    if media.eq_ignore_ascii_case(CONTENT_TYPE) {
        return Imdn::parse(m.content()).map(|i| vec![i]);
    }
    if !media.eq_ignore_ascii_case("multipart/mixed") {
        return Ok(Vec::new());
    }
    let at = m.content_offset();
    let ct = ContentType::parse(ct.as_bytes()).map_err(|_| Error::at(ErrorKind::Multipart, at))?;
    let parts = Multipart::from_content_type(m.content(), &ct)
        .map_err(|_| Error::at(ErrorKind::Multipart, at))?;
    let mut out = Vec::with_capacity(parts.len());
    for p in parts.parts() {
        let imdn =
            p.content_type().ok().flatten().is_some_and(|t| t.0.matches("message", "imdn+xml"));
        if imdn {
            out.push(Imdn::parse(p.body())?);
        }
    }
    Ok(out)
}

/// Writes an aggregate of `documents` (each a written `message/imdn+xml` document) as a
/// multipart/mixed body with `boundary`, which must occur in none of them; returns the
/// Content-Type to give it.
pub fn write_aggregate(documents: &[Vec<u8>], boundary: &str, out: &mut Vec<u8>) -> String {
    let mut w = MultipartWriter::new(out, boundary);
    let header = [simple_sip::Header::new("Content-Type", CONTENT_TYPE.as_bytes())];
    for d in documents {
        w.part(&header, d);
    }
    w.finish();
    format!("multipart/mixed; boundary=\"{boundary}\"")
}

/// The CPIM wrapper of a notification: From, To, the IMDN namespace and a fresh
/// Message-ID, the IMDN-Route headers, Content-Disposition `notification`.
pub fn notification_message(
    from: &str,
    to: &str,
    message_id: &str,
    routes: &[&str],
    content_type: &str,
    body: &[u8],
) -> CpimMessage {
    let mut m = CpimMessage::new()
        .address("From", None, from)
        .address("To", None, to)
        .namespace(Some("imdn"), IMDN_NS)
        .header("imdn.Message-ID", message_id);
    for r in routes {
        m = m.address("imdn.IMDN-Route", None, r);
    }
    m.content(content_type, body).mime("Content-Disposition", "notification")
}
