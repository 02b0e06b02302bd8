//! Compact JSON: rendering an encoding as text, measuring the text of each
//! kind of value, and taking a parsed JSON document in.

use super::{Token, Tokens, ValueWriter};
use crate::error::Result;
use std::io::Write;

/// How JSON text is written: both compact (no spaces), differing in what
/// they escape and how they write floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum JsonStyle {
    /// serde_json's: UTF-8 kept as is, floats in their shortest form.
    #[default]
    Compact,
    /// What Python's `json.dumps(v, separators=(",", ":"))` writes, which is
    /// what python-socketio sends: everything outside printable ASCII as
    /// `\uXXXX` escapes (surrogate pairs beyond the BMP), floats as
    /// `float.__repr__` (`1e+16`, `1.5e-07`, `100.0`).
    PythonAscii,
}

/// Render an encoding as compact JSON text (see the module docs).
pub(crate) fn render_json(buf: &[u8]) -> String {
    let mut out = Vec::with_capacity(buf.len() + 16);
    let mut tokens = Tokens::new(buf);
    let mut binaries = 0;
    let mut number = |_: &[u8]| {
        binaries += 1;
        binaries - 1
    };
    render_value(&mut tokens, &mut out, &mut number, JsonStyle::Compact);
    // Every piece written is valid UTF-8 (escaped `&str`s and ASCII).
    String::from_utf8(out).unwrap_or_default()
}

/// Render the next value of `t` into `out` in `style`. Each binary leaf is
/// handed to `binary`, in order, which returns the number its attachment
/// placeholder gets.
pub(crate) fn render_value<'a>(
    t: &mut Tokens<'a>,
    out: &mut Vec<u8>,
    binary: &mut dyn FnMut(&'a [u8]) -> usize,
    style: JsonStyle,
) {
    render(t, out, binary, style);
}

fn render<'a>(
    t: &mut Tokens<'a>,
    out: &mut Vec<u8>,
    binary: &mut dyn FnMut(&'a [u8]) -> usize,
    style: JsonStyle,
) {
    let Some(tok) = t.next() else { return };
    match tok {
        Token::Null => out.extend_from_slice(b"null"),
        Token::Bool(true) => out.extend_from_slice(b"true"),
        Token::Bool(false) => out.extend_from_slice(b"false"),
        Token::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Token::BigInt(s) => out.extend_from_slice(s.as_bytes()),
        Token::Float(v) => match style {
            JsonStyle::Compact => write_float(out, v),
            JsonStyle::PythonAscii => write_float_python(out, v),
        },
        Token::Str(s) | Token::Key(s) => write_str(out, s, style),
        Token::Bytes(b) => {
            let num = binary(b);
            let _ = write!(out, "{{\"_placeholder\":true,\"num\":{num}}}");
        }
        Token::List(n) => {
            out.push(b'[');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                render(t, out, binary, style);
            }
            out.push(b']');
        }
        Token::Map(n) => {
            out.push(b'{');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                render(t, out, binary, style); // the key
                out.push(b':');
                render(t, out, binary, style);
            }
            out.push(b'}');
        }
    }
}

/// `s` as a JSON string literal in `style`.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str, style: JsonStyle) {
    match style {
        JsonStyle::Compact => write_escaped(out, s),
        JsonStyle::PythonAscii => write_escaped_ascii(out, s),
    }
}

/// Length of a float's JSON text.
pub(super) fn float_len(v: f64) -> usize {
    let mut counter = Counter(0);
    write_float(&mut counter, v);
    counter.0
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

pub(super) fn int_len(v: i64) -> usize {
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

pub(super) fn placeholder_len(num: usize) -> usize {
    // {"_placeholder":true,"num":N}
    28 + int_len(num as i64)
}

/// Length of `s` as a JSON string literal, quotes included.
pub(super) fn escaped_len(s: &str) -> usize {
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

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The two-character escape of `b`, where JSON has one (both styles).
fn short_escape(b: u8) -> Option<&'static [u8]> {
    Some(match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        0x08 => b"\\b",
        0x09 => b"\\t",
        0x0a => b"\\n",
        0x0c => b"\\f",
        0x0d => b"\\r",
        _ => return None,
    })
}

/// `\\uXXXX` for one UTF-16 code unit.
fn u_escape(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)]);
    }
}

fn write_escaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for b in s.bytes() {
        match short_escape(b) {
            Some(e) => out.extend_from_slice(e),
            None if b < 0x20 => u_escape(out, u16::from(b)),
            None => out.push(b),
        }
    }
    out.push(b'"');
}

/// Whether every byte is printable ASCII other than `"` and `\\`: a
/// byte-wide fold over 64-byte chunks (which the compiler vectorises).
fn plain_ascii(s: &[u8]) -> bool {
    s.chunks(64).all(|chunk| {
        chunk.iter().fold(0u8, |acc, &b| {
            acc | u8::from(!(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\')
        }) == 0
    })
}

/// `s` as `json.dumps` (`ensure_ascii=True`) writes it.
fn write_escaped_ascii(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if plain_ascii(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    // Printable ASCII runs are copied whole; only the rest is looked at.
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        if let Some(e) = short_escape(b) {
            out.extend_from_slice(e);
            continue;
        }
        match b {
            0x00..=0x7f => u_escape(out, u16::from(b)),
            // A continuation byte: its character was escaped at its lead byte.
            0x80..=0xbf => {}
            _ => {
                let c = s[i..].chars().next().unwrap_or('\u{fffd}');
                let mut units = [0u16; 2];
                c.encode_utf16(&mut units)
                    .iter()
                    .for_each(|&u| u_escape(out, u));
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A float as Python's `float.__repr__` writes it: the shortest digits that
/// read back the same (as Rust's own formatting finds them), positional
/// when the decimal exponent is in `[-4, 16)`, else `d.ddde±XX`.
fn write_float_python(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        return write_float(out, v);
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    // `{:e}` gives "d.ddde-X": the shortest round-trip digits (at most 17
    // of them, so the text fits a small buffer on the stack).
    let mut buf = [0u8; 32];
    let len = {
        let mut cursor = &mut buf[..];
        let _ = write!(cursor, "{:e}", v.abs());
        32 - cursor.len()
    };
    let sci = &buf[..len];
    let e_at = sci.iter().position(|&b| b == b'e').unwrap_or(len);
    let mantissa = &sci[..e_at];
    let exp: i32 = std::str::from_utf8(&sci[(e_at + 1).min(len)..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 32];
    let mut n = 0;
    for &b in mantissa.iter().filter(|&&b| b != b'.') {
        digits[n] = b;
        n += 1;
    }
    let digits = &digits[..n];
    if v < 0.0 {
        out.push(b'-');
    }
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let n = digits.len() as i32;
        if point <= 0 {
            out.extend_from_slice(b"0.");
            (0..-point).for_each(|_| out.push(b'0'));
            out.extend_from_slice(digits);
        } else if point < n {
            let (int, frac) = digits.split_at(point as usize);
            out.extend_from_slice(int);
            out.push(b'.');
            out.extend_from_slice(frac);
        } else {
            out.extend_from_slice(digits);
            (0..point - n).for_each(|_| out.push(b'0'));
            out.extend_from_slice(b".0");
        }
    } else {
        out.extend_from_slice(mantissa);
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
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
