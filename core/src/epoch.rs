//! Epochs: a short random name for one lifetime of a room, so a client's
//! cursor from an earlier lifetime (or another process) can be recognised.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

const LEN: usize = 12;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A room lifetime's epoch: 12 characters of Crockford base32 (60 random bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Epoch([u8; LEN]);

impl Epoch {
    /// Draw a new epoch. Randomness comes from the standard library's
    /// per-process random hash keys, mixed with a counter and the time, so no
    /// extra dependency is needed for 60 unpredictable bits.
    pub fn generate() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let mut v = h.finish();
        let mut out = [0u8; LEN];
        for c in &mut out {
            *c = ALPHABET[(v & 31) as usize];
            v >>= 5;
        }
        Epoch(out)
    }

    /// An epoch's text back, if it is one (12 characters of the alphabet).
    pub fn parse(text: &str) -> Option<Epoch> {
        let bytes: [u8; LEN] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| ALPHABET.contains(b))
            .then_some(Epoch(bytes))
    }

    /// The epoch as text.
    pub fn as_str(&self) -> &str {
        // Only ALPHABET's ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl std::fmt::Display for Epoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Epoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Epoch({})", self.as_str())
    }
}

impl PartialEq<str> for Epoch {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_short_and_distinct() {
        let a = Epoch::generate();
        let b = Epoch::generate();
        assert_eq!(a.as_str().len(), 12);
        assert_ne!(a, b);
        assert_eq!(Epoch::parse(a.as_str()), Some(a));
        assert_eq!(Epoch::parse("ABCDEFGHJKMN"), None);
        assert_eq!(Epoch::parse("0123456789a"), None);
        assert_eq!(Epoch::parse("0123456789ai"), None); // no i in the alphabet
    }
}
