//! Mutable messages for Python: the `KEEP`/`CLEAR` sentinels, arguments →
//! core operations, results → dicts, core errors → the exception classes
//! of `socketio_history._errors`. The rules are all in the core.

use crate::args::{self, type_error};
use crate::convert::{to_payload, to_python};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyMapping, PyString, PyType};
use socketio_history_core as core;
use socketio_history_core::{Auth, Grants, HistoryError, Mutation, Patch};

/// ``KEEP`` (leave a field as it is) or ``CLEAR`` (clear it), for
/// ``update_message``. ``None`` is a value, not either of these.
#[pyclass(module = "socketio_history", frozen)]
pub struct Sentinel {
    clear: bool,
}

#[pymethods]
impl Sentinel {
    fn __repr__(&self) -> &'static str {
        if self.clear {
            "CLEAR"
        } else {
            "KEEP"
        }
    }

    fn __reduce__(&self) -> &'static str {
        self.__repr__()
    }
}

/// The two sentinels, made once.
pub fn sentinels(py: Python<'_>) -> PyResult<(Py<Sentinel>, Py<Sentinel>)> {
    Ok((
        Py::new(py, Sentinel { clear: false })?,
        Py::new(py, Sentinel { clear: true })?,
    ))
}

/// A core error as the exception CONTRACT.md, "Errors" names for its category.
pub fn error(py: Python<'_>, e: HistoryError) -> PyErr {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let class = |name: &str| -> PyResult<Bound<'_, PyType>> {
        let m = MODULE.get_or_try_init(py, || {
            py.import("socketio_history._errors").map(Bound::unbind)
        })?;
        Ok(m.bind(py).getattr(name)?.cast_into::<PyType>()?)
    };
    let text = e.to_string();
    let made = match &e {
        HistoryError::InvalidPayload(_) => return crate::args::core_error(e),
        HistoryError::NotEnabled { .. } => {
            class("HistoryNotEnabledError").and_then(|c| c.call1((text,)))
        }
        HistoryError::NotFound { .. } => {
            class("MessageNotFoundError").and_then(|c| c.call1((text,)))
        }
        HistoryError::TooLarge { limit, .. } => {
            class("MessageTooLargeError").and_then(|c| c.call1((text, *limit)))
        }
        HistoryError::Forbidden(_) => class("MessageForbiddenError").and_then(|c| c.call1((text,))),
        _ => class("InvalidMessageError").and_then(|c| c.call1((text,))),
    };
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// An `update_message` field as passed: left out (a keep), or a value —
/// `None` included, which is why this is not an `Option`.
pub enum Field<'py> {
    Omitted,
    Given(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Field<'py> {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Field::Given(obj.to_owned()))
    }
}

impl<'py> Field<'py> {
    pub fn event(&self) -> PyResult<Patch<String>> {
        match self {
            Field::Omitted => Ok(Patch::Keep),
            Field::Given(o) => event_patch(o),
        }
    }

    pub fn data(&self) -> PyResult<Patch<core::Payload>> {
        match self {
            Field::Omitted => Ok(Patch::Keep),
            Field::Given(o) => data_patch(o),
        }
    }
}

fn sentinel(obj: &Bound<'_, PyAny>) -> Option<bool> {
    obj.cast::<Sentinel>().ok().map(|s| s.get().clear)
}

/// `event=`: KEEP, CLEAR or a str.
pub fn event_patch(obj: &Bound<'_, PyAny>) -> PyResult<Patch<String>> {
    match sentinel(obj) {
        Some(false) => Ok(Patch::Keep),
        Some(true) => Ok(Patch::Clear),
        None => Ok(Patch::Replace(
            args::string("event", obj)
                .map_err(|_| type_error("event", "a str, KEEP or CLEAR", obj))?,
        )),
    }
}

/// `data=`: KEEP, CLEAR or any payload (`None` included).
pub fn data_patch(obj: &Bound<'_, PyAny>) -> PyResult<Patch<core::Payload>> {
    match sentinel(obj) {
        Some(false) => Ok(Patch::Keep),
        Some(true) => Ok(Patch::Clear),
        None => to_payload(obj).map(Patch::Replace),
    }
}

/// `grants=`: `None` or a mapping of grant names to a room pattern or an
/// iterable of them.
pub fn grants(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Grants> {
    let mut g = Grants::new();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(g);
    };
    let map = obj.cast::<PyMapping>().map_err(|_| {
        type_error(
            "grants",
            "a mapping of grant names to room patterns, or None",
            obj,
        )
    })?;
    for item in map.items()?.iter() {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let kind = args::string("grants", &k).map_err(|_| type_error("grants keys", "str", &k))?;
        for pattern in args::events("grants", Some(&v))?.unwrap_or_default() {
            g.allow_named(&kind, &pattern).map_err(|e| error(py, e))?;
        }
    }
    Ok(g)
}

/// Apply an operation as the caller (the server itself without `actor`,
/// else the actor with its grants): the mutation's dict, or the error of its
/// category.
pub fn mutate<'py>(
    py: Python<'py>,
    actor: Option<&Bound<'_, PyAny>>,
    grants_obj: Option<&Bound<'_, PyAny>>,
    op: impl FnOnce(&Auth<'_>) -> Result<Mutation, HistoryError>,
) -> PyResult<Bound<'py, PyDict>> {
    let actor = args::opt_string("actor", actor)?;
    let g = grants(py, grants_obj)?;
    let done = match actor.as_deref() {
        None => op(&Auth::server()),
        Some(a) => op(&Auth::actor(a, &g).map_err(|e| error(py, e))?),
    };
    mutation_dict(py, &done.map_err(|e| error(py, e))?)
}

/// What a mutation is emitted with, and what the methods return:
/// `{message_id, action, version, seq, event, data}`, with `fragment` and
/// `final` instead of `data` for an append.
pub fn mutation_dict<'py>(py: Python<'py>, m: &Mutation) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "message_id"), m.message_id.as_str())?;
    d.set_item(intern!(py, "action"), m.action.as_str())?;
    d.set_item(intern!(py, "version"), m.version)?;
    d.set_item(intern!(py, "seq"), m.seq)?;
    d.set_item(intern!(py, "event"), &*m.event)?;
    match &m.fragment {
        Some(f) => {
            d.set_item(intern!(py, "fragment"), f)?;
            d.set_item(intern!(py, "final"), m.is_final)?;
        }
        None => d.set_item(intern!(py, "data"), optional_payload(py, m.data.as_ref())?)?,
    }
    Ok(d)
}

fn optional_payload<'py>(
    py: Python<'py>,
    p: Option<&core::Payload>,
) -> PyResult<Bound<'py, PyAny>> {
    match p {
        Some(p) => to_python(py, p),
        None => Ok(py.None().into_bound(py)),
    }
}

/// A message's latest state as a dict.
pub fn message_dict<'py>(py: Python<'py>, m: &core::Message) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("message_id", m.message_id.as_str())?;
    d.set_item("event", &*m.event)?;
    d.set_item("data", optional_payload(py, m.data.as_ref())?)?;
    d.set_item("version", m.version)?;
    d.set_item("action", m.action.as_str())?;
    d.set_item("deleted", m.deleted)?;
    d.set_item("streaming", m.streaming)?;
    d.set_item("final", m.is_final)?;
    d.set_item("appends", m.appends)?;
    d.set_item("owner", m.owner.as_deref())?;
    d.set_item("seq", m.seq)?;
    d.set_item("last_seq", m.last_seq)?;
    d.set_item("created", m.created)?;
    d.set_item("updated", m.updated)?;
    Ok(d)
}

/// `view=`: `"log"` or `"latest"`.
pub fn view(obj: Option<&Bound<'_, PyAny>>) -> PyResult<core::View> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(core::View::Log);
    };
    let s = obj
        .cast::<PyString>()
        .map_err(|_| type_error("view", "\"log\" or \"latest\"", obj))?;
    core::View::parse(s.to_str()?).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "view must be \"log\" or \"latest\", got {s}"
        ))
    })
}
