//! ``_Replayer``: a store's replays to one client (private to the
//! package), as entry dicts or as the packets python-socketio would send.

use crate::args;
use crate::query::{self, fetch_list, large};
use crate::store::HistoryStore;
use crate::wire;
use pyo3::prelude::*;
use pyo3::types::PyList;
use socketio_history_core as core;
use std::sync::Arc;

/// ``replay_history``'s access to a :class:`HistoryStore` (internal).
#[pyclass(module = "socketio_history._native", name = "_Replayer", frozen)]
pub struct Replayer {
    inner: Arc<core::HistoryStore>,
}

#[pymethods]
impl Replayer {
    #[new]
    fn new(store: &Bound<'_, HistoryStore>) -> Self {
        Replayer {
            inner: store.get().core(),
        }
    }

    /// What ``replay_history`` sends: like :meth:`fetch`, with whole
    /// payloads whatever the room's default cap.
    /// ``member_of`` (the client's rooms, its sid among them) re-applies
    /// each entry's delivery metadata: what skipped the client is left out.
    /// ``joined_at`` leaves out what came after it (the client received
    /// that live).
    /// Each live message is replayed once in its latest state (deleted ones
    /// left out, before the limit counts).
    #[pyo3(signature = (room, limit=None, namespace=None, include_events=None, exclude_events=None, since_seq=None, member_of=None, joined_at=None))]
    #[allow(clippy::too_many_arguments)]
    fn entries<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        limit: Option<&Bound<'py, PyAny>>,
        namespace: Option<&Bound<'py, PyAny>>,
        include_events: Option<&Bound<'py, PyAny>>,
        exclude_events: Option<&Bound<'py, PyAny>>,
        since_seq: Option<&Bound<'py, PyAny>>,
        member_of: Option<Vec<String>>,
        joined_at: Option<u64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let query = query::replay(
            limit,
            include_events,
            exclude_events,
            since_seq,
            member_of,
            joined_at,
        )?;
        fetch_list(&self.inner, py, room, namespace, &query)
    }

    /// The entries of :meth:`_replay_entries` as the Socket.IO packets that
    /// replay them to ``sid``, encoded as python-socketio's default
    /// serializer would: ``(count, messages, offsets)``, the number of
    /// entries, every Engine.IO message to send in order (``str``, or
    /// ``bytes`` for binary attachments), and, with ``log``, the recovery
    /// offsets the packets carry (each entry logged as an emit to ``sid``).
    #[pyo3(signature = (room, sid, limit=None, namespace=None, include_events=None, exclude_events=None, since_seq=None, member_of=None, joined_at=None, log=false))]
    #[allow(clippy::too_many_arguments)]
    fn packets<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        sid: &str,
        limit: Option<&Bound<'py, PyAny>>,
        namespace: Option<&Bound<'py, PyAny>>,
        include_events: Option<&Bound<'py, PyAny>>,
        exclude_events: Option<&Bound<'py, PyAny>>,
        since_seq: Option<&Bound<'py, PyAny>>,
        member_of: Option<Vec<String>>,
        joined_at: Option<u64>,
        log: bool,
    ) -> PyResult<(usize, Bound<'py, PyList>, Bound<'py, PyList>)> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let query = query::replay(
            limit,
            include_events,
            exclude_events,
            since_seq,
            member_of,
            joined_at,
        )?;
        let packets = large(py, query.limit, || {
            self.inner
                .replay_packets(&ns, &room, &query, sid, log, core::JsonStyle::PythonAscii)
        });
        let (messages, offsets) = wire::messages(py, &packets)?;
        Ok((packets.len(), messages, offsets))
    }
}
