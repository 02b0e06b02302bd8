//! A room's lifecycle: enable (or reconfigure), disable, clear.

use crate::boundary::boundary;
use crate::config::{config_to_core, sioh_room_config};
use crate::input::put;
use crate::status::{core_error, done, sioh_status};
use crate::store::{key, sioh_store};
use socketio_history_core::RoomConfig;
use std::ffi::c_char;

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
