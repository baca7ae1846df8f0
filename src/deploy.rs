//! Deploy a policy beyond one machine: Kubernetes through the Security Profiles Operator
//! (SPO), container runtimes (OCI, Docker, Podman) and systemd units.
//!
//! Each [`DeployTarget`] is computed from the IR like a backend's artifact and comes back
//! as an [`Artifact`](crate::compile::Artifact) with the fidelity report of what enforces
//! the policy:
//!
//! | target | output | report |
//! | --- | --- | --- |
//! | [`DeployTarget::SpoAppArmor`] | an SPO `AppArmorProfile` (YAML, `spec.abstract`) | the abstract form's own ([`polc_spo`]) |
//! | [`DeployTarget::SpoSeLinux`] | an SPO `RawSelinuxProfile` (YAML): the SELinux backend's allow rules in SPO's container form | the SELinux backend's, adjusted for the container form |
//! | [`DeployTarget::Pod`] | a Pod whose `securityContext` names the SPO profile | as the SPO profile |
//! | [`DeployTarget::ProfileBinding`] | an SPO `ProfileBinding` of the AppArmor profile to an image | as the SPO profile |
//! | [`DeployTarget::Oci`] | an OCI runtime-spec `process` fragment (JSON) | the LSM backend's |
//! | [`DeployTarget::SecurityOpt`] | `docker run` / `podman run` options | the LSM backend's |
//! | [`DeployTarget::Systemd`] | a unit drop-in | the LSM backend's |
//!
//! With [`Lsm::Landlock`] there is no kernel profile to name: the OCI fragment, the
//! run options and the drop-in start the program through `polc run --lsm landlock`.
//!
//! ```
//! use polc::compile::CompileOptions;
//! use polc::deploy::{deploy, DeployOptions, DeployTarget};
//! use polc::{load, LoadOptions, Lsm, Source};
//!
//! let src = Source::new("app.pol", r#"
//! policy org.example.app {
//!     attach "/usr/bin/app"
//!     allow read "/etc/app/**"
//!     allow capability net_bind_service
//! }
//! "#);
//! let policy = load(&src, &LoadOptions::default()).map_err(|f| f.diagnostics).unwrap().policy;
//! let opts = DeployOptions { lsm: Lsm::AppArmor, ..DeployOptions::default() };
//! let unit = deploy(&policy, DeployTarget::Systemd, &CompileOptions::default(), &opts).unwrap();
//! assert!(unit.text.contains("AppArmorProfile=org.example.app\n"));
//! assert!(unit.text.contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"));
//! let spo = deploy(&policy, DeployTarget::SpoAppArmor, &CompileOptions::default(), &opts).unwrap();
//! assert!(spo.text.contains("kind: AppArmorProfile\n"));
//! ```

use crate::compile::{Artifact, CompileError, CompileOptions};
use crate::store::Lsm;
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject};
use polc_lang::ir::Effect;
use polc_lang::ir::Policy;
use serde_json::{json, Value};

/// The SPO API version of the objects written.
pub const SPO_API_VERSION: &str = "security-profiles-operator.x-k8s.io/v1";

/// What to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeployTarget {
    /// An SPO `AppArmorProfile` (abstract form).
    SpoAppArmor,
    /// An SPO `RawSelinuxProfile`.
    SpoSeLinux,
    /// A Pod whose `securityContext` uses the SPO profile of [`DeployOptions::lsm`].
    Pod,
    /// An SPO `ProfileBinding` of the `AppArmorProfile` to [`DeployOptions::image`].
    ProfileBinding,
    /// An OCI runtime-spec `process` fragment.
    Oci,
    /// `docker run` / `podman run` options, on one line.
    SecurityOpt,
    /// A systemd unit drop-in.
    Systemd,
}

/// Options of the workload side.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// The LSM that confines the workload (default AppArmor).
    pub lsm: Lsm,
    /// The container image: the Pod's, and the ProfileBinding's (`*`, every image, when
    /// none is given).
    pub image: Option<String>,
    /// The namespace of the Pod and the ProfileBinding (none: the one kubectl uses).
    pub namespace: Option<String>,
    /// Where `polc` is on the target (for Landlock), default `/usr/bin/polc`.
    pub polc_path: String,
    /// Where the policy file is on the target (for Landlock), default
    /// `/etc/polc/NAME.pol`.
    pub policy_path: Option<String>,
    /// The program and its arguments (default: the policy's `attach` path).
    pub command: Vec<String>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            lsm: Lsm::AppArmor,
            image: None,
            namespace: None,
            polc_path: "/usr/bin/polc".into(),
            policy_path: None,
            command: Vec::new(),
        }
    }
}

/// Why a deployment object could not be made, with a code and help
/// ([`miette::Diagnostic`]).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum DeployError {
    /// The SPO abstract form refused (strict mode).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spo(#[from] polc_spo::Error),
    /// The target has no form for this LSM.
    #[error("{what} cannot use {lsm}")]
    #[diagnostic(code(polc::deploy::unsupported))]
    Unsupported {
        /// What was asked for.
        what: &'static str,
        /// The LSM.
        lsm: Lsm,
        /// What to do instead.
        #[help]
        help: &'static str,
    },
    /// A value the target needs is missing.
    #[error("{what} needs {needs}")]
    #[diagnostic(code(polc::deploy::missing))]
    Missing {
        /// What was asked for.
        what: &'static str,
        /// What is missing.
        needs: &'static str,
        /// How to give it.
        #[help]
        help: &'static str,
    },
    /// A value was given that the target does not use.
    #[error("this target does not use {what}")]
    #[diagnostic(code(polc::deploy::unused))]
    Unused {
        /// What was given.
        what: &'static str,
        /// Where it is used.
        #[help]
        help: &'static str,
    },
    /// A value cannot be written in the target's syntax.
    #[error("`{value}` cannot be written in {what}: {reason}")]
    #[diagnostic(
        code(polc::deploy::unwritable),
        help("give a value of letters, digits and `/._-+:=@,` only")
    )]
    Unwritable {
        /// The value.
        value: String,
        /// Where it goes.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// An object could not be serialized.
    #[error("cannot write YAML: {0}")]
    #[diagnostic(code(polc::deploy::yaml))]
    Yaml(String),
}

/// The Kubernetes name of a policy's SPO objects: `.` becomes `-` and `-` becomes `--`,
/// so that distinct policy names give distinct object names, valid both as Kubernetes
/// names and as the SELinux block SPO makes of a `RawSelinuxProfile`.
pub fn k8s_name(policy: &Policy) -> String {
    policy
        .name
        .as_str()
        .chars()
        .flat_map(|c| match c {
            '.' => vec!['-'],
            '-' => vec!['-', '-'],
            c => vec![c],
        })
        .collect()
}

/// The SELinux type a pod runs in under the policy's `RawSelinuxProfile` (SPO names it
/// `NAME.process`).
pub fn spo_selinux_type(policy: &Policy) -> String {
    format!("{}.process", k8s_name(policy))
}

/// Make the deployment object `target` for `policy`.
pub fn deploy(
    policy: &Policy,
    target: DeployTarget,
    compile_opts: &CompileOptions,
    opts: &DeployOptions,
) -> Result<Artifact, CompileError> {
    let name = policy.name.as_str();
    let k8s = k8s_name(policy);
    let uses_command = target == DeployTarget::Pod
        || (opts.lsm == Lsm::Landlock
            && matches!(
                target,
                DeployTarget::Oci | DeployTarget::SecurityOpt | DeployTarget::Systemd
            ));
    if !opts.command.is_empty() && !uses_command {
        return Err(DeployError::Unused {
            what: "a command",
            help: "a command is used by the Pod (its container's command) and, with \
                   Landlock, by the OCI fragment, the run options and the drop-in",
        }
        .into());
    }
    let (text, file_name, report, lsm) = match target {
        DeployTarget::SpoAppArmor => {
            let (obj, report) = spo_apparmor(policy, compile_opts)?;
            (
                yaml(&obj)?,
                format!("{name}.apparmorprofile.yaml"),
                report,
                Lsm::AppArmor,
            )
        }
        DeployTarget::SpoSeLinux => {
            let (obj, report) = spo_selinux(policy, compile_opts)?;
            (
                yaml(&obj)?,
                format!("{name}.rawselinuxprofile.yaml"),
                report,
                Lsm::SeLinux,
            )
        }
        DeployTarget::Pod => {
            let (security, report) = match opts.lsm {
                Lsm::AppArmor => (
                    json!({"appArmorProfile": {"type": "Localhost", "localhostProfile": k8s}}),
                    spo_apparmor(policy, compile_opts)?.1,
                ),
                Lsm::SeLinux => (
                    json!({"seLinuxOptions": {"type": spo_selinux_type(policy)}}),
                    spo_selinux(policy, compile_opts)?.1,
                ),
                Lsm::Landlock => return Err(landlock_in_k8s("a Pod")),
            };
            let image = opts.image.clone().ok_or(DeployError::Missing {
                what: "a Pod",
                needs: "an image",
                help: "give the container image with --image",
            })?;
            let mut container = json!({
                "name": "app",
                "image": image,
                "securityContext": container_security(policy),
            });
            if !opts.command.is_empty() {
                set(&mut container, "command", json!(opts.command));
            }
            let mut metadata = json!({"name": k8s});
            if let Some(ns) = &opts.namespace {
                set(&mut metadata, "namespace", json!(ns));
            }
            let pod = json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": metadata,
                "spec": {"securityContext": security, "containers": [container]},
            });
            (yaml(&pod)?, format!("{name}.pod.yaml"), report, opts.lsm)
        }
        DeployTarget::ProfileBinding => {
            if opts.lsm != Lsm::AppArmor {
                return Err(DeployError::Unsupported {
                    what: "an SPO ProfileBinding",
                    lsm: opts.lsm,
                    help: "a ProfileBinding binds a SeccompProfile, SelinuxProfile or \
                           AppArmorProfile, not a RawSelinuxProfile: for SELinux give the \
                           pod's seLinuxOptions (--target k8s-pod --lsm selinux)",
                }
                .into());
            }
            let report = spo_apparmor(policy, compile_opts)?.1;
            let mut metadata = json!({"name": k8s});
            if let Some(ns) = &opts.namespace {
                set(&mut metadata, "namespace", json!(ns));
            }
            let binding = json!({
                "apiVersion": SPO_API_VERSION,
                "kind": "ProfileBinding",
                "metadata": metadata,
                "spec": {
                    "profileRef": {"kind": "AppArmorProfile", "name": k8s},
                    "image": opts.image.clone().unwrap_or_else(|| "*".into()),
                },
            });
            (
                yaml(&binding)?,
                format!("{name}.profilebinding.yaml"),
                report,
                Lsm::AppArmor,
            )
        }
        DeployTarget::Oci => {
            let report = crate::compile::report(policy, opts.lsm, compile_opts)?;
            let caps: Vec<String> = allowed_caps(policy)
                .iter()
                .map(|c| format!("CAP_{}", c.to_uppercase()))
                .collect();
            let mut process = json!({
                "noNewPrivileges": true,
                "capabilities": {
                    "bounding": caps, "effective": caps, "permitted": caps,
                },
            });
            match opts.lsm {
                Lsm::AppArmor => set(&mut process, "apparmorProfile", json!(name)),
                Lsm::SeLinux => set(&mut process, "selinuxLabel", json!(selinux_label(policy))),
                Lsm::Landlock => set(&mut process, "args", json!(polc_run(policy, opts)?)),
            }
            let mut text = serde_json::to_string_pretty(&json!({ "process": process }))
                .map_err(|e| DeployError::Yaml(e.to_string()))?;
            text.push('\n');
            (text, format!("{name}.oci.json"), report, opts.lsm)
        }
        DeployTarget::SecurityOpt => {
            let report = crate::compile::report(policy, opts.lsm, compile_opts)?;
            let mut args: Vec<String> = match opts.lsm {
                Lsm::AppArmor => vec!["--security-opt".into(), format!("apparmor={name}")],
                Lsm::SeLinux => vec![
                    "--security-opt".into(),
                    format!("label=type:{}", polc_selinux::domain_type(&policy.name)),
                ],
                Lsm::Landlock => {
                    let run = polc_run(policy, opts)?;
                    let mut v = vec!["--entrypoint".into()];
                    v.extend(run.into_iter().take(1));
                    v
                }
            };
            args.extend(["--security-opt".into(), "no-new-privileges".into()]);
            args.extend(["--cap-drop".into(), "ALL".into()]);
            for c in allowed_caps(policy) {
                args.extend(["--cap-add".into(), c.to_uppercase()]);
            }
            let mut text = args.join(" ");
            if opts.lsm == Lsm::Landlock {
                // The command that follows the image.
                let run = polc_run(policy, opts)?;
                let image = opts.image.as_deref().ok_or(DeployError::Missing {
                    what: "`polc run` as a container's entrypoint",
                    needs: "an image",
                    help: "give the container image with --image",
                })?;
                text.push(' ');
                text.push_str(image);
                text.push(' ');
                text.push_str(&run.get(1..).unwrap_or_default().join(" "));
            }
            text.push('\n');
            (text, format!("{name}.security-opt"), report, opts.lsm)
        }
        DeployTarget::Systemd => {
            let report = crate::compile::report(policy, opts.lsm, compile_opts)?;
            let mut text = format!(
                "# polc: confine the service with the policy {name} ({})\n[Service]\n",
                opts.lsm
            );
            match opts.lsm {
                Lsm::AppArmor => text.push_str(&format!("AppArmorProfile={name}\n")),
                Lsm::SeLinux => {
                    text.push_str(&format!("SELinuxContext={}\n", selinux_label(policy)))
                }
                Lsm::Landlock => {
                    let run = polc_run(policy, opts)?;
                    text.push_str("ExecStart=\n");
                    text.push_str(&format!("ExecStart={}\n", systemd_command(&run)?));
                }
            }
            text.push_str("NoNewPrivileges=yes\n");
            let caps: Vec<String> = allowed_caps(policy)
                .iter()
                .map(|c| format!("CAP_{}", c.to_uppercase()))
                .collect();
            text.push_str(&format!("CapabilityBoundingSet={}\n", caps.join(" ")));
            (text, format!("polc-{name}.conf"), report, opts.lsm)
        }
    };
    Ok(Artifact {
        lsm,
        text,
        file_name,
        report,
    })
}

fn landlock_in_k8s(what: &'static str) -> CompileError {
    DeployError::Unsupported {
        what,
        lsm: Lsm::Landlock,
        help: "Kubernetes has no field for a Landlock ruleset: start the container's \
               command through `polc run --lsm landlock` (see --target oci)",
    }
    .into()
}

/// The capabilities the policy allows and does not deny, sorted.
fn allowed_caps(policy: &Policy) -> Vec<String> {
    let denied = |c: &str| {
        policy
            .capabilities
            .iter()
            .any(|r| r.effect == Effect::Deny && r.capability == c)
    };
    let mut caps: Vec<String> = policy
        .capabilities
        .iter()
        .filter(|r| r.effect == Effect::Allow && !denied(&r.capability))
        .map(|r| r.capability.clone())
        .collect();
    caps.sort();
    caps.dedup();
    caps
}

/// The container's own `securityContext`: no privilege escalation, the policy's
/// capabilities only.
fn container_security(policy: &Policy) -> Value {
    let add: Vec<String> = allowed_caps(policy)
        .iter()
        .map(|c| c.to_uppercase())
        .collect();
    let mut caps = json!({"drop": ["ALL"]});
    if !add.is_empty() {
        set(&mut caps, "add", json!(add));
    }
    json!({"allowPrivilegeEscalation": false, "capabilities": caps})
}

/// The SELinux process label of the policy's domain (polc's own module).
fn selinux_label(policy: &Policy) -> String {
    format!("{}:s0", polc_selinux::domain_context(&policy.name, false))
}

/// `polc run --lsm landlock POLICY -- CMD...`.
fn polc_run(policy: &Policy, opts: &DeployOptions) -> Result<Vec<String>, CompileError> {
    let command = if opts.command.is_empty() {
        match &policy.attach {
            Some(a) => vec![a.path.clone()],
            None => {
                return Err(DeployError::Missing {
                    what: "`polc run` as the entrypoint",
                    needs: "a command",
                    help: "give the program with --command, or an `attach` in the policy",
                }
                .into())
            }
        }
    } else {
        opts.command.clone()
    };
    let policy_path = opts
        .policy_path
        .clone()
        .unwrap_or_else(|| format!("/etc/polc/{}.pol", policy.name));
    let mut v = vec![
        opts.polc_path.clone(),
        "run".into(),
        "--lsm".into(),
        "landlock".into(),
        policy_path,
        "--".into(),
    ];
    v.extend(command);
    Ok(v)
}

/// A command line for `ExecStart=`: each word as is when it is plain, refused otherwise
/// (systemd's quoting, `%` specifiers and `$` expansion are not worth the risk).
fn systemd_command(words: &[String]) -> Result<String, CompileError> {
    for w in words {
        let plain = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@,".contains(c));
        if !plain {
            return Err(DeployError::Unwritable {
                value: w.clone(),
                what: "a systemd ExecStart=",
                reason: "only plain words are written (no blanks, quotes, `%` or `$`)",
            }
            .into());
        }
    }
    Ok(words.join(" "))
}

/// Set a key of a JSON object (`v` is always an object here).
fn set(v: &mut Value, key: &str, value: Value) {
    if let Value::Object(m) = v {
        m.insert(key.to_string(), value);
    }
}

fn yaml(v: &Value) -> Result<String, CompileError> {
    serde_yaml::to_string(v).map_err(|e| DeployError::Yaml(e.to_string()).into())
}

/// The SPO `AppArmorProfile` and the abstract form's report.
fn spo_apparmor(
    policy: &Policy,
    compile_opts: &CompileOptions,
) -> Result<(Value, FidelityReport), CompileError> {
    let c = polc_spo::compile(
        policy,
        &polc_spo::Config {
            strict: compile_opts.strict,
        },
    )
    .map_err(DeployError::from)?;
    let obj = json!({
        "apiVersion": SPO_API_VERSION,
        "kind": "AppArmorProfile",
        "metadata": {
            "name": k8s_name(policy),
            "annotations": {"polc.policy/name": policy.name.as_str()},
        },
        "spec": {"abstract": c.profile, "mode": c.mode},
    });
    Ok((obj, c.report))
}

/// The SPO `RawSelinuxProfile`: the SELinux backend's allow rules for its domain, in the
/// container form SPO installs (`(blockinherit container)`, the domain is `process`).
fn spo_selinux(
    policy: &Policy,
    compile_opts: &CompileOptions,
) -> Result<(Value, FidelityReport), CompileError> {
    let mut opts = compile_opts.clone();
    // Strict mode is judged on the container form's report below.
    opts.strict = false;
    let c = polc_selinux::compile(
        policy,
        &polc_selinux::Config {
            strict: false,
            file_contexts: opts.selinux_file_contexts.clone(),
            port_contexts: opts.selinux_port_contexts.clone(),
            launchers: Vec::new(),
            attributes: Vec::new(),
        },
    )?;
    let domain = polc_selinux::domain_type(&policy.name);
    let local = format!("{}.", polc_selinux::block_name(&policy.name));
    let mut body = String::from("(blockinherit container)\n");
    let mut left_out = 0usize;
    for a in &c.allows {
        if a.source != domain {
            continue;
        }
        let target = if a.target == domain {
            "process".to_string()
        } else if a.target.starts_with(&local) || a.requires.is_some() {
            left_out += 1;
            continue;
        } else {
            a.target.clone()
        };
        let perms: Vec<&str> = a.perms.iter().map(String::as_str).collect();
        body.push_str(&format!(
            "(allow process {target} ({} ({})))\n",
            a.class,
            perms.join(" ")
        ));
    }
    let mut report = c.report;
    report.backend = "spo-selinux".into();
    report.target = "RawSelinuxProfile (container form)".into();
    container_form_report(policy, &mut report, left_out);
    if compile_opts.strict && report.strict_violations().next().is_some() {
        return Err(polc_selinux::Error::Strict { report }.into());
    }
    let obj = json!({
        "apiVersion": SPO_API_VERSION,
        "kind": "RawSelinuxProfile",
        "metadata": {
            "name": k8s_name(policy),
            "annotations": {"polc.policy/name": policy.name.as_str()},
        },
        "spec": {"policy": body},
    });
    Ok((obj, report))
}

/// What the container form changes: the `container` template's baseline is granted,
/// owned paths get no label of their own, the entrypoint and transitions are gone.
fn container_form_report(policy: &Policy, report: &mut FidelityReport, left_out: usize) {
    let worsen = |e: &mut RuleFidelity, f: Fidelity, why: &str| {
        if f > e.fidelity {
            e.fidelity = f;
        }
        if !e.reason.is_empty() {
            e.reason.push_str("; ");
        }
        e.reason.push_str(why);
    };
    if !report.entries.iter().any(|e| e.subject == Subject::Mode) {
        report
            .entries
            .insert(0, RuleFidelity::mode(policy.mode, Fidelity::Exact, ""));
    }
    for e in &mut report.entries {
        match e.subject {
            Subject::Mode => {
                worsen(
                    e,
                    Fidelity::Widened,
                    "the profile inherits SPO's `container` template, which grants the \
                     container its own files, terminals and network beyond the policy's rules",
                );
                if left_out > 0 {
                    worsen(
                        e,
                        Fidelity::Widened,
                        &format!(
                            "{left_out} allow rule(s) on the module's own types (owned paths, \
                             entrypoints, port types) and transitions are left out (narrowed)"
                        ),
                    );
                }
            }
            Subject::Attach => worsen(
                e,
                Fidelity::Narrowed,
                "the container runs in the domain from its entrypoint (no entrypoint type)",
            ),
            Subject::Owns { .. } => worsen(
                e,
                Fidelity::Narrowed,
                "container files get the runtime's labels, not the policy's own types",
            ),
            Subject::Rule {
                list: RuleListKind::File,
                index,
            } => {
                let Some(rule) = policy.files.get(index) else {
                    continue;
                };
                let on_owned = policy.owns.iter().any(|o| o.glob.intersects(&rule.glob));
                let on_entry = policy
                    .attach
                    .as_ref()
                    .is_some_and(|a| rule.glob.matches(&a.path));
                if rule.effect == Effect::Allow && (on_owned || on_entry || rule.exec_as.is_some())
                {
                    worsen(
                        e,
                        Fidelity::Narrowed,
                        "the container form leaves out the module's own types (owned \
                         paths, entrypoints) and domain transitions",
                    );
                }
            }
            // The SELinux backend reports them already (a child domain is not generated).
            Subject::Rule { .. } | Subject::Child { .. } | Subject::ChildRule { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polc_lang::ir::PolicyName;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn k8s_names_keep_policy_names_apart() {
        let name = |s: &str| {
            let mut p: Policy = serde_json::from_str(
                r#"{"name": "a", "mode": "enforce", "files": [], "net": [],
                    "capabilities": [], "signals": []}"#,
            )
            .unwrap();
            p.name = PolicyName::new(s).unwrap();
            k8s_name(&p)
        };
        assert_eq!(name("org.example.web-app"), "org-example-web--app");
        // `.` and `-` in the same places would collide with a plain replacement.
        assert_ne!(name("a-b.c"), name("a.b-c"));
        assert_eq!(name("a-b.c"), "a--b-c");
        assert_eq!(name("a.b-c"), "a-b--c");
    }

    #[test]
    fn systemd_command_lines_refuse_what_systemd_would_interpret() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(systemd_command(&words(&["/usr/bin/app", "--port=80"])).is_ok());
        for bad in ["a b", "%h", "$HOME", "x;y", "\"q\"", ""] {
            assert!(
                systemd_command(&words(&["/usr/bin/app", bad])).is_err(),
                "{bad:?}"
            );
        }
    }
}
