//! Reading XML into a [`Document`]: one pass over the input, with its own scanner for the
//! markup (tags, references, comments, CDATA, PIs, the XML declaration and DOCTYPE) and
//! the checks of well-formedness and namespaces on the way: names, namespace bindings,
//! entity and character references, characters, the single root element, and the
//! configured limits. Names, text and attribute values are cut out of the input as they
//! are; only what references or line ends rewrite is copied.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, XmlErrorKind};
use crate::tree::{
    Attribute, Document, NodeId, NodeKind, QName, Str, XML_NS, XMLNS_NS, declared_prefix,
    is_name_byte, is_ws_byte as is_ws, is_xml_ws, split_at_colon,
};

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
    /// The input.
    src: &'a str,
    /// The input's bytes.
    b: &'a [u8],
    /// Where the scanner is.
    pos: usize,
    /// The attributes of the tag being read, as written: name and raw value.
    raw_attrs: Vec<(&'a str, &'a str)>,
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
/// C0 control but tab and LF (so no CR), no 0xEF (the lead byte of U+FFFE and U+FFFF),
/// and no `]` (which could start a `]]>`, not allowed in text).
fn plain_text(s: &str) -> bool {
    s.bytes().all(|b| (b >= 0x20 && b != 0xEF && b != b']') || b == b'\t' || b == b'\n')
}

/// Whether an attribute value is its own normalized value, its characters fine: no
/// reference, no `<`, no C0 control (tab and line ends are normalized to spaces), no 0xEF.
fn plain_value(s: &str) -> bool {
    s.bytes().all(|b| b >= 0x20 && b != b'&' && b != b'<' && b != 0xEF)
}

/// XML 1.0 §2.11 end-of-line handling: `\r\n` and lone `\r` become `\n`.
fn normalize_eol(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', s.as_bytes()).is_some() {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The first position at or after `i` that is not white space.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

/// The end of the name-like run of bytes from `i` (checked as a name by the caller).
fn name_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_name_byte(c)) {
        i += 1;
    }
    i
}

/// What follows an attribute's name at `i`, `S? = S?` and a quoted value: the value's
/// range, and the position after its closing quote.
fn attribute_value(b: &[u8], i: usize) -> Option<(core::ops::Range<usize>, usize)> {
    let i = skip_ws(b, i);
    if b.get(i) != Some(&b'=') {
        return None;
    }
    let i = skip_ws(b, i + 1);
    let q = *b.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
    let len = memchr::memchr(q, &b[i + 1..])?;
    Some((i + 1..i + 1 + len, i + len + 2))
}

/// `needle` in `b` from `from`: its position.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|k| from + k)
}

/// A reference, `&...;`.
enum Reference<'s> {
    /// A character reference, resolved.
    Char(char),
    /// An entity reference: the entity's name.
    Entity(&'s str),
}

/// The reference starting at `s[at]` (an `&`) and the position after its `;`.
fn reference(s: &str, at: usize) -> Result<(Reference<'_>, usize), XmlErrorKind> {
    let b = s.as_bytes();
    let mut i = at + 1;
    if b.get(i) == Some(&b'#') {
        i += 1;
        let radix = if b.get(i) == Some(&b'x') {
            i += 1;
            16
        } else {
            10
        };
        let digits = i;
        let mut v: u32 = 0;
        while let Some(d) = b.get(i).and_then(|&c| char::from(c).to_digit(radix)) {
            v = v.saturating_mul(radix).saturating_add(d);
            i += 1;
        }
        if i == digits || b.get(i) != Some(&b';') {
            return Err(XmlErrorKind::Syntax);
        }
        let c = char::from_u32(v).ok_or(XmlErrorKind::InvalidChar)?;
        return Ok((Reference::Char(c), i + 1));
    }
    let end = name_end(b, i);
    if end == i || b.get(end) != Some(&b';') {
        return Err(XmlErrorKind::Syntax);
    }
    Ok((Reference::Entity(&s[i..end]), end + 1))
}

/// The five entities every document has.
fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// An attribute value that needs work (see [`plain_value`]), normalized (XML 1.0 §3.3.3):
/// white space characters become spaces (`\r\n` one space), references are resolved, and
/// an internal entity's text is normalized the same way. `Err` holds the error kind, for
/// the tag's position.
fn normalize_value(
    raw: &str,
    entities: &HashMap<String, Option<String>>,
    budget: &mut usize,
) -> Result<String, XmlErrorKind> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        let run = b[i..]
            .iter()
            .position(|&c| matches!(c, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
            .map_or(b.len(), |k| i + k);
        out.push_str(&raw[i..run]);
        i = run;
        let Some(&c) = b.get(i) else { break };
        match c {
            b'<' => return Err(XmlErrorKind::InvalidAttribute),
            b'&' => {
                // a malformed reference is a malformed attribute
                let (r, next) = reference(raw, i).map_err(|k| {
                    if k == XmlErrorKind::Syntax { XmlErrorKind::InvalidAttribute } else { k }
                })?;
                match r {
                    Reference::Char(c) => out.push(c),
                    Reference::Entity(name) => match predefined(name) {
                        Some(c) => out.push(c),
                        None => {
                            let v = entities
                                .get(name)
                                .and_then(Option::as_deref)
                                // an expansion holding '&' would be re-read as a reference
                                .filter(|v| !v.contains('&'))
                                .ok_or(XmlErrorKind::UnknownEntity)?;
                            *budget =
                                budget.checked_sub(v.len()).ok_or(XmlErrorKind::UnknownEntity)?;
                            out.extend(
                                v.chars()
                                    .map(|c| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c }),
                            );
                        }
                    },
                }
                i = next;
            }
            // `\r\n` is one line end
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                out.push(' ');
                i += 2;
            }
            _ => {
                out.push(' ');
                i += 1;
            }
        }
    }
    Ok(out)
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, config: &'a ParseConfig) -> Result<Self, Error> {
        if src.len() > config.max_input {
            return Err(err(XmlErrorKind::InputTooLarge, config.max_input));
        }
        let b = src.as_bytes();
        Ok(Self {
            src,
            b,
            pos: 0,
            raw_attrs: Vec::new(),
            config,
            // every node but the document's starts at a `<` or right after a `>`: at most
            // two per `<`. Reserving that once saves regrowing (and copying) the arena, and
            // the part never used is never touched
            doc: Document::with_capacity(
                (2 * memchr::memchr_iter(b'<', b).count() + 2).min(config.max_nodes),
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
        if self.at_top() && !is_xml_ws(text) {
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
        // a byte order mark is not content
        if self.b.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        if self.b[self.pos..].starts_with(b"<?xml")
            && self.b.get(self.pos + 5).is_some_and(|&c| is_ws(c))
        {
            self.declaration()?;
        }
        loop {
            let from = self.pos;
            let Some(at) = memchr::memchr2(b'<', b'&', &self.b[from..]).map(|k| from + k) else {
                self.text_run(from, self.b.len())?;
                break;
            };
            if at > from {
                self.text_run(from, at)?;
            }
            self.pos = at;
            if self.b[at] == b'&' {
                self.content_reference(at)?;
                continue;
            }
            match self.b.get(at + 1) {
                Some(b'/') => self.end_tag(at)?,
                Some(b'?') => self.pi(at)?,
                Some(b'!') => {
                    let rest = &self.b[at..];
                    if rest.starts_with(b"<!--") {
                        self.comment(at)?;
                    } else if rest.starts_with(b"<![CDATA[") {
                        self.cdata(at)?;
                    } else if rest.starts_with(b"<!DOCTYPE") {
                        self.doctype(at)?;
                    } else {
                        return Err(err(XmlErrorKind::Syntax, at));
                    }
                }
                _ => self.start_tag(at)?,
            }
        }
        if !self.at_top() {
            return Err(err(XmlErrorKind::MismatchedTag, self.b.len()));
        }
        self.flush_text()?;
        if !self.seen_root {
            return Err(err(XmlErrorKind::MissingRoot, self.b.len()));
        }
        Ok(self.doc)
    }

    /// Character data `src[from..to]`, between markup.
    fn text_run(&mut self, from: usize, to: usize) -> Result<(), Error> {
        let raw = &self.src[from..to];
        // one look at each byte for the common case
        if plain_text(raw) {
            return self.push_slice(raw, from);
        }
        if let Some(k) = memchr::memmem::find(raw.as_bytes(), b"]]>") {
            return Err(err(XmlErrorKind::Syntax, from + k));
        }
        match normalize_eol(raw) {
            Cow::Borrowed(raw) => {
                if let Some(i) = bad_char(raw) {
                    return Err(err(XmlErrorKind::InvalidChar, from + i));
                }
                self.push_slice(raw, from)
            }
            Cow::Owned(s) => self.push_text(&s, from),
        }
    }

    /// `<?xml ...?>` at the start (XML 1.0 §2.8): `version`, then optionally `encoding` and
    /// `standalone`, in that order; kept verbatim. An encoding other than UTF-8 is refused.
    fn declaration(&mut self) -> Result<(), Error> {
        let start = self.pos;
        let end = find(self.b, start, b"?>").ok_or_else(|| err(XmlErrorKind::Syntax, start))?;
        let content = &self.src[start + 5..end];
        let b = content.as_bytes();
        let syntax = || err(XmlErrorKind::Syntax, start);
        // the pseudo-attributes: (name, value), each after white space
        let mut i = 0;
        let mut seen = 0;
        loop {
            let space = i;
            i = skip_ws(b, i);
            if i == b.len() {
                break;
            }
            let name_start = i;
            i = name_end(b, i);
            let name = &content[name_start..i];
            if space == name_start {
                return Err(syntax());
            }
            let (range, next) = attribute_value(b, i).ok_or_else(syntax)?;
            let value = &content[range];
            i = next;
            let order = match name {
                "version" => {
                    let digits = value.strip_prefix("1.").ok_or_else(syntax)?;
                    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                        return Err(syntax());
                    }
                    1
                }
                "encoding" => {
                    let ok = ["utf-8", "utf8", "us-ascii", "ascii"]
                        .iter()
                        .any(|e| value.eq_ignore_ascii_case(e));
                    if !ok {
                        return Err(err(XmlErrorKind::InvalidEncoding, start));
                    }
                    2
                }
                "standalone" if matches!(value, "yes" | "no") => 3,
                _ => return Err(syntax()),
            };
            // version first and once; the others once each, in order
            if order <= seen || (seen == 0 && order != 1) {
                return Err(syntax());
            }
            seen = order;
        }
        if seen == 0 {
            return Err(syntax());
        }
        self.doc.declaration = Some(content.to_owned());
        self.pos = end + 2;
        Ok(())
    }

    /// A reference in content, at `at`.
    fn content_reference(&mut self, at: usize) -> Result<(), Error> {
        if self.at_top() {
            return Err(err(XmlErrorKind::ContentOutsideRoot, at));
        }
        let (r, next) = reference(self.src, at).map_err(|k| err(k, at))?;
        self.pos = next;
        let c = match r {
            Reference::Char(c) => c,
            Reference::Entity(name) => match predefined(name) {
                Some(c) => c,
                None => {
                    let v = self
                        .entities
                        .get(name)
                        .cloned()
                        .flatten()
                        .ok_or_else(|| err(XmlErrorKind::UnknownEntity, at))?;
                    self.expansion_budget = self
                        .expansion_budget
                        .checked_sub(v.len())
                        .ok_or_else(|| err(XmlErrorKind::InputTooLarge, at))?;
                    return self.push_text(&v, at);
                }
            },
        };
        let mut buf = [0u8; 4];
        self.push_text(c.encode_utf8(&mut buf), at)
    }

    /// `</name>` at `start`.
    fn end_tag(&mut self, start: usize) -> Result<(), Error> {
        let name_start = start + 2;
        let name_stop = name_end(self.b, name_start);
        let close = skip_ws(self.b, name_stop);
        if self.b.get(close) != Some(&b'>') {
            return Err(err(XmlErrorKind::Syntax, close));
        }
        let name = &self.src[name_start..name_stop];
        let open = self.parent();
        if self.at_top() || self.doc.name(open).map(QName::as_str) != Some(name) {
            return Err(err(XmlErrorKind::MismatchedTag, start));
        }
        self.flush_text()?;
        self.open.pop();
        if let Some(m) = self.marks.pop() {
            self.unbind_to(m);
        }
        self.pos = close + 1;
        Ok(())
    }

    /// `<?target data?>` at `start`.
    fn pi(&mut self, start: usize) -> Result<(), Error> {
        let target_end = name_end(self.b, start + 2);
        let end =
            find(self.b, target_end, b"?>").ok_or_else(|| err(XmlErrorKind::Syntax, start))?;
        let target = &self.src[start + 2..target_end];
        if target == "xml" {
            // an XML declaration anywhere but the start
            return Err(err(XmlErrorKind::Syntax, start));
        }
        if !crate::tree::is_ncname(target) || target.eq_ignore_ascii_case("xml") {
            return Err(err(XmlErrorKind::InvalidName, start + 2));
        }
        let data = &self.src[target_end..end];
        if !data.is_empty() && !is_ws(data.as_bytes()[0]) {
            return Err(err(XmlErrorKind::Syntax, target_end));
        }
        let data = data.trim_start_matches([' ', '\t', '\r', '\n']);
        if let Some(i) = bad_char(data) {
            return Err(err(XmlErrorKind::InvalidChar, end - data.len() + i));
        }
        self.flush_text()?;
        self.count_node(start)?;
        let parent = self.parent();
        self.doc.push_child(
            parent,
            NodeKind::ProcessingInstruction {
                target: target.to_owned(),
                data: normalize_eol(data).into_owned(),
            },
        );
        self.pos = end + 2;
        Ok(())
    }

    /// `<!-- ... -->` at `start`: no `--` inside, not ending in `-`.
    fn comment(&mut self, start: usize) -> Result<(), Error> {
        let from = start + 4;
        let dashes = find(self.b, from, b"--").ok_or_else(|| err(XmlErrorKind::Syntax, start))?;
        if self.b.get(dashes + 2) != Some(&b'>') {
            return Err(err(XmlErrorKind::Syntax, dashes));
        }
        let s = &self.src[from..dashes];
        if let Some(i) = bad_char(s) {
            return Err(err(XmlErrorKind::InvalidChar, from + i));
        }
        self.flush_text()?;
        self.count_node(start)?;
        let parent = self.parent();
        self.doc.push_child(parent, NodeKind::Comment(Str::from(normalize_eol(s))));
        self.pos = dashes + 3;
        Ok(())
    }

    /// `<![CDATA[ ... ]]>` at `start`: read as text.
    fn cdata(&mut self, start: usize) -> Result<(), Error> {
        if self.at_top() {
            return Err(err(XmlErrorKind::ContentOutsideRoot, start));
        }
        let from = start + 9;
        let end = find(self.b, from, b"]]>").ok_or_else(|| err(XmlErrorKind::Syntax, start))?;
        self.pos = end + 3;
        let s = &self.src[from..end];
        self.push_text(&normalize_eol(s), start)
    }

    /// `<!DOCTYPE ...>` at `start`, internal subset included: kept verbatim, its internal
    /// entities read.
    fn doctype(&mut self, start: usize) -> Result<(), Error> {
        if self.seen_root || self.doc.doctype.is_some() {
            return Err(err(XmlErrorKind::MisplacedDoctype, start));
        }
        self.flush_text()?;
        let b = self.b;
        let unclosed = || err(XmlErrorKind::Syntax, start);
        let mut i = start + 9;
        if !b.get(i).is_some_and(|&c| is_ws(c)) {
            return Err(err(XmlErrorKind::Syntax, i));
        }
        let mut subset = false;
        loop {
            match b.get(i) {
                None => return Err(unclosed()),
                Some(&q @ (b'"' | b'\'')) => {
                    i += 1 + memchr::memchr(q, &b[i + 1..]).ok_or_else(unclosed)? + 1;
                }
                Some(b'[') if !subset => {
                    subset = true;
                    i += 1;
                }
                Some(b']') if subset => {
                    subset = false;
                    i += 1;
                }
                Some(b'<') if subset && b[i..].starts_with(b"<!--") => {
                    i = find(b, i + 4, b"-->").ok_or_else(unclosed)? + 3;
                }
                Some(b'<') if subset && b[i..].starts_with(b"<?") => {
                    i = find(b, i + 2, b"?>").ok_or_else(unclosed)? + 2;
                }
                Some(b'>') if !subset => break,
                Some(_) => i += 1,
            }
        }
        let content = self.src[start + 9..i].trim_start_matches([' ', '\t', '\r', '\n']);
        if content.is_empty() {
            return Err(err(XmlErrorKind::Syntax, i));
        }
        self.entities = entity_decls(content, self.config.max_input);
        self.doc.doctype = Some(content.to_owned());
        self.pos = i + 1;
        Ok(())
    }

    /// `<name attr="value" ...>` or `.../>` at `start`: scanned, then made an element.
    fn start_tag(&mut self, start: usize) -> Result<(), Error> {
        let b = self.b;
        let name_start = start + 1;
        let mut i = name_end(b, name_start);
        if i == name_start {
            return Err(err(XmlErrorKind::Syntax, name_start));
        }
        let raw_name = &self.src[name_start..i];
        let bad = || err(XmlErrorKind::InvalidAttribute, start);
        let mut raw_attrs = core::mem::take(&mut self.raw_attrs);
        raw_attrs.clear();
        let empty = loop {
            let space = i;
            i = skip_ws(b, i);
            match b.get(i) {
                None => return Err(err(XmlErrorKind::Syntax, start)),
                Some(b'>') => {
                    i += 1;
                    break false;
                }
                Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break true;
                }
                Some(_) => {
                    let key_start = i;
                    i = name_end(b, i);
                    // attributes are separated by white space
                    if i == key_start || key_start == space {
                        return Err(bad());
                    }
                    let key = &self.src[key_start..i];
                    let (range, next) = attribute_value(b, i).ok_or_else(bad)?;
                    if raw_attrs.len() >= self.config.max_attributes {
                        return Err(err(XmlErrorKind::TooManyAttributes, start));
                    }
                    raw_attrs.push((key, &self.src[range]));
                    i = next;
                }
            }
        };
        self.pos = i;
        self.flush_text()?;
        let r = self.start_element(raw_name, &raw_attrs, start, empty);
        self.raw_attrs = raw_attrs;
        r
    }

    fn start_element(
        &mut self,
        raw_name: &str,
        raw_attrs: &[(&str, &str)],
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
        let (name, colon) = QName::parse_split(raw_name)
            .ok_or_else(|| err(XmlErrorKind::InvalidName, start + 1))?;
        let (prefix, _) = split_at_colon(raw_name, colon);
        // read into a buffer kept across elements, then moved out at its exact size (a
        // `Vec` grown by push would hold room for four)
        let mut attributes = core::mem::take(&mut self.attributes);
        attributes.clear();
        let mark = self.declared.len();
        for &(key, raw) in raw_attrs {
            let (aname, colon) =
                QName::parse_split(key).ok_or_else(|| err(XmlErrorKind::InvalidName, start))?;
            // the colon found while checking the name spares `declared_prefix` a search
            let declared = declared_prefix(split_at_colon(key, colon));
            // a value without references, `<`, controls (tabs and line ends are normalized)
            // or 0xEF is the value as written, its characters fine: one look at each byte
            let value = if plain_value(raw) {
                Str::from(raw)
            } else {
                let value = normalize_value(raw, &self.entities, &mut self.expansion_budget)
                    .map_err(|k| err(k, start))?;
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
