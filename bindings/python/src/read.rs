//! The Python objects of a read: entry dicts built from the core's entries,
//! straight from the room (under its lock) for small reads, from the core's
//! copies for large ones (built after the GIL-free copy).

use crate::convert::Objects;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyList, PyModule, PyString};
use socketio_history_core::{EntryRef, HistoryEntry};

/// The keys every entry dict has, in order.
const ENTRY_KEYS: [&str; 9] = [
    "event",
    "data",
    "timestamp",
    "seq",
    "truncated",
    "action",
    "message_id",
    "version",
    "redacted",
];

/// Builds entry dicts, each a new dict of new containers (see [`Objects`]).
pub struct EntryDicts<'py> {
    py: Python<'py>,
    // Each dict is a copy of a template holding every key: a copy clones the
    // template's sized key table, so no entry's dict grows or hashes a key.
    template: Bound<'py, PyDict>,
    keys: Vec<Bound<'py, PyString>>,
    objects: Objects<'py>,
    out: Vec<Bound<'py, PyDict>>,
}

impl<'py> EntryDicts<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        let keys: Vec<_> = ENTRY_KEYS.iter().map(|k| PyString::intern(py, k)).collect();
        let template = PyDict::new(py);
        for k in &keys {
            template.set_item(k, py.None())?;
        }
        Ok(EntryDicts {
            py,
            template,
            keys,
            objects: Objects::new(py),
            out: Vec::new(),
        })
    }

    pub fn push(&mut self, e: &EntryRef<'_>) -> PyResult<()> {
        let py = self.py;
        let objects = &mut self.objects;
        let d = self.template.copy()?;
        let values: [Bound<'py, PyAny>; 9] = [
            objects.str(e.event).into_any(),
            objects.payload(&e.payload)?,
            e.timestamp.into_pyobject(py)?.into_any(),
            e.seq.into_pyobject(py)?.into_any(),
            PyBool::new(py, e.truncated).to_owned().into_any(),
            objects.str(e.action.as_str()).into_any(),
            match e.message_id {
                Some(m) => objects.str(m.as_str()).into_any(),
                None => py.None().into_bound(py),
            },
            e.version.into_pyobject(py)?.into_any(),
            PyBool::new(py, e.redacted).to_owned().into_any(),
        ];
        for (k, v) in self.keys.iter().zip(values) {
            d.set_item(k, v)?;
        }
        if e.deleted {
            d.set_item(intern!(py, "deleted"), true)?;
        }
        self.out.push(d);
        Ok(())
    }

    pub fn finish(self) -> PyResult<Bound<'py, PyList>> {
        PyList::new(self.py, self.out)
    }
}

/// Entry dicts of entries the core copied.
pub fn entries_list<'py>(
    py: Python<'py>,
    entries: &[HistoryEntry],
) -> PyResult<Bound<'py, PyList>> {
    let mut dicts = EntryDicts::new(py)?;
    for e in entries {
        dicts.push(&e.as_ref())?;
    }
    dicts.finish()
}

/// Build entry dicts inside `visit`, which hands entries out under a room's
/// lock. Python's cyclic garbage collector is held off meanwhile: a
/// collection can run a finalizer, and Python code may switch threads, to
/// one that would then wait for that lock while holding the GIL. Without it,
/// building dicts, lists, strings and numbers runs no Python code.
pub fn under_lock<'py>(
    py: Python<'py>,
    visit: impl FnOnce(&mut dyn FnMut(EntryRef<'_>) -> bool),
) -> PyResult<Bound<'py, PyList>> {
    let _paused = GcPaused::new(py)?;
    let mut dicts = EntryDicts::new(py)?;
    let mut failed = None;
    visit(&mut |e| match dicts.push(&e) {
        Ok(()) => true,
        Err(err) => {
            failed = Some(err);
            false
        }
    });
    match failed {
        Some(err) => Err(err),
        None => dicts.finish(),
    }
}

/// The garbage collector disabled for this guard's life, if it was enabled.
struct GcPaused<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPaused<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        static GC: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
        let gc = GC
            .get_or_try_init(py, || py.import("gc").map(Bound::unbind))?
            .bind(py)
            .clone();
        if !gc.call_method0(intern!(py, "isenabled"))?.is_truthy()? {
            return Ok(GcPaused { gc: None });
        }
        gc.call_method0(intern!(py, "disable"))?;
        Ok(GcPaused { gc: Some(gc) })
    }
}

impl Drop for GcPaused<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            // Re-enabling cannot fail; if it ever did, nothing better to do.
            let _ = gc.call_method0(intern!(gc.py(), "enable"));
        }
    }
}
