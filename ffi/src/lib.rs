//! `libsocketio_history`: the C ABI over the socketio-history core.
//!
//! Conventions (see the README's C section):
//! * every fallible function returns a `sioh_status`; out-parameters are
//!   written only on success;
//! * strings go in as `(pointer, length)` and are checked for UTF-8; a NULL
//!   namespace means `"/"`;
//! * what the library allocates is freed with its own `_free` function, and
//!   `_free(NULL)` is a no-op;
//! * no panic crosses the boundary: every export's body runs inside
//!   `boundary!` (see `boundary.rs`), and a status-returning call answers a
//!   panic with `SIOH_STATUS_INTERNAL_ERROR`;
//! * `sioh_last_error_message()` explains the last failure on this thread.
//!
//! This crate translates types and errors only; history logic lives in the
//! core crate.

// The exports take raw pointers from C, where `unsafe fn` means nothing; each
// pointer is checked for NULL before it is read (see `input.rs`).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod boundary;
mod config;
mod entries;
mod input;
mod messages;
mod query;
mod record;
mod room;
mod rooms;
mod stats;
mod status;
mod store;

pub use config::{sioh_room_config, sioh_room_config_init};
pub use entries::{
    sioh_action, sioh_entries, sioh_entries_free, sioh_entries_get, sioh_entries_get_message,
    sioh_entries_len, sioh_entry, sioh_entry_message, sioh_page_info, sioh_room_fetch,
    sioh_room_fetch_view, sioh_room_page, sioh_room_page_view, sioh_view,
};
pub use input::sioh_str;
pub use messages::{
    sioh_auth, sioh_grant, sioh_grant_kind, sioh_message_append, sioh_message_create,
    sioh_message_delete, sioh_message_get, sioh_message_state, sioh_message_update,
    sioh_message_versions, sioh_mutation, sioh_patch, sioh_patch_mode,
};
pub use query::{sioh_query, sioh_query_init};
pub use record::{sioh_payload_kind, sioh_room_note_record_error, sioh_room_record};
pub use room::{sioh_room_clear, sioh_room_disable, sioh_room_enable};
pub use rooms::{sioh_rooms, sioh_rooms_free, sioh_rooms_get, sioh_rooms_len, sioh_store_rooms};
pub use stats::{sioh_room_stats, sioh_stats};
pub use status::sioh_status;
pub use store::{sioh_store, sioh_store_free, sioh_store_new, sioh_store_total_bytes};

use boundary::boundary;
use std::ffi::c_char;

/// The library's version, e.g. `"0.2.0"` (static; never freed). Compare it
/// with `SIOH_VERSION_STRING` to check that the header matches the library.
#[no_mangle]
pub extern "C" fn sioh_version() -> *const c_char {
    boundary! { concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast() }
}

/// The fixed description of a status code (static; never freed). Unknown
/// codes get "unknown status code".
#[no_mangle]
pub extern "C" fn sioh_status_message(status: u32) -> *const c_char {
    boundary! {
        sioh_status::from_code(status)
            .map_or(status::UNKNOWN_STATUS, sioh_status::text)
            .as_ptr()
    }
}

/// A description of the last failure on the calling thread, naming the
/// parameter at fault where there is one ("" if nothing failed yet). Set by
/// every call that returns an error; successful calls leave it as it is. The
/// pointer is valid until the next failing call on this thread.
#[no_mangle]
pub extern "C" fn sioh_last_error_message() -> *const c_char {
    boundary! { status::last_error_ptr() }
}

/// Free a box handed out to C. NULL is a no-op. (Called inside an export's
/// boundary, which contains a panic in a destructor.)
///
/// # Safety
/// `ptr` must be NULL or come from `Box::into_raw` and not be freed before.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        drop(Box::from_raw(ptr));
    }
}
