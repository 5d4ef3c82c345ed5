//! `;name=value` parameter lists of URIs (`uri-parameters`) and headers (`generic-param`),
//! validated once and then read lazily without allocating.

use alloc::borrow::Cow;
use core::fmt;

use crate::error::Error;
use crate::scan::{Cursor, PARAMCHAR, TOKEN};

/// Which grammar a parameter list follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// `uri-parameter`: names and values of `paramchar`.
    Uri,
    /// `generic-param = token [ EQUAL gen-value ]`, `gen-value = token / host / quoted-string`.
    Header,
}

/// A validated list of parameters, kept as written (including each leading `;`): borrowed
/// from the input when parsed, owned after [`Params::into_owned`].
///
/// ```
/// # use simple_sip::Params;
/// let p = Params::new(";transport=tcp;lr");
/// assert_eq!(p.get("TRANSPORT"), Some("tcp"));
/// assert!(p.contains("lr"));
/// assert_eq!(p.iter().count(), 2);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Params<'a>(Cow<'a, str>);

/// One parameter: its name and value (`None` for a flag such as `lr`). Quoted values keep
/// their quotes; see [`crate::unquote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The value as written, if any.
    pub value: Option<&'a str>,
}

impl<'a> Params<'a> {
    /// Wraps text such as `;tag=1928301774;x` without checking it; lists built this way that
    /// break the grammar are read as best as possible and written back as they are.
    pub const fn new(raw: &'a str) -> Self {
        Self(Cow::Borrowed(raw))
    }

    /// No parameters.
    pub const EMPTY: Self = Self(Cow::Borrowed(""));

    /// The text as written, each parameter with its leading `;`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same parameters, owning their text.
    pub fn into_owned(self) -> Params<'static> {
        Params(Cow::Owned(self.0.into_owned()))
    }

    /// True if there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates the parameters in order.
    pub fn iter(&self) -> ParamIter<'_> {
        ParamIter { rest: &self.0 }
    }

    /// The first parameter named `name` (case-insensitive): `Some("")` for a flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| p.value.unwrap_or(""))
    }

    /// True if a parameter named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Consumes `*( SEMI param )` at the cursor, checking the grammar of `kind`.
    pub(crate) fn scan(c: &mut Cursor<'_>, kind: ParamKind) -> Result<(), Error> {
        loop {
            let sep = match kind {
                ParamKind::Uri => c.eat(b';'),
                ParamKind::Header => c.eat_sep(b';'),
            };
            if !sep {
                return Ok(());
            }
            match kind {
                ParamKind::Uri => {
                    c.take1(&PARAMCHAR, "parameter name")?;
                    if c.eat(b'=') {
                        c.take1(&PARAMCHAR, "parameter value")?;
                    }
                }
                ParamKind::Header => {
                    c.token()?;
                    if c.eat_sep(b'=') {
                        if c.peek() == Some(b'"') {
                            c.quoted()?;
                        } else {
                            c.take1(&GENVALUE, "parameter value")?;
                        }
                    }
                }
            }
        }
    }
}

/// `gen-value = token / host / quoted-string`: token characters plus those of IPv6 hosts.
pub(crate) static GENVALUE: [bool; 256] = {
    let mut t = TOKEN;
    t[b':' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'p> IntoIterator for &'p Params<'_> {
    type Item = Param<'p>;
    type IntoIter = ParamIter<'p>;
    fn into_iter(self) -> ParamIter<'p> {
        self.iter()
    }
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        loop {
            let s = self.rest.trim_start_matches(|c: char| c == ';' || c.is_ascii_whitespace());
            if s.is_empty() {
                self.rest = s;
                return None;
            }
            // the end of this parameter: the next ';' outside a quoted string
            let b = s.as_bytes();
            let mut i = 0;
            let mut quoted = false;
            while i < b.len() {
                match b[i] {
                    b'\\' if quoted => i += 1,
                    b'"' => quoted = !quoted,
                    b';' if !quoted => break,
                    _ => {}
                }
                i += 1;
            }
            let i = i.min(b.len());
            let item = &s[..i];
            self.rest = &s[i..];
            let (name, value) = match item.find('=') {
                Some(eq) => (item[..eq].trim(), Some(item[eq + 1..].trim())),
                None => (item.trim(), None),
            };
            if !name.is_empty() {
                return Some(Param { name, value });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn header_params_with_quotes_and_lws() {
        let raw = " ; tag = abc ;x=\"a;b\" ;flag";
        let mut c = Cursor::new(raw.as_bytes());
        Params::scan(&mut c, ParamKind::Header).unwrap();
        assert!(c.is_empty());
        let p = Params::new(raw);
        let v: Vec<_> = p.iter().map(|p| (p.name, p.value)).collect();
        assert_eq!(v, [("tag", Some("abc")), ("x", Some("\"a;b\"")), ("flag", None)]);
    }

    #[test]
    fn bad_params() {
        let mut c = Cursor::new(b";=x");
        assert_eq!(
            Params::scan(&mut c, ParamKind::Header).unwrap_err().kind(),
            ErrorKind::Expected("token")
        );
        let mut c = Cursor::new(b";a=\"x");
        assert_eq!(
            Params::scan(&mut c, ParamKind::Header).unwrap_err().kind(),
            ErrorKind::UnterminatedQuote
        );
    }
}
