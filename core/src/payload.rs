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

#[derive(Clone, PartialEq)]
enum Repr {
    Text(Box<str>),
    Bytes(Box<[u8]>),
    Encoded {
        buf: Box<[u8]>,
        size: usize,
        args: bool,
    },
}

/// An emit's payload. Immutable once built: what was stored is a snapshot.
///
/// Its [`size`](Payload::size) is the UTF-8 length of text, the length of
/// bytes, and for anything else the length of its compact JSON text plus the
/// bytes of its binary leaves.
#[derive(Clone, PartialEq)]
pub struct Payload {
    repr: Repr,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.repr {
            Repr::Text(s) => f.debug_tuple("Text").field(s).finish(),
            Repr::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Repr::Encoded { .. } => f
                .debug_tuple(if self.kind() == PayloadKind::Args {
                    "Args"
                } else {
                    "Value"
                })
                .field(&self.to_json())
                .finish(),
        }
    }
}

impl Payload {
    /// A text payload.
    pub fn text(s: impl Into<Box<str>>) -> Self {
        Payload {
            repr: Repr::Text(s.into()),
        }
    }

    /// A binary payload.
    pub fn bytes(b: impl Into<Box<[u8]>>) -> Self {
        Payload {
            repr: Repr::Bytes(b.into()),
        }
    }

    /// Parse and keep a JSON document. A top-level JSON string becomes a
    /// [`Text`](PayloadKind::Text) payload; anything else a
    /// [`Value`](PayloadKind::Value).
    pub fn from_json(text: &str) -> Result<Self> {
        let doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| HistoryError::InvalidPayload(format!("invalid JSON: {e}")))?;
        let mut w = ValueWriter::new();
        value::write_json_value(&mut w, &doc)?;
        Self::from_writer(w)
    }

    /// Several arguments from a JSON array: each element is one argument.
    pub fn args_from_json(text: &str) -> Result<Self> {
        let doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| HistoryError::InvalidPayload(format!("invalid JSON: {e}")))?;
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
            match Tokens::new(&e.buf).next() {
                Some(value::Token::Str(s)) => return Ok(Self::text(s)),
                Some(value::Token::Bytes(b)) => return Ok(Self::bytes(b)),
                _ => {}
            }
        }
        Ok(Payload {
            repr: Repr::Encoded {
                buf: e.buf,
                size: e.size,
                args: e.args,
            },
        })
    }

    /// The payload's form.
    pub fn kind(&self) -> PayloadKind {
        match &self.repr {
            Repr::Text(_) => PayloadKind::Text,
            Repr::Bytes(_) => PayloadKind::Bytes,
            Repr::Encoded { args: false, .. } => PayloadKind::Value,
            Repr::Encoded { args: true, .. } => PayloadKind::Args,
        }
    }

    /// Size in bytes, as the retention and truncation rules count it.
    pub fn size(&self) -> usize {
        match &self.repr {
            Repr::Text(s) => s.len(),
            Repr::Bytes(b) => b.len(),
            Repr::Encoded { size, .. } => *size,
        }
    }

    /// The text of a `Text` payload.
    pub fn as_text(&self) -> Option<&str> {
        match &self.repr {
            Repr::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a `Bytes` payload.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The tokens of a `Value` or `Args` payload (an `Args` payload reads as
    /// one `List` of its arguments).
    pub fn tokens(&self) -> Option<Tokens<'_>> {
        match &self.repr {
            Repr::Encoded { buf, .. } => Some(Tokens::new(buf)),
            _ => None,
        }
    }

    /// Compact JSON text: `Text` as a JSON string, `Bytes` as one attachment
    /// placeholder (like a binary leaf), `Value` as itself, `Args` as an
    /// array of the arguments.
    pub fn to_json(&self) -> String {
        match &self.repr {
            Repr::Text(s) => serde_json::to_string(&**s).unwrap_or_default(),
            Repr::Bytes(_) => r#"{"_placeholder":true,"num":0}"#.to_owned(),
            Repr::Encoded { buf, .. } => value::render_json(buf),
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
        Some(match &self.repr {
            Repr::Text(s) => Payload::text(&s[..floor_char_boundary(s, cap)]),
            Repr::Bytes(b) => Payload::bytes(&b[..cap]),
            Repr::Encoded { buf, .. } => {
                let mut json = value::render_json(buf);
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
        assert!(Payload::from_json("{").is_err());
        assert!(Payload::args_from_json("{}").is_err());
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
