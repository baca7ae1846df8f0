//! `polc_spawn`: start a program confined under a policy, as `polc run` does
//! (`polc::confine::command`), and return its pid and what the kernel enforces.

use crate::compile::lsm_arg;
use crate::{guard, owned_string, polc_lsm, polc_policy, polc_status, set_error, str_arg};
use polc_facade::confine::{command, Error, Options};
use std::ffi::{c_char, OsString};

/// The host's active LSM (AppArmor, SELinux or Landlock, read from securityfs), for
/// `polc_spawn`.
pub const POLC_LSM_HOST: polc_lsm = 0;

/// A NULL-terminated array of strings, as `execve` takes them.
///
/// # Safety
/// `list` is a valid NULL-terminated array of valid NUL-terminated strings.
unsafe fn string_list(list: *const *const c_char, what: &str) -> Result<Vec<String>, polc_status> {
    let mut out = Vec::new();
    for i in 0.. {
        // SAFETY: the array is NULL-terminated, so every index up to the NULL is valid.
        let item = unsafe { *list.add(i) };
        if item.is_null() {
            break;
        }
        // SAFETY: a valid string, per the contract.
        out.push(unsafe { str_arg(item, what) }?.to_string());
    }
    Ok(out)
}

fn confine_status(e: &Error) -> polc_status {
    set_error(match e.advice() {
        Some(h) => format!("{e} (help: {h})"),
        None => e.to_string(),
    });
    match e {
        Error::NoCommand => polc_status::InvalidArgument,
        Error::NotFound { .. } => polc_status::NotFound,
        _ => polc_status::Confine,
    }
}

/// Start `argv` (`argv[0]` a path or a name looked up in `PATH`) confined under `policy`
/// on `lsm` (a `POLC_LSM_*` value, or `POLC_LSM_HOST` for the host's active LSM), as
/// `polc run` does: before any fork the LSM is checked (AppArmor/SELinux: the policy's
/// profile or module is loaded, e.g. by `polc_store_install`) and the policy must allow
/// executing the program; on Landlock the ruleset is applied in the child before exec.
/// The child runs in a new session, with the caller's standard streams and no other
/// descriptors. `envp` is its environment (NULL: the caller's).
///
/// On success `*pid_out` is the child's pid (wait for it with `waitpid`) and, when
/// `status_json_out` is not NULL, `*status_json_out` says what confines it, as JSON:
/// `{"lsm": ..., "name": ..., "enforcing": true|false, "detail": {...}}` (free it with
/// `polc_string_free`); `enforcing` is false when the kernel only logs or, for Landlock,
/// enforces nothing. Errors: `POLC_STATUS_NOT_FOUND` (no such program),
/// `POLC_STATUS_CONFINE` (cannot confine or start it: the last error message says why),
/// `POLC_STATUS_INVALID_ARGUMENT` (empty `argv`, a bad `lsm`); nothing was started.
///
/// # Safety
/// `policy` is a valid handle; `argv` a valid NULL-terminated array of valid strings;
/// `envp` NULL or such an array; `pid_out` valid for writes; `status_json_out` NULL or
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_spawn(
    policy: *const polc_policy,
    lsm: polc_lsm,
    argv: *const *const c_char,
    envp: *const *const c_char,
    pid_out: *mut i32,
    status_json_out: *mut *mut c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract.
        let Some(p) = (unsafe { policy.as_ref() }) else {
            set_error("`policy` is NULL");
            return polc_status::NullArgument;
        };
        if argv.is_null() || pid_out.is_null() {
            set_error("`argv` or `pid_out` is NULL");
            return polc_status::NullArgument;
        }
        let lsm = if lsm == POLC_LSM_HOST {
            None
        } else {
            match lsm_arg(lsm) {
                Ok(l) => Some(l),
                Err(s) => return s,
            }
        };
        // SAFETY: valid arrays, per the contract.
        let args = match unsafe { string_list(argv, "argv") } {
            Ok(a) => a,
            Err(s) => return s,
        };
        let env = if envp.is_null() {
            None
        } else {
            // SAFETY: a valid array, per the contract.
            match unsafe { string_list(envp, "envp") } {
                Ok(e) => Some(e),
                Err(s) => return s,
            }
        };
        let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
        let options = Options {
            lsm,
            ..Options::default()
        };
        let (mut cmd, status) = match command(&p.loaded().policy, &argv, &options) {
            Ok(c) => c,
            Err(e) => return confine_status(&e),
        };
        if let Some(env) = env {
            cmd.env_clear();
            for kv in env {
                let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
                cmd.env(k, v);
            }
        }
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(source) => {
                let program = args.first().cloned().unwrap_or_default();
                return confine_status(&Error::Spawn { program, source });
            }
        };
        let Ok(pid) = i32::try_from(child.id()) else {
            set_error("the child's pid does not fit a pid_t");
            return polc_status::Confine;
        };
        // The child is not waited for here: the caller reaps it with waitpid.
        drop(child);
        // SAFETY: checked non-NULL above / by the caller's contract.
        unsafe {
            *pid_out = pid;
            if !status_json_out.is_null() {
                *status_json_out =
                    owned_string(&serde_json::to_string(&status).unwrap_or_default());
            }
        }
        polc_status::Ok
    })
}
