//! Counters and the snapshot a stats call returns.

use crate::config::RoomConfig;
use crate::epoch::Epoch;

/// Running counters of one room lifetime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub evictions_size: u64,
    pub evictions_time: u64,
    pub evictions_bytes: u64,
    pub rejected_oversize: u64,
    pub record_errors: u64,
}

/// A snapshot of one room. A disabled room reports zeros, `enabled: false`,
/// no epoch and no configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomStats {
    /// Whether history is enabled.
    pub enabled: bool,
    /// Entries held now.
    pub entries_count: usize,
    /// Payload bytes held now: the entries' and the live messages' data.
    pub bytes: usize,
    /// Live mutable messages.
    pub messages: usize,
    /// Entries evicted by `max_entries`.
    pub evictions_size: u64,
    /// Entries expired by the retention age.
    pub evictions_time: u64,
    /// Entries evicted by `max_bytes` or the store's byte budget.
    pub evictions_bytes: u64,
    /// Payloads not recorded because they alone exceed a byte bound.
    pub rejected_oversize: u64,
    /// Emits a binding failed to record (reported through
    /// [`HistoryStore::note_record_error`](crate::HistoryStore::note_record_error)).
    pub record_errors: u64,
    /// Entries recorded in this lifetime.
    pub recorded_total: u64,
    /// Oldest retained seq, `None` if empty.
    pub first_seq: Option<u64>,
    /// Newest assigned seq, 0 if none.
    pub last_seq: u64,
    /// This lifetime's epoch.
    pub epoch: Option<Epoch>,
    /// The room's configuration.
    pub config: Option<RoomConfig>,
}

impl RoomStats {
    pub(crate) fn disabled() -> Self {
        RoomStats {
            enabled: false,
            entries_count: 0,
            bytes: 0,
            messages: 0,
            evictions_size: 0,
            evictions_time: 0,
            evictions_bytes: 0,
            rejected_oversize: 0,
            record_errors: 0,
            recorded_total: 0,
            first_seq: None,
            last_seq: 0,
            epoch: None,
            config: None,
        }
    }
}
