//! Message ids: given by the caller (so the app can put one in its payload)
//! or drawn at random.

use crate::error::{HistoryError, Result};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Longest id in bytes.
pub const MAX_LEN: usize = 128;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A message's id: 1–128 bytes of UTF-8 without whitespace or control
/// characters. Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(Arc<str>);

impl MessageId {
    /// Check a caller's id.
    pub fn new(id: &str) -> Result<Self> {
        Self::check(id)?;
        Ok(MessageId(id.into()))
    }

    /// Whether `id` is a well-formed id (without making one: the store's
    /// operations look messages up by `&str`).
    pub fn check(id: &str) -> Result<()> {
        if id.is_empty() || id.len() > MAX_LEN {
            return Err(HistoryError::invalid(
                "message_id",
                format!("must be 1 to {MAX_LEN} bytes long, got {}", id.len()),
            ));
        }
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(HistoryError::invalid(
                "message_id",
                "must not contain whitespace or control characters",
            ));
        }
        Ok(())
    }

    /// A fresh random id: 26 characters of Crockford base32 (128 bits from
    /// the standard library's random hash keys, a counter and the time).
    pub fn generate() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let draw = |salt: u64| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_u64(salt);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.finish()
        };
        let bits = (u128::from(draw(1)) << 64) | u128::from(draw(2));
        let text: String = (0..26)
            .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
            .collect();
        MessageId(text.into())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageId({:?})", &*self.0)
    }
}

impl std::borrow::Borrow<str> for MessageId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        for bad in ["", "a b", "a\tb", "a\nb", "x\u{0}", "\u{00a0}"] {
            assert_eq!(MessageId::new(bad).unwrap_err().param(), Some("message_id"));
        }
        assert!(MessageId::new(&"é".repeat(64)).is_ok()); // 128 bytes
        assert!(MessageId::new(&"é".repeat(65)).is_err());
        assert_eq!(MessageId::new("m-1").unwrap().as_str(), "m-1");
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let a = MessageId::generate();
        let b = MessageId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 26);
        assert_eq!(MessageId::new(a.as_str()).unwrap(), a);
    }
}
