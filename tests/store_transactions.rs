//! Store transactions under fault injection: every step made to fail, and the process
//! killed with SIGKILL at every step, over randomized install/upgrade/rollback/remove
//! sequences. After each, the next open must show the complete old or the complete new
//! state, with the (stand-in) kernel holding exactly the current generation's artifact.
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

/// Fails (or kills the process) at the `at`-th step.
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
            !n.ends_with(".tmp") && n != "journal",
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

/// Run `op` with a fault at step `at`; in Kill mode inside a forked child.
fn run_with_fault(env: &Env, op: &Op, at: usize, mode: FaultMode) {
    let faults: Arc<dyn FaultInjector> = Arc::new(CountingFaults {
        at,
        mode,
        seen: AtomicUsize::new(0),
    });
    match mode {
        FaultMode::Fail => {
            if let Ok(store) = env.open(Some(faults)) {
                let _ = apply(&store, op);
            }
        }
        FaultMode::Kill => {
            // SAFETY: the child only runs the store operation and exits; it calls no code
            // that another thread of the test process could hold a lock in.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let code = match env.open(Some(faults)) {
                    Ok(store) => i32::from(apply(&store, op).is_err()),
                    Err(_) => 2,
                };
                // SAFETY: leave the child without running the parent's destructors.
                unsafe { libc::_exit(code) };
            }
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
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

fn check_sequence(ops: &[(Op, usize, FaultMode)], tag: &str) {
    let env = Env::new(tag);
    for (op, at, mode) in ops {
        let (old, prev) = {
            let store = env.open(None).unwrap();
            (state(&env, &store), previous(&store))
        };
        run_with_fault(&env, op, *at, *mode);
        let store = env.open(None).unwrap();
        let now = state(&env, &store);
        let allowed = allowed_after(op, &old, &prev);
        assert!(
            allowed.contains(&now),
            "after {op:?} with {mode:?} at step {at}: state {now:?}, expected one of {allowed:?}"
        );
    }
    env.cleanup();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn failing_any_step_leaves_old_or_new(ops in prop::collection::vec((op_strategy(), 0usize..40), 1..6)) {
        let ops: Vec<_> = ops.into_iter().map(|(o, at)| (o, at, FaultMode::Fail)).collect();
        check_sequence(&ops, "fail");
    }

    #[test]
    fn killing_at_any_step_leaves_old_or_new(ops in prop::collection::vec((op_strategy(), 0usize..40), 1..5)) {
        let ops: Vec<_> = ops.into_iter().map(|(o, at)| (o, at, FaultMode::Kill)).collect();
        check_sequence(&ops, "kill");
    }
}

#[test]
fn every_step_of_an_upgrade_is_covered() {
    // Deterministically: fail and kill at each step index of an upgrade; late indexes are
    // never reached and the upgrade completes.
    for mode in [FaultMode::Fail, FaultMode::Kill] {
        for at in 0..60 {
            let env = Env::new("steps");
            env.open(None).unwrap().install(&package("v1")).unwrap();
            run_with_fault(&env, &Op::Install("v2".into()), at, mode);
            let store = env.open(None).unwrap();
            let now = state(&env, &store);
            assert!(
                now == Some("v1".into()) || now == Some("v2".into()),
                "{mode:?} at {at}: {now:?}"
            );
            drop(store);
            env.cleanup();
        }
    }
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
