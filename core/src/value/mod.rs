//! Compact encoding of structured payloads: JSON-like trees that may hold
//! binary leaves, stored in one allocation per payload.
//!
//! Bindings never build an intermediate tree: they push their native values
//! into a [`ValueWriter`] and read them back as a flat stream of [`Token`]s.
//! The writer checks the shape as it goes (so a finished encoding is always
//! well formed) and adds up the payload's compact-JSON length on the way, so
//! sizing a payload costs no second pass.
//!
//! Compact JSON text follows serde_json's rules (UTF-8 kept as is, `"` `\`
//! and control characters escaped). Two extensions keep Python's data
//! lossless: non-finite floats render as `NaN`, `Infinity`, `-Infinity` (as
//! Python's `json.dumps` does), and a binary leaf renders as Socket.IO's
//! attachment placeholder `{"_placeholder":true,"num":N}`.
//!
//! The parts: [`writer`] builds an encoding, [`reader`] reads it back as
//! tokens, `json` renders and measures compact JSON text.

mod json;
mod reader;
mod writer;

pub use json::JsonStyle;
pub(crate) use json::{render_json, render_value, write_json_value, write_str};
pub use reader::Tokens;
pub use writer::ValueWriter;

/// Deepest nesting of lists and maps a payload may have (serde_json's own
/// default limit). Deeper payloads are refused, never recursed into.
pub const MAX_DEPTH: usize = 128;

/// The byte that starts each item of an encoding.
mod tag {
    pub const NULL: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const INT: u8 = 3;
    pub const BIG_INT: u8 = 4;
    pub const FLOAT: u8 = 5;
    pub const STR: u8 = 6;
    pub const BYTES: u8 = 7;
    pub const LIST: u8 = 8;
    pub const MAP: u8 = 9;
    pub const KEY: u8 = 10;
}

/// One item of an encoded value, in document order. A `List(n)` is followed
/// by its `n` values; a `Map(n)` by `n` pairs of `Key` and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Token<'a> {
    /// JSON `null` / Python `None`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A larger integer, as its decimal text (`-?[0-9]+`).
    BigInt(&'a str),
    /// A float (possibly non-finite).
    Float(f64),
    /// A text string.
    Str(&'a str),
    /// A binary leaf.
    Bytes(&'a [u8]),
    /// Start of a list with this many items.
    List(usize),
    /// Start of a map with this many entries.
    Map(usize),
    /// A map key; the value follows.
    Key(&'a str),
}

#[cfg(test)]
mod tests {
    use super::writer::{Encoded, HEADER};
    use super::*;
    use crate::error::{HistoryError, Result};

    fn encode(f: impl FnOnce(&mut ValueWriter) -> Result<()>) -> Result<Encoded> {
        let mut w = ValueWriter::new();
        f(&mut w)?;
        let mut e = w.finish()?;
        e.buf = e.buf[HEADER..].into();
        Ok(e)
    }

    #[test]
    fn json_length_is_counted_while_writing() {
        let e = encode(|w| {
            w.begin_map(3)?;
            w.key("a\"b")?;
            w.begin_list(4)?;
            w.int(-120)?;
            w.float(1.5)?;
            w.null()?;
            w.str("é\n\u{1}")?;
            w.key("n")?;
            w.bool(false)?;
            w.key("big")?;
            w.big_int("123456789012345678901234567890")
        })
        .unwrap();
        let text = render_json(&e.buf);
        assert_eq!(
            text,
            r#"{"a\"b":[-120,1.5,null,"é\n\u0001"],"n":false,"big":123456789012345678901234567890}"#
        );
        assert_eq!(e.size, text.len());
    }

    #[test]
    fn binary_leaves_render_as_placeholders_and_count_their_bytes() {
        let e = encode(|w| {
            w.begin_list(2)?;
            w.bytes(b"abc")?;
            w.bytes(&[0; 10])
        })
        .unwrap();
        let text = render_json(&e.buf);
        assert_eq!(
            text,
            r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        );
        assert_eq!(e.size, text.len() + 13);
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        assert!(encode(|w| w.begin_list(2).and_then(|_| w.null())).is_err());
        assert!(encode(|w| w.begin_map(1).and_then(|_| w.null())).is_err());
        assert!(encode(|w| w.key("k")).is_err());
        assert!(encode(|w| w.null().and_then(|_| w.null())).is_err());
        assert!(encode(|w| w.big_int("12a")).is_err());
        assert!(encode(|w| w.big_int("-")).is_err());
        assert!(ValueWriter::new().finish().is_err());
    }

    #[test]
    fn nesting_deeper_than_max_depth_is_refused() {
        let ok = encode(|w| {
            (0..MAX_DEPTH).try_for_each(|_| w.begin_list(1))?;
            w.null()
        });
        assert!(ok.is_ok());
        let too_deep = encode(|w| {
            (0..=MAX_DEPTH).try_for_each(|_| w.begin_list(1))?;
            w.null()
        });
        assert!(matches!(too_deep, Err(HistoryError::InvalidPayload(_))));
    }

    #[test]
    fn args_do_not_count_as_nesting() {
        let mut w = ValueWriter::args(1);
        (0..MAX_DEPTH).try_for_each(|_| w.begin_list(1)).unwrap();
        w.null().unwrap();
        assert!(w.finish().unwrap().args);
    }

    #[test]
    fn impossible_lengths_are_an_error_not_an_overflow() {
        for len in [usize::MAX, usize::MAX / 2, usize::MAX / 2 + 1] {
            let mut w = ValueWriter::new();
            w.begin_list(len).unwrap();
            w.null().unwrap();
            assert!(w.finish().is_err());
            let mut w = ValueWriter::new();
            w.begin_map(len).unwrap();
            assert!(w.finish().is_err());
            assert!(ValueWriter::args(len).finish().is_err());
        }
    }

    #[test]
    fn non_finite_floats_render_like_python() {
        for (v, s) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            let e = encode(|w| w.float(v)).unwrap();
            assert_eq!(render_json(&e.buf), s);
            assert_eq!(e.size, s.len());
        }
    }
}
