//! Python arguments → core types. Every check names the parameter; wrong
//! types are `TypeError`, out-of-range values `ValueError`; `bool` is never
//! taken for an int. Nothing here decides history behaviour.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use socketio_history_core::HistoryError;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

pub fn type_error(param: &str, want: &str, got: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{param} must be {want}, not {}", type_name(got)))
}

/// A core error as the Python exception CONTRACT.md ("Errors") names for it: a payload
/// history cannot hold is a `TypeError`, a bad value a `ValueError`.
pub fn core_error(e: HistoryError) -> PyErr {
    match e {
        HistoryError::InvalidPayload(_) => PyTypeError::new_err(e.to_string()),
        // A durable store's directory that cannot be used.
        HistoryError::Storage { .. } => pyo3::exceptions::PyOSError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// A required `str`.
pub fn string(param: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| type_error(param, "a str", obj))?;
    s.to_str().map(str::to_owned).map_err(|_| {
        PyValueError::new_err(format!(
            "{param} must be valid Unicode (no lone surrogates)"
        ))
    })
}

/// `namespace`: `None` means `"/"`.
pub fn namespace(obj: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    match obj {
        None => Ok("/".to_owned()),
        Some(o) if o.is_none() => Ok("/".to_owned()),
        Some(o) => string("namespace", o),
    }
}

/// An optional non-negative int (`None` stays `None`). Values beyond the
/// platform's range are clamped: they mean "more than anything held".
pub fn count(param: &str, obj: Option<&Bound<'_, PyAny>>, min: u64) -> PyResult<Option<u64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(type_error(param, "an int or None", obj));
    }
    let negative: bool = obj.lt(0)?;
    if negative {
        return Err(PyValueError::new_err(format!(
            "{param} must not be negative, got {obj}"
        )));
    }
    let v: u64 = obj.extract().unwrap_or(u64::MAX);
    if v < min {
        return Err(PyValueError::new_err(format!(
            "{param} must be at least {min}, got {v}"
        )));
    }
    Ok(Some(v))
}

pub fn to_usize(v: Option<u64>) -> Option<usize> {
    v.map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

/// `retention_seconds`: `None`, or an int/float (validated by the core).
pub fn seconds(param: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>())
    {
        return Err(type_error(param, "a number of seconds or None", obj));
    }
    // Huge ints become inf, which the core rejects with a clear message.
    Ok(Some(obj.extract::<f64>().unwrap_or(f64::INFINITY)))
}

/// An event filter: `None`, one `str`, or any iterable of `str`.
pub fn events(param: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyString>() {
        return Ok(Some(vec![string(param, obj)?]));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| type_error(param, "a str, an iterable of str or None", obj))?;
    iter.map(|item| string(param, &item?))
        .collect::<PyResult<_>>()
        .map(Some)
}

/// An optional `str` (e.g. `epoch`).
pub fn opt_string(param: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) => string(param, o).map(Some),
    }
}

/// A required `bool` (no ints).
pub fn flag(param: &str, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    obj.cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| type_error(param, "a bool", obj))
}

/// A point in time in Unix seconds (`since_time`/`until_time`): `None`, or
/// an int/float that is not NaN (infinities select everything or nothing).
pub fn time(param: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    let t = seconds(param, obj)?;
    if t.is_some_and(f64::is_nan) {
        return Err(PyValueError::new_err(format!("{param} must not be NaN")));
    }
    Ok(t)
}

/// An optional filesystem path: a ``str`` or an ``os.PathLike``.
pub fn path(param: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<std::path::PathBuf>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyBytes>() {
        return Err(type_error(param, "a str or an os.PathLike", obj));
    }
    obj.extract::<std::path::PathBuf>()
        .map(Some)
        .map_err(|_| type_error(param, "a str or an os.PathLike", obj))
}
