//! Landlock inside a container, for real: `polc run` as the container's entrypoint, taken
//! from the OCI fragment `polc::deploy` writes (`process.args`).
//!
//! podman and crun do not start on this machine (cgroups in hybrid mode), so the
//! container is built with `unshare`: new user, mount, PID and network namespaces, and a
//! `chroot` into a root file system made of busybox-static, the policy, and the `polc`
//! binary with the shared libraries `ldd` lists. The host kernel enforces Landlock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use polc::compile::CompileOptions;
use polc::deploy::{deploy, DeployOptions, DeployTarget};
use polc::{load, LoadOptions, Lsm, Source};
use std::path::Path;
use std::process::{Command, Output};

const POLICY: &str = r#"policy org.example.box {
    allow read exec map-exec "/bin/busybox"
    allow read "/data/public/**"
    allow read write create "/data/inbox/**"
}
"#;

fn copy_into(root: &Path, file: &Path) {
    let dest = root.join(file.strip_prefix("/").unwrap());
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(file, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
}

/// A root file system: busybox, polc and its libraries, the policy, and data.
fn rootfs(root: &Path) {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.is_file(),
        "/bin/busybox: apt-get install busybox-static (tests/run-all.sh does)"
    );
    copy_into(root, busybox);
    for applet in ["sh", "cat"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    let polc = Path::new(env!("CARGO_BIN_EXE_polc"));
    let dest = root.join("usr/bin/polc");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(polc, &dest).unwrap();
    let ldd = Command::new("ldd")
        .arg(polc)
        .output()
        .expect("ldd: part of libc-bin");
    for lib in String::from_utf8_lossy(&ldd.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
    {
        copy_into(root, &std::fs::canonicalize(lib).unwrap());
        // Keep the name the binary asks for (e.g. /lib64/ld-linux-x86-64.so.2).
        copy_into(root, Path::new(lib));
    }
    std::fs::create_dir_all(root.join("etc/polc")).unwrap();
    std::fs::write(root.join("etc/polc/org.example.box.pol"), POLICY).unwrap();
    for dir in ["data/public", "data/secret", "data/inbox"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("data/public/hello"), "hello from the image\n").unwrap();
    std::fs::write(root.join("data/secret/key"), "not for the app\n").unwrap();
}

/// The entrypoint the OCI fragment gives, for `command`.
fn entrypoint(command: &[&str]) -> Vec<String> {
    let policy = load(&Source::new("box.pol", POLICY), &LoadOptions::default())
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy;
    let opts = DeployOptions {
        lsm: Lsm::Landlock,
        command: command.iter().map(|s| s.to_string()).collect(),
        ..DeployOptions::default()
    };
    let oci = deploy(
        &policy,
        DeployTarget::Oci,
        &CompileOptions::default(),
        &opts,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&oci.text).unwrap();
    v["process"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// Start `args` as the container's first process.
fn container(root: &Path, args: &[String]) -> Output {
    Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "--pid",
            "--fork",
            "--net",
        ])
        .arg(format!("--root={}", root.display()))
        .args(args)
        .output()
        .expect("unshare: part of util-linux")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn polc_run_as_the_entrypoint_confines_the_container() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    rootfs(root);

    let args = entrypoint(&["/bin/cat", "/data/public/hello"]);
    assert_eq!(args[0], "/usr/bin/polc");
    // Without polc, the container reads anything in its image: the denials below are
    // polc's doing.
    let bare = container(root, &["/bin/cat".into(), "/data/secret/key".into()]);
    assert!(bare.status.success(), "{}", text(&bare));

    // Allowed: reading the public data.
    let o = container(root, &args);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hello from the image\n");

    // Denied: reading outside the policy.
    let o = container(root, &entrypoint(&["/bin/cat", "/data/secret/key"]));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Permission denied"),
        "{}",
        text(&o)
    );

    // Writes: allowed in the inbox, denied in the read-only data.
    let o = container(
        root,
        &entrypoint(&["/bin/sh", "-c", "echo new > /data/inbox/note"]),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(root.join("data/inbox/note")).unwrap(),
        "new\n"
    );
    let o = container(
        root,
        &entrypoint(&["/bin/sh", "-c", "echo new > /data/public/note"]),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Permission denied"),
        "{}",
        text(&o)
    );
    assert!(!root.join("data/public/note").exists());
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}
