//! A read's arguments as the Python methods take them, and how a read is
//! run: small ones build their dicts under the room's lock, large ones let
//! the core copy without the GIL first.

use crate::args::{self, to_usize};
use crate::messages;
use crate::read::{self, entries_list};
use pyo3::prelude::*;
use pyo3::types::PyList;
use socketio_history_core as core;
use socketio_history_core::Query;

/// One read's parameters, as the public methods take them.
pub struct ReadArgs {
    pub query: Query,
}

impl ReadArgs {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        limit: Option<&Bound<'_, PyAny>>,
        include_events: Option<&Bound<'_, PyAny>>,
        exclude_events: Option<&Bound<'_, PyAny>>,
        payload_size_cap: Option<&Bound<'_, PyAny>>,
        since_seq: Option<&Bound<'_, PyAny>>,
        before_seq: Option<&Bound<'_, PyAny>>,
        view: Option<&Bound<'_, PyAny>>,
        since_time: Option<&Bound<'_, PyAny>>,
        until_time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(ReadArgs {
            query: Query {
                limit: to_usize(args::count("limit", limit, 0)?),
                since_seq: args::count("since_seq", since_seq, 0)?,
                before_seq: args::count("before_seq", before_seq, 0)?,
                include_events: args::events("include_events", include_events)?,
                exclude_events: args::events("exclude_events", exclude_events)?,
                payload_size_cap: to_usize(args::count("payload_size_cap", payload_size_cap, 0)?)
                    .into(),
                for_client: None,
                view: messages::view(view)?,
                since_time: args::time("since_time", since_time)?,
                until_time: args::time("until_time", until_time)?,
            },
        })
    }
}

/// The query of a replay to one client (see [`Query::for_replay`]).
pub fn replay(
    limit: Option<&Bound<'_, PyAny>>,
    include_events: Option<&Bound<'_, PyAny>>,
    exclude_events: Option<&Bound<'_, PyAny>>,
    since_seq: Option<&Bound<'_, PyAny>>,
    member_of: Option<Vec<String>>,
    joined_at: Option<u64>,
) -> PyResult<Query> {
    let a = ReadArgs::parse(
        limit,
        include_events,
        exclude_events,
        None,
        since_seq,
        None,
        None,
        None,
        None,
    )?;
    Ok(a.query.for_replay(member_of, joined_at))
}

/// A read as a list of entry dicts.
pub fn fetch_list<'py>(
    store: &core::HistoryStore,
    py: Python<'py>,
    room: &Bound<'py, PyAny>,
    namespace: Option<&Bound<'py, PyAny>>,
    query: &Query,
) -> PyResult<Bound<'py, PyList>> {
    let room = args::string("room", room)?;
    let ns = args::namespace(namespace)?;
    if is_small(query.limit) {
        return read::under_lock(py, |f| {
            store.visit(&ns, &room, query, f);
        });
    }
    let entries = py.detach(|| store.fetch(&ns, &room, query));
    entries_list(py, &entries)
}

/// Reads of more than this many entries release the GIL while the core
/// works. Smaller ones keep it: giving it up and taking it back costs more
/// than they take, and lets another thread (an Engine.IO writer) in ahead.
const LARGE_READ: usize = 256;

/// Whether a read of at most `limit` entries (`None`: unbounded) is small.
pub fn is_small(limit: Option<usize>) -> bool {
    limit.is_some_and(|n| n <= LARGE_READ)
}

/// Run `f` (core work, no Python) without the GIL if the read may be large.
pub fn large<T: Send>(py: Python<'_>, limit: Option<usize>, f: impl FnOnce() -> T + Send) -> T {
    if is_small(limit) {
        f()
    } else {
        py.detach(f)
    }
}
