//! Python payloads ↔ core payloads, without a JSON round trip.
//!
//! What python-socketio's default serializer can send is taken: `str`,
//! `bytes`, `int` (any size), `float`, `bool`, `None`, `list`, `tuple`
//! (nested: a list, as JSON makes it), `dict` (keys as `json.dumps` makes
//! them: `str`, or `int`/`float`/`bool`/`None` turned into their JSON text),
//! binary anywhere inside, and a top-level `tuple` as several arguments,
//! which comes back as a tuple. Anything else is a `TypeError`.

use crate::args::core_error;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use socketio_history_core::{Payload, PayloadKind, Token, ValueWriter};
use std::collections::HashMap;

fn text<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    // Lone surrogates cannot be stored as UTF-8.
    s.to_str().map_err(|_| {
        PyValueError::new_err("payload text is not valid Unicode (it has a lone surrogate)")
    })
}

/// Convert an emit's `data` into a stored snapshot.
pub fn to_payload(data: &Bound<'_, PyAny>) -> PyResult<Payload> {
    if let Ok(s) = data.cast::<PyString>() {
        return Ok(Payload::text(text(s)?));
    }
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(Payload::bytes(b.as_bytes()));
    }
    let w = if let Ok(t) = data.cast_exact::<PyTuple>() {
        let mut w = ValueWriter::args(t.len());
        for item in t.iter() {
            write(&mut w, &item)?;
        }
        w
    } else {
        let mut w = ValueWriter::new();
        write(&mut w, data)?;
        w
    };
    Payload::from_writer(w).map_err(core_error)
}

fn write(w: &mut ValueWriter, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    // Exact built-in types first: an exact check compares one pointer, while
    // a subclass-aware check is a C call under abi3.
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return w.str(text(s)?).map_err(core_error);
    }
    if obj.is_exact_instance_of::<PyInt>() {
        if let Ok(v) = obj.extract::<i64>() {
            return w.int(v).map_err(core_error);
        }
    }
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return w.float(f.value()).map_err(core_error);
    }
    // Then the most common payload types, subclasses included.
    let r = if let Ok(s) = obj.cast::<PyString>() {
        w.str(text(s)?)
    } else if let Ok(d) = obj.cast::<PyDict>() {
        // No Python code runs while a payload is converted (keys and leaves
        // are read by the C API), so the dict cannot change under the
        // iteration; the writer still checks that the count was kept.
        w.begin_map(d.len()).map_err(core_error)?;
        for (k, v) in d.iter() {
            key(w, &k)?;
            write(w, &v)?;
        }
        return Ok(());
    } else if let Ok(l) = obj.cast::<PyList>() {
        w.begin_list(l.len()).map_err(core_error)?;
        return l.iter().try_for_each(|i| write(w, &i));
    } else if obj.is_none() {
        w.null()
    } else if let Ok(b) = obj.cast::<PyBool>() {
        w.bool(b.is_true())
    } else if obj.is_instance_of::<PyInt>() {
        match obj.extract::<i64>() {
            Ok(v) => w.int(v),
            Err(_) => w.big_int(&int_text(obj)?),
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        w.float(f.value())
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        w.bytes(b.as_bytes())
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        w.begin_list(t.len()).map_err(core_error)?;
        return t.iter().try_for_each(|i| write(w, &i));
    } else {
        let name = obj.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "payload of type {name} cannot be recorded (str, bytes, int, float, bool, None, list, tuple and dict can)"
        )));
    };
    r.map_err(core_error)
}

/// A dict key as `json.dumps` writes it.
fn key(w: &mut ValueWriter, k: &Bound<'_, PyAny>) -> PyResult<()> {
    let r = if let Ok(s) = k.cast::<PyString>() {
        w.key(text(s)?)
    } else if k.is_none() {
        w.key("null")
    } else if let Ok(b) = k.cast::<PyBool>() {
        w.key(if b.is_true() { "true" } else { "false" })
    } else if k.is_instance_of::<PyInt>() {
        w.key(&int_text(k)?)
    } else if let Ok(f) = k.cast::<PyFloat>() {
        let v = f.value();
        let s = if v.is_nan() {
            "NaN".to_owned()
        } else if v.is_infinite() {
            (if v > 0.0 { "Infinity" } else { "-Infinity" }).to_owned()
        } else {
            // `float.__repr__`, as `json.dumps` calls it: a subclass's own
            // `__repr__` does not count.
            let py = k.py();
            py.get_type::<PyFloat>()
                .call_method1(intern!(py, "__repr__"), (k,))?
                .extract::<String>()?
        };
        w.key(&s)
    } else {
        let name = k.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "dict keys must be str, int, float, bool or None, not {name}"
        )));
    };
    r.map_err(core_error)
}

/// An int's decimal text as `json.dumps` writes it: `int.__repr__`, so an
/// `IntEnum` (or any subclass with its own `__str__`) is its number.
fn int_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = obj.py();
    py.get_type::<PyInt>()
        .call_method1(intern!(py, "__repr__"), (obj,))?
        .extract()
}

/// Build the Python object for a stored payload.
pub fn to_python<'py>(py: Python<'py>, p: &Payload) -> PyResult<Bound<'py, PyAny>> {
    Objects::new(py).payload(p)
}

/// Strings up to this many bytes are shared within one read.
const SHARED_STR_MAX: usize = 32;
/// How many distinct strings one read shares at most.
const SHARED_STRS: usize = 512;

/// Builds the Python objects of one read. Every list and dict is new, so a
/// caller mutating a result never changes history or another result; short
/// strings (dict keys, event names, repeated values), which are immutable,
/// are made once per read and shared: a large read builds thousands of
/// them, and a shared key is hashed once.
pub struct Objects<'py> {
    py: Python<'py>,
    strs: HashMap<Box<str>, Bound<'py, PyString>, foldhash::fast::RandomState>,
}

impl<'py> Objects<'py> {
    pub fn new(py: Python<'py>) -> Self {
        Objects {
            py,
            strs: HashMap::default(),
        }
    }

    /// A `str` for `s`, shared if short.
    pub fn str(&mut self, s: &str) -> Bound<'py, PyString> {
        if s.len() > SHARED_STR_MAX {
            return PyString::new(self.py, s);
        }
        if let Some(v) = self.strs.get(s) {
            return v.clone();
        }
        let v = PyString::new(self.py, s);
        if self.strs.len() < SHARED_STRS {
            self.strs.insert(s.into(), v.clone());
        }
        v
    }

    /// The Python object of a stored payload (a tuple for several
    /// arguments).
    pub fn payload(&mut self, p: &Payload) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        match p.kind() {
            PayloadKind::Text => Ok(self.str(p.as_text().unwrap_or_default()).into_any()),
            PayloadKind::Bytes => Ok(PyBytes::new(py, p.as_bytes().unwrap_or_default()).into_any()),
            PayloadKind::Value | PayloadKind::Args => {
                let Some(mut tokens) = p.tokens() else {
                    return Ok(py.None().into_bound(py));
                };
                let v = self.read(&mut tokens)?;
                if p.kind() == PayloadKind::Args {
                    // The arguments were stored as one list; give the tuple back.
                    let list = v.cast_into::<PyList>()?;
                    Ok(list.to_tuple().into_any())
                } else {
                    Ok(v)
                }
            }
            _ => Err(PyTypeError::new_err("unknown payload kind")),
        }
    }

    fn read(
        &mut self,
        t: &mut socketio_history_core::value::Tokens<'_>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let corrupt = || PyValueError::new_err("stored payload is malformed (internal error)");
        Ok(match t.next().ok_or_else(corrupt)? {
            Token::Null => py.None().into_bound(py),
            Token::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
            Token::Int(v) => v.into_pyobject(py)?.into_any(),
            Token::BigInt(s) => py.get_type::<PyInt>().call1((s,))?,
            Token::Float(v) => PyFloat::new(py, v).into_any(),
            Token::Str(s) | Token::Key(s) => self.str(s).into_any(),
            Token::Bytes(b) => PyBytes::new(py, b).into_any(),
            Token::List(n) => {
                let list = PyList::empty(py);
                for _ in 0..n {
                    list.append(self.read(t)?)?;
                }
                list.into_any()
            }
            Token::Map(n) => {
                let dict = PyDict::new(py);
                for _ in 0..n {
                    let k = self.read(t)?;
                    let v = self.read(t)?;
                    dict.set_item(k, v)?;
                }
                dict.into_any()
            }
        })
    }
}
