//! [`ValueWriter`]: builds a payload's encoding value by value, checking its
//! shape and adding up its compact-JSON length as it goes.

use super::json::{escaped_len, float_len, int_len, placeholder_len};
use super::{tag, MAX_DEPTH};
use crate::error::{HistoryError, Result};

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
        w.begin(tag::LIST, count, list_json_len(count))
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
        self.json_len = self.json_len.saturating_add(json);
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
        self.json_len = self.json_len.saturating_add(json);
        self.after_value();
        Ok(())
    }

    /// Start a list of exactly `len` items.
    pub fn begin_list(&mut self, len: usize) -> Result<()> {
        self.begin(tag::LIST, len, list_json_len(len))
    }

    /// Start a map of exactly `len` entries; each is a [`key`](Self::key) then a value.
    pub fn begin_map(&mut self, len: usize) -> Result<()> {
        // `{`, `}`, a `:` per entry and the commas between entries.
        self.begin(
            tag::MAP,
            len,
            len.saturating_mul(2).saturating_add(1).max(2),
        )
    }

    /// The key of the next map entry.
    pub fn key(&mut self, key: &str) -> Result<()> {
        match self.stack.last_mut() {
            Some(f) if f.is_map && f.want_key => f.want_key = false,
            _ => return Err(misuse("a map key outside a map or where a value is due")),
        }
        self.buf.push(tag::KEY);
        put_str(&mut self.buf, key);
        self.json_len = self.json_len.saturating_add(escaped_len(key));
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
        self.json_len = self.json_len.saturating_add(digits.len());
        self.after_value();
        Ok(())
    }

    /// A float; NaN and infinities are kept.
    pub fn float(&mut self, v: f64) -> Result<()> {
        let mut b = [0u8; 9];
        b[0] = tag::FLOAT;
        b[1..].copy_from_slice(&v.to_bits().to_le_bytes());
        self.scalar(&b, float_len(v))
    }

    /// A text string.
    pub fn str(&mut self, v: &str) -> Result<()> {
        self.before_value()?;
        self.buf.push(tag::STR);
        put_str(&mut self.buf, v);
        self.json_len = self.json_len.saturating_add(escaped_len(v));
        self.after_value();
        Ok(())
    }

    /// A binary leaf.
    pub fn bytes(&mut self, v: &[u8]) -> Result<()> {
        self.before_value()?;
        self.buf.push(tag::BYTES);
        put_varint(&mut self.buf, v.len() as u64);
        self.buf.extend_from_slice(v);
        self.json_len = self.json_len.saturating_add(placeholder_len(self.binaries));
        self.binaries += 1;
        self.binary_len = self.binary_len.saturating_add(v.len());
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
            size: self.json_len.saturating_add(self.binary_len),
        })
    }
}

impl Default for ValueWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// A finished encoding: `buf` starts with [`HEADER`] bytes left for the
/// payload's kind and size.
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

/// `[`, `]` and the commas between `len` items (saturating: a writer told of
/// more items than memory holds fails when finished, never overflows).
fn list_json_len(len: usize) -> usize {
    len.saturating_add(1).max(2)
}
