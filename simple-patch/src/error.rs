//! Errors of the crate: XML syntax (with byte offsets), selector syntax (with character
//! offsets), selection failures, and the RFC 5261 §5.1 patch error conditions.

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

/// An XML document could not be parsed: what is wrong and the byte offset where the offending
/// construct starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct XmlError {
    /// What is wrong.
    pub kind: XmlErrorKind,
    /// Byte offset into the input.
    pub offset: usize,
}

impl XmlError {
    pub(crate) const fn new(kind: XmlErrorKind, offset: usize) -> Self {
        Self { kind, offset }
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

/// A selector string could not be parsed: what is wrong and the byte offset in the selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} at offset {offset} of the selector")]
pub struct SelectorError {
    /// What is wrong.
    pub kind: SelectorErrorKind,
    /// Byte offset into the selector string.
    pub offset: usize,
}

impl SelectorError {
    pub(crate) const fn new(kind: SelectorErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

/// Evaluating a well-formed selector against a document failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// Step `step` (0-based) selected nothing.
    #[error("step {step} of the selector matches no node")]
    NoMatch {
        /// Index of the failing step.
        step: usize,
    },
    /// Step `step` (0-based) selected more than one node where one was required.
    #[error("step {step} of the selector matches more than one node")]
    Ambiguous {
        /// Index of the failing step.
        step: usize,
    },
    /// A prefix in the selector has no binding.
    #[error("prefix of step {step} is not bound to a namespace")]
    UnboundPrefix {
        /// Index of the step holding the prefix.
        step: usize,
    },
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

/// A patch could not be parsed or applied.
///
/// `op` is the 0-based index of the failing operation (if one is to blame) and `reason` a
/// short human-readable phrase, suitable for the `phrase` attribute of the error document
/// ([`Patch::error_document`](crate::Patch::error_document)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}: {reason}", op.map(|i| format!(" in operation {i}")).unwrap_or_default())]
pub struct PatchError {
    /// Which RFC 5261 error condition.
    pub kind: PatchErrorKind,
    /// Index of the failing operation.
    pub op: Option<usize>,
    /// Why, in words.
    pub reason: &'static str,
    /// The XML parse error behind an `InvalidDiffFormat`, if any.
    pub xml: Option<XmlError>,
}

impl PatchError {
    pub(crate) const fn new(kind: PatchErrorKind, reason: &'static str) -> Self {
        Self { kind, op: None, reason, xml: None }
    }

    pub(crate) const fn at(mut self, op: usize) -> Self {
        self.op = Some(op);
        self
    }
}
