//! What a read selects: `sioh_query` and its translation to the core's
//! `Query`.

use crate::boundary::boundary;
use crate::input::{self, put, sioh_str};
use crate::status::Checked;
use socketio_history_core::Query;

/// What a read selects. Initialise with `sioh_query_init` (everything off:
/// all entries, no cap), then set the fields you need together with their
/// `has_` flag. Applied in this order: expired entries dropped; `since_seq`
/// < seq < `before_seq` and `since_time` <= timestamp < `until_time`;
/// `include_events` kept; `exclude_events` dropped;
/// the newest `limit` kept; returned oldest to newest; payloads cut to the
/// cap (which replaces the room's default).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_query {
    /// Whether `limit` applies.
    pub has_limit: bool,
    /// Keep at most this many (the newest); 0 returns none.
    pub limit: usize,
    /// Whether `since_seq` applies.
    pub has_since_seq: bool,
    /// Exclusive lower bound on seq.
    pub since_seq: u64,
    /// Whether `before_seq` applies.
    pub has_before_seq: bool,
    /// Exclusive upper bound on seq.
    pub before_seq: u64,
    /// Whether `include_events` applies (an empty list selects nothing).
    pub has_include_events: bool,
    /// Event names to keep: `include_events_len` strings.
    pub include_events: *const sioh_str,
    /// Length of `include_events`.
    pub include_events_len: usize,
    /// Whether `exclude_events` applies (an empty list drops nothing).
    pub has_exclude_events: bool,
    /// Event names to drop: `exclude_events_len` strings.
    pub exclude_events: *const sioh_str,
    /// Length of `exclude_events`.
    pub exclude_events_len: usize,
    /// Whether `payload_size_cap` applies.
    pub has_payload_size_cap: bool,
    /// Cut returned payloads larger than this many bytes (`SIZE_MAX`: whole
    /// payloads, whatever the room's default).
    pub payload_size_cap: usize,
    /// Whether `since_time` applies.
    pub has_since_time: bool,
    /// Keep entries recorded at or after this time (Unix seconds; not NaN).
    pub since_time: f64,
    /// Whether `until_time` applies.
    pub has_until_time: bool,
    /// Keep entries recorded before this time (Unix seconds; not NaN).
    pub until_time: f64,
}

/// Set `query` to select everything with no cap. NULL is a no-op.
#[no_mangle]
pub extern "C" fn sioh_query_init(query: *mut sioh_query) {
    // SAFETY: NULL checked by `put`.
    boundary! { unsafe { put(query, sioh_query::ALL) } }
}

impl sioh_query {
    /// Everything, no cap.
    const ALL: sioh_query = sioh_query {
        has_limit: false,
        limit: 0,
        has_since_seq: false,
        since_seq: 0,
        has_before_seq: false,
        before_seq: 0,
        has_include_events: false,
        include_events: std::ptr::null(),
        include_events_len: 0,
        has_exclude_events: false,
        exclude_events: std::ptr::null(),
        exclude_events_len: 0,
        has_payload_size_cap: false,
        payload_size_cap: 0,
        has_since_time: false,
        since_time: 0.0,
        has_until_time: false,
        until_time: 0.0,
    };
}

/// # Safety
/// `q` must be NULL or a valid `sioh_query` whose lists are valid.
pub(crate) unsafe fn to_query(q: *const sioh_query) -> Checked<Query> {
    let Some(q) = q.as_ref() else {
        return Ok(Query::new());
    };
    Ok(Query {
        limit: q.has_limit.then_some(q.limit),
        since_seq: q.has_since_seq.then_some(q.since_seq),
        before_seq: q.has_before_seq.then_some(q.before_seq),
        include_events: if q.has_include_events {
            Some(input::text_list(
                "include_events",
                q.include_events,
                q.include_events_len,
            )?)
        } else {
            None
        },
        exclude_events: if q.has_exclude_events {
            Some(input::text_list(
                "exclude_events",
                q.exclude_events,
                q.exclude_events_len,
            )?)
        } else {
            None
        },
        payload_size_cap: q.has_payload_size_cap.then_some(q.payload_size_cap).into(),
        // Delivery metadata is not recorded from C (yet): nothing to filter.
        for_client: None,
        view: Default::default(),
        since_time: time("since_time", q.has_since_time, q.since_time)?,
        until_time: time("until_time", q.has_until_time, q.until_time)?,
    })
}

fn time(param: &str, has: bool, t: f64) -> Checked<Option<f64>> {
    if !has {
        return Ok(None);
    }
    if t.is_nan() {
        return Err(crate::status::fail(
            crate::status::sioh_status::InvalidArgument,
            format!("{param} must be a number of Unix seconds, not NaN"),
        ));
    }
    Ok(Some(t))
}
