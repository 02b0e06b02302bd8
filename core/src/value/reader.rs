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
