//! Store transactions under fault injection: every step made to fail, and the process
//! killed with SIGKILL at every step, over randomized install/upgrade/rollback/remove
//! sequences. After each, the next open must show the complete old or the complete new
//! state, with the (stand-in) kernel holding exactly the current generation's artifact.
//! Each injected fault is proven to have fired (the injector's `seen` count, the
//! operation's error, the child's SIGKILL status), or proven not reached.
//!
//! Then the store's promises one by one: it recognises itself and refuses a directory it
//! did not create; read-only opens write nothing; a kill while pruning or before the
//! journal leaves no half or orphan generation; loaders are fenced and repair reloads the
//! current generation; explicit modes, no symbolic link followed, damage reported per
//! policy. `tests/store_crash.rs` runs the crash-consistency test at scale.
//!
//! The kernel here is a stand-in loader that records what is loaded in a directory and
//! rejects artifacts containing `REJECT`; the real loaders are exercised in the kernel
//! harness and on the host (Landlock).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::lang::ir::PolicyName;
use polc::store::{FaultInjector, Loader, Lsm, Package, Step, Store, StoreConfig, StoreError};
use proptest::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A stand-in kernel: `dir/<name>` holds the loaded artifact.
struct FakeKernel {
    dir: PathBuf,
}

impl Loader for FakeKernel {
    fn lsm(&self) -> Lsm {
        Lsm::AppArmor
    }
    fn load(&self, name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let body = std::fs::read(artifact).map_err(|e| e.to_string())?;
        if body.windows(6).any(|w| w == b"REJECT") {
            return Err("profile rejected".into());
        }
        let tmp = self.dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, &body).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, self.dir.join(name.as_str())).map_err(|e| e.to_string())
    }
    fn unload(&self, name: &PolicyName, _artifact: &Path) -> Result<(), String> {
        match std::fs::remove_file(self.dir.join(name.as_str())) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.to_string()),
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FaultMode {
    Fail,
    Kill,
}

/// Fails (or kills the process) at the `at`-th step; `seen` counts the steps asked about.
struct CountingFaults {
    at: usize,
    mode: FaultMode,
    seen: AtomicUsize,
}

impl FaultInjector for CountingFaults {
    fn before(&self, _step: Step) -> std::io::Result<()> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if n == self.at {
            match self.mode {
                FaultMode::Fail => return Err(std::io::Error::other("injected fault")),
                // SAFETY: killing our own process.
                FaultMode::Kill => unsafe {
                    libc::kill(libc::getpid(), libc::SIGKILL);
                },
            }
        }
        Ok(())
    }
}

/// Fails or kills at the `nth` occurrence of `step`, after running `action` on the path
/// the step is about to touch (to model a step that was half done when the kill came).
struct StepFault {
    step: Step,
    nth: usize,
    mode: FaultMode,
    seen: AtomicUsize,
    action: Option<fn(&Path)>,
}

impl StepFault {
    fn new(step: Step, nth: usize, mode: FaultMode) -> StepFault {
        StepFault {
            step,
            nth,
            mode,
            seen: AtomicUsize::new(0),
            action: None,
        }
    }
}

impl FaultInjector for StepFault {
    fn before(&self, _step: Step) -> std::io::Result<()> {
        Ok(())
    }
    fn before_path(&self, step: Step, path: &Path) -> std::io::Result<()> {
        if step != self.step || self.seen.fetch_add(1, Ordering::SeqCst) != self.nth {
            return Ok(());
        }
        if let Some(a) = self.action {
            a(path);
        }
        match self.mode {
            FaultMode::Fail => Err(std::io::Error::other("injected fault")),
            FaultMode::Kill => {
                // SAFETY: killing our own process.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
                Ok(())
            }
        }
    }
}

/// Run `f` in a forked child and return its wait status. The child exits with `f`'s code.
fn in_child(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs `f` and exits; it calls no code that another thread of
    // the test process could hold a lock in.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = f();
        // SAFETY: leave the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid failed");
    status
}

fn killed(status: i32) -> bool {
    libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL
}

struct Env {
    root: PathBuf,
    kernel: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let base = std::env::temp_dir().join(format!(
            "polc-store-{tag}-{}-{}",
            std::process::id(),
            unique()
        ));
        let _ = std::fs::remove_dir_all(&base);
        let env = Env {
            root: base.join("store"),
            kernel: base.join("kernel"),
        };
        std::fs::create_dir_all(&env.kernel).unwrap();
        env
    }

    fn open(&self, faults: Option<Arc<dyn FaultInjector>>) -> Result<Store, StoreError> {
        let mut cfg = StoreConfig::new(&self.root);
        cfg.faults = faults;
        Store::open(
            cfg,
            vec![Box::new(FakeKernel {
                dir: self.kernel.clone(),
            })],
        )
    }

    fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(self.root.parent().unwrap());
    }
}

fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn name() -> PolicyName {
    PolicyName::new("org.example.app").unwrap()
}

fn package(version: &str) -> Package {
    Package {
        name: name(),
        lsm: Lsm::AppArmor,
        source_name: "app.pol".into(),
        source: format!("source {version}"),
        ir_json: format!("ir {version}"),
        artifact_file: "profile".into(),
        artifact: format!("artifact {version}").into_bytes(),
        plugs: None,
        vars: Default::default(),
    }
}

/// The observable state: the current generation's version (checked consistent across its
/// files) and the kernel's, which must agree.
fn state(env: &Env, store: &Store) -> Option<String> {
    let kernel = std::fs::read_to_string(env.kernel.join(name().as_str())).ok();
    let info = match store.show(&name()) {
        Ok(i) => i,
        Err(StoreError::NotInstalled(_)) => {
            assert_eq!(kernel, None, "kernel holds a policy the store does not");
            return None;
        }
        Err(e) => panic!("show: {e}"),
    };
    let dir = &info.path;
    let source = std::fs::read_to_string(dir.join("source.pol")).unwrap();
    let ir = std::fs::read_to_string(dir.join("ir.json")).unwrap();
    let artifact = std::fs::read_to_string(dir.join("profile")).unwrap();
    let v = source.trim_start_matches("source ").to_string();
    assert_eq!(ir, format!("ir {v}"), "generation mixes versions");
    assert_eq!(
        artifact,
        format!("artifact {v}"),
        "generation mixes versions"
    );
    assert_eq!(
        kernel.as_deref(),
        Some(artifact.as_str()),
        "kernel and store disagree"
    );
    // Nothing half-written is visible.
    for e in std::fs::read_dir(dir.parent().unwrap()).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            n == "current"
                || n.strip_prefix("gen-")
                    .is_some_and(|g| g.parse::<u64>().is_ok()),
            "leftover {n} after open"
        );
    }
    Some(v)
}

/// The version the previous generation holds, if any.
fn previous(store: &Store) -> Option<String> {
    let info = store.show(&name()).ok()?;
    let prev = info
        .generations
        .iter()
        .rfind(|g| g.generation < info.current)?;
    let dir = info.path.parent()?.join(format!("gen-{}", prev.generation));
    Some(
        std::fs::read_to_string(dir.join("source.pol"))
            .ok()?
            .trim_start_matches("source ")
            .to_string(),
    )
}

#[derive(Clone, Debug)]
enum Op {
    Install(String),
    Rollback,
    Remove,
}

fn apply(store: &Store, op: &Op) -> Result<(), StoreError> {
    match op {
        Op::Install(v) => store.install(&package(v)).map(drop),
        Op::Rollback => store.rollback(&name()).map(drop),
        Op::Remove => store.remove(&name()),
    }
}

/// What the state may be after `op` from `old` (with `prev` the previous generation).
fn allowed_after(op: &Op, old: &Option<String>, prev: &Option<String>) -> Vec<Option<String>> {
    let new = match op {
        Op::Install(v) if v.contains("REJECT") => old.clone(),
        Op::Install(v) => Some(v.clone()),
        Op::Rollback if old.is_some() && prev.is_some() => prev.clone(),
        Op::Rollback => old.clone(),
        Op::Remove => None,
    };
    vec![old.clone(), new]
}

/// Run `op` with a fault at step `at`; in Kill mode inside a forked child. Returns
/// whether the fault fired, proven by the injector's `seen` counter and by the outcome: a
/// fired Fail makes the operation return the injected error, a fired Kill ends the child
/// with SIGKILL; otherwise the operation ran to its end without reaching step `at`.
fn run_with_fault(env: &Env, op: &Op, at: usize, mode: FaultMode) -> bool {
    run_with_fault_of(env, &|store| apply(store, op), &format!("{op:?}"), at, mode)
}

/// [`run_with_fault`] of any store operation `f` (`what` names it in messages).
fn run_with_fault_of(
    env: &Env,
    f: &dyn Fn(&Store) -> Result<(), StoreError>,
    what: &str,
    at: usize,
    mode: FaultMode,
) -> bool {
    let op = what;
    let faults = Arc::new(CountingFaults {
        at,
        mode,
        seen: AtomicUsize::new(0),
    });
    let injector: Arc<dyn FaultInjector> = faults.clone();
    match mode {
        FaultMode::Fail => {
            let r = env.open(Some(injector)).and_then(|store| f(&store));
            let seen = faults.seen.load(Ordering::SeqCst);
            let fired = seen > at;
            if fired {
                let e = r.expect_err("a failed step must fail the operation");
                // Or the fault fired in the repair after the kernel rejected the artifact
                // (that repair is best effort: the next open finishes it).
                assert!(
                    e.to_string().contains("injected fault")
                        || matches!(e, StoreError::Load { .. }),
                    "{op} at {at}: {e}"
                );
            } else if let Err(e) = &r {
                assert!(
                    !e.to_string().contains("injected fault"),
                    "{op} at {at}: {e}"
                );
            }
            fired
        }
        FaultMode::Kill => {
            let status = in_child(|| {
                let r = env.open(Some(injector)).and_then(|store| f(&store));
                let seen = faults.seen.load(Ordering::SeqCst);
                // 100 + the steps seen (capped): the parent checks the kill point was not
                // reached; 99: the operation failed for another reason than a fault.
                match r {
                    Ok(()) | Err(StoreError::NotInstalled(_) | StoreError::NoPrevious(_)) => {
                        100 + i32::try_from(seen.min(100)).unwrap_or(100)
                    }
                    Err(StoreError::Load { .. }) => {
                        100 + i32::try_from(seen.min(100)).unwrap_or(100)
                    }
                    Err(_) => 99,
                }
            });
            if killed(status) {
                return true;
            }
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) >= 100,
                "{op} at {at}: the child was neither killed nor finished: status {status}"
            );
            let seen = usize::try_from(libc::WEXITSTATUS(status) - 100).unwrap();
            assert!(
                seen <= at,
                "{op}: step {at} was reached ({seen} steps seen) but the child was not killed"
            );
            false
        }
    }
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..1000, any::<bool>()).prop_map(|(n, rej)| Op::Install(if rej { format!("v{n}-REJECT") } else { format!("v{n}") })),
        2 => Just(Op::Rollback),
        1 => Just(Op::Remove),
    ]
}

/// Runs the sequence; returns (faults fired, operations run).
fn check_sequence(ops: &[(Op, usize, FaultMode)], tag: &str) -> (usize, usize) {
    let env = Env::new(tag);
    let mut fired = 0;
    for (op, at, mode) in ops {
        let (old, prev) = {
            let store = env.open(None).unwrap();
            (state(&env, &store), previous(&store))
        };
        fired += usize::from(run_with_fault(&env, op, *at, *mode));
        let store = env.open(None).unwrap();
        let now = state(&env, &store);
        let allowed = allowed_after(op, &old, &prev);
        assert!(
            allowed.contains(&now),
            "after {op:?} with {mode:?} at step {at}: state {now:?}, expected one of {allowed:?}"
        );
    }
    env.cleanup();
    (fired, ops.len())
}

/// Random sequences with a fault at a random step of each operation; at least a third of
/// the faults must have fired (the others fall after the operation's last step).
fn random_sequences(mode: FaultMode, cases: u32, tag: &str) {
    use proptest::test_runner::{Config, TestRunner};
    let fired = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec((op_strategy(), 0usize..25), 1..6);
    runner
        .run(&strategy, |ops| {
            let ops: Vec<_> = ops.into_iter().map(|(o, at)| (o, at, mode)).collect();
            let (f, t) = check_sequence(&ops, tag);
            fired.fetch_add(f, Ordering::SeqCst);
            total.fetch_add(t, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
    let (fired, total) = (fired.into_inner(), total.into_inner());
    eprintln!("{mode:?}: {fired} of {total} injected faults fired");
    assert!(
        fired * 3 >= total,
        "{mode:?}: only {fired} of {total} faults fired"
    );
}

#[test]
fn failing_any_step_leaves_old_or_new() {
    random_sequences(FaultMode::Fail, 400, "fail");
}

#[test]
fn killing_at_any_step_leaves_old_or_new() {
    random_sequences(FaultMode::Kill, 400, "kill");
}

/// How many fault points `op` goes through from the state `setup` makes.
fn steps_of(setup: &dyn Fn(&Env), op: &Op) -> usize {
    let env = Env::new("count");
    setup(&env);
    let faults = Arc::new(CountingFaults {
        at: usize::MAX,
        mode: FaultMode::Fail,
        seen: AtomicUsize::new(0),
    });
    let store = env.open(Some(faults.clone())).unwrap();
    apply(&store, op).unwrap();
    drop(store);
    env.cleanup();
    faults.seen.load(Ordering::SeqCst)
}

/// Puts a fresh store into the state an operation starts from.
type Setup = Box<dyn Fn(&Env)>;

#[test]
fn every_step_of_every_operation_is_covered() {
    // Deterministically: fail and kill at each step of a first install, an upgrade, an
    // upgrade that prunes, a rollback and a removal; each fault must fire (proven by the
    // injector's count and the outcome), and a fault after the last step must not.
    let v = |n: u32| Op::Install(format!("v{n}"));
    let installed = |n: u32| {
        move |env: &Env| {
            let store = env.open(None).unwrap();
            for i in 1..=n {
                store.install(&package(&format!("v{i}"))).unwrap();
            }
        }
    };
    let cases: Vec<(Setup, Op, Vec<Option<String>>)> = vec![
        (Box::new(installed(0)), v(1), vec![None, Some("v1".into())]),
        (
            Box::new(installed(1)),
            v(2),
            vec![Some("v1".into()), Some("v2".into())],
        ),
        (
            Box::new(installed(3)),
            v(4),
            vec![Some("v3".into()), Some("v4".into())],
        ),
        (
            Box::new(installed(2)),
            Op::Rollback,
            vec![Some("v2".into()), Some("v1".into())],
        ),
        (
            Box::new(installed(2)),
            Op::Remove,
            vec![Some("v2".into()), None],
        ),
    ];
    let mut points = 0;
    for (setup, op, allowed) in &cases {
        let n = steps_of(setup.as_ref(), op);
        assert!(n >= 8, "{op:?} goes through only {n} fault points");
        for mode in [FaultMode::Fail, FaultMode::Kill] {
            for at in 0..=n {
                let env = Env::new("steps");
                setup(&env);
                let fired = run_with_fault(&env, op, at, mode);
                assert_eq!(fired, at < n, "{op:?} {mode:?} at {at} of {n}");
                let store = env.open(None).unwrap();
                let now = state(&env, &store);
                assert!(allowed.contains(&now), "{op:?} {mode:?} at {at}: {now:?}");
                drop(store);
                env.cleanup();
                points += usize::from(fired);
            }
        }
    }
    eprintln!("{points} fault points fired");
}

#[test]
fn rejected_upgrade_stays_on_old_generation_with_the_loader_message() {
    let env = Env::new("reject");
    let store = env.open(None).unwrap();
    let g1 = store.install(&package("v1")).unwrap();
    let err = store.install(&package("v2-REJECT")).unwrap_err();
    assert!(err.to_string().contains("profile rejected"), "{err}");
    assert_eq!(store.show(&name()).unwrap().current, g1);
    assert_eq!(state(&env, &store), Some("v1".into()));
    let g3 = store.install(&package("v3")).unwrap();
    assert!(g3 > g1);
    assert_eq!(store.rollback(&name()).unwrap(), g1);
    assert_eq!(state(&env, &store), Some("v1".into()));
    assert!(matches!(
        store.rollback(&name()),
        Err(StoreError::NoPrevious(_))
    ));
    store.remove(&name()).unwrap();
    assert_eq!(state(&env, &store), None);
    assert!(matches!(
        store.remove(&name()),
        Err(StoreError::NotInstalled(_))
    ));
    drop(store);
    env.cleanup();
}

#[test]
fn old_generations_are_pruned_but_rollback_keeps_working() {
    let env = Env::new("prune");
    let store = env.open(None).unwrap();
    for v in 1..=6 {
        store.install(&package(&format!("v{v}"))).unwrap();
    }
    let info = store.show(&name()).unwrap();
    assert_eq!(info.generations.len(), 3);
    assert_eq!(info.current, 6);
    assert_eq!(store.rollback(&name()).unwrap(), 5);
    assert_eq!(state(&env, &store), Some("v5".into()));
    drop(store);
    env.cleanup();
}

#[test]
fn hostile_artifact_names_are_refused() {
    let env = Env::new("names");
    let store = env.open(None).unwrap();
    for bad in ["", "../x", "a/b", ".hidden", "meta.json"] {
        let mut p = package("v1");
        p.artifact_file = bad.into();
        assert!(
            matches!(store.install(&p), Err(StoreError::BadArtifactName(_))),
            "{bad:?}"
        );
    }
    drop(store);
    env.cleanup();
}

#[test]
fn concurrent_installers_never_corrupt_the_store() {
    let env = Env::new("concurrent");
    let mut pids = Vec::new();
    for worker in 0..4 {
        // SAFETY: as in run_with_fault.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let mut ok = true;
            for i in 0..15 {
                let r = env.open(None).and_then(|s| {
                    if i % 5 == 4 {
                        s.rollback(&name()).map(drop).or_else(|e| match e {
                            StoreError::NoPrevious(_) | StoreError::NotInstalled(_) => Ok(()),
                            e => Err(e),
                        })
                    } else {
                        s.install(&package(&format!("w{worker}-{i}"))).map(drop)
                    }
                });
                ok &= r.is_ok();
            }
            // SAFETY: leave the child without running the parent's destructors.
            unsafe { libc::_exit(i32::from(!ok)) };
        }
        pids.push(pid);
    }
    for pid in pids {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "an installer failed: {status}"
        );
    }
    let store = env.open(None).unwrap();
    let v = state(&env, &store).expect("installed");
    assert!(v.starts_with('w'), "{v}");
    let info = store.show(&name()).unwrap();
    assert!(info.generations.len() <= 3);
    drop(store);
    env.cleanup();
}

/// Every path under `root` with its type, mode, size and content, to prove nothing changed.
fn tree(root: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let rel = p.strip_prefix(root).unwrap().display().to_string();
        let body = if m.is_file() {
            std::fs::read(&p).unwrap()
        } else if m.is_symlink() {
            std::fs::read_link(&p)
                .unwrap()
                .display()
                .to_string()
                .into_bytes()
        } else {
            Vec::new()
        };
        out.push((rel, m.permissions().mode(), body));
        if m.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
    }
    out.sort();
    out
}

fn read_only(env: &Env) -> Result<Store, StoreError> {
    Store::open_read_only(StoreConfig::new(&env.root))
}

#[test]
fn a_directory_that_is_not_a_store_is_refused_untouched() {
    // Like `polc list --root /var/lib`: a subdirectory named like a policy, without
    // `current`, used to be deleted as "a first install that never completed".
    let env = Env::new("foreign");
    std::fs::create_dir_all(env.root.join("org.example.data/gen-1.tmp")).unwrap();
    std::fs::write(env.root.join("org.example.data/records.db"), "precious").unwrap();
    std::fs::write(env.root.join("notes.txt"), "mine").unwrap();
    let before = tree(&env.root);
    let e = env.open(None).unwrap_err();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e}");
    assert!(e.to_string().contains("is not a polc store"), "{e}");
    let e = read_only(&env).unwrap_err();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e}");
    assert_eq!(tree(&env.root), before, "a refused directory was changed");
    assert!(!env.root.join(".lock").exists());
    env.cleanup();
}

#[test]
fn a_store_of_an_earlier_polc_is_adopted_only_when_unambiguous() {
    let env = Env::new("adopt");
    env.open(None).unwrap().install(&package("v1")).unwrap();
    // What an earlier polc left: the same layout without the marker.
    std::fs::remove_file(env.root.join(".polc-store")).unwrap();
    assert_eq!(state(&env, &read_only(&env).unwrap()), Some("v1".into()));
    assert!(
        !env.root.join(".polc-store").exists(),
        "a read-only open wrote"
    );
    let store = env.open(None).unwrap();
    assert_eq!(state(&env, &store), Some("v1".into()));
    drop(store);
    assert_eq!(
        std::fs::read_to_string(env.root.join(".polc-store")).unwrap(),
        "polc-store format 1\n"
    );
    // One entry that no polc writes makes it ambiguous: refused.
    std::fs::remove_file(env.root.join(".polc-store")).unwrap();
    std::fs::write(env.root.join(name().as_str()).join("notes"), "x").unwrap();
    let before = tree(&env.root);
    assert!(matches!(env.open(None), Err(StoreError::NotAStore { .. })));
    assert_eq!(tree(&env.root), before);
    // A format from the future is refused too.
    std::fs::write(env.root.join(".polc-store"), "polc-store format 9\n").unwrap();
    assert!(matches!(
        env.open(None),
        Err(StoreError::UnsupportedFormat { found: 9, .. })
    ));
    env.cleanup();
}

#[test]
fn a_read_only_open_writes_nothing_and_reports_the_transaction_in_flight() {
    let env = Env::new("readonly");
    env.open(None).unwrap().install(&package("v1")).unwrap();
    // An upgrade killed while its artifact was loading.
    let faults = Arc::new(StepFault::new(Step::Load, 0, FaultMode::Kill));
    let status = in_child(|| {
        let r = env
            .open(Some(faults.clone()))
            .and_then(|s| s.install(&package("v2")));
        i32::from(r.is_err())
    });
    assert!(killed(status), "the kill point was not reached: {status}");
    let before = tree(&env.root);
    let store = read_only(&env).unwrap();
    let all = store.list().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].current, 1);
    let pending = all[0].pending.as_deref().unwrap_or_default();
    assert!(pending.contains("install of generation 2"), "{:?}", all[0]);
    let info = store.show(&name()).unwrap();
    assert_eq!(info.pending, all[0].pending);
    assert_eq!(store.current_artifact(&name()).unwrap().0.generation, 1);
    assert!(matches!(
        store.install(&package("v3")),
        Err(StoreError::ReadOnly(_))
    ));
    drop(store);
    assert_eq!(
        tree(&env.root),
        before,
        "a read-only open changed the store"
    );
    // A missing root reads as an empty store, and stays missing.
    let missing = env.root.with_file_name("missing");
    let store = Store::open_read_only(StoreConfig::new(&missing)).unwrap();
    assert!(store.list().unwrap().is_empty());
    assert!(!missing.exists());
    // The next writer repairs.
    let store = env.open(None).unwrap();
    assert_eq!(state(&env, &store), Some("v1".into()));
    assert_eq!(store.show(&name()).unwrap().pending, None);
    drop(store);
    env.cleanup();
}

#[test]
fn a_generation_that_never_became_current_is_never_a_rollback_target() {
    // Killed after the new generation was renamed into place but before its journal
    // was written, an upgrade used to leave gen-3 behind; a later rollback went to it.
    for step in [Step::WriteJournal, Step::RenameGeneration, Step::SyncDir] {
        let nth = if step == Step::SyncDir { 1 } else { 0 };
        let env = Env::new("orphan");
        let store = env.open(None).unwrap();
        store.install(&package("v1")).unwrap();
        store.install(&package("v2")).unwrap();
        drop(store);
        let faults = Arc::new(StepFault::new(step, nth, FaultMode::Kill));
        let status = in_child(|| {
            let r = env
                .open(Some(faults.clone()))
                .and_then(|s| s.install(&package("v3")));
            i32::from(r.is_err())
        });
        assert!(killed(status), "{step:?}: the kill point was not reached");
        let store = env.open(None).unwrap();
        assert_eq!(state(&env, &store), Some("v2".into()), "{step:?}");
        let gens: Vec<u64> = store
            .show(&name())
            .unwrap()
            .generations
            .iter()
            .map(|g| g.generation)
            .collect();
        assert_eq!(gens, [1, 2], "{step:?}");
        store.install(&package("v4")).unwrap();
        store.rollback(&name()).unwrap();
        assert_eq!(state(&env, &store), Some("v2".into()), "{step:?}");
        drop(store);
        env.cleanup();
    }
}

/// Deletes part of the directory a removal is about to delete, as a kill in the middle
/// of a recursive removal leaves it.
fn half_delete(path: &Path) {
    for f in ["profile", "source.pol"] {
        let _ = std::fs::remove_file(path.join(f));
    }
}

#[test]
fn a_kill_while_pruning_never_leaves_half_a_generation() {
    // The upgrade to v4 prunes gen-1; kill it at each removal step, with the directory
    // being removed half deleted. Pruning in place used to leave gen-1 with its
    // meta.json but without its artifact: listed, and rollback failed.
    let mut fired = 0;
    for nth in 0..6 {
        let env = Env::new("prune-kill");
        let store = env.open(None).unwrap();
        for v in 1..=3 {
            store.install(&package(&format!("v{v}"))).unwrap();
        }
        drop(store);
        let mut faults = StepFault::new(Step::RemoveGeneration, nth, FaultMode::Kill);
        faults.action = Some(half_delete);
        let faults = Arc::new(faults);
        let status = in_child(|| {
            let r = env
                .open(Some(faults.clone()))
                .and_then(|s| s.install(&package("v4")));
            i32::from(r.is_err())
        });
        if !killed(status) {
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "status {status}"
            );
            continue;
        }
        fired += 1;
        let store = env.open(None).unwrap();
        let info = store.list().unwrap().remove(0);
        assert_eq!(info.damaged, None, "kill {nth}");
        let now = state(&env, &store).unwrap();
        assert!(now == "v3" || now == "v4", "kill {nth}: {now}");
        // Every generation left is whole: rolling back through all of them works.
        for _ in 1..info.generations.len() {
            store.rollback(&name()).unwrap();
            state(&env, &store).unwrap();
        }
        drop(store);
        env.cleanup();
    }
    assert!(
        fired >= 2,
        "the prune's removal steps were reached {fired} times"
    );
}

#[test]
fn repair_loads_the_current_generation_again() {
    // Killed after the pointer moved, the upgrade is complete; whatever a loader left in
    // the kernel meanwhile, the repair loads the current generation again.
    let env = Env::new("reassert");
    env.open(None).unwrap().install(&package("v1")).unwrap();
    let faults = Arc::new(StepFault::new(Step::RemoveJournal, 0, FaultMode::Kill));
    let status = in_child(|| {
        let r = env
            .open(Some(faults.clone()))
            .and_then(|s| s.install(&package("v2")));
        i32::from(r.is_err())
    });
    assert!(killed(status), "the kill point was not reached: {status}");
    std::fs::write(
        env.kernel.join(name().as_str()),
        "artifact from an orphaned loader",
    )
    .unwrap();
    let store = env.open(None).unwrap();
    assert_eq!(state(&env, &store), Some("v2".into()));
    drop(store);
    env.cleanup();
}

#[test]
fn an_orphaned_loader_cannot_change_the_kernel_after_the_repair() {
    // The AppArmor loader runs a stand-in `apparmor_parser`. The installing process is
    // killed while it runs. (a) The loader itself sleeps, then loads: it must die with
    // the installer, and the next opener must not wait for its sleep. (b) The loader
    // leaves a background child that loads later: the next opener must wait for it
    // (it holds the store's lock), so the repair that follows wins.
    for (case, body) in [
        // `read -t` on a FIFO nobody writes: a wait inside the loader's own process.
        // The artifact is read first, as apparmor_parser does, then written to the kernel.
        (
            "direct",
            "A=$(cat \"$2\"); touch \"$S\"; read -t 3 <> \"$K.fifo\"; printf %s \"$A\" > \"$K\"",
        ),
        (
            "background",
            "A=$(cat \"$2\"); ( touch \"$S\"; sleep 1; printf %s \"$A\" > \"$K\" ) & wait",
        ),
    ] {
        let env = Env::new("orphan-loader");
        let kfile = env.kernel.join("loaded");
        let started = env.kernel.join("started");
        let script = env.kernel.with_file_name("apparmor_parser");
        std::fs::write(
            &script,
            format!(
                "#!/bin/bash\nK='{}'\nS='{}'\nif [ \"$1\" = -R ]; then rm -f \"$K\"; exit 0; fi\n\
                 if grep -q v2 \"$2\"; then {body}; else cp \"$2\" \"$K\"; fi\n",
                kfile.display(),
                started.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let fifo = std::ffi::CString::new(format!("{}.fifo", kfile.display())).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let open = || {
            Store::open(
                StoreConfig::new(&env.root),
                vec![Box::new(polc::store::AppArmorLoader {
                    parser: Some(script.clone()),
                })],
            )
        };
        open().unwrap().install(&package("v1")).unwrap();
        // SAFETY: as in in_child.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let r = open().and_then(|s| s.install(&package("v2")));
            // SAFETY: leave the child without running the parent's destructors.
            unsafe { libc::_exit(i32::from(r.is_err())) };
        }
        let t = std::time::Instant::now();
        while !started.exists() {
            assert!(
                t.elapsed().as_secs() < 20,
                "{case}: the loader never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // SAFETY: killing and reaping our own child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
        }
        let t = std::time::Instant::now();
        let store = open().unwrap();
        let waited = t.elapsed();
        assert_eq!(
            std::fs::read_to_string(&kfile).unwrap(),
            "artifact v1",
            "{case}"
        );
        assert_eq!(store.show(&name()).unwrap().current, 1);
        drop(store);
        // Past the time an orphan would have loaded v2.
        std::thread::sleep(std::time::Duration::from_millis(3500).saturating_sub(waited));
        assert_eq!(
            std::fs::read_to_string(&kfile).unwrap(),
            "artifact v1",
            "{case}: an orphaned loader changed the kernel after the repair"
        );
        if case == "direct" {
            assert!(
                waited.as_millis() < 2500,
                "{case}: the loader outlived the installer ({waited:?})"
            );
        }
        env.cleanup();
        let _ = std::fs::remove_file(&script);
    }
}

#[test]
fn files_get_explicit_modes_whatever_the_umask() {
    for mask in [0o000, 0o077] {
        let env = Env::new("modes");
        let status = in_child(|| {
            // SAFETY: the child's own umask.
            unsafe { libc::umask(mask) };
            let store = env.open(None).unwrap();
            store.install(&package("v1")).unwrap();
            store.install(&package("v2")).unwrap();
            0
        });
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        for (path, mode, _) in tree(&env.root) {
            let want = if path == ".lock" {
                0o100600
            } else if mode & 0o170000 == 0o040000 {
                0o040755
            } else {
                0o100644
            };
            assert_eq!(mode, want, "umask {mask:03o}: {path} has mode {mode:o}");
        }
        env.cleanup();
    }
}

#[test]
fn no_symbolic_link_inside_the_store_is_followed() {
    let env = Env::new("links");
    let outside = env.root.with_file_name("outside");
    std::fs::create_dir_all(outside.join("gen-1.tmp")).unwrap();
    std::fs::write(outside.join("gen-1.tmp/keep"), "keep").unwrap();
    std::fs::write(outside.join("x.tmp"), "keep").unwrap();
    let store = env.open(None).unwrap();
    store.install(&package("v1")).unwrap();
    drop(store);
    let before = tree(&outside);
    let dir = env.root.join(name().as_str());
    // A policy directory that is a link out of the store, and temporary files that are.
    std::os::unix::fs::symlink(&outside, env.root.join("org.example.other")).unwrap();
    std::os::unix::fs::symlink(outside.join("created"), dir.join("current.tmp")).unwrap();
    std::os::unix::fs::symlink(outside.join("journal"), dir.join("journal.tmp")).unwrap();
    std::os::unix::fs::symlink(outside.join("gen-1.tmp"), dir.join("gen-2.tmp")).unwrap();
    let store = env.open(None).unwrap();
    store.install(&package("v2")).unwrap();
    assert_eq!(state(&env, &store), Some("v2".into()));
    let all = store.list().unwrap();
    let other = all.iter().find(|i| i.name == "org.example.other").unwrap();
    assert!(
        other
            .damaged
            .as_deref()
            .unwrap_or_default()
            .contains("symbolic link"),
        "{other:?}"
    );
    let other = PolicyName::new("org.example.other").unwrap();
    assert!(matches!(
        store.remove(&other),
        Err(StoreError::Corrupt { .. })
    ));
    drop(store);
    assert_eq!(
        tree(&outside),
        before,
        "the store wrote or deleted outside itself"
    );
    // The lock is private, and a link in its place is refused, not followed.
    let lock = env.root.join(".lock");
    assert_eq!(
        std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(outside.join("lock"), &lock).unwrap();
    let e = env.open(None).unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert!(!outside.join("lock").exists());
    env.cleanup();
    let _ = std::fs::remove_dir_all(&outside);
}

#[test]
fn one_damaged_policy_does_not_block_the_others() {
    let env = Env::new("damaged");
    let other = PolicyName::new("org.example.other").unwrap();
    let store = env.open(None).unwrap();
    store.install(&package("v1")).unwrap();
    let mut p = package("o1");
    p.name = other.clone();
    store.install(&p).unwrap();
    drop(store);
    std::fs::write(env.root.join(other.as_str()).join("journal"), "{garbage").unwrap();
    // A policy directory without a current generation, holding a file the store never
    // writes: neither deleted nor hidden.
    let stray = env.root.join("org.example.stray");
    std::fs::create_dir(&stray).unwrap();
    std::fs::write(stray.join("notes"), "x").unwrap();
    let store = env.open(None).unwrap();
    let all = store.list().unwrap();
    assert_eq!(all.len(), 3);
    assert!(stray.join("notes").exists());
    assert!(
        all[2]
            .damaged
            .as_deref()
            .unwrap_or_default()
            .contains("no current generation"),
        "{all:?}"
    );
    assert_eq!(all[0].damaged, None);
    assert!(
        all[1]
            .damaged
            .as_deref()
            .unwrap_or_default()
            .contains("journal"),
        "{all:?}"
    );
    store.install(&package("v2")).unwrap();
    store.rollback(&name()).unwrap();
    assert_eq!(state(&env, &store), Some("v1".into()));
    assert!(matches!(
        store.rollback(&other),
        Err(StoreError::Corrupt { .. })
    ));
    drop(store);
    env.cleanup();
}

#[test]
fn damage_that_went_unnoticed_is_detected() {
    let env = Env::new("tamper");
    let store = env.open(None).unwrap();
    store.install(&package("v1")).unwrap();
    store.install(&package("v2")).unwrap();
    drop(store);
    let gen1 = env.root.join(name().as_str()).join("gen-1");
    // The old generation's artifact changed on disk, its name and size kept.
    std::fs::write(gen1.join("profile"), "artifact vX").unwrap();
    let store = env.open(None).unwrap();
    let e = store.show(&name()).unwrap_err();
    assert!(
        e.to_string().contains("changed since it was written"),
        "{e}"
    );
    let all = store.list().unwrap();
    assert!(all[0].damaged.is_some(), "{all:?}");
    // Rollback refuses it, and nothing moves.
    assert!(matches!(
        store.rollback(&name()),
        Err(StoreError::Corrupt { .. })
    ));
    assert_eq!(
        std::fs::read_to_string(env.kernel.join(name().as_str())).unwrap(),
        "artifact v2"
    );
    // A generation missing a file is reported too.
    std::fs::write(gen1.join("profile"), "artifact v1").unwrap();
    std::fs::remove_file(gen1.join("ir.json")).unwrap();
    let e = store.show(&name()).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
    drop(store);
    env.cleanup();
}

/// An app whose plug grants `/srv/data/**`, with its framework in the same file.
const APP: &str = r#"framework org.example.fw {
    provides data {
        allow read "/srv/data/**"
    }
}

policy org.example.app {
    app
    plugs data
    allow read "/srv/data/**"
}
"#;

fn install_app(env: &Env) {
    let store = env.open(None).unwrap();
    let src = polc::Source::new("app.pol", APP);
    let loaded = polc::load(&src, &polc::LoadOptions::default()).unwrap();
    let a = polc::compile::compile(&loaded.policy, Lsm::AppArmor, &Default::default()).unwrap();
    store.install(&Package::new(&loaded, "app.pol", a)).unwrap();
}

/// Connect (`on`) or disconnect the app's plug, as a store operation.
fn set_plug(store: &Store, on: bool) -> Result<(), StoreError> {
    use polc::connect::{connect, disconnect, ConnectError};
    let (load, compile) = (polc::LoadOptions::default(), Default::default());
    let r = if on {
        connect(store, &name(), "data", &load, &compile)
    } else {
        disconnect(store, &name(), "data", &load, &compile)
    };
    match r {
        Ok(changed) => {
            assert!(changed.generation.is_some(), "nothing changed");
            Ok(())
        }
        Err(ConnectError::Store(e)) => Err(e),
        Err(e) => panic!("{e}"),
    }
}

/// The app's current generation and whether its plug is connected, after checking that
/// the kernel holds that generation's artifact and that the artifact grants the
/// interface's paths exactly when the record says it is connected.
fn connection_state(env: &Env) -> (u64, bool) {
    let store = env.open(None).unwrap();
    let c = polc::connect::connections(&store, &name()).unwrap();
    let (_, path) = store.current_artifact(&name()).unwrap();
    let artifact = std::fs::read_to_string(path).unwrap();
    let kernel = std::fs::read_to_string(env.kernel.join(name().as_str())).unwrap();
    assert_eq!(kernel, artifact, "kernel and store disagree");
    let connected = c.plugs[0].connected;
    assert_eq!(
        artifact.contains("/srv/data/"),
        connected,
        "generation {} records connected={connected}:\n{artifact}",
        c.generation
    );
    (c.generation, connected)
}

#[test]
fn connect_and_disconnect_at_every_step_leave_the_old_or_the_new_connections() {
    // A connect from generation 1 and a disconnect from generation 2, failed and killed
    // at each of their steps: afterwards the app is at the old generation with the old
    // connections or at the new one with the new, and the kernel holds what it records.
    let connected = |env: &Env| {
        install_app(env);
        set_plug(&env.open(None).unwrap(), true).unwrap();
    };
    // (setup, connect or disconnect, the (generation, connected) before and after)
    type Case = (Setup, bool, [(u64, bool); 2]);
    let cases: [Case; 2] = [
        (Box::new(install_app), true, [(1, false), (2, true)]),
        (Box::new(connected), false, [(2, true), (3, false)]),
    ];
    let mut points = 0;
    for (setup, on, allowed) in &cases {
        let env = Env::new("connect-count");
        setup(&env);
        let faults = Arc::new(CountingFaults {
            at: usize::MAX,
            mode: FaultMode::Fail,
            seen: AtomicUsize::new(0),
        });
        set_plug(&env.open(Some(faults.clone())).unwrap(), *on).unwrap();
        assert_eq!(connection_state(&env), allowed[1]);
        env.cleanup();
        let n = faults.seen.load(Ordering::SeqCst);
        assert!(n >= 8, "connect={on} goes through only {n} fault points");
        for mode in [FaultMode::Fail, FaultMode::Kill] {
            for at in 0..=n {
                let env = Env::new("connect");
                setup(&env);
                let what = format!("connect={on}");
                let fired = run_with_fault_of(&env, &|s| set_plug(s, *on), &what, at, mode);
                assert_eq!(fired, at < n, "{what} {mode:?} at {at} of {n}");
                let now = connection_state(&env);
                assert!(allowed.contains(&now), "{what} {mode:?} at {at}: {now:?}");
                env.cleanup();
                points += usize::from(fired);
            }
        }
    }
    eprintln!("{points} fault points fired");
}

#[test]
fn rollback_restores_the_previous_connections_with_the_previous_kernel_policy() {
    let env = Env::new("connect-rollback");
    install_app(&env);
    let store = env.open(None).unwrap();
    set_plug(&store, true).unwrap();
    set_plug(&store, false).unwrap();
    drop(store);
    assert_eq!(connection_state(&env), (3, false));
    let store = env.open(None).unwrap();
    assert_eq!(store.rollback(&name()).unwrap(), 2);
    drop(store);
    assert_eq!(connection_state(&env), (2, true));
    let store = env.open(None).unwrap();
    let c = polc::connect::connections(&store, &name()).unwrap();
    assert_eq!(c.plugs[0].since, Some(2), "{c:?}");
    assert_eq!(store.rollback(&name()).unwrap(), 1);
    drop(store);
    assert_eq!(connection_state(&env), (1, false));
    env.cleanup();
}
