//! The list of rooms with history enabled.

use crate::boundary::boundary;
use crate::input::{self, put, sioh_str};
use crate::status::{done, fail, sioh_status};
use crate::store::sioh_store;

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
        let items = store
            .inner
            .rooms()
            .into_iter()
            .map(|(n, r)| (n.into(), r.into()))
            .collect();
        let list = Box::into_raw(Box::new(sioh_rooms { items }));
        unsafe { *rooms_out = list };
        Ok(())
    })()))
}

/// How many rooms a list holds (0 for NULL).
#[no_mangle]
pub extern "C" fn sioh_rooms_len(rooms: *const sioh_rooms) -> usize {
    // SAFETY: NULL is checked; otherwise a live list.
    boundary! { unsafe { rooms.as_ref() }.map_or(0, |r| r.items.len()) }
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
    boundary! { unsafe { crate::free_box(rooms) } }
}
