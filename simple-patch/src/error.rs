//! The crate's one error type, [`Error`]: XML syntax (at a byte offset of the document),
//! selector syntax (at a byte offset of the selector), selection failures (at a step of the
//! selector), and the RFC 5261 §5.1 patch error conditions (at an operation of the patch).

use core::fmt;

/// What the XML parser found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// The bytes are not well-formed XML (quick-xml's syntax check failed).
    Syntax,
    /// An end tag does not match the open element, or one is missing.
    MismatchedTag,
    /// An element or attribute name is not a valid QName.
    InvalidName,
    /// An attribute is malformed or appears twice.
    InvalidAttribute,
    /// A prefix is used without a namespace declaration in scope.
    UnboundPrefix,
    /// A namespace declaration is not allowed (`xmlns:p=""`, rebinding `xml`/`xmlns`).
    InvalidNamespaceDeclaration,
    /// An element name with the prefix `xmlns`, which Namespaces in XML §3 reserves for
    /// declarations.
    ReservedPrefix,
    /// An entity reference is not one of the five predefined ones or a character reference.
    UnknownEntity,
    /// A character is not allowed in XML 1.0 (e.g. most C0 controls).
    InvalidChar,
    /// The input is not UTF-8, or the XML declaration names another encoding.
    InvalidEncoding,
    /// There is no root element.
    MissingRoot,
    /// Content (a second element or non-whitespace text) appears outside the root element.
    ContentOutsideRoot,
    /// A `<!DOCTYPE>` appears after the root element, or twice.
    MisplacedDoctype,
    /// The input is longer than [`ParseConfig::max_input`](crate::ParseConfig).
    InputTooLarge,
    /// Elements nest deeper than [`ParseConfig::max_depth`](crate::ParseConfig).
    TooDeep,
    /// The document has more nodes than [`ParseConfig::max_nodes`](crate::ParseConfig).
    TooManyNodes,
    /// An element has more attributes than [`ParseConfig::max_attributes`](crate::ParseConfig).
    TooManyAttributes,
}

impl fmt::Display for XmlErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "XML syntax error",
            Self::MismatchedTag => "mismatched or missing end tag",
            Self::InvalidName => "invalid element or attribute name",
            Self::InvalidAttribute => "invalid or duplicate attribute",
            Self::UnboundPrefix => "namespace prefix is not declared",
            Self::InvalidNamespaceDeclaration => "invalid namespace declaration",
            Self::ReservedPrefix => "element name with the reserved prefix xmlns",
            Self::UnknownEntity => "unknown entity reference",
            Self::InvalidChar => "character not allowed in XML",
            Self::InvalidEncoding => "document is not UTF-8",
            Self::MissingRoot => "no root element",
            Self::ContentOutsideRoot => "content outside the root element",
            Self::MisplacedDoctype => "misplaced document type declaration",
            Self::InputTooLarge => "document larger than the configured limit",
            Self::TooDeep => "elements nested deeper than the configured limit",
            Self::TooManyNodes => "more nodes than the configured limit",
            Self::TooManyAttributes => "more attributes than the configured limit",
        })
    }
}

/// What a selector parser found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SelectorErrorKind {
    /// The selector is empty, or a step between two `/` is.
    EmptyStep,
    /// A name is not a valid QName / NCName.
    InvalidName,
    /// A `[` predicate is malformed or has no closing `]`.
    InvalidPredicate,
    /// A position is zero, not a number, or does not fit in `u32`.
    InvalidPosition,
    /// A quoted literal has no closing quote.
    UnterminatedLiteral,
    /// A node test or function is not in the supported subset.
    Unsupported,
    /// Something follows a step that must be the last (text(), @attr, namespace::...).
    TrailingStep,
    /// The selector is longer than the configured limit.
    TooLong,
}

impl fmt::Display for SelectorErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyStep => "empty location step",
            Self::InvalidName => "invalid name",
            Self::InvalidPredicate => "invalid predicate",
            Self::InvalidPosition => "invalid position",
            Self::UnterminatedLiteral => "unterminated string literal",
            Self::Unsupported => "not in the supported XPath subset",
            Self::TrailingStep => "step after a terminal step",
            Self::TooLong => "selector too long",
        })
    }
}

/// Why a well-formed selector failed on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SelectErrorKind {
    /// A step selected nothing.
    NoMatch,
    /// A step selected more than one node where one was required.
    Ambiguous,
    /// A prefix in the selector has no binding.
    UnboundPrefix,
}

impl fmt::Display for SelectErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoMatch => "the selector matches no node",
            Self::Ambiguous => "the selector matches more than one node",
            Self::UnboundPrefix => "a prefix of the selector is not bound to a namespace",
        })
    }
}

/// The error conditions of RFC 5261 §5.1, one per `<patch-ops-error>` child element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PatchErrorKind {
    /// `<invalid-attribute-value>`: a bad `sel`, `type`, `ws` or `pos` value, or bad content
    /// for an attribute.
    InvalidAttributeValue,
    /// `<invalid-character-set>`: the diff and the target use different character sets.
    InvalidCharacterSet,
    /// `<invalid-diff-format>`: the diff is not well-formed or not valid.
    InvalidDiffFormat,
    /// `<invalid-entity-declaration>`: an entity reference could not be resolved.
    InvalidEntityDeclaration,
    /// `<invalid-namespace-prefix>`: a prefix could not be resolved, or a namespace node
    /// cannot be changed where it was selected.
    InvalidNamespacePrefix,
    /// `<invalid-namespace-uri>`: the namespace URI is not valid.
    InvalidNamespaceUri,
    /// `<invalid-node-types>`: the content does not match the type of the located node.
    InvalidNodeTypes,
    /// `<invalid-patch-directive>`: the directive is not understood.
    InvalidPatchDirective,
    /// `<invalid-root-element-operation>`: the root element cannot be removed, nor a sibling
    /// added to it.
    InvalidRootElementOperation,
    /// `<invalid-xml-prolog-operation>`: the XML prolog cannot be patched.
    InvalidXmlPrologOperation,
    /// `<invalid-whitespace-directive>`: the white space node to remove does not exist.
    InvalidWhitespaceDirective,
    /// `<unlocated-node>`: the selector does not locate exactly one node.
    UnlocatedNode,
    /// `<unsupported-id-function>`: `id()` is not supported for this document.
    UnsupportedIdFunction,
    /// `<unsupported-xml-id>`: `xml:id` is not supported.
    UnsupportedXmlId,
}

impl PatchErrorKind {
    /// The element name of this condition in the `urn:ietf:params:xml:ns:patch-ops-error`
    /// namespace.
    pub const fn element_name(self) -> &'static str {
        match self {
            Self::InvalidAttributeValue => "invalid-attribute-value",
            Self::InvalidCharacterSet => "invalid-character-set",
            Self::InvalidDiffFormat => "invalid-diff-format",
            Self::InvalidEntityDeclaration => "invalid-entity-declaration",
            Self::InvalidNamespacePrefix => "invalid-namespace-prefix",
            Self::InvalidNamespaceUri => "invalid-namespace-uri",
            Self::InvalidNodeTypes => "invalid-node-types",
            Self::InvalidPatchDirective => "invalid-patch-directive",
            Self::InvalidRootElementOperation => "invalid-root-element-operation",
            Self::InvalidXmlPrologOperation => "invalid-xml-prolog-operation",
            Self::InvalidWhitespaceDirective => "invalid-whitespace-directive",
            Self::UnlocatedNode => "unlocated-node",
            Self::UnsupportedIdFunction => "unsupported-id-function",
            Self::UnsupportedXmlId => "unsupported-xml-id",
        }
    }

    /// Every condition, in the order of RFC 5261 §5.1.
    pub const ALL: [Self; 14] = [
        Self::InvalidAttributeValue,
        Self::InvalidCharacterSet,
        Self::InvalidDiffFormat,
        Self::InvalidEntityDeclaration,
        Self::InvalidNamespacePrefix,
        Self::InvalidNamespaceUri,
        Self::InvalidNodeTypes,
        Self::InvalidPatchDirective,
        Self::InvalidRootElementOperation,
        Self::InvalidXmlPrologOperation,
        Self::InvalidWhitespaceDirective,
        Self::UnlocatedNode,
        Self::UnsupportedIdFunction,
        Self::UnsupportedXmlId,
    ];
}

impl fmt::Display for PatchErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.element_name())
    }
}

/// What went wrong, by the operation that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An XML document is not well formed, or beyond a limit of [`ParseConfig`](crate::ParseConfig).
    Xml(XmlErrorKind),
    /// A selector string does not parse.
    Selector(SelectorErrorKind),
    /// A well-formed selector did not locate what was required in a document.
    Select(SelectErrorKind),
    /// A patch could not be read or applied (RFC 5261 §5.1).
    Patch(PatchErrorKind),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml(k) => k.fmt(f),
            Self::Selector(k) => k.fmt(f),
            Self::Select(k) => k.fmt(f),
            Self::Patch(k) => k.fmt(f),
        }
    }
}

/// What kind of fault an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The input (document, selector, patch) is malformed or does not fit the target: what
    /// the peer or the author sent is at fault.
    Malformed,
    /// The input is well formed but exceeds a configured limit.
    Limit,
}

impl ErrorKind {
    /// Whether this is malformed input or a limit.
    pub const fn category(self) -> Category {
        match self {
            Self::Xml(
                XmlErrorKind::InputTooLarge
                | XmlErrorKind::TooDeep
                | XmlErrorKind::TooManyNodes
                | XmlErrorKind::TooManyAttributes,
            )
            | Self::Selector(SelectorErrorKind::TooLong) => Category::Limit,
            Self::Xml(_) | Self::Selector(_) | Self::Select(_) | Self::Patch(_) => {
                Category::Malformed
            }
        }
    }
}

/// Where an error was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Position {
    /// A byte offset into the input: the XML document for [`ErrorKind::Xml`] (and for a
    /// patch's `InvalidDiffFormat` caused by its XML), the selector string for
    /// [`ErrorKind::Selector`].
    Byte(usize),
    /// A 0-based location step of the selector.
    Step(usize),
    /// A 0-based operation of the patch.
    Operation(usize),
    /// The input as a whole.
    Whole,
}

/// The crate's error: what is wrong ([`Error::kind`]) and where ([`Error::position`]); for
/// patches also a short phrase ([`Error::reason`]) for the `phrase` attribute of the error
/// document ([`Patch::error_document`](crate::Patch::error_document)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    position: Position,
    reason: &'static str,
    xml: Option<(XmlErrorKind, usize)>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)?;
        match self.position {
            Position::Byte(b) => write!(f, " at byte {b}")?,
            Position::Step(s) => write!(f, " at step {s} of the selector")?,
            Position::Operation(i) => write!(f, " in operation {i}")?,
            Position::Whole => {}
        }
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}

impl Error {
    pub(crate) const fn xml(kind: XmlErrorKind, offset: usize) -> Self {
        Self { kind: ErrorKind::Xml(kind), position: Position::Byte(offset), reason: "", xml: None }
    }

    pub(crate) const fn selector(kind: SelectorErrorKind, offset: usize) -> Self {
        let kind = ErrorKind::Selector(kind);
        Self { kind, position: Position::Byte(offset), reason: "", xml: None }
    }

    pub(crate) const fn select(kind: SelectErrorKind, step: usize) -> Self {
        Self {
            kind: ErrorKind::Select(kind),
            position: Position::Step(step),
            reason: "",
            xml: None,
        }
    }

    pub(crate) const fn patch(kind: PatchErrorKind, reason: &'static str) -> Self {
        Self { kind: ErrorKind::Patch(kind), position: Position::Whole, reason, xml: None }
    }

    /// A patch error caused by its XML not parsing: `InvalidDiffFormat` (or the entity or
    /// character set condition) at the XML error's byte offset.
    pub(crate) const fn patch_xml(kind: PatchErrorKind, reason: &'static str, xml: Self) -> Self {
        let cause = match (xml.kind, xml.position) {
            (ErrorKind::Xml(k), Position::Byte(at)) => Some((k, at)),
            _ => None,
        };
        let position = match cause {
            Some((_, at)) => Position::Byte(at),
            None => Position::Whole,
        };
        Self { kind: ErrorKind::Patch(kind), position, reason, xml: cause }
    }

    /// The same error, found by operation `op` of a patch.
    pub(crate) const fn at(mut self, op: usize) -> Self {
        self.position = Position::Operation(op);
        self
    }

    /// What is wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where it was found.
    pub const fn position(&self) -> Position {
        self.position
    }

    /// The byte offset, for errors found at one.
    pub const fn offset(&self) -> Option<usize> {
        match self.position {
            Position::Byte(b) => Some(b),
            Position::Step(_) | Position::Operation(_) | Position::Whole => None,
        }
    }

    /// The patch operation (0-based) that failed, for patch errors one operation is to blame
    /// for.
    pub const fn operation(&self) -> Option<usize> {
        match self.position {
            Position::Operation(i) => Some(i),
            Position::Byte(_) | Position::Step(_) | Position::Whole => None,
        }
    }

    /// The RFC 5261 condition, for patch errors.
    pub const fn patch_kind(&self) -> Option<PatchErrorKind> {
        match self.kind {
            ErrorKind::Patch(k) => Some(k),
            ErrorKind::Xml(_) | ErrorKind::Selector(_) | ErrorKind::Select(_) => None,
        }
    }

    /// A short phrase saying why, for patch errors (empty otherwise).
    pub const fn reason(&self) -> &'static str {
        self.reason
    }

    /// For a patch whose XML did not parse: the XML error and its byte offset.
    pub const fn xml_cause(&self) -> Option<(XmlErrorKind, usize)> {
        self.xml
    }
}
