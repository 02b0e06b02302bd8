//! ``_Recorder``: the emit hook's side of a store (private to the package).
//! It records each emit python-socketio delivers into the rooms it
//! addresses and, with connection state recovery, into the namespace's log;
//! under a shared stream, at the positions the stream assigned.

use crate::args::{self, core_error};
use crate::convert::to_payload;
use crate::store::HistoryStore;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use socketio_history_core as core;
use socketio_history_core::{Delivery, Payload};
use std::sync::Arc;

/// The emit hook's access to a :class:`HistoryStore` (internal).
#[pyclass(module = "socketio_history._native", name = "_Recorder", frozen)]
pub struct Recorder {
    inner: Arc<core::HistoryStore>,
}

impl Recorder {
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

    /// The enabled rooms of an emit's target.
    fn enabled_rooms<'a>(&self, ns: &str, rooms: &'a [String]) -> Vec<&'a str> {
        rooms
            .iter()
            .map(String::as_str)
            .filter(|r| self.inner.is_enabled(ns, r))
            .collect()
    }
}

/// The clients an emit skipped: `None`, one sid, or a list of them.
pub fn skipped(skip_sid: Option<&Bound<'_, PyAny>>) -> Vec<String> {
    let Some(obj) = skip_sid.filter(|o| !o.is_none()) else {
        return Vec::new();
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_str().map(|s| vec![s.to_owned()]).unwrap_or_default();
    }
    addressed_rooms(obj)
}

pub fn namespace_str<'a>(namespace: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    namespace
        .cast::<PyString>()
        .ok()
        .and_then(|s| s.to_str().ok())
        .ok_or_else(|| args::type_error("namespace", "a str", namespace))
}

/// The rooms an emit addresses: one `str`, or a list/tuple of them (each
/// once, in order). Anything else (a broadcast) addresses none.
pub fn addressed_rooms(to: &Bound<'_, PyAny>) -> Vec<String> {
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
impl Recorder {
    #[new]
    fn new(store: &Bound<'_, HistoryStore>) -> Self {
        Recorder {
            inner: store.get().core(),
        }
    }

    /// The emit hook: record ``data`` once into each history-enabled room
    /// that ``to`` addresses (with ``skip_sid`` kept as delivery metadata).
    /// The payload is converted only if some room has history. If it cannot
    /// be, each such room counts a record error and the error is raised for
    /// the caller to log.
    #[pyo3(signature = (namespace, to, event, data, skip_sid=None))]
    fn record_emit(
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
    fn record_emit_logged(
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
    /// :meth:`record_emit_logged`, with each room's seq and the log's seq
    /// taken from the stream (``seqs``: ``(room, seq)`` pairs, ``log_seq``
    /// ``None`` when the emit is not logged) in its lifetime ``epoch``, and
    /// its ``timestamp`` from the stream. A position already held is
    /// skipped. Returns the offset, if logged.
    #[pyo3(signature = (namespace, to, event, data, skip_sid, epoch, seqs, log_seq=None, message=None, timestamp=None))]
    #[allow(clippy::too_many_arguments)]
    fn record_emit_sequenced(
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
    fn sequence(
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

    /// The room's last assigned seq, or ``None`` without history.
    #[pyo3(signature = (room, namespace=None))]
    fn last_seq(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<u64>> {
        Ok(self
            .inner
            .last_seq(&args::namespace(namespace)?, &args::string("room", room)?))
    }

    /// The room's mutation prefix (``None`` without history).
    #[pyo3(signature = (room, namespace=None))]
    fn mutation_prefix(
        &self,
        room: &Bound<'_, PyAny>,
        namespace: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        Ok(self
            .inner
            .mutation_prefix(&args::namespace(namespace)?, &args::string("room", room)?)
            .map(|p| p.to_string()))
    }
}
