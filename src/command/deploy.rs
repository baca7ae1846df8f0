//! The options of `polc compile`'s deployment targets (`--target spo-apparmor`,
//! `spo-selinux`, `k8s-pod`, `profile-binding`, `oci`, `security-opt`, `systemd`).

use super::{LsmArg, Target};
use crate::deploy::{DeployOptions, DeployTarget};
use clap::Args;

/// Options of the deployment targets.
#[derive(Debug, Clone, Default, Args)]
pub struct DeployArgs {
    /// For k8s-pod, profile-binding, oci, security-opt and systemd: the LSM that
    /// confines the workload (default apparmor)
    #[arg(long, value_enum, value_name = "LSM")]
    pub lsm: Option<LsmArg>,
    /// For k8s-pod and profile-binding (and security-opt with Landlock): the container
    /// image (a ProfileBinding without one binds every image, `*`)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// For k8s-pod and profile-binding: the namespace
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// With Landlock: where polc is on the target
    #[arg(long, value_name = "PATH", default_value = "/usr/bin/polc")]
    pub polc_path: String,
    /// With Landlock: where the policy file is on the target (default
    /// /etc/polc/NAME.pol)
    #[arg(long, value_name = "PATH")]
    pub policy_path: Option<String>,
    /// The program and its arguments, after `--` (default: the policy's `attach` path)
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

impl DeployArgs {
    /// The library's options.
    pub fn options(&self) -> DeployOptions {
        DeployOptions {
            lsm: self.lsm.map_or(crate::Lsm::AppArmor, Into::into),
            image: self.image.clone(),
            namespace: self.namespace.clone(),
            polc_path: self.polc_path.clone(),
            policy_path: self.policy_path.clone(),
            command: self.command.clone(),
        }
    }
}

/// The deployment target of a `--target` value, if it is one.
pub fn target(t: Target) -> Option<DeployTarget> {
    match t {
        Target::SpoAppArmor => Some(DeployTarget::SpoAppArmor),
        Target::SpoSeLinux => Some(DeployTarget::SpoSeLinux),
        Target::K8sPod => Some(DeployTarget::Pod),
        Target::ProfileBinding => Some(DeployTarget::ProfileBinding),
        Target::Oci => Some(DeployTarget::Oci),
        Target::SecurityOpt => Some(DeployTarget::SecurityOpt),
        Target::Systemd => Some(DeployTarget::Systemd),
        Target::Ir | Target::AppArmor | Target::SeLinux | Target::Landlock => None,
    }
}
