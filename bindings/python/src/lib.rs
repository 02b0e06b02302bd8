//! PyO3 bindings for `socketio_history._native`. Filled in by the Python
//! package issue; for now the crate only proves the workspace builds.

pub use socketio_history_core as core;
