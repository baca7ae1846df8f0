//! `polc_policy_compile` and the store: compile for an LSM, install, roll back, remove.

use crate::{guard, owned_string, polc_options, polc_policy, polc_status, set_error, str_arg};
use polc_facade::compile::{
    compile, read_selinux_file_contexts, read_selinux_port_contexts, CompileOptions,
    ReadContextsError,
};
use polc_facade::store::{
    AppArmorLoader, Loader, Lsm, NullLoader, Package, SeLinuxLoader, Store, StoreConfig, StoreError,
};
use polc_facade::PolicyName;
use std::ffi::c_char;
use std::path::Path;
use std::str::FromStr;

/// An LSM a policy compiles for: one of the `POLC_LSM_*` values. A `uint32_t` in C; any
/// other value is refused with `POLC_STATUS_INVALID_ARGUMENT`.
pub type polc_lsm = u32;
/// AppArmor profile text.
pub const POLC_LSM_APP_ARMOR: polc_lsm = 1;
/// SELinux CIL module.
pub const POLC_LSM_SE_LINUX: polc_lsm = 2;
/// Landlock plan (JSON).
pub const POLC_LSM_LANDLOCK: polc_lsm = 3;

/// The LSM of a `polc_lsm` value taken from C, validated.
pub(crate) fn lsm_arg(lsm: polc_lsm) -> Result<Lsm, polc_status> {
    match lsm {
        POLC_LSM_APP_ARMOR => Ok(Lsm::AppArmor),
        POLC_LSM_SE_LINUX => Ok(Lsm::SeLinux),
        POLC_LSM_LANDLOCK => Ok(Lsm::Landlock),
        other => {
            set_error(format!(
                "`{other}` is not a polc_lsm (POLC_LSM_APP_ARMOR, POLC_LSM_SE_LINUX or POLC_LSM_LANDLOCK)"
            ));
            Err(polc_status::InvalidArgument)
        }
    }
}

/// How to compile: an opaque handle made by `polc_compile_config_new` and changed by the
/// `polc_compile_config_set_*` setters, so that a field added later does not change the
/// ABI.
#[derive(Clone, Debug)]
pub struct polc_compile_config {
    pub(crate) lsm: Lsm,
    strict: bool,
    apparmor_abi: u32,
    landlock_abi: u8,
    selinux_file_contexts: Option<String>,
    selinux_port_contexts: Option<String>,
    selinux_launchers: Option<String>,
    selinux_attributes: Option<String>,
}

/// A new config for `lsm` with the defaults: not strict, AppArmor ABI 3, Landlock ABI 7,
/// no SELinux contexts, launchers or attributes. Free it with `polc_compile_config_free`.
///
/// # Safety
/// `out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_new(
    lsm: polc_lsm,
    out: *mut *mut polc_compile_config,
) -> polc_status {
    guard(|| {
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        let lsm = match lsm_arg(lsm) {
            Ok(l) => l,
            Err(s) => return s,
        };
        let c = polc_compile_config {
            lsm,
            strict: false,
            apparmor_abi: 3,
            landlock_abi: polc_facade::compile::CompileOptions::default().landlock_abi,
            selinux_file_contexts: None,
            selinux_port_contexts: None,
            selinux_launchers: None,
            selinux_attributes: None,
        };
        // SAFETY: out is non-NULL and valid for writes.
        unsafe { *out = Box::into_raw(Box::new(c)) };
        polc_status::Ok
    })
}

/// Free a config. NULL is accepted.
///
/// # Safety
/// `c` is NULL or a handle from `polc_compile_config_new` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_free(c: *mut polc_compile_config) {
    if !c.is_null() {
        // SAFETY: c came from Box::into_raw.
        drop(unsafe { Box::from_raw(c) });
    }
}

/// Change a config through `set`, after checking the handle.
///
/// # Safety
/// `c` is NULL or a valid handle.
unsafe fn with_config(
    c: *mut polc_compile_config,
    set: impl FnOnce(&mut polc_compile_config) -> Result<(), polc_status>,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract.
        let Some(c) = (unsafe { c.as_mut() }) else {
            set_error("`config` is NULL");
            return polc_status::NullArgument;
        };
        match set(c) {
            Ok(()) => polc_status::Ok,
            Err(s) => s,
        }
    })
}

/// Set the LSM to compile for (a `POLC_LSM_*` value).
///
/// # Safety
/// `c` is a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_lsm(
    c: *mut polc_compile_config,
    lsm: polc_lsm,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_config(c, |c| {
            c.lsm = lsm_arg(lsm)?;
            Ok(())
        })
    }
}

/// Strict: fail (`POLC_STATUS_STRICT`) on widened or unsupported rules.
///
/// # Safety
/// `c` is a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_strict(
    c: *mut polc_compile_config,
    strict: bool,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_config(c, |c| {
            c.strict = strict;
            Ok(())
        })
    }
}

/// The AppArmor ABI major version: 3 or 4 (anything else: `POLC_STATUS_INVALID_ARGUMENT`).
///
/// # Safety
/// `c` is a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_apparmor_abi(
    c: *mut polc_compile_config,
    abi: u32,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_config(c, |c| {
            if !(3..=4).contains(&abi) {
                set_error(format!("unknown AppArmor ABI `{abi}`: use 3 or 4"));
                return Err(polc_status::InvalidArgument);
            }
            c.apparmor_abi = abi;
            Ok(())
        })
    }
}

/// The Landlock ABI, 1 to 7 (anything else: `POLC_STATUS_INVALID_ARGUMENT`).
///
/// # Safety
/// `c` is a valid handle.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_landlock_abi(
    c: *mut polc_compile_config,
    abi: u32,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_config(c, |c| {
            match u8::try_from(abi) {
                Ok(a)
                    if (1..=polc_facade::compile::CompileOptions::default().landlock_abi)
                        .contains(&a) =>
                {
                    c.landlock_abi = a;
                }
                _ => {
                    set_error(format!("Landlock ABI `{abi}` is out of range"));
                    return Err(polc_status::InvalidArgument);
                }
            }
            Ok(())
        })
    }
}

/// Set an optional string field from C: NULL clears it.
///
/// # Safety
/// `c` is NULL or a valid handle; `value` is NULL or a valid NUL-terminated string.
unsafe fn set_text(
    c: *mut polc_compile_config,
    value: *const c_char,
    what: &str,
    field: fn(&mut polc_compile_config) -> &mut Option<String>,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_config(c, |c| {
            *field(c) = if value.is_null() {
                None
            } else {
                Some(str_arg(value, what)?.to_string())
            };
            Ok(())
        })
    }
}

/// SELinux: the target's `file_contexts` file, to which paths the policy does not own
/// resolve (Debian: `/etc/selinux/default/contexts/files/file_contexts`); its companions
/// `PATH.homedirs`, `PATH.local` and `PATH.subs_dist` are read when present. NULL (the
/// default): none, and a policy touching paths it does not own fails to compile. The
/// file is read when compiling. The string is copied.
///
/// # Safety
/// `c` is a valid handle; `path` is NULL or a valid string.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_selinux_file_contexts(
    c: *mut polc_compile_config,
    path: *const c_char,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        set_text(c, path, "selinux_file_contexts", |c| {
            &mut c.selinux_file_contexts
        })
    }
}

/// SELinux: the target's port contexts file, as `seinfo --portcon -x POLICY` prints them
/// (lines `portcon tcp 443 system_u:object_r:http_port_t:s0`). NULL (the default): none.
/// The string is copied.
///
/// # Safety
/// `c` is a valid handle; `path` is NULL or a valid string.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_selinux_port_contexts(
    c: *mut polc_compile_config,
    path: *const c_char,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        set_text(c, path, "selinux_port_contexts", |c| {
            &mut c.selinux_port_contexts
        })
    }
}

/// SELinux: domains that start the program, comma-separated `TYPE:ROLE` (e.g.
/// `"unconfined_t:unconfined_r"`). NULL or empty (the default): none. Checked when
/// compiling. The string is copied.
///
/// # Safety
/// `c` is a valid handle; `launchers` is NULL or a valid string.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_selinux_launchers(
    c: *mut polc_compile_config,
    launchers: *const c_char,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        set_text(c, launchers, "selinux_launchers", |c| {
            &mut c.selinux_launchers
        })
    }
}

/// SELinux: attributes the module's types join, comma-separated `KIND=ATTR` with KIND one
/// of domain, file, port (e.g. `"domain=domain,file=file_type"`). NULL or empty (the
/// default): none. Checked when compiling. The string is copied.
///
/// # Safety
/// `c` is a valid handle; `attributes` is NULL or a valid string.
#[no_mangle]
pub unsafe extern "C" fn polc_compile_config_set_selinux_attributes(
    c: *mut polc_compile_config,
    attributes: *const c_char,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe {
        set_text(c, attributes, "selinux_attributes", |c| {
            &mut c.selinux_attributes
        })
    }
}

fn contexts_status(e: &ReadContextsError) -> polc_status {
    set_error(e.to_string());
    match e {
        ReadContextsError::Read { .. } => polc_status::Io,
        _ => polc_status::InvalidArgument,
    }
}

/// Parse a comma-separated list of `T` (empty items are skipped).
fn list<T: FromStr>(text: Option<&str>, what: &str) -> Result<Vec<T>, polc_status>
where
    T::Err: std::fmt::Display,
{
    text.into_iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse().map_err(|e| {
                set_error(format!("`config.{what}`: {e}"));
                polc_status::InvalidArgument
            })
        })
        .collect()
}

/// The compile options of a config (its files read, its lists parsed).
pub(crate) fn options(c: &polc_compile_config) -> Result<CompileOptions, polc_status> {
    let apparmor_abi = polc_apparmor_abi(if c.apparmor_abi == 4 { "4.0" } else { "3.0" })?;
    let selinux_launchers = list(c.selinux_launchers.as_deref(), "selinux_launchers")?;
    let selinux_attributes = list(c.selinux_attributes.as_deref(), "selinux_attributes")?;
    let selinux_port_contexts = c
        .selinux_port_contexts
        .as_deref()
        .map(|p| read_selinux_port_contexts(Path::new(p)))
        .transpose()
        .map_err(|e| contexts_status(&e))?;
    let selinux_file_contexts = c
        .selinux_file_contexts
        .as_deref()
        .map(|p| read_selinux_file_contexts(Path::new(p)))
        .transpose()
        .map_err(|e| contexts_status(&e))?;
    Ok(CompileOptions {
        strict: c.strict,
        apparmor_abi,
        landlock_abi: c.landlock_abi,
        selinux_file_contexts,
        selinux_port_contexts,
        selinux_launchers,
        selinux_attributes,
        ..CompileOptions::default()
    })
}

fn polc_apparmor_abi(s: &str) -> Result<polc_facade::compile::AppArmorAbi, polc_status> {
    s.parse().map_err(|_| polc_status::InvalidArgument)
}

/// The library's advice speaks of the CLI's flags: name the config's fields instead.
pub(crate) fn c_help(help: &str) -> String {
    [
        (
            "--selinux-file-contexts",
            "`polc_compile_config_set_selinux_file_contexts`",
        ),
        (
            "--selinux-port-contexts",
            "`polc_compile_config_set_selinux_port_contexts`",
        ),
        ("--strict", "`polc_compile_config_set_strict`"),
    ]
    .iter()
    .fold(help.to_string(), |h, (flag, field)| h.replace(flag, field))
}

fn compiled(
    p: &polc_policy,
    config: &polc_compile_config,
) -> Result<polc_facade::compile::Artifact, polc_status> {
    let opts = options(config)?;
    compile(&p.loaded().policy, config.lsm, &opts).map_err(|e| {
        let strict = e.is_strict();
        set_error(match e.help() {
            Some(h) => format!("{e} (help: {})", c_help(&h)),
            None => e.to_string(),
        });
        if strict {
            polc_status::Strict
        } else {
            polc_status::Compile
        }
    })
}

/// Compile a policy. On success `*artifact_out` is the artifact (profile, CIL module or
/// Landlock plan) and, when `report_json_out` is not NULL, `*report_json_out` the
/// fidelity report as JSON; free both with `polc_string_free`.
///
/// Invalid config fields give `POLC_STATUS_INVALID_ARGUMENT` (a malformed launcher,
/// attribute or contexts file), `POLC_STATUS_IO` (an unreadable contexts file) or
/// `POLC_STATUS_INVALID_UTF8`; the last error message says which field or file and why.
///
/// # Safety
/// `policy` and `config` are valid handles;
/// `artifact_out` is valid for writes; `report_json_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_compile(
    policy: *const polc_policy,
    config: *const polc_compile_config,
    artifact_out: *mut *mut c_char,
    report_json_out: *mut *mut c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract.
        let (Some(p), Some(c)) = (unsafe { policy.as_ref() }, unsafe { config.as_ref() }) else {
            set_error("`policy` or `config` is NULL");
            return polc_status::NullArgument;
        };
        if artifact_out.is_null() {
            set_error("`artifact_out` is NULL");
            return polc_status::NullArgument;
        }
        let a = match compiled(p, c) {
            Ok(a) => a,
            Err(s) => return s,
        };
        // SAFETY: checked non-NULL above / by the caller's contract.
        unsafe {
            *artifact_out = owned_string(&a.text);
            if !report_json_out.is_null() {
                *report_json_out =
                    owned_string(&serde_json::to_string(&a.report).unwrap_or_default());
            }
        }
        polc_status::Ok
    })
}

/// An open policy store (holds its lock until freed).
pub struct polc_store {
    store: Store,
}

fn store_status(e: StoreError) -> polc_status {
    set_error(e.to_string());
    match e {
        StoreError::NotInstalled(_) | StoreError::NoPrevious(_) => polc_status::NotFound,
        StoreError::BadArtifactName(_) => polc_status::InvalidArgument,
        _ => polc_status::Store,
    }
}

/// Open (creating if needed) the store at `root` (NULL: `/var/lib/polc`), waiting for its
/// lock and repairing what a crashed installer left. The loaders are the real ones:
/// `apparmor_parser`, `semodule`, and none for Landlock.
///
/// # Safety
/// `root` is NULL or a valid string; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_store_open(
    root: *const c_char,
    out: *mut *mut polc_store,
) -> polc_status {
    guard(|| {
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        let config = if root.is_null() {
            StoreConfig::default()
        } else {
            // SAFETY: root is a valid string.
            match unsafe { str_arg(root, "root") } {
                Ok(r) => StoreConfig::new(r),
                Err(s) => return s,
            }
        };
        let loaders: Vec<Box<dyn Loader>> = vec![
            Box::new(AppArmorLoader::default()),
            Box::new(SeLinuxLoader::default()),
            Box::new(NullLoader::new(Lsm::Landlock)),
        ];
        match Store::open(config, loaders) {
            Ok(store) => {
                // SAFETY: out is non-NULL.
                unsafe { *out = Box::into_raw(Box::new(polc_store { store })) };
                polc_status::Ok
            }
            Err(e) => store_status(e),
        }
    })
}

/// Close a store (releasing its lock). NULL is accepted.
///
/// # Safety
/// `s` is NULL or a handle from `polc_store_open` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn polc_store_free(s: *mut polc_store) {
    if !s.is_null() {
        // SAFETY: s came from Box::into_raw.
        drop(unsafe { Box::from_raw(s) });
    }
}

/// Compile `policy` with `config`, load it, and make it the current generation. On
/// success `*generation_out` is the new generation's number. If the kernel refuses it,
/// `POLC_STATUS_STORE` is returned and the previous generation stays loaded and current.
/// The config is read as by `polc_policy_compile`, with the same statuses.
///
/// # Safety
/// `store`, `policy` and `config` are valid handles; `generation_out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_store_install(
    store: *mut polc_store,
    policy: *const polc_policy,
    config: *const polc_compile_config,
    generation_out: *mut u64,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid.
        let (Some(s), Some(p), Some(c)) = (
            unsafe { store.as_ref() },
            unsafe { policy.as_ref() },
            unsafe { config.as_ref() },
        ) else {
            set_error("`store`, `policy` or `config` is NULL");
            return polc_status::NullArgument;
        };
        if generation_out.is_null() {
            set_error("`generation_out` is NULL");
            return polc_status::NullArgument;
        }
        let a = match compiled(p, c) {
            Ok(a) => a,
            Err(st) => return st,
        };
        let loaded = p.loaded();
        let source_name = loaded
            .sources
            .files
            .keys()
            .next()
            .cloned()
            .unwrap_or_default();
        let mut pkg = Package::new(loaded, &source_name, a);
        pkg.vars = p.vars().clone();
        match s.store.install(&pkg) {
            Ok(g) => {
                // SAFETY: non-NULL.
                unsafe { *generation_out = g };
                polc_status::Ok
            }
            Err(e) => store_status(e),
        }
    })
}

unsafe fn store_and_name<'a>(
    store: *mut polc_store,
    name: *const c_char,
) -> Result<(&'a polc_store, PolicyName), polc_status> {
    // SAFETY: NULL or valid.
    let Some(s) = (unsafe { store.as_ref() }) else {
        set_error("`store` is NULL");
        return Err(polc_status::NullArgument);
    };
    // SAFETY: NULL or a valid string.
    let name = unsafe { str_arg(name, "name") }?;
    let name = PolicyName::new(name).map_err(|e| {
        set_error(format!(
            "`{}` is not a policy name: {e}",
            name.escape_default()
        ));
        polc_status::InvalidArgument
    })?;
    Ok((s, name))
}

/// Make the previous generation of `name` current again, reloading it. On success
/// `*generation_out` is the generation now current.
///
/// # Safety
/// `store` is valid; `name` is a valid string; `generation_out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_store_rollback(
    store: *mut polc_store,
    name: *const c_char,
    generation_out: *mut u64,
) -> polc_status {
    guard(|| {
        if generation_out.is_null() {
            set_error("`generation_out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: forwarded contract.
        let (s, name) = match unsafe { store_and_name(store, name) } {
            Ok(x) => x,
            Err(st) => return st,
        };
        match s.store.rollback(&name) {
            Ok(g) => {
                // SAFETY: non-NULL.
                unsafe { *generation_out = g };
                polc_status::Ok
            }
            Err(e) => store_status(e),
        }
    })
}

/// Unload `name` and delete its generations.
///
/// # Safety
/// `store` is valid; `name` is a valid string.
#[no_mangle]
pub unsafe extern "C" fn polc_store_remove(
    store: *mut polc_store,
    name: *const c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (s, name) = match unsafe { store_and_name(store, name) } {
            Ok(x) => x,
            Err(st) => return st,
        };
        match polc_facade::connect::remove(&s.store, &name) {
            Ok(()) => polc_status::Ok,
            Err(e) => connect_status(e),
        }
    })
}

/// The current generation of `name` (`POLC_STATUS_NOT_FOUND` if not installed).
///
/// # Safety
/// `store` is valid; `name` is a valid string; `generation_out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_store_current(
    store: *mut polc_store,
    name: *const c_char,
    generation_out: *mut u64,
) -> polc_status {
    guard(|| {
        if generation_out.is_null() {
            set_error("`generation_out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: forwarded contract.
        let (s, name) = match unsafe { store_and_name(store, name) } {
            Ok(x) => x,
            Err(st) => return st,
        };
        match s.store.show(&name) {
            Ok(info) => {
                // SAFETY: non-NULL.
                unsafe { *generation_out = info.current };
                polc_status::Ok
            }
            Err(e) => store_status(e),
        }
    })
}

fn connect_status(e: polc_facade::connect::ConnectError) -> polc_status {
    use polc_facade::connect::ConnectError;
    match e {
        ConnectError::Store(e) => store_status(e),
        ConnectError::Compile(e) => {
            let strict = e.is_strict();
            set_error(e.to_string());
            if strict {
                polc_status::Strict
            } else {
                polc_status::Compile
            }
        }
        ConnectError::Load { failed, .. } => {
            let first = failed
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| format!(": {} {}", d.code.as_str(), d.message))
                .unwrap_or_default();
            set_error(format!("the installed source does not load{first}"));
            polc_status::InvalidPolicy
        }
        e => {
            set_error(match e.help() {
                Some(h) => format!("{e} (help: {})", c_help(h)),
                None => e.to_string(),
            });
            polc_status::InvalidArgument
        }
    }
}

/// Connect (`on`) or disconnect an installed app's plug; see `polc_store_connect`.
unsafe fn set_plug(
    store: *mut polc_store,
    name: *const c_char,
    plug: *const c_char,
    load_options: *const polc_options,
    config: *const polc_compile_config,
    on: bool,
    generation_out: *mut u64,
) -> polc_status {
    guard(|| {
        if generation_out.is_null() || config.is_null() {
            set_error("`config` or `generation_out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: forwarded contract.
        let (s, name) = match unsafe { store_and_name(store, name) } {
            Ok(x) => x,
            Err(st) => return st,
        };
        // SAFETY: NULL or a valid string.
        let plug = match unsafe { str_arg(plug, "plug") } {
            Ok(p) => p,
            Err(st) => return st,
        };
        // SAFETY: config is non-NULL and valid.
        let opts = match options(unsafe { &*config }) {
            Ok(o) => o,
            Err(st) => return st,
        };
        let default = polc_facade::LoadOptions::default();
        // SAFETY: load_options is NULL or valid.
        let load = unsafe { load_options.as_ref() }.map_or(&default, |o| o.inner());
        let r = if on {
            polc_facade::connect::connect(&s.store, &name, plug, load, &opts)
        } else {
            polc_facade::connect::disconnect(&s.store, &name, plug, load, &opts)
        };
        match r {
            Ok(changed) => {
                // SAFETY: non-NULL.
                unsafe { *generation_out = changed.connections.generation };
                polc_status::Ok
            }
            Err(e) => connect_status(e),
        }
    })
}

/// Connect the plug `plug` of the installed app `name`: its current source is loaded again
/// with the connection (frameworks are looked up as `polc_policy_load` does with
/// `options`, which may be NULL; the variables are those recorded at install), compiled
/// with `config` for the generation's LSM, loaded and made current. On success
/// `*generation_out` is the generation now current: a new one, or the same when the plug
/// was connected already. A plug the app does not plug, or an `auto` one to disconnect,
/// is `POLC_STATUS_INVALID_ARGUMENT`; a source that no longer loads,
/// `POLC_STATUS_INVALID_POLICY`; a kernel refusal, `POLC_STATUS_STORE` (the app stays on
/// its generation). `polc_store_rollback` restores the previous connections.
///
/// # Safety
/// `store` and `config` are valid handles; `name` and `plug` are valid strings; `options`
/// is NULL or a valid handle; `generation_out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_store_connect(
    store: *mut polc_store,
    name: *const c_char,
    plug: *const c_char,
    options: *const polc_options,
    config: *const polc_compile_config,
    generation_out: *mut u64,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe { set_plug(store, name, plug, options, config, true, generation_out) }
}

/// Disconnect the plug `plug` of the installed app `name`, as `polc_store_connect`
/// connects it.
///
/// # Safety
/// As `polc_store_connect`.
#[no_mangle]
pub unsafe extern "C" fn polc_store_disconnect(
    store: *mut polc_store,
    name: *const c_char,
    plug: *const c_char,
    options: *const polc_options,
    config: *const polc_compile_config,
    generation_out: *mut u64,
) -> polc_status {
    // SAFETY: forwarded contract.
    unsafe { set_plug(store, name, plug, options, config, false, generation_out) }
}

/// The connections of the installed app `name` as JSON (`{"app", "generation", "plugs":
/// [{"interface", "framework", "auto", "connected", "since"}]}`, as `polc connections
/// APP --format json`); free it with `polc_string_free`. A policy that is not an app is
/// `POLC_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `store` is valid; `name` is a valid string; `json_out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_store_connections(
    store: *mut polc_store,
    name: *const c_char,
    json_out: *mut *mut c_char,
) -> polc_status {
    guard(|| {
        if json_out.is_null() {
            set_error("`json_out` is NULL");
            return polc_status::NullArgument;
        }
        // SAFETY: forwarded contract.
        let (s, name) = match unsafe { store_and_name(store, name) } {
            Ok(x) => x,
            Err(st) => return st,
        };
        match polc_facade::connect::connections(&s.store, &name) {
            Ok(c) => {
                // SAFETY: non-NULL.
                unsafe { *json_out = owned_string(&serde_json::to_string(&c).unwrap_or_default()) };
                polc_status::Ok
            }
            Err(e) => connect_status(e),
        }
    })
}
