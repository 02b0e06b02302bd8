//! What an emit carried, kept whole, plus its size in bytes.

use crate::error::{HistoryError, Result};
use crate::value::{self, Tokens, ValueWriter};

/// Which form a [`Payload`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayloadKind {
    /// UTF-8 text (Python `str`).
    Text,
    /// Raw bytes (Python `bytes`).
    Bytes,
    /// One structured value: number, bool, null, list or map, possibly with
    /// binary leaves.
    Value,
    /// Several arguments of one emit (Python's top-level `tuple`).
    Args,
}

/// Layout of the one allocation behind a payload: byte 0 is the kind; text
/// and bytes follow directly; a structured payload has its size (8 bytes,
/// little-endian) and then its encoding. One thin box keeps an entry small:
/// memory per retained entry is what the store is judged by.
mod layout {
    pub const TEXT: u8 = 0;
    pub const BYTES: u8 = 1;
    pub const VALUE: u8 = 2;
    pub const ARGS: u8 = 3;
    /// Where a structured payload's encoding starts.
    pub const ENCODED: usize = 9;
}

/// An emit's payload. Immutable once built: what was stored is a snapshot.
///
/// Its [`size`](Payload::size) is the UTF-8 length of text, the length of
/// bytes, and for anything else the length of its compact JSON text plus the
/// bytes of its binary leaves.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    buf: Box<[u8]>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            PayloadKind::Text => f.debug_tuple("Text").field(&self.as_text()).finish(),
            PayloadKind::Bytes => f.debug_tuple("Bytes").field(&self.body()).finish(),
            PayloadKind::Args => f.debug_tuple("Args").field(&self.to_json()).finish(),
            _ => f.debug_tuple("Value").field(&self.to_json()).finish(),
        }
    }
}

impl Payload {
    fn tagged(tag: u8, body: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(body.len() + 1);
        buf.push(tag);
        buf.extend_from_slice(body);
        Payload {
            buf: buf.into_boxed_slice(),
        }
    }

    fn body(&self) -> &[u8] {
        &self.buf[1..]
    }

    /// The payload's stored form, for the journal.
    pub(crate) fn stored(&self) -> &[u8] {
        &self.buf
    }

    /// A payload back from its stored form, checked like any input (text is
    /// UTF-8, a structured value is whole); `None` for anything else.
    pub(crate) fn from_stored(buf: &[u8]) -> Option<Payload> {
        let ok = match *buf.first()? {
            layout::TEXT => std::str::from_utf8(&buf[1..]).is_ok(),
            layout::BYTES => true,
            // An argument list is one more level than the user's nesting.
            layout::VALUE => {
                buf.len() > layout::ENCODED
                    && Tokens::well_formed(&buf[layout::ENCODED..], value::MAX_DEPTH)
            }
            layout::ARGS => {
                buf.len() > layout::ENCODED
                    && Tokens::well_formed(&buf[layout::ENCODED..], value::MAX_DEPTH + 1)
            }
            _ => false,
        };
        ok.then(|| Payload { buf: buf.into() })
    }

    /// A text payload.
    pub fn text(s: impl AsRef<str>) -> Self {
        Self::tagged(layout::TEXT, s.as_ref().as_bytes())
    }

    /// JSON `null`: what an entry without data holds (a delete, a redacted
    /// entry, a message whose data was cleared).
    pub fn null() -> Self {
        let mut w = ValueWriter::new();
        // Writing one null into a fresh writer cannot fail.
        let _ = w.null();
        Self::from_writer(w).unwrap_or_else(|_| Self::text(""))
    }

    /// A binary payload.
    pub fn bytes(b: impl AsRef<[u8]>) -> Self {
        Self::tagged(layout::BYTES, b.as_ref())
    }

    /// Parse and keep a JSON document. A top-level JSON string becomes a
    /// [`Text`](PayloadKind::Text) payload; anything else a
    /// [`Value`](PayloadKind::Value).
    pub fn from_json(text: &str) -> Result<Self> {
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| HistoryError::InvalidJson(e.to_string()))?;
        let mut w = ValueWriter::new();
        value::write_json_value(&mut w, &doc)?;
        Self::from_writer(w)
    }

    /// Several arguments from a JSON array: each element is one argument.
    pub fn args_from_json(text: &str) -> Result<Self> {
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| HistoryError::InvalidJson(e.to_string()))?;
        let serde_json::Value::Array(items) = doc else {
            return Err(HistoryError::InvalidPayload(
                "arguments must be a JSON array".into(),
            ));
        };
        let mut w = ValueWriter::args(items.len());
        items
            .iter()
            .try_for_each(|i| value::write_json_value(&mut w, i))?;
        Self::from_writer(w)
    }

    /// Finish a [`ValueWriter`]. A single top-level string or binary leaf
    /// becomes a `Text` or `Bytes` payload, so one value has one form.
    pub fn from_writer(w: ValueWriter) -> Result<Self> {
        let e = w.finish()?;
        if !e.args {
            match Tokens::new(&e.buf[layout::ENCODED..]).next() {
                Some(value::Token::Str(s)) => return Ok(Self::text(s)),
                Some(value::Token::Bytes(b)) => return Ok(Self::bytes(b)),
                _ => {}
            }
        }
        // The writer reserved the header: fill it in, no copy.
        let mut buf = e.buf;
        buf[0] = if e.args { layout::ARGS } else { layout::VALUE };
        buf[1..layout::ENCODED].copy_from_slice(&(e.size as u64).to_le_bytes());
        Ok(Payload { buf })
    }

    /// The payload's form.
    pub fn kind(&self) -> PayloadKind {
        match self.buf[0] {
            layout::TEXT => PayloadKind::Text,
            layout::BYTES => PayloadKind::Bytes,
            layout::ARGS => PayloadKind::Args,
            _ => PayloadKind::Value,
        }
    }

    fn is_encoded(&self) -> bool {
        self.buf[0] >= layout::VALUE
    }

    fn encoding(&self) -> &[u8] {
        &self.buf[layout::ENCODED..]
    }

    /// Size in bytes, as the retention and truncation rules count it.
    pub fn size(&self) -> usize {
        if self.is_encoded() {
            let mut n = [0u8; 8];
            n.copy_from_slice(&self.buf[1..layout::ENCODED]);
            usize::try_from(u64::from_le_bytes(n)).unwrap_or(usize::MAX)
        } else {
            self.buf.len() - 1
        }
    }

    /// The text of a `Text` payload.
    pub fn as_text(&self) -> Option<&str> {
        // Only ever built from a `&str`; the check keeps this free of `unsafe`.
        (self.buf[0] == layout::TEXT)
            .then(|| std::str::from_utf8(self.body()).ok())
            .flatten()
    }

    /// The bytes of a `Bytes` payload.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        (self.buf[0] == layout::BYTES).then(|| self.body())
    }

    /// The tokens of a `Value` or `Args` payload (an `Args` payload reads as
    /// one `List` of its arguments).
    pub fn tokens(&self) -> Option<Tokens<'_>> {
        self.is_encoded().then(|| Tokens::new(self.encoding()))
    }

    /// Compact JSON text: `Text` as a JSON string, `Bytes` as one attachment
    /// placeholder (like a binary leaf), `Value` as itself, `Args` as an
    /// array of the arguments.
    pub fn to_json(&self) -> String {
        match self.kind() {
            PayloadKind::Text => {
                serde_json::to_string(self.as_text().unwrap_or_default()).unwrap_or_default()
            }
            PayloadKind::Bytes => r#"{"_placeholder":true,"num":0}"#.to_owned(),
            _ => value::render_json(self.encoding()),
        }
    }

    /// The copy a read returns under a payload cap: `None` when the payload
    /// fits (serve it whole), otherwise the truncated form: text cut to at
    /// most `cap` UTF-8 bytes on a character boundary, bytes cut to `cap`,
    /// anything else the longest prefix of its compact JSON text as `Text`.
    pub fn truncated(&self, cap: usize) -> Option<Payload> {
        if self.size() <= cap {
            return None;
        }
        Some(match self.kind() {
            PayloadKind::Text => {
                let s = self.as_text().unwrap_or_default();
                Payload::text(&s[..floor_char_boundary(s, cap)])
            }
            PayloadKind::Bytes => Payload::bytes(&self.body()[..cap]),
            _ => {
                let mut json = value::render_json(self.encoding());
                json.truncate(floor_char_boundary(&json, cap));
                Payload::text(json)
            }
        })
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

impl From<&str> for Payload {
    fn from(s: &str) -> Self {
        Payload::text(s)
    }
}

impl From<String> for Payload {
    fn from(s: String) -> Self {
        Payload::text(s)
    }
}

impl From<&[u8]> for Payload {
    fn from(b: &[u8]) -> Self {
        Payload::bytes(b)
    }
}

impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Self {
        Payload::bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_of_text_is_utf8_length() {
        assert_eq!(Payload::text("héllo").size(), 6);
    }

    #[test]
    fn size_of_structured_is_compact_json_length() {
        let p = Payload::from_json(r#" { "a" : [1, 2.5, true, null] } "#).unwrap();
        assert_eq!(p.kind(), PayloadKind::Value);
        assert_eq!(p.to_json(), r#"{"a":[1,2.5,true,null]}"#);
        assert_eq!(p.size(), p.to_json().len());
    }

    #[test]
    fn json_string_becomes_text() {
        let p = Payload::from_json(r#""hi""#).unwrap();
        assert_eq!(p.as_text(), Some("hi"));
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(matches!(
            Payload::from_json("{"),
            Err(HistoryError::InvalidJson(_))
        ));
        assert!(matches!(
            Payload::args_from_json("{}"),
            Err(HistoryError::InvalidPayload(_))
        ));
    }

    #[test]
    fn text_truncation_never_splits_a_character() {
        let p = Payload::text("aé€");
        assert_eq!(p.truncated(2).unwrap().as_text(), Some("a"));
        assert_eq!(p.truncated(3).unwrap().as_text(), Some("aé"));
        assert_eq!(p.truncated(5).unwrap().as_text(), Some("aé"));
        assert_eq!(p.truncated(0).unwrap().as_text(), Some(""));
        assert!(p.truncated(6).is_none());
    }

    #[test]
    fn bytes_truncation_keeps_a_prefix() {
        let p = Payload::bytes(vec![1, 2, 3, 4]);
        assert_eq!(p.truncated(2).unwrap().as_bytes(), Some(&[1, 2][..]));
        assert!(p.truncated(4).is_none());
    }

    #[test]
    fn structured_truncation_is_a_json_text_prefix() {
        let p = Payload::from_json(r#"{"k":"ééé"}"#).unwrap();
        let t = p.truncated(9).unwrap();
        assert_eq!(t.kind(), PayloadKind::Text);
        assert_eq!(t.as_text(), Some(r#"{"k":"é"#));
    }

    #[test]
    fn args_read_back_as_a_list() {
        let p = Payload::args_from_json(r#"["a", 1]"#).unwrap();
        assert_eq!(p.kind(), PayloadKind::Args);
        let toks: Vec<_> = p.tokens().unwrap().collect();
        assert_eq!(
            toks,
            [
                value::Token::List(2),
                value::Token::Str("a"),
                value::Token::Int(1)
            ]
        );
        assert_eq!(p.to_json(), r#"["a",1]"#);
    }
}
