//! The journal's field encoding: LEB128 varints, little-endian `f64`s, and
//! length-prefixed byte strings. Decoding never panics: anything short or
//! malformed is an error.

use std::fmt;

/// A record body that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed record: {}", self.0)
    }
}

pub(crate) type Decoded<T> = std::result::Result<T, Malformed>;

/// Appends fields to a record body.
#[derive(Debug, Default)]
pub(crate) struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub fn usize(&mut self, v: usize) {
        self.var(v as u64);
    }

    pub fn opt(&mut self, v: Option<u64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.var(v);
            }
        }
    }

    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.usize(b.len());
        self.buf.extend_from_slice(b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }

    pub fn bool(&mut self, b: bool) {
        self.u8(u8::from(b));
    }
}

/// Reads fields from a record body.
pub(crate) struct Dec<'a> {
    rest: &'a [u8],
}

impl<'a> Dec<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Dec { rest: body }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Decoded<&'a [u8]> {
        if self.rest.len() < n {
            return Err(Malformed("truncated field"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub fn u8(&mut self) -> Decoded<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn var(&mut self) -> Decoded<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(Malformed("varint overflows"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Malformed("varint too long"))
    }

    pub fn usize(&mut self) -> Decoded<usize> {
        usize::try_from(self.var()?).map_err(|_| Malformed("count beyond the address space"))
    }

    pub fn opt(&mut self) -> Decoded<Option<u64>> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.var()?)),
            _ => Err(Malformed("bad option tag")),
        }
    }

    pub fn opt_usize(&mut self) -> Decoded<Option<usize>> {
        // Larger than the address space: "more than anything held".
        Ok(self
            .opt()?
            .map(|v| usize::try_from(v).unwrap_or(usize::MAX)))
    }

    pub fn f64(&mut self) -> Decoded<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    pub fn bytes(&mut self) -> Decoded<&'a [u8]> {
        let n = self.usize()?;
        self.take(n)
    }

    pub fn str(&mut self) -> Decoded<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Malformed("string is not UTF-8"))
    }

    pub fn opt_str(&mut self) -> Decoded<Option<&'a str>> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.str()?)),
            _ => Err(Malformed("bad option tag")),
        }
    }

    pub fn bool(&mut self) -> Decoded<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Malformed("bad flag")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let mut e = Enc::default();
        for v in [0, 1, 127, 128, 300, u64::MAX - 1, u64::MAX] {
            e.var(v);
            e.opt(Some(v));
        }
        e.opt(None);
        e.f64(-1.5);
        e.str("héllo");
        e.opt_str(None);
        e.opt_str(Some(""));
        e.bool(true);
        let mut d = Dec::new(&e.buf);
        for v in [0, 1, 127, 128, 300, u64::MAX - 1, u64::MAX] {
            assert_eq!(d.var().unwrap(), v);
            assert_eq!(d.opt().unwrap(), Some(v));
        }
        assert_eq!(d.opt().unwrap(), None);
        assert_eq!(d.f64().unwrap(), -1.5);
        assert_eq!(d.str().unwrap(), "héllo");
        assert_eq!(d.opt_str().unwrap(), None);
        assert_eq!(d.opt_str().unwrap(), Some(""));
        assert!(d.bool().unwrap());
        assert!(d.is_empty());
    }

    #[test]
    fn short_or_bad_input_is_an_error_never_a_panic() {
        assert!(Dec::new(&[0x80]).var().is_err());
        assert!(Dec::new(&[0xff; 11]).var().is_err());
        assert!(Dec::new(&[5, b'a']).str().is_err());
        assert!(Dec::new(&[2, 0xc3, 0x28]).str().is_err());
        assert!(Dec::new(&[1, 2, 3]).f64().is_err());
        assert!(Dec::new(&[2]).bool().is_err());
    }
}
