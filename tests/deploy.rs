//! Deployment targets (`polc::deploy`, `polc compile --target spo-apparmor|...`): every
//! object parsed with a YAML parser and validated against the schema that judges it
//! (the SPO CRDs' openAPIV3Schema, the OCI runtime-spec's JSON schema), the systemd
//! drop-in checked by `systemd-analyze verify`, snapshots of each output, and
//! byte-identical output on every run.
//!
//! The schema validator is Debian's python3-jsonschema (draft 4, which OpenAPI v3 and the
//! runtime-spec use), run on `tests/deploy/validate.py`; the OCI schema comes from
//! Debian's golang-github-opencontainers-specs-dev. tests/run-all.sh installs both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use polc::compile::{read_selinux_file_contexts, read_selinux_port_contexts, CompileOptions};
use polc::deploy::{deploy, DeployOptions, DeployTarget};
use polc::{load, LoadOptions, Lsm, Policy, Source};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const CRDS: &str = "../shared/k8s/crds";
const OCI_SCHEMA: &str = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn crds() -> PathBuf {
    let p = root().join(CRDS);
    assert!(
        p.is_dir(),
        "{}: the SPO CRDs are in shared/k8s/crds beside the repository",
        p.display()
    );
    p
}

fn logger() -> Policy {
    let path = root().join("tests/deploy/logger.pol");
    let text = std::fs::read_to_string(&path).unwrap();
    let src = Source::new("tests/deploy/logger.pol", text);
    load(&src, &LoadOptions::default())
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy
}

fn compile_opts() -> CompileOptions {
    CompileOptions {
        selinux_file_contexts: Some(
            read_selinux_file_contexts(&root().join("tests/deploy/file_contexts")).unwrap(),
        ),
        selinux_port_contexts: Some(
            read_selinux_port_contexts(&root().join("tests/deploy/port_contexts")).unwrap(),
        ),
        ..CompileOptions::default()
    }
}

fn make(target: DeployTarget, lsm: Lsm) -> String {
    let opts = DeployOptions {
        lsm,
        image: Some("registry.example/logger:1.0".into()),
        namespace: Some("logging".into()),
        ..DeployOptions::default()
    };
    let a = deploy(&logger(), target, &compile_opts(), &opts).unwrap();
    // Deterministic: a second run from a fresh load gives the same bytes.
    let again = deploy(&logger(), target, &compile_opts(), &opts).unwrap();
    assert_eq!(a.text, again.text, "{target:?} differs between two runs");
    a.text
}

/// The openAPIV3Schema of `kind` at version `v1` in a CRD file, with unknown fields
/// refused (`kubectl apply --validate=strict`; the API server would drop them silently).
fn crd_schema(file: &str, kind: &str) -> Value {
    let text = std::fs::read_to_string(crds().join(file)).unwrap();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let crd: Value = serde::Deserialize::deserialize(doc).unwrap();
        if crd["spec"]["names"]["kind"] != kind {
            continue;
        }
        let versions = crd["spec"]["versions"].as_array().unwrap();
        let v1 = versions.iter().find(|v| v["name"] == "v1").unwrap();
        let mut schema = v1["schema"]["openAPIV3Schema"].clone();
        close(&mut schema);
        return schema;
    }
    panic!("no CRD of kind {kind} in {file}");
}

fn close(schema: &mut Value) {
    if let Value::Object(m) = schema {
        if m.contains_key("properties")
            && !m.contains_key("additionalProperties")
            && !m.contains_key("x-kubernetes-preserve-unknown-fields")
        {
            m.insert("additionalProperties".into(), Value::Bool(false));
        }
        for (_, v) in m.iter_mut() {
            close(v);
        }
    }
}

/// Validate with python3-jsonschema; `Err` holds the validator's messages.
fn validate(schema: &Value, instance: &Value, schema_dir: Option<&Path>) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("schema.json");
    let i = dir.path().join("instance.json");
    std::fs::write(&s, schema.to_string()).unwrap();
    std::fs::write(&i, instance.to_string()).unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/deploy/validate.py"))
        .arg(&s)
        .arg(&i);
    if let Some(d) = schema_dir {
        cmd.arg(d);
    }
    let out = cmd
        .output()
        .expect("python3: install python3 and python3-jsonschema (tests/run-all.sh does)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "python3-jsonschema is missing: apt-get install python3-jsonschema (tests/run-all.sh does)"
    );
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => panic!("validate.py failed: {stderr}"),
    }
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

#[test]
fn spo_objects_parse_and_validate_against_their_crds() {
    let cases = [
        (
            DeployTarget::SpoAppArmor,
            Lsm::AppArmor,
            "apparmorprofile.yaml",
            "AppArmorProfile",
        ),
        (
            DeployTarget::SpoSeLinux,
            Lsm::SeLinux,
            "selinuxpolicy.yaml",
            "RawSelinuxProfile",
        ),
        (
            DeployTarget::ProfileBinding,
            Lsm::AppArmor,
            "profilebinding.yaml",
            "ProfileBinding",
        ),
    ];
    for (target, lsm, file, kind) in cases {
        let text = make(target, lsm);
        let obj = yaml(&text);
        assert_eq!(obj["kind"], kind);
        assert_eq!(obj["apiVersion"], "security-profiles-operator.x-k8s.io/v1");
        let schema = crd_schema(file, kind);
        if let Err(e) = validate(&schema, &obj, None) {
            panic!("{kind} does not validate:\n{e}\n{text}");
        }
    }
}

#[test]
fn the_crd_validator_refuses_what_the_api_server_would() {
    // The check can fail: a wrong enum value, a wrong type and an unknown field are caught.
    let schema = crd_schema("apparmorprofile.yaml", "AppArmorProfile");
    let mut obj = yaml(&make(DeployTarget::SpoAppArmor, Lsm::AppArmor));
    obj["spec"]["mode"] = "Sometimes".into();
    obj["spec"]["abstract"]["network"]["allowRaw"] = "no".into();
    obj["spec"]["abstract"]["filesystem"]["readOnly"] = Value::Array(vec![]);
    let e = validate(&schema, &obj, None).unwrap_err();
    assert!(e.contains("spec/mode"), "{e}");
    assert!(e.contains("allowRaw"), "{e}");
    assert!(e.contains("readOnly"), "{e}");
}

#[test]
fn a_profile_binding_cannot_bind_a_raw_selinux_profile() {
    // The CRD's profileRef.kind has no RawSelinuxProfile: polc refuses rather than write
    // an object the API server rejects.
    let opts = DeployOptions {
        lsm: Lsm::SeLinux,
        ..DeployOptions::default()
    };
    let e = deploy(
        &logger(),
        DeployTarget::ProfileBinding,
        &compile_opts(),
        &opts,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "an SPO ProfileBinding cannot use selinux");
    assert!(e.help().unwrap().contains("seLinuxOptions"));
    let schema = crd_schema("profilebinding.yaml", "ProfileBinding");
    let mut obj = yaml(&make(DeployTarget::ProfileBinding, Lsm::AppArmor));
    obj["spec"]["profileRef"]["kind"] = "RawSelinuxProfile".into();
    assert!(validate(&schema, &obj, None).is_err());
}

#[test]
fn pods_name_the_spo_profiles() {
    let pod = yaml(&make(DeployTarget::Pod, Lsm::AppArmor));
    assert_eq!(
        pod["spec"]["securityContext"]["appArmorProfile"],
        serde_json::json!({"type": "Localhost", "localhostProfile": "org-example-logger"})
    );
    // The profile the pod names is the AppArmorProfile's name, which SPO loads.
    let profile = yaml(&make(DeployTarget::SpoAppArmor, Lsm::AppArmor));
    assert_eq!(profile["metadata"]["name"], "org-example-logger");
    let pod = yaml(&make(DeployTarget::Pod, Lsm::SeLinux));
    assert_eq!(
        pod["spec"]["securityContext"]["seLinuxOptions"]["type"],
        "org-example-logger.process"
    );
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(
        c["securityContext"]["capabilities"],
        serde_json::json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})
    );
}

#[test]
fn oci_fragments_validate_against_the_runtime_spec_schema() {
    let dir = Path::new(OCI_SCHEMA);
    assert!(
        dir.join("config-schema.json").is_file(),
        "{OCI_SCHEMA}: apt-get install golang-github-opencontainers-specs-dev (tests/run-all.sh does)"
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config-schema.json")).unwrap())
            .unwrap();
    for lsm in [Lsm::AppArmor, Lsm::SeLinux, Lsm::Landlock] {
        let text = make(DeployTarget::Oci, lsm);
        let fragment: Value = serde_json::from_str(&text).unwrap();
        // A runtime merges the fragment into the bundle's config: check it inside a
        // minimal complete one.
        let mut config = serde_json::json!({"ociVersion": "1.0.2", "process": {"cwd": "/"}});
        for (k, v) in fragment["process"].as_object().unwrap() {
            config["process"][k] = v.clone();
        }
        if let Err(e) = validate(&schema, &config, Some(dir)) {
            panic!("{lsm} fragment does not validate:\n{e}\n{text}");
        }
    }
    // The check can fail.
    let bad = serde_json::json!({"ociVersion": "1.0.2",
        "process": {"cwd": "/", "noNewPrivileges": "yes", "apparmorProfile": 1}});
    let e = validate(&schema, &bad, Some(dir)).unwrap_err();
    assert!(
        e.contains("noNewPrivileges") && e.contains("apparmorProfile"),
        "{e}"
    );
}

/// `systemd-analyze verify` of a unit with the drop-in; `Err` holds what it said about
/// the drop-in.
fn verify_dropin(dropin: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("logger.service");
    std::fs::write(
        &unit,
        "[Unit]\nDescription=log shipper\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("logger.service.d")).unwrap();
    let conf = dir.path().join("logger.service.d/polc.conf");
    std::fs::write(&conf, dropin).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .env("SYSTEMD_LOG_LEVEL", "debug")
        .output()
        .expect("systemd-analyze: apt-get install systemd (tests/run-all.sh does)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The drop-in was read ...
    assert!(
        stdout.contains(&format!("DropIn Path: {}", conf.display())),
        "systemd-analyze did not read the drop-in:\n{stdout}\n{stderr}"
    );
    // ... and nothing in it was refused or ignored.
    let complaints: Vec<&str> = stderr.lines().filter(|l| l.contains("polc.conf")).collect();
    if out.status.success() && complaints.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{stderr}", complaints.join("\n")))
    }
}

#[test]
fn systemd_dropins_pass_systemd_analyze_verify() {
    let polc = env!("CARGO_BIN_EXE_polc");
    for lsm in [Lsm::AppArmor, Lsm::SeLinux, Lsm::Landlock] {
        let opts = DeployOptions {
            lsm,
            polc_path: polc.into(),
            ..DeployOptions::default()
        };
        let text = deploy(&logger(), DeployTarget::Systemd, &compile_opts(), &opts)
            .unwrap()
            .text;
        if let Err(e) = verify_dropin(&text) {
            panic!("{lsm} drop-in refused:\n{e}\n{text}");
        }
    }
    // The check can fail: an unknown key is reported against the drop-in.
    let e = verify_dropin("[Service]\nAppArmorProfil=org.example.logger\n").unwrap_err();
    assert!(e.contains("Unknown key"), "{e}");
}

#[test]
fn landlock_starts_the_program_through_polc_run() {
    let oci: Value = serde_json::from_str(&make(DeployTarget::Oci, Lsm::Landlock)).unwrap();
    assert_eq!(
        oci["process"]["args"],
        serde_json::json!([
            "/usr/bin/polc",
            "run",
            "--lsm",
            "landlock",
            "/etc/polc/org.example.logger.pol",
            "--",
            "/usr/bin/logger-app"
        ])
    );
    assert_eq!(oci["process"]["noNewPrivileges"], true);
    let e = deploy(
        &logger(),
        DeployTarget::Pod,
        &compile_opts(),
        &DeployOptions {
            lsm: Lsm::Landlock,
            ..DeployOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "a Pod cannot use landlock");
    // A command the target would not use is refused, not dropped.
    let e = deploy(
        &logger(),
        DeployTarget::Systemd,
        &compile_opts(),
        &DeployOptions {
            lsm: Lsm::AppArmor,
            command: vec!["/usr/bin/logger-app".into()],
            ..DeployOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "this target does not use a command");
}

#[test]
fn outputs_for_the_example_policy() {
    let targets = [
        ("spo_apparmor", DeployTarget::SpoAppArmor, Lsm::AppArmor),
        ("spo_selinux", DeployTarget::SpoSeLinux, Lsm::SeLinux),
        ("pod_apparmor", DeployTarget::Pod, Lsm::AppArmor),
        ("pod_selinux", DeployTarget::Pod, Lsm::SeLinux),
        (
            "profile_binding",
            DeployTarget::ProfileBinding,
            Lsm::AppArmor,
        ),
        ("oci_apparmor", DeployTarget::Oci, Lsm::AppArmor),
        ("oci_selinux", DeployTarget::Oci, Lsm::SeLinux),
        ("oci_landlock", DeployTarget::Oci, Lsm::Landlock),
        (
            "security_opt_apparmor",
            DeployTarget::SecurityOpt,
            Lsm::AppArmor,
        ),
        (
            "security_opt_selinux",
            DeployTarget::SecurityOpt,
            Lsm::SeLinux,
        ),
        (
            "security_opt_landlock",
            DeployTarget::SecurityOpt,
            Lsm::Landlock,
        ),
        ("systemd_apparmor", DeployTarget::Systemd, Lsm::AppArmor),
        ("systemd_selinux", DeployTarget::Systemd, Lsm::SeLinux),
        ("systemd_landlock", DeployTarget::Systemd, Lsm::Landlock),
    ];
    for (name, target, lsm) in targets {
        insta::assert_snapshot!(format!("deploy_{name}"), make(target, lsm));
    }
}

#[test]
fn the_spo_apparmor_report_and_strict_mode() {
    let a = deploy(
        &logger(),
        DeployTarget::SpoAppArmor,
        &compile_opts(),
        &DeployOptions::default(),
    )
    .unwrap();
    let lines: Vec<String> = a
        .report
        .entries
        .iter()
        .map(|e| format!("{:<11} {}: {}", e.fidelity.name(), e.rule, e.reason))
        .collect();
    insta::assert_snapshot!("deploy_spo_apparmor_report", lines.join("\n"));
    let strict = CompileOptions {
        strict: true,
        ..compile_opts()
    };
    let e = deploy(
        &logger(),
        DeployTarget::SpoAppArmor,
        &strict,
        &DeployOptions::default(),
    )
    .unwrap_err();
    assert!(e.is_strict());
    assert!(e.report().is_some());
}

#[test]
fn the_cli_writes_deployment_targets() {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(root())
        .args([
            "compile",
            "tests/deploy/logger.pol",
            "--target",
            "systemd",
            "--lsm",
            "landlock",
            "--policy-path",
            "/srv/logger.pol",
            "--",
            "/usr/bin/logger-app",
            "--verbose",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "ExecStart=/usr/bin/polc run --lsm landlock /srv/logger.pol -- /usr/bin/logger-app --verbose\n"
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(root())
        .args([
            "compile",
            "tests/deploy/logger.pol",
            "--target",
            "spo-apparmor",
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("strict mode refuses"), "{err}");
    assert!(err.contains("unsupported: deny write"), "{err}");
}

/// secilc on the minimal base policy of the SELinux backend's tests, a stand-in for SPO's
/// `container` template (a `process` domain type), and `policy` wrapped in the block SPO
/// makes of a RawSelinuxProfile (named after the object).
fn secilc_in_spo_block(dir: &Path, name: &str, policy: &str) -> Result<(), String> {
    let base = root().join("backends/selinux/tests/selinux-base/base.cil");
    let container = dir.join("container.cil");
    std::fs::write(
        &container,
        "(block container\n    (type process)\n    (roletype system_r process)\n    \
         (typeattributeset domain (process))\n)\n",
    )
    .unwrap();
    let module = dir.join("module.cil");
    std::fs::write(&module, format!("(block {name}\n{policy})\n")).unwrap();
    let out = Command::new("secilc")
        .args(["-M", "false", "-c", "33", "-f", "/dev/null", "-o"])
        .arg(dir.join("policy.33"))
        .arg(&base)
        .arg(&container)
        .arg(&module)
        .output()
        .expect("secilc: apt-get install secilc (tests/run-all.sh does)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_raw_selinux_profile_compiles_with_secilc_in_spos_block() {
    let dir = tempfile::tempdir().unwrap();
    // The base's own file contexts, as secilc writes them, and its port types.
    let base = root().join("backends/selinux/tests/selinux-base/base.cil");
    let fc = dir.path().join("file_contexts");
    let out = Command::new("secilc")
        .args(["-M", "false", "-c", "33", "-o"])
        .arg(dir.path().join("base.33"))
        .arg("-f")
        .arg(&fc)
        .arg(&base)
        .output()
        .expect("secilc: apt-get install secilc (tests/run-all.sh does)");
    assert!(out.status.success(), "{out:?}");
    let ports = dir.path().join("ports");
    std::fs::write(
        &ports,
        "sid port system_u:object_r:port_t:s0\nportcon tcp 443 system_u:object_r:http_port_t:s0\n",
    )
    .unwrap();
    let src = Source::new(
        "box.pol",
        "policy org.example.box-app {\n    allow read \"/etc/**\"\n    \
         allow read write create \"/var/lib/box/**\"\n    \
         allow read exec map-exec \"/usr/bin/convert\"\n    allow net connect tcp 443\n    \
         allow capability net_bind_service\n}\n",
    );
    let policy = load(&src, &LoadOptions::default())
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy;
    let opts = CompileOptions {
        selinux_file_contexts: Some(read_selinux_file_contexts(&fc).unwrap()),
        selinux_port_contexts: Some(read_selinux_port_contexts(&ports).unwrap()),
        ..CompileOptions::default()
    };
    let a = deploy(
        &policy,
        DeployTarget::SpoSeLinux,
        &opts,
        &DeployOptions::default(),
    )
    .unwrap();
    let obj = yaml(&a.text);
    let name = obj["metadata"]["name"].as_str().unwrap();
    assert_eq!(name, "org-example-box--app");
    let cil = obj["spec"]["policy"].as_str().unwrap();
    assert!(cil.contains("(allow process http_port_t (tcp_socket (name_connect)))"));
    if let Err(e) = secilc_in_spo_block(dir.path(), name, cil) {
        panic!("secilc refused the container form:\n{e}\n{cil}");
    }
    // The check can fail: a type the policy does not have is refused.
    let bad = format!("{cil}(allow process no_such_t (file (read)))\n");
    assert!(secilc_in_spo_block(dir.path(), name, &bad).is_err());
}
