//! Checked reads of what C hands in: `(pointer, length)` strings and bytes.

use crate::status::{fail, sioh_status, Checked};
use std::ffi::c_char;

/// A borrowed UTF-8 string: pointer and length in bytes (no NUL needed).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sioh_str {
    /// The bytes; may be NULL only when `len` is 0.
    pub ptr: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

/// Bytes from C. NULL is allowed only for an empty span.
///
/// # Safety
/// `ptr` must point to `len` readable bytes that stay valid for `'a`.
pub(crate) unsafe fn bytes<'a>(param: &str, ptr: *const u8, len: usize) -> Checked<&'a [u8]> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(fail(sioh_status::NullPointer, format!("{param} is NULL")));
    }
    if len > isize::MAX as usize {
        return Err(fail(
            sioh_status::InvalidArgument,
            format!("{param}_len is too large"),
        ));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// A UTF-8 string from C.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(param: &str, ptr: *const c_char, len: usize) -> Checked<&'a str> {
    let b = bytes(param, ptr.cast(), len)?;
    std::str::from_utf8(b).map_err(|e| {
        fail(
            sioh_status::InvalidUtf8,
            format!("{param} is not valid UTF-8: {e}"),
        )
    })
}

/// A namespace: NULL means the default `"/"`.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn namespace<'a>(ptr: *const c_char, len: usize) -> Checked<&'a str> {
    if ptr.is_null() {
        return Ok(socketio_history_core::DEFAULT_NAMESPACE);
    }
    text("namespace", ptr, len)
}

/// A required pointer to a value.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads of `T` for `'a`.
pub(crate) unsafe fn required<'a, T>(param: &str, ptr: *const T) -> Checked<&'a T> {
    ptr.as_ref()
        .ok_or_else(|| fail(sioh_status::NullPointer, format!("{param} is NULL")))
}

/// A list of strings (`sioh_str` array).
///
/// # Safety
/// `ptr` must point to `len` valid `sioh_str`s, each valid as for [`bytes`].
pub(crate) unsafe fn text_list(
    param: &str,
    ptr: *const sioh_str,
    len: usize,
) -> Checked<Vec<String>> {
    let items: &[sioh_str] = if ptr.is_null() {
        if len != 0 {
            return Err(fail(sioh_status::NullPointer, format!("{param} is NULL")));
        }
        &[]
    } else if len > isize::MAX as usize / std::mem::size_of::<sioh_str>() {
        return Err(fail(
            sioh_status::InvalidArgument,
            format!("{param}_len is too large"),
        ));
    } else {
        std::slice::from_raw_parts(ptr, len)
    };
    items
        .iter()
        .map(|s| text(param, s.ptr, s.len).map(str::to_owned))
        .collect()
}

/// Write `value` through an optional out-pointer.
///
/// # Safety
/// A non-NULL `out` must be valid for writes of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    if let Some(slot) = out.as_mut() {
        *slot = value;
    }
}
