//! Reading XML into a [`Document`] with quick-xml's pull reader, checking what quick-xml
//! leaves to the caller: names, namespace bindings, entity references, characters, the
//! single root element, and the configured limits.

use std::borrow::Cow;
use std::collections::HashMap;

use quick_xml::XmlVersion;
use quick_xml::errors::{Error as QxError, IllFormedError};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::error::{Error, XmlErrorKind};
use crate::tree::{Attribute, Document, NodeId, NodeKind, QName, Str, XML_NS, XMLNS_NS, is_xml_ws};

/// Limits that bound the work and memory of parsing untrusted XML.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseConfig {
    /// Largest accepted input, in bytes (default 16 MiB).
    pub max_input: usize,
    /// Deepest element nesting (default 256).
    pub max_depth: usize,
    /// Most nodes of any kind (default 1 000 000).
    pub max_nodes: usize,
    /// Most attributes, namespace declarations included, on one element (default 256).
    pub max_attributes: usize,
}

impl Default for ParseConfig {
    fn default() -> Self {
        Self { max_input: 16 << 20, max_depth: 256, max_nodes: 1_000_000, max_attributes: 256 }
    }
}

impl Document {
    /// Parses a UTF-8 XML document with the default [`ParseConfig`].
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        Self::parse_with(input, &ParseConfig::default())
    }

    /// Parses a UTF-8 XML document within the given limits.
    pub fn parse_with(input: &[u8], config: &ParseConfig) -> Result<Self, Error> {
        if input.len() > config.max_input {
            return Err(err(XmlErrorKind::InputTooLarge, config.max_input));
        }
        match core::str::from_utf8(input) {
            Ok(s) => Parser::new(s, config)?.run(),
            Err(e) => Err(err(XmlErrorKind::InvalidEncoding, e.valid_up_to())),
        }
    }

    /// Parses a string (already known to be UTF-8) with the default [`ParseConfig`].
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(input: &str) -> Result<Self, Error> {
        Self::parse_str_with(input, &ParseConfig::default())
    }

    /// Parses a string within the given limits.
    pub fn parse_str_with(input: &str, config: &ParseConfig) -> Result<Self, Error> {
        Parser::new(input, config)?.run()
    }
}

struct Parser<'a> {
    input: &'a [u8],
    /// The input, as the `&str` it is.
    src: &'a str,
    reader: Reader<&'a [u8]>,
    config: &'a ParseConfig,
    doc: Document,
    /// Open elements; the document node at the bottom.
    open: Vec<NodeId>,
    /// Namespace bindings in scope: for each prefix, its URIs innermost last (O(1) lookup
    /// however many declarations are in scope).
    /// (The default namespace is under the empty key, which no prefix can be.)
    bindings: HashMap<String, Vec<String>>,
    /// Prefixes declared, in order; `marks[i]` is the length before the declarations of
    /// `open[i + 1]`.
    declared: Vec<String>,
    marks: Vec<usize>,
    /// Text read so far when it came in more than one piece (or was rewritten).
    text: String,
    /// Text read so far when it is one slice of the input (the common case, cut out of it
    /// when the node is made without a copy in between); empty when `text` holds it, or
    /// there is none.
    pending: &'a str,
    /// The attributes of the element being read.
    attributes: Vec<Attribute>,
    text_start: usize,
    nodes: usize,
    seen_root: bool,
    /// Internal general entities of the DOCTYPE: name -> expansion (`None`: unusable).
    entities: HashMap<String, Option<String>>,
    /// Bytes of entity expansion left (bounds "billion laughs").
    expansion_budget: usize,
}

/// Largest expansion of one internal entity.
const MAX_ENTITY_EXPANSION: usize = 64 << 10;

/// Reads `<!ENTITY name "value">` declarations from a DOCTYPE's internal subset and expands
/// each (it may use the ones declared before it); parameter and external entities are skipped
/// and stay unresolvable, as do entities holding markup or growing past the caps (one entity,
/// and `budget` bytes for all of them together).
fn entity_decls(doctype: &str, mut budget: usize) -> HashMap<String, Option<String>> {
    let mut out: HashMap<String, Option<String>> = HashMap::new();
    let mut rest = doctype;
    while let Some(i) = rest.find("<!ENTITY") {
        rest = &rest[i + 8..];
        let r = rest.trim_start();
        if r.starts_with('%') {
            continue;
        }
        let name_end = r.find(|c: char| c.is_ascii_whitespace()).unwrap_or(r.len());
        let name = &r[..name_end];
        let r2 = r[name_end..].trim_start();
        let Some(q) = r2.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        let Some(end) = r2[1..].find(q) else { break };
        if !crate::tree::is_ncname(name) || out.contains_key(name) {
            continue;
        }
        let expanded = expand(&r2[1..=end], &out).filter(|v| v.len() <= budget);
        budget -= expanded.as_ref().map_or(0, String::len);
        out.insert(name.to_owned(), expanded);
    }
    out
}

/// Expands character, predefined and (already expanded) entity references of a literal;
/// `None` if it refers to something unknown, holds markup, or grows past the cap.
fn expand(value: &str, known: &HashMap<String, Option<String>>) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';')? + i;
        let name = &rest[i + 1..end];
        match name {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "apos" => out.push('\''),
            "quot" => out.push('"'),
            _ if name.starts_with('#') => {
                let n = if let Some(h) = name.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()?
                } else {
                    name[1..].parse().ok()?
                };
                out.push(char::from_u32(n)?);
            }
            _ => {
                let v = known.get(name)?.as_deref()?;
                if out.len() + v.len() > MAX_ENTITY_EXPANSION {
                    return None;
                }
                out.push_str(v);
            }
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    (!out.contains('<') && out.len() <= MAX_ENTITY_EXPANSION).then_some(out)
}

fn err(kind: XmlErrorKind, offset: usize) -> Error {
    Error::xml(kind, offset)
}

fn pos(p: u64) -> usize {
    usize::try_from(p).unwrap_or(usize::MAX)
}

/// XML 1.0 `Char`: everything but most C0 controls, surrogates (impossible in `str`) and
/// U+FFFE/U+FFFF.
fn bad_char(s: &str) -> Option<usize> {
    // byte scan: C0 controls but tab, LF, CR; U+FFFE/U+FFFF are EF BF BE / EF BF BF
    let b = s.as_bytes();
    b.iter().enumerate().position(|(i, &c)| {
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            || (c == 0xEF
                && b.get(i + 1) == Some(&0xBF)
                && matches!(b.get(i + 2), Some(0xBE | 0xBF)))
    })
}

/// Whether text needs neither end-of-line handling nor a closer look at its characters: no
/// C0 control but tab and LF (so no CR), and no 0xEF (the lead byte of U+FFFE and U+FFFF).
fn plain_text(s: &str) -> bool {
    s.bytes().all(|b| (b >= 0x20 && b != 0xEF) || b == b'\t' || b == b'\n')
}

/// Whether an attribute value is its own normalized value, its characters fine: no
/// reference, no C0 control (tab and line ends are normalized to spaces), no 0xEF.
fn plain_value(s: &str) -> bool {
    s.bytes().all(|b| b >= 0x20 && b != b'&' && b != 0xEF)
}

/// `bytes` as the slice of `src` it is (what quick-xml's slice reader hands out), cut from
/// it without checking UTF-8 again; `None` if it is not one.
fn in_src<'s>(src: &'s str, bytes: &[u8]) -> Option<&'s str> {
    let start = (bytes.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    if start <= src.len() && bytes.len() <= src.len() - start {
        return src.get(start..start + bytes.len());
    }
    None
}

/// `bytes` as a `&str`: a slice of `src` at once ([`in_src`]); anything else is checked.
fn sub_str<'b>(src: &'b str, bytes: &'b [u8]) -> Option<&'b str> {
    in_src(src, bytes).or_else(|| core::str::from_utf8(bytes).ok())
}

/// XML 1.0 §2.11 end-of-line handling: `\r\n` and lone `\r` become `\n`.
fn normalize_eol(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', s.as_bytes()).is_some() {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, config: &'a ParseConfig) -> Result<Self, Error> {
        if src.len() > config.max_input {
            return Err(err(XmlErrorKind::InputTooLarge, config.max_input));
        }
        let input = src.as_bytes();
        let mut reader = Reader::from_reader(input);
        let c = reader.config_mut();
        c.trim_text(false);
        c.check_end_names = true;
        c.check_comments = true;
        c.expand_empty_elements = false;
        c.allow_unmatched_ends = false;
        c.allow_dangling_amp = false;
        Ok(Self {
            input,
            src,
            reader,
            config,
            // every node but the document's starts at a `<` or right after a `>`: at most
            // two per `<`. Reserving that once saves regrowing (and copying) the arena, and
            // the part never used is never touched
            doc: Document::with_capacity(
                (2 * memchr::memchr_iter(b'<', input).count() + 2).min(config.max_nodes),
            ),
            open: vec![Document::ROOT],
            bindings: HashMap::new(),
            declared: Vec::new(),
            marks: Vec::new(),
            text: String::new(),
            pending: "",
            attributes: Vec::new(),
            text_start: 0,
            nodes: 1,
            seen_root: false,
            entities: HashMap::new(),
            expansion_budget: config.max_input,
        })
    }

    fn map_qx(&self, e: &QxError) -> Error {
        let at = pos(self.reader.error_position());
        let kind = match e {
            QxError::IllFormed(
                IllFormedError::MissingEndTag(_)
                | IllFormedError::UnmatchedEndTag(_)
                | IllFormedError::MismatchedEndTag { .. },
            ) => XmlErrorKind::MismatchedTag,
            QxError::InvalidAttr(_) => XmlErrorKind::InvalidAttribute,
            QxError::Escape(_) => XmlErrorKind::UnknownEntity,
            QxError::Encoding(_) => XmlErrorKind::InvalidEncoding,
            QxError::Io(_) | QxError::Syntax(_) | QxError::IllFormed(_) | QxError::Namespace(_) => {
                XmlErrorKind::Syntax
            }
        };
        err(kind, at)
    }

    fn count_node(&mut self, at: usize) -> Result<(), Error> {
        self.nodes += 1;
        if self.nodes > self.config.max_nodes {
            return Err(err(XmlErrorKind::TooManyNodes, at));
        }
        Ok(())
    }

    fn parent(&self) -> NodeId {
        self.open.last().copied().unwrap_or(Document::ROOT)
    }

    fn at_top(&self) -> bool {
        self.open.len() == 1
    }

    fn flush_text(&mut self) -> Result<(), Error> {
        let text = if self.pending.is_empty() { self.text.as_str() } else { self.pending };
        if text.is_empty() {
            return Ok(());
        }
        if self.open.len() == 1 && !is_xml_ws(text) {
            return Err(err(XmlErrorKind::ContentOutsideRoot, self.text_start));
        }
        // short text goes inline
        let text = Str::from(text);
        self.count_node(self.text_start)?;
        // the buffer stays for the next text
        self.text.clear();
        self.pending = "";
        let parent = self.parent();
        self.doc.push_child(parent, NodeKind::Text(text));
        Ok(())
    }

    /// Adds a slice of the input, its characters already checked, to the text being read:
    /// kept as the slice if it is the first piece.
    fn push_slice(&mut self, s: &'a str, at: usize) -> Result<(), Error> {
        if self.pending.is_empty() && self.text.is_empty() {
            self.text_start = at;
            self.pending = s;
            return Ok(());
        }
        self.push_text(s, at)
    }

    fn push_text(&mut self, s: &str, at: usize) -> Result<(), Error> {
        if let Some(i) = bad_char(s) {
            return Err(err(XmlErrorKind::InvalidChar, at + i));
        }
        if self.pending.is_empty() {
            if self.text.is_empty() {
                self.text_start = at;
            }
        } else {
            // a second piece: from here on in the buffer
            self.text.push_str(self.pending);
            self.pending = "";
        }
        self.text.push_str(s);
        Ok(())
    }

    fn lookup(&self, prefix: Option<&str>) -> Option<&str> {
        match prefix {
            Some("xml") => return Some(XML_NS),
            Some("xmlns") => return Some(XMLNS_NS),
            _ => {}
        }
        self.bindings
            .get(prefix.unwrap_or(""))
            .and_then(|v| v.last())
            .map(String::as_str)
            .filter(|u| !u.is_empty())
    }

    fn unbind_to(&mut self, mark: usize) {
        while self.declared.len() > mark {
            if let Some(p) = self.declared.pop() {
                if let Some(v) = self.bindings.get_mut(&p) {
                    v.pop();
                }
            }
        }
    }

    /// Whether two attributes of one tag share a name as written (XML 1.0 §3.1) or, both
    /// prefixed, an expanded name (Namespaces in XML §6.3). Pairwise for the few attributes
    /// of real tags; sorted past a handful, so a tag at the attribute limit stays
    /// O(n log n).
    fn duplicate_attribute(&self, attributes: &[Attribute]) -> bool {
        const PAIRWISE: usize = 8;
        let ns = |a: &Attribute| {
            if a.is_namespace_decl() {
                None
            } else {
                a.name.prefix().and_then(|p| self.lookup(Some(p)))
            }
        };
        if attributes.len() <= PAIRWISE {
            return attributes.iter().enumerate().any(|(i, a)| {
                attributes[..i].iter().any(|b| {
                    a.name.local() == b.name.local()
                        && (a.name.prefix() == b.name.prefix()
                            || ns(a).is_some_and(|u| ns(b) == Some(u)))
                })
            });
        }
        let mut written: Vec<(&str, Option<&str>)> =
            attributes.iter().map(|a| (a.name.local(), a.name.prefix())).collect();
        written.sort_unstable();
        if written.windows(2).any(|w| w[0] == w[1]) {
            return true;
        }
        let mut expanded: Vec<(&str, &str)> =
            attributes.iter().filter_map(|a| Some((a.name.local(), ns(a)?))).collect();
        expanded.sort_unstable();
        expanded.windows(2).any(|w| w[0] == w[1])
    }

    fn run(mut self) -> Result<Document, Error> {
        loop {
            let start = pos(self.reader.buffer_position());
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => return Err(self.map_qx(&e)),
            };
            match event {
                Event::Decl(d) => {
                    if start != 0 {
                        return Err(err(XmlErrorKind::Syntax, start));
                    }
                    if let Some(enc) = d.encoding() {
                        let enc = enc.map_err(|_| err(XmlErrorKind::Syntax, start))?;
                        let ok = [b"utf-8".as_slice(), b"utf8", b"us-ascii", b"ascii"]
                            .iter()
                            .any(|e| enc.eq_ignore_ascii_case(e));
                        if !ok {
                            return Err(err(XmlErrorKind::InvalidEncoding, start));
                        }
                    }
                    let raw = &self.input[start..pos(self.reader.buffer_position())];
                    let content = raw
                        .strip_prefix(b"<?xml")
                        .and_then(|r| r.strip_suffix(b"?>"))
                        .ok_or_else(|| err(XmlErrorKind::Syntax, start))?;
                    self.doc.declaration = Some(String::from_utf8_lossy(content).into_owned());
                }
                Event::DocType(t) => {
                    if self.seen_root || self.doc.doctype.is_some() {
                        return Err(err(XmlErrorKind::MisplacedDoctype, start));
                    }
                    self.flush_text()?;
                    let s = t.decode().map_err(|_| err(XmlErrorKind::InvalidEncoding, start))?;
                    self.entities = entity_decls(&s, self.config.max_input);
                    self.doc.doctype = Some(s.into_owned());
                }
                Event::Start(e) => {
                    self.flush_text()?;
                    self.start_element(&e, start, false)?;
                }
                Event::Empty(e) => {
                    self.flush_text()?;
                    self.start_element(&e, start, true)?;
                }
                Event::End(_) => {
                    self.flush_text()?;
                    self.open.pop();
                    if let Some(m) = self.marks.pop() {
                        self.unbind_to(m);
                    }
                }
                Event::Text(t) => match in_src(self.src, &t) {
                    // one look at each byte for the common case
                    Some(raw) if plain_text(raw) => self.push_slice(raw, start)?,
                    Some(raw) => match normalize_eol(raw) {
                        Cow::Borrowed(raw) => {
                            if let Some(i) = bad_char(raw) {
                                return Err(err(XmlErrorKind::InvalidChar, start + i));
                            }
                            self.push_slice(raw, start)?;
                        }
                        Cow::Owned(s) => self.push_text(&s, start)?,
                    },
                    None => {
                        let raw = core::str::from_utf8(&t)
                            .map_err(|_| err(XmlErrorKind::InvalidEncoding, start))?;
                        self.push_text(&normalize_eol(raw), start)?;
                    }
                },
                Event::CData(t) => {
                    if self.at_top() {
                        return Err(err(XmlErrorKind::ContentOutsideRoot, start));
                    }
                    let s = t.decode().map_err(|_| err(XmlErrorKind::InvalidEncoding, start))?;
                    self.push_text(&normalize_eol(&s), start)?;
                }
                Event::GeneralRef(r) => {
                    if self.at_top() {
                        return Err(err(XmlErrorKind::ContentOutsideRoot, start));
                    }
                    let c = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => c,
                            _ => return Err(err(XmlErrorKind::InvalidChar, start)),
                        }
                    } else {
                        match &*r.decode().map_err(|_| err(XmlErrorKind::InvalidEncoding, start))? {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "apos" => '\'',
                            "quot" => '"',
                            name => {
                                let v = self
                                    .entities
                                    .get(name)
                                    .cloned()
                                    .flatten()
                                    .ok_or_else(|| err(XmlErrorKind::UnknownEntity, start))?;
                                self.expansion_budget = self
                                    .expansion_budget
                                    .checked_sub(v.len())
                                    .ok_or_else(|| err(XmlErrorKind::InputTooLarge, start))?;
                                self.push_text(&v, start)?;
                                continue;
                            }
                        }
                    };
                    let mut buf = [0u8; 4];
                    self.push_text(c.encode_utf8(&mut buf), start)?;
                }
                Event::Comment(t) => {
                    self.flush_text()?;
                    let s = t.decode().map_err(|_| err(XmlErrorKind::InvalidEncoding, start))?;
                    if let Some(i) = bad_char(&s) {
                        return Err(err(XmlErrorKind::InvalidChar, start + 4 + i));
                    }
                    self.count_node(start)?;
                    let parent = self.parent();
                    self.doc.push_child(parent, NodeKind::Comment(Str::from(normalize_eol(&s))));
                }
                Event::PI(p) => {
                    self.flush_text()?;
                    let target = core::str::from_utf8(p.target())
                        .map_err(|_| err(XmlErrorKind::InvalidEncoding, start))?;
                    if !crate::tree::is_ncname(target) || target.eq_ignore_ascii_case("xml") {
                        return Err(err(XmlErrorKind::InvalidName, start + 2));
                    }
                    let data = core::str::from_utf8(p.content())
                        .map_err(|_| err(XmlErrorKind::InvalidEncoding, start))?;
                    let data = data.trim_start_matches([' ', '\t', '\r', '\n']);
                    if let Some(i) = bad_char(data) {
                        return Err(err(XmlErrorKind::InvalidChar, start + i));
                    }
                    self.count_node(start)?;
                    let parent = self.parent();
                    self.doc.push_child(
                        parent,
                        NodeKind::ProcessingInstruction {
                            target: target.to_owned(),
                            data: normalize_eol(data).into_owned(),
                        },
                    );
                }
                Event::Eof => {
                    if !self.at_top() {
                        return Err(err(XmlErrorKind::MismatchedTag, self.input.len()));
                    }
                    self.flush_text()?;
                    if !self.seen_root {
                        return Err(err(XmlErrorKind::MissingRoot, self.input.len()));
                    }
                    return Ok(self.doc);
                }
            }
        }
    }

    fn start_element(
        &mut self,
        e: &quick_xml::events::BytesStart<'_>,
        start: usize,
        empty: bool,
    ) -> Result<(), Error> {
        if self.at_top() {
            if self.seen_root {
                return Err(err(XmlErrorKind::ContentOutsideRoot, start));
            }
            self.seen_root = true;
        }
        if self.open.len() > self.config.max_depth {
            return Err(err(XmlErrorKind::TooDeep, start));
        }
        self.count_node(start)?;
        let raw_name = sub_str(self.src, e.name().into_inner())
            .ok_or_else(|| err(XmlErrorKind::InvalidEncoding, start))?;
        let (name, colon) = QName::parse_split(raw_name)
            .ok_or_else(|| err(XmlErrorKind::InvalidName, start + 1))?;
        let prefix = colon.map(|i| &raw_name[..i]);
        // read into a buffer kept across elements, then moved out at its exact size (a
        // `Vec` grown by push would hold room for four)
        let mut attributes = core::mem::take(&mut self.attributes);
        attributes.clear();
        let mark = self.declared.len();
        // duplicates are checked below, once the namespaces are known, without quick-xml's
        // per-tag key list
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|_| err(XmlErrorKind::InvalidAttribute, start))?;
            if attributes.len() >= self.config.max_attributes {
                return Err(err(XmlErrorKind::TooManyAttributes, start));
            }
            let key = sub_str(self.src, a.key.as_ref())
                .ok_or_else(|| err(XmlErrorKind::InvalidEncoding, start))?;
            let (aname, colon) =
                QName::parse_split(key).ok_or_else(|| err(XmlErrorKind::InvalidName, start))?;
            // `Some(None)` for `xmlns`, `Some(Some(p))` for `xmlns:p`
            let declared = match colon {
                None => (key == "xmlns").then_some(None),
                Some(i) => (&key[..i] == "xmlns").then(|| Some(&key[i + 1..])),
            };
            // a value without references, controls (tabs and line ends are normalized) or
            // 0xEF is the input as written, its characters fine: one look at each byte
            let entities = &self.entities;
            let budget = &mut self.expansion_budget;
            let value = if let Some(raw) = in_src(self.src, &a.value).filter(|v| plain_value(v)) {
                Str::from(raw)
            } else {
                let value = a
                    .normalized_value_with(XmlVersion::Implicit1_0, 1, |name| {
                        if let Some(v) = quick_xml::escape::resolve_predefined_entity(name) {
                            return Some(v);
                        }
                        let v = entities.get(name)?.as_deref()?;
                        // an expansion holding '&' would be re-read as a reference: refuse it
                        if v.contains('&') {
                            return None;
                        }
                        *budget = budget.checked_sub(v.len())?;
                        Some(v)
                    })
                    .map_err(|_| err(XmlErrorKind::UnknownEntity, start))?;
                if let Some(i) = bad_char(&value) {
                    return Err(err(XmlErrorKind::InvalidChar, start + i));
                }
                Str::from(value)
            };
            if let Some(declared) = declared {
                let bad = match declared {
                    Some("xmlns") => true,
                    Some("xml") => value != XML_NS,
                    Some(_) => value.is_empty() || value == XML_NS || value == XMLNS_NS,
                    None => value == XML_NS || value == XMLNS_NS,
                };
                if bad {
                    return Err(err(XmlErrorKind::InvalidNamespaceDeclaration, start));
                }
                let p = declared.unwrap_or("").to_owned();
                self.bindings.entry(p.clone()).or_default().push(value.to_string());
                self.declared.push(p);
            }
            attributes.push(Attribute { name: aname, value });
        }
        if let Some(p) = prefix {
            if p == "xmlns" {
                return Err(err(XmlErrorKind::ReservedPrefix, start + 1));
            }
            if self.lookup(Some(p)).is_none() {
                return Err(err(XmlErrorKind::UnboundPrefix, start + 1));
            }
        }
        for a in &attributes {
            // declarations are bound; anything else prefixed must be
            if let Some(p) = a.name.prefix().filter(|p| *p != "xmlns") {
                if self.lookup(Some(p)).is_none() {
                    return Err(err(XmlErrorKind::UnboundPrefix, start));
                }
            }
        }
        if attributes.len() > 1 && self.duplicate_attribute(&attributes) {
            return Err(err(XmlErrorKind::InvalidAttribute, start));
        }
        let mut exact = Vec::with_capacity(attributes.len());
        exact.append(&mut attributes);
        self.attributes = attributes;
        let parent = self.parent();
        let id = self.doc.push_child(
            parent,
            NodeKind::Element(crate::tree::Element { name, attributes: exact }),
        );
        if empty {
            self.unbind_to(mark);
        } else {
            self.open.push(id);
            self.marks.push(mark);
        }
        Ok(())
    }
}
