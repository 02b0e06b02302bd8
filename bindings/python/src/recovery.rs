//! ``_RecoveryLog``: connection state recovery's side of a store (private
//! to the package): the namespace logs, and what a dropped connection
//! missed. The rules (the resume point, whether it resumes whole) are the
//! core's.

use crate::args::{self, core_error, to_usize};
use crate::convert::{to_payload, to_python};
use crate::recorder::namespace_str;
use crate::store::HistoryStore;
use crate::wire;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use socketio_history_core as core;
use std::sync::Arc;

/// Where a dropped session stood, as Python passes it: ``(disconnect_seq,
/// sent offsets, sent_base offset, window_full, wall)``.
type DroppedArgs = (u64, Vec<String>, Option<String>, bool, f64);

/// Connection state recovery's access to a :class:`HistoryStore` (internal).
#[pyclass(module = "socketio_history._native", name = "_RecoveryLog", frozen)]
pub struct RecoveryLog {
    inner: Arc<core::HistoryStore>,
}

#[pymethods]
impl RecoveryLog {
    #[new]
    fn new(store: &Bound<'_, HistoryStore>) -> Self {
        RecoveryLog {
            inner: store.get().core(),
        }
    }

    /// Keep a recovery log of every emit to ``namespace``: events younger
    /// than ``max_age`` seconds, at most ``max_bytes`` of payloads (``None``:
    /// the core's default). Reconfigures an existing log in place.
    #[pyo3(signature = (namespace, max_age, max_bytes=None))]
    fn enable_log(
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
    fn disable_log(&self, namespace: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.disable_log(namespace_str(namespace)?))
    }

    /// ``(epoch, last seq)`` of ``namespace``'s log, or ``None``.
    fn log_position(&self, namespace: &Bound<'_, PyAny>) -> PyResult<Option<(String, u64)>> {
        Ok(self
            .inner
            .log_position(namespace_str(namespace)?)
            .map(|(e, seq)| (e.to_string(), seq)))
    }

    /// What a dropped connection missed, as ``(event, data, offset)``
    /// tuples in order, or why it cannot be resumed whole: a reason code
    /// (``"other_epoch"``, ``"bad_offset"``, ``"offset_ahead"``,
    /// ``"evicted"``, ``"no_log"``).
    /// ``sent`` are the offsets of the events sent to it most recently,
    /// every one after ``sent_base`` (an offset; ``None``: since it
    /// connected) unless ``window_full`` (older ones were forgotten);
    /// ``disconnect_seq`` ``None`` is a session that was still connected
    /// when the node serving it ended (nothing known of what was sent to
    /// it: the window is ignored); ``offset`` is the client's (anything: it is checked here). With
    /// ``packets``, the missed events come as the Socket.IO packets that
    /// restore them (see ``_Replayer.packets``): ``(messages, offsets)``.
    #[pyo3(signature = (namespace, epoch, connect_seq, sent, sent_base, window_full, disconnect_seq, offset, member_of, packets=false))]
    #[allow(clippy::too_many_arguments)]
    fn resume<'py>(
        &self,
        py: Python<'py>,
        namespace: &Bound<'py, PyAny>,
        epoch: &str,
        connect_seq: u64,
        sent: Vec<String>,
        sent_base: Option<&str>,
        window_full: bool,
        disconnect_seq: Option<u64>,
        offset: Option<&Bound<'py, PyAny>>,
        member_of: Vec<String>,
        packets: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ns = namespace_str(namespace)?;
        let point = match disconnect_seq {
            Some(dseq) => core::ResumePoint::from_window(
                epoch,
                connect_seq,
                &sent,
                sent_base,
                window_full,
                dseq,
            ),
            None => core::Epoch::parse(epoch).map(|e| {
                let last = self
                    .inner
                    .log_position(ns)
                    .filter(|(le, _)| *le == e)
                    .map_or(connect_seq, |(_, seq)| seq);
                core::ResumePoint::still_connected(e, connect_seq, last)
            }),
        };
        // A client's offset that is not a str is malformed.
        let client = match offset.filter(|o| !o.is_none()) {
            None => Ok(None),
            Some(o) => o
                .cast::<PyString>()
                .ok()
                .and_then(|s| s.to_str().ok())
                .map(Some)
                .ok_or(core::NotResumable::BadOffset),
        };
        let not_resumable = |r: core::NotResumable| Ok(PyString::new(py, r.code()).into_any());
        let (point, client) = match (point, client) {
            (Some(p), Ok(c)) => (p, c),
            (None, _) => return not_resumable(core::NotResumable::OtherLifetime),
            (_, Err(r)) => return not_resumable(r),
        };
        let store = &self.inner;
        if packets {
            let style = core::JsonStyle::PythonAscii;
            let missed = py.detach(|| store.resume_packets(ns, &point, client, &member_of, style));
            return match missed {
                Ok(p) => Ok(wire::messages(py, &p)?.into_pyobject(py)?.into_any()),
                Err(r) => not_resumable(r),
            };
        }
        let missed = match store.resume(ns, &point, client, &member_of) {
            Ok(entries) => entries,
            Err(r) => return not_resumable(r),
        };
        let out = PyList::empty(py);
        for e in &missed {
            let offset = core::Offset::new(point.epoch, e.seq);
            out.append((&*e.event, to_python(py, &e.payload)?, offset.to_string()))?;
        }
        Ok(out.into_any())
    }

    /// Keep a client's session in a durable store (an in-memory store keeps
    /// none). ``dropped`` is ``None`` while connected, else
    /// ``(disconnect_seq, sent, sent_base, window_full, wall)`` with
    /// ``sent`` and ``sent_base`` as offsets. Returns whether the user
    /// session was kept too (one the payload encoding cannot hold is not).
    #[pyo3(signature = (namespace, pid, sid, rooms, user, epoch, connect_seq, dropped=None))]
    #[allow(clippy::too_many_arguments)]
    fn put_session(
        &self,
        namespace: &str,
        pid: &str,
        sid: String,
        rooms: Vec<String>,
        user: &Bound<'_, PyAny>,
        epoch: &str,
        connect_seq: u64,
        dropped: Option<DroppedArgs>,
    ) -> PyResult<bool> {
        if !self.inner.is_durable() {
            return Ok(true);
        }
        let Some(epoch) = core::Epoch::parse(epoch) else {
            return Ok(false);
        };
        let user = if user.is_none() {
            Ok(None)
        } else {
            to_payload(user).map(Some)
        };
        let kept = user.is_ok();
        let seq_of = |o: &str| core::Offset::seq_in(o, epoch);
        let session = core::Session {
            sid,
            rooms,
            user: user.unwrap_or(None),
            epoch,
            connect_seq,
            dropped: dropped.map(
                |(disconnect_seq, sent, base, window_full, wall)| core::Dropped {
                    disconnect_seq,
                    sent: sent.iter().filter_map(|o| seq_of(o)).collect(),
                    sent_base: base.as_deref().and_then(seq_of),
                    window_full,
                    wall,
                },
            ),
        };
        self.inner.put_session(namespace, pid, &session);
        Ok(kept)
    }

    /// Forget a kept session.
    fn remove_session(&self, namespace: &str, pid: &str) {
        self.inner.remove_session(namespace, pid);
    }

    /// The sessions a durable store kept, as a restarted server takes them
    /// back: ``(namespace, pid, sid, rooms, user, epoch, connect_seq, sent,
    /// sent_base, window_full, disconnect_seq, dropped_at)``, where the
    /// window (``sent``, ``sent_base``, ``window_full``,
    /// ``disconnect_seq``) is the core's resume point for it and
    /// ``dropped_at`` is when it dropped (``None``: it was still connected
    /// when its process ended).
    fn sessions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for (ns, pid, s) in self.inner.sessions() {
            let last = self
                .inner
                .log_position(&ns)
                .filter(|(e, _)| *e == s.epoch)
                .map_or(s.connect_seq, |(_, seq)| seq);
            let point = s.resume_point(last);
            let offset = |seq: u64| core::Offset::new(s.epoch, seq).to_string();
            let user = match &s.user {
                Some(p) => to_python(py, p)?,
                None => py.None().into_bound(py),
            };
            let item = (
                ns,
                pid,
                s.sid.clone(),
                s.rooms.clone(),
                user,
                s.epoch.to_string(),
                s.connect_seq,
                point.sent.iter().map(|&q| offset(q)).collect::<Vec<_>>(),
                Some(offset(point.sent_base)),
                false,
                point.disconnect_seq,
                s.dropped.as_ref().map(|d| d.wall),
            );
            out.append(item.into_pyobject(py)?)?;
        }
        Ok(out)
    }
}

/// A new epoch for a shared stream's lifetime (the core's alphabet and
/// randomness).
#[pyfunction]
fn new_epoch() -> String {
    core::Epoch::generate().to_string()
}

/// The seq ``offset`` names if it is an offset of ``epoch`` (anything else,
/// a non-str included: ``None``).
#[pyfunction]
fn offset_seq(offset: &Bound<'_, PyAny>, epoch: &str) -> Option<u64> {
    let epoch = core::Epoch::parse(epoch)?;
    let text = offset.cast::<PyString>().ok()?;
    core::Offset::seq_in(text.to_str().ok()?, epoch)
}

/// Whether sessions of dropped connections, ``count`` of them taking
/// ``size`` bytes together, are over the bounds ``max_sessions`` and
/// ``max_bytes`` (the oldest must then go).
#[pyfunction]
fn sessions_exceeded(count: usize, size: usize, max_sessions: usize, max_bytes: usize) -> bool {
    core::SessionLimits {
        max_sessions,
        max_bytes,
    }
    .exceeded(count, size)
}

/// The recovery rules and defaults the Python side applies.
pub fn add_rules(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(new_epoch, m)?)?;
    m.add_function(wrap_pyfunction!(offset_seq, m)?)?;
    m.add_function(wrap_pyfunction!(sessions_exceeded, m)?)?;
    m.add("SENT_WINDOW", core::SENT_WINDOW)?;
    m.add("DEFAULT_MAX_SESSIONS", core::DEFAULT_MAX_SESSIONS)?;
    m.add("DEFAULT_MAX_SESSION_BYTES", core::DEFAULT_MAX_SESSION_BYTES)?;
    Ok(())
}
