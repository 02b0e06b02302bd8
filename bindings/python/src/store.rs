//! The `HistoryStore` and `ManualClock` Python classes: argument translation
//! around the core's store, nothing more.

use crate::args::{self, core_error, to_usize};
use crate::convert::{to_payload, to_python};
use crate::messages;
use crate::read::{self, entries_list};
use crate::wire;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use socketio_history_core as core;
use socketio_history_core::Patch;
use socketio_history_core::{Delivery, HistoryEntry, Payload, Query, RecordOutcome, RoomConfig};
use std::sync::Arc;
use std::time::Duration;

/// A clock that moves only when told to, for tests: pass it as
/// ``HistoryStore(clock=...)`` and call :meth:`advance` instead of sleeping.
#[pyclass(module = "socketio_history._native", frozen)]
pub struct ManualClock {
    inner: Arc<core::ManualClock>,
}

/// The system's coarse monotonic clock, for stores that record at high
/// rates: a clock read costs a few nanoseconds instead of tens, for
/// timestamps (and age-based retention) in steps of the kernel's tick, 1 to
/// 4 ms on Linux. Pass it as ``HistoryStore(clock=CoarseClock())``.
#[pyclass(module = "socketio_history._native", frozen)]
pub struct CoarseClock;

#[pymethods]
impl CoarseClock {
    #[new]
    fn new() -> Self {
        CoarseClock
    }

    fn __repr__(&self) -> &'static str {
        "CoarseClock()"
    }
}

#[pymethods]
impl ManualClock {
    #[new]
    #[pyo3(signature = (wall=1_700_000_000.0))]
    fn new(wall: f64) -> Self {
        ManualClock {
            inner: Arc::new(core::ManualClock::new(wall)),
        }
    }

    /// Move monotonic and wall time forward by ``seconds`` (≥ 0).
    fn advance(&self, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        let s = args::seconds("seconds", Some(seconds))?.unwrap_or(0.0);
        let d = Duration::try_from_secs_f64(s).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "seconds must be a finite number >= 0, got {s}"
            ))
        })?;
        self.inner.advance(d);
        Ok(())
    }

    /// Set the wall clock alone (retention does not notice).
    fn set_wall(&self, wall: f64) {
        self.inner.set_wall(wall);
    }
}

/// In-memory history of Socket.IO rooms, keyed by ``(namespace, room)``.
///
/// Safe to share between threads. ``max_total_bytes`` bounds the memory of
/// every room together: when exceeded, the oldest entries of the whole store
/// are evicted.
#[pyclass(module = "socketio_history._native", frozen)]
pub struct HistoryStore {
    inner: core::HistoryStore,
}

/// One read's parameters, as the public methods take them.
struct ReadArgs {
    query: Query,
}

impl ReadArgs {
    #[allow(clippy::too_many_arguments)]
    fn parse(
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

impl HistoryStore {
    /// A read as a list of entry dicts.
    fn fetch_list<'py>(
        &self,
        py: Python<'py>,
        room: &Bound<'py, PyAny>,
        namespace: Option<&Bound<'py, PyAny>>,
        query: &Query,
    ) -> PyResult<Bound<'py, PyList>> {
        let room = args::string("room", room)?;
        let ns = args::namespace(namespace)?;
        if is_small(query.limit) {
            return read::under_lock(py, |f| {
                self.inner.visit(&ns, &room, query, f);
            });
        }
        let entries = py.detach(|| self.inner.fetch(&ns, &room, query));
        entries_list(py, &entries)
    }

    /// Convert once, record into each room (with `except`, the clients the
    /// emit skipped, as delivery metadata), and into the namespace log with
    /// `log` (the emit's target; `None` for a broadcast). A conversion error
    /// is counted in every room's `record_errors` and returned. Returns the
    /// log offset, if the emit was logged.
    fn record_into(
        &self,
        ns: &str,
        rooms: &[&str],
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        except: Vec<String>,
        log: Option<Option<Vec<String>>>,
    ) -> PyResult<Option<String>> {
        let (event, payload) = self.converted(ns, rooms.iter().copied(), event, data)?;
        let record = |room: &str, payload: Payload| {
            if except.is_empty() {
                self.inner.record(ns, room, &event, payload);
            } else {
                let d = Delivery::new(None::<[&str; 0]>, &except);
                self.inner.record_delivery(ns, room, &event, payload, d);
            }
        };
        // The payload is copied for each room but the last consumer.
        let Some(target) = log else {
            if let Some((last, others)) = rooms.split_last() {
                others.iter().for_each(|r| record(r, payload.clone()));
                record(last, payload);
            }
            return Ok(None);
        };
        for r in rooms {
            record(r, payload.clone());
        }
        let delivery = Delivery::new(target, &except);
        Ok(self
            .inner
            .record_log(ns, &event, payload, delivery)
            .map(|o| o.to_string()))
    }

    /// An emit's event name and payload; if they cannot be converted, each
    /// of `rooms` counts a record error and the error is returned.
    fn converted<'r>(
        &self,
        ns: &str,
        rooms: impl IntoIterator<Item = &'r str>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<(String, Payload)> {
        let converted = args::string("event", event).and_then(|e| Ok((e, to_payload(data)?)));
        if converted.is_err() {
            rooms
                .into_iter()
                .for_each(|r| self.inner.note_record_error(ns, r));
        }
        converted
    }

    /// What a resuming client missed, each entry with its offset; the
    /// client's `offset` is anything Python passed (a non-str is malformed).
    fn missed(
        &self,
        ns: &str,
        point: Option<core::ResumePoint>,
        offset: Option<&Bound<'_, PyAny>>,
        member_of: &[String],
    ) -> Result<Vec<(core::Offset, HistoryEntry)>, core::NotResumable> {
        let point = point.ok_or(core::NotResumable::OtherLifetime)?;
        let client = match offset.filter(|o| !o.is_none()) {
            None => None,
            Some(o) => Some(
                o.cast::<PyString>()
                    .ok()
                    .and_then(|s| s.to_str().ok())
                    .ok_or(core::NotResumable::BadOffset)?,
            ),
        };
        let epoch = point.epoch;
        let entries = self.inner.resume(ns, &point, client, member_of)?;
        Ok(entries
            .into_iter()
            .map(|e| (core::Offset::new(epoch, e.seq), e))
            .collect())
    }

    /// The enabled rooms of an emit's target.
    fn enabled_rooms<'a>(&self, ns: &str, rooms: &'a [String]) -> Vec<&'a str> {
        rooms
            .iter()
            .map(String::as_str)
            .filter(|r| self.inner.is_enabled(ns, r))
            .collect()
    }
}

/// Where a dropped connection stood (`None`: the epoch is not one). `sent`
/// are the offsets of the events sent to it most recently, every one after
/// `sent_base` (an offset; `None`: since it connected) unless `window_full`
/// (older ones were forgotten).
fn resume_point(
    epoch: &str,
    connect_seq: u64,
    sent: &[String],
    sent_base: Option<&str>,
    window_full: bool,
    disconnect_seq: u64,
) -> Option<core::ResumePoint> {
    let epoch = core::Epoch::parse(epoch)?;
    let seq_of = |text: &str| core::Offset::parse(text).map(|o| o.seq());
    let sent: Vec<u64> = sent.iter().filter_map(|t| seq_of(t)).collect();
    let mut sent_base = sent_base.and_then(seq_of).unwrap_or(connect_seq);
    if window_full {
        // What came before the window's oldest was forgotten.
        sent_base = sent_base.max(sent.first().map_or(0, |s| s.saturating_sub(1)));
    }
    Some(core::ResumePoint {
        epoch,
        connect_seq,
        sent,
        sent_base,
        disconnect_seq,
    })
}

/// The query of a replay: whole payloads, the latest state of messages,
/// what reached the client (``member_of``) before it joined (``joined_at``).
fn replay_query(
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
    let mut query = a.query.whole_payloads();
    query.for_client = member_of;
    query.before_seq = joined_at.map(|s| s.saturating_add(1));
    query.view = core::View::Replay;
    Ok(query)
}

/// Reads of more than this many entries release the GIL while the core
/// works. Smaller ones keep it: giving it up and taking it back costs more
/// than they take, and lets another thread (an Engine.IO writer) in ahead.
const LARGE_READ: usize = 256;

/// Whether a read of at most `limit` entries (`None`: unbounded) is small.
fn is_small(limit: Option<usize>) -> bool {
    limit.is_some_and(|n| n <= LARGE_READ)
}

/// Run `f` (core work, no Python) without the GIL if the read may be large.
fn large<T: Send>(py: Python<'_>, limit: Option<usize>, f: impl FnOnce() -> T + Send) -> T {
    if is_small(limit) {
        f()
    } else {
        py.detach(f)
    }
}

/// The clients an emit skipped: `None`, one sid, or a list of them.
fn skipped(skip_sid: Option<&Bound<'_, PyAny>>) -> Vec<String> {
    let Some(obj) = skip_sid.filter(|o| !o.is_none()) else {
        return Vec::new();
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_str().map(|s| vec![s.to_owned()]).unwrap_or_default();
    }
    addressed_rooms(obj)
}

fn namespace_str<'a>(namespace: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    namespace
        .cast::<PyString>()
        .ok()
        .and_then(|s| s.to_str().ok())
        .ok_or_else(|| args::type_error("namespace", "a str", namespace))
}

/// The rooms an emit addresses: one `str`, or a list/tuple of them (each
/// once, in order). Anything else (a broadcast) addresses none.
fn addressed_rooms(to: &Bound<'_, PyAny>) -> Vec<String> {
    let mut rooms: Vec<String> = Vec::new();
    let mut add = |o: Bound<'_, PyAny>| {
        if let Ok(s) = o.cast::<PyString>() {
            if let Ok(s) = s.to_str() {
                if !rooms.iter().any(|r| r == s) {
                    rooms.push(s.to_owned());
                }
            }
        }
    };
    if to.is_instance_of::<PyString>() {
        add(to.clone());
    } else if let Ok(l) = to.cast::<PyList>() {
        l.iter().for_each(&mut add);
    } else if let Ok(t) = to.cast::<PyTuple>() {
        t.iter().for_each(&mut add);
    }
    rooms
}

#[pymethods]
impl HistoryStore {
    #[new]
    #[pyo3(signature = (max_total_bytes=None, *, clock=None))]
    fn new(
        max_total_bytes: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = core::HistoryStore::builder().max_total_bytes(to_usize(args::count(
            "max_total_bytes",
            max_total_bytes,
            1,
        )?));
        if let Some(c) = clock.filter(|c| !c.is_none()) {
            if c.is_instance_of::<CoarseClock>() {
                b = b.clock(Arc::new(core::CoarseClock::new()));
            } else {
                let c = c.cast::<ManualClock>().map_err(|_| {
                    args::type_error("clock", "a ManualClock, a CoarseClock or None", c)
                })?;
                b = b.clock(c.get().inner.clone());
            }
        }
        Ok(HistoryStore {
            inner: b.build().map_err(core_error)?,
        })
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
        self.fetch_list(py, room, namespace, &a.query)
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
    fn _replay_entries<'py>(
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
        let query = replay_query(
            limit,
            include_events,
            exclude_events,
            since_seq,
            member_of,
            joined_at,
        )?;
        self.fetch_list(py, room, namespace, &query)
    }

    /// The entries of :meth:`_replay_entries` as the Socket.IO packets that
    /// replay them to ``sid``, encoded as python-socketio's default
    /// serializer would: ``(count, messages, offsets)``, the number of
    /// entries, every Engine.IO message to send in order (``str``, or
    /// ``bytes`` for binary attachments), and, with ``log``, the recovery
    /// offsets the packets carry (each entry logged as an emit to ``sid``).
    #[pyo3(signature = (room, sid, limit=None, namespace=None, include_events=None, exclude_events=None, since_seq=None, member_of=None, joined_at=None, log=false))]
    #[allow(clippy::too_many_arguments)]
    fn _replay_packets<'py>(
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
        let query = replay_query(
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

    /// The room's last assigned seq, or ``None`` without history.
    #[pyo3(signature = (room, namespace=None))]
    fn _last_seq(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<u64>> {
        Ok(self
            .inner
            .last_seq(&args::namespace(namespace)?, &args::string("room", room)?))
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

    /// The emit hook: record ``data`` once into each history-enabled room
    /// that ``to`` addresses (with ``skip_sid`` kept as delivery metadata).
    /// The payload is converted only if some room has history. If it cannot
    /// be, each such room counts a record error and the error is raised for
    /// the caller to log.
    #[pyo3(signature = (namespace, to, event, data, skip_sid=None))]
    fn _record_emit(
        &self,
        namespace: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        skip_sid: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let ns = namespace_str(namespace)?;
        // One room (the common case): borrowed, no allocation.
        if let Ok(room) = to.cast::<PyString>() {
            let Ok(room) = room.to_str() else {
                return Ok(());
            };
            if !self.inner.is_enabled(ns, room) {
                return Ok(());
            }
            self.record_into(ns, &[room], event, data, skipped(skip_sid), None)?;
            return Ok(());
        }
        let rooms = addressed_rooms(to);
        let enabled = self.enabled_rooms(ns, &rooms);
        if !enabled.is_empty() {
            self.record_into(ns, &enabled, event, data, skipped(skip_sid), None)?;
        }
        Ok(())
    }

    /// The emit hook with connection state recovery on: record into the
    /// enabled rooms ``to`` addresses and into the namespace's log, and
    /// return the emit's offset (``None`` if the namespace has no log or the
    /// payload cannot be held: then the emit goes out without one).
    ///
    /// With ``message`` (``(room, message_id)``: the emit of an operation on
    /// that message, already applied to the room) only the log records it,
    /// tagged so that deleting the message removes its data from the log.
    #[pyo3(signature = (namespace, to, event, data, skip_sid=None, message=None))]
    fn _record_emit_logged(
        &self,
        namespace: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        skip_sid: Option<&Bound<'_, PyAny>>,
        message: Option<(String, String)>,
    ) -> PyResult<Option<String>> {
        let ns = namespace_str(namespace)?;
        if let Some((room, id)) = message {
            let event = args::string("event", event)?;
            let target = (!to.is_none()).then(|| addressed_rooms(to));
            let delivery = Delivery::new(target, skipped(skip_sid));
            let offset = self
                .inner
                .record_log_message(ns, &event, to_payload(data)?, delivery, &room, &id, None)
                .map_err(core_error)?;
            return Ok(offset.map(|o| o.to_string()));
        }
        let target = (!to.is_none()).then(|| addressed_rooms(to));
        let enabled = target
            .as_deref()
            .map_or_else(Vec::new, |rooms| self.enabled_rooms(ns, rooms));
        self.record_into(
            ns,
            &enabled,
            event,
            data,
            skipped(skip_sid),
            Some(target.clone()),
        )
    }

    /// The emit hook under a shared stream (``RedisStreamsManager``): like
    /// :meth:`_record_emit_logged`, with each room's seq and the log's seq
    /// taken from the stream (``seqs``: ``(room, seq)`` pairs, ``log_seq``
    /// ``None`` when the emit is not logged) in its lifetime ``epoch``, and
    /// its ``timestamp`` from the stream. A position already held is
    /// skipped. Returns the offset, if logged.
    #[pyo3(signature = (namespace, to, event, data, skip_sid, epoch, seqs, log_seq=None, message=None, timestamp=None))]
    #[allow(clippy::too_many_arguments)]
    fn _record_emit_sequenced(
        &self,
        namespace: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        skip_sid: Option<&Bound<'_, PyAny>>,
        epoch: &str,
        seqs: Vec<(String, u64)>,
        log_seq: Option<u64>,
        message: Option<(String, String)>,
        timestamp: Option<f64>,
    ) -> PyResult<Option<String>> {
        let ns = namespace_str(namespace)?;
        let at = |seq: u64| core::Sequenced::new(epoch, seq).map_err(core_error);
        let rooms: Vec<(&str, core::Sequenced)> = seqs
            .iter()
            .filter(|(room, _)| self.inner.is_enabled(ns, room))
            .map(|(room, seq)| Ok((room.as_str(), at(*seq)?)))
            .collect::<PyResult<_>>()?;
        let log_at = log_seq
            .map(at)
            .transpose()?
            .filter(|_| self.inner.log_position(ns).is_some());
        if rooms.is_empty() && log_at.is_none() {
            return Ok(None);
        }
        let (event, payload) = self.converted(ns, rooms.iter().map(|(r, _)| *r), event, data)?;
        let except = skipped(skip_sid);
        let d = (!except.is_empty()).then(|| Delivery::new(None::<[&str; 0]>, &except));
        for (room, at) in &rooms {
            self.inner.record_sequenced(
                ns,
                room,
                &event,
                payload.clone(),
                d.clone(),
                *at,
                timestamp,
            );
        }
        let Some(log_at) = log_at else {
            return Ok(None);
        };
        let target = (!to.is_none()).then(|| addressed_rooms(to));
        let delivery = Delivery::new(target, &except);
        let offset = match message {
            Some((room, id)) => self
                .inner
                .record_log_message(ns, &event, payload, delivery, &room, &id, Some(log_at))
                .map_err(core_error)?,
            None => self
                .inner
                .record_log_sequenced(ns, &event, payload, delivery, log_at),
        };
        Ok(offset.map(|o| o.to_string()))
    }

    /// Place ``room`` at a shared stream's position ``seq`` of ``epoch``
    /// before a message operation records there: ``True`` when its next
    /// entry takes it, ``False`` when it already holds it, ``None`` without
    /// history.
    #[pyo3(signature = (room, namespace, epoch, seq))]
    fn _sequence(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        epoch: &str,
        seq: u64,
    ) -> PyResult<Option<bool>> {
        let at = core::Sequenced::new(epoch, seq).map_err(core_error)?;
        let room = args::string("room", room)?;
        Ok(self.inner.sequence(namespace_str(namespace)?, &room, at))
    }

    /// Keep a recovery log of every emit to ``namespace``: events younger
    /// than ``max_age`` seconds, at most ``max_bytes`` of payloads (``None``:
    /// the core's default). Reconfigures an existing log in place.
    #[pyo3(signature = (namespace, max_age, max_bytes=None))]
    fn _enable_log(
        &self,
        namespace: &Bound<'_, PyAny>,
        max_age: &Bound<'_, PyAny>,
        max_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let ns = namespace_str(namespace)?;
        let age = core::retention_from_seconds(args::seconds(
            "max_disconnection_duration",
            Some(max_age),
        )?)
        .map_err(core_error)?
        .ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(
                "max_disconnection_duration must be greater than 0",
            )
        })?;
        let bytes = to_usize(args::count("max_buffer_bytes", max_bytes, 1)?);
        self.inner
            .enable_log(ns, core::log_config(age, bytes))
            .map_err(core_error)
    }

    /// Drop ``namespace``'s recovery log; returns whether it had one.
    fn _disable_log(&self, namespace: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.disable_log(namespace_str(namespace)?))
    }

    /// ``(epoch, last seq)`` of ``namespace``'s log, or ``None``.
    fn _log_position(&self, namespace: &Bound<'_, PyAny>) -> PyResult<Option<(String, u64)>> {
        Ok(self
            .inner
            .log_position(namespace_str(namespace)?)
            .map(|(e, seq)| (e.to_string(), seq)))
    }

    /// What a dropped connection missed, as ``(event, data, offset)``
    /// tuples in order, or the reason (a str) it cannot be resumed whole.
    /// ``sent`` are the offsets of the events sent to it most recently,
    /// every one after ``sent_base`` (an offset; ``None``: since it
    /// connected) unless ``window_full`` (older ones were forgotten);
    /// ``offset`` is the client's (anything: it is checked here). With
    /// ``packets``, the missed events come as the Socket.IO packets that
    /// restore them (see :meth:`_replay_packets`): ``(messages, offsets)``.
    #[pyo3(signature = (namespace, epoch, connect_seq, sent, sent_base, window_full, disconnect_seq, offset, member_of, packets=false))]
    #[allow(clippy::too_many_arguments)]
    fn _resume<'py>(
        &self,
        py: Python<'py>,
        namespace: &Bound<'py, PyAny>,
        epoch: &str,
        connect_seq: u64,
        sent: Vec<String>,
        sent_base: Option<&str>,
        window_full: bool,
        disconnect_seq: u64,
        offset: Option<&Bound<'py, PyAny>>,
        member_of: Vec<String>,
        packets: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ns = namespace_str(namespace)?;
        let point = resume_point(
            epoch,
            connect_seq,
            &sent,
            sent_base,
            window_full,
            disconnect_seq,
        );
        let entries = match self.missed(ns, point, offset, &member_of) {
            Ok(entries) => entries,
            Err(r) => return Ok(PyString::new(py, &r.to_string()).into_any()),
        };
        if packets {
            let encoded: Vec<core::EventPacket> = large(py, Some(entries.len()), || {
                entries
                    .iter()
                    .map(|(offset, e)| {
                        let text = offset.to_string();
                        let style = core::JsonStyle::PythonAscii;
                        let mut p =
                            core::event_packet(ns, &e.event, &e.payload, Some(&text), style);
                        p.offset = Some(*offset);
                        p
                    })
                    .collect()
            });
            return Ok(wire::messages(py, &encoded)?.into_pyobject(py)?.into_any());
        }
        let out = PyList::empty(py);
        for (offset, e) in &entries {
            out.append((&*e.event, to_python(py, &e.payload)?, offset.to_string()))?;
        }
        Ok(out.into_any())
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
    /// (``None``: 100).
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
        let limit = to_usize(args::count("limit", limit, 0)?).unwrap_or(100);
        let v = self
            .inner
            .message_versions(&ns, &room, &id, limit)
            .map_err(|e| messages::error(py, e))?;
        entries_list(py, &v)
    }

    /// The room's mutation prefix (``None`` without history).
    #[pyo3(signature = (room, namespace=None))]
    fn _mutation_prefix(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        Ok(self
            .inner
            .mutation_prefix(&args::namespace(namespace)?, &args::string("room", room)?)
            .map(|p| p.to_string()))
    }

    fn __repr__(&self) -> String {
        format!(
            "HistoryStore(max_total_bytes={}, rooms={})",
            self.inner
                .max_total_bytes()
                .map_or_else(|| "None".to_owned(), |b| b.to_string()),
            self.inner.rooms().len()
        )
    }
}
