//! `socketio_history._native`: the core's store for Python. This crate only
//! translates arguments, payloads and errors; history logic is in the core.

mod args;
mod clock;
mod convert;
mod messages;
mod query;
mod read;
mod recorder;
mod recovery;
mod replay;
mod store;
mod wire;

use pyo3::prelude::*;

/// Native part of ``socketio_history``; import the package, not this module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::HistoryStore>()?;
    m.add_class::<clock::ManualClock>()?;
    m.add_class::<clock::CoarseClock>()?;
    // Private: what the package's hooks use, never the application.
    m.add_class::<recorder::Recorder>()?;
    m.add_class::<recovery::RecoveryLog>()?;
    m.add_class::<replay::Replayer>()?;
    recovery::add_rules(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_DEPTH", socketio_history_core::MAX_DEPTH)?;
    m.add(
        "DEFAULT_MAX_MESSAGE_BYTES",
        socketio_history_core::DEFAULT_MAX_MESSAGE_BYTES,
    )?;
    m.add(
        "DEFAULT_MAX_APPENDS",
        socketio_history_core::DEFAULT_MAX_APPENDS,
    )?;
    m.add(
        "DEFAULT_MAX_OPEN_STREAMS",
        socketio_history_core::DEFAULT_MAX_OPEN_STREAMS,
    )?;
    m.add(
        "DEFAULT_MUTATION_PREFIX",
        socketio_history_core::DEFAULT_MUTATION_PREFIX,
    )?;
    m.add_class::<messages::Sentinel>()?;
    let (keep, clear) = messages::sentinels(m.py())?;
    m.add("KEEP", keep)?;
    m.add("CLEAR", clear)?;
    m.add(
        "DEFAULT_VERSIONS_LIMIT",
        socketio_history_core::DEFAULT_VERSIONS_LIMIT,
    )?;
    // The one default, the core's: `enable_history`'s signature shows it.
    m.add(
        "DEFAULT_MAX_ENTRIES",
        socketio_history_core::RoomConfig::default().max_entries,
    )?;
    Ok(())
}
