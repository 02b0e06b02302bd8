//! The public ``HistoryStore`` class: argument translation around the
//! core's store, nothing more. What only the package's own hooks use is on
//! private classes beside it (``recorder.rs``, ``recovery.rs``,
//! ``replay.rs``), which share the same core store.

use crate::args::{self, core_error, to_usize};
use crate::clock;
use crate::convert::to_payload;
use crate::messages;
use crate::query::{fetch_list, is_small, ReadArgs};
use crate::read::{self, entries_list};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use socketio_history_core as core;
use socketio_history_core::Patch;
use socketio_history_core::{RecordOutcome, RoomConfig};
use std::sync::Arc;

/// History of Socket.IO rooms, keyed by ``(namespace, room)``, served from
/// memory.
///
/// Safe to share between threads. ``max_total_bytes`` bounds the memory of
/// every room together: when exceeded, the oldest entries of the whole store
/// are evicted. With ``path`` (a directory, created if missing) the store
/// also keeps a journal there, so a new process opening the same path
/// starts with what this one had; ``sync`` (``"always"``, ``"interval"``,
/// the default, or ``"off"``) says what a returned call may lose, and
/// ``sync_interval`` (seconds, default 1) how often ``"interval"`` syncs.
/// A path that cannot be used (a file, not writable, open in another
/// process, another journal format) raises ``OSError``.
// weakref: the package's journal watcher must not keep a store alive.
#[pyclass(module = "socketio_history._native", frozen, weakref)]
pub struct HistoryStore {
    inner: Arc<core::HistoryStore>,
}

impl HistoryStore {
    /// The core store, for the private classes that share it.
    pub fn core(&self) -> Arc<core::HistoryStore> {
        Arc::clone(&self.inner)
    }
}

#[pymethods]
impl HistoryStore {
    #[new]
    #[pyo3(signature = (max_total_bytes=None, *, clock=None, path=None, sync=None, sync_interval=None))]
    fn new(
        py: Python<'_>,
        max_total_bytes: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
        path: Option<&Bound<'_, PyAny>>,
        sync: Option<&Bound<'_, PyAny>>,
        sync_interval: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = core::HistoryStore::builder().max_total_bytes(to_usize(args::count(
            "max_total_bytes",
            max_total_bytes,
            1,
        )?));
        if let Some(c) = clock::of(clock)? {
            b = b.clock(c);
        }
        let path = args::path("path", path)?;
        if let Some(s) = args::opt_string("sync", sync)? {
            let policy = core::SyncPolicy::parse(&s).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "sync must be 'always', 'interval' or 'off', got {s:?}"
                ))
            })?;
            b = b.sync(policy);
        }
        if let Some(secs) = args::seconds("sync_interval", sync_interval)? {
            let d = std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "sync_interval must be a finite number of seconds > 0, got {secs}"
                ))
            })?;
            b = b.sync_interval(d);
        }
        // Opening a directory replays its journal: no GIL meanwhile.
        let store = py.detach(|| b.path(path).build()).map_err(core_error)?;
        Ok(HistoryStore {
            inner: Arc::new(store),
        })
    }

    /// The directory the store is kept in (``None``: memory only).
    #[getter]
    fn path(&self) -> Option<String> {
        self.inner.path().map(|p| p.display().to_string())
    }

    /// What opening the directory found: ``{"records": n, "dropped":
    /// [(segment, bytes), ...]}`` (torn or corrupt tails cut off), or
    /// ``None`` for an in-memory store.
    #[getter]
    fn open_report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(r) = self.inner.open_report() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("records", r.records)?;
        d.set_item("dropped", r.dropped.clone())?;
        Ok(Some(d))
    }

    /// The last journal write, sync or compaction that failed (the store
    /// goes on serving from memory), or ``None``.
    #[getter]
    fn journal_error(&self) -> Option<String> {
        self.inner.journal_error()
    }

    /// How many journal writes, syncs or compactions failed.
    #[getter]
    fn journal_failures(&self) -> u64 {
        self.inner.journal_failures()
    }

    /// Write out and sync every change so far (durable stores).
    fn sync(&self, py: Python<'_>) {
        py.detach(|| self.inner.sync());
    }

    /// Rewrite the journal from memory now (durable stores; a background
    /// thread does it by itself as the journal grows).
    fn compact(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.compact()).map_err(core_error)
    }

    /// Sync and release the directory (another process may open it); the
    /// store goes on serving from memory without writing. Does nothing
    /// for an in-memory store or a closed one.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close());
    }

    /// What one entry is charged against ``max_total_bytes``: its payload
    /// size, its event name's UTF-8 length and a fixed bookkeeping allowance.
    #[staticmethod]
    fn budget_cost(payload_size: &Bound<'_, PyAny>, event: &Bound<'_, PyAny>) -> PyResult<usize> {
        let size = to_usize(args::count("payload_size", Some(payload_size), 0)?).unwrap_or(0);
        Ok(core::HistoryStore::budget_cost(
            size,
            &args::string("event", event)?,
        ))
    }

    /// The store-wide byte budget, or ``None``.
    #[getter]
    fn max_total_bytes(&self) -> Option<usize> {
        self.inner.max_total_bytes()
    }

    /// Bytes charged against the budget now (0 without a budget).
    #[getter]
    fn total_bytes(&self) -> usize {
        self.inner.total_bytes()
    }

    /// Enable history for a room, or reconfigure it in place.
    /// ``max_message_bytes``, ``max_appends``, ``max_open_streams`` and
    /// ``mutation_prefix`` bound the room's mutable messages (``None``: the
    /// core's defaults).
    #[pyo3(signature = (room, namespace=None, max_entries=None, retention_seconds=None, payload_size_cap=None, max_bytes=None, max_message_bytes=None, max_appends=None, max_open_streams=None, mutation_prefix=None))]
    #[allow(clippy::too_many_arguments)]
    fn enable(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
        max_entries: Option<&Bound<'_, PyAny>>,
        retention_seconds: Option<&Bound<'_, PyAny>>,
        payload_size_cap: Option<&Bound<'_, PyAny>>,
        max_bytes: Option<&Bound<'_, PyAny>>,
        max_message_bytes: Option<&Bound<'_, PyAny>>,
        max_appends: Option<&Bound<'_, PyAny>>,
        max_open_streams: Option<&Bound<'_, PyAny>>,
        mutation_prefix: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        // `max_entries=None` means the core's default; 0 is refused by the core.
        let mut config = RoomConfig::default();
        if let Some(n) = to_usize(args::count("max_entries", max_entries, 0)?) {
            config = config.max_entries(n);
        }
        if let Some(n) = to_usize(args::count("max_message_bytes", max_message_bytes, 0)?) {
            config = config.max_message_bytes(n);
        }
        if let Some(n) = to_usize(args::count("max_appends", max_appends, 0)?) {
            config = config.max_appends(n);
        }
        if let Some(n) = to_usize(args::count("max_open_streams", max_open_streams, 0)?) {
            config = config.max_open_streams(n);
        }
        if let Some(p) = args::opt_string("mutation_prefix", mutation_prefix)? {
            config = config.mutation_prefix(&p);
        }
        let config = config
            .retention_seconds(args::seconds("retention_seconds", retention_seconds)?)
            .map_err(core_error)?
            .payload_size_cap(to_usize(args::count(
                "payload_size_cap",
                payload_size_cap,
                0,
            )?))
            .max_bytes(to_usize(args::count("max_bytes", max_bytes, 0)?));
        self.inner.enable(&ns, &room, config).map_err(core_error)
    }

    /// Disable history for a room and free its entries. Returns whether it
    /// was enabled.
    #[pyo3(signature = (room, namespace=None))]
    fn disable(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        Ok(self
            .inner
            .disable(&args::namespace(namespace)?, &args::string("room", room)?))
    }

    /// Whether history is enabled for a room.
    #[pyo3(signature = (room, namespace=None))]
    fn is_enabled(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        Ok(self
            .inner
            .is_enabled(&args::namespace(namespace)?, &args::string("room", room)?))
    }

    /// Record one emit. Returns its ``seq``, or ``None`` when the room has no
    /// history or the payload alone exceeds a byte bound.
    #[pyo3(signature = (room, event, data, namespace=None))]
    fn record(
        &self,
        room: &Bound<'_, PyAny>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<u64>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let event = args::string("event", event)?;
        let payload = to_payload(data)?;
        Ok(match self.inner.record(&ns, &room, &event, payload) {
            RecordOutcome::Recorded(seq) => Some(seq),
            _ => None,
        })
    }

    /// Read a room's history, oldest to newest (see ``get_history``);
    /// ``since_time`` (inclusive) and ``until_time`` (exclusive) select by
    /// record time, in Unix seconds.
    #[pyo3(signature = (room, limit=None, namespace=None, include_events=None, exclude_events=None, payload_size_cap=None, since_seq=None, before_seq=None, view=None, since_time=None, until_time=None))]
    #[allow(clippy::too_many_arguments)]
    fn fetch<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        limit: Option<&Bound<'py, PyAny>>,
        namespace: Option<&Bound<'py, PyAny>>,
        include_events: Option<&Bound<'py, PyAny>>,
        exclude_events: Option<&Bound<'py, PyAny>>,
        payload_size_cap: Option<&Bound<'py, PyAny>>,
        since_seq: Option<&Bound<'py, PyAny>>,
        before_seq: Option<&Bound<'py, PyAny>>,
        view: Option<&Bound<'py, PyAny>>,
        since_time: Option<&Bound<'py, PyAny>>,
        until_time: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let a = ReadArgs::parse(
            limit,
            include_events,
            exclude_events,
            payload_size_cap,
            since_seq,
            before_seq,
            view,
            since_time,
            until_time,
        )?;
        fetch_list(&self.inner, py, room, namespace, &a.query)
    }

    /// A windowed read with ``gap`` and ``has_more`` (see ``get_history_page``).
    #[pyo3(signature = (room, limit=None, namespace=None, include_events=None, exclude_events=None, payload_size_cap=None, since_seq=None, before_seq=None, epoch=None, view=None, since_time=None, until_time=None))]
    #[allow(clippy::too_many_arguments)]
    fn page<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        limit: Option<&Bound<'py, PyAny>>,
        namespace: Option<&Bound<'py, PyAny>>,
        include_events: Option<&Bound<'py, PyAny>>,
        exclude_events: Option<&Bound<'py, PyAny>>,
        payload_size_cap: Option<&Bound<'py, PyAny>>,
        since_seq: Option<&Bound<'py, PyAny>>,
        before_seq: Option<&Bound<'py, PyAny>>,
        epoch: Option<&Bound<'py, PyAny>>,
        view: Option<&Bound<'py, PyAny>>,
        since_time: Option<&Bound<'py, PyAny>>,
        until_time: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let a = ReadArgs::parse(
            limit,
            include_events,
            exclude_events,
            payload_size_cap,
            since_seq,
            before_seq,
            view,
            since_time,
            until_time,
        )?;
        let epoch = args::opt_string("epoch", epoch)?;
        let (page, entries) = if is_small(a.query.limit) {
            let mut page = None;
            let entries = read::under_lock(py, |f| {
                page = Some(
                    self.inner
                        .visit_page(&ns, &room, &a.query, epoch.as_deref(), f),
                );
            })?;
            (page, entries)
        } else {
            let page = py.detach(|| self.inner.page(&ns, &room, &a.query, epoch.as_deref()));
            let entries = entries_list(py, &page.entries)?;
            (Some(page), entries)
        };
        let page = page.ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err("page read did not run (internal error)")
        })?;
        let d = PyDict::new(py);
        d.set_item("entries", entries)?;
        d.set_item("epoch", page.epoch.map(|e| e.to_string()))?;
        d.set_item("first_seq", page.first_seq)?;
        d.set_item("last_seq", page.last_seq)?;
        d.set_item("has_more", page.has_more)?;
        d.set_item("gap", page.gap)?;
        Ok(d)
    }

    /// Counters, sizes and configuration of a room.
    #[pyo3(signature = (room, namespace=None))]
    fn stats<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        namespace: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = self
            .inner
            .stats(&args::namespace(namespace)?, &args::string("room", room)?);
        let d = PyDict::new(py);
        d.set_item("enabled", s.enabled)?;
        d.set_item("entries_count", s.entries_count)?;
        d.set_item("bytes", s.bytes)?;
        d.set_item("evictions_size", s.evictions_size)?;
        d.set_item("evictions_time", s.evictions_time)?;
        d.set_item("evictions_bytes", s.evictions_bytes)?;
        d.set_item("rejected_oversize", s.rejected_oversize)?;
        d.set_item("record_errors", s.record_errors)?;
        d.set_item("recorded_total", s.recorded_total)?;
        d.set_item("first_seq", s.first_seq)?;
        d.set_item("last_seq", s.last_seq)?;
        d.set_item("epoch", s.epoch.map(|e| e.to_string()))?;
        let c = s.config.as_ref();
        d.set_item("max_entries", c.map(|c| c.max_entries))?;
        d.set_item(
            "retention_seconds",
            c.and_then(|c| c.retention).map(|r| r.as_secs_f64()),
        )?;
        d.set_item("max_bytes", c.and_then(|c| c.max_bytes))?;
        d.set_item("payload_size_cap", c.and_then(|c| c.payload_size_cap))?;
        d.set_item("messages", s.messages)?;
        d.set_item("max_message_bytes", c.map(|c| c.max_message_bytes))?;
        d.set_item("max_appends", c.map(|c| c.max_appends))?;
        d.set_item("max_open_streams", c.map(|c| c.max_open_streams))?;
        d.set_item("mutation_prefix", c.map(|c| c.mutation_prefix.to_string()))?;
        Ok(d)
    }

    /// Drop a room's entries (it stays enabled, its seq goes on). Returns
    /// how many were dropped.
    #[pyo3(signature = (room, namespace=None))]
    fn clear(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        Ok(self
            .inner
            .clear(&args::namespace(namespace)?, &args::string("room", room)?))
    }

    /// Every ``(namespace, room)`` with history enabled, sorted.
    fn rooms(&self) -> Vec<(String, String)> {
        self.inner.rooms()
    }

    /// Count a failed record in the room's ``record_errors``.
    #[pyo3(signature = (room, namespace=None))]
    fn note_record_error(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.inner
            .note_record_error(&args::namespace(namespace)?, &args::string("room", room)?);
        Ok(())
    }

    /// Create a mutable message: record ``data`` as ``event`` (version 1).
    /// Returns ``{message_id, action, version, seq, event, data}``. With
    /// ``dry_run`` (here and on the other operations) nothing changes: the
    /// result is what the operation would return, or its error.
    #[pyo3(signature = (room, event, data, namespace=None, message_id=None, owner=None, dry_run=false))]
    #[allow(clippy::too_many_arguments)]
    fn create_message<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        event: &Bound<'py, PyAny>,
        data: &Bound<'py, PyAny>,
        namespace: Option<&Bound<'py, PyAny>>,
        message_id: Option<&Bound<'py, PyAny>>,
        owner: Option<&Bound<'py, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let event = args::string("event", event)?;
        let id = args::opt_string("message_id", message_id)?;
        let owner = args::opt_string("owner", owner)?;
        let payload = to_payload(data)?;
        let (id, owner) = (id.as_deref(), owner.as_deref());
        let m = if dry_run {
            self.inner
                .check_create_message(&ns, &room, &event, payload, id, owner)
        } else {
            self.inner
                .create_message(&ns, &room, &event, payload, id, owner)
        }
        .map_err(|e| messages::error(py, e))?;
        messages::mutation_dict(py, &m)
    }

    /// Update a message: each of ``event`` and ``data`` is ``KEEP``,
    /// ``CLEAR`` (data only) or a new value.
    #[pyo3(signature = (room, message_id, event=messages::Field::Omitted, data=messages::Field::Omitted, namespace=None, actor=None, grants=None, dry_run=false))]
    #[allow(clippy::too_many_arguments)]
    fn update_message<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        message_id: &Bound<'py, PyAny>,
        event: messages::Field<'py>,
        data: messages::Field<'py>,
        namespace: Option<&Bound<'py, PyAny>>,
        actor: Option<&Bound<'py, PyAny>>,
        grants: Option<&Bound<'py, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let id = args::string("message_id", message_id)?;
        // Left out means KEEP; `None` is a value.
        let event = event.event()?;
        let data = data.data()?;
        let event = match &event {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Replace(e) => Patch::Replace(e.as_str()),
        };
        messages::mutate(py, actor, grants, |auth| {
            if dry_run {
                self.inner
                    .check_update_message(&ns, &room, &id, event, data, auth)
            } else {
                self.inner
                    .update_message(&ns, &room, &id, event, data, auth)
            }
        })
    }

    /// Delete a message (a tombstone; its content leaves every read).
    #[pyo3(signature = (room, message_id, namespace=None, actor=None, grants=None, dry_run=false))]
    #[allow(clippy::too_many_arguments)]
    fn delete_message<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        message_id: &Bound<'py, PyAny>,
        namespace: Option<&Bound<'py, PyAny>>,
        actor: Option<&Bound<'py, PyAny>>,
        grants: Option<&Bound<'py, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let id = args::string("message_id", message_id)?;
        messages::mutate(py, actor, grants, |auth| {
            if dry_run {
                self.inner.check_delete_message(&ns, &room, &id, auth)
            } else {
                self.inner.delete_message(&ns, &room, &id, auth)
            }
        })
    }

    /// Append ``fragment`` (a non-empty str; may be empty when ``final``) to
    /// a message's text; ``final=True`` closes the stream.
    #[pyo3(signature = (room, message_id, fragment, r#final=None, namespace=None, actor=None, grants=None, dry_run=false))]
    #[allow(clippy::too_many_arguments)]
    fn append_message<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        message_id: &Bound<'py, PyAny>,
        fragment: &Bound<'py, PyAny>,
        r#final: Option<&Bound<'py, PyAny>>,
        namespace: Option<&Bound<'py, PyAny>>,
        actor: Option<&Bound<'py, PyAny>>,
        grants: Option<&Bound<'py, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let id = args::string("message_id", message_id)?;
        let fragment = args::string("fragment", fragment)?;
        let is_final = r#final.map_or(Ok(false), |f| args::flag("final", f))?;
        messages::mutate(py, actor, grants, |auth| {
            if dry_run {
                self.inner
                    .check_append_message(&ns, &room, &id, &fragment, is_final, auth)
            } else {
                self.inner
                    .append_message(&ns, &room, &id, &fragment, is_final, auth)
            }
        })
    }

    /// A message's latest state.
    #[pyo3(signature = (room, message_id, namespace=None))]
    fn get_message<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        message_id: &Bound<'py, PyAny>,
        namespace: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let id = args::string("message_id", message_id)?;
        let m = self
            .inner
            .get_message(&ns, &room, &id)
            .map_err(|e| messages::error(py, e))?;
        messages::message_dict(py, &m)
    }

    /// A message's retained entries, newest first, at most ``limit``
    /// (``None``: ``DEFAULT_VERSIONS_LIMIT``).
    #[pyo3(signature = (room, message_id, limit=None, namespace=None))]
    fn get_message_versions<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        message_id: &Bound<'py, PyAny>,
        limit: Option<&Bound<'py, PyAny>>,
        namespace: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        let id = args::string("message_id", message_id)?;
        let limit =
            to_usize(args::count("limit", limit, 0)?).unwrap_or(core::DEFAULT_VERSIONS_LIMIT);
        let v = self
            .inner
            .message_versions(&ns, &room, &id, limit)
            .map_err(|e| messages::error(py, e))?;
        entries_list(py, &v)
    }

    fn __repr__(&self) -> String {
        format!(
            "HistoryStore(max_total_bytes={}, rooms={}, path={})",
            self.inner
                .max_total_bytes()
                .map_or_else(|| "None".to_owned(), |b| b.to_string()),
            self.inner.rooms().len(),
            self.inner.path().map_or_else(
                || "None".to_owned(),
                |p| format!("{:?}", p.display().to_string())
            )
        )
    }
}
