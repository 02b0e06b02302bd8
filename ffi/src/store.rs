//! The store handle, and the room key every per-room call starts from.

use crate::boundary::boundary;
use crate::input;
use crate::status::{core_error, fail, sioh_status, Checked};
use socketio_history_core::{CoarseClock, HistoryStore, SyncPolicy};
use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

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

/// What a durable store's returned call may lose (`sioh_store_options`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_sync {
    /// Written (`write(2)`) before the call returns, synced every
    /// `sync_interval`: a killed process loses nothing (the default).
    Interval = 0,
    /// Synced (`fdatasync`) before the call returns.
    Always = 1,
    /// Written in the background: a killed process may lose the last
    /// few milliseconds.
    Off = 2,
}

/// How `sioh_store_open` makes a store. Set it up with
/// `sioh_store_options_init`, then change what you need: fields may be
/// added at the end in later versions, and the init function sets them.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_store_options {
    /// A budget in bytes across all rooms (0: none): when exceeded, the
    /// oldest entries of the whole store are evicted.
    pub max_total_bytes: usize,
    /// The clock the store reads, a `sioh_clock`.
    pub clock: u32,
    /// For a durable store, what a returned call may lose: a `sioh_sync`.
    pub sync: u32,
    /// The directory to keep the store in, `path_len` bytes of UTF-8
    /// (created 0700 if missing); NULL keeps it in memory only. A new
    /// store opened on the same directory starts with what the last one
    /// had.
    pub path: *const c_char,
    /// The length of `path` in bytes.
    pub path_len: usize,
    /// Seconds between syncs with `SIOH_SYNC_INTERVAL` (more than 0, at
    /// most a day; the default is 1).
    pub sync_interval: f64,
}

/// Set `options` to the defaults: no budget, the precise clock, memory
/// only, `SIOH_SYNC_INTERVAL` every second. Does nothing if `options` is
/// NULL.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_store_options_init(options: *mut sioh_store_options) {
    // SAFETY: NULL is checked; otherwise the caller's writable struct.
    boundary! {
        if let Some(o) = unsafe { options.as_mut() } {
            *o = sioh_store_options {
                max_total_bytes: 0,
                clock: sioh_clock::Precise as u32,
                sync: sioh_sync::Interval as u32,
                path: std::ptr::null(),
                path_len: 0,
                sync_interval: 1.0,
            };
        }
    }
}

/// Create a store as `options` says; with a `path`, open (or create) the
/// durable store kept there, replaying what it holds. On success
/// `*store_out` owns the new store. `SIOH_STATUS_STORAGE` when the
/// directory cannot be used (not creatable, not a directory, open in
/// another process, another journal format);
/// `SIOH_STATUS_INVALID_ARGUMENT` for an unknown clock or sync, or a bad
/// interval.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_store_open(
    options: *const sioh_store_options,
    store_out: *mut *mut sioh_store,
) -> sioh_status {
    // SAFETY: pointers as documented above.
    boundary!(unsafe { open_store(options, store_out) })
}

/// # Safety
/// `options` is NULL or a readable `sioh_store_options` whose `path`
/// (if not NULL) points to `path_len` readable bytes.
unsafe fn open_store(
    options: *const sioh_store_options,
    store_out: *mut *mut sioh_store,
) -> sioh_status {
    let Some(o) = (unsafe { options.as_ref() }) else {
        return fail(sioh_status::NullPointer, "options is NULL");
    };
    let path = if o.path.is_null() {
        None
    } else {
        match unsafe { input::text("path", o.path, o.path_len) } {
            Ok(p) => Some(p),
            Err(status) => return status,
        }
    };
    let sync = match o.sync {
        s if s == sioh_sync::Interval as u32 => SyncPolicy::Interval,
        s if s == sioh_sync::Always as u32 => SyncPolicy::Always,
        s if s == sioh_sync::Off as u32 => SyncPolicy::Off,
        other => {
            return fail(
                sioh_status::InvalidArgument,
                format!("sync must be a sioh_sync (0, 1 or 2), got {other}"),
            )
        }
    };
    let Ok(interval) = Duration::try_from_secs_f64(o.sync_interval) else {
        return fail(
            sioh_status::InvalidArgument,
            format!(
                "sync_interval must be a finite number of seconds > 0, got {}",
                o.sync_interval
            ),
        );
    };
    let builder = HistoryStore::builder()
        .path(path)
        .sync(sync)
        .sync_interval(interval);
    build_store(builder, o.max_total_bytes, o.clock, store_out)
}

fn new_store(max_total_bytes: usize, clock: u32, store_out: *mut *mut sioh_store) -> sioh_status {
    build_store(HistoryStore::builder(), max_total_bytes, clock, store_out)
}

fn build_store(
    builder: socketio_history_core::StoreBuilder,
    max_total_bytes: usize,
    clock: u32,
    store_out: *mut *mut sioh_store,
) -> sioh_status {
    if store_out.is_null() {
        return fail(sioh_status::NullPointer, "store_out is NULL");
    }
    let mut builder = builder.max_total_bytes((max_total_bytes != 0).then_some(max_total_bytes));
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

/// Write out and sync (`fdatasync`) every change so far; for an in-memory
/// store it does nothing. NULL is `SIOH_STATUS_NULL_POINTER`.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_store_sync(store: *const sioh_store) -> sioh_status {
    // SAFETY: NULL is checked; otherwise a live store.
    boundary!(match unsafe { store.as_ref() } {
        Some(s) => {
            s.inner.sync();
            sioh_status::Ok
        }
        None => fail(sioh_status::NullPointer, "store is NULL"),
    })
}

/// Close a durable store's directory: sync every change so far and release
/// the directory, so that another process may open it. The store goes on
/// serving from memory but writes nothing more. Closing again, or an
/// in-memory store, does nothing; `sioh_store_free` closes too.
///
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn sioh_store_close(store: *const sioh_store) -> sioh_status {
    // SAFETY: NULL is checked; otherwise a live store.
    boundary!(match unsafe { store.as_ref() } {
        Some(s) => {
            s.inner.close();
            sioh_status::Ok
        }
        None => fail(sioh_status::NullPointer, "store is NULL"),
    })
}

/// How many journal writes, syncs or compactions of a durable store failed
/// (the store goes on serving from memory; `sioh_last_error_message` does
/// not say why, this count only). 0 for NULL or an in-memory store.
#[no_mangle]
pub extern "C" fn sioh_store_journal_failures(store: *const sioh_store) -> u64 {
    // SAFETY: NULL is checked; otherwise a live store.
    boundary! { unsafe { store.as_ref() }.map_or(0, |s| s.inner.journal_failures()) }
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
