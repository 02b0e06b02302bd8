//! [`Tokens`]: reads an encoding back, item by item.

use super::{tag, Token};

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

    /// Whether every byte was read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Whether the encoding is exactly one value, nested at most
    /// `max_depth` deep, with every list and map whole (what a payload read
    /// back from disk must be before it is trusted).
    pub(crate) fn well_formed(buf: &'a [u8], max_depth: usize) -> bool {
        fn value(t: &mut Tokens<'_>, depth: usize, max: usize) -> bool {
            match t.next() {
                Some(Token::List(n)) if depth < max => (0..n).all(|_| value(t, depth + 1, max)),
                Some(Token::Map(n)) if depth < max => (0..n)
                    .all(|_| matches!(t.next(), Some(Token::Key(_))) && value(t, depth + 1, max)),
                Some(Token::BigInt(s)) => {
                    let digits = s.strip_prefix('-').unwrap_or(s);
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                }
                Some(Token::List(_) | Token::Map(_) | Token::Key(_)) | None => false,
                Some(_) => true,
            }
        }
        let mut t = Tokens::new(buf);
        value(&mut t, 0, max_depth) && t.at_end()
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
