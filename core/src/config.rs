//! A room's retention and read settings, and their validation.

use crate::error::{HistoryError, Result};
use crate::message::{
    DEFAULT_MAX_APPENDS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_OPEN_STREAMS,
    DEFAULT_MUTATION_PREFIX,
};
use std::sync::Arc;
use std::time::Duration;

/// Longest mutation prefix in bytes.
const MAX_PREFIX_LEN: usize = 128;

/// Default `max_entries` (CONTRACT.md, "Retention": 100).
pub const DEFAULT_MAX_ENTRIES: usize = 100;

/// How much history a room keeps, and how reads cut payloads by default.
///
/// The first bound hit wins; the oldest entries go first. Build one with
/// [`RoomConfig::default`] and the setters; [`HistoryStore::enable`]
/// validates it.
///
/// [`HistoryStore::enable`]: crate::HistoryStore::enable
#[derive(Debug, Clone, PartialEq)]
pub struct RoomConfig {
    /// Most entries kept (≥ 1). Surplus is counted in `evictions_size`.
    pub max_entries: usize,
    /// Oldest age kept, measured on the monotonic clock; `None` keeps entries
    /// forever. Expired entries are counted in `evictions_time`.
    pub retention: Option<Duration>,
    /// Most payload bytes kept (≥ 1); `None` for no byte bound. Surplus is
    /// counted in `evictions_bytes`; a single larger payload is not recorded
    /// and counts in `rejected_oversize`.
    pub max_bytes: Option<usize>,
    /// Default payload cap for reads of this room; a read's own cap replaces it.
    pub payload_size_cap: Option<usize>,
    /// Largest data of one mutable message, in bytes (streamed text
    /// accumulated; ≥ 1).
    pub max_message_bytes: usize,
    /// Most appends to one message (≥ 1); a final append of no text does not
    /// count.
    pub max_appends: usize,
    /// Most messages of the room appended to and not yet final (≥ 1).
    pub max_open_streams: usize,
    /// What the events mutations are emitted as begin with (the action
    /// follows: `"history:update"`); at most 128 bytes.
    pub mutation_prefix: Arc<str>,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            max_entries: DEFAULT_MAX_ENTRIES,
            retention: None,
            max_bytes: None,
            payload_size_cap: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_appends: DEFAULT_MAX_APPENDS,
            max_open_streams: DEFAULT_MAX_OPEN_STREAMS,
            mutation_prefix: DEFAULT_MUTATION_PREFIX.into(),
        }
    }
}

impl RoomConfig {
    /// Set `max_entries`.
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// Set the retention from seconds as the public APIs take it: `None` or
    /// `0` mean no expiry, otherwise a finite number > 0.
    pub fn retention_seconds(mut self, secs: Option<f64>) -> Result<Self> {
        self.retention = retention_from_seconds(secs)?;
        Ok(self)
    }

    /// Set the retention as a duration (`None` or zero: no expiry).
    pub fn retention(mut self, ttl: Option<Duration>) -> Self {
        self.retention = ttl;
        self
    }

    /// Set `max_bytes`.
    pub fn max_bytes(mut self, n: Option<usize>) -> Self {
        self.max_bytes = n;
        self
    }

    /// Set the default read cap.
    pub fn payload_size_cap(mut self, cap: Option<usize>) -> Self {
        self.payload_size_cap = cap;
        self
    }

    /// Set `max_message_bytes`.
    pub fn max_message_bytes(mut self, n: usize) -> Self {
        self.max_message_bytes = n;
        self
    }

    /// Set `max_appends`.
    pub fn max_appends(mut self, n: usize) -> Self {
        self.max_appends = n;
        self
    }

    /// Set `max_open_streams`.
    pub fn max_open_streams(mut self, n: usize) -> Self {
        self.max_open_streams = n;
        self
    }

    /// Set `mutation_prefix`.
    pub fn mutation_prefix(mut self, prefix: &str) -> Self {
        self.mutation_prefix = prefix.into();
        self
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.max_entries == 0 {
            return Err(HistoryError::invalid("max_entries", "must be at least 1"));
        }
        if self.max_bytes == Some(0) {
            return Err(HistoryError::invalid(
                "max_bytes",
                "must be at least 1 (or None for no byte bound)",
            ));
        }
        for (param, v) in [
            ("max_message_bytes", self.max_message_bytes),
            ("max_appends", self.max_appends),
            ("max_open_streams", self.max_open_streams),
        ] {
            if v == 0 {
                return Err(HistoryError::invalid(param, "must be at least 1"));
            }
        }
        if self.mutation_prefix.len() > MAX_PREFIX_LEN {
            return Err(HistoryError::invalid(
                "mutation_prefix",
                format!("must be at most {MAX_PREFIX_LEN} bytes"),
            ));
        }
        Ok(())
    }

    /// The retention with "zero means none" applied.
    pub(crate) fn ttl(&self) -> Option<Duration> {
        self.retention.filter(|d| !d.is_zero())
    }

    /// This config as stored: validated, zero retention spelled `None`.
    pub(crate) fn normalized(mut self) -> Result<Self> {
        self.validate()?;
        self.retention = self.ttl();
        Ok(self)
    }
}

/// Seconds as the public APIs take them → a retention. `None` and `0` mean
/// no expiry; negative, NaN and infinite values are errors.
pub fn retention_from_seconds(secs: Option<f64>) -> Result<Option<Duration>> {
    match secs {
        None => Ok(None),
        Some(s) if !s.is_finite() => Err(HistoryError::invalid(
            "retention_seconds",
            format!("must be a finite number of seconds, got {s}"),
        )),
        Some(s) if s < 0.0 => Err(HistoryError::invalid(
            "retention_seconds",
            format!("must not be negative, got {s}"),
        )),
        Some(0.0) => Ok(None),
        Some(s) => Duration::try_from_secs_f64(s)
            .map(Some)
            .map_err(|e| HistoryError::invalid("retention_seconds", e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_seconds_rules() {
        assert_eq!(retention_from_seconds(None).unwrap(), None);
        assert_eq!(retention_from_seconds(Some(0.0)).unwrap(), None);
        assert_eq!(
            retention_from_seconds(Some(1.5)).unwrap(),
            Some(Duration::from_millis(1500))
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300] {
            let e = retention_from_seconds(Some(bad)).unwrap_err();
            assert_eq!(e.param(), Some("retention_seconds"), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_parameter() {
        let e = RoomConfig::default().max_entries(0).validate().unwrap_err();
        assert_eq!(e.param(), Some("max_entries"));
        let e = RoomConfig::default()
            .max_bytes(Some(0))
            .validate()
            .unwrap_err();
        assert_eq!(e.param(), Some("max_bytes"));
        for (c, param) in [
            (
                RoomConfig::default().max_message_bytes(0),
                "max_message_bytes",
            ),
            (RoomConfig::default().max_appends(0), "max_appends"),
            (
                RoomConfig::default().max_open_streams(0),
                "max_open_streams",
            ),
            (
                RoomConfig::default().mutation_prefix(&"p".repeat(129)),
                "mutation_prefix",
            ),
        ] {
            assert_eq!(c.validate().unwrap_err().param(), Some(param));
        }
        assert!(RoomConfig::default().validate().is_ok());
    }
}
