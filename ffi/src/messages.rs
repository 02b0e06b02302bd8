//! Mutable messages (CONTRACT.md, "Mutable messages") from C: create, update (a per-field
//! keep/clear/replace patch), delete, append, the latest state and the
//! versions, with the caller's grants. Rules and errors are the core's.

use crate::boundary::boundary;
use crate::entries::{hand_out, sioh_action, sioh_entries};
use crate::input::{self, put};
use crate::record::parse_payload;
use crate::status::{core_error, done, fail, sioh_status, Checked};
use crate::store::{key, sioh_store, Key};
use socketio_history_core::{Auth, GrantKind, Grants, Mutation, Patch, Payload};
use std::ffi::c_char;

/// What an update does with one field of a message.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_patch_mode {
    /// Leave it as it is.
    Keep = 0,
    /// Clear it (data only: an event name cannot be cleared).
    Clear = 1,
    /// Replace it with `value`.
    Replace = 2,
}

/// One field of an update. `mode` is a `sioh_patch_mode`; for
/// `SIOH_PATCH_MODE_REPLACE`, `value` (`value_len` bytes) is the new event
/// name (UTF-8) or the new data, read as `kind` (a `sioh_payload_kind`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_patch {
    /// A `sioh_patch_mode`.
    pub mode: u32,
    /// For data: how to read `value` (a `sioh_payload_kind`).
    pub kind: u32,
    /// The new value; NULL only if `value_len` is 0.
    pub value: *const u8,
    /// Its length in bytes.
    pub value_len: usize,
}

/// The kinds of grant (`sioh_grant.kind`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_grant_kind {
    /// Update any message of matching rooms.
    MessageUpdateAny = 0,
    /// Update one's own messages of matching rooms.
    MessageUpdateOwn = 1,
    /// Delete any message of matching rooms.
    MessageDeleteAny = 2,
    /// Delete one's own messages of matching rooms.
    MessageDeleteOwn = 3,
    /// Append to any message of matching rooms.
    MessageAppendAny = 4,
    /// Append to one's own messages of matching rooms.
    MessageAppendOwn = 5,
}

/// One grant: a `sioh_grant_kind` for the rooms `pattern` matches (`*`
/// matches any run of characters).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_grant {
    /// A `sioh_grant_kind`.
    pub kind: u32,
    /// The room pattern (UTF-8).
    pub pattern: *const c_char,
    /// Its length in bytes.
    pub pattern_len: usize,
}

/// Who is acting. Pass NULL for the server itself (always allowed). With an
/// `actor` (from the server's own session, never from a client's payload),
/// an `_ANY` grant matching the room allows the operation; else an `_OWN`
/// grant matching the room allows it when the actor is the message's owner
/// (compared in constant time); else it is refused (`SIOH_STATUS_FORBIDDEN`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_auth {
    /// The actor (UTF-8, 1 to 1024 bytes).
    pub actor: *const c_char,
    /// Its length.
    pub actor_len: usize,
    /// `grants_len` grants; NULL only if `grants_len` is 0.
    pub grants: *const sioh_grant,
    /// How many.
    pub grants_len: usize,
}

/// What an operation did. `message_id` is NUL-terminated.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_mutation {
    /// The operation.
    pub action: sioh_action,
    /// The message's version after it (1 for a create).
    pub version: u64,
    /// The entry's seq in the room.
    pub seq: u64,
    /// Whether an append closed the stream.
    pub is_final: bool,
    /// The message's id (at most 128 bytes), NUL-terminated.
    pub message_id: [c_char; 129],
}

/// A message's latest state besides its event and data (which
/// `sioh_message_get` returns as a one-entry `sioh_entries`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_message_state {
    /// Its latest version.
    pub version: u64,
    /// The last operation applied.
    pub action: sioh_action,
    /// Whether it was deleted.
    pub deleted: bool,
    /// Whether it was appended to and is not final yet.
    pub streaming: bool,
    /// Whether a final append closed it.
    pub is_final: bool,
    /// Appends applied.
    pub appends: usize,
    /// The create's seq.
    pub seq: u64,
    /// The seq of its newest entry.
    pub last_seq: u64,
    /// Wall-clock Unix seconds of the create.
    pub created: f64,
    /// Wall-clock Unix seconds of the last operation.
    pub updated: f64,
}

fn mutation_out(m: &Mutation, out: *mut sioh_mutation) {
    let mut id = [0 as c_char; 129];
    for (o, b) in id.iter_mut().zip(m.message_id.as_str().bytes().take(128)) {
        *o = b as c_char;
    }
    let view = sioh_mutation {
        action: m.action.into(),
        version: m.version,
        seq: m.seq,
        is_final: m.is_final,
        message_id: id,
    };
    // SAFETY: NULL is checked by `put`.
    unsafe { put(out, view) };
}

/// # Safety
/// `ptr` as for `input::text`; NULL is "none".
unsafe fn opt_text<'a>(param: &str, ptr: *const c_char, len: usize) -> Checked<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    input::text(param, ptr, len).map(Some)
}

/// # Safety
/// `ptr` as for `input::text`.
unsafe fn required_text<'a>(param: &str, ptr: *const c_char, len: usize) -> Checked<&'a str> {
    if ptr.is_null() {
        return Err(fail(sioh_status::NullPointer, format!("{param} is NULL")));
    }
    input::text(param, ptr, len)
}

fn grant_kind(k: u32) -> Checked<GrantKind> {
    GrantKind::ALL.get(k as usize).copied().ok_or_else(|| {
        fail(
            sioh_status::InvalidArgument,
            format!("grant kind must be a sioh_grant_kind (0..=5), got {k}"),
        )
    })
}

/// Run `f` with the caller `auth` describes.
///
/// # Safety
/// `auth` NULL or valid, with valid strings.
unsafe fn with_auth<R>(auth: *const sioh_auth, f: impl FnOnce(&Auth<'_>) -> R) -> Checked<R> {
    let Some(a) = auth.as_ref() else {
        return Ok(f(&Auth::server()));
    };
    let actor = required_text("actor", a.actor, a.actor_len)?;
    let list: &[sioh_grant] = if a.grants.is_null() {
        if a.grants_len != 0 {
            return Err(fail(sioh_status::NullPointer, "grants is NULL"));
        }
        &[]
    } else if a.grants_len > isize::MAX as usize / std::mem::size_of::<sioh_grant>() {
        return Err(fail(
            sioh_status::InvalidArgument,
            "grants_len is too large",
        ));
    } else {
        std::slice::from_raw_parts(a.grants, a.grants_len)
    };
    let mut grants = Grants::new();
    for g in list {
        let pattern = required_text("grant pattern", g.pattern, g.pattern_len)?;
        grants
            .allow(grant_kind(g.kind)?, pattern)
            .map_err(core_error)?;
    }
    let auth = Auth::actor(actor, &grants).map_err(core_error)?;
    Ok(f(&auth))
}

/// # Safety
/// The key's pointers as on each export.
unsafe fn message_key<'a>(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    id: *const c_char,
    id_len: usize,
) -> Checked<(Key<'a>, &'a str)> {
    let k = key(store, ns, ns_len, room, room_len)?;
    Ok((k, required_text("message_id", id, id_len)?))
}

/// Create a message in a room: record the emit (`event`, and `payload`
/// read as `kind`, like `sioh_room_record`) as version 1 of message
/// `message_id` (`message_id_len` bytes: 1 to 128, no whitespace), or of a
/// fresh random id when `message_id` is NULL. `owner` (optional) is who it
/// belongs to, for `_OWN` grants. On success `*out` (optional) tells the id,
/// seq and version.
///
/// Errors: `SIOH_STATUS_NOT_ENABLED`, `SIOH_STATUS_INVALID_ARGUMENT` (a bad
/// or used id), `SIOH_STATUS_PAYLOAD_TOO_LARGE` (`max_message_bytes` or a
/// byte bound). A failed call changes nothing.
///
/// Thread safety: any thread; operations on one room are ordered by its
/// lock.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_message_create(
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
    message_id: *const c_char,
    message_id_len: usize,
    owner: *const c_char,
    owner_len: usize,
    out: *mut sioh_mutation,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: every pointer is checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        let event = unsafe { required_text("event", event, event_len)? };
        let raw = unsafe { input::bytes("payload", payload, payload_len)? };
        let data = parse_payload(kind, raw)?;
        let id = unsafe { opt_text("message_id", message_id, message_id_len)? };
        let owner = unsafe { opt_text("owner", owner, owner_len)? };
        let m = k
            .store
            .create_message(k.ns, k.room, event, data, id, owner)
            .map_err(core_error)?;
        mutation_out(&m, out);
        Ok(())
    })()))
}

fn event_patch(p: Option<&sioh_patch>) -> Checked<Patch<String>> {
    let Some(p) = p else { return Ok(Patch::Keep) };
    match p.mode {
        m if m == sioh_patch_mode::Keep as u32 => Ok(Patch::Keep),
        m if m == sioh_patch_mode::Clear as u32 => Ok(Patch::Clear),
        m if m == sioh_patch_mode::Replace as u32 => {
            // SAFETY: the caller's pointer, checked by `text`.
            let t = unsafe { input::text("event", p.value.cast(), p.value_len)? };
            Ok(Patch::Replace(t.to_owned()))
        }
        other => Err(bad_mode(other)),
    }
}

fn data_patch(p: Option<&sioh_patch>) -> Checked<Patch<Payload>> {
    let Some(p) = p else { return Ok(Patch::Keep) };
    match p.mode {
        m if m == sioh_patch_mode::Keep as u32 => Ok(Patch::Keep),
        m if m == sioh_patch_mode::Clear as u32 => Ok(Patch::Clear),
        m if m == sioh_patch_mode::Replace as u32 => {
            // SAFETY: the caller's pointer, checked by `bytes`.
            let raw = unsafe { input::bytes("data", p.value, p.value_len)? };
            Ok(Patch::Replace(parse_payload(p.kind, raw)?))
        }
        other => Err(bad_mode(other)),
    }
}

fn bad_mode(m: u32) -> sioh_status {
    fail(
        sioh_status::InvalidArgument,
        format!("mode must be a sioh_patch_mode (0..=2), got {m}"),
    )
}

/// Update a message: `event` and `data` (each optional: NULL keeps it) are
/// kept, cleared (data only) or replaced. An update that changes nothing,
/// or of a deleted message, is `SIOH_STATUS_INVALID_ARGUMENT`; an unknown
/// message `SIOH_STATUS_NOT_FOUND`; a refused actor `SIOH_STATUS_FORBIDDEN`.
/// `auth` NULL: the server itself.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_message_update(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    event: *const sioh_patch,
    data: *const sioh_patch,
    auth: *const sioh_auth,
    out: *mut sioh_mutation,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: every pointer is checked by the helpers.
        let (k, id) = unsafe {
            message_key(
                store,
                ns,
                ns_len,
                room,
                room_len,
                message_id,
                message_id_len,
            )?
        };
        let event = event_patch(unsafe { event.as_ref() })?;
        let data = data_patch(unsafe { data.as_ref() })?;
        let event = match &event {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Replace(e) => Patch::Replace(e.as_str()),
        };
        let m = unsafe {
            with_auth(auth, |a| {
                k.store.update_message(k.ns, k.room, id, event, data, a)
            })?
        }
        .map_err(core_error)?;
        mutation_out(&m, out);
        Ok(())
    })()))
}

/// Delete a message: it becomes a tombstone and every entry of it loses its
/// data (reads show it `redacted`). Errors as for `sioh_message_update`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_message_delete(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    auth: *const sioh_auth,
    out: *mut sioh_mutation,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: every pointer is checked by the helpers.
        let (k, id) = unsafe {
            message_key(
                store,
                ns,
                ns_len,
                room,
                room_len,
                message_id,
                message_id_len,
            )?
        };
        let m = unsafe { with_auth(auth, |a| k.store.delete_message(k.ns, k.room, id, a))? }
            .map_err(core_error)?;
        mutation_out(&m, out);
        Ok(())
    })()))
}

/// Append `fragment` (UTF-8, `fragment_len` bytes; empty only when
/// `is_final`) to a message's text; `is_final` closes the stream. Appending
/// to a closed or deleted message, or to data that is not text, is
/// `SIOH_STATUS_INVALID_ARGUMENT`; the room's message limits give
/// `SIOH_STATUS_PAYLOAD_TOO_LARGE`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_message_append(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    fragment: *const c_char,
    fragment_len: usize,
    is_final: bool,
    auth: *const sioh_auth,
    out: *mut sioh_mutation,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: every pointer is checked by the helpers.
        let (k, id) = unsafe {
            message_key(
                store,
                ns,
                ns_len,
                room,
                room_len,
                message_id,
                message_id_len,
            )?
        };
        let fragment = unsafe { input::text("fragment", fragment, fragment_len)? };
        let m = unsafe {
            with_auth(auth, |a| {
                k.store
                    .append_message(k.ns, k.room, id, fragment, is_final, a)
            })?
        }
        .map_err(core_error)?;
        mutation_out(&m, out);
        Ok(())
    })()))
}

/// A message's latest state: `*entries_out` gets one entry with its latest
/// event name and data (JSON null when it has none), freed with
/// `sioh_entries_free`; `*state_out` (optional) the rest.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_message_get(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    entries_out: *mut *mut sioh_entries,
    state_out: *mut sioh_message_state,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: every pointer is checked by the helpers.
        let (k, id) = unsafe {
            message_key(
                store,
                ns,
                ns_len,
                room,
                room_len,
                message_id,
                message_id_len,
            )?
        };
        if entries_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "entries_out is NULL"));
        }
        let m = k.store.get_message(k.ns, k.room, id).map_err(core_error)?;
        let entry = socketio_history_core::HistoryEntry {
            event: m.event.clone(),
            payload: m.data.clone().unwrap_or_else(Payload::null),
            timestamp: m.created,
            seq: m.seq,
            truncated: false,
            action: m.action,
            message_id: Some(m.message_id.clone()),
            version: Some(m.version),
            redacted: false,
            deleted: m.deleted,
        };
        hand_out(&[entry], entries_out);
        let state = sioh_message_state {
            version: m.version,
            action: m.action.into(),
            deleted: m.deleted,
            streaming: m.streaming,
            is_final: m.is_final,
            appends: m.appends,
            seq: m.seq,
            last_seq: m.last_seq,
            created: m.created,
            updated: m.updated,
        };
        unsafe { put(state_out, state) };
        Ok(())
    })()))
}

/// A message's retained entries, newest first, at most `limit`; freed with
/// `sioh_entries_free`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_message_versions(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    limit: usize,
    entries_out: *mut *mut sioh_entries,
) -> sioh_status {
    boundary!(done((|| {
        // SAFETY: every pointer is checked by the helpers.
        let (k, id) = unsafe {
            message_key(
                store,
                ns,
                ns_len,
                room,
                room_len,
                message_id,
                message_id_len,
            )?
        };
        if entries_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "entries_out is NULL"));
        }
        let v = k
            .store
            .message_versions(k.ns, k.room, id, limit)
            .map_err(core_error)?;
        hand_out(&v, entries_out);
        Ok(())
    })()))
}
