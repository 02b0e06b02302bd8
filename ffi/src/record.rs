//! Recording: payload kinds, `sioh_room_record`, and reporting a record the
//! application could not make.

use crate::boundary::boundary;
use crate::input::{self, put};
use crate::status::{core_error, done, fail, sioh_status, Checked};
use crate::store::{key, sioh_store};
use socketio_history_core::{Payload, RecordOutcome};
use std::ffi::c_char;

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

pub(crate) fn parse_payload(kind: u32, raw: &[u8]) -> Checked<Payload> {
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
