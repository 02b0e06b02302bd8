//! Status codes and error text: the fixed text of each code, and the
//! per-thread last error message.

use socketio_history_core::HistoryError;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};

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
    /// budget): not recorded, counted in `rejected_oversize`. For a message
    /// operation: a limit (`max_message_bytes`, `max_appends`,
    /// `max_open_streams`, a byte bound) would be exceeded; the last error
    /// message names it.
    PayloadTooLarge = 6,
    /// A payload could not be taken in (for example nested too deeply).
    InvalidPayload = 7,
    /// An internal error (a bug): a panic was caught at the boundary.
    InternalError = 8,
    /// The room holds no message with this id (never created, or every
    /// one of its entries was evicted).
    NotFound = 9,
    /// The actor's grants do not allow the operation.
    Forbidden = 10,
    /// A durable store's directory cannot be used (not creatable, not a
    /// directory, open in another process, another journal format); the
    /// last error message says which.
    Storage = 11,
}

impl sioh_status {
    /// Every status, for mapping a C integer back to one. A test checks it
    /// against the generated header, which lists every variant.
    pub(crate) const ALL: [sioh_status; 12] = [
        sioh_status::Ok,
        sioh_status::NullPointer,
        sioh_status::InvalidUtf8,
        sioh_status::InvalidJson,
        sioh_status::InvalidArgument,
        sioh_status::NotEnabled,
        sioh_status::PayloadTooLarge,
        sioh_status::InvalidPayload,
        sioh_status::InternalError,
        sioh_status::NotFound,
        sioh_status::Forbidden,
        sioh_status::Storage,
    ];

    /// The status a C integer stands for, if any.
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| *s as u32 == code)
    }

    /// The fixed text of a status. Exhaustive: a new status cannot be added
    /// without its text.
    pub(crate) fn text(self) -> &'static CStr {
        match self {
            sioh_status::Ok => c"ok",
            sioh_status::NullPointer => c"a required pointer was NULL",
            sioh_status::InvalidUtf8 => c"a string was not valid UTF-8",
            sioh_status::InvalidJson => c"a payload was not valid JSON",
            sioh_status::InvalidArgument => c"an argument was out of range",
            sioh_status::NotEnabled => c"history is not enabled for this room",
            sioh_status::PayloadTooLarge => c"the payload is larger than the room's byte bound",
            sioh_status::InvalidPayload => c"the payload could not be recorded",
            sioh_status::InternalError => c"internal error",
            sioh_status::NotFound => c"no such message in this room",
            sioh_status::Forbidden => c"the operation is not allowed",
            sioh_status::Storage => c"the store's directory cannot be used",
        }
    }
}

/// The text `sioh_status_message` gives a code that is no status.
pub(crate) const UNKNOWN_STATUS: &CStr = c"unknown status code";

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
        HistoryError::NotEnabled { .. } => sioh_status::NotEnabled,
        HistoryError::NotFound { .. } => sioh_status::NotFound,
        HistoryError::TooLarge { .. } => sioh_status::PayloadTooLarge,
        HistoryError::Forbidden(_) => sioh_status::Forbidden,
        HistoryError::Storage { .. } => sioh_status::Storage,
        _ => sioh_status::InvalidArgument,
    };
    fail(status, e.to_string())
}

/// A pointer to this thread's last error message (empty if none). Valid
/// until the next failing call on this thread.
pub(crate) fn last_error_ptr() -> *const c_char {
    // During thread teardown the slot may be gone: then "".
    LAST_ERROR
        .try_with(|e| e.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

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
    fn messages_never_contain_interior_nuls() {
        fail(sioh_status::InvalidArgument, "a\0b");
        // SAFETY: the pointer is this thread's NUL-terminated last error.
        let msg = unsafe { CStr::from_ptr(last_error_ptr()) };
        assert_eq!(msg.to_str().unwrap(), "ab");
    }

    #[test]
    fn codes_map_back_to_their_status() {
        for s in sioh_status::ALL {
            assert_eq!(sioh_status::from_code(s as u32), Some(s));
            assert_ne!(s.text(), UNKNOWN_STATUS);
        }
        assert_eq!(sioh_status::from_code(sioh_status::ALL.len() as u32), None);
        assert_eq!(sioh_status::from_code(u32::MAX), None);
    }
}
