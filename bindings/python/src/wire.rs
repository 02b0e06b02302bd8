//! Encoded Socket.IO packets handed to Python as what python-socketio's
//! server passes to Engine.IO: one `str` or `bytes` per Engine.IO message.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};
use socketio_history_core::EventPacket;

/// ``(messages, offsets)``: every packet's Engine.IO messages in order (its
/// text, then its binary attachments), and the offsets the packets carry.
pub fn messages<'py>(
    py: Python<'py>,
    packets: &[EventPacket],
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let out = PyList::empty(py);
    let offsets = PyList::empty(py);
    for p in packets {
        out.append(PyString::new(py, &p.text))?;
        for a in &p.attachments {
            out.append(PyBytes::new(py, a))?;
        }
        if let Some(o) = p.offset {
            offsets.append(o.to_string())?;
        }
    }
    Ok((out, offsets))
}
