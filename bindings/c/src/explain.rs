//! `polc_policy_explain` and `polc_policy_diff`: the decision on a request and the rules
//! behind it, and what a new policy grants that the old one did not, as text (what
//! `polc explain` and `polc diff` print) or JSON (their `--format json`).

use crate::{guard, owned_string, polc_policy, polc_status, set_error, str_arg};
use polc_facade::lang::diff::Report;
use polc_facade::text::diagnostic::sanitize;
use polc_facade::text::explain::WithTargets;
use polc_facade::text::{diff as diff_text, explain as explain_text};
use polc_facade::{explain, request};
use std::ffi::c_char;

/// The form of `polc_policy_explain`'s and `polc_policy_diff`'s output: one of the
/// `POLC_FORMAT_*` values. A `uint32_t` in C; any other value is refused with
/// `POLC_STATUS_INVALID_ARGUMENT`.
pub type polc_format = u32;
/// Text for people, as the CLI prints it.
pub const POLC_FORMAT_TEXT: polc_format = 1;
/// JSON, as the CLI's `--format json` prints it.
pub const POLC_FORMAT_JSON: polc_format = 2;

fn format_arg(f: polc_format) -> Result<bool, polc_status> {
    match f {
        POLC_FORMAT_TEXT => Ok(false),
        POLC_FORMAT_JSON => Ok(true),
        other => {
            set_error(format!(
                "`{other}` is not a polc_format (POLC_FORMAT_TEXT or POLC_FORMAT_JSON)"
            ));
            Err(polc_status::InvalidArgument)
        }
    }
}

/// Explain the policy's decision on `request`, written on one line: `RIGHT PATH`
/// (`"read /etc/hosts"`), `net OP:PROTO:PORT` (`"net connect:tcp:443"`),
/// `capability NAME` or `signal DIRECTION:SIGNAL:PEER` (`self`: the policy). On success
/// `*out` is the explanation in `format` (free it with `polc_string_free`), whatever the
/// decision; a malformed request is `POLC_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `policy` is a valid handle; `request` a valid string; `out` valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_explain(
    policy: *const polc_policy,
    request: *const c_char,
    format: polc_format,
    out: *mut *mut c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract.
        let Some(p) = (unsafe { policy.as_ref() }) else {
            set_error("`policy` is NULL");
            return polc_status::NullArgument;
        };
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: NULL or a valid string.
        let text = match unsafe { str_arg(request, "request") } {
            Ok(t) => t,
            Err(s) => return s,
        };
        let as_json = match format_arg(format) {
            Ok(j) => j,
            Err(s) => return s,
        };
        let policy = &p.loaded().policy;
        let req = match request::parse(text, policy.name.as_str()) {
            Ok(r) => r,
            Err(e) => {
                set_error(e.to_string());
                return polc_status::InvalidArgument;
            }
        };
        let ex = explain(policy, &req);
        let rendered = if as_json {
            serde_json::to_string_pretty(&WithTargets {
                explanation: &ex,
                targets: &[],
            })
            .unwrap_or_default()
                + "\n"
        } else {
            sanitize(&explain_text::human(&ex))
        };
        // SAFETY: non-NULL, checked above.
        unsafe { *out = owned_string(&rendered) };
        polc_status::Ok
    })
}

/// What `new` grants that `old` did not and what it no longer grants, as `polc diff`
/// reports it, in `format`. On success `*out` is the report (free it with
/// `polc_string_free`) and, when `changed_out` is not NULL, `*changed_out` is true when
/// the two policies differ in meaning or in what they plug (as `polc diff` exits 1).
///
/// # Safety
/// `old` and `new` are valid handles; `out` valid for writes; `changed_out` NULL or valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_diff(
    old: *const polc_policy,
    new: *const polc_policy,
    format: polc_format,
    out: *mut *mut c_char,
    changed_out: *mut bool,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract.
        let (Some(o), Some(n)) = (unsafe { old.as_ref() }, unsafe { new.as_ref() }) else {
            set_error("`old` or `new` is NULL");
            return polc_status::NullArgument;
        };
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        let as_json = match format_arg(format) {
            Ok(j) => j,
            Err(s) => return s,
        };
        let report = Report::of(o.loaded(), n.loaded());
        let name = |p: &polc_policy| p.loaded().sources.files.keys().next().cloned();
        let rendered = if as_json {
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        } else {
            sanitize(&diff_text::human(
                &report,
                &name(o).unwrap_or_else(|| "old".into()),
                &name(n).unwrap_or_else(|| "new".into()),
            ))
        };
        // SAFETY: non-NULL, checked above / by the caller's contract.
        unsafe {
            *out = owned_string(&rendered);
            if !changed_out.is_null() {
                *changed_out = report.differs();
            }
        }
        polc_status::Ok
    })
}
