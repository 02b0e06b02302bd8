//! A room's retention settings as C sees them, and their translation to the
//! core's `RoomConfig` (whose defaults are the only ones).

use crate::boundary::boundary;
use crate::input::put;
use crate::status::{core_error, Checked};
use socketio_history_core::{retention_from_seconds, RoomConfig};

/// A room's retention settings. Initialise with `sioh_room_config_init`
/// (fields may be added at the end in later versions).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_room_config {
    /// Most entries kept, at least 1 (default 100).
    pub max_entries: usize,
    /// Oldest age kept in seconds; 0 keeps entries forever (default 0).
    pub retention_seconds: f64,
    /// Most payload bytes kept; 0 for no byte bound (default 0).
    pub max_bytes: usize,
    /// Whether `payload_size_cap` applies (default false).
    pub has_payload_size_cap: bool,
    /// Default payload cap of reads, in bytes.
    pub payload_size_cap: usize,
    /// Largest data of one mutable message in bytes (default 1 MiB).
    pub max_message_bytes: usize,
    /// Most appends to one message (default 4096).
    pub max_appends: usize,
    /// Most messages appended to and not final yet (default 1024).
    pub max_open_streams: usize,
}

pub(crate) fn config_to_core(c: &sioh_room_config) -> Checked<RoomConfig> {
    let retention = retention_from_seconds(Some(c.retention_seconds)).map_err(core_error)?;
    Ok(RoomConfig::default()
        .max_entries(c.max_entries)
        .retention(retention)
        .max_bytes((c.max_bytes != 0).then_some(c.max_bytes))
        .payload_size_cap(c.has_payload_size_cap.then_some(c.payload_size_cap))
        .max_message_bytes(c.max_message_bytes)
        .max_appends(c.max_appends)
        .max_open_streams(c.max_open_streams))
}

pub(crate) fn config_from_core(c: &RoomConfig) -> sioh_room_config {
    sioh_room_config {
        max_entries: c.max_entries,
        retention_seconds: c.retention.map_or(0.0, |d| d.as_secs_f64()),
        max_bytes: c.max_bytes.unwrap_or(0),
        has_payload_size_cap: c.payload_size_cap.is_some(),
        payload_size_cap: c.payload_size_cap.unwrap_or(0),
        max_message_bytes: c.max_message_bytes,
        max_appends: c.max_appends,
        max_open_streams: c.max_open_streams,
    }
}

/// Set `config` to the defaults (the core's: 100 entries, no age limit, no
/// byte bound, no payload cap, the message limits of CONTRACT.md, "Mutable
/// messages"). Does nothing if `config` is NULL. (The mutation event prefix
/// is a Python option: C servers name their own events.)
#[no_mangle]
pub extern "C" fn sioh_room_config_init(config: *mut sioh_room_config) {
    boundary! {
        // SAFETY: NULL is checked by `put`; a non-NULL pointer is the caller's.
        unsafe { put(config, config_from_core(&RoomConfig::default())) }
    }
}
