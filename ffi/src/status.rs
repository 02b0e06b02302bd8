//! Status codes, error text, and the panic boundary around every export.

use socketio_history_core::HistoryError;
use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// What a call did. Every function that can fail returns one. The values are
/// part of the ABI: they never change and are never reused.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sioh_status {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL.
    NullPointer = 1,
    /// A string was not valid UTF-8.
    InvalidUtf8 = 2,
    /// A JSON payload was not valid JSON.
    InvalidJson = 3,
    /// An argument was out of range; the last error message names it.
    InvalidArgument = 4,
    /// The room has no history enabled (for calls where that matters).
    NotEnabled = 5,
    /// The payload alone exceeds the room's `max_bytes` (or the store's
    /// budget): not recorded, counted in `rejected_oversize`.
    PayloadTooLarge = 6,
    /// A payload could not be taken in (for example nested too deeply).
    InvalidPayload = 7,
    /// An internal error (a bug): a panic was caught at the boundary.
    InternalError = 8,
}

impl sioh_status {
    /// Fixed text for a status code.
    pub(crate) fn text(code: u32) -> &'static str {
        match code {
            0 => "ok\0",
            1 => "a required pointer was NULL\0",
            2 => "a string was not valid UTF-8\0",
            3 => "a payload was not valid JSON\0",
            4 => "an argument was out of range\0",
            5 => "history is not enabled for this room\0",
            6 => "the payload is larger than the room's byte bound\0",
            7 => "the payload could not be recorded\0",
            8 => "internal error\0",
            _ => "unknown status code\0",
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Remember `message` as this thread's last error, and return `status`.
pub(crate) fn fail(status: sioh_status, message: impl Into<String>) -> sioh_status {
    let mut bytes = message.into().into_bytes();
    bytes.retain(|&b| b != 0);
    let text = CString::new(bytes).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; then the
    // message is lost, but the status still goes back.
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = text);
    status
}

/// A core error as a status code (with its message kept).
pub(crate) fn core_error(e: HistoryError) -> sioh_status {
    let status = match e {
        HistoryError::InvalidPayload(_) => sioh_status::InvalidPayload,
        HistoryError::InvalidJson(_) => sioh_status::InvalidJson,
        _ => sioh_status::InvalidArgument,
    };
    fail(status, e.to_string())
}

/// A pointer to this thread's last error message (empty if none). Valid
/// until the next failing call on this thread.
pub(crate) fn last_error_ptr() -> *const c_char {
    // Never panics (this is called from C outside any boundary): during
    // thread teardown it answers "".
    LAST_ERROR
        .try_with(|e| e.borrow().as_ptr())
        .unwrap_or(b"\0".as_ptr().cast())
}

/// Run an export's body; a panic becomes `InternalError` instead of
/// unwinding into C (which would be undefined behaviour).
macro_rules! boundary {
    ($body:expr) => {{
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(status) => status,
            Err(_) => $crate::status::fail(
                $crate::status::sioh_status::InternalError,
                "internal error: a panic was caught at the C boundary",
            ),
        }
    }};
}
pub(crate) use boundary;

/// `Err(status)` early-returns it: lets bodies use `?` on checks.
pub(crate) type Checked<T> = Result<T, sioh_status>;

/// Collapse a checked body into its status.
pub(crate) fn done(r: Checked<()>) -> sioh_status {
    match r {
        Ok(()) => sioh_status::Ok,
        Err(s) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_error_with_a_message() {
        let status = boundary!({
            if std::hint::black_box(true) {
                panic!("boom");
            }
            sioh_status::Ok
        });
        assert_eq!(status, sioh_status::InternalError);
        // SAFETY: the pointer is this thread's NUL-terminated last error.
        let msg = unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) };
        assert!(msg.to_str().unwrap().contains("panic"));
    }

    #[test]
    fn messages_never_contain_interior_nuls() {
        fail(sioh_status::InvalidArgument, "a\0b");
        // SAFETY: as above.
        let msg = unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) };
        assert_eq!(msg.to_str().unwrap(), "ab");
    }

    #[test]
    fn every_code_has_a_nul_terminated_text() {
        for code in 0..=9 {
            assert!(sioh_status::text(code).ends_with('\0'));
        }
    }
}
