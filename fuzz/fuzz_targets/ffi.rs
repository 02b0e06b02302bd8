//! The C ABI fed arbitrary bytes as names, JSON, payload kinds and config
//! values. Every call must return a valid status and never panic: a panic
//! caught at the boundary shows as SIOH_STATUS_INTERNAL_ERROR, which fails
//! the run, and so does a status outside the enum.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use socketio_history::*;
use std::ffi::c_char;
use std::ptr::{null, null_mut};

fn check(status: sioh_status) -> bool {
    let code = status as u32;
    // Every status but INTERNAL_ERROR (8): that is a caught panic.
    assert!(code <= 10 && code != 8, "unexpected status {code}");
    status == sioh_status::Ok
}

/// Bytes from the input, to hand to C: sometimes a NULL pointer.
fn span<'a>(u: &mut Unstructured<'a>) -> Result<(*const c_char, usize, &'a [u8])> {
    let len = u.int_in_range(0..=24)?;
    let bytes = u.bytes(len)?;
    Ok(if u.ratio(1, 16)? { (null(), len, bytes) } else { (bytes.as_ptr().cast(), bytes.len(), bytes) })
}

fn config(u: &mut Unstructured) -> Result<sioh_room_config> {
    let mut c = sioh_room_config {
        max_entries: 0,
        retention_seconds: 0.0,
        max_bytes: 0,
        has_payload_size_cap: false,
        payload_size_cap: 0,
        max_message_bytes: 0,
        max_appends: 0,
        max_open_streams: 0,
    };
    sioh_room_config_init(&mut c);
    c.max_message_bytes = u.int_in_range(0..=16)?;
    c.max_appends = u.int_in_range(0..=4)?;
    c.max_open_streams = u.int_in_range(0..=2)?;
    c.max_entries = u.int_in_range(0..=8)?;
    c.retention_seconds = *u.choose(&[0.0, 0.001, 1.0, -1.0, f64::NAN, f64::INFINITY, 1e300])?;
    c.max_bytes = u.int_in_range(0..=64)?;
    c.has_payload_size_cap = u.arbitrary()?;
    c.payload_size_cap = u.int_in_range(0..=16)?;
    Ok(c)
}

fn step(u: &mut Unstructured, store: *mut sioh_store, rooms: &[&[u8]]) -> Result<()> {
    let (ns, ns_len) = if u.arbitrary()? { (null(), 0) } else { ("/".as_ptr().cast(), 1) };
    let (room, room_len) = if u.ratio(3, 4)? {
        let r = rooms[u.choose_index(rooms.len())?];
        (r.as_ptr().cast(), r.len())
    } else {
        let (p, l, _) = span(u)?;
        (p, l)
    };
    match u.int_in_range(0..=8u8)? {
        0 => {
            let c = config(u)?;
            let cfg: *const sioh_room_config = if u.arbitrary()? { &c } else { null() };
            check(sioh_room_enable(store, ns, ns_len, room, room_len, cfg));
        }
        1 => {
            let (event, event_len, _) = span(u)?;
            let kind: u32 = u.int_in_range(0..=4)?;
            let (payload, payload_len, _) = span(u)?;
            let ts = *u.choose(&[1.0, f64::NAN, -5.0])?;
            let ts_ptr: *const f64 = if u.arbitrary()? { &ts } else { null() };
            let mut seq = 0u64;
            if check(sioh_room_record(store, ns, ns_len, room, room_len, event, event_len, kind,
                payload.cast(), payload_len, ts_ptr, &mut seq)) {
                assert!(seq >= 1);
            }
        }
        2 | 3 => {
            let mut q = std::mem::MaybeUninit::uninit();
            sioh_query_init(q.as_mut_ptr());
            // SAFETY: initialised by sioh_query_init.
            let mut q = unsafe { q.assume_init() };
            let names: Vec<sioh_str> = (0..u.int_in_range(0..=3)?)
                .map(|_| span(u).map(|(p, l, _)| sioh_str { ptr: p, len: l }))
                .collect::<Result<_>>()?;
            q.has_limit = u.arbitrary()?;
            q.limit = u.int_in_range(0..=5)?;
            q.has_since_seq = u.arbitrary()?;
            q.since_seq = u.arbitrary()?;
            q.has_before_seq = u.arbitrary()?;
            q.before_seq = u.arbitrary()?;
            q.has_include_events = u.arbitrary()?;
            q.include_events = if names.is_empty() && u.arbitrary()? { null() } else { names.as_ptr() };
            q.include_events_len = names.len();
            q.has_exclude_events = u.arbitrary()?;
            q.exclude_events = names.as_ptr();
            q.exclude_events_len = names.len();
            q.has_payload_size_cap = u.arbitrary()?;
            q.payload_size_cap = u.int_in_range(0..=8)?;
            let mut entries = null_mut();
            let ok = if u.arbitrary()? {
                check(sioh_room_fetch(store, ns, ns_len, room, room_len, &q, &mut entries))
            } else {
                let (epoch, epoch_len, _) = span(u)?;
                let mut info = std::mem::MaybeUninit::uninit();
                check(sioh_room_page(store, ns, ns_len, room, room_len, &q, epoch, epoch_len,
                    &mut entries, info.as_mut_ptr()))
            };
            if ok {
                let n = sioh_entries_len(entries);
                let mut prev = 0;
                for i in 0..=n {
                    let mut e = std::mem::MaybeUninit::uninit();
                    if check(sioh_entries_get(entries, i, e.as_mut_ptr())) {
                        // SAFETY: written on success.
                        let e = unsafe { e.assume_init() };
                        assert!(e.seq > prev);
                        prev = e.seq;
                    } else {
                        assert_eq!(i, n);
                    }
                }
            }
            sioh_entries_free(entries);
        }
        4 => {
            let mut s = std::mem::MaybeUninit::uninit();
            check(sioh_room_stats(store, ns, ns_len, room, room_len, s.as_mut_ptr()));
        }
        5 => {
            check(sioh_room_clear(store, ns, ns_len, room, room_len, null_mut()));
        }
        6 => {
            check(sioh_room_disable(store, ns, ns_len, room, room_len, null_mut()));
        }
        7 => message_step(u, store, ns, ns_len, room, room_len)?,
        _ => {
            let mut list = null_mut();
            if check(sioh_store_rooms(store, &mut list)) {
                let mut a = sioh_str { ptr: null(), len: 0 };
                let mut b = a;
                for i in 0..sioh_rooms_len(list) {
                    assert!(check(sioh_rooms_get(list, i, &mut a, &mut b)));
                }
            }
            sioh_rooms_free(list);
        }
    }
    Ok(())
}

/// One operation on a mutable message: ids, patches, fragments and grants
/// from the input (a few fixed ids so operations meet the same message).
fn message_step(
    u: &mut Unstructured,
    store: *mut sioh_store,
    ns: *const c_char,
    ns_len: usize,
    room: *const c_char,
    room_len: usize,
) -> Result<()> {
    let ids: [&[u8]; 3] = [b"m1", b"m2", b"bad id"];
    let (id, id_len) = if u.ratio(3, 4)? {
        let i = ids[u.choose_index(ids.len())?];
        (i.as_ptr().cast::<c_char>(), i.len())
    } else {
        let (p, l, _) = span(u)?;
        (p, l)
    };
    let (value, value_len, _) = span(u)?;
    let patch = sioh_patch {
        mode: u.int_in_range(0..=3)?,
        kind: u.int_in_range(0..=4)?,
        value: value.cast(),
        value_len,
    };
    let (pattern, pattern_len, _) = span(u)?;
    let grant = sioh_grant { kind: u.int_in_range(0..=6)?, pattern, pattern_len };
    let (actor, actor_len, _) = span(u)?;
    let auth = sioh_auth { actor, actor_len, grants: &grant, grants_len: u.int_in_range(0..=1)? };
    let auth_ptr: *const sioh_auth = if u.arbitrary()? { &auth } else { null() };
    let mut m = std::mem::MaybeUninit::uninit();
    let out = m.as_mut_ptr();
    match u.int_in_range(0..=5u8)? {
        0 => {
            let (event, event_len, _) = span(u)?;
            let owner: &[u8] = if u.arbitrary()? { b"alice" } else { b"" };
            check(sioh_message_create(store, ns, ns_len, room, room_len, event, event_len,
                patch.kind, patch.value, patch.value_len, id, id_len,
                if owner.is_empty() { null() } else { owner.as_ptr().cast() }, owner.len(), out));
        }
        1 => {
            let ev: *const sioh_patch = if u.arbitrary()? { &patch } else { null() };
            let data: *const sioh_patch = if u.arbitrary()? { &patch } else { null() };
            check(sioh_message_update(store, ns, ns_len, room, room_len, id, id_len, ev, data,
                auth_ptr, out));
        }
        2 => {
            check(sioh_message_delete(store, ns, ns_len, room, room_len, id, id_len, auth_ptr, out));
        }
        3 => {
            check(sioh_message_append(store, ns, ns_len, room, room_len, id, id_len, value,
                value_len, u.arbitrary()?, auth_ptr, out));
        }
        4 => {
            let mut entries = null_mut();
            let mut state = std::mem::MaybeUninit::uninit();
            if check(sioh_message_get(store, ns, ns_len, room, room_len, id, id_len, &mut entries,
                state.as_mut_ptr())) {
                assert_eq!(sioh_entries_len(entries), 1);
            }
            sioh_entries_free(entries);
        }
        _ => {
            let mut entries = null_mut();
            let view: u32 = u.int_in_range(0..=2)?;
            let ok = if u.arbitrary()? {
                check(sioh_message_versions(store, ns, ns_len, room, room_len, id, id_len,
                    u.int_in_range(0..=4)?, &mut entries))
            } else {
                check(sioh_room_fetch_view(store, ns, ns_len, room, room_len, null(), view,
                    &mut entries))
            };
            if ok {
                for i in 0..sioh_entries_len(entries) {
                    let mut em = std::mem::MaybeUninit::uninit();
                    assert!(check(sioh_entries_get_message(entries, i, em.as_mut_ptr())));
                }
            }
            sioh_entries_free(entries);
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let budget = if u.arbitrary().unwrap_or(false) { 2048 } else { 0 };
    let mut store = null_mut();
    assert!(check(sioh_store_new(budget, &mut store)));
    let rooms: [&[u8]; 3] = [b"a", b"b", b"\xff"];
    for _ in 0..64 {
        if step(&mut u, store, &rooms).is_err() {
            break;
        }
    }
    sioh_store_free(store);
});
