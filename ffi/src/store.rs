//! The store handle, and the room key every per-room call starts from.

use crate::boundary::boundary;
use crate::input;
use crate::status::{core_error, fail, sioh_status, Checked};
use socketio_history_core::{CoarseClock, HistoryStore};
use std::ffi::c_char;
use std::sync::Arc;

/// A store of room histories. Opaque: create with `sioh_store_new`, free with
/// `sioh_store_free`. Every function taking a `const sioh_store *` may be
/// called from any thread at the same time.
#[allow(non_camel_case_types)]
pub struct sioh_store {
    pub(crate) inner: HistoryStore,
}

/// The clock a store reads at every record (`sioh_store_new_with_clock`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_clock {
    /// The precise monotonic clock (the default).
    Precise = 0,
    /// The coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux): a
    /// read costs a few nanoseconds instead of tens, for timestamps and
    /// age-based retention in steps of the kernel's tick (1 to 4 ms).
    Coarse = 1,
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
    boundary!(new_store(
        max_total_bytes,
        sioh_clock::Precise as u32,
        store_out
    ))
}

/// `sioh_store_new` with the clock the store reads (a `sioh_clock`); an
/// unknown clock is `SIOH_STATUS_INVALID_ARGUMENT`.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_store_new_with_clock(
    max_total_bytes: usize,
    clock: u32,
    store_out: *mut *mut sioh_store,
) -> sioh_status {
    boundary!(new_store(max_total_bytes, clock, store_out))
}

fn new_store(max_total_bytes: usize, clock: u32, store_out: *mut *mut sioh_store) -> sioh_status {
    if store_out.is_null() {
        return fail(sioh_status::NullPointer, "store_out is NULL");
    }
    let mut builder =
        HistoryStore::builder().max_total_bytes((max_total_bytes != 0).then_some(max_total_bytes));
    match clock {
        c if c == sioh_clock::Precise as u32 => {}
        c if c == sioh_clock::Coarse as u32 => {
            builder = builder.clock(Arc::new(CoarseClock::new()));
        }
        other => {
            return fail(
                sioh_status::InvalidArgument,
                format!("clock must be a sioh_clock (0 or 1), got {other}"),
            )
        }
    }
    match builder.build() {
        Ok(inner) => {
            let store = Box::into_raw(Box::new(sioh_store { inner }));
            // SAFETY: checked non-NULL above.
            unsafe { *store_out = store };
            sioh_status::Ok
        }
        Err(e) => core_error(e),
    }
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
