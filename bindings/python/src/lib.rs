//! `socketio_history._native`: the core's store for Python. This crate only
//! translates arguments, payloads and errors; history logic is in the core.

mod args;
mod convert;
mod store;

use pyo3::prelude::*;

/// Native part of ``socketio_history``; import the package, not this module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::HistoryStore>()?;
    m.add_class::<store::ManualClock>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_DEPTH", socketio_history_core::MAX_DEPTH)?;
    // The one default, the core's: `enable_history`'s signature shows it.
    m.add(
        "DEFAULT_MAX_ENTRIES",
        socketio_history_core::RoomConfig::default().max_entries,
    )?;
    Ok(())
}
