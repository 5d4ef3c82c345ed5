//! Detailed conflict reports (RFC 4825 §11): the `application/xcap-error+xml` body of a 409,
//! as the server writes it and the client reads it.

use simple_patch::{Document, NodeKind, escape_attr, escape_text};

use crate::error::{Error, ErrorKind};

/// `urn:ietf:params:xml:ns:xcap-error`.
pub const XCAP_ERROR_NS: &str = "urn:ietf:params:xml:ns:xcap-error";

/// One non-unique value of a `<uniqueness-failure>`: the field (a node selector relative to
/// the document) and values that would be unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exists {
    /// `field`: the attribute or element that is not unique.
    pub field: String,
    /// `<alt-value>`s the client may retry with.
    pub alt_values: Vec<String>,
}

/// An error condition of RFC 4825 §11.1, with its details.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// `<not-well-formed>`: the body is not a well-formed XML document.
    NotWellFormed(Option<String>),
    /// `<not-utf-8>`: the body is well-formed but not UTF-8.
    NotUtf8(Option<String>),
    /// `<not-xml-frag>`: the body of an element PUT is not one XML element.
    NotXmlFrag(Option<String>),
    /// `<not-xml-att-value>`: the body of an attribute PUT is not an attribute value.
    NotXmlAttValue(Option<String>),
    /// `<no-parent>`: the parent of what is to be inserted does not exist; `ancestor` is the
    /// HTTP URI of the closest ancestor that does.
    NoParent {
        /// `<ancestor>`.
        ancestor: Option<String>,
        /// `phrase`.
        phrase: Option<String>,
    },
    /// `<cannot-insert>`: a GET of the request URI after the PUT would not return the body.
    CannotInsert(Option<String>),
    /// `<cannot-delete>`: after the DELETE, the request URI would select another node.
    CannotDelete(Option<String>),
    /// `<schema-validation-error>`: the resulting document would not be schema-valid.
    SchemaValidation(Option<String>),
    /// `<uniqueness-failure>`: a value that must be unique would not be.
    UniquenessFailure {
        /// The `<exists>` elements.
        exists: Vec<Exists>,
        /// `phrase`.
        phrase: Option<String>,
    },
    /// `<constraint-failure>`: a data constraint of the usage, not in its schema, would fail.
    ConstraintFailure(Option<String>),
    /// `<extension>`: a condition of an extension, kept as its XML text.
    Extension(String),
}

impl Conflict {
    /// The condition's element name.
    pub const fn element_name(&self) -> &'static str {
        match self {
            Self::NotWellFormed(_) => "not-well-formed",
            Self::NotUtf8(_) => "not-utf-8",
            Self::NotXmlFrag(_) => "not-xml-frag",
            Self::NotXmlAttValue(_) => "not-xml-att-value",
            Self::NoParent { .. } => "no-parent",
            Self::CannotInsert(_) => "cannot-insert",
            Self::CannotDelete(_) => "cannot-delete",
            Self::SchemaValidation(_) => "schema-validation-error",
            Self::UniquenessFailure { .. } => "uniqueness-failure",
            Self::ConstraintFailure(_) => "constraint-failure",
            Self::Extension(_) => "extension",
        }
    }

    /// The `phrase`, if any.
    pub fn phrase(&self) -> Option<&str> {
        match self {
            Self::NotWellFormed(p)
            | Self::NotUtf8(p)
            | Self::NotXmlFrag(p)
            | Self::NotXmlAttValue(p)
            | Self::CannotInsert(p)
            | Self::CannotDelete(p)
            | Self::SchemaValidation(p)
            | Self::ConstraintFailure(p)
            | Self::NoParent { phrase: p, .. }
            | Self::UniquenessFailure { phrase: p, .. } => p.as_deref(),
            Self::Extension(_) => None,
        }
    }

    /// Writes the `<xcap-error>` document.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xcap-error xmlns=\"");
        out.extend_from_slice(XCAP_ERROR_NS.as_bytes());
        out.extend_from_slice(b"\">\n <");
        out.extend_from_slice(self.element_name().as_bytes());
        if let Some(p) = self.phrase() {
            out.extend_from_slice(b" phrase=\"");
            escape_attr(p, out);
            out.push(b'"');
        }
        match self {
            Self::NoParent { ancestor: Some(a), .. } => {
                out.extend_from_slice(b"><ancestor>");
                escape_text(a, out);
                out.extend_from_slice(b"</ancestor></no-parent>");
            }
            Self::UniquenessFailure { exists, .. } => {
                out.push(b'>');
                for e in exists {
                    out.extend_from_slice(b"\n  <exists field=\"");
                    escape_attr(&e.field, out);
                    out.extend_from_slice(b"\"");
                    if e.alt_values.is_empty() {
                        out.extend_from_slice(b"/>");
                        continue;
                    }
                    out.push(b'>');
                    for v in &e.alt_values {
                        out.extend_from_slice(b"<alt-value>");
                        escape_text(v, out);
                        out.extend_from_slice(b"</alt-value>");
                    }
                    out.extend_from_slice(b"</exists>");
                }
                out.extend_from_slice(b"\n </uniqueness-failure>");
            }
            Self::Extension(xml) => {
                out.push(b'>');
                out.extend_from_slice(xml.as_bytes());
                out.extend_from_slice(b"</extension>");
            }
            Self::NotWellFormed(_)
            | Self::NotUtf8(_)
            | Self::NotXmlFrag(_)
            | Self::NotXmlAttValue(_)
            | Self::NoParent { .. }
            | Self::CannotInsert(_)
            | Self::CannotDelete(_)
            | Self::SchemaValidation(_)
            | Self::ConstraintFailure(_) => out.extend_from_slice(b"/>"),
        }
        out.extend_from_slice(b"\n</xcap-error>\n");
    }

    /// The document as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        self.write(&mut out);
        out
    }

    /// Reads an `<xcap-error>` document (what a client gets in a 409).
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(input)?;
        let root = doc.root_element().ok_or(Error::new(ErrorKind::UnexpectedRoot, 0))?;
        if doc.namespace(root) != Some(XCAP_ERROR_NS)
            || doc.name(root).is_none_or(|n| n.local() != "xcap-error")
        {
            return Err(Error::new(ErrorKind::UnexpectedRoot, 0));
        }
        let cond = doc
            .child_elements(root)
            .next()
            .ok_or(Error::new(ErrorKind::MissingElement("error-element"), 0))?;
        let local = doc.name(cond).map_or("", |n| n.local());
        let phrase = doc.attribute(cond, None, "phrase").map(str::to_owned);
        let text_of = |name: &str| {
            doc.child_elements(cond)
                .find(|&c| doc.name(c).is_some_and(|n| n.local() == name))
                .map(|c| doc.string_value(c))
        };
        Ok(match local {
            "not-well-formed" => Self::NotWellFormed(phrase),
            "not-utf-8" => Self::NotUtf8(phrase),
            "not-xml-frag" => Self::NotXmlFrag(phrase),
            "not-xml-att-value" => Self::NotXmlAttValue(phrase),
            "no-parent" => Self::NoParent { ancestor: text_of("ancestor"), phrase },
            "cannot-insert" => Self::CannotInsert(phrase),
            "cannot-delete" => Self::CannotDelete(phrase),
            "schema-validation-error" => Self::SchemaValidation(phrase),
            "constraint-failure" => Self::ConstraintFailure(phrase),
            "uniqueness-failure" => Self::UniquenessFailure {
                exists: doc
                    .child_elements(cond)
                    .filter(|&c| doc.name(c).is_some_and(|n| n.local() == "exists"))
                    .map(|c| Exists {
                        field: doc.attribute(c, None, "field").unwrap_or_default().to_owned(),
                        alt_values: doc
                            .child_elements(c)
                            .filter(|&v| doc.name(v).is_some_and(|n| n.local() == "alt-value"))
                            .map(|v| doc.string_value(v))
                            .collect(),
                    })
                    .collect(),
                phrase,
            },
            "extension" => Self::Extension(
                doc.children(cond)
                    .filter(|&c| !matches!(doc.kind(c), NodeKind::Text(t) if t.trim().is_empty()))
                    .map(|c| doc.node_to_string(c))
                    .collect(),
            ),
            _ => return Err(Error::new(ErrorKind::InvalidValue("error condition"), 0)),
        })
    }
}
