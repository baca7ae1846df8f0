//! Crash consistency of the store at scale: install, upgrade (with pruning), rollback,
//! removal, and the connect and disconnect of an app's plug, killed with SIGKILL at every fault point of the store, and at random instants
//! while 1 to 4 concurrent processes (actors) change the same policies, against a
//! stand-in loader that models the kernel.
//!
//! The model kernel is `kernel/<policy>`, the artifact loaded for each policy. A load runs
//! as a separate child process (`sh`, fenced with [`polc::store::fence`] as the real
//! loaders are) that reads the artifact, sometimes sleeps (so kills land mid-load), and
//! then replaces the kernel file; an unload removes it.
//!
//! After each sequence the store is opened (which waits for fenced loaders and repairs),
//! and the invariants are checked: the current generation is complete and is what the
//! kernel model holds; the kernel holds no policy the store does not list; no generation
//! newer than the current one (never current) is left, nor any journal or temporary
//! file; `list`, `show` and `rollback` work. The counts are printed (docs/reliability.md
//! quotes them).
//!
//! The stores live on `/dev/shm` when it exists: a SIGKILL does not lose what the page
//! cache holds, so fsync costs time without changing what is tested.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::lang::ir::PolicyName;
use polc::store::{FaultInjector, Loader, Lsm, Package, Step, Store, StoreConfig, StoreError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, so a failing sequence can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The kernel model: `dir/<name>` holds the loaded artifact.
struct ModelKernel {
    dir: PathBuf,
    /// Seeds the delay of each load (one load in four sleeps 5 to 25 ms).
    rng: AtomicU64,
}

impl Loader for ModelKernel {
    fn lsm(&self) -> Lsm {
        Lsm::AppArmor
    }
    fn load(&self, name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let body = std::fs::read(artifact).map_err(|e| e.to_string())?;
        if body.windows(6).any(|w| w == b"REJECT") {
            return Err("profile rejected".into());
        }
        let mut r = Rng(self.rng.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::SeqCst) | 1);
        let delay = if r.below(4) == 0 {
            format!("0.0{}", 5 + r.below(20))
        } else {
            String::new()
        };
        let out = polc::store::fence(Command::new("sh").args([
            "-c",
            r#"A=$(cat "$1") || exit 1; [ -z "$3" ] || sleep "$3"; printf %s "$A" > "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2""#,
            "sh",
        ]))
        .arg(artifact)
        .arg(self.dir.join(name.as_str()))
        .arg(delay)
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
    fn unload(&self, name: &PolicyName, _artifact: &Path) -> Result<(), String> {
        match std::fs::remove_file(self.dir.join(name.as_str())) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.to_string()),
            _ => Ok(()),
        }
    }
}

/// Kills the process at its `at`-th fault point.
struct KillAt {
    at: usize,
    seen: AtomicUsize,
}

impl FaultInjector for KillAt {
    fn before(&self, _step: Step) -> std::io::Result<()> {
        if self.seen.fetch_add(1, Ordering::SeqCst) == self.at {
            // SAFETY: killing our own process.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        }
        Ok(())
    }
}

const NAMES: [&str; 2] = ["org.example.app", "org.example.tool"];

struct Env {
    root: PathBuf,
    kernel: PathBuf,
}

impl Env {
    fn new(tag: &str, n: usize) -> Env {
        let shm = Path::new("/dev/shm");
        let tmp = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let base = tmp.join(format!("polc-crash-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let env = Env {
            root: base.join("store"),
            kernel: base.join("kernel"),
        };
        std::fs::create_dir_all(&env.kernel).unwrap();
        env
    }

    fn open(&self, faults: Option<Arc<dyn FaultInjector>>, seed: u64) -> Result<Store, StoreError> {
        let mut cfg = StoreConfig::new(&self.root);
        cfg.keep = 2;
        cfg.faults = faults;
        Store::open(
            cfg,
            vec![Box::new(ModelKernel {
                dir: self.kernel.clone(),
                rng: AtomicU64::new(seed),
            })],
        )
    }

    fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(self.root.parent().unwrap());
    }
}

/// An app's policy at `version`: it reads `/var/lib/LABEL/VERSION/**` (its own area,
/// so each generation's artifact names its version) and plugs `data`, whose grant
/// `/srv/data/**` reaches it only while connected. A version holding `REJECT` makes an
/// artifact the model kernel rejects.
fn source(name: &str, version: &str) -> String {
    let label = name.rsplit('.').next().unwrap();
    format!(
        "# {version}\nframework org.example.fw {{\n    provides data {{\n        \
         allow read \"/srv/data/**\"\n    }}\n}}\n\npolicy {name} {{\n    app\n    \
         plugs data\n    owns \"/var/lib/{label}/**\"\n    \
         allow read \"/var/lib/{label}/{version}/**\"\n    allow read \"/srv/data/**\"\n}}\n"
    )
}

fn package(name: &str, version: &str) -> Package {
    let src = polc::Source::new("app.pol", source(name, version));
    let loaded = polc::load(&src, &polc::LoadOptions::default()).unwrap();
    let a = polc::compile::compile(&loaded.policy, Lsm::AppArmor, &Default::default()).unwrap();
    Package::new(&loaded, "app.pol", a)
}

#[derive(Clone, Debug)]
enum Op {
    Install(&'static str, String),
    Rollback(&'static str),
    Remove(&'static str),
    /// Connect (true) or disconnect the app's `data` plug.
    Connect(&'static str, bool),
}

fn random_op(r: &mut Rng, tag: &str) -> Op {
    let name = NAMES[usize::try_from(r.below(2)).unwrap()];
    match r.below(10) {
        0..=3 => Op::Install(name, format!("{tag}-{}", r.below(1000))),
        4 => Op::Install(name, format!("{tag}-REJECT")),
        5 | 6 => Op::Rollback(name),
        7 => Op::Connect(name, true),
        8 => Op::Connect(name, false),
        _ => Op::Remove(name),
    }
}

fn apply(store: &Store, op: &Op) -> Result<(), StoreError> {
    let pn = |n: &str| PolicyName::new(n).unwrap();
    let r = match op {
        Op::Install(n, v) => store.install(&package(n, v)).map(drop),
        Op::Rollback(n) => store.rollback(&pn(n)).map(drop),
        Op::Remove(n) => store.remove(&pn(n)),
        Op::Connect(n, on) => {
            use polc::connect::{connect, disconnect, ConnectError};
            let (load, compile) = (polc::LoadOptions::default(), Default::default());
            let r = if *on {
                connect(store, &pn(n), "data", &load, &compile)
            } else {
                disconnect(store, &pn(n), "data", &load, &compile)
            };
            match r {
                Ok(_) => Ok(()),
                Err(ConnectError::Store(e)) => Err(e),
                Err(e) => panic!("{op:?}: {e}"),
            }
        }
    };
    match r {
        Err(StoreError::NotInstalled(_) | StoreError::NoPrevious(_) | StoreError::Load { .. }) => {
            Ok(())
        }
        r => r,
    }
}

/// Run `ops` in a forked actor; `kill_at` kills it at that fault point (counted over
/// all its operations). Returns the pid.
fn spawn_actor(env: &Env, ops: &[Op], kill_at: Option<usize>, seed: u64) -> libc::pid_t {
    // SAFETY: the child runs store operations and exits; the test runs on one thread.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let faults: Option<Arc<dyn FaultInjector>> = kill_at.map(|at| {
            Arc::new(KillAt {
                at,
                seen: AtomicUsize::new(0),
            }) as Arc<dyn FaultInjector>
        });
        let mut code = 0;
        for op in ops {
            if let Err(e) = env.open(faults.clone(), seed).and_then(|s| apply(&s, op)) {
                // The parent's assertion says an actor failed; this says why.
                // (written to fd 2 itself: the test harness's capture dies with the child)
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "actor {}: {op:?} failed: {e}",
                    std::process::id()
                );
                code = 3;
            }
        }
        // SAFETY: leave the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Reap `pid`: true when it was killed, false when it finished its operations.
fn reap(pid: libc::pid_t) -> bool {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    if libc::WIFSIGNALED(status) {
        assert_eq!(
            libc::WTERMSIG(status),
            libc::SIGKILL,
            "actor died of a signal"
        );
        return true;
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "an actor's operation failed: status {status}"
    );
    false
}

/// Open the store (repairing) and check every invariant; `context` names the sequence.
/// Whether the AppArmor profile `artifact` names the directory `dir` (relative to `/`)
/// in a rule: alone (`/srv/data/**`) or as one alternative of a group the backend joins
/// lines into (`/{srv/data,var/lib/app/v1}/**`), and not as the head of a longer name
/// (`v1` is not `v10`).
fn names_dir(artifact: &str, dir: &str) -> bool {
    artifact.match_indices(dir).any(|(at, _)| {
        let before = artifact[..at].chars().next_back();
        let after = artifact[at + dir.len()..].chars().next();
        matches!(before, Some('/' | '{' | ',')) && matches!(after, Some('/' | '}' | ','))
    })
}

fn check(env: &Env, context: &str) {
    let store = env.open(None, 1).unwrap();
    let listed = store
        .list()
        .unwrap_or_else(|e| panic!("{context}: list: {e}"));
    for info in &listed {
        assert_eq!(info.damaged, None, "{context}: {} damaged", info.name);
        assert_eq!(info.pending, None, "{context}: {} pending", info.name);
        assert!(
            NAMES.contains(&info.name.as_str()),
            "{context}: {}",
            info.name
        );
    }
    for e in std::fs::read_dir(&env.root).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            n == ".lock" || n == ".polc-store" || NAMES.contains(&n.as_str()),
            "{context}: leftover {n} in the store"
        );
    }
    for name in NAMES {
        let kernel = std::fs::read_to_string(env.kernel.join(name)).ok();
        let pn = PolicyName::new(name).unwrap();
        let Some(info) = listed.iter().find(|i| i.name == name) else {
            assert_eq!(
                kernel, None,
                "{context}: the kernel holds {name}, which the store does not list"
            );
            continue;
        };
        // The current generation is complete (show checks every file's digest) and
        // consistent: its IR and artifact are of its source's version, its recorded
        // connection is what its artifact grants, and it is what the kernel holds.
        let dir = &info.path;
        let source = std::fs::read_to_string(dir.join("source.pol")).unwrap();
        let v = source.lines().next().unwrap().trim_start_matches("# ");
        let own = format!("var/lib/{}/{v}", name.rsplit('.').next().unwrap());
        assert!(
            std::fs::read_to_string(dir.join("ir.json"))
                .unwrap()
                .contains(&format!("/{own}/")),
            "{context}: {name}: the IR is not of version {v}"
        );
        let artifact = std::fs::read_to_string(dir.join(format!("{name}.apparmor"))).unwrap();
        assert!(names_dir(&artifact, &own), "{context}: {name}: {artifact}");
        let connected = polc::connect::connections(&store, &pn)
            .unwrap_or_else(|e| panic!("{context}: connections of {name}: {e}"))
            .plugs[0]
            .connected;
        assert_eq!(
            names_dir(&artifact, "srv/data"),
            connected,
            "{context}: {name}: the generation records connected={connected}:\n{artifact}"
        );
        // (The model kernel's `sh` drops the artifact's final newline.)
        assert_eq!(
            kernel.as_deref().map(str::trim_end),
            Some(artifact.trim_end()),
            "{context}: {name}: the kernel and the store's current generation differ"
        );
        // Nothing but generations up to the current one and the pointer.
        for e in std::fs::read_dir(dir.parent().unwrap()).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            let gen = n.strip_prefix("gen-").and_then(|g| g.parse::<u64>().ok());
            assert!(
                n == "current" || gen.is_some_and(|g| g <= info.current),
                "{context}: {name}: {n} next to current generation {}",
                info.current
            );
        }
        // Rollback works and reloads the generation it goes back to.
        if info.generations.len() >= 2 {
            let back = store
                .rollback(&pn)
                .unwrap_or_else(|e| panic!("{context}: rollback {name}: {e}"));
            let (_, path) = store.current_artifact(&pn).unwrap();
            assert_eq!(
                back,
                info.generations[info.generations.len() - 2].generation
            );
            assert_eq!(
                std::fs::read_to_string(env.kernel.join(name))
                    .ok()
                    .map(|k| k.trim_end().to_string()),
                std::fs::read_to_string(path)
                    .ok()
                    .map(|a| a.trim_end().to_string()),
                "{context}: {name}: rollback left the kernel behind"
            );
        }
    }
}

/// How many fault points `op` passes from the state `setup` makes.
fn fault_points(setup: &[Op], op: &Op) -> usize {
    let env = Env::new("count", 0);
    let store = env.open(None, 7).unwrap();
    for o in setup {
        apply(&store, o).unwrap();
    }
    drop(store);
    let faults = Arc::new(KillAt {
        at: usize::MAX,
        seen: AtomicUsize::new(0),
    });
    let store = env.open(Some(faults.clone()), 7).unwrap();
    apply(&store, op).unwrap();
    drop(store);
    env.cleanup();
    faults.seen.load(Ordering::SeqCst)
}

/// Every fault point of a first install, an upgrade, an upgrade that prunes, a rollback,
/// a removal, a connect and a disconnect, killed in turn. Returns how many sequences ran.
fn every_fault_point() -> usize {
    let (a, v) = (NAMES[0], |s: &str| s.to_string());
    let cases: Vec<(Vec<Op>, Op)> = vec![
        (vec![], Op::Install(a, v("v1"))),
        (vec![Op::Install(a, v("v1"))], Op::Install(a, v("v2"))),
        (
            vec![Op::Install(a, v("v1")), Op::Install(a, v("v2"))],
            Op::Install(a, v("v3")),
        ),
        (
            vec![Op::Install(a, v("v1")), Op::Install(a, v("v2"))],
            Op::Rollback(a),
        ),
        (
            vec![Op::Install(a, v("v1")), Op::Install(a, v("v2"))],
            Op::Remove(a),
        ),
        (vec![Op::Install(a, v("v1"))], Op::Connect(a, true)),
        (
            vec![Op::Install(a, v("v1")), Op::Connect(a, true)],
            Op::Connect(a, false),
        ),
    ];
    let mut runs = 0;
    for (i, (setup, op)) in cases.iter().enumerate() {
        let n = fault_points(setup, op);
        assert!(n >= 8, "{op:?} passes only {n} fault points");
        for at in 0..n {
            let env = Env::new("point", i * 1000 + at);
            let store = env.open(None, 3).unwrap();
            for o in setup {
                apply(&store, o).unwrap();
            }
            drop(store);
            let pid = spawn_actor(&env, std::slice::from_ref(op), Some(at), 5 + at as u64);
            assert!(reap(pid), "{op:?}: fault point {at} of {n} was not reached");
            check(&env, &format!("{op:?} killed at fault point {at}"));
            env.cleanup();
            runs += 1;
        }
    }
    runs
}

#[derive(Default, Debug)]
struct Counts {
    sequences: usize,
    actors: usize,
    killed_at_fault_points: usize,
    killed_at_random: usize,
    finished: usize,
}

/// Random sequences: 1 to 4 actors with 1 to 3 operations each, some killed at a random
/// fault point, the others possibly killed at a random instant.
fn random_sequences(runs: usize, per_run: usize, seed: u64) -> Counts {
    let mut r = Rng(seed);
    let mut c = Counts::default();
    for run in 0..runs {
        let env = Env::new("random", run);
        for s in 0..per_run {
            let actors = 1 + usize::try_from(r.below(4)).unwrap();
            let mut pids = Vec::new();
            let mut instant = Vec::new();
            for a in 0..actors {
                let ops: Vec<Op> = (0..1 + r.below(3))
                    .map(|_| random_op(&mut r, &format!("r{run}s{s}a{a}")))
                    .collect();
                let kill_at = (r.below(3) == 0).then(|| usize::try_from(r.below(60)).unwrap());
                let pid = spawn_actor(&env, &ops, kill_at, r.next());
                if kill_at.is_none() && r.below(2) == 0 {
                    instant.push(pid);
                }
                pids.push((pid, kill_at.is_some()));
            }
            if !instant.is_empty() {
                std::thread::sleep(Duration::from_micros(r.below(30_000)));
                for pid in &instant {
                    // SAFETY: killing our own child (not reaped yet).
                    unsafe { libc::kill(*pid, libc::SIGKILL) };
                }
            }
            for (pid, by_fault) in pids {
                match (reap(pid), by_fault) {
                    (true, true) => c.killed_at_fault_points += 1,
                    (true, false) => c.killed_at_random += 1,
                    (false, _) => c.finished += 1,
                }
            }
            c.actors += actors;
            c.sequences += 1;
            check(&env, &format!("run {run} sequence {s} (seed {seed})"));
        }
        env.cleanup();
    }
    c
}

#[test]
fn the_store_and_the_kernel_agree_after_any_crash() {
    let t = Instant::now();
    let points = every_fault_point();
    let exact = t.elapsed();
    let counts = random_sequences(100, 10, 0x5eed_2026);
    let total = t.elapsed();
    eprintln!(
        "store crash consistency: {points} sequences killed at every fault point ({exact:.1?}); \
         {} random sequences with {} actors: {} killed at a fault point, {} killed at a random \
         instant, {} finished ({total:.1?} in all)",
        counts.sequences,
        counts.actors,
        counts.killed_at_fault_points,
        counts.killed_at_random,
        counts.finished
    );
    assert!(points + counts.sequences >= 1000);
    assert!(counts.killed_at_fault_points >= 100, "{counts:?}");
    assert!(counts.killed_at_random >= 100, "{counts:?}");
}
