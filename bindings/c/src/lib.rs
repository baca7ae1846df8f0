//! # The polc C API
//!
//! A C ABI over the `polc` library for package managers and installers written in C:
//! load a policy (text or JSON), read its diagnostics, get its IR, compile it, and install
//! it transactionally. See `docs/c-api.md` for the guide and a complete installer.
//!
//! Conventions (those of rustls-ffi and wasmtime's C API):
//! - every fallible function returns a [`polc_status`]; results go through
//!   out-parameters, written only on success;
//! - handles are opaque, created by `polc_<type>_new`/`_load`/`_open` and released by
//!   `polc_<type>_free` (which accept NULL);
//! - every pointer argument is NULL-checked (`POLC_STATUS_NULL_ARGUMENT`);
//! - strings returned as `char *` are owned by the caller and freed with
//!   [`polc_string_free`]; strings returned as `const char *` are borrowed from the handle
//!   and live as long as it;
//! - panics never cross the boundary (`POLC_STATUS_PANIC`);
//! - the message of the last error of the calling thread is [`polc_last_error_message`].
#![allow(non_camel_case_types)]
#![warn(missing_docs)]

mod compile;
mod deploy;
mod diagnostics;
mod explain;
mod policy;
mod spawn;

pub use compile::*;
pub use deploy::*;
pub use diagnostics::*;
pub use explain::*;
pub use policy::*;
pub use spawn::*;

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every fallible function (a `uint32_t` in C; `polc_status_str` names it).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum polc_status {
    /// Success: the out-parameters were written.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// The policy has errors: see the diagnostics handle.
    InvalidPolicy = 3,
    /// An input/output error.
    Io = 4,
    /// A backend could not compile the policy.
    Compile = 5,
    /// Strict mode refused a widened or unsupported rule.
    Strict = 6,
    /// A store operation failed (the store stays on the old generation).
    Store = 7,
    /// The named thing does not exist.
    NotFound = 8,
    /// An argument is out of range or malformed.
    InvalidArgument = 9,
    /// A program cannot be confined or started: nothing was started.
    Confine = 10,
    /// polc panicked (a bug); the call had no effect.
    Panic = 99,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_error(msg: impl Into<String>) {
    let msg = msg.into().replace('\0', "\\0");
    LAST_ERROR.with(|e| *e.borrow_mut() = CString::new(msg).unwrap_or_default());
}

/// Run `f`, converting a panic into `POLC_STATUS_PANIC`.
pub(crate) fn guard(f: impl FnOnce() -> polc_status) -> polc_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(s) => s,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            set_error(format!("internal error (panic): {what}"));
            polc_status::Panic
        }
    }
}

/// Borrow a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, polc_status> {
    if p.is_null() {
        set_error(format!("`{what}` is NULL"));
        return Err(polc_status::NullArgument);
    }
    // SAFETY: the caller guarantees a valid NUL-terminated string.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|_| {
        set_error(format!("`{what}` is not valid UTF-8"));
        polc_status::InvalidUtf8
    })
}

/// Turn a Rust string into an owned C string for the caller (NULs escaped).
pub(crate) fn owned_string(s: &str) -> *mut c_char {
    CString::new(s.replace('\0', "\\0"))
        .unwrap_or_default()
        .into_raw()
}

pub(crate) fn borrowed(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// The major version of the C ABI: functions, types and their layouts. It changes only on
/// a breaking change (a function removed or its signature changed), and is the SONAME's
/// number (`libpolc.so.1`; bindings/c/build.rs reads it from here). The exported symbols
/// and the header are compared with the committed reference in bindings/c/abi/.
pub const POLC_ABI_VERSION: u32 = 1;

/// The ABI major version of the library loaded at run time: a program compares it with
/// the `POLC_ABI_VERSION` it was compiled with.
#[no_mangle]
pub extern "C" fn polc_abi_version() -> u32 {
    POLC_ABI_VERSION
}

/// The library's version, e.g. `"0.1.0"` (static, never freed).
#[no_mangle]
pub extern "C" fn polc_version() -> *const c_char {
    static VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"",
        };
    VERSION.as_ptr()
}

/// A static description of `status` (e.g. `"invalid argument"` for
/// `POLC_STATUS_INVALID_ARGUMENT`), never freed; `"unknown status"` for a value that is not
/// a `polc_status`.
#[no_mangle]
pub extern "C" fn polc_status_str(status: u32) -> *const c_char {
    let s: &'static CStr = match status {
        0 => c"ok",
        1 => c"null argument",
        2 => c"invalid utf-8",
        3 => c"invalid policy",
        4 => c"input/output error",
        5 => c"compile error",
        6 => c"refused by strict mode",
        7 => c"store error",
        8 => c"not found",
        9 => c"invalid argument",
        10 => c"cannot confine",
        99 => c"internal error (panic)",
        _ => c"unknown status",
    };
    s.as_ptr()
}

/// The message of the last error on the calling thread (empty if none). Borrowed: valid
/// until the next polc call on this thread.
#[no_mangle]
pub extern "C" fn polc_last_error_message() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Free a string returned by polc as `char *`. NULL is accepted.
///
/// # Safety
/// `s` is NULL or a string returned by polc that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn polc_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: s came from CString::into_raw in this library.
        drop(unsafe { CString::from_raw(s) });
    }
}
