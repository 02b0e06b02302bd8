//! The store handle, and the room key every per-room call starts from.

use crate::boundary::boundary;
use crate::input;
use crate::status::{core_error, fail, sioh_status, Checked};
use socketio_history_core::HistoryStore;
use std::ffi::c_char;

/// A store of room histories. Opaque: create with `sioh_store_new`, free with
/// `sioh_store_free`. Every function taking a `const sioh_store *` may be
/// called from any thread at the same time.
#[allow(non_camel_case_types)]
pub struct sioh_store {
    pub(crate) inner: HistoryStore,
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
    boundary! { unsafe { crate::free_box(store) } }
}

/// Bytes charged against the store's budget now (0 without a budget or for NULL).
#[no_mangle]
pub extern "C" fn sioh_store_total_bytes(store: *const sioh_store) -> usize {
    // SAFETY: NULL is checked; otherwise a live store from `sioh_store_new`.
    boundary! { unsafe { store.as_ref() }.map_or(0, |s| s.inner.total_bytes()) }
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
