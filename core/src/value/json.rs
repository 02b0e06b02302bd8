//! Compact JSON: rendering an encoding as text, measuring the text of each
//! kind of value, and taking a parsed JSON document in.

use super::{Token, Tokens, ValueWriter};
use crate::error::Result;
use std::io::Write;

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
