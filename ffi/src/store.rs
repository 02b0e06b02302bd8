//! The store handle and the per-room calls that are not reads.

use crate::input::{self, put, sioh_str};
use crate::status::{boundary, core_error, done, fail, sioh_status, Checked};
use socketio_history_core::{
    retention_from_seconds, HistoryStore, Payload, RecordOutcome, RoomConfig, DEFAULT_MAX_ENTRIES,
};
use std::ffi::c_char;

/// A store of room histories. Opaque: create with `sioh_store_new`, free with
/// `sioh_store_free`. Every function taking a `const sioh_store *` may be
/// called from any thread at the same time.
#[allow(non_camel_case_types)]
pub struct sioh_store {
    pub(crate) inner: HistoryStore,
}

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
}

/// How a payload's bytes are to be read.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_payload_kind {
    /// UTF-8 text.
    Text = 0,
    /// Raw bytes.
    Bytes = 1,
    /// One JSON value (validated). A top-level JSON string is kept as text.
    Json = 2,
    /// A JSON array whose elements are the emit's arguments.
    JsonArgs = 3,
}

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

fn config_to_core(c: &sioh_room_config) -> Checked<RoomConfig> {
    let retention = retention_from_seconds(Some(c.retention_seconds)).map_err(core_error)?;
    Ok(RoomConfig::default()
        .max_entries(c.max_entries)
        .retention(retention)
        .max_bytes((c.max_bytes != 0).then_some(c.max_bytes))
        .payload_size_cap(c.has_payload_size_cap.then_some(c.payload_size_cap)))
}

fn config_from_core(c: &RoomConfig) -> sioh_room_config {
    sioh_room_config {
        max_entries: c.max_entries,
        retention_seconds: c.retention.map_or(0.0, |d| d.as_secs_f64()),
        max_bytes: c.max_bytes.unwrap_or(0),
        has_payload_size_cap: c.payload_size_cap.is_some(),
        payload_size_cap: c.payload_size_cap.unwrap_or(0),
    }
}

/// Set `config` to the defaults: 100 entries, no age limit, no byte bound,
/// no payload cap. Does nothing if `config` is NULL.
#[no_mangle]
pub extern "C" fn sioh_room_config_init(config: *mut sioh_room_config) {
    let defaults = config_from_core(&RoomConfig::default());
    debug_assert_eq!(defaults.max_entries, DEFAULT_MAX_ENTRIES);
    // SAFETY: NULL is checked by `put`; a non-NULL pointer is the caller's.
    unsafe { put(config, defaults) };
}

/// Create a store. `max_total_bytes` is a budget across all its rooms (0
/// for none): when exceeded, the oldest entries of the whole store are
/// evicted. On success `*store_out` owns the new store.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_store_new(
    max_total_bytes: usize,
    store_out: *mut *mut sioh_store,
) -> sioh_status {
    boundary!({
        if store_out.is_null() {
            return fail(sioh_status::NullPointer, "store_out is NULL");
        }
        let built = HistoryStore::builder()
            .max_total_bytes((max_total_bytes != 0).then_some(max_total_bytes))
            .build();
        match built {
            Ok(inner) => {
                let store = Box::into_raw(Box::new(sioh_store { inner }));
                // SAFETY: checked non-NULL above.
                unsafe { *store_out = store };
                sioh_status::Ok
            }
            Err(e) => core_error(e),
        }
    })
}

/// Free a store and everything it holds. NULL is a no-op. No other call may
/// use the store at the same time or afterwards.
#[no_mangle]
pub extern "C" fn sioh_store_free(store: *mut sioh_store) {
    // SAFETY: `store` came from `sioh_store_new` and is freed only once.
    unsafe { crate::free_box(store) }
}

/// Bytes charged against the store's budget now (0 without a budget or for NULL).
#[no_mangle]
pub extern "C" fn sioh_store_total_bytes(store: *const sioh_store) -> usize {
    // SAFETY: NULL is checked; otherwise a live store from `sioh_store_new`.
    unsafe { store.as_ref() }.map_or(0, |s| s.inner.total_bytes())
}

/// The room key of a call: the store, the namespace (NULL for "/") and the room.
pub(crate) struct Key<'a> {
    pub store: &'a HistoryStore,
    pub ns: &'a str,
    pub room: &'a str,
}

/// # Safety
/// Pointers as documented on each export.
pub(crate) unsafe fn key<'a>(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
) -> Checked<Key<'a>> {
    let store = &input::required("store", store)?.inner;
    let ns = input::namespace(ns, ns_len)?;
    if room.is_null() {
        return Err(fail(sioh_status::NullPointer, "room is NULL"));
    }
    let room = input::text("room", room, room_len)?;
    Ok(Key { store, ns, room })
}

/// Enable history for a room, or reconfigure it in place if it is enabled
/// (entries and seq stay; tighter bounds evict the oldest at once).
/// `config` NULL means the defaults. A failed call changes nothing.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_room_enable(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    config: *const sioh_room_config,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: each pointer is checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        let config = match unsafe { config.as_ref() } {
            Some(c) => config_to_core(c)?,
            None => RoomConfig::default(),
        };
        k.store.enable(k.ns, k.room, config).map_err(core_error)
    })()))
}

/// Disable history for a room and free its entries. `*was_enabled`
/// (optional) tells whether it was enabled. Enabling again starts a new
/// lifetime: seq from 1, counters at zero, a new epoch.
#[no_mangle]
pub extern "C" fn sioh_room_disable(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    was_enabled: *mut bool,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        let was = k.store.disable(k.ns, k.room);
        unsafe { put(was_enabled, was) };
        Ok(())
    })()))
}

/// Drop a room's entries; it stays enabled and its seq goes on.
/// `*cleared` (optional) receives how many were dropped.
#[no_mangle]
pub extern "C" fn sioh_room_clear(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    cleared: *mut usize,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        let n = k.store.clear(k.ns, k.room);
        unsafe { put(cleared, n) };
        Ok(())
    })()))
}

/// Record one emit into a room. `kind` is a `sioh_payload_kind` saying how
/// to read `payload` (`payload_len` bytes; NULL only if 0). `timestamp`
/// (optional) overrides the wall-clock time in Unix seconds, e.g. when
/// replaying a log; age-based retention still counts from now.
///
/// Returns `SIOH_STATUS_NOT_ENABLED` if the room has no history and
/// `SIOH_STATUS_PAYLOAD_TOO_LARGE` if the payload alone exceeds its byte
/// bound (counted in `rejected_oversize`). On success `*seq_out` (optional)
/// receives the entry's seq.
///
/// Thread safety: any thread; records to one room are ordered by its lock.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_room_record(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    event: *const c_char,
    event_len: usize,
    kind: u32,
    payload: *const u8,
    payload_len: usize,
    timestamp: *const f64,
    seq_out: *mut u64,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        if event.is_null() {
            return Err(fail(sioh_status::NullPointer, "event is NULL"));
        }
        let event = unsafe { input::text("event", event, event_len)? };
        let raw = unsafe { input::bytes("payload", payload, payload_len)? };
        let payload = parse_payload(kind, raw)?;
        let outcome = match unsafe { timestamp.as_ref() } {
            Some(&t) => k
                .store
                .record_at(k.ns, k.room, event, payload, t)
                .map_err(core_error)?,
            None => k.store.record(k.ns, k.room, event, payload),
        };
        match outcome {
            RecordOutcome::Recorded(seq) => {
                unsafe { put(seq_out, seq) };
                Ok(())
            }
            RecordOutcome::NotEnabled => Err(fail(
                sioh_status::NotEnabled,
                format!(
                    "history is not enabled for room {:?} in namespace {:?}",
                    k.room, k.ns
                ),
            )),
            RecordOutcome::RejectedOversize => Err(fail(
                sioh_status::PayloadTooLarge,
                "the payload alone is larger than the room's max_bytes (or the store's budget)",
            )),
            _ => Err(fail(
                sioh_status::InternalError,
                "unexpected record outcome",
            )),
        }
    })()))
}

fn parse_payload(kind: u32, raw: &[u8]) -> Checked<Payload> {
    let text = || {
        std::str::from_utf8(raw).map_err(|e| {
            fail(
                sioh_status::InvalidUtf8,
                format!("payload is not valid UTF-8: {e}"),
            )
        })
    };
    match kind {
        k if k == sioh_payload_kind::Text as u32 => Ok(Payload::text(text()?)),
        k if k == sioh_payload_kind::Bytes as u32 => Ok(Payload::bytes(raw)),
        k if k == sioh_payload_kind::Json as u32 => Payload::from_json(text()?).map_err(core_error),
        k if k == sioh_payload_kind::JsonArgs as u32 => {
            Payload::args_from_json(text()?).map_err(core_error)
        }
        other => Err(fail(
            sioh_status::InvalidArgument,
            format!("kind must be a sioh_payload_kind (0..=3), got {other}"),
        )),
    }
}

/// Count a record the application failed to make (e.g. it could not
/// serialise a payload) in the room's `record_errors`.
#[no_mangle]
pub extern "C" fn sioh_room_note_record_error(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        k.store.note_record_error(k.ns, k.room);
        Ok(())
    })()))
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
        };
        unsafe { put(stats_out, out) };
        Ok(())
    })()))
}

/// The rooms with history enabled: a list owned by the library until
/// `sioh_rooms_free`.
#[allow(non_camel_case_types)]
pub struct sioh_rooms {
    items: Vec<(Box<str>, Box<str>)>,
}

/// List every `(namespace, room)` with history enabled, sorted. On success
/// `*rooms_out` owns the list; free it with `sioh_rooms_free`.
#[no_mangle]
pub extern "C" fn sioh_store_rooms(
    store: *const sioh_store,
    rooms_out: *mut *mut sioh_rooms,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: NULL checked by `required`.
        let store = unsafe { input::required("store", store)? };
        if rooms_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "rooms_out is NULL"));
        }
        let mut items: Vec<(Box<str>, Box<str>)> = store
            .inner
            .rooms()
            .into_iter()
            .map(|(n, r)| (n.into(), r.into()))
            .collect();
        items.sort();
        let list = Box::into_raw(Box::new(sioh_rooms { items }));
        unsafe { *rooms_out = list };
        Ok(())
    })()))
}

/// How many rooms a list holds (0 for NULL).
#[no_mangle]
pub extern "C" fn sioh_rooms_len(rooms: *const sioh_rooms) -> usize {
    // SAFETY: NULL is checked; otherwise a live list.
    unsafe { rooms.as_ref() }.map_or(0, |r| r.items.len())
}

/// The `index`th room. The strings are borrowed from the list (not
/// NUL-terminated) and valid until `sioh_rooms_free`.
#[no_mangle]
pub extern "C" fn sioh_rooms_get(
    rooms: *const sioh_rooms,
    index: usize,
    ns_out: *mut sioh_str,
    room_out: *mut sioh_str,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: NULL checked by `required`.
        let rooms = unsafe { input::required("rooms", rooms)? };
        if ns_out.is_null() || room_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "ns_out or room_out is NULL"));
        }
        let (ns, room) = rooms.items.get(index).ok_or_else(|| {
            fail(
                sioh_status::InvalidArgument,
                format!("index {index} is out of range (len {})", rooms.items.len()),
            )
        })?;
        let view = |s: &str| sioh_str {
            ptr: s.as_ptr().cast(),
            len: s.len(),
        };
        unsafe {
            put(ns_out, view(ns));
            put(room_out, view(room));
        }
        Ok(())
    })()))
}

/// Free a room list. NULL is a no-op.
#[no_mangle]
pub extern "C" fn sioh_rooms_free(rooms: *mut sioh_rooms) {
    // SAFETY: from `sioh_store_rooms`, freed once.
    unsafe { crate::free_box(rooms) }
}
