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

use crate::error::{HistoryError, Result};
use std::io::Write;

/// Deepest nesting of lists and maps a payload may have (serde_json's own
/// default limit). Deeper payloads are refused, never recursed into.
pub const MAX_DEPTH: usize = 128;

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

#[derive(Debug)]
struct Frame {
    remaining: usize,
    is_map: bool,
    want_key: bool,
}

/// Builds a structured payload value by value. Misuse (a value where a key is
/// due, too few items, nesting deeper than [`MAX_DEPTH`]) is an error, never
/// a panic or a malformed payload.
#[derive(Debug)]
pub struct ValueWriter {
    buf: Vec<u8>,
    json_len: usize,
    binary_len: usize,
    binaries: usize,
    stack: Vec<Frame>,
    args: bool,
    done: bool,
}

impl ValueWriter {
    /// A writer for one value.
    pub fn new() -> Self {
        // Typical payloads fit without regrowing. The first bytes are left
        // for the payload's header (kind and size), filled in at the end.
        let mut buf = Vec::with_capacity(256);
        buf.resize(HEADER, 0);
        ValueWriter {
            buf,
            json_len: 0,
            binary_len: 0,
            binaries: 0,
            stack: Vec::new(),
            args: false,
            done: false,
        }
    }

    /// A writer for `count` arguments of one emit (Python's top-level tuple).
    /// The finished payload is of kind [`PayloadKind::Args`](crate::PayloadKind::Args).
    pub fn args(count: usize) -> Self {
        let mut w = Self::new();
        w.args = true;
        // The argument list itself is not user nesting; `begin` skips the
        // depth check for it because the stack is empty.
        w.begin(tag::LIST, count, if count == 0 { 2 } else { count + 1 })
            .expect("a fresh writer accepts a list");
        w
    }

    fn before_value(&mut self) -> Result<()> {
        if self.done {
            return Err(misuse("a value after the payload was complete"));
        }
        match self.stack.last() {
            Some(f) if f.is_map && f.want_key => Err(misuse("a value where a map key is due")),
            _ => Ok(()),
        }
    }

    fn after_value(&mut self) {
        loop {
            let Some(top) = self.stack.last_mut() else {
                self.done = true;
                return;
            };
            top.remaining -= 1;
            top.want_key = top.is_map;
            if top.remaining > 0 {
                return;
            }
            // The container is complete: it counts as one value of its parent.
            self.stack.pop();
        }
    }

    fn begin(&mut self, t: u8, n: usize, json: usize) -> Result<()> {
        self.before_value()?;
        let user_depth = self.stack.len() + usize::from(!self.args);
        if !self.stack.is_empty() && user_depth > MAX_DEPTH {
            return Err(HistoryError::InvalidPayload(format!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        self.buf.push(t);
        put_varint(&mut self.buf, n as u64);
        self.json_len += json;
        if n == 0 {
            self.after_value();
        } else {
            self.stack.push(Frame {
                remaining: n,
                is_map: t == tag::MAP,
                want_key: t == tag::MAP,
            });
        }
        Ok(())
    }

    fn scalar(&mut self, bytes: &[u8], json: usize) -> Result<()> {
        self.before_value()?;
        self.buf.extend_from_slice(bytes);
        self.json_len += json;
        self.after_value();
        Ok(())
    }

    /// Start a list of exactly `len` items.
    pub fn begin_list(&mut self, len: usize) -> Result<()> {
        self.begin(tag::LIST, len, if len == 0 { 2 } else { len + 1 })
    }

    /// Start a map of exactly `len` entries; each is a [`key`](Self::key) then a value.
    pub fn begin_map(&mut self, len: usize) -> Result<()> {
        self.begin(tag::MAP, len, if len == 0 { 2 } else { 2 * len + 1 })
    }

    /// The key of the next map entry.
    pub fn key(&mut self, key: &str) -> Result<()> {
        match self.stack.last_mut() {
            Some(f) if f.is_map && f.want_key => f.want_key = false,
            _ => return Err(misuse("a map key outside a map or where a value is due")),
        }
        self.buf.push(tag::KEY);
        put_str(&mut self.buf, key);
        self.json_len += escaped_len(key);
        Ok(())
    }

    /// `null`.
    pub fn null(&mut self) -> Result<()> {
        self.scalar(&[tag::NULL], 4)
    }

    /// A boolean.
    pub fn bool(&mut self, v: bool) -> Result<()> {
        if v {
            self.scalar(&[tag::TRUE], 4)
        } else {
            self.scalar(&[tag::FALSE], 5)
        }
    }

    /// An integer.
    pub fn int(&mut self, v: i64) -> Result<()> {
        let mut b = [0u8; 9];
        b[0] = tag::INT;
        b[1..].copy_from_slice(&v.to_le_bytes());
        self.scalar(&b, int_len(v))
    }

    /// An integer outside `i64`, as decimal text `-?[0-9]+`.
    pub fn big_int(&mut self, digits: &str) -> Result<()> {
        let body = digits.strip_prefix('-').unwrap_or(digits);
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HistoryError::InvalidPayload(
                "an integer's text must be -?[0-9]+".into(),
            ));
        }
        self.before_value()?;
        self.buf.push(tag::BIG_INT);
        put_str(&mut self.buf, digits);
        self.json_len += digits.len();
        self.after_value();
        Ok(())
    }

    /// A float; NaN and infinities are kept.
    pub fn float(&mut self, v: f64) -> Result<()> {
        let mut b = [0u8; 9];
        b[0] = tag::FLOAT;
        b[1..].copy_from_slice(&v.to_bits().to_le_bytes());
        let mut counter = Counter(0);
        write_float(&mut counter, v);
        self.scalar(&b, counter.0)
    }

    /// A text string.
    pub fn str(&mut self, v: &str) -> Result<()> {
        self.before_value()?;
        self.buf.push(tag::STR);
        put_str(&mut self.buf, v);
        self.json_len += escaped_len(v);
        self.after_value();
        Ok(())
    }

    /// A binary leaf.
    pub fn bytes(&mut self, v: &[u8]) -> Result<()> {
        self.before_value()?;
        self.buf.push(tag::BYTES);
        put_varint(&mut self.buf, v.len() as u64);
        self.buf.extend_from_slice(v);
        self.json_len += placeholder_len(self.binaries);
        self.binaries += 1;
        self.binary_len += v.len();
        self.after_value();
        Ok(())
    }

    /// The finished encoding: (bytes, is_args, size). Errors if incomplete.
    pub(crate) fn finish(self) -> Result<Encoded> {
        if !self.done {
            return Err(misuse(
                "the payload is incomplete (a list or map is missing items)",
            ));
        }
        Ok(Encoded {
            buf: self.buf.into_boxed_slice(),
            args: self.args,
            size: self.json_len + self.binary_len,
        })
    }
}

/// A finished encoding: `buf` starts with [`HEADER`] bytes left for the
/// payload's kind and size.
impl Default for ValueWriter {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) struct Encoded {
    pub buf: Box<[u8]>,
    pub args: bool,
    pub size: usize,
}

/// Bytes reserved at the front of an encoding for the payload header.
pub(crate) const HEADER: usize = 9;

fn misuse(what: &str) -> HistoryError {
    HistoryError::InvalidPayload(format!("payload writer misuse: {what}"))
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_varint(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

/// Reads an encoding back as [`Token`]s.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Tokens { buf, pos: 0 }
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
        }
    }

    fn slice(&mut self, len: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len;
        Some(s)
    }

    fn fixed8(&mut self) -> Option<[u8; 8]> {
        self.slice(8)?.try_into().ok()
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.varint()?).ok()?;
        // The writer only ever stored `&str`s here, so this cannot fail; the
        // check keeps the reader free of `unsafe`.
        std::str::from_utf8(self.slice(len)?).ok()
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.byte()?;
        Some(match t {
            tag::NULL => Token::Null,
            tag::FALSE => Token::Bool(false),
            tag::TRUE => Token::Bool(true),
            tag::INT => Token::Int(i64::from_le_bytes(self.fixed8()?)),
            tag::BIG_INT => Token::BigInt(self.text()?),
            tag::FLOAT => Token::Float(f64::from_bits(u64::from_le_bytes(self.fixed8()?))),
            tag::STR => Token::Str(self.text()?),
            tag::KEY => Token::Key(self.text()?),
            tag::BYTES => {
                let len = usize::try_from(self.varint()?).ok()?;
                Token::Bytes(self.slice(len)?)
            }
            tag::LIST => Token::List(usize::try_from(self.varint()?).ok()?),
            tag::MAP => Token::Map(usize::try_from(self.varint()?).ok()?),
            _ => return None,
        })
    }
}

/// Render an encoding as compact JSON text (see the module docs).
pub(crate) fn render_json(buf: &[u8]) -> String {
    let mut out = Vec::with_capacity(buf.len() + 16);
    let mut tokens = Tokens::new(buf);
    let mut binaries = 0;
    render_value(&mut tokens, &mut out, &mut binaries);
    // Every piece written is valid UTF-8 (escaped `&str`s and ASCII).
    String::from_utf8(out).unwrap_or_default()
}

fn render_value(t: &mut Tokens<'_>, out: &mut Vec<u8>, binaries: &mut usize) {
    let Some(tok) = t.next() else { return };
    match tok {
        Token::Null => out.extend_from_slice(b"null"),
        Token::Bool(true) => out.extend_from_slice(b"true"),
        Token::Bool(false) => out.extend_from_slice(b"false"),
        Token::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Token::BigInt(s) => out.extend_from_slice(s.as_bytes()),
        Token::Float(v) => write_float(out, v),
        Token::Str(s) | Token::Key(s) => write_escaped(out, s),
        Token::Bytes(_) => {
            let _ = write!(out, "{{\"_placeholder\":true,\"num\":{binaries}}}");
            *binaries += 1;
        }
        Token::List(n) => {
            out.push(b'[');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                render_value(t, out, binaries);
            }
            out.push(b']');
        }
        Token::Map(n) => {
            out.push(b'{');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                render_value(t, out, binaries); // the key
                out.push(b':');
                render_value(t, out, binaries);
            }
            out.push(b'}');
        }
    }
}

/// Counts what would be written.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_float(out: &mut impl Write, v: f64) {
    let _ = if v.is_nan() {
        out.write_all(b"NaN")
    } else if v.is_infinite() {
        out.write_all(if v > 0.0 { b"Infinity" } else { b"-Infinity" })
    } else {
        serde_json::to_writer(out, &v).map_err(std::io::Error::other)
    };
}

fn int_len(v: i64) -> usize {
    let mut n = usize::from(v < 0);
    let mut u = v.unsigned_abs();
    loop {
        n += 1;
        u /= 10;
        if u == 0 {
            return n;
        }
    }
}

fn placeholder_len(num: usize) -> usize {
    // {"_placeholder":true,"num":N}
    28 + int_len(num as i64)
}

/// Length of `s` as a JSON string literal, quotes included.
pub(crate) fn escaped_len(s: &str) -> usize {
    // Most strings need no escaping: a byte-wide OR over 64-byte chunks
    // (which the compiler vectorises) tells, and only then are the special
    // bytes walked one by one.
    let special = s.as_bytes().chunks(64).any(|chunk| {
        chunk.iter().fold(0u8, |acc, &b| {
            acc | u8::from(b < 0x20 || b == b'"' || b == b'\\')
        }) != 0
    });
    if !special {
        return s.len() + 2;
    }
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn write_escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for b in s.bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x00..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Push a parsed JSON document into a writer.
pub(crate) fn write_json_value(w: &mut ValueWriter, v: &serde_json::Value) -> Result<()> {
    use serde_json::Value as J;
    match v {
        J::Null => w.null(),
        J::Bool(b) => w.bool(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                w.int(i)
            } else if let Some(u) = n.as_u64() {
                w.big_int(&u.to_string())
            } else {
                w.float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        J::String(s) => w.str(s),
        J::Array(items) => {
            w.begin_list(items.len())?;
            items.iter().try_for_each(|i| write_json_value(w, i))
        }
        J::Object(map) => {
            w.begin_map(map.len())?;
            map.iter().try_for_each(|(k, v)| {
                w.key(k)?;
                write_json_value(w, v)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
