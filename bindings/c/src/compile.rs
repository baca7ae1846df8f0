//! `polc_policy_compile` and the store: compile for an LSM, install, roll back, remove.

use crate::{guard, owned_string, polc_policy, polc_status, set_error, str_arg};
use polc_facade::compile::{
    compile, read_selinux_file_contexts, read_selinux_port_contexts, CompileOptions,
    ReadContextsError,
};
use polc_facade::store::{
    AppArmorLoader, Loader, Lsm, NullLoader, Package, SeLinuxLoader, Store, StoreConfig, StoreError,
};
use polc_facade::PolicyName;
use std::ffi::{c_char, CStr};
use std::path::Path;
use std::str::FromStr;

/// The LSMs a policy compiles for.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum polc_lsm {
    /// AppArmor profile text.
    AppArmor = 1,
    /// SELinux CIL module.
    SeLinux = 2,
    /// Landlock plan (JSON).
    Landlock = 3,
}

impl From<polc_lsm> for Lsm {
    fn from(l: polc_lsm) -> Lsm {
        match l {
            polc_lsm::AppArmor => Lsm::AppArmor,
            polc_lsm::SeLinux => Lsm::SeLinux,
            polc_lsm::Landlock => Lsm::Landlock,
        }
    }
}

/// How to compile (a config struct, not boolean parameters). Initialise with
/// `polc_compile_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct polc_compile_config {
    /// The LSM to compile for.
    pub lsm: polc_lsm,
    /// Non-zero: fail (`POLC_STATUS_STRICT`) on widened or unsupported rules.
    pub strict: i32,
    /// AppArmor ABI major version: 3 or 4.
    pub apparmor_abi: u32,
    /// Landlock ABI, 1 to 7.
    pub landlock_abi: u32,
    /// SELinux: the target's `file_contexts` file, to which paths the policy does not own
    /// resolve (Debian: `/etc/selinux/default/contexts/files/file_contexts`); its
    /// companions `PATH.homedirs`, `PATH.local` and `PATH.subs_dist` are read when present.
    /// NULL: none (a policy touching paths it does not own then fails to compile).
    pub selinux_file_contexts: *const c_char,
    /// SELinux: the target's port contexts, as `seinfo --portcon -x POLICY` prints them
    /// (lines `portcon tcp 443 system_u:object_r:http_port_t:s0`). NULL: none.
    pub selinux_port_contexts: *const c_char,
    /// SELinux: domains that start the program, comma-separated `TYPE:ROLE` (e.g.
    /// `"unconfined_t:unconfined_r"`). NULL or empty: none.
    pub selinux_launchers: *const c_char,
    /// SELinux: attributes the module's types join, comma-separated `KIND=ATTR` with KIND
    /// one of domain, file, port (e.g. `"domain=domain,file=file_type"`). NULL or empty:
    /// none.
    pub selinux_attributes: *const c_char,
}

/// The default config for `lsm`: not strict, AppArmor ABI 3, Landlock ABI 7, no SELinux
/// contexts, launchers or attributes (all NULL).
#[no_mangle]
pub extern "C" fn polc_compile_config_default(lsm: polc_lsm) -> polc_compile_config {
    polc_compile_config {
        lsm,
        strict: 0,
        apparmor_abi: 3,
        landlock_abi: 7,
        selinux_file_contexts: std::ptr::null(),
        selinux_port_contexts: std::ptr::null(),
        selinux_launchers: std::ptr::null(),
        selinux_attributes: std::ptr::null(),
    }
}

/// An optional string field of the config: NULL is `None`.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
unsafe fn opt_field<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, polc_status> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller guarantees a valid NUL-terminated string.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|_| {
        set_error(format!("`config.{what}` is not valid UTF-8"));
        polc_status::InvalidUtf8
    })
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

/// The compile options of a config.
///
/// # Safety
/// The string fields of `c` are NULL or valid NUL-terminated strings.
pub(crate) unsafe fn options(c: &polc_compile_config) -> Result<CompileOptions, polc_status> {
    let apparmor_abi = match c.apparmor_abi {
        3 => polc_apparmor_abi("3.0"),
        4 => polc_apparmor_abi("4.0"),
        other => {
            set_error(format!("unknown AppArmor ABI {other}: use 3 or 4"));
            return Err(polc_status::InvalidArgument);
        }
    }?;
    let landlock_abi = u8::try_from(c.landlock_abi).map_err(|_| {
        set_error(format!("landlock ABI {} is out of range", c.landlock_abi));
        polc_status::InvalidArgument
    })?;
    // SAFETY: forwarded contract.
    let (fc, ports, launchers, attributes) = unsafe {
        (
            opt_field(c.selinux_file_contexts, "selinux_file_contexts")?,
            opt_field(c.selinux_port_contexts, "selinux_port_contexts")?,
            opt_field(c.selinux_launchers, "selinux_launchers")?,
            opt_field(c.selinux_attributes, "selinux_attributes")?,
        )
    };
    let selinux_launchers = list(launchers, "selinux_launchers")?;
    let selinux_attributes = list(attributes, "selinux_attributes")?;
    let selinux_port_contexts = ports
        .map(|p| read_selinux_port_contexts(Path::new(p)))
        .transpose()
        .map_err(|e| contexts_status(&e))?;
    let selinux_file_contexts = fc
        .map(|p| read_selinux_file_contexts(Path::new(p)))
        .transpose()
        .map_err(|e| contexts_status(&e))?;
    Ok(CompileOptions {
        strict: c.strict != 0,
        apparmor_abi,
        landlock_abi,
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
        ("--selinux-file-contexts", "`config.selinux_file_contexts`"),
        ("--selinux-port-contexts", "`config.selinux_port_contexts`"),
        ("--strict", "`config.strict`"),
    ]
    .iter()
    .fold(help.to_string(), |h, (flag, field)| h.replace(flag, field))
}

/// # Safety
/// The string fields of `config` are NULL or valid NUL-terminated strings.
unsafe fn compiled(
    p: &polc_policy,
    config: &polc_compile_config,
) -> Result<polc_facade::compile::Artifact, polc_status> {
    // SAFETY: forwarded contract.
    let opts = unsafe { options(config) }?;
    compile(&p.loaded().policy, config.lsm.into(), &opts).map_err(|e| {
        let strict = e.is_strict();
        set_error(match e.help() {
            Some(h) => format!("{e} (help: {})", c_help(h)),
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
/// `policy` and `config` are valid, the config's string fields NULL or valid strings;
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
        // SAFETY: the config's strings are valid, per the contract.
        let a = match unsafe { compiled(p, c) } {
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
/// `store`, `policy` and `config` are valid handles/pointers, the config's string fields
/// NULL or valid strings; `generation_out` is valid for writes.
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
        // SAFETY: the config's strings are valid, per the contract.
        let a = match unsafe { compiled(p, c) } {
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
        let pkg = Package {
            name: loaded.policy.name.clone(),
            lsm: a.lsm,
            source: loaded
                .sources
                .get(&source_name)
                .unwrap_or_default()
                .to_string(),
            source_name,
            ir_json: loaded.policy.to_json(),
            artifact_file: a.file_name,
            artifact: a.text.into_bytes(),
        };
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
        match s.store.remove(&name) {
            Ok(()) => polc_status::Ok,
            Err(e) => store_status(e),
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
