//! C ABI over the `socketio-history` core. Filled in by the C ABI issue; for
//! now the crate only proves that the workspace links the core into a cdylib.

pub use socketio_history_core as core;
