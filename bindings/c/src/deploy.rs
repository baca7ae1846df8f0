//! `polc_policy_deploy`: Kubernetes (Security Profiles Operator), container runtime and
//! systemd objects for a policy (`polc::deploy`, docs/deploy.md).

use crate::compile::{c_help, options, polc_compile_config};
use crate::{guard, owned_string, polc_policy, polc_status, set_error};
use polc_facade::deploy::{deploy, DeployOptions, DeployTarget};
use std::ffi::{c_char, CStr};

/// What `polc_policy_deploy` makes (the `--target` values of `polc compile`): one of the
/// `POLC_DEPLOY_TARGET_*` values. A `uint32_t` in C; any other value is refused with
/// `POLC_STATUS_INVALID_ARGUMENT`.
pub type polc_deploy_target = u32;
/// An SPO `AppArmorProfile` (YAML, abstract form).
pub const POLC_DEPLOY_TARGET_SPO_APP_ARMOR: polc_deploy_target = 1;
/// An SPO `RawSelinuxProfile` (YAML).
pub const POLC_DEPLOY_TARGET_SPO_SE_LINUX: polc_deploy_target = 2;
/// A Pod whose `securityContext` uses the SPO profile of the config's LSM (YAML).
pub const POLC_DEPLOY_TARGET_K8S_POD: polc_deploy_target = 3;
/// An SPO `ProfileBinding` of the `AppArmorProfile` (YAML).
pub const POLC_DEPLOY_TARGET_PROFILE_BINDING: polc_deploy_target = 4;
/// An OCI runtime-spec `process` fragment for the config's LSM (JSON).
pub const POLC_DEPLOY_TARGET_OCI: polc_deploy_target = 5;
/// `docker run` / `podman run` options for the config's LSM (one line).
pub const POLC_DEPLOY_TARGET_SECURITY_OPT: polc_deploy_target = 6;
/// A systemd unit drop-in for the config's LSM.
pub const POLC_DEPLOY_TARGET_SYSTEMD: polc_deploy_target = 7;

fn target_arg(t: polc_deploy_target) -> Result<DeployTarget, polc_status> {
    Ok(match t {
        POLC_DEPLOY_TARGET_SPO_APP_ARMOR => DeployTarget::SpoAppArmor,
        POLC_DEPLOY_TARGET_SPO_SE_LINUX => DeployTarget::SpoSeLinux,
        POLC_DEPLOY_TARGET_K8S_POD => DeployTarget::Pod,
        POLC_DEPLOY_TARGET_PROFILE_BINDING => DeployTarget::ProfileBinding,
        POLC_DEPLOY_TARGET_OCI => DeployTarget::Oci,
        POLC_DEPLOY_TARGET_SECURITY_OPT => DeployTarget::SecurityOpt,
        POLC_DEPLOY_TARGET_SYSTEMD => DeployTarget::Systemd,
        other => {
            set_error(format!("`{other}` is not a polc_deploy_target (1 to 7)"));
            return Err(polc_status::InvalidArgument);
        }
    })
}

/// Make the deployment object `target` for a policy. the config's LSM is the LSM that
/// confines the workload (for the Pod, the OCI fragment, the run options and the
/// drop-in); strictness and the SELinux contexts apply as in `polc_policy_compile`.
/// `image` is the container image (NULL: none; a Pod needs one, a ProfileBinding without
/// one binds every image). With Landlock the program is the policy's `attach` path,
/// started by `/usr/bin/polc run` from `/etc/polc/NAME.pol`.
///
/// On success `*out` is the object and, when `report_json_out` is not NULL,
/// `*report_json_out` the fidelity report as JSON; free both with `polc_string_free`.
/// A target that has no form for the LSM, or a missing image, is `POLC_STATUS_COMPILE`;
/// strict refusals are `POLC_STATUS_STRICT`.
///
/// # Safety
/// `policy` and `config` are valid handles, `image` NULL or a valid string; `out` is valid for writes; `report_json_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn polc_policy_deploy(
    policy: *const polc_policy,
    target: polc_deploy_target,
    config: *const polc_compile_config,
    image: *const c_char,
    out: *mut *mut c_char,
    report_json_out: *mut *mut c_char,
) -> polc_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract.
        let (Some(p), Some(c)) = (unsafe { policy.as_ref() }, unsafe { config.as_ref() }) else {
            set_error("`policy` or `config` is NULL");
            return polc_status::NullArgument;
        };
        if out.is_null() {
            set_error("`out` is NULL");
            return polc_status::NullArgument;
        }
        let image = if image.is_null() {
            None
        } else {
            // SAFETY: a valid NUL-terminated string, per the contract.
            match unsafe { CStr::from_ptr(image) }.to_str() {
                Ok(s) => Some(s.to_string()),
                Err(_) => {
                    set_error("`image` is not valid UTF-8");
                    return polc_status::InvalidUtf8;
                }
            }
        };
        let target = match target_arg(target) {
            Ok(t) => t,
            Err(s) => return s,
        };
        let opts = match options(c) {
            Ok(o) => o,
            Err(s) => return s,
        };
        let deploy_opts = DeployOptions {
            lsm: c.lsm,
            image,
            ..DeployOptions::default()
        };
        let a = match deploy(&p.loaded().policy, target, &opts, &deploy_opts) {
            Ok(a) => a,
            Err(e) => {
                let strict = e.is_strict();
                set_error(match e.help() {
                    Some(h) => format!("{e} (help: {})", c_help(&h)),
                    None => e.to_string(),
                });
                return if strict {
                    polc_status::Strict
                } else {
                    polc_status::Compile
                };
            }
        };
        // SAFETY: checked non-NULL above / by the caller's contract.
        unsafe {
            *out = owned_string(&a.text);
            if !report_json_out.is_null() {
                *report_json_out =
                    owned_string(&serde_json::to_string(&a.report).unwrap_or_default());
            }
        }
        polc_status::Ok
    })
}
