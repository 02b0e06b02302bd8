//! The panic boundary: every export runs its body inside [`boundary!`], so
//! no panic unwinds into C (undefined behaviour). What a caught panic
//! returns is chosen by the export's return type ([`OnPanic`]): a status
//! becomes `SIOH_STATUS_INTERNAL_ERROR` with a last-error message, a count
//! becomes 0, a string becomes "", nothing stays nothing.
//!
//! The macro wraps the body, not the declaration, so cbindgen still reads
//! each export as a plain function. `ffi/tests/exports.rs` checks that every
//! export's body is a boundary.

use crate::status::{fail, sioh_status};
use std::ffi::c_char;

/// The value an export returns when its body panicked.
pub(crate) trait OnPanic {
    fn on_panic() -> Self;
}

impl OnPanic for sioh_status {
    fn on_panic() -> Self {
        fail(
            sioh_status::InternalError,
            "internal error: a panic was caught at the C boundary",
        )
    }
}

impl OnPanic for usize {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for u64 {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for () {
    fn on_panic() -> Self {}
}

impl OnPanic for *const c_char {
    fn on_panic() -> Self {
        c"".as_ptr()
    }
}

/// Run an export's body; a panic returns [`OnPanic::on_panic`] of the
/// body's type instead of unwinding into C.
macro_rules! boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(_) => $crate::boundary::OnPanic::on_panic(),
        }
    };
}
pub(crate) use boundary;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::last_error_ptr;
    use std::ffi::CStr;

    fn panics() -> bool {
        std::hint::black_box(true)
    }

    #[test]
    fn a_panic_returns_the_value_chosen_by_the_return_type() {
        let status: sioh_status = boundary! {
            if panics() { panic!("boom") }
            sioh_status::Ok
        };
        assert_eq!(status, sioh_status::InternalError);
        // SAFETY: the pointer is this thread's NUL-terminated last error.
        let msg = unsafe { CStr::from_ptr(last_error_ptr()) };
        assert!(msg.to_str().unwrap().contains("panic"));

        let len: usize = boundary! {
            if panics() { panic!("boom") }
            7
        };
        assert_eq!(len, 0);
        let text: *const c_char = boundary! {
            if panics() { panic!("boom") }
            c"x".as_ptr()
        };
        // SAFETY: a static NUL-terminated string.
        assert_eq!(unsafe { CStr::from_ptr(text) }, c"");
        let unit: () = boundary! {
            if panics() { panic!("boom") }
        };
        assert_eq!(unit, ());
    }
}
