//! Reads: `sioh_room_fetch`, `sioh_room_page`, and the entries handle they
//! return.

use crate::boundary::boundary;
use crate::input::{self, put};
use crate::query::{sioh_query, to_query};
use crate::record::sioh_payload_kind;
use crate::stats::epoch_field;
use crate::status::{done, fail, sioh_status};
use crate::store::{key, sioh_store};
use socketio_history_core::{Action, HistoryEntry, PayloadKind, View};
use std::ffi::c_char;

/// The resync signals of a page read.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_page_info {
    /// The room's epoch, NUL-terminated ("" when history is disabled).
    pub epoch: [c_char; 16],
    /// Whether `first_seq` is set (false when the room is empty).
    pub has_first_seq: bool,
    /// Oldest retained seq.
    pub first_seq: u64,
    /// Newest assigned seq (0 if none).
    pub last_seq: u64,
    /// Older selected entries exist beyond the limit.
    pub has_more: bool,
    /// The cursor cannot be served whole: resync.
    pub gap: bool,
}

/// A view of one returned entry. Its pointers are borrowed from the
/// `sioh_entries` it came from and valid until that is freed; `event` and
/// `payload` are also NUL-terminated (the NUL is not counted in the lengths).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_entry {
    /// Event name (UTF-8).
    pub event: *const c_char,
    /// Its length in bytes.
    pub event_len: usize,
    /// How to read `payload`: text, bytes, or JSON (`SIOH_PAYLOAD_KIND_JSON`
    /// for one value, `SIOH_PAYLOAD_KIND_JSON_ARGS` for an array of
    /// arguments). A truncated structured payload is text.
    pub kind: sioh_payload_kind,
    /// Payload bytes.
    pub payload: *const u8,
    /// Their length.
    pub payload_len: usize,
    /// Wall-clock Unix seconds at record time.
    pub timestamp: f64,
    /// Position in the room's lifetime (1-based, gap-free).
    pub seq: u64,
    /// Whether the payload was cut by the cap.
    pub truncated: bool,
}

/// What an operation on a message is (the `action` of an entry).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_action {
    /// A plain emit, or a message's first version.
    Create = 0,
    /// A message's event name or data changed.
    Update = 1,
    /// A message deleted.
    Delete = 2,
    /// Text appended to a message.
    Append = 3,
}

impl From<Action> for sioh_action {
    fn from(a: Action) -> Self {
        match a {
            Action::Update => sioh_action::Update,
            Action::Delete => sioh_action::Delete,
            Action::Append => sioh_action::Append,
            _ => sioh_action::Create,
        }
    }
}

/// How a read shows mutable messages (`sioh_room_fetch_view`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_view {
    /// Entries as recorded: every operation is an entry.
    Log = 0,
    /// Each live message once, at its create's place, in its latest state;
    /// plain entries as they are.
    Latest = 1,
}

/// The message side of one returned entry (`sioh_entries_get_message`).
/// `message_id` is borrowed like `sioh_entry`'s strings; NULL for a plain
/// emit.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_entry_message {
    /// What the entry records (in the latest view: the last operation).
    pub action: sioh_action,
    /// The message's id, NUL-terminated; NULL for a plain emit.
    pub message_id: *const c_char,
    /// Its length in bytes (0 for a plain emit).
    pub message_id_len: usize,
    /// The message's version at this entry (0 for a plain emit).
    pub version: u64,
    /// The message was deleted since: the payload holds no data (JSON null).
    pub redacted: bool,
    /// In the latest view: the message is deleted.
    pub deleted: bool,
}

struct Item {
    /// NUL-terminated.
    event: Box<[u8]>,
    action: sioh_action,
    /// NUL-terminated; `None` for a plain emit.
    message_id: Option<Box<[u8]>>,
    version: u64,
    redacted: bool,
    deleted: bool,
    kind: sioh_payload_kind,
    /// NUL-terminated.
    payload: Box<[u8]>,
    timestamp: f64,
    seq: u64,
    truncated: bool,
}

/// The entries a read returned, owned by the library until
/// `sioh_entries_free`. Immutable: reading it from several threads at once
/// is safe.
#[allow(non_camel_case_types)]
pub struct sioh_entries {
    items: Vec<Item>,
}

fn with_nul(bytes: &[u8]) -> Box<[u8]> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.extend_from_slice(bytes);
    v.push(0);
    v.into_boxed_slice()
}

fn item(e: &HistoryEntry) -> Item {
    let p = &e.payload;
    let (kind, payload) = match p.kind() {
        PayloadKind::Text => (
            sioh_payload_kind::Text,
            with_nul(p.as_text().unwrap_or_default().as_bytes()),
        ),
        PayloadKind::Bytes => (
            sioh_payload_kind::Bytes,
            with_nul(p.as_bytes().unwrap_or_default()),
        ),
        PayloadKind::Args => (
            sioh_payload_kind::JsonArgs,
            with_nul(p.to_json().as_bytes()),
        ),
        _ => (sioh_payload_kind::Json, with_nul(p.to_json().as_bytes())),
    };
    Item {
        event: with_nul(e.event.as_bytes()),
        action: e.action.into(),
        message_id: e
            .message_id
            .as_ref()
            .map(|m| with_nul(m.as_str().as_bytes())),
        version: e.version.unwrap_or(0),
        redacted: e.redacted,
        deleted: e.deleted,
        kind,
        payload,
        timestamp: e.timestamp,
        seq: e.seq,
        truncated: e.truncated,
    }
}

pub(crate) fn hand_out(entries: &[HistoryEntry], out: *mut *mut sioh_entries) {
    let list = Box::into_raw(Box::new(sioh_entries {
        items: entries.iter().map(item).collect(),
    }));
    // SAFETY: callers checked `out` for NULL before doing any work.
    unsafe { *out = list };
}

fn to_view(view: u32) -> Result<View, sioh_status> {
    match view {
        v if v == sioh_view::Log as u32 => Ok(View::Log),
        v if v == sioh_view::Latest as u32 => Ok(View::Latest),
        other => Err(fail(
            sioh_status::InvalidArgument,
            format!("view must be a sioh_view (0 or 1), got {other}"),
        )),
    }
}

/// Read a room's history (`query` NULL: everything). On success
/// `*entries_out` owns the result; free it with `sioh_entries_free`. A room
/// without history gives an empty result.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_room_fetch(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    query: *const sioh_query,
    entries_out: *mut *mut sioh_entries,
) -> sioh_status {
    boundary!(fetch(
        store,
        (ns, ns_len),
        (room, room_len),
        query,
        Ok(View::Log),
        entries_out
    ))
}

/// `sioh_room_fetch` with a `view` (a `sioh_view`): `SIOH_VIEW_LATEST`
/// shows each live message once, at its create's place, in its latest
/// state (`limit` counts what is returned; event filters match the latest
/// event name). `sioh_entries_get_message` tells an entry's message.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_room_fetch_view(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    query: *const sioh_query,
    view: u32,
    entries_out: *mut *mut sioh_entries,
) -> sioh_status {
    boundary!(fetch(
        store,
        (ns, ns_len),
        (room, room_len),
        query,
        to_view(view),
        entries_out
    ))
}

/// The body of both fetches (inside their boundaries).
fn fetch(
    store: *const sioh_store,
    (ns, ns_len): (*const c_char, usize),
    (room, room_len): (*const c_char, usize),
    query: *const sioh_query,
    view: Result<View, sioh_status>,
    entries_out: *mut *mut sioh_entries,
) -> sioh_status {
    done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        let q = unsafe { to_query(query)? }.view(view?);
        if entries_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "entries_out is NULL"));
        }
        hand_out(&k.store.fetch(k.ns, k.room, &q), entries_out);
        Ok(())
    })())
}

/// A windowed read for a reconnecting client: like `sioh_room_fetch`, plus
/// `*info_out` with `gap` (the cursor cannot be served whole: entries after
/// `since_seq` are gone, `since_seq` is ahead of `last_seq`, or `epoch` is
/// not the room's) and `has_more`. `epoch` (optional, `epoch_len` bytes) is
/// the epoch the client's cursor came from.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_room_page(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    query: *const sioh_query,
    epoch: *const c_char,
    epoch_len: usize,
    entries_out: *mut *mut sioh_entries,
    info_out: *mut sioh_page_info,
) -> sioh_status {
    boundary!(page(
        store,
        (ns, ns_len),
        (room, room_len),
        query,
        View::Log,
        (epoch, epoch_len),
        entries_out,
        info_out,
    ))
}

/// `sioh_room_page` with a `view` (a `sioh_view`, as for
/// `sioh_room_fetch_view`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sioh_room_page_view(
    store: *const sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
    query: *const sioh_query,
    view: u32,
    epoch: *const c_char,
    epoch_len: usize,
    entries_out: *mut *mut sioh_entries,
    info_out: *mut sioh_page_info,
) -> sioh_status {
    boundary!(match to_view(view) {
        Ok(v) => page(
            store,
            (ns, ns_len),
            (room, room_len),
            query,
            v,
            (epoch, epoch_len),
            entries_out,
            info_out,
        ),
        Err(status) => status,
    })
}

/// The body of both page reads (inside their boundaries).
#[allow(clippy::too_many_arguments)]
fn page(
    store: *const sioh_store,
    (ns, ns_len): (*const c_char, usize),
    (room, room_len): (*const c_char, usize),
    query: *const sioh_query,
    view: View,
    (epoch, epoch_len): (*const c_char, usize),
    entries_out: *mut *mut sioh_entries,
    info_out: *mut sioh_page_info,
) -> sioh_status {
    done((|| {
        // SAFETY: pointers checked by the helpers.
        let k = unsafe { key(store, ns, ns_len, room, room_len)? };
        let q = unsafe { to_query(query)? }.view(view);
        let epoch = if epoch.is_null() {
            None
        } else {
            Some(unsafe { input::text("epoch", epoch, epoch_len)? })
        };
        if entries_out.is_null() || info_out.is_null() {
            return Err(fail(
                sioh_status::NullPointer,
                "entries_out or info_out is NULL",
            ));
        }
        let page = k.store.page(k.ns, k.room, &q, epoch);
        hand_out(&page.entries, entries_out);
        let info = sioh_page_info {
            epoch: epoch_field(page.epoch),
            has_first_seq: page.first_seq.is_some(),
            first_seq: page.first_seq.unwrap_or(0),
            last_seq: page.last_seq,
            has_more: page.has_more,
            gap: page.gap,
        };
        unsafe { put(info_out, info) };
        Ok(())
    })())
}

/// The message side of the `index`th entry in `*out`: its action, message
/// id and version (a plain emit: `SIOH_ACTION_CREATE`, NULL id, version 0).
#[no_mangle]
pub extern "C" fn sioh_entries_get_message(
    entries: *const sioh_entries,
    index: usize,
    out: *mut sioh_entry_message,
) -> sioh_status {
    boundary!(done((|| {
        if out.is_null() {
            return Err(fail(sioh_status::NullPointer, "out is NULL"));
        }
        // SAFETY: a live result or NULL (checked).
        let it = unsafe { item_at(entries, index)? };
        let view = sioh_entry_message {
            action: it.action,
            message_id: it
                .message_id
                .as_ref()
                .map_or(std::ptr::null(), |m| m.as_ptr().cast()),
            message_id_len: it.message_id.as_ref().map_or(0, |m| m.len() - 1),
            version: it.version,
            redacted: it.redacted,
            deleted: it.deleted,
        };
        unsafe { put(out, view) };
        Ok(())
    })()))
}

/// The `index`th item of a result.
///
/// # Safety
/// `entries` must be NULL or a live result.
unsafe fn item_at<'a>(entries: *const sioh_entries, index: usize) -> Result<&'a Item, sioh_status> {
    let entries = input::required("entries", entries)?;
    entries.items.get(index).ok_or_else(|| {
        fail(
            sioh_status::InvalidArgument,
            format!(
                "index {index} is out of range (len {})",
                entries.items.len()
            ),
        )
    })
}

/// How many entries a result holds (0 for NULL).
#[no_mangle]
pub extern "C" fn sioh_entries_len(entries: *const sioh_entries) -> usize {
    // SAFETY: NULL checked; otherwise a live result.
    boundary! { unsafe { entries.as_ref() }.map_or(0, |e| e.items.len()) }
}

/// A view of the `index`th entry (oldest first) in `*entry_out`.
#[no_mangle]
pub extern "C" fn sioh_entries_get(
    entries: *const sioh_entries,
    index: usize,
    entry_out: *mut sioh_entry,
) -> sioh_status {
    boundary!(done((|| {
        if entry_out.is_null() {
            return Err(fail(sioh_status::NullPointer, "entry_out is NULL"));
        }
        // SAFETY: a live result or NULL (checked).
        let it = unsafe { item_at(entries, index)? };
        let view = sioh_entry {
            event: it.event.as_ptr().cast(),
            event_len: it.event.len() - 1,
            kind: it.kind,
            payload: it.payload.as_ptr(),
            payload_len: it.payload.len() - 1,
            timestamp: it.timestamp,
            seq: it.seq,
            truncated: it.truncated,
        };
        unsafe { put(entry_out, view) };
        Ok(())
    })()))
}

/// Free a result. NULL is a no-op.
#[no_mangle]
pub extern "C" fn sioh_entries_free(entries: *mut sioh_entries) {
    // SAFETY: from `sioh_room_fetch`/`sioh_room_page`, freed once.
    boundary! { unsafe { crate::free_box(entries) } }
}
