//! `polc_options` and `polc_policy`: load and inspect policies.

use crate::{borrowed, guard, owned_string, polc_diagnostics, polc_status, set_error, str_arg};
use polc_facade::lang::{load, LoadOptions, Loaded, Source};
use std::ffi::{c_char, CString};

/// Options for loading a policy: variables and extra abstractions.
pub struct polc_options {
    inner: LoadOptions,
}

/// A loaded, checked policy (its IR).
pub struct polc_policy {
    loaded: Loaded,
    name: CString,
    /// The variables it was loaded with (recorded by the store on install).
    vars: std::collections::BTreeMap<String, String>,
}

/// Create empty load options.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn polc_options_new(out: *mut *mut polc_options) -> polc_status {
    guard(|| {
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: out is non-NULL and valid for writes.
        unsafe {
            *out = Box::into_raw(Box::new(polc_options {
                inner: LoadOptions::default(),
            }))
        };
        polc_status::Ok
    })
}

/// Free load options. NULL is accepted.
///
/// # Safety
/// `o` is NULL or a handle from `polc_options_new` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn polc_options_free(o: *mut polc_options) {
    if !o.is_null() {
        // SAFETY: o came from Box::into_raw.
        drop(unsafe { Box::from_raw(o) });
    }
}

/// Set an install-time variable (`${name}` in the policy), like `--var NAME=VALUE`.
///
/// # Safety
/// `o` is a valid handle; `name` and `value` are valid NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn polc_options_set_var(
    o: *mut polc_options,
    name: *const c_char,
    value: *const c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: o is NULL or valid.
        let Some(o) = (unsafe { o.as_mut() }) else {
            set_error("`options` is NULL");
            return polc_status::NullArgument;
        };
        // SAFETY: the caller passes valid strings or NULL.
        let (name, value) = match unsafe { (str_arg(name, "name"), str_arg(value, "value")) } {
            (Ok(n), Ok(v)) => (n, v),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        o.inner.vars.insert(name.to_string(), value.to_string());
        polc_status::Ok
    })
}

/// Add an abstraction file (its name and text), searched before the standard library.
///
/// # Safety
/// `o` is a valid handle; `name` and `text` are valid NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn polc_options_add_abstraction(
    o: *mut polc_options,
    name: *const c_char,
    text: *const c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: o is NULL or valid.
        let Some(o) = (unsafe { o.as_mut() }) else {
            set_error("`options` is NULL");
            return polc_status::NullArgument;
        };
        // SAFETY: the caller passes valid strings or NULL.
        let (name, text) = match unsafe { (str_arg(name, "name"), str_arg(text, "text")) } {
            (Ok(n), Ok(t)) => (n, t),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        o.inner.abstractions.push(Source::new(name, text));
        polc_status::Ok
    })
}

/// Load and check a policy from its text (`.pol`) or JSON form (a `name` ending in
/// `.json`). `text` is `len` bytes of UTF-8 (no NUL needed). `options` and `diagnostics`
/// may be NULL; when given, `diagnostics` is cleared and receives every error and warning.
/// On `POLC_STATUS_OK`, `*out` is a new policy handle; on `POLC_STATUS_INVALID_POLICY`
/// the diagnostics say why and `*out` is untouched.
///
/// # Safety
/// `name` is a valid NUL-terminated string; `text` points to `len` readable bytes;
/// `options` and `diagnostics` are NULL or valid handles; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_load(
    name: *const c_char,
    text: *const u8,
    len: usize,
    options: *const polc_options,
    diagnostics: *mut polc_diagnostics,
    out: *mut *mut polc_policy,
) -> polc_status {
    guard(|| {
        if text.is_null() || out.is_null() {
            set_error("`text` or `out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: name is a valid string or NULL.
        let name = match unsafe { str_arg(name, "name") } {
            Ok(n) => n,
            Err(e) => return e,
        };
        // SAFETY: text points to len readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(text, len) };
        let Ok(text) = std::str::from_utf8(bytes) else {
            set_error("`text` is not valid UTF-8");
            return polc_status::InvalidUtf8;
        };
        let default = LoadOptions::default();
        // SAFETY: options is NULL or valid.
        let opts = unsafe { options.as_ref() }.map_or(&default, |o| &o.inner);
        // SAFETY: diagnostics is NULL or valid.
        let diags = unsafe { diagnostics.as_mut() };
        match load(&Source::new(name, text), opts) {
            Ok(loaded) => {
                if let Some(d) = diags {
                    d.fill(&loaded.warnings, &loaded.sources);
                }
                let name = borrowed(loaded.policy.name.as_str());
                // SAFETY: out is non-NULL and valid for writes.
                let vars = opts.vars.clone();
                unsafe {
                    *out = Box::into_raw(Box::new(polc_policy { loaded, name, vars }));
                }
                polc_status::Ok
            }
            Err(failed) => {
                let errors = failed.diagnostics.iter().filter(|d| d.is_error()).count();
                set_error(format!("`{name}` has {errors} error(s)"));
                if let Some(d) = diags {
                    d.fill(&failed.diagnostics, &failed.sources);
                }
                polc_status::InvalidPolicy
            }
        }
    })
}

/// Free a policy. NULL is accepted.
///
/// # Safety
/// `p` is NULL or a handle from `polc_policy_load` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_free(p: *mut polc_policy) {
    if !p.is_null() {
        // SAFETY: p came from Box::into_raw.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// The policy's name (borrowed; NULL for a NULL handle).
///
/// # Safety
/// `p` is NULL or a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_name(p: *const polc_policy) -> *const c_char {
    // SAFETY: p is NULL or valid.
    unsafe { p.as_ref() }.map_or(std::ptr::null(), |p| p.name.as_ptr())
}

/// The policy's IR as stable JSON (`polc compile --target ir`). Free with `polc_string_free`.
///
/// # Safety
/// `p` is a valid handle; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_ir_json(
    p: *const polc_policy,
    out: *mut *mut c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: p is NULL or valid.
        let Some(p) = (unsafe { p.as_ref() }) else {
            set_error("`policy` is NULL");
            return polc_status::NullArgument;
        };
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: out is non-NULL and valid for writes.
        unsafe { *out = owned_string(&p.loaded.policy.to_json()) };
        polc_status::Ok
    })
}

impl polc_policy {
    /// The loaded policy.
    pub(crate) fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The variables it was loaded with.
    pub(crate) fn vars(&self) -> &std::collections::BTreeMap<String, String> {
        &self.vars
    }
}

impl polc_options {
    /// The load options.
    pub(crate) fn inner(&self) -> &LoadOptions {
        &self.inner
    }
}
