//! `polc_diagnostics`: the diagnostics of a load, with accessors.

use crate::{borrowed, guard, polc_status, set_error};
use polc_facade::lang::diagnostics::{Diagnostic, Severity};
use polc_facade::lang::span::line_col;
use polc_facade::lang::SourceMap;
use std::ffi::{c_char, CString};

struct Entry {
    code: CString,
    message: CString,
    file: CString,
    help: CString,
    line: usize,
    column: usize,
    is_error: bool,
}

/// The diagnostics of a load: errors and warnings with codes and locations.
pub struct polc_diagnostics {
    entries: Vec<Entry>,
}

impl polc_diagnostics {
    pub(crate) fn fill(&mut self, diags: &[Diagnostic], sources: &SourceMap) {
        self.entries = diags
            .iter()
            .map(|d| {
                let (line, column) = match (&d.primary, sources.get(&d.file)) {
                    (Some(l), Some(text)) => line_col(text, l.span.start),
                    _ => (0, 0),
                };
                Entry {
                    code: borrowed(d.code.as_str()),
                    message: borrowed(&d.message),
                    file: borrowed(&d.file),
                    help: borrowed(d.help_text()),
                    line,
                    column,
                    is_error: d.severity() == Severity::Error,
                }
            })
            .collect();
    }
}

/// Create an empty diagnostics handle.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_new(out: *mut *mut polc_diagnostics) -> polc_status {
    guard(|| {
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        let d = Box::new(polc_diagnostics {
            entries: Vec::new(),
        });
        // SAFETY: out is non-NULL and valid for writes.
        unsafe { *out = Box::into_raw(d) };
        polc_status::Ok
    })
}

/// Free a diagnostics handle. NULL is accepted.
///
/// # Safety
/// `d` is NULL or a handle from `polc_diagnostics_new` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_free(d: *mut polc_diagnostics) {
    if !d.is_null() {
        // SAFETY: d came from Box::into_raw.
        drop(unsafe { Box::from_raw(d) });
    }
}

/// The number of diagnostics (0 for NULL).
///
/// # Safety
/// `d` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_count(d: *const polc_diagnostics) -> usize {
    // SAFETY: d is NULL or valid.
    unsafe { d.as_ref() }.map_or(0, |d| d.entries.len())
}

unsafe fn entry<'a>(d: *const polc_diagnostics, i: usize) -> Option<&'a Entry> {
    // SAFETY: d is NULL or valid.
    unsafe { d.as_ref() }.and_then(|d| d.entries.get(i))
}

/// The stable code of diagnostic `i` (e.g. `"E0120"`); NULL if out of range. Borrowed.
///
/// # Safety
/// `d` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_code(
    d: *const polc_diagnostics,
    i: usize,
) -> *const c_char {
    // SAFETY: forwarded.
    unsafe { entry(d, i) }.map_or(std::ptr::null(), |e| e.code.as_ptr())
}

/// The one-line message of diagnostic `i`; NULL if out of range. Borrowed.
///
/// # Safety
/// `d` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_message(
    d: *const polc_diagnostics,
    i: usize,
) -> *const c_char {
    // SAFETY: forwarded.
    unsafe { entry(d, i) }.map_or(std::ptr::null(), |e| e.message.as_ptr())
}

/// The help text of diagnostic `i`; NULL if out of range. Borrowed.
///
/// # Safety
/// `d` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_help(
    d: *const polc_diagnostics,
    i: usize,
) -> *const c_char {
    // SAFETY: forwarded.
    unsafe { entry(d, i) }.map_or(std::ptr::null(), |e| e.help.as_ptr())
}

/// The file of diagnostic `i` (as named to the loader); NULL if out of range. Borrowed.
///
/// # Safety
/// `d` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_file(
    d: *const polc_diagnostics,
    i: usize,
) -> *const c_char {
    // SAFETY: forwarded.
    unsafe { entry(d, i) }.map_or(std::ptr::null(), |e| e.file.as_ptr())
}

/// True if diagnostic `i` is an error, false if a warning or out of range.
///
/// # Safety
/// `d` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_is_error(d: *const polc_diagnostics, i: usize) -> bool {
    // SAFETY: forwarded.
    unsafe { entry(d, i) }.is_some_and(|e| e.is_error)
}

/// The 1-based line and column of diagnostic `i` (0 and 0 when it has no location).
///
/// # Safety
/// `d` is NULL or a valid handle; `line` and `column` are NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_diagnostics_location(
    d: *const polc_diagnostics,
    i: usize,
    line: *mut usize,
    column: *mut usize,
) -> polc_status {
    guard(|| {
        if d.is_null() || line.is_null() || column.is_null() {
            set_error("`diagnostics`, `line` or `column` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: d is valid.
        let Some(e) = (unsafe { entry(d, i) }) else {
            set_error(format!("no diagnostic at index {i}"));
            return polc_status::NotFound;
        };
        // SAFETY: line and column are non-NULL and valid for writes.
        unsafe {
            *line = e.line;
            *column = e.column;
        }
        polc_status::Ok
    })
}
