//! A room's counters and configuration: `sioh_room_stats`.

use crate::boundary::boundary;
use crate::config::{config_from_core, sioh_room_config};
use crate::input::put;
use crate::status::{done, fail, sioh_status};
use crate::store::{key, sioh_store};
use std::ffi::c_char;

/// One room's counters, sizes and configuration.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_stats {
    /// Whether history is enabled (everything else is zero when not).
    pub enabled: bool,
    /// Entries held.
    pub entries_count: usize,
    /// Payload bytes held.
    pub bytes: usize,
    /// Entries evicted by `max_entries`.
    pub evictions_size: u64,
    /// Entries expired by age.
    pub evictions_time: u64,
    /// Entries evicted by `max_bytes` or the store's budget.
    pub evictions_bytes: u64,
    /// Payloads refused for being larger than a byte bound.
    pub rejected_oversize: u64,
    /// Records the application reported as failed (`sioh_room_note_record_error`).
    pub record_errors: u64,
    /// Entries recorded in this lifetime.
    pub recorded_total: u64,
    /// Whether `first_seq` is set (false when empty).
    pub has_first_seq: bool,
    /// Oldest retained seq.
    pub first_seq: u64,
    /// Newest assigned seq (0 if none).
    pub last_seq: u64,
    /// This lifetime's epoch, NUL-terminated ("" when disabled).
    pub epoch: [c_char; 16],
    /// The room's configuration (zeroed when disabled).
    pub config: sioh_room_config,
    /// Live mutable messages.
    pub messages: usize,
}

pub(crate) fn epoch_field(epoch: Option<socketio_history_core::Epoch>) -> [c_char; 16] {
    let mut out = [0 as c_char; 16];
    if let Some(e) = epoch {
        for (o, b) in out.iter_mut().zip(e.as_str().bytes().take(15)) {
            *o = b as c_char;
        }
    }
    out
}

/// Fill `*stats_out` with the room's counters and configuration (zeros and
/// `enabled = false` for a room without history). Expired entries are
/// dropped first.
#[no_mangle]
pub extern "C" fn sioh_room_stats(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    stats_out: *mut sioh_stats,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        if stats_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "stats_out is NULL"));
        }
        let s = k.store.stats(k.ns, k.room);
        let zero_config = sioh_room_config {
            max_entries: 0,
            retention_seconds: 0.0,
            max_bytes: 0,
            has_payload_size_cap: false,
            payload_size_cap: 0,
            max_message_bytes: 0,
            max_appends: 0,
            max_open_streams: 0,
        };
        let out = sioh_stats {
            enabled: s.enabled,
            entries_count: s.entries_count,
            bytes: s.bytes,
            evictions_size: s.evictions_size,
            evictions_time: s.evictions_time,
            evictions_bytes: s.evictions_bytes,
            rejected_oversize: s.rejected_oversize,
            record_errors: s.record_errors,
            recorded_total: s.recorded_total,
            has_first_seq: s.first_seq.is_some(),
            first_seq: s.first_seq.unwrap_or(0),
            last_seq: s.last_seq,
            epoch: epoch_field(s.epoch),
            config: s.config.as_ref().map_or(zero_config, config_from_core),
            messages: s.messages,
        };
        unsafe { put(stats_out, out) };
        Ok(())
    })()))
}
