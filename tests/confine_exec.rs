//! The facade's `Command` extension on the host: Landlock enforced by the host kernel;
//! AppArmor's exec protocol against stand-in kernel files (what the child writes, where,
//! and that any failure keeps the child from running; the real kernel is in the kernel
//! harness, `enforce_apparmor`); SELinux and AppArmor refusing clearly where they are not
//! active; the choice of the active LSM; and `run`, the library side of `polc run`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::confine::{
    active_lsm, command, run, CommandExt, Detail, Error, ExecFix, Lsm, Options, Target,
};
use polc::lang::ir::{Policy, PolicyName};
use polc::lang::{load, LoadOptions, Source};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Tmp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "polc-confine-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn policy(src: &str) -> Policy {
    load(&Source::new("t.pol", src), &LoadOptions::default())
        .map_err(|f| format!("{f:?}"))
        .unwrap()
        .policy
}

fn name() -> PolicyName {
    PolicyName::new("org.example.app").unwrap()
}

/// A stand-in securityfs listing `profiles`, and an attribute directory with the files
/// given; returns the options pointing at them.
fn apparmor_env(t: &Tmp, profiles: Option<&str>, attr_files: &[&str]) -> Options {
    let sec = t.0.join("securityfs");
    std::fs::create_dir_all(&sec).unwrap();
    if let Some(p) = profiles {
        std::fs::create_dir_all(sec.join("apparmor")).unwrap();
        std::fs::write(sec.join("apparmor/profiles"), p).unwrap();
    }
    let attr = t.0.join("attr");
    std::fs::create_dir_all(attr.join("apparmor")).unwrap();
    for f in attr_files {
        std::fs::write(attr.join(f), "").unwrap();
    }
    let mut o = Options::for_lsm(Lsm::AppArmor);
    o.apparmor.securityfs = sec;
    o.apparmor.attr_dir = attr;
    o
}

fn touch(trace: &Path) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(format!("echo ran > '{}'", trace.display()));
    c
}

#[test]
fn apparmor_child_asks_for_the_profile_at_exec() {
    let t = Tmp::new("aa");
    let o = apparmor_env(
        &t,
        Some("other (enforce)\norg.example.app (complain)\n"),
        &["apparmor/exec", "exec"],
    );
    let trace = t.0.join("trace");
    let mut cmd = touch(&trace);
    let st = cmd.confine_as(Target::AppArmor(&name()), &o).unwrap();
    assert_eq!(
        (st.lsm, st.name.as_str()),
        (Lsm::AppArmor, "org.example.app")
    );
    assert!(!st.enforcing, "complain mode only logs");
    let Detail::AppArmor(d) = &st.detail else {
        panic!("{st:?}")
    };
    assert_eq!(d.mode, "complain");
    assert_eq!(d.interface, o.apparmor.attr_dir.join("apparmor/exec"));
    assert!(cmd.status().unwrap().success());
    // One write, in the syntax of aa_change_onexec, to the AppArmor-specific file.
    let written = std::fs::read_to_string(o.apparmor.attr_dir.join("apparmor/exec")).unwrap();
    assert_eq!(written, "exec org.example.app");
    assert_eq!(
        std::fs::read_to_string(o.apparmor.attr_dir.join("exec")).unwrap(),
        ""
    );
    assert!(trace.exists());
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["lsm"], "apparmor");
    assert_eq!(json["name"], "org.example.app");
}

#[test]
fn apparmor_falls_back_to_the_shared_attribute() {
    let t = Tmp::new("aa-old");
    let o = apparmor_env(&t, Some("org.example.app (enforce)\n"), &["exec"]);
    let mut cmd = Command::new("/bin/true");
    let st = cmd.confine_as(Target::AppArmor(&name()), &o).unwrap();
    assert!(st.enforcing);
    assert!(cmd.status().unwrap().success());
    let written = std::fs::read_to_string(o.apparmor.attr_dir.join("exec")).unwrap();
    assert_eq!(written, "exec org.example.app");
}

#[test]
fn apparmor_refusals_never_start_the_child() {
    // Not loaded: a clear error, and the poisoned command cannot be spawned.
    let t = Tmp::new("aa-missing");
    let o = apparmor_env(&t, Some("other (enforce)\n"), &["apparmor/exec"]);
    let trace = t.0.join("trace");
    let mut cmd = touch(&trace);
    let e = cmd.confine_as(Target::AppArmor(&name()), &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the apparmor profile `org.example.app` is not loaded"
    );
    assert!(e.help().unwrap().contains("polc install"));
    let err = cmd.status().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    assert!(!trace.exists());

    // AppArmor not active.
    let t = Tmp::new("aa-inactive");
    let o = apparmor_env(&t, None, &["apparmor/exec"]);
    let mut cmd = touch(&trace);
    let e = cmd.confine_as(Target::AppArmor(&name()), &o).unwrap_err();
    assert!(e.to_string().starts_with("apparmor is not active"), "{e}");
    assert!(cmd.status().is_err());
    assert!(!trace.exists());

    // Checked, but the child cannot write its request: the spawn fails with the error.
    let t = Tmp::new("aa-write");
    let mut o = apparmor_env(&t, Some("org.example.app (enforce)\n"), &[]);
    o.apparmor.attr_dir = t.0.join("no-such-dir");
    let mut cmd = touch(&trace);
    cmd.confine_as(Target::AppArmor(&name()), &o).unwrap();
    let err = cmd.status().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    assert!(!trace.exists());
}

#[test]
fn selinux_refuses_where_it_is_not_active() {
    let t = Tmp::new("se");
    let trace = t.0.join("trace");
    let mut o = Options::for_lsm(Lsm::SeLinux);
    o.selinux.selinuxfs = t.0.join("selinuxfs");
    let mut cmd = touch(&trace);
    let e = cmd
        .confine(&policy("policy org.example.app {}"), &o)
        .unwrap_err();
    assert!(matches!(e, Error::SeLinux(_)), "{e:?}");
    assert!(e.to_string().starts_with("selinux is not active"), "{e}");
    assert!(e.help().unwrap().contains("selinux=1"));
    assert!(cmd.status().is_err());
    assert!(!trace.exists());
}

fn landlock_options() -> Options {
    let mut o = Options::for_lsm(Lsm::Landlock);
    o.landlock.compatibility = polc_landlock::Compatibility::BestEffort;
    o
}

const USR_ONLY: &str = r#"policy org.example.usr { allow read exec map-exec list "/usr/**" }"#;

#[test]
fn landlock_confines_the_child_and_not_the_parent() {
    let p = policy(USR_ONLY);
    let mut cmd = Command::new("/usr/bin/cat");
    cmd.arg("/etc/hostname");
    let st = cmd.confine(&p, &landlock_options()).unwrap();
    assert_eq!(
        (st.lsm, st.name.as_str()),
        (Lsm::Landlock, "org.example.usr")
    );
    assert!(st.enforcing, "the host kernel has Landlock: {st:?}");
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "/etc is outside the policy");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    // The parent is not confined.
    std::fs::read("/etc/hostname").unwrap();
    let mut ok = Command::new("/usr/bin/true");
    ok.confine(&p, &landlock_options()).unwrap();
    assert!(ok.status().unwrap().success());
}

#[test]
fn landlock_plan_errors_poison_the_command() {
    // Strict planning refuses what Landlock cannot enforce exactly (a deny inside an allow).
    let p =
        policy(r#"policy org.example.strict { allow read "/usr/**" deny read "/usr/share/**" }"#);
    let mut cmd = Command::new("/usr/bin/true");
    let e = cmd
        .confine(&p, &Options::for_lsm(Lsm::Landlock))
        .unwrap_err();
    assert!(matches!(e, Error::Landlock(_)), "{e:?}");
    assert!(cmd.status().is_err());
}

#[test]
fn the_active_lsm_comes_from_securityfs() {
    let t = Tmp::new("lsm");
    for (list, want) in [
        ("lockdown,capability,landlock,bpf\n", Some(Lsm::Landlock)),
        ("lockdown,capability,landlock,apparmor", Some(Lsm::AppArmor)),
        ("capability,selinux,landlock", Some(Lsm::SeLinux)),
        ("capability,yama", None),
    ] {
        std::fs::write(t.0.join("lsm"), list).unwrap();
        match (active_lsm(&t.0), want) {
            (Ok(l), Some(w)) => assert_eq!(l, w, "{list}"),
            (Err(Error::NoLsm { active }), None) => assert_eq!(active, list.trim()),
            (r, w) => panic!("{list}: {r:?}, expected {w:?}"),
        }
    }
    // Without securityfs, the host's own interfaces decide (this host has Landlock only).
    assert_eq!(active_lsm(&t.0.join("absent")).unwrap(), Lsm::Landlock);
    assert_eq!("apparmor".parse::<Lsm>().unwrap(), Lsm::AppArmor);
    assert_eq!(
        "smack".parse::<Lsm>().unwrap_err().to_string(),
        "unknown LSM `smack`: use `apparmor`, `selinux` or `landlock`"
    );
}

#[test]
fn run_is_polc_run() {
    let p = policy(USR_ONLY);
    let argv: Vec<OsString> = vec!["/usr/bin/cat".into(), "/etc/hostname".into()];
    let ran = run(&p, &argv, &landlock_options()).unwrap();
    assert_eq!(ran.status.lsm, Lsm::Landlock);
    assert_eq!(ran.code(), 1, "cat cannot read /etc/hostname");
    let ran = run(&p, &["/usr/bin/true".into()], &landlock_options()).unwrap();
    assert_eq!(ran.code(), 0);
    assert!(matches!(
        run(&p, &[], &landlock_options()),
        Err(Error::NoCommand)
    ));
    let (cmd, st) = command(&p, &["/usr/bin/true".into()], &landlock_options()).unwrap();
    assert_eq!(cmd.get_program(), "/usr/bin/true");
    assert_eq!(st.name, "org.example.usr");
    // A missing program is found missing before the fork.
    let e = run(
        &p,
        &["/usr/bin/no-such-program".into()],
        &landlock_options(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "no such program `/usr/bin/no-such-program`");
    // A bare name is looked up on PATH, and the file found is the one started.
    let (cmd, _) = command(&p, &["true".into()], &landlock_options()).unwrap();
    assert!(Path::new(cmd.get_program()).is_absolute(), "{cmd:?}");
}

#[test]
fn a_policys_attach_program_needs_an_exec_rule_on_every_lsm() {
    // AppArmor would start the attach program under its profile without a rule, Landlock
    // would not: polc run asks for the rule everywhere, so a policy runs the same way on
    // each LSM.
    let t = Tmp::new("attach");
    let p =
        policy(r#"policy org.example.app { attach "/usr/bin/true" allow read "/usr/share/**" }"#);
    let apparmor = apparmor_env(&t, Some("org.example.app (enforce)\n"), &["exec"]);
    for (o, rule) in [
        (apparmor, r#"allow exec "/usr/bin/true""#),
        (landlock_options(), r#"allow read exec "/usr/bin/true""#),
    ] {
        let argv: Vec<OsString> = vec!["/usr/bin/true".into()];
        let e = command(&p, &argv, &o).unwrap_err();
        match &e {
            Error::ExecDenied {
                path,
                fix: ExecFix::Add(r),
                ..
            } => assert_eq!((path.as_str(), r.as_str()), ("/usr/bin/true", rule)),
            other => panic!("{other:?}"),
        }
        assert!(e.advice().unwrap().contains("`attach` program"), "{e}");
    }
    // With the rule, it starts (here under the stand-in AppArmor files).
    let p =
        policy(r#"policy org.example.app { attach "/usr/bin/true" allow exec "/usr/bin/true" }"#);
    let apparmor = apparmor_env(&t, Some("org.example.app (enforce)\n"), &["exec"]);
    let (mut cmd, _) = command(&p, &["/usr/bin/true".into()], &apparmor).unwrap();
    assert!(cmd.status().unwrap().success());
}

/// Open `path` as a descriptor the child would inherit (not close-on-exec), above 2.
fn inheritable(path: &Path) -> std::os::fd::OwnedFd {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let f = std::fs::File::open(path).unwrap();
    // SAFETY: F_DUPFD returns a new descriptor this function owns.
    let fd = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_DUPFD, 10) };
    assert!(fd > 2);
    // SAFETY: `fd` was just created.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

#[test]
fn the_child_gets_only_its_standard_streams_and_the_descriptors_passed() {
    use std::os::fd::AsRawFd;
    let t = Tmp::new("fds");
    let secret = t.0.join("secret");
    std::fs::write(&secret, "the secret").unwrap();
    let fd = inheritable(&secret);
    let p =
        policy(r#"policy org.example.usr { use base allow read exec map-exec list "/usr/**" }"#);
    // fdopen, no path: only the descriptor itself can give the file.
    let probe = format!(
        "open(my $f, '<&=', {}) or die \"fd: $!\\n\"; print <$f>",
        fd.as_raw_fd()
    );
    let argv: Vec<OsString> = vec!["/usr/bin/perl".into(), "-e".into(), probe.into()];
    let (mut cmd, _) = command(&p, &argv, &landlock_options()).unwrap();
    let out = cmd.output().unwrap();
    assert!(
        out.stdout.is_empty(),
        "read through an inherited descriptor"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("fd: Bad file descriptor"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut o = landlock_options();
    o.pass_fds = vec![fd.as_raw_fd()];
    let (mut cmd, _) = command(&p, &argv, &o).unwrap();
    let out = cmd.output().unwrap();
    assert_eq!(
        out.stdout,
        b"the secret",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A closed descriptor is refused and poisons nothing else: the error says which.
    o.pass_fds = vec![999];
    let e = command(&p, &argv, &o).unwrap_err();
    assert!(matches!(e, Error::PassFd { fd: 999, .. }), "{e:?}");
}

#[test]
fn the_child_runs_in_a_session_of_its_own_unless_asked_otherwise() {
    let p = policy(USR_ONLY);
    let argv: Vec<OsString> = vec!["/usr/bin/sleep".into(), "5".into()];
    let session_of = |o: &Options| {
        let (mut cmd, _) = command(&p, &argv, o).unwrap();
        // spawn returns once the child has exec'd: its session is settled.
        let mut child = cmd.spawn().unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        // pid (comm) state ppid pgrp session ...
        let (_, rest) = stat.rsplit_once(')').unwrap();
        rest.split_whitespace()
            .nth(3)
            .unwrap()
            .parse::<i32>()
            .unwrap()
    };
    let (child_session, own) = (session_of(&landlock_options()), unsafe { libc::getsid(0) });
    assert_ne!(child_session, own, "a new session");
    let mut o = landlock_options();
    o.new_session = false;
    assert_eq!(session_of(&o), own, "the caller's session, when asked");
}
